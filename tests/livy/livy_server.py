#!/usr/bin/python3
"""A test Apache Livy server for Kindling's Livy client tests.

It speaks the Livy REST protocol as recorded in the project's protocol notes
(livy-protocol.md, Livy 0.9 / HEAD behaviour): the same endpoints, status
codes and Location headers; the three error-body shapes (`{"msg": ...}`, a
bare JSON string, Jetty's HTML page); Jackson-style 400s for unknown fields
and bad JSON; session (not_started, starting, idle, busy, shutting_down,
error, dead, success) and statement (waiting, running, available,
cancelling, cancelled) state machines driven by timers; progress, cancel,
logs, completion, heartbeat/idle/TTL expiry; CSRF and Basic-auth filters;
batches. Statements really run, in a fake Spark driver per session
(fake_interp.py, fake_spark.py):

* pyspark: real Python in a namespace kept for the session, with the
  output, error and magic (%json, %table, %matplot) rules of Livy's
  fake_shell.py, and `spark`/`sc`/`sqlContext` look-alikes over sqlite3.
* sql: one statement per request on the session's sqlite database,
  answered as `application/json` `{"schema": ..., "data": [...]}`.
* spark (Scala): a fixed subset only: println of literals and Int
  arithmetic, Thread.sleep, `val` definitions, Int echoes (`res0: Int = 3`),
  `spark.sql(...)` with .show/.count/.toJSON.take(n).foreach(println)/
  .createOrReplaceTempView, `spark`, `sc`, imports. Any other cell fails
  with ename `NotSupportedInTestServer` and the code as evalue. The exact
  grammar is in fake_interp.py's docstring.
* sparkr: every statement fails with `NotSupportedInTestServer`.

Run it as a program:

    /usr/bin/python3 tests/livy/livy_server.py --port 0 [options]

The first line on stdout is `LIVY_URL=http://127.0.0.1:PORT`. The process
exits on SIGTERM/SIGINT and when its parent process goes away. Or use it in
process:

    server, url = start_server(start_delay=0.2, csrf=True)
    ...
    server.stop()

`python3 livy_server.py --help` lists every option; each option is also a
keyword argument of start_server() (dashes become underscores).
"""

import argparse
import base64
import collections
import html
import json
import os
import random
import re
import signal
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import fake_interp  # noqa: E402  (needs the path set above)
import fake_spark  # noqa: E402
from fake_interp import SessionStopped  # noqa: E402
from fake_spark import Py4JJavaError  # noqa: E402

LIVY_VERSION = "0.9.0-incubating"
# Bytes of an oversized body still read (and dropped) before answering 413,
# so that a client still sending does not get a reset instead of the answer.
_DRAIN_LIMIT = 4 * 1024 * 1024
INT_MAX = 2 ** 31 - 1

# ---------------------------------------------------------------------------
# Options: one table drives argparse, --help and start_server() keywords.

_OPTIONS = [
    # name, type, default, metavar, help
    ("host", str, "127.0.0.1", "ADDR", "address to listen on"),
    ("port", int, 0, "PORT", "port to listen on; 0 picks a free port"),
    ("start_delay", float, 0.5, "S",
     "seconds a new session (or batch) spends in `starting` before `idle`"),
    ("not_started_delay", float, 0.0, "S",
     "seconds a new session is first reported as `not_started` (legacy "
     "servers); 0 answers POST /sessions with `starting`, as Livy >= 0.3"),
    ("start_fail", bool, False, None,
     "sessions fail to start: after --start-delay the YARN application "
     "FAILS, the session goes error -> shutting_down -> dead and its log "
     "explains why (batches end dead)"),
    ("stop_delay", float, 0.2, "S",
     "seconds a DELETEd or stopped session stays `shutting_down`; DELETE "
     "answers after that time"),
    ("statement_delay", float, 0.0, "S",
     "extra running time of every statement: a fake Spark job of 10 tasks "
     "whose completion drives `progress` from 0 to 1"),
    ("available_lag", float, 0.0, "S",
     "seconds between the session going idle and the statement becoming "
     "`available` (Livy's race: idle is set first)"),
    ("fail_rate", float, 0.0, "P",
     "probability that a request is answered 500 instead, with one of the "
     "three error-body shapes chosen at random"),
    ("fail_seed", int, 0, "N", "seed of the fault-injection random generator"),
    ("fail_when", str, "before", "WHEN",
     "`before`: injected 500s replace the request; `after`: the request is "
     "processed first, then its answer is replaced (a POST takes effect)"),
    ("fail_path", str, None, "REGEX",
     "only inject faults into requests whose `METHOD path` matches REGEX "
     "(re.search), e.g. '^POST /sessions/\\d+/statements$'"),
    ("fail_count", int, -1, "N", "inject at most N faults; -1 = no limit"),
    ("die_after_statements", int, -1, "N",
     "in every session, the statement after the first N dies mid-run: it "
     "ends `available` with 'Interpreter died' and the session goes "
     "`error`, then `dead` after --die-grace; -1 = never"),
    ("die_grace", float, 1.0, "S",
     "seconds a session with a dead interpreter stays `error` before `dead`"),
    ("csrf", bool, False, None,
     "require an X-Requested-By header on every method but GET, HEAD, "
     "OPTIONS and TRACE; otherwise 400 with Jetty's HTML page"),
    ("basic_auth", str, None, "USER:PASS",
     "require HTTP Basic credentials; otherwise 401 HTML with "
     "WWW-Authenticate; the user becomes the sessions' `owner`"),
    ("max_sessions", int, 0, "N",
     "reject POST /sessions with Livy's 'too many sessions' 400 while N "
     "sessions exist; 0 = no limit"),
    ("max_body", int, 10 * 1024 * 1024, "BYTES",
     "largest accepted request body; larger ones get 413"),
    ("log_requests", str, None, "FILE",
     "append one JSON line per request to FILE: time, method, path (with "
     "query), headers without Authorization, body"),
    ("heartbeat_watchdog_interval", float, 0.5, "S",
     "how often sessions with heartbeatTimeoutInSecond > 0 are checked; an "
     "expired one is deleted (404 afterwards). Livy's default is 60"),
    ("session_timeout", float, 3600.0, "S",
     "idle timeout of sessions without `idleTimeout`; activity is creation, "
     "statement submit, cancel, completion and busy -> idle"),
    ("ttl_check", bool, False, None,
     "enforce session TTLs (`ttl`, else --session-ttl) from session start"),
    ("session_ttl", float, 8 * 3600.0, "S", "default TTL with --ttl-check"),
    ("state_retain", float, 600.0, "S",
     "seconds finished sessions and batches stay listed before removal"),
    ("cancel_timeout", float, 30.0, "S",
     "a `cancelling` statement becomes `cancelled` after this time even if "
     "its code is still running (livy.rsc.job-cancel.timeout)"),
    ("uninterruptible", bool, False, None,
     "as in real Livy, cancel only stops fake Spark jobs: time.sleep, "
     "Thread.sleep and Python loops run on, the statement stays "
     "`cancelling` until it ends or --cancel-timeout passes"),
    ("log_interval", float, 1.0, "S",
     "seconds between 'Application report' lines appended to the log of "
     "running sessions; 0 = none"),
    ("log_cache_size", int, 200, "N",
     "lines kept per log buffer (stdout, stderr), so offsets shift"),
    ("retained_statements", int, 100, "N",
     "statements kept per session; older ones answer 404"),
    ("sql_num_rows", int, 1000, "N", "row limit of `kind: sql` results"),
    ("connection_timeout", float, 30.0, "S",
     "idle keep-alive connections are closed after this time"),
    ("verbose", bool, False, None, "print an access log to stderr"),
]

