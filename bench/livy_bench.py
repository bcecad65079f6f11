#!/usr/bin/python3
"""Livy benchmark: what the kernel adds on top of a Livy server.

Runs the test Livy server of tests/livy with every server-side delay at
zero (session start, statement delay, available lag, stop delay, faults
off) and drives the built kernel through the real jupyter_client:

  * per-statement overhead: N trivial statements (`x = 1`), each timed from
    execute_request to the idle status (what a frontend waits for). The
    server's own time per statement is read back from Livy's statement
    records (`completed - started`, epoch ms) and subtracted per statement;
    round trip median and p99 are reported too. For scale, the same POST +
    GET-until-available exchange is also timed from a bare HTTP client in
    this process (no Jupyter, no sleeps): the floor any Livy client pays.
  * a `%%sql -n ROWS` returning ROWS x 5 columns (long, string, double,
    int, boolean) end to end: execute_request to idle, the display_data with
    text/plain, text/html and the data resource received and decoded, row
    count checked. Median of R runs after one warm-up, split into submit,
    server run, poll wait, the kernel's read/parse/render/send and the
    frontend's decode (request log, statement record and message dates).

Goals (PASS/FAIL): per-statement overhead <= 15 ms; the 10,000-row table
rendered in <= 100 ms by the kernel (submit + poll wait + read/parse/render/
send: everything but the server's run and the frontend's decode), and, for
reference, end to end including the test server's own run of the query.
Exit status 0 when every goal is met.

Usage: bench/livy_bench.py [--kindling PATH] [--statements N] [--rows ROWS] [--sql-runs R]
"""
import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

from jupyter_client.manager import KernelManager

from kernel_bench import run_cell, wait_kernel_info

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "..", "tests", "livy", "livy_server.py")
GOAL_OVERHEAD_MS = 15.0
GOAL_SQL_MS = 100.0


def pct(xs, p):
    """The p-th percentile (nearest rank) of xs."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def start_livy(log_path):
    proc = subprocess.Popen(
        ["/usr/bin/python3", SERVER, "--port", "0", "--start-delay", "0",
         "--stop-delay", "0", "--statement-delay", "0", "--available-lag", "0",
         "--log-interval", "0", "--retained-statements", "100000",
         "--log-requests", log_path],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith("LIVY_URL="):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"the test Livy server did not start: {line!r}")
    return proc, line.strip().split("=", 1)[1]


def stop_proc(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Http:
    """A keep-alive JSON client to the Livy server (for setup, the records
    and the bare-client floor)."""

    def __init__(self, url):
        u = urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {"Content-Type": "application/json", "X-Requested-By": "bench"}
        self.conn.request(method, path, body=data, headers=hdrs)
        r = self.conn.getresponse()
        payload = r.read()
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: {r.status} {payload[:200]!r}")
        return json.loads(payload) if payload else None

    def close(self):
        self.conn.close()


def statement_records(http, sid, first, count):
    got = http.call("GET", f"/sessions/{sid}/statements?from={first}&size={count}")
    return {s["id"]: s for s in got["statements"]}


def bare_client_floor(http, sid, n):
    """POST a trivial statement and GET it until available, no sleeps."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        st = http.call("POST", f"/sessions/{sid}/statements", {"code": "x = 1", "kind": "pyspark"})
        while st["state"] != "available":
            st = http.call("GET", f"/sessions/{sid}/statements/{st['id']}")
        times.append(time.perf_counter() - t0)
    return times


def requests_per_statement(log_path, sid, first, count):
    """HTTP requests the kernel made for statements first..first+count-1."""
    n = 0
    prefix = f"/sessions/{sid}/statements"
    ids = {f"{prefix}/{i}" for i in range(first, first + count)}
    with open(log_path) as f:
        for line in f:
            q = json.loads(line)
            if q["path"].split("?")[0] in ids:
                n += 1
    return (n + count) / count  # + the POST of each


def msg_epoch(m):
    d = m["header"]["date"]
    return d.timestamp() if hasattr(d, "timestamp") else None


