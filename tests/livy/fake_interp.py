'''Statement interpreters of the test Livy server.

One `SessionRuntime` exists per Livy session. It owns the session's sqlite
database (fake_spark.SqlEngine), the `spark`/`sc`/`sqlContext` objects and
one interpreter per statement kind, created on first use as Livy does:

* pyspark: real Python, run like Livy's fake_shell.py. The cell is parsed
  as a whole; every top-level statement runs in turn in a namespace kept
  for the life of the session; expression statements of the last top-level
  statement print their repr (the `single` compile mode of the REPL).
  Output is the captured stdout followed by stderr, right-stripped. Errors
  carry ename/evalue/traceback with the frames up to and including
  `File "<stdin>", line N, in <module>` removed. Stdout is cleared only
  after a successful statement (a Livy quirk). If the cell does not
  compile, lines starting with `%` are magics: `%json VAR`, `%table VAR`,
  `%matplot VAR`; any other magic fails with UnknownMagic.
* sql: one statement per request on the session database; the result is
  `application/json` `{"schema": <Spark StructType JSON>, "data": [[...]]}`,
  at most `sql_num_rows` rows.
* spark (Scala): there is no Scala interpreter. A fixed subset is
  recognised, statement by statement (statements are separated by new lines
  or `;` outside string literals):

      println("literal") | println(<Int expression>) | println(<val>)
      Thread.sleep(<ms>)
      val <name> = <DataFrame expression> | <Int expression> | "literal"
      <DataFrame expression>[.show(...) | .count() | .toJSON.take(n).foreach(println)
                             | .toJSON.collect().foreach(println)
                             | .createOrReplaceTempView("name")]
      <Int expression>          (echoed as `resN: Int = v`)
      spark | sc | sqlContext | spark.version | sc.version | <val name>
      import <anything>

  where a DataFrame expression is `spark.sql(Q)` with Q a string literal
  (plain or triple-quoted), `spark.table("t")` or a DataFrame val, optionally followed by
  `.limit(n)` and `.sample(false, f)`; an Int expression uses integer
  literals, Int vals, `+ - * / %` and parentheses with 32-bit wrap-around.
  Output is the REPL echo with its trailing newline. A cell containing any
  other statement is rejected before anything runs, with status error,
  ename `NotSupportedInTestServer` and the cell's code as evalue.
* sparkr: not interpreted; every statement gets `NotSupportedInTestServer`.

Cancellation: each statement has a StatementControl. Fake Spark jobs (the
server's statement delay) always stop when cancelled. Python and Scala code
stop at the next `time.sleep`/`Thread.sleep` or, for Python, the next line
executed in a `<stdin>` frame, unless the runtime is uninterruptible, in
which case (as in Livy) only Spark jobs notice the cancel. Cancellation
surfaces as the error a cancelled Spark job gives.
'''

import ast
import base64
import builtins
import datetime
import decimal
import io
import re
import struct
import sys
import threading
import time
import traceback
import types
import zlib

import fake_spark
from fake_spark import Py4JJavaError

_OWN_FILES = set()


def _register_own_file(module):
    path = getattr(module, "__file__", None)
    if path:
        _OWN_FILES.add(path)


_register_own_file(sys.modules[__name__])
_register_own_file(fake_spark)


class SessionStopped(BaseException):
    """Raised inside a statement when its session is being stopped.

    A BaseException so that `except Exception` in user code cannot keep a
    stopped session's worker alive.
    """


class UnknownMagic(Exception):
    """A `%name` line that is not one of the supported magics."""


UnknownMagic.__module__ = "__main__"


def ok_output(count, data):
    return {"status": "ok", "execution_count": count, "data": data}


def error_output(count, ename, evalue, tb):
    return {"status": "error", "execution_count": count, "ename": ename,
            "evalue": evalue, "traceback": list(tb)}


def not_supported(count, code):
    return error_output(count, "NotSupportedInTestServer", code, [])


# ---------------------------------------------------------------------------
# Statement control.

