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

  Statements outside those forms are parsed with a small expression
  grammar (ScalaInterpreter._s_compile): `val x = <expr>`, `x += <expr>` on
  an ArrayBuffer, `while (<expr>) <statement>`, `println(<expr>)` and
  `<expr>`, where expressions are literals, vals, method chains over a
  fixed member table (_S_MEMBERS: DataFrame `schema`, `toJSON`, `take`,
  `collect`, `count`, `sample`, `limit`, `createOrReplaceTempView`;
  `schema.json`; `Seq(...)`/arrays with `mkString`, `length`, `take`,
  `toSeq`, `toDS`, `foreach(println)`; `spark.read.schema(DDL).json(ds)`,
  `spark.createDataset(seq)(Encoders.STRING)`; Jackson's
  `new ObjectMapper().readTree(s).elements()` with `hasNext`/`next()`/
  `toString`; `scala.collection.mutable.ArrayBuffer[String]()`;
  `toLong`), `new`, `if (c) a else b`, `+` (numbers, or string
  concatenation) `- * / %` and comparisons. New lines inside parentheses
  continue a statement; `{ ... }` and `val x = { ... }` are blocks whose
  vals end with them and whose last statement is their value. This is what
  Kindling's %%sql and %%send_to_spark -t df code for Scala sessions is
  made of. A member or name outside the tables rejects the cell.

  where a DataFrame expression is `spark.sql(Q)` with Q a string literal
  (plain or triple-quoted), `spark.table("t")` or a DataFrame val, optionally followed by
  `.limit(n)` and `.sample(false, f)`; an Int expression uses integer
  literals, Int vals, `+ - * / %` and parentheses with 32-bit wrap-around.
  Output is the REPL echo with its trailing newline. A cell containing any
  other statement is rejected before anything runs, with status error,
  ename `NotSupportedInTestServer` and the cell's code as evalue.
