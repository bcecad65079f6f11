"""The Livy backend through the real jupyter_client, against the test Livy
server of tests/livy (which follows livy-protocol.md): lazy start with a
live status display, statements and their outputs, typed %%sql tables,
errors as error replies, interrupt -> cancel, shutdown -> DELETE, session
loss, CSRF and Basic auth, sparkmagic's config.json, and the %spark
subcommands (credentials on %spark add, delete and cleanup at a second
endpoint)."""
import base64
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import SRCDIR, Kernel, outputs

SERVER = os.path.join(SRCDIR, "tests", "livy", "livy_server.py")


class Livy:
    """A test Livy server process; its request log is tmp_path/<log>.jsonl
    (give a second server in the same test another log name)."""

    def __init__(self, tmp_path, *args, log="requests"):
        self.log = str(tmp_path / f"{log}.jsonl")
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, "--port", "0", "--start-delay", "0.2",
             "--log-requests", self.log, *args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("LIVY_URL="), line
        self.url = line.strip().split("=", 1)[1]

    def requests(self):
        if not os.path.exists(self.log):
            return []
        return [json.loads(l) for l in open(self.log) if l.strip()]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def livy_kernel(kernel_env, tmp_path, request):
    started = []

    def make(*server_args, name="kindling-pyspark", config=None):
        server = Livy(tmp_path, *server_args)
        saved = dict(os.environ)
        if config is None:
            os.environ["KINDLING_LIVY_URL"] = server.url
        else:
            config = json.loads(json.dumps(config).replace("$URL", server.url))
            path = tmp_path / "config.json"
            path.write_text(json.dumps(config))
            os.environ["SPARKMAGIC_CONF_FILE"] = str(path)
        k = Kernel(name)
        os.environ.clear()
        os.environ.update(saved)
        k.drain(0.1)
        started.append((k, server))
        return k, server

    yield make
    for k, server in started:
        try:
            k.stop()
        finally:
            server.stop()


def texts(msgs):
    out = []
    for m in outputs(msgs):
        c = m["content"]
        out.append(c.get("text") or c.get("data", {}).get("text/plain") or c.get("evalue", ""))
    return "\n".join(out)


def interrupt_running(k, server, code):
    """Run code, interrupt it a second later: the cell must end within 3.5 s
    as KeyboardInterrupt, and the statement be cancelled on the server.
    Returns the execute's msg_id."""
    msg_id = k.kc.execute(code)
    time.sleep(1.0)
    t0 = time.time()
    k.kc.control_channel.send(k.kc.session.msg("interrupt_request", {}))
    reply = k.kc.get_shell_msg(timeout=10)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert time.time() - t0 < 3.5
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert any(r["path"].endswith("/cancel") for r in server.requests())
    return msg_id


def test_lazy_start_status_display_and_probe(livy_kernel):
    k, server = livy_kernel()
    assert not [r for r in server.requests() if r["method"] == "POST"], "no session before a cell"
    r, msgs = k.execute("print(40 + 2)")
    assert r["content"]["status"] == "ok"
    t = texts(msgs)
    assert "Starting Spark application" in t
    assert "SparkSession available as 'spark'." in t
    assert "42" in t
    disp = [m for m in msgs if m["msg_type"] == "display_data"]
    upd = [m for m in msgs if m["msg_type"] == "update_display_data"]
    assert disp and upd
    did = disp[0]["content"]["transient"]["display_id"]
    assert all(u["content"]["transient"]["display_id"] == did for u in upd)
    assert "ready" in upd[-1]["content"]["data"]["text/plain"]
    posts = [r for r in server.requests() if r["method"] == "POST" and r["path"] == "/sessions"]
    assert len(posts) == 1 and json.loads(posts[0]["body"])["kind"] == "pyspark"
    assert any(h.lower() == "x-requested-by" for h in posts[0]["headers"])


def test_statement_error_is_error_reply(livy_kernel):
    k, _ = livy_kernel()
    r, msgs = k.execute("1/0")
    c = r["content"]
    assert c["status"] == "error" and c["ename"] == "ZeroDivisionError"
    assert "division by zero" in c["evalue"]
    assert any("Traceback" in line for line in c["traceback"])
    assert len([m for m in msgs if m["msg_type"] == "error"]) == 1


def test_sql_table_types_truncation_and_output_var(livy_kernel):
    k, _ = livy_kernel()
    k.execute("spark.sql('CREATE TABLE t (a INTEGER, b TEXT, c REAL)')\n"
              "spark.sql(\"INSERT INTO t VALUES (1,'x',1.5),(2,'<b>',NULL),(3,'z',3.0)\")")
    r, msgs = k.execute("%%sql -n 2 -o top\nSELECT a, b, c FROM t ORDER BY a")
    assert r["content"]["status"] == "ok"
    disp = [m for m in msgs if m["msg_type"] == "display_data"][-1]["content"]["data"]
    assert "showing 2 of 3 rows" in disp["text/plain"]
    assert "&lt;b&gt;" in disp["text/html"] and "<b>" not in disp["text/html"].replace("<br>", "")
    assert "long" in disp["text/html"] and "string" in disp["text/html"]
    res = disp["application/vnd.dataresource+json"]
    assert [f["name"] for f in res["schema"]["fields"]] == ["a", "b", "c"]
    assert res["data"][0] == {"a": 1, "b": "x", "c": 1.5}
    assert res["data"][1]["c"] is None
    r, msgs = k.execute("%%sql -q\nSELECT 1")
    assert r["content"]["status"] == "ok" and not outputs(msgs)