class StatementControl:
    """Cancel and stop signals for one statement, plus its fake job progress.

    Owned by the server's statement record; read by the worker thread that
    runs the statement. All waits are bounded by their own duration.
    """

    def __init__(self, group, job_ids, interruptible=True):
        self.group = group              # job group = statement id
        self._job_ids = job_ids         # callable returning a new job id
        self.interruptible = interruptible
        self._cond = threading.Condition()
        self.cancelled = False
        self.stopped = False
        self.tasks_total = 0
        self.tasks_done = 0
        self.job = None                 # id of the fake job running, if any
        self.interrupt_hook = None      # set while Python code runs

    def _poke(self, wanted):
        hook = self.interrupt_hook
        if hook is not None and wanted:
            hook()

    def cancel(self):
        with self._cond:
            self.cancelled = True
            self._cond.notify_all()
        self._poke(self.interruptible)

    def stop(self):
        with self._cond:
            self.stopped = True
            self._cond.notify_all()
        self._poke(True)

    def progress(self):
        total = self.tasks_total
        return self.tasks_done / total if total else 0.0

    def _raise_if_needed(self, job):
        if self.stopped:
            raise SessionStopped()
        if self.cancelled and (job or self.interruptible):
            raise self.cancel_error()

    def cancel_error(self):
        job = self.job if self.job is not None else self._job_ids()
        return Py4JJavaError(
            "An error occurred while calling o%d.collectToPython.\n"
            ": org.apache.spark.SparkException: Job %d cancelled part of "
            "cancelled job group %d" % (self.group + 40, job, self.group))

    def wait(self, seconds, job=False):
        """Sleep `seconds`; raise early when cancelled (if allowed) or stopped."""
        deadline = time.monotonic() + max(0.0, seconds)
        with self._cond:
            while True:
                self._raise_if_needed(job)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._cond.wait(remaining)

    def check(self, job=False):
        with self._cond:
            self._raise_if_needed(job)

    def run_job(self, job, duration, tasks=10):
        """Fake Spark job `job`: `tasks` equal tasks lasting `duration` s."""
        self.job = job
        self.tasks_total += tasks
        for _ in range(tasks):
            self.wait(duration / tasks, job=True)
            self.tasks_done += 1
        self.job = None


# ---------------------------------------------------------------------------
# Tiny PNG writer, for %matplot on objects whose savefig writes nothing.

def tiny_png(width=16, height=16, seed=0):
    """Return the bytes of a real RGB PNG with a deterministic gradient."""
    def chunk(tag, payload):
        return (struct.pack(">I", len(payload)) + tag + payload
                + struct.pack(">I", zlib.crc32(tag + payload) & 0xFFFFFFFF))
    raw = bytearray()
    for y in range(height):
        raw.append(0)                       # filter type None
        for x in range(width):
            raw += bytes(((x * 16 + seed) % 256, (y * 16 + seed * 7) % 256,
                          (x * y + seed * 13) % 256))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


# ---------------------------------------------------------------------------
# Python.