* sparkr: an R subset, parsed as a whole cell first (_RParser) and then
  evaluated statement by statement in a workspace kept for the session:

      statement := name <- expr | name = expr | expr
      expr      := literal ("s", 'single', 1.5, 10L, TRUE, FALSE, NULL, NA)
                 | name | f(arg, key = arg, ...) | pkg::f(...) | pkg:::f(...)
                 | expr$name | { statements } | if (expr) expr [else expr]
                 | -expr | !expr | expr (* / + - == != < > <= >= && ||) expr

  with f one of RInterpreter.builtins (base: print, cat, paste, paste0,
  sprintf, as.numeric, as.integer, as.character, nchar, length, c,
  character, invisible, assign, local, Sys.sleep; SparkR: sql, tableToDF,
  collect, take, head, limit, sample, count, nrow, ncol, names, colnames,
  columns, dtypes, schema, printSchema, showDF, createOrReplaceTempView,
  createDataFrame, as.DataFrame, data.frame, structType (a DDL string),
  select, alias, from_json, callJMethod (a schema's `json`), sparkR.version;
  jsonlite: toJSON with dataframe/na/digits/auto_unbox) and pkg SparkR,
  jsonlite or base. That covers what users type and the code Kindling
  generates for %%sql and %%send_to_spark. A top-level value is printed as
  R does (`[1] "x"`, `[1] 42`, data.frames with row numbers,
  `SparkDataFrame[a:bigint]`), except after an assignment or an invisible
  function (print, cat, assign, showDF, createOrReplaceTempView, ...);
  local() keeps the visibility of its last statement. Output is the
  captured text as is. R errors give ename `Error` and evalue R's message
  (`Error: object 'x' not found`, `Error in f(...) : ...`; SQL errors
  `Error: analysis error - ...` as SparkR words them), traceback `[]`. A
  cell with any other construct or function is rejected before it runs
  with `NotSupportedInTestServer`.

Cancellation: each statement has a StatementControl. Fake Spark jobs (the
server's statement delay) always stop when cancelled. Python, Scala and R code
stop at the next `time.sleep`/`Thread.sleep`/`Sys.sleep` or, for Python, the next line
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
import json
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
        code = frame.f_code
        if code.co_filename != "<stdin>":
            return None
        if code.co_name in ("<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"):
            # Per-row frames: line-tracing each one costs more than the row.
            # They are traced only once a cancel comes (_interrupt_frames).
            return None
        return self._trace_line

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
    """Split Scala code into statements at new lines and `;` outside strings
    and parentheses; `{` and `}` become items of their own (blocks)."""
    out, cur, i, n, depth = [], [], 0, len(code), 0
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
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch in "{}" and depth == 0:
            out.extend(["".join(cur), ch])
            cur = []
        elif ch in "\n;" and depth == 0:
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


# Scala expressions: the general part of the subset. Statements the regex
# forms below do not know are parsed with this small grammar (method chains
# over a fixed set of members, `new`, `if`/`else`, `+ - * / %`,
# comparisons), which is what Kindling's %%sql and %%send_to_spark code
# needs; a name or member outside the tables here rejects the cell.

_S_TOKEN = re.compile(r'''
    (?P<ws>\s+)
  | (?P<str>"""(?:.*?)"""|"(?:[^"\\\n]|\\.)*")
  | (?P<num>\d+(?:\.\d+)?[LlDd]?)
  | (?P<name>[A-Za-z_][\w$]*)
  | (?P<op>\+=|==|!=|>=|<=|&&|\|\||[.()\[\],+\-*/%<>!:=])
''', re.X | re.S)

# Members the subset runs, by receiver: (value type, member) is checked at
# run time; an unknown member name rejects the cell before it runs.
_S_MEMBERS = {
    "sql", "table", "read", "schema", "json", "createDataset", "toJSON", "take",
    "collect", "count", "sample", "limit", "createOrReplaceTempView", "length",
    "size", "mkString", "foreach", "toSeq", "toDS", "toLong", "toInt", "toString",
    "readTree", "elements", "hasNext", "next", "STRING", "columns", "version",
    "simpleString", "isEmpty",
}
_S_PACKAGES = {"scala", "org", "com", "java"}
_S_CLASSES = {
    "scala.collection.mutable.ArrayBuffer": "ArrayBuffer",
    "com.fasterxml.jackson.databind.ObjectMapper": "ObjectMapper",
    "org.apache.spark.sql.Encoders": "Encoders",
}


def _s_tokens(text):
    toks, pos = [], 0
    while pos < len(text):
        m = _S_TOKEN.match(text, pos)
        if not m:
            raise _Unsupported()
        pos = m.end()
        if m.lastgroup != "ws":
            toks.append((m.lastgroup, m.group(m.lastgroup)))
    toks.append(("eof", None))
    return toks


class _SParser:
    """expr := or; or/and/cmp/add/mul binary levels; unary `-`/`!`;
    postfix := primary ( `.name` | `[Type]` | `(args)` )*;
    primary := literal | name | `new` qualified `(args)` | `(` expr `)`
             | `if (` expr `)` expr `else` expr."""

    def __init__(self, text):
        self.toks, self.i = _s_tokens(text), 0

    def peek(self):
        return self.toks[self.i]

    def take(self, value=None):
        tok = self.toks[self.i]
        if value is not None and tok[1] != value:
            raise _Unsupported()
        self.i += 1
        return tok

    def at_end(self):
        return self.peek()[0] == "eof"

    def _binary(self, ops, sub):
        left = sub()
        while self.peek()[1] in ops and self.peek()[0] == "op":
            op = self.take()[1]
            left = ("binop", op, left, sub())
        return left

    def expr(self):
        return self._binary(("||",), lambda: self._binary(("&&",), self._cmp))

    def _cmp(self):
        return self._binary(("==", "!=", "<", ">", "<=", ">="), self._add)

    def _add(self):
        return self._binary(("+", "-"), self._mul)

    def _mul(self):
        return self._binary(("*", "/", "%"), self._unary)

    def _unary(self):
        if self.peek()[1] in ("-", "!") and self.peek()[0] == "op":
            return ("unary", self.take()[1], self._unary())
        return self._postfix()

    def args(self):
        self.take("(")
        out = []
        while self.peek()[1] != ")":
            out.append(self.expr())
            if self.peek()[1] == ",":
                self.take()
            elif self.peek()[1] != ")":
                raise _Unsupported()
        self.take(")")
        return out

    def _postfix(self):
        node = self._primary()
        while True:
            tok = self.peek()
            if tok[1] == "." and tok[0] == "op":
                self.take()
                name = self.take()
                if name[0] != "name":
                    raise _Unsupported()
                node = ("member", node, name[1])
            elif tok[1] == "[" and tok[0] == "op":
                self.take()
                if self.take()[0] != "name":
                    raise _Unsupported()
                self.take("]")
            elif tok[1] == "(" and tok[0] == "op":
                node = ("call", node, self.args())
            else:
                return node

    def _primary(self):
        kind, value = self.take()
        if kind == "str":
            return ("lit", _literal(value))
        if kind == "num":
            if value[-1] in "Dd" or "." in value:
                return ("lit", float(value.rstrip("Dd")))
            return ("lit", int(value.rstrip("Ll")))
        if value == "(" and kind == "op":
            node = self.expr()
            self.take(")")
            return node
        if kind != "name":
            raise _Unsupported()
        if value in ("true", "false"):
            return ("lit", value == "true")
        if value == "new":
            parts = [self.take()[1]]
            while self.peek()[1] == ".":
                self.take()
                parts.append(self.take()[1])
            cls = _S_CLASSES.get(".".join(parts))
            if cls is None:
                raise _Unsupported()
            return ("new", cls, self.args() if self.peek()[1] == "(" else [])
        if value == "if":
            self.take("(")
            cond = self.expr()
            self.take(")")
            then = self.expr()
            self.take("else")
            return ("if", cond, then, self.expr())
        return ("name", value)


def _s_check(node, known):
    """Reject a tree that uses a member or a root name the subset lacks."""
    if not isinstance(node, tuple):
        return
    if node[0] == "member":
        if node[2] not in _S_MEMBERS and not _s_path(node):
            raise _Unsupported()
    if node[0] == "name" and node[1] not in known and node[1] not in _S_PACKAGES:
        raise _Unsupported()
    for part in node[1:]:
        if isinstance(part, list):
            for item in part:
                _s_check(item, known)
        else:
            _s_check(part, known)


def _s_path(node):
    """The dotted path of a package/class reference (`scala.collection…`), or None."""
    if node[0] == "name":
        return node[1] if node[1] in _S_PACKAGES else None
    if node[0] == "member":
        base = _s_path(node[1])
        return base + "." + node[2] if base else None
    return None


class _SDataset(list):
    """A Dataset[String] (toJSON, createDataset)."""


class _SBuffer(list):
    """scala.collection.mutable.ArrayBuffer[String]."""


class _SJsonNode:
    def __init__(self, value):
        self.value = value


class _SIterator:
    def __init__(self, items):
        self.items, self.pos = list(items), 0


class _SReader:
    def __init__(self, schema=None):
        self.schema = schema


class _SPackage:
    def __init__(self, path):
        self.path = path


class _SDefined:
    """What a `val` statement gives back: the name to echo."""

    def __init__(self, name):
        self.name = name


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
            actions = self._compile_all(split_scala(code))
        except (_Unsupported, IndexError):
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

    # -- statements and blocks
    def _compile_all(self, items):
        """Top-level statements: the regex forms first, then the expression
        grammar; `{ ... }` and `val x = { ... }` are blocks, whose last
        statement gives their value (their own vals end with them)."""
        known = set(self._S_ROOTS) | set(self.vals)
        actions, i = [], 0
        while i < len(items):
            item = items[i]
            head = re.match(r"^(?:val|var)\s+([A-Za-z_]\w*)\s*(?::\s*[\w.\[\]]+\s*)?=$", item)
            if item == "{" or (head and i + 1 < len(items) and items[i + 1] == "{"):
                start = i if item == "{" else i + 1
                end = self._block_end(items, start)
                block = self._compile_block(items[start + 1:end], set(known))
                if head:
                    known.add(head.group(1))
                actions.append(self._block_action(block, head.group(1) if head else None))
                i = end + 1
                continue
            if item == "}":
                raise _Unsupported()
            try:
                actions.append(self._compile(item))
                m = re.match(r"^(?:val|var)\s+([A-Za-z_]\w*)", item)
                if m:
                    known.add(m.group(1))
            except _Unsupported:
                run = self._s_compile(item, known)
                actions.append(self._block_action(lambda ctrl, out, run=run: run(ctrl, out),
                                                  None))
            i += 1
        return actions

    @staticmethod
    def _block_end(items, start):
        depth = 0
        for j in range(start, len(items)):
            depth += {"{": 1, "}": -1}.get(items[j], 0)
            if depth == 0:
                return j
        raise _Unsupported()

    def _compile_block(self, items, known):
        runs, i = [], 0
        while i < len(items):
            item = items[i]
            head = re.match(r"^(?:val|var)\s+([A-Za-z_]\w*)\s*(?::\s*[\w.\[\]]+\s*)?=$", item)
            if item == "{" or (head and i + 1 < len(items) and items[i + 1] == "{"):
                start = i if item == "{" else i + 1
                end = self._block_end(items, start)
                inner = self._compile_block(items[start + 1:end], set(known))
                if head:
                    known.add(head.group(1))

                    def define(ctrl, out, inner=inner, name=head.group(1)):
                        self.vals[name] = inner(ctrl, out)
                        return _SDefined(name)
                    runs.append(define)
                else:
                    runs.append(inner)
                i = end + 1
                continue
            if item == "}":
                raise _Unsupported()
            runs.append(self._s_compile(item, known))
            i += 1

        def block(ctrl, out):
            saved = dict(self.vals)
            value = None
            try:
                for run in runs:
                    if ctrl is not None:
                        ctrl.check()
                    value = run(ctrl, out)
            finally:
                self.vals = saved
            return None if isinstance(value, _SDefined) else value
        return block

    def _block_action(self, run, name):
        def action(ctrl, out):
            value = run(ctrl, out)
            if isinstance(value, _SDefined):
                v = self.vals[value.name]
                self._echo(out, value.name, self._type(v), self._show(v))
            elif name is not None:
                self.vals[name] = value
                self._echo(out, name, self._type(value), self._show(value))
            elif value is not None:
                self._echo(out, None, self._type(value), self._show(value))
        return action

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
        if isinstance(v, bool):
            return "Boolean"
        if isinstance(v, float):
            return "Double"
        if isinstance(v, _SDataset):
            return "org.apache.spark.sql.Dataset[String]"
        if isinstance(v, _SBuffer):
            return "scala.collection.mutable.ArrayBuffer[String]"
        if isinstance(v, list):
            return "Array[String]"
        if isinstance(v, fake_spark.StructType):
            return "org.apache.spark.sql.types.StructType"
        return "Int" if isinstance(v, int) else "String"

    def _show(self, v):
        if isinstance(v, fake_spark.DataFrame):
            return "[%s]" % ", ".join("%s: %s" % d for d in v.dtypes)
        if isinstance(v, _SDataset):
            return "[value: string]"
        if isinstance(v, _SBuffer):
            return "ArrayBuffer(%s)" % ", ".join(self._s_str(x) for x in v)
        if isinstance(v, list):
            return "Array(%s)" % ", ".join(self._s_str(x) for x in v)
        if isinstance(v, (bool, float, fake_spark.StructType)):
            return self._s_str(v)
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

    # -- the general expression grammar (_SParser)
    _S_ROOTS = ("spark", "sc", "println", "Seq", "Array")

    def _s_compile(self, stmt, known):
        """One statement of the expression grammar -> run(ctrl, out) -> value
        (None for Unit); `known` holds the val names defined so far."""
        p = _SParser(stmt)
        tok = p.peek()
        if tok == ("name", "while"):
            p.take()
            p.take("(")
            cond = p.expr()
            p.take(")")
            body = self._s_simple(p, known)
            _s_check(cond, known)

            def loop(ctrl, out):
                while self._s_truth(self._s_eval(cond, ctrl, out)):
                    if ctrl is not None:
                        ctrl.check()
                    body(ctrl, out)
            return loop
        if tok[1] in ("val", "var") and tok[0] == "name":
            p.take()
            name = p.take()
            if name[0] != "name":
                raise _Unsupported()
            if p.peek()[1] == ":":
                p.take()
                while p.peek()[1] != "=" and not p.at_end():
                    p.take()
            p.take("=")
            expr = p.expr()
            if not p.at_end():
                raise _Unsupported()
            _s_check(expr, known)
            known.add(name[1])

            def define(ctrl, out):
                self.vals[name[1]] = self._s_eval(expr, ctrl, out)
                return _SDefined(name[1])
            return define
        return self._s_simple(p, known)

    def _s_simple(self, p, known):
        tok = p.peek()
        if tok[0] == "name" and p.toks[p.i + 1][1] == "+=":
            p.take()
            p.take()
            expr = p.expr()
            if not p.at_end():
                raise _Unsupported()
            _s_check(expr, known)
            if tok[1] not in known:
                raise _Unsupported()

            def append(ctrl, out):
                buf = self._val(tok[1])
                if not isinstance(buf, _SBuffer):
                    raise _ScalaError(["<console>:24: error: value += is not a member of %s"
                                       % self._type(buf)])
                buf.append(self._s_eval(expr, ctrl, out))
            return append
        expr = p.expr()
        if not p.at_end():
            raise _Unsupported()
        _s_check(expr, known)
        return lambda ctrl, out: self._s_eval(expr, ctrl, out)

    @staticmethod
    def _s_truth(v):
        if not isinstance(v, bool):
            raise _ScalaError(["<console>:24: error: type mismatch;",
                               " found   : %s" % type(v).__name__, " required: Boolean"])
        return v

    def _s_str(self, v):
        """Scala's toString, for `+` and println."""
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return fake_spark.java_double_str(v)
        if isinstance(v, str):
            return v
        if isinstance(v, _SJsonNode):
            return json.dumps(v.value, ensure_ascii=False, separators=(",", ":"))
        if isinstance(v, fake_spark.DataFrame):
            return self._show(v)
        if isinstance(v, fake_spark.StructType):
            return "StructType(%s)" % ",".join(
                "StructField(%s,%s,%s)" % (f.name, f.dataType.simpleString(),
                                           str(f.nullable).lower()) for f in v.fields)
        if v is None:
            return "()"
        return str(v)

    def _s_eval(self, node, ctrl, out):
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "name":
            name = node[1]
            if name in self.vals:
                return self.vals[name]
            if name in _S_PACKAGES:
                return _SPackage(name)
            if name == "spark":
                return self.rt.spark
            if name == "sc":
                return self.rt.sc
            return self._val(name)
        if kind == "new":
            args = [self._s_eval(a, ctrl, out) for a in node[2]]
            if node[1] == "ObjectMapper" and not args:
                return _SPackage("ObjectMapper")
            raise _ScalaError(["<console>:24: error: too many arguments for constructor"])
        if kind == "if":
            if self._s_truth(self._s_eval(node[1], ctrl, out)):
                return self._s_eval(node[2], ctrl, out)
            return self._s_eval(node[3], ctrl, out)
        if kind == "unary":
            v = self._s_eval(node[2], ctrl, out)
            return (not self._s_truth(v)) if node[1] == "!" else -v
        if kind == "binop":
            return self._s_binop(node[1], self._s_eval(node[2], ctrl, out),
                                 self._s_eval(node[3], ctrl, out))
        if kind == "member":
            path = _s_path(node)
            if path:
                cls = _S_CLASSES.get(path)
                return _SPackage(cls or path)
            return self._s_member(self._s_eval(node[1], ctrl, out), node[2], None)
        if kind == "call":
            fn, args = node[1], node[2]
            if fn == ("name", "println"):
                if len(args) > 1:
                    raise _ScalaError(["<console>:24: error: too many arguments for println"])
                out.append((self._s_str(self._s_eval(args[0], ctrl, out)) if args else "")
                           + "\n")
                return None
            if fn[0] == "name" and fn[1] in ("Seq", "Array") and fn[1] not in self.vals:
                return [self._s_eval(a, ctrl, out) for a in args]
            if fn[0] == "member" and fn[2] == "foreach" and args == [("name", "println")]:
                items = self._s_eval(fn[1], ctrl, out)
                if not isinstance(items, list):
                    raise _ScalaError(["<console>:24: error: value foreach is not a member "
                                       "of %s" % self._type(items)])
                out.extend(self._s_str(x) + "\n" for x in items)
                return None
            values = [self._s_eval(a, ctrl, out) for a in args]
            if fn[0] == "member" and not _s_path(fn):
                return self._s_member(self._s_eval(fn[1], ctrl, out), fn[2], values)
            target = self._s_eval(fn, ctrl, out)
            return self._s_apply(target, values)
        raise _Unsupported()

    def _s_binop(self, op, a, b):
        if op == "+" and (isinstance(a, str) or isinstance(b, str)):
            return self._s_str(a) + self._s_str(b)
        if op in ("==", "!="):
            return (a == b) if op == "==" else (a != b)
        if op in ("&&", "||"):
            return (self._s_truth(a) and self._s_truth(b)) if op == "&&" \
                else (self._s_truth(a) or self._s_truth(b))
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
            raise _ScalaError(["<console>:24: error: value %s is not a member of %s"
                               % (op, self._type(a))])
        if op in ("<", ">", "<=", ">="):
            return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        if op in ("/", "%") and b == 0 and isinstance(b, int):
            raise _ScalaError(["java.lang.ArithmeticException: / by zero", "  ... 32 elided"])
        if op == "/":
            return a / b if isinstance(a, float) or isinstance(b, float) else int(a / b)
        if op == "%":
            return a - b * int(a / b) if isinstance(a, int) and isinstance(b, int) else a % b
        return {"+": a + b, "-": a - b, "*": a * b}[op]

    def _s_apply(self, target, args):
        """target(args): a class made with [Type]() or a Dataset given its encoder."""
        if isinstance(target, _SPackage) and target.path == "ArrayBuffer":
            return _SBuffer(args)
        if isinstance(target, _SDataset) and len(args) == 1 and \
                isinstance(args[0], _SPackage) and \
                args[0].path.endswith("Encoders.STRING"):
            return target
        raise _ScalaError(["<console>:24: error: %s does not take parameters"
                           % type(target).__name__])

    def _s_member(self, obj, name, args):
        """obj.name or obj.name(args) (args None without parentheses)."""
        a = args or []

        def nargs(*allowed):
            if len(a) not in allowed:
                raise _ScalaError(["<console>:24: error: wrong number of arguments for "
                                   "method %s" % name])
        df = fake_spark.DataFrame
        if isinstance(obj, fake_spark.SparkSession):
            if name == "sql":
                nargs(1)
                return self._sql(a[0])
            if name == "table":
                nargs(1)
                return self._sql("SELECT * FROM %s" % a[0])
            if name == "read" and args is None:
                return _SReader()
            if name == "createDataset":
                nargs(1)
                return _SDataset(self._s_str(x) for x in a[0])
            if name == "version" and args is None:
                return obj.version
        elif isinstance(obj, _SReader):
            if name == "schema":
                nargs(1)
                try:
                    return _SReader(fake_spark.parse_ddl_schema(a[0]))
                except fake_spark.AnalysisException as exc:
                    raise _ScalaError(["org.apache.spark.sql.catalyst.parser.ParseException: "
                                       "%s" % exc]) from None
            if name == "json":
                nargs(1)
                if not isinstance(a[0], (_SDataset, list)):
                    raise _ScalaError(["<console>:24: error: overloaded method json with "
                                       "alternatives cannot be applied"])
                return self.rt.spark._from_json_lines(list(a[0]), obj.schema)
        elif isinstance(obj, df):
            if name == "schema" and args is None:
                return obj.schema
            if name == "toJSON" and args is None:
                return _SDataset(obj.toJSON().collect())
            if name in ("count", "collect", "take", "limit", "sample", "columns", "isEmpty",
                        "createOrReplaceTempView"):
                if name == "count":
                    return obj.count()
                if name == "isEmpty":
                    return obj.isEmpty()
                if name == "columns":
                    return list(obj.columns)
                if name == "collect":
                    return [self._s_str(r) for r in obj.collect()]
                if name == "take":
                    nargs(1)
                    return [self._s_str(r) for r in obj.take(a[0])]
                if name == "limit":
                    nargs(1)
                    return obj.limit(a[0])
                if name == "createOrReplaceTempView":
                    nargs(1)
                    obj.createOrReplaceTempView(a[0])
                    return None
                nargs(2, 3)
                return obj.sample(a[0], float(a[1]), a[2] if len(a) > 2 else None)
        elif isinstance(obj, fake_spark.StructType):
            if name in ("json", "simpleString") and not a:
                return obj.json() if name == "json" else obj.simpleString()
        elif isinstance(obj, _SIterator):
            if name == "hasNext" and not a:
                return obj.pos < len(obj.items)
            if name == "next" and not a:
                if obj.pos >= len(obj.items):
                    raise _ScalaError(["java.util.NoSuchElementException"])
                obj.pos += 1
                return obj.items[obj.pos - 1]
        elif isinstance(obj, _SJsonNode):
            if name == "elements" and not a:
                v = obj.value
                items = v if isinstance(v, list) else list(v.values()) \
                    if isinstance(v, dict) else []
                return _SIterator(_SJsonNode(x) for x in items)
            if name == "toString" and not a:
                return self._s_str(obj)
            if name == "size" and not a:
                return len(obj.value) if isinstance(obj.value, (list, dict)) else 0
        elif isinstance(obj, _SPackage) and obj.path == "ObjectMapper":
            if name == "readTree":
                nargs(1)
                try:
                    return _SJsonNode(json.loads(a[0]))
                except (TypeError, ValueError) as exc:
                    raise _ScalaError(["com.fasterxml.jackson.core.JsonParseException: %s"
                                       % exc]) from None
        elif isinstance(obj, list):     # Seq, Array, ArrayBuffer, Dataset[String]
            if name in ("length", "size", "count") and not a:
                return len(obj)
            if name == "take":
                nargs(1)
                return type(obj)(obj[:max(0, a[0])]) if isinstance(obj, _SDataset) \
                    else obj[:max(0, a[0])]
            if name == "collect" and not a:
                return list(obj)
            if name == "mkString":
                nargs(0, 1, 3)
                if len(a) == 3:
                    return a[0] + a[1].join(self._s_str(x) for x in obj) + a[2]
                return (a[0] if a else "").join(self._s_str(x) for x in obj)
            if name == "toSeq" and args is None:
                return list(obj)
            if name == "toDS":
                return _SDataset(self._s_str(x) for x in obj)
            if name == "isEmpty" and not a:
                return not obj
            if name == "foreach" and args is not None:
                raise _Unsupported()
        elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
            if name == "toLong" and not a:
                return int(obj)
            if name == "toInt" and not a:
                return _wrap32(int(obj))
            if name == "toString" and not a:
                return self._s_str(obj)
        elif isinstance(obj, str) and name in ("length", "toString") and not a:
            return len(obj) if name == "length" else obj
        raise _ScalaError(["<console>:24: error: value %s is not a member of %s"
                           % (name, self._type(obj))])

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
# R subset (sparkr).
#
# A tokenizer, a recursive-descent parser for a small R grammar and an
# evaluator over the session's fake Spark. The grammar (see the module
# docstring) is checked for the whole cell before anything runs: a construct
# or a function outside it rejects the cell with NotSupportedInTestServer.

class _RError(Exception):
    """An R condition: `Error in <call> : <msg>` (or `Error: <msg>`)."""

    def __init__(self, msg, call=None):
        super().__init__(msg)
        self.msg, self.call = msg, call

    def text(self):
        return ("Error in %s : %s" % (self.call, self.msg)) if self.call \
            else "Error: %s" % self.msg


_R_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r]+) | (?P<comment>\#[^\n]*) | (?P<nl>\n)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?L?)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>(?:[A-Za-z]|\.(?!\d))[\w.]*)
  | (?P<op>:::|::|<-|<=|>=|==|!=|&&|\|\||[-+*/<>=!$(){},;])
""", re.X | re.S)

_R_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", '"': '"', "'": "'",
              "\\": "\\", "b": "\b", "f": "\f", "/": "/"}


def _r_unquote(text):
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "u":
            m = re.match(r"[0-9A-Fa-f]{1,4}", body[i + 2:])
            if not m:
                raise _Unsupported()
            out.append(chr(int(m.group(0), 16)))
            i += 2 + len(m.group(0))
            continue
        if nxt not in _R_ESCAPES:
            raise _Unsupported()
        out.append(_R_ESCAPES[nxt])
        i += 2
    return "".join(out)


def _r_tokens(code):
    toks, pos = [], 0
    while pos < len(code):
        m = _R_TOKEN.match(code, pos)
        if not m:
            raise _Unsupported()
        pos = m.end()
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        toks.append((kind, m.group(kind)))
    toks.append(("eof", None))
    return toks


class _RParser:
    """Statements: `name <- expr`, `name = expr`, `expr`. Expressions:
    literals (strings, numbers, `10L`, TRUE/FALSE, NULL, NA), names,
    calls `f(a, k = v)` (f a name or `pkg::f` / `pkg:::f`), `x$field`,
    `{ ... }`, `if (c) a else b`, unary `-`/`!`, `* /`, `+ -`,
    comparisons, `&&`, `||`. New lines end statements except inside
    parentheses and after an operator or comma."""

    def __init__(self, code):
        self.toks = _r_tokens(code)
        self.i = 0
        self.depth = 0          # open parentheses: new lines do not count

    def peek(self):
        while self.depth and self.toks[self.i][0] == "nl":
            self.i += 1
        return self.toks[self.i]

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise _Unsupported()
        self.i += 1
        return tok

    def skip_nl(self):
        while self.toks[self.i][0] == "nl" or self.toks[self.i][1] == ";":
            self.i += 1

    def program(self):
        stmts = []
        self.skip_nl()
        while self.peek()[0] != "eof":
            stmts.append(self.statement())
            if self.peek()[0] not in ("nl", "eof") and self.peek()[1] != ";":
                raise _Unsupported()
            self.skip_nl()
        return stmts

    def statement(self):
        tok, nxt = self.toks[self.i], self.toks[self.i + 1]
        if tok[0] == "name" and nxt[1] in ("<-", "="):
            self.i += 2
            self._operand_nl()
            return ("assign", tok[1], self.expr())
        return self.expr()

    def _operand_nl(self):
        while self.toks[self.i][0] == "nl":
            self.i += 1

    def _binary(self, ops, sub):
        left = sub()
        while self.peek()[1] in ops:
            op = self.take()[1]
            self._operand_nl()
            left = ("binop", op, left, sub())
        return left

    def expr(self):
        return self._binary(("||",), self._and)

    def _and(self):
        return self._binary(("&&",), self._cmp)

    def _cmp(self):
        return self._binary(("==", "!=", "<", ">", "<=", ">="), self._add)

    def _add(self):
        return self._binary(("+", "-"), self._mul)

    def _mul(self):
        return self._binary(("*", "/"), self._unary)

    def _unary(self):
        if self.peek()[1] in ("-", "!"):
            op = self.take()[1]
            return ("unary", op, self._unary())
        return self._postfix()

    def _postfix(self):
        node = self._primary()
        while True:
            tok = self.peek()
            if tok[1] == "$":
                self.take()
                name = self.take()
                if name[0] != "name":
                    raise _Unsupported()
                node = ("dollar", node, name[1])
            elif tok[1] == "(" and node[0] == "fn":
                node = ("call", node[1], self._args())
            else:
                return node

    def _args(self):
        self.take("(")
        self.depth += 1
        args = []
        while self.peek()[1] != ")":
            tok, nxt = self.peek(), self.toks[self.i + 1]
            if tok[0] in ("name", "str") and nxt[1] == "=":
                self.i += 2
                key = tok[1] if tok[0] == "name" else _r_unquote(tok[1])
                args.append((key, self.expr()))
            else:
                args.append((None, self.expr()))
            if self.peek()[1] == ",":
                self.take()
            elif self.peek()[1] != ")":
                raise _Unsupported()
        self.depth -= 1
        self.take(")")
        return args

    def _primary(self):
        kind, value = self.take()
        if kind == "num":
            if value.endswith("L"):
                return ("lit", int(value[:-1]))
            return ("lit", float(value))
        if kind == "str":
            return ("lit", _r_unquote(value))
        if value == "(":
            self.depth += 1
            node = self.expr()
            self.depth -= 1
            self.take(")")
            return node
        if value == "{":
            saved, self.depth = self.depth, 0
            stmts = []
            self.skip_nl()
            while self.peek()[1] != "}":
                if self.peek()[0] == "eof":
                    raise _Unsupported()
                stmts.append(self.statement())
                if self.peek()[1] != "}" and self.peek()[0] != "nl" \
                        and self.peek()[1] != ";":
                    raise _Unsupported()
                self.skip_nl()
            self.take("}")
            self.depth = saved
            return ("block", stmts)
        if kind != "name":
            raise _Unsupported()
        if value == "if":
            self.take("(")
            self.depth += 1
            cond = self.expr()
            self.depth -= 1
            self.take(")")
            self._operand_nl()
            then = self.expr()
            other = None
            if self.peek()[1] == "else":
                self.take()
                self._operand_nl()
                other = self.expr()
            return ("if", cond, then, other)
        consts = {"TRUE": True, "FALSE": False, "T": True, "F": False}
        if value in consts:
            return ("lit", consts[value])
        if value in ("NULL", "NA"):
            return ("lit", None)
        if self.peek()[1] in ("::", ":::"):
            self.take()
            fn = self.take()
            if fn[0] != "name" or value not in ("SparkR", "jsonlite", "base") \
                    or self.peek()[1] != "(":
                raise _Unsupported()
            return ("fn", fn[1])
        if self.peek()[1] == "(":
            return ("fn", value)
        return ("name", value)


class _RVec(list):
    """An atomic vector of length != 1 (length-1 vectors are plain values)."""


class _RList(list):
    """A generic R list (what `dtypes()` returns)."""


class _RJson(str):
    """jsonlite's "json" class: prints as the JSON text itself."""


class _RFrame:
    """A local R data.frame: what collect/take/head return."""

    def __init__(self, names, types, rows):
        self.names, self.types, self.rows = list(names), list(types), list(rows)


class _RStructType:
    """SparkR's structType: the schema object, with `$jobj`."""

    def __init__(self, schema):
        self.schema = schema


class _RJobj:
    """A JVM object reference (`schema(df)$jobj`)."""

    def __init__(self, target):
        self.target = target


class _RColumn:
    """A Column expression: ("ref", name), ("from_json", col, schema) or
    ("alias", col, name)."""

    def __init__(self, *node):
        self.node = node


def _r_num_str(v, digits=7):
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if v != v:
        return "NaN"
    text = "%.*g" % (digits, v)
    if "e" in text:
        mant, exp = text.split("e")
        text = "%se%s%02d" % (mant, exp[0], int(exp[1:]))
    return text


def _r_char(v):
    """as.character(): 15 significant digits for numbers."""
    if v is None:
        return "NA"
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, int, float)):
        return _r_num_str(v, 15)
    if isinstance(v, decimal.Decimal):
        return _r_num_str(float(v), 15)
    if isinstance(v, datetime.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, datetime.date):
        return v.isoformat()
    return str(v)