DEFAULTS = {name: default for name, _, default, _, _ in _OPTIONS}


def make_options(overrides):
    """Return a complete options namespace; reject unknown names."""
    unknown = set(overrides) - set(DEFAULTS)
    if unknown:
        raise TypeError("unknown option(s): %s" % ", ".join(sorted(unknown)))
    opts = dict(DEFAULTS)
    opts.update(overrides)
    if opts["fail_when"] not in ("before", "after"):
        raise ValueError("fail_when must be 'before' or 'after'")
    if opts["basic_auth"] is not None and ":" not in opts["basic_auth"]:
        raise ValueError("basic_auth must be USER:PASS")
    return argparse.Namespace(**opts)


# ---------------------------------------------------------------------------
# Responses.

class Response:
    def __init__(self, status, body=b"", content_type=None, headers=None,
                 close=False):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = list(headers or [])
        self.close = close


class HttpError(Exception):
    """Raised by route handlers to answer with `response`."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


def json_response(status, obj, headers=None):
    body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return Response(status, body.encode("utf-8"),
                    "application/json;charset=utf-8", headers)


def msg_error(status, msg):
    """Error shape 1: a ResponseMessage object."""
    return HttpError(json_response(status, {"msg": msg}))


def string_error(status, text):
    """Error shape 2: a bare JSON string."""
    return HttpError(json_response(status, text))


def html_page(status, reason, path, headers=None, close=False):
    """Error shape 3: Jetty's HTML error page."""
    reason_html = html.escape(reason)
    body = (
        "<html>\n<head>\n"
        '<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n'
        "<title>Error %d %s</title>\n</head>\n"
        "<body><h2>HTTP ERROR %d</h2>\n"
        "<p>Problem accessing %s. Reason:\n<pre>    %s</pre></p>"
        '<hr><a href="https://eclipse.org/jetty">Powered by Jetty:// '
        "9.4.56.v20240826</a><hr/>\n\n</body>\n</html>\n"
        % (status, reason_html, status, html.escape(path), reason_html))
    return Response(status, body.encode("utf-8"), "text/html;charset=utf-8",
                    headers, close)


def _jackson_source(line=1, column=0):
    return " at [Source: (org.eclipse.jetty.server.HttpInputOverHTTP); " \
           "line: %d, column: %d]" % (line, column)


def _remote_error(cause):
    """A 500 body for an exception thrown inside the remote driver."""
    return string_error(500, (
        "java.util.concurrent.ExecutionException: "
        "org.apache.livy.rsc.rpc.RpcException: %s\n"
        "\tat org.apache.livy.repl.Session.execute(Session.scala:164)\n"
        "\tat org.apache.livy.repl.ReplDriver.handle(ReplDriver.scala:72)\n"
        "\tat java.base/java.lang.Thread.run(Thread.java:840)" % cause))


# ---------------------------------------------------------------------------
# Request bodies, checked the way Jackson maps them.

_KINDS = {"spark": "spark", "scala": "spark", "pyspark": "pyspark",
          "python": "pyspark", "sparkr": "sparkr", "r": "sparkr", "sql": "sql",
          "shared": "shared"}

_CREATE_FIELDS = collections.OrderedDict([
    ("kind", "str"), ("proxyUser", "str"), ("jars", "list"),
    ("pyFiles", "list"), ("files", "list"), ("driverMemory", "str"),
    ("driverCores", "int"), ("executorMemory", "str"),
    ("executorCores", "int"), ("numExecutors", "int"), ("archives", "list"),
    ("queue", "str"), ("name", "str"), ("conf", "map"),
    ("heartbeatTimeoutInSecond", "int"), ("ttl", "str"),
    ("idleTimeout", "str"),
])
_BATCH_FIELDS = collections.OrderedDict([
    ("file", "str"), ("proxyUser", "str"), ("className", "str"),
    ("args", "list"), ("jars", "list"), ("pyFiles", "list"), ("files", "list"),
    ("driverMemory", "str"), ("driverCores", "int"),
    ("executorMemory", "str"), ("executorCores", "int"),
    ("numExecutors", "int"), ("archives", "list"), ("queue", "str"),
    ("name", "str"), ("conf", "map"),
])
_EXECUTE_FIELDS = collections.OrderedDict([("code", "str"), ("kind", "str")])
_COMPLETION_FIELDS = collections.OrderedDict([("code", "str"), ("kind", "str"),
                                              ("cursor", "int")])
_CLASSES = {
    id(_CREATE_FIELDS): "org.apache.livy.server.interactive.CreateInteractiveRequest",
    id(_BATCH_FIELDS): "org.apache.livy.server.batch.CreateBatchRequest",
    id(_EXECUTE_FIELDS): "org.apache.livy.ExecuteRequest",
    id(_COMPLETION_FIELDS): "org.apache.livy.CompletionRequest",
}

_JAVA_TYPES = {"str": "java.lang.String", "int": "int",
               "list": "scala.collection.immutable.List",
               "map": "scala.collection.immutable.Map"}


def _token(value):
    if isinstance(value, list):
        return "Array value (token `JsonToken.START_ARRAY`)"
    if isinstance(value, dict):
        return "Object value (token `JsonToken.START_OBJECT`)"
    if isinstance(value, str):
        return 'String "%s"' % value
    return "value %s" % json.dumps(value)


def parse_body(req, fields):
    """Decode a JSON request body into a dict of known, coerced fields.

    Raises HttpError with Jackson-like 400 JSON strings for empty or
    malformed JSON, unknown fields and values of the wrong type.
    """
    cls = _CLASSES[id(fields)]
    text = req.body.decode("utf-8", "replace")
    if req.form_encoded:
        text = ""   # Jetty reads form bodies as parameters before Jackson
    if not text.strip():
        raise string_error(400, "No content to map due to end-of-input\n"
                           + _jackson_source())
    try:
        obj = json.loads(text)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 0)
        pos = getattr(exc, "pos", 0)
        ch = text[pos] if pos < len(text) else ""
        raise string_error(400, "Unexpected character ('%s' (code %d)): %s\n%s"
                           % (ch, ord(ch) if ch else 0, getattr(exc, "msg", str(exc)),
                              _jackson_source(line, col))) from None
    if not isinstance(obj, dict):
        raise string_error(400, "Cannot deserialize value of type `%s` from %s\n%s"
                           % (cls, _token(obj), _jackson_source()))
    out = {}
    for key, value in obj.items():
        if key not in fields:
            known = ", ".join('"%s"' % k for k in fields)
            raise string_error(400, (
                'Unrecognized field "%s" (class %s), not marked as ignorable '
                "(%d known properties: %s])\n%s (through reference chain: "
                '%s["%s"])' % (key, cls, len(fields), known, _jackson_source(),
                               cls, key)))
        out[key] = _coerce(cls, key, fields[key], value)
    return out