class _Writer:
    """A text stream that appends to a StringIO (stdout/stderr capture)."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, buf_getter):
        self._get = buf_getter

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s"
                            % type(text).__name__)
        self._get().write(text)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        return None

    def isatty(self):
        return False

    def writable(self):
        return True


class _DisplayTransformer(ast.NodeTransformer):
    """Wrap expression statements so their value is displayed, as `single`
    mode does; function and class bodies are left alone."""

    def visit_Expr(self, node):
        call = ast.Call(func=ast.Name(id="__livy_display__", ctx=ast.Load()),
                        args=[node.value], keywords=[])
        return ast.copy_location(ast.Expr(value=ast.copy_location(call, node)),
                                 node)

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef


class _MagicError(Exception):
    def __init__(self, ename, evalue, tb):
        super().__init__(evalue)
        self.ename, self.evalue, self.tb = ename, evalue, tb


def _only(exc):
    return _MagicError(type(exc).__name__, str(exc),
                       traceback.format_exception_only(type(exc), exc))


def _jsonable(value):
    """Convert a value for a JSON output; raise TypeError if impossible."""
    if isinstance(value, fake_spark.Row) and value._names is not None:
        return {k: _jsonable(v) for k, v in value.asDict().items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError("Object of type %s is not JSON serializable"
                    % type(value).__name__)


def _table_type(value):
    if value is None:
        return "NULL_TYPE"
    if isinstance(value, bool):
        return "BOOLEAN_TYPE"
    if isinstance(value, int):
        return "INT_TYPE"
    if isinstance(value, float):
        return "DOUBLE_TYPE"
    if isinstance(value, str):
        return "STRING_TYPE"
    if isinstance(value, decimal.Decimal):
        return "DECIMAL_TYPE"
    if isinstance(value, datetime.datetime):
        return "TIMESTAMP_TYPE"
    if isinstance(value, datetime.date):
        return "DATE_TYPE"
    if isinstance(value, (list, tuple)):
        return "ARRAY_TYPE"
    if isinstance(value, dict):
        return "MAP_TYPE"
    raise ValueError("cannot infer type for %s" % type(value).__name__)


class PythonInterpreter:
    """Runs pyspark statements in one persistent namespace."""

    def __init__(self, runtime):
        self.rt = runtime
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()
        self.ctrl = None
        self.builtins = dict(builtins.__dict__)
        self.builtins["print"] = self._print
        self.builtins["input"] = self._input
        self.builtins["__import__"] = self._import
        self.builtins["__livy_display__"] = self._display
        self.time_module = self._make_time_module()
        self.sys_module = self._make_sys_module()
        self.modules = self._make_pyspark_modules()
        self.globals = {
            "__name__": "__main__", "__builtins__": self.builtins,
            "spark": runtime.spark, "sc": runtime.sc,
            "sqlContext": runtime.sql_context, "sqlCtx": runtime.sql_context,
        }

    # -- namespace plumbing
    def _print(self, *args, sep=" ", end="\n", file=None, flush=False):
        builtins.print(*args, sep=sep, end=end,
                       file=file if file is not None else self.sys_module.stdout)

    def _input(self, prompt=""):
        raise EOFError("EOF when reading a line")

    def _display(self, value):
        if value is None:
            return
        self.builtins["_"] = value
        self.sys_module.stdout.write(repr(value) + "\n")

    def _sleep(self, secs):
        if isinstance(secs, bool) or not isinstance(secs, (int, float)):
            raise TypeError("'%s' object cannot be interpreted as an integer"
                            % type(secs).__name__)
        if secs < 0:
            raise ValueError("sleep length must be non-negative")
        if self.ctrl is None:
            return time.sleep(secs)
        return self.ctrl.wait(secs)

    def _make_time_module(self):
        mod = types.ModuleType("time")
        mod.__dict__.update({k: v for k, v in time.__dict__.items()
                             if not k.startswith("__")})
        mod.sleep = self._sleep
        return mod

    def _make_sys_module(self):
        mod = types.ModuleType("sys")
        mod.__dict__.update({k: v for k, v in sys.__dict__.items()
                             if not k.startswith("__")})
        mod.stdout = _Writer(lambda: self.stdout)
        mod.stderr = _Writer(lambda: self.stderr)
        mod.__stdout__, mod.__stderr__ = mod.stdout, mod.stderr
        mod.argv = [""]
        return mod

    def _make_pyspark_modules(self):
        fs = fake_spark
        specs = {
            "pyspark": {"SparkContext": fs.SparkContext,
                        "__version__": fs.SPARK_VERSION, "RDD": fs.RDD},
            "pyspark.sql": {"SparkSession": fs.SparkSession, "Row": fs.Row,
                            "DataFrame": fs.DataFrame,
                            "SQLContext": fs.SQLContext},
            "pyspark.sql.types": {n: getattr(fs, n) for n in (
                "DataType", "StructType", "StructField", "ArrayType", "MapType",
                "LongType", "IntegerType", "ShortType", "ByteType",
                "DoubleType", "FloatType", "StringType", "BooleanType",
                "DateType", "TimestampType", "BinaryType", "NullType",
                "DecimalType", "Row")},
            "pyspark.sql.utils": {"AnalysisException": fs.AnalysisException,
                                  "ParseException": fs.ParseException},
            "pyspark.errors": {"AnalysisException": fs.AnalysisException,
                               "ParseException": fs.ParseException},
            "py4j": {},
            "py4j.protocol": {"Py4JJavaError": fs.Py4JJavaError},
        }
        mods = {}
        for name, attrs in specs.items():
            mod = types.ModuleType(name)
            mod.__dict__.update(attrs)
            mods[name] = mod
        for name, mod in mods.items():
            if "." in name:
                parent, _, leaf = name.rpartition(".")
                setattr(mods[parent], leaf, mod)
        return mods

    def _import(self, name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0:
            if name == "time":
                return self.time_module
            if name == "sys":
                return self.sys_module
            top = name.split(".")[0]
            if top in ("pyspark", "py4j"):
                if name not in self.modules:
                    raise ModuleNotFoundError("No module named '%s'" % name,
                                              name=name)
                return self.modules[name] if fromlist else self.modules[top]
        return builtins.__import__(name, globals, locals, fromlist, level)

    # -- tracing, for prompt cancellation of pure-Python loops
    def _trace_call(self, frame, event, arg):
        if frame.f_code.co_filename == "<stdin>":
            return self._trace_line
        return None

    def _trace_line(self, frame, event, arg):
        if event in ("line", "opcode") and self.ctrl is not None:
            self.ctrl.check()
        return self._trace_line

    def _interrupt_frames(self, thread_id):
        """Called from another thread on cancel/stop: a loop that stays on
        one line gets no more line events, so switch the running <stdin>
        frames to per-opcode events, which reach ctrl.check() at once."""
        frame = sys._current_frames().get(thread_id)
        while frame is not None:
            if frame.f_code.co_filename == "<stdin>":
                frame.f_trace = self._trace_line
                frame.f_trace_opcodes = True
            frame = frame.f_back

    # -- execution
    def _parse(self, code):
        """Return a list of ('code', ast.Module) and ('magic', line) nodes."""
        try:
            return [("code", ast.parse(code, "<stdin>", "exec"))]
        except SyntaxError:
            chunks, normal = [], []
            for line in code.rstrip().split("\n"):
                if line.startswith("%"):
                    if normal:
                        chunks.append("\n".join(normal))
                        normal = []
                    chunks.append(line)
                else:
                    normal.append(line)
            if normal:
                chunks.append("\n".join(normal))
            if not any(c.startswith("%") for c in chunks):
                raise
            return [("magic", c) if c.startswith("%")
                    else ("code", ast.parse(c, "<stdin>", "exec"))
                    for c in chunks]

    def _run_module(self, tree):
        body = tree.body
        for i, node in enumerate(body):
            if i == len(body) - 1:
                node = _DisplayTransformer().visit(node)
            mod = ast.Module(body=[node], type_ignores=[])
            ast.fix_missing_locations(mod)
            exec(compile(mod, "<stdin>", "exec"), self.globals)

    def _format_error(self, exc):
        frames = traceback.extract_tb(exc.__traceback__)
        for i, fr in enumerate(frames):
            if fr.filename == "<stdin>" and fr.name == "<module>":
                frames = frames[i + 1:]
                break
        frames = traceback.StackSummary.from_list(
            [fr for fr in frames if fr.filename not in _OWN_FILES])
        return (["Traceback (most recent call last):\n"] + frames.format()
                + traceback.format_exception_only(type(exc), exc))

    def execute(self, code, count, ctrl):
        self.ctrl = ctrl
        self.rt.capture = self.stdout
        tid = threading.get_ident()
        if ctrl is not None:
            ctrl.interrupt_hook = lambda: self._interrupt_frames(tid)
        try:
            return self._execute(code, count, ctrl)
        finally:
            if ctrl is not None:
                ctrl.interrupt_hook = None
            self.ctrl = None

    def _execute(self, code, count, ctrl):
        try:
            nodes = self._parse(code)
        except SyntaxError as exc:
            return error_output(count, type(exc).__name__, str(exc),
                                traceback.format_exception_only(type(exc), exc))
        result = None
        for kind, node in nodes:
            if kind == "magic":
                try:
                    result = self._magic(node)
                except _MagicError as exc:
                    return error_output(count, exc.ename, exc.evalue, exc.tb)
                continue
            result = None
            # Traced even when uninterruptible: a stopped session must be
            # able to end a busy loop (check() then ignores cancels).
            sys.settrace(self._trace_call)
            try:
                self._run_module(node)
            except SessionStopped:
                raise
            except BaseException as exc:  # user code: everything is reported
                return error_output(count, type(exc).__name__, str(exc),
                                    self._format_error(exc))
            finally:
                sys.settrace(None)
        data = dict(result or {})
        text = data.pop("text/plain", "") + self.stdout.getvalue() + \
            self.stderr.getvalue()
        self.stdout.seek(0)
        self.stdout.truncate(0)
        self.stderr.seek(0)
        self.stderr.truncate(0)
        text = text.rstrip()
        if text or not data:
            data["text/plain"] = text
        return ok_output(count, data)

    # -- magics
    def _lookup(self, name):
        try:
            return self.globals[name]
        except KeyError as exc:
            raise _only(exc) from None

    def _magic(self, line):
        parts = line[1:].split(" ", 1)
        magic = parts[0]
        arg = parts[1].strip() if len(parts) > 1 else ""
        if not magic:
            raise _only(UnknownMagic("magic command not specified"))
        handler = {"json": self._magic_json, "table": self._magic_table,
                   "matplot": self._magic_matplot}.get(magic)
        if handler is None:
            raise _only(UnknownMagic("unknown magic command '%s'" % magic))
        return handler(arg)

    def _magic_json(self, name):
        value = self._lookup(name)
        try:
            return {"application/json": _jsonable(value)}
        except TypeError as exc:
            raise _only(exc) from None

    def _magic_table(self, name):
        value = self._lookup(name)
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise _only(ValueError("value must be a list"))
        headers, data = {}, []
        try:
            for row in value:
                if isinstance(row, fake_spark.Row) and row._names is not None:
                    row = row.asDict()
                if not isinstance(row, (list, tuple, dict)):
                    row = [row]
                items = sorted(row.items()) if isinstance(row, dict) \
                    else list(enumerate(row))
                cells = []
                for key, cell in items:
                    ctype = _table_type(cell)
                    header = headers.get(key)
                    if header is None:
                        headers[key] = {"name": str(key), "type": ctype}
                    elif ctype != "NULL_TYPE" and header["type"] != ctype:
                        if header["type"] != "NULL_TYPE":
                            raise _MagicError(
                                "Exception", "table rows have different types",
                                ["Exception: table rows have different types\n"])
                        header["type"] = ctype
                    cells.append(_jsonable(cell))
                data.append(cells)
            ordered = [headers[k] for k in sorted(headers, key=lambda k: (
                str(type(k)), k))]
        except (ValueError, TypeError) as exc:
            raise _only(exc) from None
        return {"application/vnd.livy.table.v1+json":
                {"headers": ordered, "data": data}}

    def _magic_matplot(self, name):
        value = self._lookup(name)
        try:
            fig = value.gcf() if hasattr(value, "gcf") else value
            if not hasattr(fig, "savefig"):
                raise AttributeError("'%s' object has no attribute 'savefig'"
                                     % type(fig).__name__)
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            png = buf.getvalue()
        except SessionStopped:
            raise
        except Exception as exc:
            raise _only(exc) from None
        if not png.startswith(b"\x89PNG\r\n\x1a\n"):
            png = tiny_png(seed=sum(name.encode()) % 256)
        return {"image/png": base64.b64encode(png).decode("ascii"),
                "text/plain": ""}


# ---------------------------------------------------------------------------
# SQL.

_JAVA_FRAMES = [
    "org.apache.spark.sql.SparkSession.$anonfun$sql$2(SparkSession.scala:638)",
    "org.apache.spark.sql.SparkSession.sql(SparkSession.scala:629)",
    "org.apache.livy.repl.SQLInterpreter.execute(SQLInterpreter.scala:85)",
    "org.apache.livy.repl.Session.$anonfun$executeCode$1(Session.scala:341)",
    "java.base/java.lang.Thread.run(Thread.java:840)",
]


class SqlInterpreter:
    def __init__(self, runtime):
        self.rt = runtime

    def execute(self, code, count, ctrl):
        try:
            schema, rows = self.rt.engine.run(code)
        except fake_spark.AnalysisException as exc:
            return error_output(count, "Error", str(exc), _JAVA_FRAMES)
        rows = rows[:self.rt.sql_num_rows]
        return ok_output(count, {"application/json": {
            "schema": schema.jsonValue(),
            "data": [[fake_spark.sql_json_value(v) for v in r] for r in rows]}})


# ---------------------------------------------------------------------------
# Scala subset.

class _ScalaError(Exception):
    def __init__(self, lines):
        super().__init__(lines[0])
        self.lines = lines


class _Unsupported(Exception):
    pass


def split_scala(code):
    """Split Scala code into statements at new lines and `;` outside strings."""
    out, cur, i, n = [], [], 0, len(code)
    while i < n:
        if code.startswith('"""', i):
            end = code.find('"""', i + 3)
            if end < 0:
                raise _Unsupported()
            cur.append(code[i:end + 3])
            i = end + 3
            continue
        ch = code[i]
        if ch == '"':
            j = i + 1
            while j < n and code[j] != '"':
                if code[j] == "\n":
                    raise _Unsupported()
                j += 2 if code[j] == "\\" else 1
            if j >= n:
                raise _Unsupported()
            cur.append(code[i:j + 1])
            i = j + 1
            continue
        if code.startswith("//", i):
            while i < n and code[i] != "\n":
                i += 1
            continue
        if ch in "\n;":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur))
    return [s.strip() for s in out if s.strip()]