def test_sql_error_and_bad_flags(livy_kernel):
    k, _ = livy_kernel()
    r, _ = k.execute("%%sql\nSELECT * FROM no_such_table")
    assert r["content"]["status"] == "error"
    assert "no_such_table" in r["content"]["evalue"]
    r, _ = k.execute("%%sql -m bogus\nSELECT 1")
    assert r["content"]["evalue"].startswith("samplemethod (-m) must be one of (take, sample)")
    r, _ = k.execute("%%sql -r 3\nSELECT 1")
    assert "samplefraction (-r) must be a float between 0.0 and 1.0" in r["content"]["evalue"]


def test_interrupt_cancels_statement(livy_kernel):
    k, server = livy_kernel()
    k.execute("print(1)")  # start the session first
    msg_id = interrupt_running(k, server, "import time\ntime.sleep(30)")
    msgs = k.iopub_for(msg_id)
    prog = [m for m in msgs if m["msg_type"] in ("display_data", "update_display_data")
            and "Statement" in m["content"]["data"]["text/plain"]]
    assert prog, "a progress line is shown for a long statement"


def test_shutdown_deletes_session(livy_kernel):
    k, server = livy_kernel()
    k.execute("print(1)")
    k.km.shutdown_kernel(now=False)
    deletes = [r for r in server.requests() if r["method"] == "DELETE"]
    assert deletes and deletes[0]["path"] == "/sessions/0"


def test_silent_probe_never_starts_session(livy_kernel):
    k, server = livy_kernel()
    r, _ = k.execute("import sys; sys.version", silent=True)
    assert r["content"]["status"] == "ok"
    r, _ = k.execute("x = 1", store_history=False)
    assert r["content"]["status"] == "ok"
    assert not [r for r in server.requests() if r["method"] == "POST"]


def test_start_failure_is_reported_with_log(livy_kernel):
    k, server = livy_kernel("--start-fail")
    r, _ = k.execute("print(1)")
    assert r["content"]["status"] == "error"
    assert "final status" in r["content"]["evalue"]


def test_unreachable_livy_is_a_clear_error(kernel_env):
    os.environ["KINDLING_LIVY_URL"] = "http://127.0.0.1:9"
    try:
        k = Kernel("kindling-pyspark")
    finally:
        del os.environ["KINDLING_LIVY_URL"]
    try:
        t0 = time.time()
        r, _ = k.execute("print(1)")
        assert r["content"]["status"] == "error"
        assert "cannot reach Livy at http://127.0.0.1:9" in r["content"]["evalue"]
        assert time.time() - t0 < 60
    finally:
        k.stop()


def test_csrf_and_basic_auth_via_config(livy_kernel):
    cfg = {"kernel_python_credentials": {"url": "$URL", "username": "alice",
                                         "base64_password": "c2VjcmV0", "auth": "Basic_Access"}}
    k, server = livy_kernel("--csrf", "--basic-auth", "alice:secret", config=cfg)
    r, msgs = k.execute("print('authed')")
    assert r["content"]["status"] == "ok", r["content"]
    assert "authed" in texts(msgs)
    r, msgs = k.execute("%%info")
    assert "config.json" in texts(msgs)
    assert "secret" not in texts(msgs)


def test_wrong_password_is_actionable(livy_kernel):
    cfg = {"kernel_python_credentials": {"url": "$URL", "username": "alice",
                                         "password": "wrong", "auth": "Basic_Access"}}
    k, _ = livy_kernel("--basic-auth", "alice:secret", config=cfg)
    r, _ = k.execute("print(1)")
    assert r["content"]["status"] == "error"
    assert "401" in r["content"]["evalue"] and "wrong" not in r["content"]["evalue"]
    assert r["content"]["ename"] == "AuthenticationError"


def test_session_lost_then_recreated(livy_kernel):
    k, server = livy_kernel("--die-after-statements", "2")
    r, _ = k.execute("print(1)")  # probe + this statement
    r, _ = k.execute("print(2)")
    assert r["content"]["status"] == "error"
    r, msgs = k.execute("print(3)")
    if r["content"]["status"] == "error":  # the loss is noticed on this cell
        r, msgs = k.execute("print(3)")
    assert r["content"]["status"] == "ok", r["content"]
    posts = [r for r in server.requests() if r["method"] == "POST" and r["path"] == "/sessions"]
    assert len(posts) == 2


def test_logs_delete_cleanup(livy_kernel):
    k, server = livy_kernel()
    r, msgs = k.execute("%%logs")
    assert "No logs yet." in texts(msgs)
    k.execute("print(1)")
    r, msgs = k.execute("%%logs")
    assert "stderr" in texts(msgs)
    r, _ = k.execute("%%delete -f -s 0")
    assert r["content"]["status"] == "error" and "this kernel's session" in r["content"]["evalue"]
    r, msgs = k.execute("%%cleanup -f")
    assert r["content"]["status"] == "ok"
    assert any(r["method"] == "DELETE" for r in server.requests())


