"""Local sessions: with no Livy endpoint, Spark cells run on the bundled
engine (a driver process plus executor processes), driven here with the real
jupyter_client."""
import os
import signal
import subprocess
import threading
import time

import psutil
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.abspath(os.path.join(HERE, "..", "sql", "data"))

EMP = ("CREATE OR REPLACE TEMPORARY VIEW emp (id INT, name STRING, dept INT, salary DOUBLE, "
       "hired DATE) USING csv OPTIONS (path '%s/emp.csv', header 'true')" % DATA)


def displays(msgs):
    return [m["content"]["data"] for m in msgs if m["msg_type"] in ("display_data", "execute_result")]


def engine_children(pid):
    try:
        return [p for p in psutil.Process(pid).children(recursive=True)
                if "driver" in p.cmdline() or "executor" in p.cmdline()]
    except psutil.NoSuchProcess:
        return []


def test_sql_cell_gives_a_typed_table(kernel):
    r, _ = kernel.execute("%%sql\n" + EMP, timeout=60)
    assert r["content"]["status"] == "ok", r["content"]
    r, msgs = kernel.execute("%%sql\nSELECT dept, count(*) AS n, sum(salary) AS total FROM emp "
                             "WHERE dept IS NOT NULL GROUP BY dept ORDER BY dept")
    assert r["content"]["status"] == "ok", r["content"]
    d = displays(msgs)[-1]
    assert set(d) >= {"text/plain", "text/html", "application/vnd.dataresource+json"}
    text = d["text/plain"]
    assert "11000.0" in text and "| 10 " in text.replace("|   ", "| ").replace("|  ", "| ")
    rows = d["application/vnd.dataresource+json"]["data"]
    assert [list(x.values()) for x in rows] == [[10, 2, 11000.0], [20, 2, 4000.0], [30, 1, 3500.0]]
    assert "long" in d["text/html"] and "&lt;" not in text


def test_array_results_display_as_spark_shows_them(kernel):
    r, _ = kernel.execute("%%sql\n" + EMP, timeout=60)
    assert r["content"]["status"] == "ok", r["content"]
    r, msgs = kernel.execute(
        "%%sql\nSELECT dept, sort_array(collect_list(name)) AS names, "
        "sort_array(collect_set(salary)) AS pay, size(collect_list(id)) AS n FROM emp "
        "WHERE dept IS NOT NULL GROUP BY dept ORDER BY dept")
    assert r["content"]["status"] == "ok", r["content"]
    d = displays(msgs)[-1]
    res = d["application/vnd.dataresource+json"]
    rows = {x["dept"]: x for x in res["data"]}
    types = {f["name"]: f["type"] for f in res["schema"]["fields"]}
    # JSON results carry real arrays, sorted here as sort_array sorted them.
    assert types["names"] == "array" and types["pay"] == "array", types
    names10 = rows[10]["names"]
    assert isinstance(names10, list) and names10 == sorted(names10) and len(names10) == 2
    assert rows[10]["pay"] == sorted(rows[10]["pay"]) and rows[10]["n"] == 2
    # The text grid prints them as show() does: [a, b], strings unquoted.
    text = d["text/plain"]
    assert "[%s, %s]" % tuple(names10) in text, text
    assert '"' not in text.split("\n", 3)[3]
    # The HTML shows the element type and stays escaped.
    assert "array&lt;string&gt;" in d["text/html"]
    r, msgs = kernel.execute("%%sql\nSELECT collect_list(s) AS l FROM VALUES ('<b>x</b>') AS t(s)")
    html = displays(msgs)[-1]["text/html"]
    assert "[&lt;b&gt;x&lt;/b&gt;]" in html and "<b>x</b>" not in html