_LIT = r'(?:"""(?:.*?)"""|"(?:[^"\\]|\\.)*")'
_SCALA_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r",
                  "'": "'", "b": "\b", "f": "\f"}


def _literal(text):
    if text.startswith('"""'):
        return text[3:-3]
    return re.sub(r"\\(.)", lambda m: _SCALA_ESCAPES.get(m.group(1),
                                                          m.group(0)),
                  text[1:-1])


def _wrap32(v):
    return (v + 2 ** 31) % 2 ** 32 - 2 ** 31


class ScalaInterpreter:
    """The documented regex subset of Scala (see the module docstring)."""

    _DF_BASE = re.compile(r'^(?:spark\.sql\(\s*(?P<q>%s)\s*\)'
                          r'|spark\.table\(\s*(?P<t>"\w+")\s*\)'
                          r'|(?P<v>[A-Za-z_]\w*))' % _LIT, re.S)
    _DF_STEP = re.compile(r'^\.(?:limit\(\s*(?P<lim>\d+)\s*\)'
                          r'|sample\(\s*(?P<rep>false|true)\s*,\s*'
                          r'(?P<frac>\d+(?:\.\d+)?)\s*(?:,\s*(?P<seed>\d+)L?\s*)?\))')
    _SHOW = re.compile(r'^\.show(?:\(\s*(?P<a>[^,)]*?)\s*(?:,\s*(?P<b>[^)]*?)\s*)?\))?$')
    _JSON = re.compile(r'^\.toJSON\.(?:take\(\s*(?P<n>\d+)\s*\)|collect(?:\(\))?)'
                       r'\.foreach\(\s*println\s*\)$')

    def __init__(self, runtime):
        self.rt = runtime
        self.vals = {}
        self.res = 0

    def execute(self, code, count, ctrl):
        try:
            actions = [self._compile(s) for s in split_scala(code)]
        except _Unsupported:
            return not_supported(count, code)
        out = []
        self.rt.capture = _ListWriter(out)
        try:
            for act in actions:
                act(ctrl, out)
        except _ScalaError as exc:
            return error_output(count, "Error", exc.lines[0], exc.lines[1:])
        except Py4JJavaError as exc:
            msg = str(exc).split("\n: ", 1)[-1]
            return error_output(count, "Error", msg,
                                ["  at org.apache.spark.scheduler.DAGScheduler"
                                 ".failJobAndIndependentStages(DAGScheduler.scala:2844)",
                                 "  ... 47 elided"])
        return ok_output(count, {"text/plain": "".join(out)})

    # -- utilities
    def _echo(self, out, name, tpe, value):
        if name is None:
            name = "res%d" % self.res
            self.res += 1
        out.append("%s: %s = %s\n" % (name, tpe, value))

    def _int_expr(self, text):
        """Return a function computing an Int expression, or None."""
        if not re.match(r"^[\w\s+\-*/%()]+$", text) or \
                not re.search(r"[\d\w]", text):
            return None
        try:
            tree = ast.parse(text, mode="eval").body
        except SyntaxError:
            return None

        def check(node):
            if isinstance(node, ast.Constant):
                return isinstance(node.value, int) and not isinstance(node.value, bool)
            if isinstance(node, ast.Name):
                return True
            if isinstance(node, ast.UnaryOp):
                return isinstance(node.op, (ast.USub, ast.UAdd)) and check(node.operand)
            if isinstance(node, ast.BinOp):
                return isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div,
                                            ast.Mod)) and check(node.left) \
                    and check(node.right)
            return False
        if not check(tree):
            return None

        def ev(node):
            if isinstance(node, ast.Constant):
                if node.value > 2 ** 31 - 1:
                    raise _ScalaError(["<console>:1: error: integer number too "
                                       "large"])
                return node.value
            if isinstance(node, ast.Name):
                v = self._val(node.id)
                if not isinstance(v, int):
                    raise _ScalaError(["<console>:24: error: type mismatch;",
                                       " found   : %s" % self._type(v),
                                       " required: Int"])
                return v
            if isinstance(node, ast.UnaryOp):
                v = ev(node.operand)
                return _wrap32(-v) if isinstance(node.op, ast.USub) else v
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Add):
                return _wrap32(a + b)
            if isinstance(node.op, ast.Sub):
                return _wrap32(a - b)
            if isinstance(node.op, ast.Mult):
                return _wrap32(a * b)
            if b == 0:
                raise _ScalaError(["java.lang.ArithmeticException: / by zero",
                                   "  ... 32 elided"])
            q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
            return _wrap32(q) if isinstance(node.op, ast.Div) else _wrap32(a - q * b)
        return lambda: ev(tree)

    def _val(self, name):
        if name in self.vals:
            return self.vals[name]
        raise _ScalaError(["<console>:24: error: not found: value %s" % name,
                           "       %s" % name, "       ^"])

    @staticmethod
    def _type(v):
        if isinstance(v, fake_spark.DataFrame):
            return "org.apache.spark.sql.DataFrame"
        return "Int" if isinstance(v, int) else "String"

    @staticmethod
    def _show(v):
        if isinstance(v, fake_spark.DataFrame):
            return "[%s]" % ", ".join("%s: %s" % d for d in v.dtypes)
        return str(v)

    def _sql(self, query):
        try:
            return self.rt.spark.sql(query)
        except fake_spark.AnalysisException as exc:
            name = "ParseException" if isinstance(exc, fake_spark.ParseException) \
                else "AnalysisException"
            pkg = "catalyst.parser" if name == "ParseException" else ""
            raise _ScalaError(["org.apache.spark.sql.%s%s: %s" % (
                pkg + "." if pkg else "", name, exc),
                "  at org.apache.spark.sql.Dataset$.ofRows(Dataset.scala:99)",
                "  ... 47 elided"]) from None

    def _df_expr(self, text):
        """Return (function -> DataFrame, rest of text) or None."""
        m = self._DF_BASE.match(text)
        if not m:
            return None
        if m.group("v") and m.group("v") in ("spark", "sc", "sqlContext",
                                             "println", "Thread"):
            return None
        steps, rest = [], text[m.end():]
        while True:
            s = self._DF_STEP.match(rest)
            if not s:
                break
            steps.append(s)
            rest = rest[s.end():]
        q, t, v = m.group("q"), m.group("t"), m.group("v")

        def build():
            if q is not None:
                df = self._sql(_literal(q))
            elif t is not None:
                df = self._sql("SELECT * FROM %s" % _literal(t))
            else:
                df = self._val(v)
                if not isinstance(df, fake_spark.DataFrame):
                    raise _ScalaError([
                        "<console>:24: error: value is not a member of %s"
                        % self._type(df)])
            for s in steps:
                if s.group("lim"):
                    df = df.limit(int(s.group("lim")))
                else:
                    seed = int(s.group("seed")) if s.group("seed") else None
                    df = df.sample(s.group("rep") == "true",
                                   float(s.group("frac")), seed)
            return df
        return build, rest

    def _compile(self, stmt):
        """Turn one statement into an action(ctrl, out); raise _Unsupported."""
        if stmt.startswith("import "):
            return lambda ctrl, out: out.append(stmt + "\n")
        m = re.match(r"^Thread\.sleep\(\s*(\d+)L?\s*\)$", stmt)
        if m:
            ms = int(m.group(1))
            return lambda ctrl, out: ctrl.wait(ms / 1000.0) if ctrl else \
                time.sleep(ms / 1000.0)
        m = re.match(r"^println\((.*)\)$", stmt, re.S)
        if m:
            arg = m.group(1).strip()
            if re.match(r"^%s$" % _LIT, arg, re.S):
                text = _literal(arg)
                return lambda ctrl, out: out.append(text + "\n")
            expr = self._int_expr(arg)
            if expr:
                return lambda ctrl, out: out.append("%d\n" % expr())
            raise _Unsupported()
        m = re.match(r"^(?:val|var)\s+([A-Za-z_]\w*)\s*(?::\s*[\w.]+\s*)?=\s*(.+)$",
                     stmt, re.S)
        if m:
            name, rhs = m.group(1), m.group(2).strip()
            value_fn = self._value(rhs)
            if value_fn is None:
                raise _Unsupported()

            def define(ctrl, out):
                v = value_fn()
                self.vals[name] = v
                self._echo(out, name, self._type(v), self._show(v))
            return define
        special = {
            "spark": ("org.apache.spark.sql.SparkSession",
                      "org.apache.spark.sql.SparkSession@%x" % (id(self.rt.spark) & 0xFFFFFFF)),
            "sc": ("org.apache.spark.SparkContext",
                   "org.apache.spark.SparkContext@%x" % (id(self.rt.sc) & 0xFFFFFFF)),
            "sqlContext": ("org.apache.spark.sql.SQLContext",
                           "org.apache.spark.sql.SQLContext@%x"
                           % (id(self.rt.sql_context) & 0xFFFFFFF)),
            "spark.version": ("String", fake_spark.SPARK_VERSION),
            "sc.version": ("String", fake_spark.SPARK_VERSION),
        }
        if stmt in special:
            tpe, shown = special[stmt]
            return lambda ctrl, out: self._echo(out, None, tpe, shown)
        df = self._df_expr(stmt)
        if df:
            build, rest = df
            return self._df_action(build, rest, stmt)
        value_fn = self._value(stmt)
        if value_fn is not None:
            def echo(ctrl, out):
                v = value_fn()
                self._echo(out, None, self._type(v), self._show(v))
            return echo
        raise _Unsupported()

    def _value(self, text):
        if re.match(r"^%s$" % _LIT, text, re.S):
            lit = _literal(text)
            return lambda: lit
        df = self._df_expr(text)
        if df and df[1] == "":
            return df[0]
        return self._int_expr(text)

    def _df_action(self, build, rest, stmt):
        if rest == "":
            if re.match(r"^[A-Za-z_]\w*$", stmt):
                def echo_val(ctrl, out):
                    v = self._val(stmt)
                    self._echo(out, None, self._type(v), self._show(v))
                return echo_val
            return lambda ctrl, out: self._echo(
                out, None, "org.apache.spark.sql.DataFrame", self._show(build()))
        m = self._SHOW.match(rest)
        if m:
            a, b = (m.group("a") or "").strip(), (m.group("b") or "").strip()
            n, trunc = 20, 20
            if a in ("true", "false"):
                trunc = 20 if a == "true" else 0
            elif a:
                if not a.isdigit():
                    raise _Unsupported()
                n = int(a)
            if b:
                if b in ("true", "false"):
                    trunc = 20 if b == "true" else 0
                elif b.isdigit():
                    trunc = int(b)
                else:
                    raise _Unsupported()

            def show(ctrl, out):
                df = build()
                out.append(fake_spark.show_string(df.columns, df._rows, n, trunc))
            return show
        m = self._JSON.match(rest)
        if m:
            limit = int(m.group("n")) if m.group("n") else None

            def to_json(ctrl, out):
                rdd = build().toJSON()
                for line in (rdd.take(limit) if limit is not None else rdd.collect()):
                    out.append(line + "\n")
            return to_json
        if re.match(r"^\.count(?:\(\))?$", rest):
            return lambda ctrl, out: self._echo(out, None, "Long", build().count())
        m = re.match(r'^\.createOrReplaceTempView\(\s*("\w+")\s*\)$', rest)
        if m:
            view = _literal(m.group(1))
            return lambda ctrl, out: build().createOrReplaceTempView(view)
        raise _Unsupported()

    # -- completion
    _MEMBERS = {
        "sc": ["accumulator", "addFile", "addJar", "appName", "applicationId",
               "broadcast", "cancelAllJobs", "cancelJobGroup", "defaultParallelism",
               "getConf", "hadoopConfiguration", "master", "parallelize", "range",
               "setJobGroup", "setLogLevel", "sparkUser", "stop", "textFile",
               "uiWebUrl", "union", "version", "wholeTextFiles"],
        "spark": ["catalog", "conf", "createDataFrame", "createDataset",
                  "emptyDataFrame", "implicits", "newSession", "range", "read",
                  "readStream", "sessionState", "sharedState", "sparkContext",
                  "sql", "sqlContext", "stop", "streams", "table", "udf",
                  "version"],
        "spark.read": ["csv", "format", "jdbc", "json", "load", "option",
                       "options", "orc", "parquet", "schema", "table", "text",
                       "textFile"],
        "DataFrame": ["agg", "cache", "collect", "columns", "count",
                      "createOrReplaceTempView", "createTempView", "describe",
                      "distinct", "drop", "dtypes", "filter", "first", "groupBy",
                      "head", "join", "limit", "orderBy", "persist", "printSchema",
                      "sample", "schema", "select", "show", "sort", "take",
                      "toDF", "toJSON", "union", "where", "withColumn", "write"],
    }
    _TOP = ["Thread", "print", "println", "sc", "spark", "sqlContext"]

    def complete(self, code, cursor):
        before = code[:max(0, min(cursor, len(code)))]
        m = re.search(r"((?:[A-Za-z_]\w*\.)*)([A-Za-z_]\w*)?$", before)
        receiver = (m.group(1) or "").rstrip(".")
        prefix = m.group(2) or ""
        if receiver:
            if receiver in self._MEMBERS:
                pool = self._MEMBERS[receiver]
            elif isinstance(self.vals.get(receiver), fake_spark.DataFrame):
                pool = self._MEMBERS["DataFrame"]
            else:
                return []
        else:
            if before.rstrip().endswith(")."):
                pool = self._MEMBERS["DataFrame"]
            else:
                pool = sorted(set(self._TOP) | set(self.vals))
        return sorted(c for c in pool if c.startswith(prefix))


