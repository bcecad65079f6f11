"""The Jupyter protocol as the real jupyter_client sees it: every message
type, busy/idle discipline and parent headers, execution counts, errors and
stop_on_error, completion, inspection, history, comms, hostile messages,
interrupt, shutdown and restart."""
import os
import signal
import time

import psutil
import pytest
import zmq
from jupyter_client.session import Session

from conftest import Kernel, outputs


def request(k, channel, msg_type, content=None):
    msg = k.kc.session.msg(msg_type, content or {})
    getattr(k.kc, channel + "_channel").send(msg)
    return msg["header"]["msg_id"]


def reply_for(k, channel, msg_id, timeout=10):
    get = k.kc.get_shell_msg if channel == "shell" else k.kc.get_control_msg
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = get(timeout=deadline - time.time())
        if r["parent_header"].get("msg_id") == msg_id:
            return r
    raise AssertionError("no reply")


def assert_busy_idle(msgs, msg_id):
    assert msgs[0]["msg_type"] == "status" and msgs[0]["content"]["execution_state"] == "busy"
    assert msgs[-1]["msg_type"] == "status" and msgs[-1]["content"]["execution_state"] == "idle"
    for m in msgs:
        assert m["parent_header"]["msg_id"] == msg_id


def test_kernel_info(kernel):
    msg_id = request(kernel, "shell", "kernel_info_request")
    r = reply_for(kernel, "shell", msg_id)
    c = r["content"]
    assert c["status"] == "ok"
    assert c["protocol_version"] == "5.3"
    assert c["implementation"] == "kindling"
    assert c["language_info"]["name"] == "python"
    assert c["language_info"]["file_extension"] == ".py"
    assert "Kindling" in c["banner"]
    assert c["help_links"] and all("url" in h for h in c["help_links"])
    assert r["header"]["version"] == "5.3"
    assert r["parent_header"]["msg_id"] == msg_id
    assert_busy_idle(kernel.iopub_for(msg_id), msg_id)


@pytest.mark.parametrize("name,lang,ext", [("kindling-spark", "scala", ".scala"),
                                           ("kindling-sql", "sql", ".sql")])
def test_language_info_per_kernelspec(make_kernel, name, lang, ext):
    k = make_kernel(name)
    msg_id = request(k, "shell", "kernel_info_request")
    info = reply_for(k, "shell", msg_id)["content"]["language_info"]
    assert info["name"] == lang and info["file_extension"] == ext


def test_kernel_info_on_control(kernel):
    msg_id = request(kernel, "control", "kernel_info_request")
    r = reply_for(kernel, "control", msg_id)
    assert r["content"]["implementation"] == "kindling"
    assert_busy_idle(kernel.iopub_for(msg_id), msg_id)


def test_execute_help_order_and_parents(kernel):
    reply, msgs = kernel.execute("%%help")
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["execution_count"] == 1
    types = [m["msg_type"] for m in msgs]
    assert types[0] == "status" and types[1] == "execute_input" and types[-1] == "status"
    assert msgs[1]["content"] == {"code": "%%help", "execution_count": 1}
    disp = outputs(msgs, "display_data")
    assert len(disp) == 1
    data = disp[0]["content"]["data"]
    assert "%%sql" in data["text/plain"] and "%%configure" in data["text/plain"]
    assert "<table" in data["text/html"]
    assert_busy_idle(msgs, reply["parent_header"]["msg_id"])


def test_execution_count_semantics(kernel):
    r, _ = kernel.execute("%%info")
    assert r["content"]["execution_count"] == 1
    r, msgs = kernel.execute("%%info", silent=True)
    assert r["content"]["execution_count"] == 1
    assert not [m for m in msgs if m["msg_type"] == "execute_input"]
    r, msgs = kernel.execute("%%info", store_history=False)
    assert r["content"]["execution_count"] == 1
    r, _ = kernel.execute("")
    assert r["content"]["execution_count"] == 2
    r, _ = kernel.execute("", silent=True)
    assert r["content"]["execution_count"] == 2


def test_error_reply_and_single_error_output(kernel):
    r, msgs = kernel.execute("%%nosuchmagic\nbody")
    c = r["content"]
    assert c["status"] == "error"
    assert c["ename"] == "UsageError"
    assert "nosuchmagic" in c["evalue"]
    assert c["execution_count"] == 1
    errs = outputs(msgs)
    assert len(errs) == 1 and errs[0]["msg_type"] == "error"
    assert errs[0]["content"]["ename"] == "UsageError"