def _coerce(cls, key, kind, value):
    def bad():
        return string_error(400, "Cannot deserialize value of type `%s` from %s"
                            "\n%s (through reference chain: %s[\"%s\"])"
                            % (_JAVA_TYPES[kind], _token(value),
                               _jackson_source(), cls, key))
    if value is None:
        return None
    if kind == "str":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return json.dumps(value)
        if isinstance(value, str):
            return value
        raise bad()
    if kind == "int":
        if isinstance(value, bool):
            raise bad()
        if isinstance(value, (int, float)):
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            return int(value)
        raise string_error(400, "Cannot deserialize value of type `int` from "
                           "String \"%s\": not a valid `int` value\n%s"
                           % (value, _jackson_source()))
    if kind == "list":
        if not isinstance(value, list) or any(isinstance(v, (list, dict))
                                              for v in value):
            raise bad()
        return [v if isinstance(v, str) else json.dumps(v) for v in value]
    if kind == "map":
        if not isinstance(value, dict) or any(isinstance(v, (list, dict))
                                              for v in value.values()):
            raise bad()
        return {k: (v if isinstance(v, str) or v is None else json.dumps(v))
                for k, v in value.items()}
    raise AssertionError(kind)


_TIME_SUFFIXES = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "min": 60,
                  "h": 3600, "d": 86400}


def parse_time_string(text):
    """Seconds for a Livy time string (`10m`, `1h`, `500` = ms)."""
    m = re.fullmatch(r"(-?[0-9]+)([a-z]+)?", text.lower())
    if not m:
        raise ValueError("Invalid time string: %s" % text)
    suffix = m.group(2) or "ms"
    if suffix not in _TIME_SUFFIXES:
        raise ValueError('Invalid suffix: "%s"' % suffix)
    return int(m.group(1)) * _TIME_SUFFIXES[suffix]


def _now_ms():
    return int(time.time() * 1000)


def _stamp():
    return time.strftime("%y/%m/%d %H:%M:%S")


# ---------------------------------------------------------------------------
# Model.

class Statement:
    def __init__(self, sid, code, kind, ctrl):
        self.id = sid
        self.code = code
        self.kind = kind
        self.ctrl = ctrl
        self.state = "waiting"
        self.output = None
        self.started = 0
        self.completed = 0
        self.cancel_at = None       # monotonic time of the cancel request

    def to_json(self):
        if self.state in ("available", "cancelled"):
            progress = 1.0
        else:
            progress = float(self.ctrl.progress())
        return {"id": self.id, "code": self.code, "state": self.state,
                "output": self.output, "progress": progress,
                "started": self.started, "completed": self.completed}


class Session:
    """An interactive session, or a batch when `batch` is true."""

    FINAL = ("error", "dead", "killed", "success")

    def __init__(self, sid, req, owner, opts, now, batch=False):
        self.id = sid
        self.batch = batch
        self.req = req
        self.name = req.get("name")
        self.kind = _KINDS.get(req.get("kind") or "shared", "shared")
        self.owner = owner
        self.opts = opts
        self.created = now
        self.server_state = "not_started" if (
            opts.not_started_delay > 0 and not batch) else "starting"
        self.repl_state = "idle"
        self.t_starting = now + opts.not_started_delay
        self.t_submit = self.t_starting + opts.start_delay / 3.0
        self.t_ready = self.t_starting + opts.start_delay
        self.t_phase = None          # next timed transition after t_ready
        self.app_id = None
        self.app_seq = None
        self.stdout = collections.deque(maxlen=opts.log_cache_size)
        self.stderr = collections.deque(maxlen=opts.log_cache_size)
        self.diagnostics = []
        self.next_log = None
        self.statements = collections.OrderedDict()
        self.next_statement_id = 0
        self.pending = collections.deque()
        self.worker = None
        self.runtime = None
        self.stopping = False
        self.started_count = 0
        self.last_heartbeat = now
        self.last_activity = now
        self.finished_at = None
        self.remove_at = None
        self.die_at = None
        hb = req.get("heartbeatTimeoutInSecond") or 0
        self.heartbeat_timeout = max(0, hb)
        self.idle_timeout = parse_time_string(req["idleTimeout"]) \
            if req.get("idleTimeout") else opts.session_timeout
        self.ttl = parse_time_string(req["ttl"]) if req.get("ttl") \
            else opts.session_ttl
        self.stderr.append("%s WARN NativeCodeLoader: Unable to load "
                           "native-hadoop library for your platform... using "
                           "builtin-java classes where applicable" % _stamp())
        self.stderr.append("%s INFO DefaultNoHARMFailoverProxyProvider: "
                           "Connecting to ResourceManager at "
                           "resourcemanager.test.invalid/192.0.2.10:8032"
                           % _stamp())

    # -- derived views
    def state(self):
        if self.server_state == "running" and not self.batch:
            return self.repl_state
        return self.server_state

    def log_lines(self):
        return (["stdout: "] + list(self.stdout) + ["\nstderr: "]
                + list(self.stderr) + ["\nYARN Diagnostics: "]
                + list(self.diagnostics))

    def app_info(self):
        if self.app_id is None:
            return {"driverLogUrl": None, "sparkUiUrl": None,
                    "executorLogUrls": None}
        container = "container_%s_01_000001" % self.app_id[len("application_"):]
        return {
            "driverLogUrl": "http://nodemanager-1.test.invalid:8042/node/"
                            "containerlogs/%s/livy" % container,
            "sparkUiUrl": "http://resourcemanager.test.invalid:8088/proxy/%s/"
                          % self.app_id,
            "executorLogUrls": None,
        }

    def to_json(self):
        r = self.req
        if self.batch:
            return {"id": self.id, "name": self.name, "owner": self.owner,
                    "proxyUser": None, "state": self.state(),
                    "appId": self.app_id, "appInfo": self.app_info(),
                    "log": self.log_lines()[-10:]}
        return {
            "id": self.id, "name": self.name, "appId": self.app_id,
            "owner": self.owner, "proxyUser": None, "state": self.state(),
            "kind": self.kind, "appInfo": self.app_info(),
            "log": self.log_lines()[-10:],
            "ttl": r.get("ttl"), "idleTimeout": r.get("idleTimeout"),
            "driverMemory": r.get("driverMemory"),
            "driverCores": r.get("driverCores") or 0,
            "executorMemory": r.get("executorMemory"),
            "executorCores": r.get("executorCores") or 0,
            "conf": r.get("conf") or {}, "archives": r.get("archives") or [],
            "files": r.get("files") or [],
            "heartbeatTimeoutInSecond": self.heartbeat_timeout,
            "jars": r.get("jars") or [], "numExecutors": r.get("numExecutors") or 0,
            "pyFiles": r.get("pyFiles") or [], "queue": r.get("queue"),
        }

    def err(self, text):
        self.stderr.append("%s %s" % (_stamp(), text))