def test_maxrows_and_quiet_and_output_var(kernel):
    kernel.execute("%%sql\n" + EMP)
    r, msgs = kernel.execute("%%sql -n 2\nSELECT id FROM emp ORDER BY id")
    text = displays(msgs)[-1]["text/plain"]
    assert "2 of 6" in text.replace(",", "") or "of 6" in text, text
    r, msgs = kernel.execute("%%sql -q -o ids\nSELECT id, name, hired FROM emp WHERE id <= 3")
    assert r["content"]["status"] == "ok" and not displays(msgs)
    # -o VAR is also a temporary view of the local engine, with its types
    r, msgs = kernel.execute("%%sql\nSELECT count(*) AS n, max(hired) + 1 AS after FROM ids")
    assert r["content"]["status"] == "ok", r["content"]
    res = displays(msgs)[-1]["application/vnd.dataresource+json"]
    assert res["data"][0]["n"] == 3 and res["schema"]["fields"][1]["type"] == "date"
    # ... that outlives a restart of the session
    r, msgs = kernel.execute('%%configure -f\n{"conf": {"spark.sql.shuffle.partitions": "3"}}')
    assert r["content"]["status"] == "ok", r["content"]
    # the live startup status is cleared (wait=True) by the finished session table
    kinds = [m["msg_type"] for m in msgs]
    assert "clear_output" in kinds, kinds
    clear = kinds.index("clear_output")
    assert msgs[clear]["content"]["wait"] is True
    assert kinds[clear + 1] == "display_data"
    # ... the session table a Livy user sees after %%configure -f
    info = msgs[clear + 1]["content"]["data"]
    for col in ("ID", "Application ID", "Kind", "State", "Spark UI", "Driver log", "Current session?"):
        assert f"<th>{col}</th>" in info["text/html"] and col in info["text/plain"], col
    assert "idle" in info["text/plain"]
    r, msgs = kernel.execute("%%sql\nDESCRIBE ids")
    assert r["content"]["status"] == "ok", r["content"]
    # %%send_to_spark -t df to a local session makes a view under the new name
    r, msgs = kernel.execute("%%send_to_spark -i ids -t df -n first2 -m 2")
    assert r["content"]["status"] == "ok", r["content"]
    assert "Successfully passed 'ids' as 'first2'" in "".join(
        m["content"].get("text", "") for m in msgs if m["msg_type"] == "stream")
    r, msgs = kernel.execute("%%sql\nSELECT name FROM first2 ORDER BY id")
    assert [x["name"] for x in displays(msgs)[-1]["application/vnd.dataresource+json"]["data"]] \
        == ["Alice", "Bob"]
    r, _ = kernel.execute("%%send_to_spark -i ids -n x")
    assert r["content"]["status"] == "error"


def test_sql_error_has_caret_and_stops(kernel):
    kernel.execute("%%sql\n" + EMP)
    r, msgs = kernel.execute("%%sql\nSELECT nmae\nFROM emp")
    c = r["content"]
    assert c["status"] == "error" and c["ename"] == "AnalysisException"
    assert "Did you mean" in c["evalue"] and "`name`" in c["evalue"]
    assert c["traceback"][0] == "SELECT nmae" and c["traceback"][1] == "       ^"
    # the session survives the error
    r, _ = kernel.execute("%%sql\nSELECT count(*) FROM emp")
    assert r["content"]["status"] == "ok"


def test_plain_python_cell_says_local_engine_runs_sql(kernel):
    r, _ = kernel.execute("df = spark.range(3)")
    assert r["content"]["status"] == "error"
    assert "%%sql" in r["content"]["evalue"] and "Livy" in r["content"]["evalue"]


def test_configure_reaches_the_engine_and_info_shows_it(kernel):
    r, _ = kernel.execute('%%configure -f\n{"numExecutors": 3, "executorCores": 1, '
                          '"executorMemory": "256m", "conf": {"spark.sql.shuffle.partitions": "5"}}')
    assert r["content"]["status"] == "ok", r["content"]
    r, msgs = kernel.execute("%%sql\nSET spark.sql.shuffle.partitions")
    assert "5" in displays(msgs)[-1]["text/plain"]
    r, msgs = kernel.execute("%%sql\nSELECT count(*) FROM range(10)")
    assert r["content"]["status"] == "ok"
    kernel.execute("%%sql\n" + EMP)
    r, msgs = kernel.execute("%%sql\nSELECT dept, count(*) FROM emp GROUP BY dept")
    assert r["content"]["status"] == "ok"
    execs = [p for p in engine_children(kernel.km.provisioner.process.pid)
             if "executor" in p.cmdline()]
    assert len(execs) == 3, [p.cmdline() for p in execs]
    r, msgs = kernel.execute("%%info")
    text = "".join(d.get("text/plain", "") for d in displays(msgs)) + "".join(
        m["content"].get("text", "") for m in msgs if m["msg_type"] == "stream")
    assert "local" in text and "spark.executor.instances" in text


def test_explain_shows_stages_as_text(kernel):
    kernel.execute("%%sql\n" + EMP)
    r, msgs = kernel.execute("%%sql\nEXPLAIN SELECT dept, count(*) FROM emp GROUP BY dept")
    text = displays(msgs)[-1]["text/plain"]
    assert "Stage" in text and "Exchange hashpartitioning" in text


def test_sql_kernel_runs_statements(make_kernel):
    k = make_kernel("kindling-sql")
    r, msgs = k.execute(EMP + ";\nSELECT max(salary) AS top FROM emp")
    assert r["content"]["status"] == "ok", r["content"]
    assert "6000.0" in displays(msgs)[-1]["text/plain"]
    # every statement that returns rows is shown, in order, as spark-sql does
    r, msgs = k.execute("SELECT 1 AS first; SET spark.sql.shuffle.partitions=3; "
                        "SELECT count(*) AS n FROM emp")
    assert r["content"]["status"] == "ok", r["content"]
    shown = [d["application/vnd.dataresource+json"] for d in displays(msgs)
             if "application/vnd.dataresource+json" in d]
    assert [x["schema"]["fields"][0]["name"] for x in shown] == ["first", "key", "n"], shown