def _r_format(v, quote=True):
    """One element as print() shows it."""
    if v is None:
        return "NA"
    if isinstance(v, str):
        return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"') \
            .replace("\n", "\\n") if quote else v
    if isinstance(v, (bool, int, float)):
        return _r_num_str(v)
    return _r_char(v)


def _r_print(value):
    """Text of print(value), with its final new line."""
    if value is None:
        return "NULL\n"
    if isinstance(value, _RJson):
        return str(value) + "\n"
    if isinstance(value, fake_spark.DataFrame):
        return "SparkDataFrame[%s]\n" % ", ".join("%s:%s" % d for d in value.dtypes)
    if isinstance(value, _RStructType):
        return "StructType\n" + "".join(
            '|-name = "%s", type = "%s", nullable = %s\n'
            % (f.name, _R_TYPE_NAMES.get(f.dataType.name, f.dataType.name),
               "TRUE" if f.nullable else "FALSE") for f in value.schema.fields)
    if isinstance(value, _RJobj):
        return "Java ref type %s id 1\n" % type(value.target).__name__
    if isinstance(value, _RColumn):
        return "Column %s\n" % (value.node[-1] if value.node[0] != "from_json"
                                else "from_json")
    if isinstance(value, _RFrame):
        return _r_print_frame(value)
    if isinstance(value, _RList):
        return "".join("[[%d]]\n%s\n\n" % (i + 1, _r_print(v).rstrip("\n"))
                       for i, v in enumerate(value))
    items = list(value) if isinstance(value, _RVec) else [value]
    if not items:
        return "character(0)\n"
    cells = [_r_format(v) for v in items]
    if any(isinstance(v, str) for v in items):
        width = max(len(c) for c in cells)
        cells = [c.ljust(width) for c in cells]
    return "[1] " + " ".join(cells).rstrip() + "\n"