class Request:
    def __init__(self, method, raw_path, headers, body, form_encoded, user):
        self.method = method
        self.raw_path = raw_path
        parts = urlsplit(raw_path)
        self.path = parts.path
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.headers = headers
        self.body = body
        self.form_encoded = form_encoded
        self.user = user


# ---------------------------------------------------------------------------
# The application: routing and state machines.

class LivyApp:
    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.sessions = collections.OrderedDict()
        self.batches = collections.OrderedDict()
        self.next_session_id = 0
        self.next_batch_id = 0
        self.next_app_seq = 1
        self.cluster_ts = _now_ms()
        self.closing = threading.Event()
        self.fault_rng = random.Random(opts.fail_seed)
        self.faults_left = opts.fail_count
        self.fault_seq = 0
        self.fail_re = re.compile(opts.fail_path) if opts.fail_path else None
        self.last_watchdog = time.monotonic()
        self.request_log = collections.deque(maxlen=10000)
        self._log_lock = threading.Lock()
        self._log_file = open(opts.log_requests, "a", encoding="utf-8") \
            if opts.log_requests else None
        self.routes = [
            (r"/version", {"GET": self.get_version}),
            (r"/sessions", {"GET": self.list_sessions,
                            "POST": self.create_session}),
            (r"/sessions/([^/]+)", {"GET": self.get_session,
                                    "DELETE": self.delete_session}),
            (r"/sessions/([^/]+)/state", {"GET": self.get_state}),
            (r"/sessions/([^/]+)/log", {"GET": self.get_log}),
            (r"/sessions/([^/]+)/statements", {"GET": self.list_statements,
                                               "POST": self.create_statement}),
            (r"/sessions/([^/]+)/statements/([^/]+)",
             {"GET": self.get_statement}),
            (r"/sessions/([^/]+)/statements/([^/]+)/cancel",
             {"POST": self.cancel_statement}),
            (r"/sessions/([^/]+)/completion", {"POST": self.completion}),
            (r"/sessions/([^/]+)/connect", {"POST": self.connect}),
            (r"/sessions/([^/]+)/stop", {"POST": self.stop}),
            (r"/sessions/([^/]+)/interrupt", {"POST": self.interrupt}),
            (r"/batches", {"GET": self.list_batches,
                           "POST": self.create_batch}),
            (r"/batches/([^/]+)", {"GET": self.get_batch,
                                   "DELETE": self.delete_batch}),
            (r"/batches/([^/]+)/state", {"GET": self.get_batch_state}),
            (r"/batches/([^/]+)/log", {"GET": self.get_batch_log}),
        ]
        self.routes = [(re.compile("^" + p + "/?$"), m) for p, m in self.routes]
        self.ticker = threading.Thread(target=self._tick_loop,
                                       name="livy-ticker", daemon=True)
        self.ticker.start()

    # -- request log
    def record(self, method, path, headers, body):
        entry = {
            "time": time.time(), "method": method, "path": path,
            "headers": {k: v for k, v in headers.items()
                        if k.lower() not in ("authorization",
                                             "proxy-authorization")},
            "body": None if body is None else body.decode("utf-8", "replace"),
        }
        with self._log_lock:
            self.request_log.append(entry)
            if self._log_file is not None:
                self._log_file.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self._log_file.flush()

    # -- entry point
    def handle(self, req):
        opts = self.opts
        if opts.basic_auth is not None and req.user is None:
            return html_page(401, "Authentication required", req.path,
                             [("WWW-Authenticate", 'Basic realm="livy"')])
        if opts.csrf and req.method not in ("GET", "HEAD", "OPTIONS", "TRACE") \
                and "X-Requested-By" not in req.headers:
            return html_page(400, "Missing Required Header for CSRF protection.",
                             req.path)
        fault = self._fault(req)
        if fault is not None and opts.fail_when == "before":
            return fault
        try:
            resp = self._route(req)
        except HttpError as exc:
            resp = exc.response
        except Exception as exc:  # a bug here must not kill the connection
            traceback.print_exc()
            resp = json_response(500, "java.lang.RuntimeException: %s: %s"
                                 % (type(exc).__name__, exc))
        return fault if fault is not None else resp

    def _fault(self, req):
        if self.opts.fail_rate <= 0:
            return None
        if self.fail_re is not None and not self.fail_re.search(
                "%s %s" % (req.method, req.path)):
            return None
        with self.lock:
            if self.faults_left == 0:
                return None
            if self.fault_rng.random() >= self.opts.fail_rate:
                return None
            shape = self.fault_rng.randrange(3)
            if self.faults_left > 0:
                self.faults_left -= 1
            self.fault_seq += 1
            seq = self.fault_seq
        text = "java.lang.RuntimeException: fault injected by the test " \
               "server (fault %d)" % seq
        if shape == 0:
            return json_response(500, {"msg": text})
        if shape == 1:
            return json_response(500, text)
        return html_page(500, "Server Error", req.path)

    def _route(self, req):
        accept = req.headers.get("Accept", "")
        m = re.search(r"application/vnd\.livy\.v([0-9.]+)\+json", accept)
        if m and m.group(1) != "0.1":
            raise string_error(406, "Unsupported API version: %s" % m.group(1))
        method = "GET" if req.method == "HEAD" else req.method
        for pattern, methods in self.routes:
            match = pattern.match(req.path)
            if not match:
                continue
            handler = methods.get(method)
            if handler is None:
                allow = ", ".join(sorted(methods))
                return html_page(405, "Method Not Allowed", req.path,
                                 [("Allow", allow)])
            args = [unquote(g) for g in match.groups()]
            return handler(req, *args)
        return html_page(404, "Not Found", req.path)

    # -- utilities
    @staticmethod
    def _int_param(req, name, default):
        text = req.query.get(name)
        if text is None:
            return default
        if not re.fullmatch(r"[+-]?[0-9]+", text) or \
                not -2 ** 31 <= int(text) <= INT_MAX:
            raise msg_error(400, 'For input string: "%s"' % text)
        return int(text)

    @staticmethod
    def _int_segment(text):
        if not re.fullmatch(r"[+-]?[0-9]+", text) or \
                not -2 ** 31 <= int(text) <= INT_MAX:
            raise msg_error(400, 'For input string: "%s"' % text)
        return int(text)

    def _lookup(self, table, seg, heartbeat=True):
        """Find a session by id (all digits) or name; 404 otherwise.

        Call with the lock held. Refreshes the heartbeat (every request
        under /sessions/{id} does in Livy).
        """
        if re.fullmatch(r"[0-9]+", seg):
            sid = self._int_segment(seg)
            sess = table.get(sid)
        else:
            sess = next((s for s in table.values() if s.name == seg), None)
        if sess is None:
            raise msg_error(404, "Session '%s' not found." % seg)
        sess.last_heartbeat = time.monotonic()
        self._advance(sess, time.monotonic())
        return sess

    @staticmethod
    def _ensure_running(sess):
        if sess.server_state != "running":
            raise string_error(500, "java.lang.IllegalStateException: Session "
                               "is in state %s" % sess.state())

    @staticmethod
    def _ensure_active(sess):
        if sess.server_state in ("shutting_down", "dead", "killed", "success"):
            raise msg_error(400, "requirement failed: Session isn't active.")

    @staticmethod
    def _slice(items, start, size):
        lo = max(start, 0)
        hi = min(start + size, len(items))
        return items[lo:hi] if hi > lo else []

    # -- /version
    def get_version(self, req):
        return json_response(200, {
            "version": LIVY_VERSION, "user": "livy",
            "revision": "fc4202ea0e8a1bd4d2b6ef2a0a1c5a0cdb8c1d3e",
            "branch": "master", "date": "2026-05-19T00:00:00Z",
            "url": "https://github.com/apache/incubator-livy.git"})

    # -- sessions
    def list_sessions(self, req):
        start = self._int_param(req, "from", 0)
        size = self._int_param(req, "size", 100)
        with self.lock:
            now = time.monotonic()
            for s in self.sessions.values():
                self._advance(s, now)
            items = list(self.sessions.values())
            return json_response(200, {
                "from": start, "total": len(items),
                "sessions": [s.to_json() for s in self._slice(items, start, size)]})

    def create_session(self, req):
        with self.lock:
            if self.opts.max_sessions > 0 and \
                    len(self.sessions) >= self.opts.max_sessions:
                raise msg_error(400, "Rejected, too many sessions are being "
                                "created!")
        body = parse_body(req, _CREATE_FIELDS)
        kind = body.get("kind")
        if kind is not None and kind not in _KINDS:
            raise string_error(400, (
                "Invalid kind: %s (through reference chain: "
                "org.apache.livy.server.interactive.CreateInteractiveRequest"
                '["kind"])' % kind))
        with self.lock:
            sid = self.next_session_id
            self.next_session_id += 1
            reason = self._validate(body, self.sessions, sid)
            if reason:
                raise msg_error(400, "Rejected, Reason: %s" % reason)
            sess = Session(sid, body, req.user, self.opts, time.monotonic())
            sess.runtime = None
            self.sessions[sid] = sess
            resp = json_response(201, sess.to_json(),
                                 [("Location", "/sessions/%d" % sid)])
            self.cond.notify_all()
            return resp

    @staticmethod
    def _validate(body, table, sid):
        name = body.get("name")
        if name is not None:
            if re.fullmatch(r"[0-9]*", name):
                return "Invalid session name: %s" % name
            if any(s.name == name for s in table.values()):
                return "Duplicate session name: Some(%s) for session %d" % (name, sid)
        for key in ("ttl", "idleTimeout"):
            if body.get(key) is not None:
                try:
                    parse_time_string(body[key])
                except ValueError as exc:
                    return str(exc)
        banned = [k for k in (body.get("conf") or {}) if k in (
            "spark.submit.deployMode",
            "spark.submit.proxyUser.allowCustomClasspathInClusterMode")]
        if banned:
            return "Blacklisted configuration values in session config: %s" \
                % ", ".join(banned)
        return None

    def get_session(self, req, seg):
        with self.lock:
            return json_response(200, self._lookup(self.sessions, seg).to_json())

    def get_state(self, req, seg):
        with self.lock:
            sess = self._lookup(self.sessions, seg)
            return json_response(200, {"id": sess.id, "state": sess.state()})

    def get_log(self, req, seg):
        return self._log(req, self.sessions, seg)

    def _log(self, req, table, seg):
        with self.lock:
            sess = self._lookup(table, seg)
            start = self._int_param(req, "from", None)
            size = self._int_param(req, "size", 100)
            lines = sess.log_lines()
            if size < 0:
                start = 0 if start is None or start < 0 else start
                chunk = lines[start:]
            else:
                if start is None or start < 0:
                    start = max(0, len(lines) - size)
                chunk = self._slice(lines, start, size)
            return json_response(200, {"id": sess.id, "from": start,
                                       "total": len(lines), "log": chunk})

    def delete_session(self, req, seg):
        with self.lock:
            sess = self._lookup(self.sessions, seg)
        self._stop_session(sess, remove=True)
        return json_response(200, {"msg": "deleted"})

    def connect(self, req, seg):
        with self.lock:
            sess = self._lookup(self.sessions, seg)
            sess.last_activity = time.monotonic()
            return json_response(200, sess.to_json())

    def stop(self, req, seg):
        with self.lock:
            sess = self._lookup(self.sessions, seg)
        self._stop_session(sess, remove=False)
        return Response(204)

    def interrupt(self, req, seg):
        with self.lock:
            sess = self._lookup(self.sessions, seg)
        self._stop_session(sess, remove=False)
        return json_response(200, {"msg": "interrupted"})

    # -- statements
    def list_statements(self, req, seg):
        with self.lock:
            sess = self._lookup(self.sessions, seg)
            self._ensure_active(sess)
            items = list(sess.statements.values())
            if req.query.get("order", "").strip().lower() == "desc":
                items.reverse()
            start = self._int_param(req, "from", 0)
            size = self._int_param(req, "size", len(items))
            return json_response(200, {
                "total_statements": len(items),
                "statements": [s.to_json() for s in self._slice(items, start, size)]})

    def get_statement(self, req, seg, stmt_seg):
        with self.lock:
            sess = self._lookup(self.sessions, seg)
            sid = self._int_segment(stmt_seg)
            self._ensure_active(sess)
            stmt = sess.statements.get(sid)
            if stmt is None:
                raise string_error(404, "Statement not found")
            return json_response(200, stmt.to_json())

    def _statement_kind(self, sess, kind):
        if kind is None:
            if sess.kind == "shared":
                raise _remote_error("java.lang.IllegalArgumentException: Code "
                                    "type should be specified if session kind "
                                    "is shared")
            return sess.kind
        if kind not in _KINDS or _KINDS[kind] == "shared":
            raise _remote_error("java.lang.IllegalArgumentException: Invalid "
                                "kind: %s" % kind)
        return _KINDS[kind]

    def create_statement(self, req, seg):
        with self.lock:
            sess = self._lookup(self.sessions, seg)
        body = parse_body(req, _EXECUTE_FIELDS)
        with self.lock:
            self._ensure_running(sess)
            kind = self._statement_kind(sess, body.get("kind"))
            code = body.get("code")
            if code is None:
                raise _remote_error("java.lang.NullPointerException")
            code = code.replace("\r\n", "\n")
            sid = sess.next_statement_id
            sess.next_statement_id += 1
            stmt = Statement(sid, code, kind, sess.runtime.control(sid))
            sess.statements[sid] = stmt
            while len(sess.statements) > self.opts.retained_statements:
                sess.statements.popitem(last=False)
            sess.pending.append(stmt)
            sess.last_activity = time.monotonic()
            self.cond.notify_all()
            return json_response(201, stmt.to_json(), [
                ("Location", "/sessions/%d/statements/%d" % (sess.id, sid))])

    def cancel_statement(self, req, seg, stmt_seg):
        with self.lock:
            sess = self._lookup(self.sessions, seg)
            sid = self._int_segment(stmt_seg)
            self._ensure_running(sess)
            sess.last_activity = time.monotonic()
            stmt = sess.statements.get(sid)
            if stmt is not None:
                if stmt.state == "waiting":
                    stmt.state = "cancelled"
                    stmt.completed = _now_ms()
                elif stmt.state == "running":
                    stmt.state = "cancelling"
                    stmt.cancel_at = time.monotonic()
                    stmt.ctrl.cancel()
            return json_response(200, {"msg": "canceled"})

    def completion(self, req, seg):
        with self.lock:
            sess = self._lookup(self.sessions, seg)
        body = parse_body(req, _COMPLETION_FIELDS)
        with self.lock:
            self._ensure_running(sess)
            sess.last_activity = time.monotonic()
            kind = body.get("kind")
            if kind is None or kind not in _KINDS or _KINDS[kind] == "shared":
                raise _remote_error("java.lang.IllegalArgumentException: "
                                    "Invalid kind: %s" % ("null" if kind is None
                                                          else kind))
            runtime = sess.runtime
        candidates = runtime.complete(_KINDS[kind], body.get("code") or "",
                                      body.get("cursor") or 0)
        return json_response(200, {"candidates": candidates})

    # -- batches
    def list_batches(self, req):
        start = self._int_param(req, "from", 0)
        size = self._int_param(req, "size", 100)
        with self.lock:
            now = time.monotonic()
            for b in self.batches.values():
                self._advance(b, now)
            items = list(self.batches.values())
            return json_response(200, {
                "from": start, "total": len(items),
                "sessions": [b.to_json() for b in self._slice(items, start, size)]})

    def create_batch(self, req):
        body = parse_body(req, _BATCH_FIELDS)
        with self.lock:
            bid = self.next_batch_id
            self.next_batch_id += 1
            if not body.get("file"):
                raise msg_error(400, "Rejected, Reason: requirement failed: "
                                "File is required.")
            reason = self._validate(body, self.batches, bid)
            if reason:
                raise msg_error(400, "Rejected, Reason: %s" % reason)
            batch = Session(bid, body, req.user, self.opts, time.monotonic(),
                            batch=True)
            self.batches[bid] = batch
            return json_response(201, batch.to_json(),
                                 [("Location", "/batches/%d" % bid)])

    def get_batch(self, req, seg):
        with self.lock:
            return json_response(200, self._lookup(self.batches, seg).to_json())

    def get_batch_state(self, req, seg):
        with self.lock:
            b = self._lookup(self.batches, seg)
            return json_response(200, {"id": b.id, "state": b.state()})

    def get_batch_log(self, req, seg):
        return self._log(req, self.batches, seg)

    def delete_batch(self, req, seg):
        with self.lock:
            b = self._lookup(self.batches, seg)
            if b.server_state not in Session.FINAL:
                b.err("INFO YarnClientImpl: Killed application %s" % b.app_id)
            self.batches.pop(b.id, None)
        return json_response(200, {"msg": "deleted"})

    # -- state machines
    def _assign_app(self, sess):
        sess.app_seq = self.next_app_seq
        self.next_app_seq += 1
        sess.app_id = "application_%d_%04d" % (self.cluster_ts, sess.app_seq)
        app = sess.app_id
        for line in (
                "INFO Client: Requesting a new application from cluster with "
                "2 NodeManagers",
                "INFO Client: Verifying our application has not requested more "
                "than the maximum memory capability of the cluster (8192 MB per "
                "container)",
                "INFO Client: Setting up container launch context for our AM",
                "INFO Client: Submitting application %s to ResourceManager" % app,
                "INFO YarnClientImpl: Submitted application %s" % app,
                "INFO Client: Application report for %s (state: ACCEPTED)" % app):
            sess.err(line)
        if sess.runtime is not None:
            sess.runtime.set_app_id(app)

    def _report(self, sess, final_status, diagnostics="N/A"):
        ui = sess.app_info()["sparkUiUrl"]
        sess.err("INFO Client: ")
        for line in ("\t client token: N/A", "\t diagnostics: %s" % diagnostics,
                     "\t ApplicationMaster host: 192.0.2.21",
                     "\t ApplicationMaster RPC port: -1", "\t queue: %s" % (
                         sess.req.get("queue") or "default"),
                     "\t start time: %d" % self.cluster_ts,
                     "\t final status: %s" % final_status,
                     "\t tracking URL: %s" % ui, "\t user: livy"):
            sess.stderr.append(line)

    def _advance(self, sess, now):
        """Apply every timed transition that is due. Lock held."""
        opts = self.opts
        if sess.server_state == "not_started" and now >= sess.t_starting:
            sess.server_state = "starting"
        if sess.server_state == "starting":
            if sess.app_id is None and now >= sess.t_submit:
                self._assign_app(sess)
            if now >= sess.t_ready:
                if sess.app_id is None:
                    self._assign_app(sess)
                if opts.start_fail:
                    self._fail_start(sess, now)
                else:
                    self._become_running(sess, now)
        if sess.t_phase is not None and now >= sess.t_phase[0]:
            phase = sess.t_phase[1]
            sess.t_phase = None
            if phase == "shutting_down":
                sess.server_state = "shutting_down"
                sess.t_phase = (now + opts.stop_delay, "dead")
            elif phase == "dead":
                self._finish(sess, "dead", now)
            elif phase == "success":
                sess.err("INFO Client: Application report for %s (state: "
                         "FINISHED)" % sess.app_id)
                self._report(sess, "SUCCEEDED")
                self._finish(sess, "success", now)
        if sess.die_at is not None and now >= sess.die_at:
            sess.die_at = None
            self._interpreter_gone(sess, now)
        if sess.server_state == "running" and opts.log_interval > 0 and \
                sess.next_log is not None and now >= sess.next_log:
            sess.next_log = now + opts.log_interval
            sess.err("INFO Client: Application report for %s (state: RUNNING)"
                     % sess.app_id)

    def _become_running(self, sess, now):
        sess.server_state = "running"
        sess.repl_state = "idle"
        sess.err("INFO Client: Application report for %s (state: RUNNING)"
                 % sess.app_id)
        self._report(sess, "UNDEFINED")
        sess.err("INFO ShutdownHookManager: Shutdown hook called")
        sess.next_log = now + self.opts.log_interval
        if sess.batch:
            sess.stdout.append("Batch %s running" % (sess.req.get("file")))
            sess.t_phase = (now + self.opts.start_delay, "success")
            return
        sess.stdout.append("Spark %s driver for Livy session %d (%s) is up"
                           % (fake_spark.SPARK_VERSION, sess.id,
                              sess.kind))
        sess.runtime = fake_interp.SessionRuntime(
            "livy-session-%d" % sess.id, sess.req.get("conf"),
            self.opts.sql_num_rows, not self.opts.uninterruptible)
        sess.runtime.set_app_id(sess.app_id)
        sess.worker = threading.Thread(target=self._worker, args=(sess,),
                                       name="livy-session-%d" % sess.id,
                                       daemon=True)
        sess.worker.start()

    def _fail_start(self, sess, now):
        app = sess.app_id
        diag = ("Application %s failed 2 times due to AM Container for "
                "appattempt_%s_000002 exited with  exitCode: 13" % (
                    app, app[len("application_"):]))
        sess.err("INFO Client: Application report for %s (state: FAILED)" % app)
        self._report(sess, "FAILED", diag)
        sess.err("Exception in thread \"main\" org.apache.spark.SparkException: "
                 "Application %s finished with failed status" % app)
        sess.diagnostics.extend([
            diag,
            "Failing this attempt.Diagnostics: [%s] Exception from "
            "container-launch." % time.strftime("%Y-%m-%d %H:%M:%S"),
            "Container exited with a non-zero exit code 13. Error file: "
            "prelaunch.err.",
            "java.lang.IllegalStateException: User did not initialize spark "
            "context!",
            "For more detailed output, check the application tracking page: "
            "http://resourcemanager.test.invalid:8088/cluster/app/%s Then click "
            "on links to logs of each attempt." % app,
            ". Failing the application."])
        if sess.batch:
            self._finish(sess, "dead", now)
        else:
            sess.server_state = "error"
            sess.t_phase = (now + 0.5, "shutting_down")

    def _finish(self, sess, state, now):
        sess.server_state = state
        sess.finished_at = now
        sess.stopping = True
        for stmt in list(sess.statements.values()):
            stmt.ctrl.stop()
        self.cond.notify_all()

    def _interpreter_gone(self, sess, now):
        """The YARN container of a session whose interpreter died is gone."""
        if sess.server_state != "running":
            return
        sess.err("INFO Client: Application report for %s (state: FAILED)"
                 % sess.app_id)
        sess.diagnostics.extend([
            "Container [pid=4242,containerID=container_%s_01_000001] is running "
            "beyond physical memory limits. Current usage: 2.1 GB of 2 GB "
            "physical memory used. Killing container."
            % sess.app_id[len("application_"):],
            "Container killed on request. Exit code is 143"])
        self._finish(sess, "dead", now)

    def _stop_session(self, sess, remove):
        """DELETE / stop: shutting_down for --stop-delay, then dead/removed."""
        table = self.batches if sess.batch else self.sessions
        with self.lock:
            already = sess.server_state in Session.FINAL and \
                sess.server_state != "error"
            if not already:
                sess.server_state = "shutting_down"
                sess.t_phase = None
                sess.stopping = True
                for stmt in list(sess.statements.values()):
                    stmt.ctrl.stop()
                self.cond.notify_all()
        if not already:
            self.closing.wait(self.opts.stop_delay)
            worker = sess.worker
            if worker is not None and worker is not threading.current_thread():
                worker.join(timeout=2.0)
        with self.lock:
            if not already:
                if sess.app_id:
                    sess.err("INFO YarnClientImpl: Killed application %s"
                             % sess.app_id)
                self._finish(sess, "dead", time.monotonic())
            if remove and table.get(sess.id) is sess:
                del table[sess.id]
                if sess.runtime is not None:
                    sess.runtime.close()

    def _expire(self, sess, now, why):
        """Watchdog removal: shutting_down now, removed after --stop-delay."""
        if sess.remove_at is not None:
            return
        sess.err("INFO InteractiveSession: Stopping session %d: %s"
                 % (sess.id, why))
        if sess.server_state not in Session.FINAL:
            sess.server_state = "shutting_down"
            sess.t_phase = None
            sess.stopping = True
            for stmt in list(sess.statements.values()):
                stmt.ctrl.stop()
            self.cond.notify_all()
        sess.remove_at = now + self.opts.stop_delay

    def _tick(self, now):
        opts = self.opts
        watchdog = now - self.last_watchdog >= opts.heartbeat_watchdog_interval
        if watchdog:
            self.last_watchdog = now
        for table in (self.sessions, self.batches):
            for sess in list(table.values()):
                self._advance(sess, now)
                if sess.remove_at is not None:
                    if now >= sess.remove_at:
                        sess.server_state = "dead"
                        del table[sess.id]
                        if sess.runtime is not None:
                            sess.runtime.close()
                    continue
                if sess.finished_at is not None:
                    if now - sess.finished_at >= opts.state_retain:
                        del table[sess.id]
                        if sess.runtime is not None:
                            sess.runtime.close()
                    continue
                if sess.batch:
                    continue
                if watchdog and sess.heartbeat_timeout > 0 and \
                        now - sess.last_heartbeat > sess.heartbeat_timeout:
                    self._expire(sess, now, "heartbeat expired")
                elif now - sess.last_activity > sess.idle_timeout:
                    self._expire(sess, now, "idle timeout")
                elif opts.ttl_check and now - sess.created > sess.ttl:
                    self._expire(sess, now, "TTL expired")
                else:
                    for stmt in list(sess.statements.values()):
                        if stmt.state == "cancelling" and \
                                now - stmt.cancel_at >= opts.cancel_timeout:
                            stmt.state = "cancelled"
                            stmt.completed = _now_ms()

    def _tick_loop(self):
        while not self.closing.wait(0.05):
            with self.lock:
                self._tick(time.monotonic())

    # -- statement execution
    def _worker(self, sess):
        opts = self.opts
        runtime = sess.runtime
        while True:
            with self.cond:
                while not sess.pending and not sess.stopping and \
                        not self.closing.is_set():
                    self.cond.wait(0.5)
                if sess.stopping or self.closing.is_set():
                    return
                stmt = sess.pending.popleft()
                if stmt.state != "waiting":
                    self._maybe_idle(sess, stmt)
                    continue
                stmt.state = "running"
                stmt.started = _now_ms()
                sess.repl_state = "busy"
                sess.started_count += 1
                die = 0 <= opts.die_after_statements < sess.started_count \
                    and runtime.died is None
            try:
                if die:
                    output = self._die(sess, stmt)
                else:
                    output = self._execute(sess, stmt)
            except SessionStopped:
                return
            with self.lock:
                if sess.stopping:
                    return
                latest = self._maybe_idle(sess, stmt)
            if latest and opts.available_lag > 0:
                if self.closing.wait(opts.available_lag):
                    return
            with self.lock:
                if sess.stopping:
                    return
                stmt.output = output
                if stmt.state == "running":
                    stmt.state = "available"
                elif stmt.state == "cancelling":
                    stmt.state = "cancelled"
                stmt.completed = _now_ms()

    def _maybe_idle(self, sess, stmt):
        """Go idle if no later statement is still to run. Lock held."""
        later = [s for s in sess.statements.values() if s.id > stmt.id
                 and s.state in ("waiting", "running", "cancelling")]
        if not later:
            if sess.repl_state == "busy":
                sess.last_activity = time.monotonic()
            if sess.repl_state != "error":
                sess.repl_state = "idle"
            return True
        return False

    def _execute(self, sess, stmt):
        runtime = sess.runtime
        try:
            if self.opts.statement_delay > 0:
                job = runtime.next_job_id()
                with self.lock:
                    sess.err("INFO DAGScheduler: Got job %d (runJob at "
                             "PythonRDD.scala:181) with 10 output partitions"
                             % job)
                t0 = time.monotonic()
                runtime.fake_job(stmt.ctrl, job, self.opts.statement_delay)
                with self.lock:
                    sess.err("INFO DAGScheduler: Job %d finished: runJob at "
                             "PythonRDD.scala:181, took %.6f s"
                             % (job, time.monotonic() - t0))
            return runtime.execute(stmt.kind, stmt.code, stmt.id, stmt.ctrl)
        except Py4JJavaError as exc:
            return runtime.cancelled_output(stmt.kind, exc, stmt.id)
        except SessionStopped:
            raise
        except Exception as exc:  # a bug in the fake interpreters
            return fake_interp.error_output(
                stmt.id, type(exc).__name__, str(exc),
                traceback.format_exception(type(exc), exc, exc.__traceback__))

    def _die(self, sess, stmt):
        try:
            stmt.ctrl.wait(0.1)         # dies mid-statement, not at once
        except Py4JJavaError:
            pass
        lines = ["Traceback (most recent call last):",
                 '  File "/usr/lib/spark/python/pyspark/daemon.py", line 186, '
                 "in manager",
                 "MemoryError",
                 "Container killed by YARN for exceeding physical memory "
                 "limits. 2.1 GB of 2 GB physical memory used."]
        with self.lock:
            sess.runtime.died = lines
            sess.repl_state = "error"
            sess.err("ERROR PythonInterpreter: Python interpreter died (exit "
                     "code 137)")
            sess.die_at = time.monotonic() + self.opts.die_grace
        return fake_interp.error_output(stmt.id, "Error", "Interpreter died:\n"
                                        + "\n".join(lines), [])

    # -- shutdown
    def close(self):
        self.closing.set()
        with self.lock:
            for table in (self.sessions, self.batches):
                for sess in table.values():
                    sess.stopping = True
                    for stmt in sess.statements.values():
                        stmt.ctrl.stop()
            self.cond.notify_all()
            workers = [s.worker for s in self.sessions.values() if s.worker]
        for w in workers:
            w.join(timeout=2.0)
        self.ticker.join(timeout=2.0)
        with self.lock:
            for sess in self.sessions.values():
                if sess.runtime is not None:
                    sess.runtime.close()
            self.sessions.clear()
            self.batches.clear()
        with self._log_lock:
            if self._log_file is not None:
                self._log_file.close()
                self._log_file = None