def test_configure_force_restarts(livy_kernel):
    k, server = livy_kernel()
    k.execute("print(1)")
    r, _ = k.execute('%%configure\n{"executorMemory": "2g"}')
    assert r["content"]["status"] == "error"
    assert "include the -f argument" in r["content"]["evalue"]
    r, msgs = k.execute('%%configure -f\n{"executorMemory": "2g"}')
    assert r["content"]["status"] == "ok", r["content"]
    posts = [json.loads(r["body"]) for r in server.requests()
             if r["method"] == "POST" and r["path"] == "/sessions"]
    assert len(posts) == 2 and posts[1]["executorMemory"] == "2g"


def test_password_prompt_uses_stdin_only_when_allowed(livy_kernel):
    cfg = {"kernel_python_credentials": {"url": "$URL", "username": "alice",
                                         "auth": "Basic_Access"}}
    k, _ = livy_kernel("--basic-auth", "alice:secret", config=cfg)
    # allow_stdin=False (nbconvert, papermill): fail fast, never block.
    r, _ = k.execute("print(1)", allow_stdin=False)
    assert r["content"]["status"] == "error"
    assert "no password is configured" in r["content"]["evalue"]
    # allow_stdin=True: an input_request with password=True on stdin.
    msg_id = k.kc.execute("print('in')", allow_stdin=True)
    req = k.kc.get_stdin_msg(timeout=10)
    assert req["msg_type"] == "input_request"
    assert req["content"]["password"] is True
    assert req["parent_header"]["msg_id"] == msg_id
    k.kc.input("secret")
    reply = k.kc.get_shell_msg(timeout=30)
    assert reply["content"]["status"] == "ok", reply["content"]


def test_interrupt_breaks_input_wait(livy_kernel):
    cfg = {"kernel_python_credentials": {"url": "$URL", "username": "alice",
                                         "auth": "Basic_Access"}}
    k, _ = livy_kernel("--basic-auth", "alice:secret", config=cfg)
    msg_id = k.kc.execute("print('in')", allow_stdin=True)
    k.kc.get_stdin_msg(timeout=10)
    k.kc.control_channel.send(k.kc.session.msg("interrupt_request", {}))
    reply = k.kc.get_shell_msg(timeout=5)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "error"


def test_matplot_hooks_and_unsupported_magics(livy_kernel):
    k, _ = livy_kernel()
    r, msgs = k.execute("%%_do_not_call_start_session")
    assert r["content"]["status"] == "ok"
    res = [m for m in msgs if m["msg_type"] == "execute_result"]
    assert res and res[0]["content"]["data"]["text/plain"] == "True"
    k.execute("class Figure:\n    def savefig(self, *a, **kw):\n        pass\nplt = Figure()")
    r, msgs = k.execute("%matplot plt")
    assert r["content"]["status"] == "ok", r["content"]
    pngs = [m for m in msgs if m["msg_type"] == "display_data"
            and "image/png" in m["content"]["data"]]
    assert pngs and pngs[0]["content"]["data"]["image/png"]
    r, _ = k.execute("%%send_to_spark -i x")
    assert r["content"]["status"] == "error" and "Variable named 'x' not found" in r["content"]["evalue"]
    r, msgs = k.execute("%spark info")
    assert r["content"]["status"] == "ok" and "Livy endpoint" in texts(msgs)
    r, _ = k.execute("%%_do_not_call_delete_session")
    assert r["content"]["status"] == "ok"


def _table_t(k):
    r, _ = k.execute("spark.sql('CREATE TABLE t (a INTEGER, b TEXT, d DATE)')\n"
                     "spark.sql(\"INSERT INTO t VALUES (1,'x','2024-01-05'),(2,'it''s \\\"q\\\"',NULL),"
                     "(3,NULL,'2024-03-01')\")")
    assert r["content"]["status"] == "ok", r["content"]