_R_TYPE_NAMES = {"long": "LongType", "integer": "IntegerType", "double": "DoubleType",
                 "string": "StringType", "boolean": "BooleanType", "date": "DateType",
                 "timestamp": "TimestampType", "float": "FloatType"}


def _r_print_frame(frame):
    if not frame.names:
        return "data frame with 0 columns and %d rows\n" % len(frame.rows)
    if not frame.rows:
        return "[1] %s\n<0 rows> (or 0-length row.names)\n" % " ".join(frame.names)
    cols = []
    for j, name in enumerate(frame.names):
        cells = []
        for r in frame.rows:
            v = r[j]
            cells.append("<NA>" if v is None and frame.types[j] == "string"
                         else _r_format(v, quote=False))
        width = max([len(name)] + [len(c) for c in cells])
        cols.append([name.rjust(width)] + [c.rjust(width) for c in cells])
    labels = [""] + [str(i + 1) for i in range(len(frame.rows))]
    lw = max(len(x) for x in labels)
    lines = []
    for i, label in enumerate(labels):
        lines.append(label.ljust(lw) + " " + " ".join(c[i] for c in cols))
    return "\n".join(lines) + "\n"


def _r_json_value(v, dtype, digits):
    if v is None:
        return None
    if isinstance(v, bool) or dtype == "boolean":
        return bool(v)
    if isinstance(v, decimal.Decimal):
        v = float(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e15:
            return int(v)
        return float("%.15g" % v) if digits is None else round(v, int(digits))
    if isinstance(v, datetime.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, fake_spark.Row):
        return {k: _r_json_value(x, None, digits) for k, x in v.asDict().items()}
    return v if isinstance(v, str) else str(v)


def _r_to_json(x, dataframe="rows", na="null", digits=4, auto_unbox=False):
    """jsonlite::toJSON for data.frames, vectors and scalars."""
    dump = lambda o: json.dumps(o, ensure_ascii=False, separators=(",", ":"))
    if isinstance(x, _RFrame):
        if dataframe == "values":
            return dump([[_r_json_value(v, t, digits) if v is not None or na == "null"
                          else "NA" for v, t in zip(r, x.types)] for r in x.rows])
        if dataframe == "columns":
            return dump({n: [_r_json_value(r[j], x.types[j], digits) for r in x.rows]
                         for j, n in enumerate(x.names)})
        return dump([{n: _r_json_value(v, t, digits) for n, v, t in
                      zip(x.names, r, x.types) if v is not None} for r in x.rows])
    if isinstance(x, fake_spark.DataFrame):
        raise _RError("No method asJSON S3 class: SparkDataFrame", "asJSON(x, ...)")
    items = list(x) if isinstance(x, _RVec) else [] if x is None else [x]
    vals = [_r_json_value(v, None, digits) for v in items]
    if auto_unbox and len(vals) == 1:
        return dump(vals[0])
    return dump(vals)


class _REnv:
    def __init__(self, parent=None):
        self.vars, self.parent = {}, parent

    def get(self, name):
        env = self
        while env is not None:
            if name in env.vars:
                return env.vars[name]
            env = env.parent
        raise _RError("object '%s' not found" % name)


class RInterpreter:
    """The documented R subset (see the module docstring)."""

    def __init__(self, runtime):
        self.rt = runtime
        self.globals = _REnv()
        self.globals.vars["spark"] = _RJobj(runtime.spark)
        self.out = None
        self.ctrl = None
        self.visible = False
        # name: (parameters, implementation, result visible)
        self.builtins = {
            "print": (["x"], lambda a: self._emit(_r_print(a["x"])) or a["x"], False),
            "cat": (["...", "sep"], self._cat, False),
            "paste": (["...", "sep"], lambda a: self._paste(a, " "), True),
            "paste0": (["..."], lambda a: self._paste(a, ""), True),
            "sprintf": (["fmt", "..."], self._sprintf, True),
            "as.numeric": (["x"], lambda a: self._map(a["x"], self._as_num), True),
            "as.integer": (["x"], lambda a: self._map(
                a["x"], lambda v: None if v is None else int(self._as_num(v))), True),
            "as.character": (["x"], lambda a: self._map(a["x"], _r_char), True),
            "nchar": (["x"], lambda a: self._map(a["x"], lambda v: len(_r_char(v))), True),
            "length": (["x"], lambda a: self._length(a["x"]), True),
            "c": (["..."], self._c, True),
            "character": (["length"], lambda a: _RVec([""] * int(a.get("length", 0))), True),
            "invisible": (["x"], lambda a: a.get("x"), False),
            "assign": (["x", "value"], self._assign, False),
            "Sys.sleep": (["time"], self._sleep, False),
            "sparkR.version": ([], lambda a: fake_spark.SPARK_VERSION, True),
            "sql": (["sqlQuery"], lambda a: self._sql(self._str(a, "sqlQuery")), True),
            "tableToDF": (["tableName"], lambda a: self._sql(
                "SELECT * FROM %s" % self._str(a, "tableName")), True),
            "collect": (["x"], lambda a: self._frame(self._df(a["x"])), True),
            "take": (["x", "num"], lambda a: self._frame(
                self._df(a["x"]), int(self._num(a, "num"))), True),
            "head": (["x", "num", "n"], self._head, True),
            "limit": (["x", "num"], lambda a: self._df(a["x"]).limit(
                int(self._num(a, "num"))), True),
            "sample": (["x", "withReplacement", "fraction", "seed"], self._sample, True),
            "count": (["x"], lambda a: float(self._df(a["x"]).count()), True),
            "nrow": (["x"], self._nrow, True),
            "ncol": (["x"], lambda a: len(self._cols(a["x"])), True),
            "names": (["x"], lambda a: self._vec(self._cols(a["x"])), True),
            "colnames": (["x"], lambda a: self._vec(self._cols(a["x"])), True),
            "columns": (["x"], lambda a: self._vec(self._cols(a["x"])), True),
            "dtypes": (["x"], lambda a: _RList(_RVec(d) for d in self._df(a["x"]).dtypes), True),
            "schema": (["x"], lambda a: _RStructType(self._df(a["x"]).schema), True),
            "printSchema": (["x"], lambda a: self._df(a["x"]).printSchema(), False),
            "showDF": (["x", "numRows", "truncate"], self._show, False),
            "createOrReplaceTempView": (["x", "viewName"], lambda a: self._df(
                a["x"]).createOrReplaceTempView(self._str(a, "viewName")), False),
            "createDataFrame": (["data", "schema"], self._create_df, True),
            "as.DataFrame": (["data", "schema"], self._create_df, True),
            "data.frame": (["...", "stringsAsFactors"], self._data_frame, True),
            "structType": (["x"], self._struct_type, True),
            "select": (["x", "col", "..."], self._select, True),
            "alias": (["object", "data"], lambda a: _RColumn(
                "alias", self._column(a["object"]), self._str(a, "data")), True),
            "from_json": (["x", "schema"], self._from_json, True),
            "callJMethod": (["objId", "methodName"], self._call_jmethod, True),
            "toJSON": (["x", "dataframe", "na", "digits", "auto_unbox"], self._to_json, True),
        }

    # -- checking and running
    def _check(self, node):
        if not isinstance(node, tuple):
            return
        if node[0] == "call":
            if node[1] not in self.builtins and node[1] != "local":
                raise _Unsupported()
            for _, arg in node[2]:
                self._check(arg)
            return
        for part in node[1:]:
            if isinstance(part, list):
                for item in part:
                    self._check(item)
            else:
                self._check(part)

    def execute(self, code, count, ctrl):
        try:
            stmts = _RParser(code).program()
            for s in stmts:
                self._check(s)
        except (_Unsupported, IndexError):
            return not_supported(count, code)
        out = io.StringIO()
        self.out, self.ctrl = out, ctrl
        self.rt.capture = out
        try:
            for s in stmts:
                if ctrl is not None:
                    ctrl.check()
                self.visible = True
                value = self._eval(s, self.globals)
                if self.visible:
                    self._emit(_r_print(value))
        except _RError as exc:
            return error_output(count, "Error", exc.text(), [])
        except (SessionStopped, Py4JJavaError):
            raise
        except Exception as exc:  # a value the subset cannot handle
            return error_output(count, "Error", _RError(str(exc)).text(), [])
        finally:
            self.out = self.ctrl = None
        return ok_output(count, {"text/plain": out.getvalue()})

    def _emit(self, text):
        self.out.write(text)

    def _eval(self, node, env):
        kind = node[0]
        self.visible = True
        if kind == "lit":
            return node[1]
        if kind == "name":
            return env.get(node[1])
        if kind == "assign":
            value = self._eval(node[2], env)
            env.vars[node[1]] = value
            self.visible = False
            return value
        if kind == "block":
            value = None
            for s in node[1]:
                value = self._eval(s, env)
            return value
        if kind == "if":
            cond = self._eval(node[1], env)
            if isinstance(cond, _RVec) or cond is None:
                raise _RError("argument is of length zero" if cond is None or not cond
                              else "the condition has length > 1", "if (...)")
            if cond:
                return self._eval(node[2], env)
            if node[3] is None:
                self.visible = False
                return None
            return self._eval(node[3], env)
        if kind == "dollar":
            target = self._eval(node[1], env)
            self.visible = True
            return self._dollar(target, node[2])
        if kind == "unary":
            v = self._eval(node[2], env)
            self.visible = True
            return (not v) if node[1] == "!" else self._map(v, lambda x: -self._as_num(x))
        if kind == "binop":
            a = self._eval(node[2], env)
            b = self._eval(node[3], env)
            self.visible = True
            return self._binop(node[1], a, b)
        if kind == "call":
            if node[1] == "local":
                if len(node[2]) != 1 or node[2][0][0] is not None:
                    raise _RError("local() takes one expression here", "local(...)")
                return self._eval(node[2][0][1], _REnv(env))
            params, impl, visible = self.builtins[node[1]]
            if node[1] == "assign":
                self._assign_env = env
            args = [(k, self._eval(v, env)) for k, v in node[2]]
            bound = self._bind(node[1], params, args)
            value = impl(bound)
            self.visible = visible
            return value
        raise _RError("unsupported expression")

    # -- argument matching, as R does it for these signatures
    def _bind(self, fname, params, args):
        bound, dots = {}, []
        for key, value in args:
            if key is None:
                continue
            if key in params and key != "...":
                bound[key] = value
            elif "..." in params:
                dots.append((key, value))
            else:
                raise _RError("unused argument (%s = ...)" % key, "%s(...)" % fname)
        before = params[:params.index("...")] if "..." in params else params
        free = [p for p in before if p not in bound]
        for key, value in args:
            if key is not None:
                continue
            if free:
                bound[free.pop(0)] = value
            elif "..." in params:
                dots.append((None, value))
            else:
                raise _RError("unused argument", "%s(...)" % fname)
        bound["..."] = dots
        bound["__name__"] = fname
        return bound

    def _need(self, a, key):
        if key not in a:
            raise _RError('argument "%s" is missing, with no default' % key,
                          "%s(...)" % a["__name__"])
        return a[key]

    def _str(self, a, key):
        v = self._need(a, key)
        if not isinstance(v, str):
            raise _RError("%s must be a character string" % key, "%s(...)" % a["__name__"])
        return v

    def _num(self, a, key):
        return self._as_num(self._need(a, key))

    def _as_num(self, v):
        if v is None:
            return None
        if isinstance(v, (bool, int, float)):
            return float(v) if isinstance(v, bool) else v
        if isinstance(v, decimal.Decimal):
            return float(v)
        if isinstance(v, str):
            try:
                return float(v)
            except ValueError:
                return None
        raise _RError("cannot coerce type '%s' to vector of type 'double'" % type(v).__name__)

    @staticmethod
    def _map(v, f):
        return _RVec(f(x) for x in v) if isinstance(v, _RVec) else f(v)

    @staticmethod
    def _vec(items):
        items = list(items)
        return items[0] if len(items) == 1 else _RVec(items)

    @staticmethod
    def _items(v):
        if v is None:
            return []
        return list(v) if isinstance(v, (_RVec, _RList)) else [v]

    def _length(self, v):
        if isinstance(v, _RFrame):
            return len(v.names)
        return len(self._items(v))

    def _c(self, a):
        items = []
        for _, v in a["..."]:
            items.extend(self._items(v))
        return None if not items else self._vec(items)

    def _binop(self, op, a, b):
        if op in ("&&", "||"):
            return bool(a) and bool(b) if op == "&&" else bool(a) or bool(b)
        if op in ("==", "!="):
            eq = (_r_char(a) == _r_char(b)) if isinstance(a, str) or isinstance(b, str) \
                else self._as_num(a) == self._as_num(b)
            return eq if op == "==" else not eq
        x, y = self._as_num(a), self._as_num(b)
        if x is None or y is None:
            return None
        if op == "<":
            return x < y
        if op == ">":
            return x > y
        if op == "<=":
            return x <= y
        if op == ">=":
            return x >= y
        if op == "/":
            return float(x) / y if y else (float("inf") if x > 0 else float("-inf")
                                           if x < 0 else float("nan"))
        r = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y}[op]()
        return r

    # -- base functions
    def _cat(self, a):
        sep = a.get("sep", " ")
        parts = []
        for _, v in a["..."]:
            if isinstance(v, (fake_spark.DataFrame, _RFrame, _RStructType, _RJobj)):
                raise _RError("argument 1 (type 'S4') cannot be handled by 'cat'",
                              "cat(...)")
            parts.extend(str(x) if isinstance(x, str) else _r_format(x, False)
                         for x in self._items(v))
        self._emit(sep.join(parts))
        return None

    def _paste(self, a, default_sep):
        sep = a.get("sep", default_sep)
        cols = [self._items(v) for _, v in a["..."]]
        cols = [c for c in cols if c]
        if not cols:
            return _RVec()
        n = max(len(c) for c in cols)
        return self._vec(sep.join(_r_char(c[i % len(c)]) for c in cols) for i in range(n))

    def _sprintf(self, a):
        fmt = self._str(a, "fmt")
        vals = [v for _, v in a["..."]]
        specs = re.findall(r"%(?:%|[-+ 0#]*\d*(?:\.\d+)?([sdifeEgGx]))", fmt)
        conv = []
        for spec, v in zip([s for s in specs if s], vals):
            if spec == "s":
                conv.append(_r_char(v))
            elif spec in "dix":
                if not isinstance(v, int) and (not isinstance(v, float) or v != int(v)):
                    raise _RError("invalid format '%s'; use format %%f, %%e, %%g or %%a for "
                                  "numeric objects" % fmt, "sprintf(...)")
                conv.append(int(v))
            else:
                conv.append(float(self._as_num(v)))
        try:
            return fmt % tuple(conv)
        except (TypeError, ValueError):
            raise _RError("too few arguments", "sprintf(...)") from None

    def _assign(self, a):
        env = getattr(self, "_assign_env", self.globals)
        env.vars[self._str(a, "x")] = self._need(a, "value")
        return a["value"]

    def _sleep(self, a):
        secs = self._num(a, "time")
        if self.ctrl is not None:
            self.ctrl.wait(secs)
        else:
            time.sleep(secs)
        return None

    # -- SparkR
    def _sql(self, query):
        try:
            return self.rt.spark.sql(query)
        except fake_spark.AnalysisException as exc:
            kind = "parse error" if isinstance(exc, fake_spark.ParseException) \
                else "analysis error"
            raise _RError("%s - %s" % (kind, exc)) from None

    def _df(self, v):
        if not isinstance(v, fake_spark.DataFrame):
            raise _RError("unable to find an inherited method for this function for "
                          "signature 'x = \"%s\"'" % self._class(v))
        return v

    @staticmethod
    def _class(v):
        if isinstance(v, _RFrame):
            return "data.frame"
        if isinstance(v, str):
            return "character"
        if isinstance(v, (int, float)):
            return "numeric"
        return "NULL" if v is None else type(v).__name__.lstrip("_R").lower()

    def _frame(self, df, n=None):
        rows = df._rows if n is None else df._rows[:max(0, n)]
        return _RFrame(df.columns, [f.dataType.name for f in df.schema.fields], rows)

    def _head(self, a):
        x = self._need(a, "x")
        n = int(self._as_num(a.get("num", a.get("n", 6))))
        if isinstance(x, fake_spark.DataFrame):
            return self._frame(x, n)
        if isinstance(x, _RFrame):
            rows = x.rows[:n] if n >= 0 else x.rows[:max(0, len(x.rows) + n)]
            return _RFrame(x.names, x.types, rows)
        items = self._items(x)
        return self._vec(items[:n] if n >= 0 else items[:max(0, len(items) + n)])

    def _sample(self, a):
        df = self._df(self._need(a, "x"))
        rep = bool(a.get("withReplacement", False))
        frac = self._num(a, "fraction")
        seed = a.get("seed")
        return df.sample(rep, float(frac), None if seed is None else int(self._as_num(seed)))

    def _nrow(self, a):
        x = self._need(a, "x")
        if isinstance(x, _RFrame):
            return len(x.rows)
        return float(self._df(x).count())

    def _cols(self, x):
        if isinstance(x, _RFrame):
            return x.names
        return self._df(x).columns

    def _show(self, a):
        df = self._df(self._need(a, "x"))
        n = int(self._as_num(a.get("numRows", 20)))
        trunc = a.get("truncate", True)
        width = (20 if trunc else 0) if isinstance(trunc, bool) else int(trunc)
        self._emit(fake_spark.show_string(df.columns, df._rows, n, width))
        return None

    def _struct_type(self, a):
        x = self._need(a, "x")
        if not isinstance(x, str):
            raise _RError("structType() takes a DDL string here", "structType(...)")
        try:
            return _RStructType(fake_spark.parse_ddl_schema(x))
        except fake_spark.AnalysisException as exc:
            raise _RError("parse error - %s" % exc) from None

    def _data_frame(self, a):
        names, cols = [], []
        for i, (key, v) in enumerate(a["..."]):
            names.append(key or "V%d" % (i + 1))
            cols.append(self._items(v))
        n = max([len(c) for c in cols] + [0])
        if any(len(c) not in (n, 1) for c in cols if c) or (n and any(not c for c in cols)):
            raise _RError("arguments imply differing number of rows", "data.frame(...)")
        rows = [tuple(c[i % len(c)] for c in cols) for i in range(n)]
        types = []
        for c in cols:
            sample = next((x for x in c if x is not None), None)
            types.append("string" if isinstance(sample, str) or sample is None else
                         "boolean" if isinstance(sample, bool) else
                         "integer" if isinstance(sample, int) else "double")
        if not cols:
            types = []
        return _RFrame(names, types, rows)

    def _create_df(self, a):
        data = self._need(a, "data")
        if not isinstance(data, _RFrame):
            raise _RError("createDataFrame() takes a data.frame here", "createDataFrame(...)")
        schema = a.get("schema")
        if isinstance(schema, _RStructType):
            schema = schema.schema
            if len(schema.fields) != len(data.names):
                raise _RError("number of columns of the schema and the data.frame differ",
                              "createDataFrame(...)")
        elif schema is None:
            kinds = {"string": "string", "integer": "integer", "double": "double",
                     "boolean": "boolean"}
            schema = fake_spark.StructType([fake_spark.StructField(
                n, fake_spark.DataType(kinds[t])) for n, t in zip(data.names, data.types)])
        else:
            raise _RError("schema must be a structType", "createDataFrame(...)")
        return fake_spark.DataFrame(self.rt.spark, schema, data.rows)

    def _dollar(self, target, name):
        if isinstance(target, fake_spark.DataFrame):
            if name not in target.columns:
                return None
            return _RColumn("ref", name)
        if isinstance(target, _RStructType) and name == "jobj":
            return _RJobj(target.schema)
        if isinstance(target, _RFrame):
            if name not in target.names:
                return None
            j = target.names.index(name)
            return self._vec(r[j] for r in target.rows)
        raise _RError("$ operator is invalid for atomic vectors")

    def _column(self, v):
        if isinstance(v, _RColumn):
            return v
        if isinstance(v, str):
            return _RColumn("ref", v)
        raise _RError("a Column or a column name was expected")

    def _from_json(self, a):
        col = self._column(self._need(a, "x"))
        schema = self._need(a, "schema")
        if isinstance(schema, _RStructType):
            schema = schema.schema
        elif isinstance(schema, str):
            try:
                schema = fake_spark.parse_ddl_schema(schema)
            except fake_spark.AnalysisException as exc:
                raise _RError("parse error - %s" % exc) from None
        else:
            raise _RError("schema must be a structType or a DDL string", "from_json(...)")
        return _RColumn("from_json", col, schema)

    def _column_values(self, df, col):
        """(name, DataType, values) of a Column over df's rows."""
        node = col.node
        if node[0] == "ref":
            name = node[1]
            if "." in name and name.split(".")[0] in df.columns:
                raise _RError("nested column references other than .* are not supported")
            if name not in df.columns:
                raise _RError("analysis error - [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column "
                              "or function parameter with name `%s` cannot be resolved." % name)
            j = df.columns.index(name)
            return name, df.schema.fields[j].dataType, [r[j] for r in df._rows]
        if node[0] == "alias":
            _, dtype, values = self._column_values(df, node[1])
            return node[2], dtype, values
        _, _, texts = self._column_values(df, node[1])
        parsed = self.rt.spark._from_json_lines([t for t in texts if t is not None], node[2])
        it = iter(parsed._rows)
        names = node[2].names
        values = [None if t is None else fake_spark.Row.from_pairs(names, next(it))
                  for t in texts]
        return "from_json(value)", node[2], values

    def _select(self, a):
        df = self._df(self._need(a, "x"))
        cols = [a["col"]] if "col" in a else []
        cols += [v for _, v in a["..."]]
        fields, columns = [], []
        for c in cols:
            if isinstance(c, str) and c.endswith(".*"):
                base = c[:-2]
                if base not in df.columns:
                    raise _RError("analysis error - Cannot resolve '%s' given input columns" % c)
                j = df.columns.index(base)
                dtype = df.schema.fields[j].dataType
                if not isinstance(dtype, fake_spark.StructType):
                    raise _RError("analysis error - Can only star expand struct data types.")
                for k, f in enumerate(dtype.fields):
                    fields.append(f)
                    columns.append([None if r[j] is None else r[j][k] for r in df._rows])
                continue
            for item in self._items(c) if isinstance(c, _RVec) else [c]:
                name, dtype, values = self._column_values(df, self._column(item))
                fields.append(fake_spark.StructField(name, dtype))
                columns.append(values)
        rows = list(zip(*columns)) if columns else [() for _ in df._rows]
        return fake_spark.DataFrame(self.rt.spark, fake_spark.StructType(fields), rows)

    def _call_jmethod(self, a):
        obj, method = self._need(a, "objId"), self._str(a, "methodName")
        if not isinstance(obj, _RJobj):
            raise _RError("objId must be a Java object reference", "callJMethod(...)")
        target = obj.target
        if isinstance(target, fake_spark.StructType) and method in ("json", "simpleString"):
            return target.json() if method == "json" else target.simpleString()
        if isinstance(target, fake_spark.SparkSession) and method == "version":
            return target.version
        raise _RError("java.lang.NoSuchMethodException: %s.%s" % (
            type(target).__name__, method), "invokeJava(...)")

    def _to_json(self, a):
        x = self._need(a, "x")
        digits = a.get("digits", 4)
        return _RJson(_r_to_json(x, dataframe=a.get("dataframe", "rows"),
                                 na=a.get("na", "null"),
                                 digits=None if digits is None else self._as_num(digits),
                                 auto_unbox=bool(a.get("auto_unbox", False))))


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
                   "spark": ScalaInterpreter, "sparkr": RInterpreter}[kind]
            self._interps[kind] = cls(self)
        return self._interps[kind]

    def execute(self, kind, code, count, ctrl):
        """Run one statement; return its Livy output object.

        Raises SessionStopped if the session is stopped meanwhile.
        """
        if self.died is not None:
            return error_output(count, "Error", "Interpreter died:\n"
                                + "\n".join(self.died), [])
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