def test_bad_flag_shows_usage(kernel):
    r, msgs = kernel.execute("%%sql -z\nSELECT 1")
    c = r["content"]
    assert c["status"] == "error" and c["ename"] == "UsageError"
    tb = "\n".join(c["traceback"])
    assert "-z" in tb and "usage: %%sql" in tb
    assert "^" in tb  # caret under the offending flag


def test_configure_bad_json_is_an_error(kernel):
    r, _ = kernel.execute("%%configure\n{\"numExecutors\": ")
    assert r["content"]["status"] == "error"
    assert "Could not parse JSON object" in r["content"]["evalue"]


def test_stop_on_error_aborts_queued_executes(kernel):
    ids = [kernel.kc.execute("%%nosuchmagic"), kernel.kc.execute("%%info"),
           kernel.kc.execute("%%info")]
    replies = {}
    while len(replies) < 3:
        r = kernel.kc.get_shell_msg(timeout=10)
        replies[r["parent_header"]["msg_id"]] = r["content"]
    assert replies[ids[0]]["status"] == "error"
    for i in ids[1:]:
        assert replies[i]["status"] == "error"
        assert replies[i]["ename"] == "ExecutionAborted"
        assert "execution_count" in replies[i]
    # Queued requests still get busy/idle; nothing executes.
    for i in ids[1:]:
        msgs = kernel.iopub_for(i)
        assert not [m for m in msgs if m["msg_type"] == "execute_input"]


def test_stop_on_error_false_runs_next(kernel):
    a = kernel.kc.execute("%%nosuchmagic", stop_on_error=False)
    b = kernel.kc.execute("%%info")
    got = {}
    while len(got) < 2:
        r = kernel.kc.get_shell_msg(timeout=10)
        got[r["parent_header"]["msg_id"]] = r["content"]
    assert got[a]["status"] == "error" and got[b]["status"] == "ok"


def test_complete_magics_and_sql(kernel):
    msg_id = kernel.kc.complete("%%s", 3)
    c = reply_for(kernel, "shell", msg_id)["content"]
    assert "%%sql" in c["matches"] and "%%spark" in c["matches"]
    assert c["cursor_start"] == 0 and c["cursor_end"] == 3
    code = "%%sql\nSELECT * FR"
    msg_id = kernel.kc.complete(code, len(code))
    c = reply_for(kernel, "shell", msg_id)["content"]
    assert "FROM" in c["matches"]
    assert c["cursor_start"] == len(code) - 2
    code = "%%sql -"
    msg_id = kernel.kc.complete(code, len(code))
    c = reply_for(kernel, "shell", msg_id)["content"]
    assert any(m.startswith("--") or m.startswith("-") for m in c["matches"])


def test_complete_counts_code_points(kernel):
    code = "%%sql\nSELECT 'é', * FR"
    msg_id = kernel.kc.complete(code, len(code))
    c = reply_for(kernel, "shell", msg_id)["content"]
    assert "FROM" in c["matches"]
    assert c["cursor_start"] == len(code) - 2  # code points, not bytes


def test_inspect_magic(kernel):
    msg_id = kernel.kc.inspect("%%sql", 3)
    c = reply_for(kernel, "shell", msg_id)["content"]
    assert c["found"] is True
    assert "maxrows" in c["data"]["text/plain"]
    msg_id = kernel.kc.inspect("select", 2)
    assert reply_for(kernel, "shell", msg_id)["content"]["found"] is False


@pytest.mark.parametrize("code,status", [
    ("%%info", "complete"),
    ("%%sql", "incomplete"),
    ("%%sql\nSELECT a,", "incomplete"),
    ("%%sql\nSELECT 1", "complete"),
    ("%%configure\n{\"conf\": {", "incomplete"),
    ("%%configure\n{\"conf\": {}}", "complete"),
    ("for x in y:", "incomplete"),
    ("print(1", "incomplete"),
    ("print(1)", "complete"),
    ("x = '''abc", "incomplete"),
    ("def f():\n    return 1\n", "complete"),
])
def test_is_complete(kernel, code, status):
    msg_id = kernel.kc.is_complete(code)
    c = reply_for(kernel, "shell", msg_id)["content"]
    assert c["status"] == status
    if status == "incomplete":
        assert "indent" in c