def test_send_to_spark_and_output_vars(livy_kernel):
    k, server = livy_kernel()
    _table_t(k)
    r, msgs = k.execute("%%sql -o top -q\nSELECT a, b, d FROM t ORDER BY a")
    assert r["content"]["status"] == "ok" and not [m for m in msgs if m["msg_type"] == "display_data"]
    # -t df: the rows and the column types reach the session
    r, msgs = k.execute("%%send_to_spark -i top -t df -n remote")
    assert r["content"]["status"] == "ok", r["content"]
    assert "Successfully passed 'top' as 'remote' to Spark kernel" in texts(msgs)
    r, msgs = k.execute("print(remote.count(), remote.dtypes)\nprint(remote.collect()[1].b)")
    assert r["content"]["status"] == "ok", r["content"]
    out = texts(msgs)
    assert "3 [('a', 'bigint'), ('b', 'string'), ('d', 'date')]" in out, out
    assert 'it\'s "q"' in out
    # -m caps the rows sent
    k.execute("%%send_to_spark -i top -t df -n two -m 2")
    _, msgs = k.execute("print(two.count())")
    assert texts(msgs).strip().endswith("2")
    # -t str: a one-value result becomes a string variable
    k.execute("%%sql -o mx -q\nSELECT max(a) AS m FROM t")
    r, msgs = k.execute("%%send_to_spark -i mx -n biggest")
    assert r["content"]["status"] == "ok", r["content"]
    _, msgs = k.execute("print(repr(biggest))")
    assert "'3'" in texts(msgs)
    # errors name the problem
    r, _ = k.execute("%%send_to_spark -i top -n whole")
    assert r["content"]["status"] == "error" and "not one value" in r["content"]["evalue"]
    r, _ = k.execute("%%send_to_spark -i top -t df -n 'bad name'")
    assert r["content"]["status"] == "error" and "not a valid variable name" in r["content"]["evalue"]
    r, _ = k.execute("%%send_to_spark -i top -t table")
    assert r["content"]["status"] == "error" and "vartype (-t) must be one of (str, df)" in r["content"]["evalue"]
    # %%spark -o VAR fetches a DataFrame of the session, typed
    r, msgs = k.execute("%%spark -o big\nbig = spark.sql('SELECT a, d FROM t WHERE a > 1')\nprint('made')")
    assert r["content"]["status"] == "ok", r["content"]
    assert "made" in texts(msgs)
    k.execute("%%send_to_spark -i big -t df -n big_back")
    _, msgs = k.execute("print(big_back.count(), big_back.dtypes)")
    assert "2 [('a', 'bigint'), ('d', 'date')]" in texts(msgs)
    r, _ = k.execute("%%spark -o nosuch\nprint(1)")
    assert r["content"]["status"] == "error" and "nosuch" in r["content"]["evalue"]
    # -o results are views of the local engine too (%%local)
    r, msgs = k.execute("%%local\nSELECT count(*) AS n, max(d) AS last FROM big")
    assert r["content"]["status"] == "ok", r["content"]
    res = [m for m in msgs if m["msg_type"] == "display_data"][-1]["content"]["data"]
    assert res["application/vnd.dataresource+json"]["data"] == [{"n": 2, "last": "2024-03-01"}]


def test_pretty_turns_show_tables_into_tables(livy_kernel):
    k, _ = livy_kernel()
    _table_t(k)
    r, msgs = k.execute("%%pretty\nprint('before')\nspark.sql('SELECT a, b FROM t ORDER BY a').show()\n"
                        "print('after')")
    assert r["content"]["status"] == "ok", r["content"]
    streams = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")
    assert "before" in streams and "after" in streams and "+---+" not in streams
    tables = [m["content"]["data"] for m in msgs if m["msg_type"] == "display_data"
              and "text/html" in m["content"]["data"] and "<table" in m["content"]["data"]["text/html"]]
    assert len(tables) == 1
    html = tables[0]["text/html"]
    assert "<th>a</th>" in html.replace(" ", "") or ">a<" in html
    assert "it&#39;s" in html or "it&#x27;s" in html or "it's" not in html
    assert tables[0]["application/vnd.dataresource+json"]["data"][0] == {"a": "1", "b": "x"}
    # an error still shows what was printed, then the error
    r, msgs = k.execute("%%pretty\nprint('partial')\n1/0")
    assert r["content"]["status"] == "error" and r["content"]["ename"] == "ZeroDivisionError"