def sql_timeline(http, log_path, sid, runs):
    """Split each timed %%sql cell (seconds, epoch of the send, IOPub
    messages) at the server's request log, the statement record and the
    kernel's message dates (microseconds, same clock): submit (send -> the
    POST reaches the server), server (the statement's completed - started),
    poll wait (completed -> the GET that saw it available reaches the
    server), fetch+render (that GET -> idle at the frontend), split into the
    kernel's part (that GET -> the kernel stamps idle, after sending the
    table) and the frontend's (-> idle received and decoded). get is what
    the server needs to answer that GET (timed again from a bare client)."""
    with open(log_path) as f:
        log = [json.loads(line) for line in f]
    prefix = f"/sessions/{sid}/statements"
    out = {k: [] for k in ("total", "submit", "server", "poll", "render", "get", "kernel",
                           "krender", "frontend")}
    for t, epoch, msgs in runs:
        win = [q for q in log if epoch <= q["time"] <= epoch + t]
        post = [q for q in win if q["method"] == "POST" and q["path"] == prefix]
        gets = [q for q in win if q["method"] == "GET" and q["path"].startswith(prefix + "/")]
        if not post or not gets:
            raise RuntimeError("the request log lacks the %%sql statement's requests")
        stmt_id = int(gets[-1]["path"].rsplit("/", 1)[1])
        t0 = time.perf_counter()
        rec = http.call("GET", f"{prefix}/{stmt_id}")
        get = time.perf_counter() - t0
        server = (rec["completed"] - rec["started"]) / 1e3
        out["total"].append(t)
        out["submit"].append(post[0]["time"] - epoch)
        out["server"].append(server)
        out["poll"].append(max(0.0, gets[-1]["time"] - rec["completed"] / 1e3))
        out["render"].append(epoch + t - gets[-1]["time"])
        out["get"].append(get)
        idle = msg_epoch(msgs[-1])
        krender = idle - gets[-1]["time"] - get
        out["krender"].append(krender)
        out["frontend"].append(epoch + t - idle)
        out["kernel"].append(out["submit"][-1] + out["poll"][-1] + krender)
    return out


SQL_SETUP = """_bench_rows = [(i, "name-%06d" % i, i * 0.25, i % 1000, i % 3 == 0) for i in range({rows})]
spark.createDataFrame(_bench_rows, "id BIGINT, name STRING, price DOUBLE, qty INT, flag BOOLEAN").createOrReplaceTempView("bench_t")
"""
SQL_CELL = "%%sql -n {rows}\nSELECT id, name, price, qty, flag FROM bench_t"