def test_is_complete_sql_kernel(make_kernel):
    k = make_kernel("kindling-sql")
    for code, status in [("SELECT *\nFROM", "incomplete"), ("SELECT 1;", "complete"),
                         ("SELECT (1", "incomplete"), ("SELECT 'a", "incomplete")]:
        msg_id = k.kc.is_complete(code)
        assert reply_for(k, "shell", msg_id)["content"]["status"] == status, code


def test_history_tail_range_search(kernel):
    for code in ["%%info", "%%help", "%%info"]:
        kernel.execute(code)
    msg_id = kernel.kc.history(hist_access_type="tail", n=2, output=False, raw=True)
    h = reply_for(kernel, "shell", msg_id)["content"]["history"]
    assert [x[2] for x in h] == ["%%help", "%%info"]
    session = h[-1][0]
    msg_id = kernel.kc.history(hist_access_type="range", session=session, start=1, stop=3,
                               output=False, raw=True)
    h = reply_for(kernel, "shell", msg_id)["content"]["history"]
    assert [(x[0], x[1], x[2]) for x in h] == [(session, 1, "%%info"), (session, 2, "%%help")]
    msg_id = kernel.kc.history(hist_access_type="search", pattern="%%hel*", n=5,
                               unique=True, output=False, raw=True)
    h = reply_for(kernel, "shell", msg_id)["content"]["history"]
    assert h and all(x[2].startswith("%%hel") for x in h)


def test_history_masks_passwords_on_magic_lines(kernel):
    kernel.execute("%spark add -s x -l python -u http://127.0.0.1:9 -p hunter2 -z\nprint(1)")
    msg_id = kernel.kc.history(hist_access_type="tail", n=1, output=False, raw=True)
    h = reply_for(kernel, "shell", msg_id)["content"]["history"]
    assert h[-1][2] == "%spark add -s x -l python -u http://127.0.0.1:9 -p ******** -z\nprint(1)"


def test_history_survives_restart(make_kernel):
    k = make_kernel()
    k.execute("%%info  # remembered")
    k.stop()
    k2 = make_kernel()
    msg_id = k2.kc.history(hist_access_type="tail", n=50, output=False, raw=True)
    h = reply_for(k2, "shell", msg_id)["content"]["history"]
    assert "%%info  # remembered" in [x[2] for x in h]


def test_comm_info_and_comm_open_closed(kernel):
    msg_id = request(kernel, "shell", "comm_info_request", {"target_name": "jupyter.widget"})
    c = reply_for(kernel, "shell", msg_id)["content"]
    assert c == {"status": "ok", "comms": {}}
    msg_id = request(kernel, "shell", "comm_open",
                     {"comm_id": "c-123", "target_name": "jupyter.widget", "data": {}})
    msgs = kernel.iopub_for(msg_id)
    closes = [m for m in msgs if m["msg_type"] == "comm_close"]
    assert len(closes) == 1 and closes[0]["content"]["comm_id"] == "c-123"
    assert_busy_idle(msgs, msg_id)


def test_unknown_message_type_gets_busy_idle(kernel):
    msg_id = request(kernel, "shell", "no_such_request")
    assert_busy_idle(kernel.iopub_for(msg_id), msg_id)


def raw_shell(kernel):
    info = kernel.km.get_connection_info()
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    s.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
    return s


def still_answers(kernel):
    msg_id = request(kernel, "shell", "kernel_info_request")
    return reply_for(kernel, "shell", msg_id)["content"]["status"] == "ok"


def test_bad_signature_is_dropped_and_kernel_survives(kernel):
    s = raw_shell(kernel)
    bad = Session(key=b"not-the-key")
    bad.send(s, "kernel_info_request", {})
    assert s.poll(1000) == 0, "a badly signed request must get no reply"
    assert still_answers(kernel)
    s.close()


@pytest.mark.parametrize("frames", [
    [b"no delimiter here"],
    [b"<IDS|MSG>", b"deadbeef"],
    [b"<IDS|MSG>", b"", b"{not json", b"{}", b"{}", b"{}"],
    [b"<IDS|MSG>", b"x" * 64, b"{}", b"{}", b"{}", b"{}"] + [b"b"] * 100,
])
def test_malformed_frames_are_dropped(kernel, frames):
    s = raw_shell(kernel)
    s.send_multipart(frames)
    assert s.poll(500) == 0
    assert still_answers(kernel)
    s.close()


