"""Tests of the test Livy server (livy_server.py), driven over HTTP.

Run with Debian's interpreter: /usr/bin/python3 -m pytest tests/livy
"""

import base64
import http.client
import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zlib

import pytest

import livy_server

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "livy_server.py")


# ---------------------------------------------------------------------------
# A small HTTP client.

class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8")

    def json(self):
        return json.loads(self.text)


class Client:
    def __init__(self, url, headers=None):
        self.url = url
        self.headers = dict(headers or {})

    def call(self, method, path, body=None, headers=None, raw=None):
        hdrs = dict(self.headers)
        data = raw
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        req = urllib.request.Request(self.url + path, data=data, headers=hdrs,
                                     method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return Resp(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Resp(e.code, e.headers, e.read())

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    def wait_state(self, sid, states, timeout=5.0, path="/sessions"):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            r = self.get("%s/%s/state" % (path, sid))
            state = r.json()["state"] if r.status == 200 else r.status
            if not seen or seen[-1] != state:
                seen.append(state)
            if state in states:
                return seen
            time.sleep(0.02)
        raise AssertionError("session %s never reached %s; saw %s"
                             % (sid, states, seen))

    def session(self, **body):
        r = self.post("/sessions", body)
        assert r.status == 201, r.text
        sid = r.json()["id"]
        self.wait_state(sid, ("idle",))
        return sid

    def submit(self, sid, code, kind=None):
        body = {"code": code}
        if kind is not None:
            body["kind"] = kind
        r = self.post("/sessions/%s/statements" % sid, body)
        assert r.status == 201, r.text
        return r.json()["id"]

    def wait_statement(self, sid, stid, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.get("/sessions/%s/statements/%s" % (sid, stid)).json()
            if st["state"] in ("available", "cancelled"):
                return st
            time.sleep(0.02)
        raise AssertionError("statement %s/%s did not finish" % (sid, stid))

    def wait_running(self, sid, stid, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.get("/sessions/%s/statements/%s" % (sid, stid)).json()
            if st["state"] == "running":
                return st
            time.sleep(0.02)
        raise AssertionError("statement %s/%s never ran" % (sid, stid))

    def run(self, sid, code, kind=None):
        return self.wait_statement(sid, self.submit(sid, code, kind))

    def text(self, sid, code, kind=None):
        out = self.run(sid, code, kind)["output"]
        assert out["status"] == "ok", out
        return out["data"]["text/plain"]


@pytest.fixture
def livy():
    """Factory starting in-process servers; all are stopped afterwards."""
    servers = []

    def start(**opts):
        opts.setdefault("start_delay", 0.1)
        opts.setdefault("stop_delay", 0.05)
        server, url = livy_server.start_server(**opts)
        servers.append(server)
        client = Client(url)
        client.server = server
        return client
    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def repl():
    """One server with a pyspark and a shared session, for output tests."""
    server, url = livy_server.start_server(start_delay=0.05, sql_num_rows=1000)
    client = Client(url)
    client.py = client.session(kind="pyspark")
    client.shared = client.session(kind="shared")
    yield client
    server.stop()


def is_jetty_html(resp, status, reason):
    return (resp.status == status
            and resp.headers["Content-Type"].startswith("text/html")
            and "<h2>HTTP ERROR %d</h2>" % status in resp.text
            and reason in resp.text)


# ---------------------------------------------------------------------------
# Sessions.

def test_version(livy):
    c = livy()
    r = c.get("/version")
    assert r.status == 200
    assert r.json()["version"] == "0.9.0-incubating"
    assert r.headers["Content-Type"] == "application/json;charset=utf-8"


def test_create_session_shape_and_transitions(livy):
    c = livy(start_delay=0.3)
    r = c.post("/sessions", {"kind": "python", "driverMemory": "1g",
                             "conf": {"spark.x": "1"}, "queue": "q1"})
    assert r.status == 201
    assert r.headers["Location"] == "/sessions/0"
    s = r.json()
    assert list(s) == ["id", "name", "appId", "owner", "proxyUser", "state",
                       "kind", "appInfo", "log", "ttl", "idleTimeout",
                       "driverMemory", "driverCores", "executorMemory",
                       "executorCores", "conf", "archives", "files",
                       "heartbeatTimeoutInSecond", "jars", "numExecutors",
                       "pyFiles", "queue"]
    assert s["state"] == "starting" and s["kind"] == "pyspark"
    assert s["appId"] is None
    assert s["appInfo"] == {"driverLogUrl": None, "sparkUiUrl": None,
                            "executorLogUrls": None}
    assert s["driverMemory"] == "1g" and s["driverCores"] == 0
    assert s["conf"] == {"spark.x": "1"} and s["jars"] == []
    assert s["proxyUser"] is None and s["owner"] is None
    seen = c.wait_state(0, ("idle",))
    assert seen[0] == "starting" and seen[-1] == "idle"
    s = c.get("/sessions/0").json()
    assert re.fullmatch(r"application_\d{13}_0001", s["appId"])
    assert s["appId"] in s["appInfo"]["sparkUiUrl"]
    assert s["appInfo"]["driverLogUrl"].startswith("http://")
    assert len(s["log"]) == 10
    assert s["log"][-1] == "\nYARN Diagnostics: "
    assert s["queue"] == "q1"


def test_not_started_then_starting_then_idle(livy):
    c = livy(not_started_delay=0.2, start_delay=0.2)
    r = c.post("/sessions", {})
    assert r.json()["state"] == "not_started"
    assert r.json()["kind"] == "shared"
    assert c.wait_state(0, ("idle",)) == ["not_started", "starting", "idle"]


def test_list_sessions_paginates(livy):
    c = livy()
    for _ in range(3):
        assert c.post("/sessions", {"kind": "spark"}).status == 201
    r = c.get("/sessions?from=1&size=1").json()
    assert r["from"] == 1 and r["total"] == 3
    assert [s["id"] for s in r["sessions"]] == [1]
    assert [s["id"] for s in c.get("/sessions").json()["sessions"]] == [0, 1, 2]
    assert c.get("/sessions?from=5").json()["sessions"] == []
    r = c.get("/sessions?from=x")
    assert r.status == 400 and r.json() == {"msg": 'For input string: "x"'}


def test_session_names_and_not_found(livy):
    c = livy()
    assert c.post("/sessions", {"kind": "pyspark", "name": "etl"}).status == 201
    assert c.get("/sessions/etl").json()["id"] == 0
    assert c.get("/sessions/etl/state").json()["id"] == 0
    r = c.post("/sessions", {"name": "etl"})
    assert r.status == 400
    assert r.json() == {"msg": "Rejected, Reason: Duplicate session name: "
                               "Some(etl) for session 1"}
    r = c.post("/sessions", {"name": "123"})
    assert r.json() == {"msg": "Rejected, Reason: Invalid session name: 123"}
    # Rejected requests still used up their ids.
    assert c.post("/sessions", {"name": "other"}).json()["id"] == 3
    r = c.get("/sessions/7")
    assert r.status == 404 and r.json() == {"msg": "Session '7' not found."}
    r = c.get("/sessions/nope")
    assert r.status == 404 and r.json() == {"msg": "Session 'nope' not found."}
    r = c.get("/sessions/99999999999")
    assert r.status == 400
    assert r.json() == {"msg": 'For input string: "99999999999"'}


def test_request_body_validation(livy):
    c = livy()
    r = c.post("/sessions", {"kind": "pyspark", "foo": 1})
    assert r.status == 400
    msg = r.json()
    assert isinstance(msg, str)
    assert msg.startswith('Unrecognized field "foo" (class org.apache.livy.'
                          'server.interactive.CreateInteractiveRequest), not '
                          'marked as ignorable (17 known properties: ')
    r = c.post("/sessions", raw=b"", headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.json().startswith("No content to map due to "
                                                   "end-of-input")
    r = c.post("/sessions", raw=b'{"kind": ', headers={
        "Content-Type": "application/json"})
    assert r.status == 400 and isinstance(r.json(), str)
    r = c.post("/sessions", raw=b'kind=pyspark', headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400 and r.json().startswith("No content to map")
    r = c.post("/sessions", {"driverCores": "abc"})
    assert r.status == 400 and "not a valid `int` value" in r.json()
    assert c.post("/sessions", {"driverCores": "2"}).json()["driverCores"] == 2
    r = c.post("/sessions", {"kind": "pyspark3"})
    assert r.status == 400 and r.json().startswith("Invalid kind: pyspark3")
    r = c.post("/sessions", {"ttl": "abc"})
    assert r.json() == {"msg": "Rejected, Reason: Invalid time string: abc"}
    r = c.post("/sessions", {"idleTimeout": "5x"})
    assert r.json() == {"msg": 'Rejected, Reason: Invalid suffix: "x"'}
    r = c.post("/sessions", {"conf": {"spark.submit.deployMode": "client"}})
    assert r.json() == {"msg": "Rejected, Reason: Blacklisted configuration "
                               "values in session config: spark.submit.deployMode"}
    r = c.post("/sessions", {"jars": "a.jar"})
    assert r.status == 400 and "Cannot deserialize" in r.json()


def test_delete_shows_shutting_down_then_404(livy):
    c = livy(stop_delay=0.5)
    sid = c.session(kind="pyspark")
    result = {}
    t = threading.Thread(target=lambda: result.update(r=c.delete("/sessions/0")))
    t.start()
    assert c.wait_state(0, ("shutting_down",), timeout=0.5)[-1] == "shutting_down"
    t.join()
    assert result["r"].status == 200 and result["r"].json() == {"msg": "deleted"}
    assert c.get("/sessions/%d" % sid).status == 404
    assert c.delete("/sessions/%d" % sid).status == 404
    assert c.get("/sessions").json()["total"] == 0


def test_stop_interrupt_and_inactive_session_errors(livy):
    c = livy()
    a = c.session(kind="pyspark")
    b = c.session(kind="pyspark")
    r = c.post("/sessions/%d/stop" % a, {})
    assert r.status == 204 and r.body == b""
    assert "Content-Length" not in r.headers
    assert c.get("/sessions/%d/state" % a).json()["state"] == "dead"
    r = c.get("/sessions/%d/statements" % a)
    assert r.status == 400
    assert r.json() == {"msg": "requirement failed: Session isn't active."}
    r = c.get("/sessions/%d/statements/0" % a)
    assert r.status == 400
    r = c.post("/sessions/%d/statements" % a, {"code": "1"})
    assert r.status == 500
    assert r.json() == ("java.lang.IllegalStateException: Session is in "
                        "state dead")
    r = c.post("/sessions/%d/interrupt" % b, {})
    assert r.json() == {"msg": "interrupted"}
    assert c.get("/sessions").json()["total"] == 2
    assert c.delete("/sessions/%d" % a).json() == {"msg": "deleted"}
    assert c.get("/sessions/%d" % a).status == 404


def test_connect_and_head(livy):
    c = livy()
    sid = c.session(kind="sql")
    assert c.post("/sessions/%d/connect" % sid, {}).json()["kind"] == "sql"
    conn = http.client.HTTPConnection(c.url[len("http://"):], timeout=5)
    conn.request("HEAD", "/sessions/%d" % sid)
    r = conn.getresponse()
    assert r.status == 200 and int(r.getheader("Content-Length")) > 0
    assert r.read() == b""
    conn.close()


def test_keep_alive_reuses_one_connection(livy):
    c = livy()
    conn = http.client.HTTPConnection(c.url[len("http://"):], timeout=5)
    conn.request("POST", "/sessions", body=b'{"kind":"pyspark"}',
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    assert r.status == 201
    r.read()
    sock = conn.sock
    for _ in range(3):
        conn.request("GET", "/sessions/0")
        r = conn.getresponse()
        assert r.status == 200 and json.loads(r.read())["id"] == 0
        assert conn.sock is sock
    conn.close()


def test_small_answers_are_not_held_back_by_nagle(livy):
    # Head and body leave in one write with TCP_NODELAY, as from Jetty: a
    # keep-alive POST/GET exchange must not wait for the client's delayed
    # ACK (about 40 ms per answer on Linux when the body is a second write).
    c = livy(start_delay=0)
    sid = c.session(kind="pyspark")
    conn = http.client.HTTPConnection(c.url[len("http://"):], timeout=5)
    times = []
    for _ in range(20):
        t0 = time.monotonic()
        conn.request("POST", "/sessions/%d/statements" % sid, body=b'{"code":"x = 1"}',
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        assert r.status == 201
        stid = json.loads(r.read())["id"]
        conn.request("GET", "/sessions/%d/statements/%d" % (sid, stid))
        r = conn.getresponse()
        assert r.status == 200
        r.read()
        times.append(time.monotonic() - t0)
    conn.close()
    times.sort()
    assert times[len(times) // 2] < 0.03, times


def test_unknown_route_method_and_api_version(livy):
    c = livy()
    assert is_jetty_html(c.get("/nothing"), 404, "Not Found")
    r = c.call("PUT", "/sessions", body={})
    assert is_jetty_html(r, 405, "Method Not Allowed")
    assert "POST" in r.headers["Allow"]
    r = c.get("/sessions", headers={"Accept": "application/vnd.livy.v0.1+json"})
    assert r.status == 200
    r = c.get("/sessions", headers={"Accept": "application/vnd.livy.v0.2+json"})
    assert r.status == 406


def test_log_endpoint(livy):
    c = livy(log_interval=0.05, log_cache_size=8)
    sid = c.session(kind="pyspark")
    r = c.get("/sessions/%d/log?from=0&size=2" % sid).json()
    assert r["id"] == sid and r["from"] == 0
    assert r["log"] == ["stdout: ", r["log"][1]]
    total = r["total"]
    tail = c.get("/sessions/%d/log?size=3" % sid).json()
    assert tail["from"] == max(0, tail["total"] - 3) and len(tail["log"]) == 3
    assert tail["log"][-1] == "\nYARN Diagnostics: "
    everything = c.get("/sessions/%d/log?size=-1" % sid).json()
    assert everything["from"] == 0
    assert len(everything["log"]) == everything["total"]
    assert "\nstderr: " in everything["log"]
    # Lines keep arriving but every buffer is capped, so the total is bounded.
    time.sleep(0.6)
    later = c.get("/sessions/%d/log?from=0&size=1000" % sid).json()
    assert later["total"] >= total
    stderr = later["log"][later["log"].index("\nstderr: ") + 1:
                          later["log"].index("\nYARN Diagnostics: ")]
    assert len(stderr) == 8
    assert any("Application report for" in line for line in stderr)
    r = c.get("/sessions/%d/log?from=a" % sid)
    assert r.status == 400 and r.json() == {"msg": 'For input string: "a"'}


def test_heartbeat_expiry_deletes_unpolled_session(livy):
    c = livy(heartbeat_watchdog_interval=0.1)
    lost = c.session(kind="pyspark", heartbeatTimeoutInSecond=1)
    kept = c.session(kind="pyspark", heartbeatTimeoutInSecond=1)
    assert c.get("/sessions/%d" % lost).json()["heartbeatTimeoutInSecond"] == 1
    deadline = time.monotonic() + 1.8
    while time.monotonic() < deadline:
        assert c.get("/sessions/%d" % kept).status == 200
        c.get("/sessions")      # listing does not count as a heartbeat
        time.sleep(0.2)
    assert c.get("/sessions/%d" % lost).status == 404
    assert c.get("/sessions/%d" % kept).status == 200


def test_idle_timeout_deletes_session(livy):
    c = livy(heartbeat_watchdog_interval=0.1)
    sid = c.session(kind="pyspark", idleTimeout="1s")
    c.run(sid, "1")
    t0 = time.monotonic()
    time.sleep(0.5)
    assert c.get("/sessions/%d" % sid).status == 200
    # GETs are not activity: the session goes away about 1 s after the run.
    assert c.wait_state(sid, (404,), timeout=3)[-1] == 404
    assert time.monotonic() - t0 >= 0.9


def test_ttl_check_deletes_session_even_when_active(livy):
    c = livy(ttl_check=True, heartbeat_watchdog_interval=0.1)
    sid = c.session(kind="pyspark", ttl="1s")
    unlimited = c.session(kind="pyspark")
    deadline = time.monotonic() + 4
    statuses = set()
    while time.monotonic() < deadline and 404 not in statuses:
        # Statement submissions are activity, but do not extend a TTL.
        statuses.add(c.post("/sessions/%d/statements" % sid,
                            {"code": "1"}).status)
        time.sleep(0.1)
    assert 201 in statuses and 404 in statuses
    assert c.get("/sessions/%d" % unlimited).status == 200


def test_start_failure_goes_error_then_dead_with_log(livy):
    c = livy(start_fail=True, start_delay=0.1)
    c.post("/sessions", {"kind": "pyspark"})
    seen = c.wait_state(0, ("dead",))
    assert "error" in seen and seen[-1] == "dead"
    log = c.get("/sessions/0/log?size=-1").json()["log"]
    text = "\n".join(log)
    assert "(state: FAILED)" in text and "exitCode: 13" in text
    diag = log[log.index("\nYARN Diagnostics: ") + 1:]
    assert any("Failing the application" in line for line in diag)
    r = c.post("/sessions/0/statements", {"code": "1"})
    assert r.status == 500 and r.json().endswith("Session is in state dead")


def test_max_sessions(livy):
    c = livy(max_sessions=1)
    assert c.post("/sessions", {}).status == 201
    r = c.post("/sessions", {})
    assert r.status == 400
    assert r.json() == {"msg": "Rejected, too many sessions are being created!"}


def test_batches(livy):
    # A batch is `running` for start_delay seconds; 0.5 s keeps that window
    # wide enough for a 20 ms poll to see it on a loaded machine.
    c = livy(start_delay=0.5)
    r = c.post("/batches", {"className": "Main"})
    assert r.json() == {"msg": "Rejected, Reason: requirement failed: File is "
                               "required."}
    r = c.post("/batches", {"file": "hdfs:///app.py", "args": ["1"]})
    assert r.status == 201 and r.headers["Location"] == "/batches/1"
    b = r.json()
    assert list(b) == ["id", "name", "owner", "proxyUser", "state", "appId",
                       "appInfo", "log"]
    seen = c.wait_state(1, ("success",), path="/batches")
    assert "running" in seen
    assert c.get("/batches").json()["total"] == 1
    assert c.delete("/batches/1").json() == {"msg": "deleted"}
    assert c.get("/batches/1").status == 404


# ---------------------------------------------------------------------------
# Statements.

def test_statement_lifecycle_and_listing(livy):
    c = livy(statement_delay=0.2)
    sid = c.session(kind="pyspark")
    r = c.post("/sessions/%d/statements" % sid, {"code": "1 + 2"})
    assert r.status == 201
    assert r.headers["Location"] == "/sessions/%d/statements/0" % sid
    assert r.json() == {"id": 0, "code": "1 + 2", "state": "waiting",
                        "output": None, "progress": 0.0, "started": 0,
                        "completed": 0}
    st = c.wait_statement(sid, 0)
    assert st["state"] == "available" and st["progress"] == 1.0
    assert st["output"] == {"status": "ok", "execution_count": 0,
                            "data": {"text/plain": "3"}}
    assert 0 < st["started"] <= st["completed"]
    assert c.submit(sid, "x = 1\r\ny = 2") == 1
    c.wait_statement(sid, 1)
    assert c.get("/sessions/%d/statements/1" % sid).json()["code"] == "x = 1\ny = 2"
    listing = c.get("/sessions/%d/statements" % sid).json()
    assert listing["total_statements"] == 2
    assert [s["id"] for s in listing["statements"]] == [0, 1]
    desc = c.get("/sessions/%d/statements?order=desc&from=0&size=1" % sid).json()
    assert [s["id"] for s in desc["statements"]] == [1]


def test_statement_errors(livy):
    c = livy(start_delay=0.5)
    c.post("/sessions", {"kind": "pyspark"})
    r = c.post("/sessions/0/statements", {"code": "1"})
    assert r.status == 500
    assert r.json() == ("java.lang.IllegalStateException: Session is in "
                        "state starting")
    c.wait_state(0, ("idle",))
    r = c.get("/sessions/0/statements/5")
    assert r.status == 404 and r.json() == "Statement not found"
    r = c.get("/sessions/0/statements/x")
    assert r.status == 400 and r.json() == {"msg": 'For input string: "x"'}
    r = c.post("/sessions/0/statements", {"code": "1", "kind": "cobol"})
    assert r.status == 500 and "Invalid kind: cobol" in r.json()
    r = c.post("/sessions/0/statements", {"code": "1", "extra": True})
    assert r.status == 400 and r.json().startswith('Unrecognized field "extra"')
    shared = c.session()
    r = c.post("/sessions/%d/statements" % shared, {"code": "1"})
    assert r.status == 500
    assert r.json().startswith(
        "java.util.concurrent.ExecutionException: org.apache.livy.rsc.rpc."
        "RpcException: java.lang.IllegalArgumentException: Code type should "
        "be specified if session kind is shared")
    assert c.run(shared, "1 + 1", kind="python")["output"]["data"] == {
        "text/plain": "2"}


def test_statement_retention(livy):
    c = livy(retained_statements=2)
    sid = c.session(kind="pyspark")
    for i in range(3):
        c.run(sid, str(i))
    assert c.get("/sessions/%d/statements/0" % sid).status == 404
    assert c.get("/sessions/%d/statements/2" % sid).status == 200
    assert c.get("/sessions/%d/statements" % sid).json()["total_statements"] == 2


def test_busy_while_queued_then_idle(livy):
    c = livy()
    sid = c.session(kind="pyspark")
    first = c.submit(sid, "import time\ntime.sleep(0.3)")
    second = c.submit(sid, "time.sleep(0.2)\n'done'")
    c.wait_running(sid, first)
    assert c.get("/sessions/%d/state" % sid).json()["state"] == "busy"
    assert c.get("/sessions/%d/statements/%d" % (sid, second)).json()[
        "state"] == "waiting"
    assert c.wait_statement(sid, first)["state"] == "available"
    assert c.get("/sessions/%d/state" % sid).json()["state"] == "busy"
    st = c.wait_statement(sid, second)
    assert st["output"]["data"]["text/plain"] == "'done'"
    c.wait_state(sid, ("idle",), timeout=2)


def test_progress_moves_with_statement_delay(livy):
    c = livy(statement_delay=0.8)
    sid = c.session(kind="pyspark")
    stid = c.submit(sid, "2 * 21")
    values = []
    while True:
        st = c.get("/sessions/%d/statements/%d" % (sid, stid)).json()
        values.append(st["progress"])
        if st["state"] == "available":
            break
        time.sleep(0.05)
    assert values == sorted(values)
    assert any(0.0 < v < 1.0 for v in values)
    assert values[-1] == 1.0
    assert st["output"]["data"]["text/plain"] == "42"
    log = "\n".join(c.get("/sessions/%d/log?size=-1" % sid).json()["log"])
    assert "INFO DAGScheduler: Job 0 finished" in log


def test_available_lag_session_idle_before_statement(livy):
    c = livy(available_lag=0.5)
    sid = c.session(kind="pyspark")
    stid = c.submit(sid, "import time\ntime.sleep(0.2)")
    c.wait_state(sid, ("busy",), timeout=2)
    c.wait_state(sid, ("idle",), timeout=2)
    assert c.get("/sessions/%d/statements/%d" % (sid, stid)).json()[
        "state"] == "running"
    assert c.wait_statement(sid, stid)["state"] == "available"


def test_cancel_running_sleep_is_prompt(livy):
    c = livy()
    sid = c.session(kind="pyspark")
    stid = c.submit(sid, "import time\ntime.sleep(30)")
    c.wait_running(sid, stid)
    t0 = time.monotonic()
    r = c.post("/sessions/%d/statements/%d/cancel" % (sid, stid), {})
    assert r.status == 200 and r.json() == {"msg": "canceled"}
    st = c.wait_statement(sid, stid)
    assert time.monotonic() - t0 < 2
    assert st["state"] == "cancelled" and st["progress"] == 1.0
    out = st["output"]
    assert out["status"] == "error" and out["ename"] == "Py4JJavaError"
    assert "cancelled part of cancelled job group %d" % stid in out["evalue"]
    c.wait_state(sid, ("idle",), timeout=2)
    # Cancelling a finished or unknown statement changes nothing.
    assert c.post("/sessions/%d/statements/%d/cancel" % (sid, stid),
                  {}).status == 200
    assert c.post("/sessions/%d/statements/99/cancel" % sid, {}).status == 200
    assert c.text(sid, "'still usable'") == "'still usable'"


def test_cancel_busy_loop_and_waiting_statement(livy):
    c = livy()
    sid = c.session(kind="pyspark")
    loop = c.submit(sid, "n = 0\nwhile True:\n    n += 1")
    queued = c.submit(sid, "'never'")
    c.wait_running(sid, loop)
    c.post("/sessions/%d/statements/%d/cancel" % (sid, queued), {})
    st = c.get("/sessions/%d/statements/%d" % (sid, queued)).json()
    assert st["state"] == "cancelled" and st["output"] is None
    assert st["started"] == 0 and st["completed"] > 0
    c.post("/sessions/%d/statements/%d/cancel" % (sid, loop), {})
    assert c.wait_statement(sid, loop, timeout=3)["state"] == "cancelled"
    assert int(c.text(sid, "n")) > 0
    c.wait_state(sid, ("idle",), timeout=2)
    # A loop that never leaves its line gets no line events; cancel it too.
    tight = c.submit(sid, "while True: pass")
    c.wait_running(sid, tight)
    c.post("/sessions/%d/statements/%d/cancel" % (sid, tight), {})
    assert c.wait_statement(sid, tight, timeout=3)["state"] == "cancelled"


def test_cancel_endless_comprehensions_is_prompt(livy):
    # Comprehension frames are not line-traced while they run (that would
    # cost more than their rows); a cancel must still stop them at once.
    c = livy()
    sid = c.session(kind="pyspark")
    # (iter(int, 1) yields 0 for ever; "if x" keeps the lists empty.)
    for code in ("[x for x in iter(int, 1)]",
                 "[x for x in iter(int, 1) if x]",
                 "{x for x in iter(int, 1)}",
                 "{x: x for x in iter(int, 1) if x}",
                 "sum(1 for x in iter(int, 1))"):
        stid = c.submit(sid, code)
        c.wait_running(sid, stid)
        time.sleep(0.1)  # inside the comprehension by now
        t0 = time.monotonic()
        c.post("/sessions/%d/statements/%d/cancel" % (sid, stid), {})
        st = c.wait_statement(sid, stid, timeout=3)
        assert time.monotonic() - t0 < 1, code
        assert st["state"] == "cancelled", code
        c.wait_state(sid, ("idle",), timeout=2)
    # and comprehensions still compute
    assert c.text(sid, "sum([x * x for x in range(10000)])") == str(
        sum(x * x for x in range(10000)))
    # POST /sessions/ID/interrupt (which stops the session) ends one too
    stid = c.submit(sid, "[x for x in iter(int, 1) if x]")
    c.wait_running(sid, stid)
    time.sleep(0.1)
    worker = c.server.app.sessions[sid].worker
    t0 = time.monotonic()
    assert c.post("/sessions/%d/interrupt" % sid, {}).json() == {"msg": "interrupted"}
    worker.join(timeout=1)
    assert not worker.is_alive() and time.monotonic() - t0 < 1


def test_delete_ends_uninterruptible_busy_loop(livy):
    c = livy(uninterruptible=True)
    sid = c.session(kind="pyspark")
    c.wait_running(sid, c.submit(sid, "while True: pass"))
    worker = c.server.app.sessions[sid].worker
    assert worker.is_alive()
    t0 = time.monotonic()
    assert c.delete("/sessions/%d" % sid).status == 200
    assert time.monotonic() - t0 < 1.5
    assert not worker.is_alive()


def test_cancel_fake_job_and_scala_sleep(livy):
    c = livy(statement_delay=5.0)
    sid = c.session(kind="spark")
    stid = c.submit(sid, "Thread.sleep(100)")
    c.wait_running(sid, stid)
    time.sleep(0.2)
    c.post("/sessions/%d/statements/%d/cancel" % (sid, stid), {})
    st = c.wait_statement(sid, stid, timeout=3)
    assert st["state"] == "cancelled"
    assert st["output"]["ename"] == "Error"
    assert st["output"]["evalue"].startswith("org.apache.spark.SparkException: "
                                             "Job 0 cancelled")


def test_uninterruptible_cancel_waits_for_timeout(livy):
    c = livy(uninterruptible=True, cancel_timeout=0.4)
    sid = c.session(kind="pyspark")
    stid = c.submit(sid, "import time\ntime.sleep(1.2)\n'finished'")
    c.wait_running(sid, stid)
    c.post("/sessions/%d/statements/%d/cancel" % (sid, stid), {})
    st = c.get("/sessions/%d/statements/%d" % (sid, stid)).json()
    assert st["state"] == "cancelling"
    time.sleep(0.6)
    st = c.get("/sessions/%d/statements/%d" % (sid, stid)).json()
    assert st["state"] == "cancelled" and st["output"] is None
    assert c.get("/sessions/%d/state" % sid).json()["state"] == "busy"
    c.wait_state(sid, ("idle",), timeout=3)
    st = c.get("/sessions/%d/statements/%d" % (sid, stid)).json()
    assert st["state"] == "cancelled"
    assert st["output"]["data"]["text/plain"] == "'finished'"


def test_die_after_statements(livy):
    c = livy(die_after_statements=1, die_grace=0.5)
    sid = c.session(kind="pyspark")
    assert c.text(sid, "1") == "1"
    st = c.run(sid, "2")
    assert st["state"] == "available"
    assert st["output"]["status"] == "error"
    assert st["output"]["ename"] == "Error"
    assert st["output"]["evalue"].startswith("Interpreter died:\n")
    assert st["output"]["traceback"] == []
    assert c.wait_state(sid, ("dead",), timeout=3)[0] == "error"
    assert c.get("/sessions/%d/statements" % sid).status == 400
    log = c.get("/sessions/%d/log?size=-1" % sid).json()["log"]
    assert any("physical memory limits" in line for line in log)


def test_completion(livy):
    c = livy(start_delay=0.4)
    c.post("/sessions", {"kind": "spark"})
    r = c.post("/sessions/0/completion", {"code": "sc.", "kind": "spark",
                                          "cursor": 3})
    assert r.status == 500 and "Session is in state starting" in r.json()
    c.wait_state(0, ("idle",))
    r = c.post("/sessions/0/completion", {"code": "sc.paral", "kind": "spark",
                                          "cursor": 8})
    assert r.status == 200 and r.json() == {"candidates": ["parallelize"]}
    r = c.post("/sessions/0/completion", {"code": "sp", "kind": "scala",
                                          "cursor": 2})
    assert r.json() == {"candidates": ["spark"]}
    r = c.post("/sessions/0/completion", {"code": "spark.", "kind": "pyspark",
                                          "cursor": 6})
    assert r.json() == {"candidates": []}
    r = c.post("/sessions/0/completion", {"code": "sc.", "cursor": 3})
    assert r.status == 500 and "Invalid kind: null" in r.json()


# ---------------------------------------------------------------------------
# Filters and fault injection.

def test_csrf_filter(livy):
    c = livy(csrf=True)
    r = c.post("/sessions", {"kind": "pyspark"})
    assert is_jetty_html(r, 400, "Missing Required Header for CSRF protection.")
    assert c.get("/sessions").status == 200
    r = c.post("/sessions", {"kind": "pyspark"}, headers={"X-Requested-By": ""})
    assert r.status == 201
    r = c.delete("/sessions/0")
    assert r.status == 400
    assert c.delete("/sessions/0", headers={"X-Requested-By": "kindling"}
                    ).status == 200


def test_basic_auth_filter_and_owner(livy):
    log = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False)
    log.close()
    try:
        c = livy(basic_auth="alice:s3cret", log_requests=log.name)
        r = c.get("/sessions")
        assert is_jetty_html(r, 401, "Authentication required")
        assert r.headers["WWW-Authenticate"].startswith("Basic")
        bad = base64.b64encode(b"alice:wrong").decode()
        assert c.get("/sessions", headers={"Authorization": "Basic " + bad}
                     ).status == 401
        good = {"Authorization": "Basic " + base64.b64encode(
            b"alice:s3cret").decode()}
        r = c.post("/sessions", {"kind": "pyspark"}, headers=good)
        assert r.status == 201 and r.json()["owner"] == "alice"
        with open(log.name, encoding="utf-8") as f:
            text = f.read()
        assert "s3cret" not in text and "Authorization" not in text
    finally:
        os.unlink(log.name)


def test_log_requests_records_what_the_client_sent(livy):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "requests.jsonl")
        c = livy(log_requests=path)
        sid = c.session(kind="pyspark")
        c.delete("/sessions/%d" % sid, headers={"X-Requested-By": "kindling"})
        with open(path, encoding="utf-8") as f:
            entries = [json.loads(line) for line in f]
    post = entries[0]
    assert post["method"] == "POST" and post["path"] == "/sessions"
    assert json.loads(post["body"]) == {"kind": "pyspark"}
    assert post["headers"]["Content-Type"] == "application/json"
    deletes = [e for e in entries if e["method"] == "DELETE"]
    assert [e["path"] for e in deletes] == ["/sessions/0"]
    assert deletes[0]["headers"]["X-Requested-By"] == "kindling"


def test_fault_injection_shapes_and_determinism(livy):
    def shapes(seed):
        c = livy(fail_rate=1.0, fail_seed=seed, fail_count=12)
        out = []
        for _ in range(12):
            r = c.get("/version")
            assert r.status == 500
            if r.headers["Content-Type"].startswith("text/html"):
                out.append("html")
            else:
                out.append("msg" if isinstance(r.json(), dict) else "string")
        assert c.get("/version").status == 200     # fail_count is spent
        return out
    first = shapes(2)
    assert set(first) == {"msg", "string", "html"}
    assert shapes(2) == first


def test_fault_after_processing_applies_the_post(livy):
    c = livy(fail_rate=1.0, fail_when="after",
             fail_path=r"^POST /sessions/\d+/statements$")
    sid = c.session(kind="pyspark")
    r = c.post("/sessions/%d/statements" % sid, {"code": "7"})
    assert r.status == 500
    listing = c.get("/sessions/%d/statements" % sid).json()
    assert listing["total_statements"] == 1
    assert c.wait_statement(sid, 0)["output"]["data"]["text/plain"] == "7"


def test_request_body_limit(livy):
    c = livy(max_body=100)
    r = c.post("/sessions", raw=b'{"name":"' + b"x" * 200 + b'"}',
               headers={"Content-Type": "application/json"})
    assert is_jetty_html(r, 413, "Payload Too Large")
    conn = http.client.HTTPConnection(c.url[len("http://"):], timeout=5)
    conn.putrequest("POST", "/sessions")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    conn.send(b"".join([b"32\r\n" + b" " * 50 + b"\r\n"] * 5) + b"0\r\n\r\n")
    assert conn.getresponse().status == 413
    conn.close()
    conn = http.client.HTTPConnection(c.url[len("http://"):], timeout=5)
    conn.putrequest("POST", "/sessions")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    conn.send(b"2\r\n{}\r\n0\r\n\r\n")
    assert conn.getresponse().status == 201
    conn.close()


# ---------------------------------------------------------------------------
# The pyspark interpreter.

def test_python_outputs_like_fake_shell(repl):
    py = repl.py
    assert repl.text(py, "1 + 2") == "3"
    assert repl.text(py, "x_out = 1") == ""
    assert repl.text(py, "print('Hello World')") == "Hello World"
    assert repl.text(py, "x_out + 1") == "2"
    assert repl.text(py, "for i in range(3): i") == "0\n1\n2"
    assert repl.text(py, "import sys\nprint('e', file=sys.stderr)\nprint('o')"
                     ) == "o\ne"
    out = repl.run(py, "undefined_name")["output"]
    assert out == {"status": "error", "execution_count": out["execution_count"],
                   "ename": "NameError",
                   "evalue": "name 'undefined_name' is not defined",
                   "traceback": ["Traceback (most recent call last):\n",
                                 "NameError: name 'undefined_name' is not "
                                 "defined\n"]}
    out = repl.run(py, "def func1():\n    raise Exception('message')\n"
                       "def func2():\n    func1()\nfunc2()")["output"]
    assert out["traceback"] == ["Traceback (most recent call last):\n",
                                '  File "<stdin>", line 4, in func2\n',
                                '  File "<stdin>", line 2, in func1\n',
                                "Exception: message\n"]
    out = repl.run(py, "1+")["output"]
    assert out["ename"] == "SyntaxError"
    assert out["traceback"] == ['  File "<stdin>", line 1\n', "    1+\n",
                                "      ^\n", "SyntaxError: invalid syntax\n"]


def test_python_stdout_kept_after_error(repl):
    py = repl.py
    assert repl.run(py, "print('lost?')\n1/0")["output"]["ename"] == \
        "ZeroDivisionError"
    assert repl.text(py, "print('next')") == "lost?\nnext"


def test_python_execution_count_is_statement_id(livy):
    c = livy()
    sid = c.session(kind="pyspark")
    for i in range(3):
        assert c.run(sid, "%d" % i)["output"]["execution_count"] == i


def test_show_format(repl):
    py = repl.py
    repl.text(py, "show_df = spark.createDataFrame([{'name': 'alice', 'id': 1},"
                  " {'name': None, 'id': 22}])")
    assert repl.text(py, "show_df.show()") == (
        "+---+-----+\n"
        "| id| name|\n"
        "+---+-----+\n"
        "|  1|alice|\n"
        "| 22| null|\n"
        "+---+-----+")
    assert repl.text(py, "show_df.show(truncate=False)") == (
        "+---+-----+\n"
        "|id |name |\n"
        "+---+-----+\n"
        "|1  |alice|\n"
        "|22 |null |\n"
        "+---+-----+")
    assert repl.text(py, "show_df.show(1)") == (
        "+---+-----+\n"
        "| id| name|\n"
        "+---+-----+\n"
        "|  1|alice|\n"
        "+---+-----+\n"
        "only showing top 1 row")
    assert repl.text(py, "show_df.show(vertical=True)") == (
        "-RECORD 0-----\n"
        " id   | 1     \n"
        " name | alice \n"
        "-RECORD 1-----\n"
        " id   | 22    \n"
        " name | null")
    assert repl.text(py, "spark.createDataFrame([('abcdefghijklmnopqrstuvwxyz',"
                         " 1.5, True)], ['s', 'd', 'b']).show()") == (
        "+--------------------+---+----+\n"
        "|                   s|  d|   b|\n"
        "+--------------------+---+----+\n"
        "|abcdefghijklmnopq...|1.5|true|\n"
        "+--------------------+---+----+")


def test_spark_sql_schema_types(repl):
    py = repl.py
    repl.text(py, "spark.sql('CREATE TABLE typed (i INTEGER, n INT, r REAL, "
                  "t TEXT, d DECIMAL(10,2), dt DATE, ts TIMESTAMP, b BOOLEAN)')")
    repl.text(py, "spark.sql(\"INSERT INTO typed VALUES (1, 2, 1.5, 'x', 3.25, "
                  "'2024-01-02', '2024-01-02 03:04:05', 1)\")")
    schema = json.loads(repl.text(py, "print(spark.sql('SELECT * FROM typed')"
                                      ".schema.json())"))
    assert [(f["name"], f["type"]) for f in schema["fields"]] == [
        ("i", "long"), ("n", "integer"), ("r", "double"), ("t", "string"),
        ("d", "decimal(10,2)"), ("dt", "date"), ("ts", "timestamp"),
        ("b", "boolean")]
    exprs = json.loads(repl.text(py, "print(spark.sql(\"SELECT 1 AS a, 2.5 AS b,"
                                     " 'z' AS c\").schema.json())"))
    assert [f["type"] for f in exprs["fields"]] == ["long", "double", "string"]
    assert repl.text(py, "spark.sql('SELECT * FROM typed')") == (
        "DataFrame[i: bigint, n: int, r: double, t: string, d: decimal(10,2), "
        "dt: date, ts: timestamp, b: boolean]")
    row = repl.text(py, "r0 = spark.sql('SELECT * FROM typed').collect()[0]\n"
                        "print(r0.d, r0['dt'], r0[6], r0.b, type(r0.i).__name__)")
    assert row == "3.25 2024-01-02 2024-01-02 03:04:05 True int"


def test_large_sql_result_keeps_types(repl):
    # A %%sql-sized result: 10,000 rows, columns whose sqlite values are
    # already Python values of their Spark type, and ones that are not
    # (booleans stored as 0/1, text in an INTEGER column, NULLs).
    py = repl.py
    repl.text(py, "spark.createDataFrame([(i, 'n%d' % i, i * 0.5, i % 2 == 0) for i in "
                  "range(10000)], 'id BIGINT, name STRING, x DOUBLE, f BOOLEAN')"
                  ".createOrReplaceTempView('big')")
    repl.text(py, "spark.sql('CREATE TABLE odd (i INTEGER, t TEXT)')")
    repl.text(py, "spark.sql(\"INSERT INTO odd VALUES (1, 'a'), ('x7', NULL), (NULL, 'c')\")")
    out = json.loads(repl.text(
        py, "import json\n"
            "rows = spark.sql('SELECT id, name, x, f FROM big').take(10001)\n"
            "print(json.dumps([len(rows), [list(r) for r in rows[:3]], rows[-1].asDict(),\n"
            "  sorted({type(v).__name__ for r in rows for v in r})]))"))
    assert out[0] == 10000
    assert out[1] == [[0, "n0", 0.0, True], [1, "n1", 0.5, False], [2, "n2", 1.0, True]]
    assert out[2] == {"id": 9999, "name": "n9999", "x": 4999.5, "f": False}
    assert out[3] == ["bool", "float", "int", "str"]
    odd = repl.text(py, "print([tuple(r) for r in spark.sql('SELECT i, t FROM odd').collect()])")
    assert odd == "[(1, 'a'), ('x7', None), (None, 'c')]"


def test_dataframe_api(repl):
    py = repl.py
    repl.text(py, "api = spark.sql('WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL "
                  "SELECT n + 1 FROM c WHERE n < 50) SELECT n FROM c')")
    assert repl.text(py, "api.count(), api.columns, len(api.collect())") == \
        "(50, ['n'], 50)"
    assert repl.text(py, "api.take(2)") == "[Row(n=1), Row(n=2)]"
    assert repl.text(py, "api.limit(3).count()") == "3"
    assert repl.text(py, "api.first().asDict()") == "{'n': 1}"
    a = repl.text(py, "[r.n for r in api.sample(False, 0.2, seed=3).collect()]")
    assert a == repl.text(py, "[r.n for r in api.sample(withReplacement=False, "
                              "fraction=0.2, seed=3).collect()]")
    assert 0 < len(json.loads(a)) < 50
    assert repl.text(py, "api.limit(2).toJSON().collect()") == \
        "['{\"n\":1}', '{\"n\":2}']"
    assert repl.text(py, "sc.version, spark.version") == "('3.5.1', '3.5.1')"
    assert repl.text(py, "sc.parallelize([1, 2, 3]).map(lambda v: v * 2)"
                         ".collect()") == "[2, 4, 6]"
    assert repl.text(py, "from pyspark.sql import Row\n"
                         "spark.createDataFrame([Row(b=1, a='x')]).columns") == \
        "['b', 'a']"
    js = repl.text(py, "jdf = spark.read.json(sc.parallelize(['{\"k\": 1, "
                       "\"a\": \"x\"}', '{\"a\": null, \"k\": 2.5}']))\n"
                       "print(jdf.dtypes)\nfor j in jdf.toJSON().collect(): "
                       "print(j)")
    assert js == ("[('a', 'string'), ('k', 'double')]\n"
                  '{"a":"x","k":1.0}\n{"k":2.5}')


def test_sparkmagic_sql_wrappers(repl):
    py = repl.py
    repl.text(py, "spark.createDataFrame([{'id': 1, 'v': 'a'}, {'id': 2, "
                  "'v': None}]).createOrReplaceTempView('wrapped')")
    take = ('import sys\nfor yQeKOYBsFgLWWGWZJu3y in spark.sql(u"""SELECT * '
            'FROM wrapped """).toJSON(use_unicode=(sys.version_info.major > 2))'
            '.take(2500): print(yQeKOYBsFgLWWGWZJu3y)')
    assert repl.text(py, take) == '{"id":1,"v":"a"}\n{"id":2}'
    sample = take.replace(".take(2500)", ".sample(False, 1.0).take(2500)")
    assert repl.text(py, sample) == '{"id":1,"v":"a"}\n{"id":2}'
    collect = take.replace(".take(2500)", ".collect()")
    assert len(repl.text(py, collect).split("\n")) == 2


def test_sql_kind_output(repl):
    sh = repl.shared
    repl.run(sh, "spark.createDataFrame([{'name': 'Jerry', 'age': 20}, "
                 "{'name': 'Michael', 'age': 21}]).createOrReplaceTempView("
                 "'people')", kind="pyspark")
    out = repl.run(sh, "SELECT name, age FROM people ORDER BY age",
                   kind="sql")["output"]
    assert out["status"] == "ok"
    assert out["data"] == {"application/json": {
        "schema": {"type": "struct", "fields": [
            {"name": "name", "type": "string", "nullable": True, "metadata": {}},
            {"name": "age", "type": "long", "nullable": True, "metadata": {}}]},
        "data": [["Jerry", 20], ["Michael", 21]]}}
    ddl = repl.run(sh, "CREATE TABLE ddl_t (a INT)", kind="sql")["output"]
    assert ddl["data"] == {"application/json": {
        "schema": {"type": "struct", "fields": []}, "data": []}}
    err = repl.run(sh, "SELECT * FROM missing_table", kind="sql")["output"]
    assert err["status"] == "error" and err["ename"] == "Error"
    assert err["evalue"].startswith("[TABLE_OR_VIEW_NOT_FOUND] The table or "
                                    "view `missing_table` cannot be found.")
    assert err["traceback"] and not any(t.endswith("\n") for t in err["traceback"])
    two = repl.run(sh, "SELECT 1; SELECT 2", kind="sql")["output"]
    assert two["status"] == "error"
    many = repl.run(sh, "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1"
                        " FROM c WHERE n < 1005) SELECT n FROM c",
                    kind="sql")["output"]
    assert len(many["data"]["application/json"]["data"]) == 1000


def test_magics(repl):
    py = repl.py
    repl.text(py, "mrows = [{'b': 'x', 'a': 1}, {'a': 3, 'b': None}]")
    out = repl.run(py, "%json mrows")["output"]
    assert out["data"] == {"application/json": [{"b": "x", "a": 1},
                                                {"a": 3, "b": None}]}
    out = repl.run(py, "%table mrows")["output"]
    assert out["data"] == {"application/vnd.livy.table.v1+json": {
        "headers": [{"name": "a", "type": "INT_TYPE"},
                    {"name": "b", "type": "STRING_TYPE"}],
        "data": [[1, "x"], [3, None]]}}
    out = repl.run(py, "tup = [(1, 2.5), (2, 3.5)]\n%table tup")["output"]
    assert out["data"]["application/vnd.livy.table.v1+json"]["headers"] == [
        {"name": "0", "type": "INT_TYPE"}, {"name": "1", "type": "DOUBLE_TYPE"}]
    out = repl.run(py, "class Fig:\n    def savefig(self, f, format=None):\n"
                       "        pass\nfig = Fig()\n%matplot fig")["output"]
    png = base64.b64decode(out["data"]["image/png"])
    assert list(out["data"]) == ["image/png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    idat_len = struct.unpack(">I", png[33:37])[0]
    raw = zlib.decompress(png[41:41 + idat_len])
    assert len(raw) == height * (1 + 3 * width)
    out = repl.run(py, "%matplot x_out")["output"]
    assert out["status"] == "error" and out["ename"] == "AttributeError"
    out = repl.run(py, "%json nothing_here")["output"]
    assert out["ename"] == "KeyError" and out["traceback"] == [
        "KeyError: 'nothing_here'\n"]
    out = repl.run(py, "%foo mrows")["output"]
    assert out["ename"] == "UnknownMagic"
    assert out["evalue"] == "unknown magic command 'foo'"


# ---------------------------------------------------------------------------
# The Scala subset.

def test_scala_subset(repl):
    sh = repl.shared
    assert repl.text(sh, "1 + 2", kind="spark") == "res0: Int = 3\n"
    assert repl.text(sh, "val sx = 6 * 7", kind="spark") == "sx: Int = 42\n"
    assert repl.text(sh, 'println("Hello World")', kind="spark") == "Hello World\n"
    assert repl.text(sh, "println(sx / 5)\nprintln(2147483647 + 1)",
                     kind="spark") == "8\n-2147483648\n"
    repl.run(sh, "CREATE TABLE scala_t (id INTEGER, name TEXT)", kind="sql")
    repl.run(sh, "INSERT INTO scala_t VALUES (1, 'a'), (2, 'b')", kind="sql")
    text = repl.text(sh, 'val sdf = spark.sql("""SELECT * FROM scala_t""")\n'
                         "sdf.show()", kind="spark")
    assert text == ("sdf: org.apache.spark.sql.DataFrame = [id: bigint, name: "
                    "string]\n"
                    "+---+----+\n"
                    "| id|name|\n"
                    "+---+----+\n"
                    "|  1|   a|\n"
                    "|  2|   b|\n"
                    "+---+----+\n")
    assert repl.text(sh, 'spark.sql("""SELECT * FROM scala_t""").toJSON'
                         '.take(2500).foreach(println)', kind="spark") == \
        '{"id":1,"name":"a"}\n{"id":2,"name":"b"}\n'
    assert repl.text(sh, "Thread.sleep(10)", kind="spark") == ""
    out = repl.run(sh, "sc.parallelize(1 to 10).count()", kind="spark")["output"]
    assert out == {"status": "error", "execution_count": out["execution_count"],
                   "ename": "NotSupportedInTestServer",
                   "evalue": "sc.parallelize(1 to 10).count()", "traceback": []}
    out = repl.run(sh, "println(List(1))", kind="spark")["output"]
    assert out["ename"] == "NotSupportedInTestServer"
    out = repl.run(sh, "nope", kind="spark")["output"]
    assert out["ename"] == "Error"
    assert out["evalue"] == "<console>:24: error: not found: value nope"


def test_sparkr_statements_outside_the_r_subset_are_not_supported(repl):
    # sparkr runs a small R subset (fake_interp.RInterpreter); anything
    # else is refused whole, with the cell as evalue.
    out = repl.run(repl.shared, "library(ggplot2)", kind="sparkr")["output"]
    assert out["status"] == "error" and out["ename"] == "NotSupportedInTestServer"
    assert out["evalue"] == "library(ggplot2)"


# ---------------------------------------------------------------------------
# Process behaviour.

def _read_url(proc):
    line = proc.stdout.readline().decode().strip()
    assert line.startswith("LIVY_URL=http://127.0.0.1:"), line
    return line[len("LIVY_URL="):]


def _gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] == "Z"
    except FileNotFoundError:
        return True


def test_cli_prints_url_and_exits_on_sigterm():
    proc = subprocess.Popen([sys.executable, SERVER, "--port", "0",
                             "--start-delay", "0.05"], stdout=subprocess.PIPE)
    try:
        c = Client(_read_url(proc))
        sid = c.session(kind="pyspark")
        assert c.text(sid, "21 * 2") == "42"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_cli_help_lists_every_option():
    out = subprocess.run([sys.executable, SERVER, "--help"], check=True,
                         capture_output=True, text=True).stdout
    for name in livy_server.DEFAULTS:
        assert "--" + name.replace("_", "-") in out


def test_exits_when_parent_dies():
    launcher = ("import subprocess, sys\n"
                "p = subprocess.Popen([sys.executable, %r, '--port', '0'], "
                "stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)\n"
                "print(p.pid, flush=True)\n"
                "print(p.stdout.readline().decode().strip(), flush=True)\n"
                % SERVER)
    out = subprocess.run([sys.executable, "-c", launcher], check=True,
                         capture_output=True, text=True, timeout=10).stdout
    pid = int(out.split()[0])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not _gone(pid):
        time.sleep(0.05)
    if not _gone(pid):
        os.kill(pid, signal.SIGKILL)
        pytest.fail("server outlived its parent")


def test_restart_on_same_port_starts_empty(livy):
    server, url = livy_server.start_server(start_delay=0.05)
    port = int(url.rsplit(":", 1)[1])
    c = Client(url)
    c.session(kind="pyspark")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/sessions")
    conn.getresponse().read()
    server.stop()
    c2 = livy(port=port)
    assert c2.url == url
    assert c2.get("/sessions").json() == {"from": 0, "total": 0, "sessions": []}
    assert c2.session(kind="pyspark") == 0
    conn.close()


def test_start_server_rejects_unknown_option():
    with pytest.raises(TypeError):
        livy_server.start_server(no_such_option=1)


def test_results_are_converted_to_spark_types_column_by_column(repl):
    # sqlite hands back 0/1 for BOOLEAN, REAL for DOUBLE and text for
    # TIMESTAMP; whole columns are converted at once, NULLs kept, and the
    # rows of one result share their field names.
    code = (
        "spark.sql('CREATE TABLE conv_t (b BOOLEAN, d DOUBLE, n BIGINT, s STRING, t TIMESTAMP)')\n"
        "spark.sql(\"INSERT INTO conv_t VALUES (1, 2, 3, 'x', '2024-01-02 03:04:05'), "
        "(0, NULL, NULL, NULL, NULL), (NULL, 1.5, 4, '5', NULL)\")\n"
        "df = spark.sql('SELECT * FROM conv_t')\n"
        "rows = df.collect()\n"
        "print([[type(v).__name__ for v in r] for r in rows])\n"
        "print(rows[0].b, rows[1].b, rows[2].b, rows[0].d, rows[0]['t'], rows[2].asDict())\n"
        "print(type(rows[0]) is Row, df.take(1)[0].__fields__, len(df.take(10)), df.take(-1))\n"
        "big = spark.range(5000).collect()\n"
        "print(big[4999].id, big[0].asDict(), repr(big[1]))")
    out = repl.text(repl.py, "from pyspark.sql import Row\n" + code)
    lines = out.splitlines()
    assert lines[0] == ("[['bool', 'float', 'int', 'str', 'datetime'], "
                        "['bool', 'NoneType', 'NoneType', 'NoneType', 'NoneType'], "
                        "['NoneType', 'float', 'int', 'str', 'NoneType']]")
    assert lines[1] == ("True False None 2.0 2024-01-02 03:04:05 "
                        "{'b': None, 'd': 1.5, 'n': 4, 's': '5', 't': None}")
    assert lines[2] == "True ['b', 'd', 'n', 's', 't'] 3 []"
    assert lines[3] == "4999 {'id': 0} Row(id=1)"