def test_local_magic_runs_sql_on_the_local_engine(kernel):
    r, msgs = kernel.execute("%%local\nSELECT 40 + 2 AS answer")
    assert r["content"]["status"] == "ok", r["content"]
    assert "42" in displays(msgs)[-1]["text/plain"]


def test_interrupt_cancels_the_job_and_session_stays_usable(kernel):
    # An unused kernel: the long cell starts the session itself.
    long_query = ("%%sql\nSELECT count(*) FROM range(0, 3000) a CROSS JOIN range(0, 3000) b "
                  "CROSS JOIN range(0, 3000) c WHERE a.id + b.id + c.id = -1")
    msg_id = kernel.kc.execute(long_query)
    time.sleep(2.0)
    t0 = time.time()
    kernel.km.interrupt_kernel()
    reply = kernel.kc.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert time.time() - t0 < 1.0, time.time() - t0
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] in ("Interrupted", "KeyboardInterrupt"), reply["content"]
    kernel.drain(0.5)
    r, msgs = kernel.execute("%%sql\nSELECT 2 AS two")
    assert r["content"]["status"] == "ok", r["content"]


def test_kernel_sigkill_leaves_no_engine_process_or_scratch(make_kernel):
    k = make_kernel()
    k.execute("%%sql\n" + EMP)
    r, _ = k.execute("%%sql\nSELECT dept, count(*) FROM emp GROUP BY dept")
    assert r["content"]["status"] == "ok"
    pid = k.km.provisioner.process.pid
    kids = engine_children(pid)
    assert kids, "expected a driver and executors"
    scratch = [os.path.dirname(c[c.index("--connect") + 1].replace("ipc://", ""))
               for c in (p.cmdline() for p in kids) if "--connect" in c][0]
    assert os.path.isdir(scratch)
    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 10
    while time.time() < deadline and any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE
                                         for p in kids):
        time.sleep(0.1)
    alive = [p.pid for p in kids if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, alive
    # the driver removes the session's scratch directory the kernel could not
    assert not os.path.exists(scratch), scratch


def test_shutdown_stops_driver_and_executors(make_kernel):
    k = make_kernel()
    r, _ = k.execute("%%sql\n" + EMP)
    r, _ = k.execute("%%sql\nSELECT dept, count(*) FROM emp GROUP BY dept")
    kids = engine_children(k.km.provisioner.process.pid)
    assert kids
    k.stop()
    deadline = time.time() + 10
    while time.time() < deadline and any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE
                                         for p in kids):
        time.sleep(0.1)
    assert not [p for p in kids if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_two_kernels_do_not_share_scratch(make_kernel):
    a, b = make_kernel(), make_kernel()
    for k in (a, b):
        r, _ = k.execute("%%sql\nSELECT count(*) FROM range(100)")
        assert r["content"]["status"] == "ok"
    dirs = set()
    for k in (a, b):
        for p in engine_children(k.km.provisioner.process.pid):
            cl = p.cmdline()
            if "--connect" in cl:
                dirs.add(os.path.dirname(cl[cl.index("--connect") + 1].replace("ipc://", "")))
    assert len(dirs) == 2, dirs


def test_lost_executor_is_a_warning_and_the_cell_succeeds(kernel):
    # An executor process killed mid-job: its tasks run again elsewhere, the
    # cell still answers, and what happened is said on stderr.
    r, _ = kernel.execute('%%configure -f\n{"numExecutors": 2, "executorCores": 1}')
    assert r["content"]["status"] == "ok", r["content"]
    query = ("%%sql\nSELECT count(*) AS n FROM range(0, 2000) a CROSS JOIN range(0, 2000) b "
             "CROSS JOIN range(0, 40) c WHERE a.id + b.id + c.id >= 0")
    msg_id = kernel.kc.execute(query)
    execs = []
    deadline = time.time() + 20
    while len(execs) < 2 and time.time() < deadline:
        execs = [p for p in engine_children(kernel.km.provisioner.process.pid)
                 if "executor" in p.cmdline()]
        time.sleep(0.1)
    assert len(execs) == 2, execs
    time.sleep(1.0)
    os.kill(execs[0].pid, signal.SIGKILL)
    reply = kernel.kc.get_shell_msg(timeout=120)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "ok", reply["content"]
    msgs = kernel.iopub_for(msg_id, timeout=30)
    warn = "".join(m["content"]["text"] for m in msgs
                   if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
    assert "WARN" in warn and "executor" in warn.lower(), warn
    rows = displays(msgs)[-1]["application/vnd.dataresource+json"]["data"]
    assert rows == [{"n": 2000 * 2000 * 40}]