def test_spark_add_named_sessions(livy_kernel):
    k, server = livy_kernel(config={})  # no endpoint: the kernel's own session is local
    url = server.url
    r, msgs = k.execute(f"%spark add -s one -l python -u {url}")
    assert r["content"]["status"] == "ok", r["content"]
    r, msgs = k.execute("%%spark -s one\nprint(6 * 7)")
    assert r["content"]["status"] == "ok" and "42" in texts(msgs)
    r, msgs = k.execute("print(6 * 8)")  # the only added session takes plain cells
    assert r["content"]["status"] == "ok" and "48" in texts(msgs)
    r, _ = k.execute(f"%spark add -s one -l python -u {url}")
    assert r["content"]["status"] == "error" and "already exists" in r["content"]["evalue"]
    r, _ = k.execute(f"%spark add -s one -l python -u {url} -k")
    assert r["content"]["status"] == "ok"
    r, _ = k.execute(f"%spark add -s two -l scala -u {url}")
    assert r["content"]["status"] == "ok", r["content"]
    posts = [json.loads(x["body"])["kind"] for x in server.requests()
             if x["method"] == "POST" and x["path"] == "/sessions"]
    assert posts == ["pyspark", "spark"]
    r, _ = k.execute("print(1)")
    assert r["content"]["status"] == "error" and "%%spark -s NAME" in r["content"]["evalue"]
    r, msgs = k.execute("%%spark -s two\nprintln(40 + 2)")
    assert r["content"]["status"] == "ok" and "42" in texts(msgs)
    r, msgs = k.execute("%%spark -s one -c sql\nSELECT 1 AS x")
    assert r["content"]["status"] == "ok", r["content"]
    r, _ = k.execute("%%spark -s three\nprint(1)")
    assert r["content"]["status"] == "error" and "No session named 'three'" in r["content"]["evalue"]
    r, msgs = k.execute("%spark info")
    assert r["content"]["status"] == "ok"
    assert "one (" in texts(msgs) and "two (" in texts(msgs)
    r, msgs = k.execute("%spark logs -s one")
    assert r["content"]["status"] == "ok"
    r, msgs = k.execute(f"%spark info -u {url}")
    assert r["content"]["status"] == "ok" and '"kind":"spark"' in texts(msgs)
    ids = sorted(s["id"] for s in json.loads(
        __import__("urllib.request").request.urlopen(url + "/sessions").read())["sessions"])
    r, _ = k.execute("%spark delete -s two")
    assert r["content"]["status"] == "ok"
    deletes = [x["path"] for x in server.requests() if x["method"] == "DELETE"]
    assert deletes == [f"/sessions/{ids[1]}"]
    r, msgs = k.execute("%spark cleanup")
    assert r["content"]["status"] == "ok"
    deletes = [x["path"] for x in server.requests() if x["method"] == "DELETE"]
    assert deletes == [f"/sessions/{ids[1]}", f"/sessions/{ids[0]}"]
    # with no added session left, plain SQL goes back to the local engine
    r, msgs = k.execute("%%sql\nSELECT 2 AS two")
    assert r["content"]["status"] == "ok", r["content"]
    # -l r adds a SparkR session (R code itself: test_livy_r.py)
    r, _ = k.execute(f"%spark add -s r1 -l r -u {url}")
    assert r["content"]["status"] == "ok", r["content"]
    posts = [json.loads(x["body"])["kind"] for x in server.requests()
             if x["method"] == "POST" and x["path"] == "/sessions"]
    assert posts == ["pyspark", "spark", "sparkr"]
    r, msgs = k.execute("%%spark -s r1\ncat(6 * 7)")
    assert r["content"]["status"] == "ok" and "42" in texts(msgs), r["content"]


def test_change_endpoint_and_language_hooks(livy_kernel):
    k, server = livy_kernel(config={})
    r, _ = k.execute(f"%_do_not_call_change_endpoint -s {server.url} -t None")
    assert r["content"]["status"] == "ok", r["content"]
    r, _ = k.execute("%%_do_not_call_change_language -l scala")
    assert r["content"]["status"] == "ok", r["content"]
    r, msgs = k.execute("println(40 + 2)")
    assert r["content"]["status"] == "ok" and "42" in texts(msgs), r["content"]
    posts = [json.loads(x["body"])["kind"] for x in server.requests()
             if x["method"] == "POST" and x["path"] == "/sessions"]
    assert posts == ["spark"]
    r, _ = k.execute(f"%_do_not_call_change_endpoint -s {server.url}")
    assert r["content"]["status"] == "error"
    assert r["content"]["evalue"] == "Cannot change endpoint if session has been started."
    r, _ = k.execute("%%_do_not_call_change_language -l python")
    assert r["content"]["status"] == "error"
    # Livy's completion for Scala code (Livy's other interpreters return [])
    msg_id = k.kc.complete("sc.paral", 8)
    rep = k.kc.get_shell_msg(timeout=10)
    assert rep["parent_header"]["msg_id"] == msg_id
    assert "parallelize" in rep["content"]["matches"]
    assert rep["content"]["cursor_start"] == 3 and rep["content"]["cursor_end"] == 8
    assert any(x["path"].endswith("/completion") for x in server.requests())


def test_config_defaults_are_validated(livy_kernel):
    k, _ = livy_kernel(config={"kernel_python_credentials": {"url": "$URL"},
                               "default_samplemethod": "random"})
    r, _ = k.execute("%%sql\nSELECT 1")
    assert r["content"]["status"] == "error"
    assert "samplemethod (-m) must be one of (take, sample)" in r["content"]["evalue"]
    assert "default_samplemethod" in r["content"]["evalue"]


def test_fatal_error_suggestion_wraps_start_failures(livy_kernel):
    k, _ = livy_kernel("--start-fail", config={
        "kernel_python_credentials": {"url": "$URL"},
        "fatal_error_suggestion": "Spark did not start: {}. Ask the cluster admins."})
    r, _ = k.execute("print(1)")
    c = r["content"]
    assert c["status"] == "error"
    assert c["evalue"].startswith("Spark did not start: ") and "final status" in c["evalue"]
    assert c["evalue"].endswith("Ask the cluster admins.")


def test_shutdown_session_on_statement_errors(livy_kernel):
    k, server = livy_kernel(config={"kernel_python_credentials": {"url": "$URL"},
                                    "shutdown_session_on_spark_statement_errors": True})
    k.execute("print(1)")
    r, msgs = k.execute("1/0")
    assert r["content"]["status"] == "error" and r["content"]["ename"] == "ZeroDivisionError"
    assert "shutdown_session_on_spark_statement_errors" in texts(msgs)
    assert [x["path"] for x in server.requests() if x["method"] == "DELETE"] == ["/sessions/0"]
    r, msgs = k.execute("print(2)")
    assert r["content"]["status"] == "ok" and "2" in texts(msgs)
    posts = [x for x in server.requests() if x["method"] == "POST" and x["path"] == "/sessions"]
    assert len(posts) == 2