# ---------------------------------------------------------------------------
# HTTP plumbing.

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Jetty(9.4.56.v20240826)"
    # TCP_NODELAY, as Jetty sets it: otherwise Nagle's algorithm holds a
    # small write back until the client's delayed ACK (40 ms on Linux).
    disable_nagle_algorithm = True

    def setup(self):
        self.timeout = self.server.app.opts.connection_timeout
        super().setup()

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if self.server.app.opts.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def handle_expect_100(self):
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.server.app.opts.max_body:
            self._too_large = True
            return True
        return super().handle_expect_100()

    def _read_body(self):
        """Return (body bytes, error Response or None)."""
        limit = self.server.app.opts.max_body
        if getattr(self, "_too_large", False):
            return None, html_page(413, "Payload Too Large", self.path,
                                   close=True)
        too_large = html_page(413, "Payload Too Large", self.path, close=True)
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1026)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    return None, html_page(400, "Bad chunk size", self.path,
                                           close=True)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    if total > limit:
                        return None, too_large
                    return b"".join(chunks), None
                total += size
                if total > limit + _DRAIN_LIMIT:
                    return None, too_large
                if total > limit:
                    chunks = []     # keep reading, so the client sees the 413
                    self._discard(size)
                else:
                    chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
        length = self.headers.get("Content-Length")
        if length is None:
            return b"", None
        if not length.strip().isdigit():
            return None, html_page(400, "Invalid Content-Length", self.path,
                                   close=True)
        n = int(length)
        if n > limit:
            if n <= limit + _DRAIN_LIMIT:
                self._discard(n)
            return None, too_large
        return self.rfile.read(n), None

    def _discard(self, n):
        while n > 0:
            data = self.rfile.read(min(n, 65536))
            if not data:
                return
            n -= len(data)

    def _user(self):
        expected = self.server.app.opts.basic_auth
        if expected is None:
            return None
        auth = self.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            return None
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True) \
                .decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        return decoded.split(":", 1)[0] if decoded == expected else None

    def _handle(self):
        app = self.server.app
        self._too_large = getattr(self, "_too_large", False)
        body, error = self._read_body()
        headers = {}
        for k, v in self.headers.items():
            headers[k] = v if k not in headers else headers[k] + ", " + v
        app.record(self.command, self.path, headers, body)
        if error is not None:
            resp = error
        else:
            ctype = self.headers.get("Content-Type", "").lower()
            req = Request(self.command, self.path, self.headers, body,
                          ctype.startswith("application/x-www-form-urlencoded"),
                          self._user())
            resp = app.handle(req)
        self._too_large = False
        self._send(resp)

    def _send(self, resp):
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        if resp.status != 204:
            if resp.content_type:
                self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
        if resp.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        # Head and body in one write (one segment for a small answer), as
        # end_headers() would send the head on its own.
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD" and resp.status != 204 and resp.body:
            self._headers_buffer.append(resp.body)
        self.flush_headers()

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = \
        do_OPTIONS = do_TRACE = _handle