class _ListWriter:
    def __init__(self, out):
        self._out = out

    def write(self, text):
        self._out.append(text)


# ---------------------------------------------------------------------------
# Runtime.

KINDS = ("pyspark", "spark", "sparkr", "sql")


class SessionRuntime:
    """Everything that lives in one fake Spark driver."""

    def __init__(self, app_name, conf=None, sql_num_rows=1000,
                 interruptible=True):
        self.engine = fake_spark.SqlEngine()
        self.sc = fake_spark.SparkContext(None, app_name, conf)
        self.spark = fake_spark.SparkSession(self.engine, self.sc, self._out)
        self.sql_context = fake_spark.SQLContext(self.spark)
        self.sql_num_rows = sql_num_rows
        self.interruptible = interruptible
        self.capture = io.StringIO()
        self.died = None            # stderr lines once the interpreter died
        self._interps = {}
        self._jobs = 0
        self._jobs_lock = threading.Lock()

    def _out(self, text):
        self.capture.write(text)

    def set_app_id(self, app_id):
        self.sc.applicationId = app_id

    def next_job_id(self):
        with self._jobs_lock:
            job = self._jobs
            self._jobs += 1
            return job

    def control(self, statement_id):
        return StatementControl(statement_id, self.next_job_id,
                                self.interruptible)

    def _interp(self, kind):
        if kind not in self._interps:
            cls = {"pyspark": PythonInterpreter, "sql": SqlInterpreter,
                   "spark": ScalaInterpreter}[kind]
            self._interps[kind] = cls(self)
        return self._interps[kind]

    def execute(self, kind, code, count, ctrl):
        """Run one statement; return its Livy output object.

        Raises SessionStopped if the session is stopped meanwhile.
        """
        if self.died is not None:
            return error_output(count, "Error", "Interpreter died:\n"
                                + "\n".join(self.died), [])
        if kind == "sparkr":
            return not_supported(count, code)
        try:
            return self._interp(kind).execute(code, count, ctrl)
        except Py4JJavaError as exc:
            return self.cancelled_output(kind, exc, count)

    def fake_job(self, ctrl, job, duration):
        ctrl.run_job(job, duration)

    @staticmethod
    def cancelled_output(kind, exc, count):
        """The output of a statement whose fake Spark job was cancelled."""
        if kind == "pyspark":
            return error_output(count, "Py4JJavaError", str(exc), [
                "Traceback (most recent call last):\n",
                "py4j.protocol.Py4JJavaError: %s\n" % exc])
        msg = str(exc).split("\n: ", 1)[-1]
        return error_output(count, "Error", msg, [
            "  at org.apache.spark.scheduler.DAGScheduler"
            ".failJobAndIndependentStages(DAGScheduler.scala:2844)",
            "  ... 47 elided"])

    def complete(self, kind, code, cursor):
        if kind == "spark":
            return self._interp("spark").complete(code, cursor)
        return []

    def close(self):
        self.engine.close()