def test_cleanup_all_sessions_on_exit(livy_kernel):
    import urllib.request
    k, server = livy_kernel(config={"kernel_python_credentials": {"url": "$URL"},
                                    "cleanup_all_sessions_on_exit": True})
    k.execute("print(1)")
    req = urllib.request.Request(server.url + "/sessions", data=b'{"kind": "pyspark"}',
                                 headers={"Content-Type": "application/json"}, method="POST")
    other = json.loads(urllib.request.urlopen(req).read())["id"]
    k.km.shutdown_kernel(now=False)
    deleted = {x["path"] for x in server.requests() if x["method"] == "DELETE"}
    assert deleted == {"/sessions/0", f"/sessions/{other}"}


def test_wait_for_idle_after_uninterruptible_cancel(livy_kernel):
    # Real Livy cannot stop driver-side code: the session stays busy after
    # the cancel, and the next cell must not silently queue behind it.
    k, server = livy_kernel("--uninterruptible", "--cancel-timeout", "1", config={
        "kernel_python_credentials": {"url": "$URL"}, "wait_for_idle_timeout_seconds": 1})
    k.execute("print(1)")
    msg_id = k.kc.execute("import time\ntime.sleep(6)")
    time.sleep(0.8)
    k.kc.control_channel.send(k.kc.session.msg("interrupt_request", {}))
    reply = k.kc.get_shell_msg(timeout=10)
    assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "error"
    k.iopub_for(msg_id)
    r, _ = k.execute("print(2)")
    assert r["content"]["status"] == "error" and r["content"]["ename"] == "SessionBusy"
    assert "did not reach idle status in time" in r["content"]["evalue"]
    time.sleep(6)
    r, msgs = k.execute("print(3)")
    assert r["content"]["status"] == "ok" and "3" in texts(msgs)


# ---- %spark add with credentials, %spark delete/cleanup at another endpoint ----

def rest(url, method="GET", path="/sessions", body=None, user=None):
    """One REST call to a test Livy server, as another client would make it;
    user is "name:password" for Basic auth. Returns the decoded JSON."""
    headers = {"Content-Type": "application/json", "X-Requested-By": "test"}
    if user:
        headers["Authorization"] = "Basic " + base64.b64encode(user.encode()).decode()
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=10) as f:
        return json.loads(f.read() or b"null")


def session_ids(url, user=None):
    return sorted(s["id"] for s in rest(url, user=user)["sessions"])


class Recorder:
    """Runs cells and keeps every reply and IOPub message, so a test can
    check that a secret never reached the frontend."""

    def __init__(self, k):
        self.k, self.seen = k, []

    def __call__(self, code):
        r, msgs = self.k.execute(code)
        self.seen.append(r)
        self.seen.extend(msgs)
        return r, msgs

    def dump(self):
        """Everything the kernel sent but execute_input, which by protocol
        repeats the cell as typed."""
        return json.dumps([{"content": m["content"], "metadata": m.get("metadata")}
                           for m in self.seen if m["msg_type"] != "execute_input"])


def test_spark_add_basic_auth_flags(livy_kernel):
    user, pw, wrong = "bob", "Pw-7c1f93e2", "Wrong-4a0d66b8"
    k, server = livy_kernel("--basic-auth", f"{user}:{pw}", config={})
    url, run = server.url, Recorder(k)

    def posts():
        return [x for x in server.requests() if x["method"] == "POST" and x["path"] == "/sessions"]
    # A wrong password: the add fails with Livy's 401 made actionable, and
    # no half-added session is left behind under that name.
    r, _ = run(f"%spark add -s authed -l python -u {url} -t Basic_Access -a {user} -p {wrong}")
    c = r["content"]
    assert c["status"] == "error" and c["ename"] == "AuthenticationError", c
    assert "401" in c["evalue"] and "username and password" in c["evalue"]
    assert session_ids(url, f"{user}:{pw}") == []
    # No credentials, and -t None with credentials (-t wins over the
    # default derived from -a/-p): nothing is sent, so 401 as well.
    for line in (f"%spark add -s authed -l python -u {url}",
                 f"%spark add -s authed -l python -u {url} -t None -a {user} -p {pw}"):
        r, _ = run(line)
        assert r["content"]["status"] == "error" and r["content"]["ename"] == "AuthenticationError"
    # The right password: the session starts, owned by the user, and runs cells.
    r, msgs = run(f"%spark add -s authed -l python -u {url} -t Basic_Access -a {user} -p {pw}")
    assert r["content"]["status"] == "ok", r["content"]
    assert "SparkSession available as 'spark'." in texts(msgs)
    listed = rest(url, user=f"{user}:{pw}")["sessions"]
    assert [(s["kind"], s["owner"], s["state"]) for s in listed] == [("pyspark", user, "idle")]
    r, msgs = run("%%spark -s authed\nprint(6 * 7)")
    assert r["content"]["status"] == "ok" and "42" in texts(msgs), r["content"]
    r, msgs = run("print(6 * 8)")  # the only added session takes plain cells
    assert r["content"]["status"] == "ok" and "48" in texts(msgs), r["content"]
    # -a/-p without -t means Basic_Access, as in sparkmagic.
    r, _ = run(f"%spark add -s derived -l scala -u {url} -a {user} -p {pw}")
    assert r["content"]["status"] == "ok", r["content"]
    r, msgs = run("%%spark -s derived\nprintln(40 + 2)")
    assert r["content"]["status"] == "ok" and "42" in texts(msgs), r["content"]
    # -k: an existing name is skipped without contacting the endpoint, even
    # with a wrong password; without -k it is an error naming -k.
    n = len(posts())
    r, msgs = run(f"%spark add -s authed -l python -u {url} -t Basic_Access -a {user} -p {wrong} -k")
    assert r["content"]["status"] == "ok" and not outputs(msgs)
    assert len(posts()) == n
    r, _ = run(f"%spark add -s authed -l python -u {url} -a {user} -p {pw}")
    assert r["content"]["status"] == "error" and "already exists" in r["content"]["evalue"]
    assert "-k" in r["content"]["evalue"] and len(posts()) == n
    # The endpoint's listing needs the credentials too.
    r, _ = run(f"%spark info -u {url}")
    assert r["content"]["status"] == "error" and r["content"]["ename"] == "AuthenticationError"
    r, msgs = run(f"%spark info -u {url} -a {user} -p {pw}")
    assert r["content"]["status"] == "ok" and f'"owner":"{user}"' in texts(msgs)
    r, msgs = run("%spark info")
    assert "authed (" in texts(msgs) and "derived (" in texts(msgs)
    # The deletes authenticate as well.
    r, _ = run("%spark delete -s derived")
    assert r["content"]["status"] == "ok", r["content"]
    assert len(session_ids(url, f"{user}:{pw}")) == 1
    # Neither password ever reached the frontend, nor a request line or body.
    seen = run.dump()
    assert pw not in seen and wrong not in seen
    logged = json.dumps(server.requests())
    assert pw not in logged and wrong not in logged