class LivyServer(ThreadingHTTPServer):
    """The HTTP server; `app` holds the Livy state, `url` the base URL."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, opts):
        self.app = LivyApp(opts)
        self._conns = set()
        self._conns_lock = threading.Lock()
        self._thread = None
        try:
            super().__init__((opts.host, opts.port), _Handler)
        except OSError:
            self.app.close()
            raise
        host, port = self.server_address[:2]
        self.url = "http://%s:%d" % (host, port)

    def process_request(self, request, client_address):
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="livy-http", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving, end every session and close open connections."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5.0)
            self._thread = None
        self.server_close()
        self.app.close()
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def requests(self):
        """The request log kept in memory (same entries as --log-requests)."""
        with self.app._log_lock:
            return list(self.app.request_log)


def start_server(**options):
    """Start a server in this process; return (server, base URL).

    Keywords are the command-line options with underscores
    (`start_delay=0.1`, `basic_auth="alice:secret"`, ...). Stop it with
    `server.stop()`.
    """
    server = LivyServer(make_options(options))
    server.start()
    return server, server.url


# ---------------------------------------------------------------------------
# Command line.

def build_parser():
    parser = argparse.ArgumentParser(
        description="Test Apache Livy server (REST protocol of Livy 0.9) with "
                    "a fake Spark driver and fault injection.",
        epilog="Prints LIVY_URL=http://HOST:PORT as its first stdout line. "
               "Exits on SIGTERM, SIGINT, or when its parent process exits.")
    for name, typ, default, metavar, text in _OPTIONS:
        flag = "--" + name.replace("_", "-")
        if typ is bool:
            parser.add_argument(flag, action="store_true", help=text)
        else:
            shown = "" if default is None else " (default: %s)" % default
            parser.add_argument(flag, type=typ, default=default,
                                metavar=metavar, help=text + shown)
    return parser


def main(argv=None):
    # Taken first: the parent may exit as soon as it has read LIVY_URL.
    parent = os.getppid()
    args = build_parser().parse_args(argv)
    try:
        opts = make_options(vars(args))
        server = LivyServer(opts)
    except (ValueError, OSError, re.error) as exc:
        sys.stderr.write("livy_server: %s\n" % exc)
        return 2
    print("LIVY_URL=%s" % server.url, flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: stop.set())
    server.start()
    while not stop.wait(0.5):
        if parent != 1 and os.getppid() != parent:
            break
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