def test_huge_message_is_dropped(kernel):
    s = raw_shell(kernel)
    s.send_multipart([b"<IDS|MSG>", b"x" * 64, b"{}", b"{}", b"{}", b"x" * (65 << 20)])
    assert s.poll(2000) == 0
    assert still_answers(kernel)
    s.close()


def test_heartbeat_echo(kernel):
    info = kernel.km.get_connection_info()
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.REQ)
    s.linger = 0
    s.connect(f"{info['transport']}://{info['ip']}:{info['hb_port']}")
    s.send(b"ping-123")
    assert s.poll(2000)
    assert s.recv() == b"ping-123"
    s.close()


def test_interrupt_request_when_idle(kernel):
    msg_id = request(kernel, "control", "interrupt_request")
    r = reply_for(kernel, "control", msg_id)
    assert r["content"]["status"] == "ok"
    assert_busy_idle(kernel.iopub_for(msg_id), msg_id)
    assert still_answers(kernel)


def test_sigint_does_not_kill(kernel):
    pid = kernel.km.provisioner.process.pid
    os.kill(pid, signal.SIGINT)
    time.sleep(0.3)
    assert kernel.km.is_alive()
    assert still_answers(kernel)


def test_shutdown_exits_promptly(kernel_env):
    k = Kernel("kindling-pyspark")
    proc = k.km.provisioner.process
    msg_id = request(k, "control", "shutdown_request", {"restart": False})
    r = reply_for(k, "control", msg_id)
    t0 = time.time()
    assert r["content"] == {"status": "ok", "restart": False}
    proc.wait(timeout=1.0)
    assert time.time() - t0 < 1.0
    k.kc.stop_channels()


def test_restart_resets_count_and_session(kernel):
    kernel.execute("%%info")
    r, _ = kernel.execute("%%info")
    assert r["content"]["execution_count"] == 2
    old_session = r["header"]["session"]
    kernel.km.restart_kernel(now=False)
    kernel.kc.wait_for_ready(timeout=30)
    kernel.drain(0.2)
    r, _ = kernel.execute("%%info")
    assert r["content"]["execution_count"] == 1
    assert r["header"]["session"] != old_session


def test_input_not_requested_without_stdin_and_spark_cells_fail_clearly(kernel):
    # With no endpoint, a Python cell goes to the local engine, which runs SQL
    # only: the error says how to use %%sql or a Livy endpoint. Silent probes
    # never fail.
    r, _ = kernel.execute("spark.range(1).count()")
    assert r["content"]["status"] == "error"
    assert "KINDLING_LIVY_URL" in r["content"]["evalue"]
    r, msgs = kernel.execute("spark.range(1).count()", silent=True)
    assert r["content"]["status"] == "ok"
    r, msgs = kernel.execute("spark.range(1).count()", store_history=False)
    assert r["content"]["status"] == "ok"


def sanitized():
    """True when the kernel under test is an AddressSanitizer build, whose
    quarantine keeps freed memory resident by design."""
    import subprocess
    from conftest import kindling_bin
    out = subprocess.run(["ldd", kindling_bin()], capture_output=True, text=True).stdout
    return "libasan" in out


@pytest.mark.skipif(sanitized(), reason="ASan's quarantine grows RSS by design")
def test_rss_stable_over_1000_executes(kernel):
    proc = psutil.Process(kernel.km.provisioner.process.pid)
    for _ in range(100):
        kernel.execute("%%info")
    base = proc.memory_info().rss
    for _ in range(1000):
        kernel.execute("%%info")
    grown = proc.memory_info().rss - base
    assert grown < 1 << 20, f"RSS grew by {grown} bytes over 1000 executes"


def test_kernel_exits_when_its_frontend_is_killed(kernel_env):
    # A frontend killed without a shutdown_request (SIGKILLed console) must
    # not leave the kernel, and its Spark session, running forever.
    import subprocess
    import sys
    script = ("import time\n"
              "from jupyter_client.manager import KernelManager\n"
              "km = KernelManager(kernel_name='kindling-pyspark')\n"
              "km.start_kernel()\n"
              "kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=30)\n"
              "print(km.provisioner.process.pid, flush=True)\n"
              "time.sleep(60)\n")
    front = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    kpid = int(front.stdout.readline())
    assert psutil.pid_exists(kpid)
    front.kill()
    front.wait()
    deadline = time.time() + 3
    gone = False
    while time.time() < deadline and not gone:
        try:
            gone = psutil.Process(kpid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            gone = True
        time.sleep(0.1)
    assert gone, "the kernel outlived its frontend"