def test_usage_errors_never_echo_a_password(livy_kernel):
    pw = "Pw-5e2b0c71"
    k, server = livy_kernel(config={})
    run = Recorder(k)
    for line in (f"%spark add -s bad -l perl -u {server.url} -a bob -p {pw}",
                 f"%spark add -s bad -l python -u {server.url} -a bob -p {pw} --bogus",
                 f"%spark add -l python -u {server.url} -a bob -p {pw}",
                 f"%spark delete -u {server.url} -i x -a bob --password={pw}",
                 f"%_do_not_call_change_endpoint -u bob -p {pw} -t Basic_Access",
                 # a password with a blank, unquoted: its second word is not echoed
                 f"%spark add -s bad -l python -u {server.url} -p {pw} {pw}",
                 f"%spark logs -s bad -p{pw}"):
        r, _ = run(line)
        assert r["content"]["status"] == "error" and r["content"]["ename"] == "UsageError"
        # the traceback still points at the line, with the password masked
        tb = r["content"]["traceback"]
        assert any(line.split(" -p")[0][:20] in t and "********" in t for t in tb), tb
    assert pw not in run.dump()


@pytest.fixture
def two_endpoints(livy_kernel, tmp_path):
    """A kernel whose own session is on endpoint A, and a second test Livy
    server B holding three sessions of other clients."""
    k, a = livy_kernel()
    b = Livy(tmp_path, log="second")
    try:
        r, _ = k.execute("print('on A')")
        assert r["content"]["status"] == "ok", r["content"]
        others = [rest(b.url, "POST", body={"kind": kind})["id"]
                  for kind in ("pyspark", "spark", "sql")]
        yield k, a, b, others
    finally:
        b.stop()


def test_spark_delete_and_cleanup_at_another_endpoint(two_endpoints):
    k, a, b, others = two_endpoints
    own = session_ids(a.url)
    assert len(own) == 1
    # -u URL -i ID deletes exactly that session at B.
    r, msgs = k.execute(f"%spark delete -u {b.url} -i {others[1]}")
    assert r["content"]["status"] == "ok", r["content"]
    assert "Deleted 1 session" in texts(msgs)
    assert session_ids(b.url) == [others[0], others[2]]
    assert [x["path"] for x in b.requests() if x["method"] == "DELETE"] == [f"/sessions/{others[1]}"]
    # sparkmagic's usage errors for an incomplete delete
    r, _ = k.execute(f"%spark delete -u {b.url}")
    assert r["content"]["status"] == "error"
    assert "Must provide --id or -i option to delete session at endpoint from URL" in r["content"]["evalue"]
    r, _ = k.execute("%spark delete")
    assert r["content"]["status"] == "error"
    assert "Subcommand 'delete' requires a session name or a URL and session ID" in r["content"]["evalue"]
    r, _ = k.execute(f"%spark delete -u {b.url} -i one")
    assert r["content"]["status"] == "error" and "id (-i) must be an integer" in r["content"]["evalue"]
    r, _ = k.execute("%spark delete -s nobody")
    assert r["content"]["status"] == "error" and "nobody" in r["content"]["evalue"]
    assert session_ids(b.url) == [others[0], others[2]]
    # The kernel's own session at A is untouched and keeps running cells.
    r, msgs = k.execute("print(6 * 7)")
    assert r["content"]["status"] == "ok" and "42" in texts(msgs), r["content"]
    # cleanup -u deletes every session at B, and nothing at A.
    r, msgs = k.execute(f"%spark cleanup -u {b.url}")
    assert r["content"]["status"] == "ok", r["content"]
    assert "Deleted 2 sessions" in texts(msgs)
    assert session_ids(b.url) == []
    assert session_ids(a.url) == own
    assert not [x for x in a.requests() if x["method"] == "DELETE"]
    r, msgs = k.execute("print(6 * 8)")
    assert r["content"]["status"] == "ok" and "48" in texts(msgs), r["content"]
    posts = [x for x in a.requests() if x["method"] == "POST" and x["path"] == "/sessions"]
    assert len(posts) == 1, "the kernel's session was never recreated"
    # %%delete still refuses the kernel's own session, and cleanup of an
    # empty endpoint is not an error.
    r, _ = k.execute(f"%%delete -f -s {own[0]}")
    assert r["content"]["status"] == "error" and "this kernel's session" in r["content"]["evalue"]
    r, msgs = k.execute(f"%spark cleanup -u {b.url}")
    assert r["content"]["status"] == "ok" and "Deleted 0 sessions" in texts(msgs)
    assert session_ids(a.url) == own