def check_table(msgs, rows):
    disp = [m for m in msgs if m["msg_type"] == "display_data"]
    if not disp:
        raise RuntimeError("%%sql showed no table")
    data = disp[-1]["content"]["data"]
    res = data.get("application/vnd.dataresource+json", {})
    got = len(res.get("data", []))
    cols = len(res.get("schema", {}).get("fields", []))
    if got != rows or cols != 5 or "text/html" not in data:
        raise RuntimeError(f"%%sql table has {got} rows x {cols} columns, wanted {rows} x 5")
    return sum(len(json.dumps(v)) for v in data.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kindling", default=shutil.which("kindling") or
                    os.path.join(HERE, "..", "build", "kindling"))
    ap.add_argument("--statements", type=int, default=200)
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--sql-runs", type=int, default=10)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="kindling-livy-bench-")
    log_path = os.path.join(root, "requests.jsonl")
    livy, url = start_livy(log_path)
    km = kc = None
    http = Http(url)
    try:
        subprocess.run([os.path.abspath(args.kindling), "install", "--prefix", root], check=True,
                       stdout=subprocess.DEVNULL)
        os.environ["JUPYTER_PATH"] = os.path.join(root, "share", "jupyter")
        os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(root, "runtime")
        os.environ["KINDLING_HISTORY_FILE"] = os.path.join(root, "history.jsonl")
        os.environ["SPARKMAGIC_CONF_DIR"] = root
        os.environ.pop("SPARKMAGIC_CONF_FILE", None)
        os.environ["KINDLING_LIVY_URL"] = url
        km = KernelManager(kernel_name="kindling-pyspark")
        km.start_kernel()
        kc = km.blocking_client()
        kc.start_channels()
        wait_kernel_info(kc)
        t_start = run_cell(kc, "print(1)")[0]  # starts the session
        sid = http.call("GET", "/sessions")["sessions"][0]["id"]
        for _ in range(10):
            run_cell(kc, "x = 1")
        first = http.call("GET", f"/sessions/{sid}/statements")["total_statements"]
        rts = [run_cell(kc, "x = 1")[0] for _ in range(args.statements)]
        recs = statement_records(http, sid, first, args.statements)
        server = [(recs[first + i]["completed"] - recs[first + i]["started"]) / 1e3
                  for i in range(args.statements)]
        overhead = [rt - sv for rt, sv in zip(rts, server)]
        reqs = requests_per_statement(log_path, sid, first, args.statements)
        floor = bare_client_floor(http, sid, args.statements)

        run_cell(kc, SQL_SETUP.format(rows=args.rows))
        cell = SQL_CELL.format(rows=args.rows)
        run_cell(kc, cell)  # warm-up
        runs, size = [], 0
        for _ in range(args.sql_runs):
            t, _, msgs, epoch = run_cell(kc, cell)
            size = check_table(msgs, args.rows)
            runs.append((t, epoch, msgs))
        sql = sql_timeline(http, log_path, sid, runs)
        # What decoding the display message costs this (Python) frontend.
        disp = [m for m in msgs if m["msg_type"] == "display_data"][-1]
        blob = json.dumps(disp["content"])
        t0 = time.perf_counter()
        for _ in range(5):
            json.loads(blob)
        decode = (time.perf_counter() - t0) / 5
    finally:
        http.close()
        if kc is not None:
            kc.stop_channels()
        if km is not None:
            km.shutdown_kernel(now=True)
        stop_proc(livy)
        shutil.rmtree(root, ignore_errors=True)

    ms = 1e3
    med_over = statistics.median(overhead)
    print(f"session start (zero start delay), first cell: {t_start*ms:.1f} ms")
    print(f"trivial statement x {args.statements} (`x = 1`), execute_request to idle:")
    print(f"  round trip      median {statistics.median(rts)*ms:7.2f} ms   "
          f"p99 {pct(rts, 99)*ms:7.2f} ms   min {min(rts)*ms:6.2f} ms")
    print(f"  server (completed-started) median {statistics.median(server)*ms:5.1f} ms   "
          f"max {max(server)*ms:5.1f} ms")
    print(f"  kernel overhead median {med_over*ms:7.2f} ms   p99 {pct(overhead, 99)*ms:7.2f} ms")
    print(f"  HTTP requests per statement (POST + GETs): {reqs:.2f}")
    print(f"  bare HTTP client floor (POST + GET until available, no sleeps): "
          f"median {statistics.median(floor)*ms:.2f} ms  p99 {pct(floor, 99)*ms:.2f} ms")
    med = {k: statistics.median(v) * ms for k, v in sql.items()}
    print(f"%%sql -n {args.rows}: {args.rows} rows x 5 columns, x {args.sql_runs} after a warm-up "
          f"(display bundle {size/2**20:.1f} MiB as JSON), medians:")
    print(f"  end to end (execute_request to idle) {med['total']:7.1f} ms   "
          f"p99 {pct(sql['total'], 99)*ms:7.1f} ms   min {min(sql['total'])*ms:7.1f} ms")
    print(f"    submit (kernel builds the code, POST reaches the server) {med['submit']:7.1f} ms")
    print(f"    server runs the statement (completed - started)      {med['server']:7.1f} ms")
    print(f"    poll wait (completed -> the GET that sees it)         {med['poll']:7.1f} ms")
    print(f"    fetch + parse + render + IOPub + frontend decode      {med['render']:7.1f} ms")
    print(f"      server answers that GET (bare client)               {med['get']:7.1f} ms")
    print(f"      kernel: read, parse, render, send (to idle stamped) {med['krender']:7.1f} ms")
    print(f"      frontend: receive and decode (to idle received)     {med['frontend']:7.1f} ms"
          f"   (json.loads alone {decode*ms:.1f} ms)")
    print(f"  kernel's part (submit + poll wait + read/parse/render/send) {med['kernel']:7.1f} ms   "
          f"p99 {pct(sql['kernel'], 99)*ms:7.1f} ms")
    goals = [(f"per-statement overhead <= {GOAL_OVERHEAD_MS:g} ms (median {med_over*ms:.2f} ms)",
              med_over * ms <= GOAL_OVERHEAD_MS),
             (f"{args.rows}-row table rendered in <= {GOAL_SQL_MS:g} ms, kernel's part "
              f"(median {med['kernel']:.1f} ms)", med["kernel"] <= GOAL_SQL_MS),
             (f"{args.rows}-row table in <= {GOAL_SQL_MS:g} ms end to end, including the test "
              f"server's own {med['server']:.0f} ms (median {med['total']:.1f} ms)",
              med["total"] <= GOAL_SQL_MS)]
    for g, ok in goals:
        print(f"{'PASS' if ok else 'FAIL'}: {g}")
    return 0 if all(ok for _, ok in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