def test_spark_cleanup_at_another_endpoint_with_basic_auth(livy_kernel, tmp_path):
    k, a = livy_kernel()
    b = Livy(tmp_path, "--basic-auth", "carol:Pw-0b9e4d27", log="second")
    try:
        k.execute("print(1)")
        for _ in range(2):
            rest(b.url, "POST", body={"kind": "pyspark"}, user="carol:Pw-0b9e4d27")
        r, _ = k.execute(f"%spark cleanup -u {b.url}")
        assert r["content"]["status"] == "error" and r["content"]["ename"] == "AuthenticationError"
        assert len(session_ids(b.url, "carol:Pw-0b9e4d27")) == 2
        r, _ = k.execute(f"%spark delete -u {b.url} -i 0 -a carol -p nope")
        assert r["content"]["status"] == "error" and "401" in r["content"]["evalue"]
        assert "nope" not in r["content"]["evalue"]
        r, msgs = k.execute(f"%spark delete -u {b.url} -i 0 -a carol -p Pw-0b9e4d27")
        assert r["content"]["status"] == "ok", r["content"]
        assert session_ids(b.url, "carol:Pw-0b9e4d27") == [1]
        r, msgs = k.execute(f"%spark cleanup -u {b.url} -t Basic_Access -a carol -p Pw-0b9e4d27")
        assert r["content"]["status"] == "ok" and "Deleted 1 session" in texts(msgs)
        assert session_ids(b.url, "carol:Pw-0b9e4d27") == []
        r, msgs = k.execute("print(2)")
        assert r["content"]["status"] == "ok" and "2" in texts(msgs)
        assert session_ids(a.url) == [0]
    finally:
        b.stop()


def test_spark_delete_by_id_forgets_an_added_session(two_endpoints):
    # sparkmagic's delete_session_by_id: an id+endpoint that names a managed
    # session deletes that session by name, so it leaves the session list.
    k, a, b, others = two_endpoints
    r, _ = k.execute(f"%spark add -s onb -l python -u {b.url}")
    assert r["content"]["status"] == "ok", r["content"]
    added = [i for i in session_ids(b.url) if i not in others]
    assert len(added) == 1
    r, _ = k.execute(f"%spark delete -u {b.url} -i {added[0]}")
    assert r["content"]["status"] == "ok", r["content"]
    assert session_ids(b.url) == others
    r, msgs = k.execute("%spark info")
    assert "onb (" not in texts(msgs)
    # with no added session left, plain cells are the kernel's own again
    r, msgs = k.execute("print(6 * 7)")
    assert r["content"]["status"] == "ok" and "42" in texts(msgs), r["content"]


def test_delete_of_a_missing_session_id_is_an_error(two_endpoints):
    # sparkmagic GETs /sessions/ID first, so a wrong id is a 404 error.
    k, a, b, others = two_endpoints
    missing = max(others) + 10
    r, msgs = k.execute(f"%spark delete -u {b.url} -i {missing}")
    assert r["content"]["status"] == "error", texts(msgs)
    assert str(missing) in r["content"]["evalue"]
    r, msgs = k.execute(f"%%delete -f -s {missing}")
    assert r["content"]["status"] == "error", texts(msgs)
    assert session_ids(b.url) == others


def test_spark_delete_by_id_refuses_the_kernels_own_session(two_endpoints):
    k, a, b, others = two_endpoints
    own = session_ids(a.url)
    r, _ = k.execute(f"%spark delete -u {a.url} -i {own[0]}")
    assert r["content"]["status"] == "error"
    assert "this kernel's session" in r["content"]["evalue"]
    assert session_ids(a.url) == own
    r, msgs = k.execute("print(6 * 7)")
    assert r["content"]["status"] == "ok" and "42" in texts(msgs), r["content"]
