#!/usr/bin/python3
"""Local engine benchmark: Kindling vs the DuckDB peer, side by side in one run.

For every query of the shared benchmark (TPC-H-like, Spark SQL dialect):
  cold  whole process, CSV files -> answer (`kindling sql`, and DuckDB through
        the shared node driver), median of RUNS processes, peak RSS per process;
  warm  one process: CACHE TABLE the tables the query names (load time
        reported), one untimed run, then RUNS timed runs (in-process times);
and checks every answer against the shared expected results.

Prints per-query times, Kindling/DuckDB ratios, the cold geometric mean, peak
RSS and correctness, then the goals and whether each is met.

usage: bench/engine_bench.py [--sf 0.1|1] [--runs N] [--queries q01,q06]
                             [--shared DIR] [--data DIR] [--kindling BIN]
                             [--memory-cap 256m] [--no-peer]
DuckDB comes from the npm registry (@duckdb/node-api, the version the shared
peers pin), installed once into bench/.peers/ (ignored by git).
"""
import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DUCKDB_PKG = "@duckdb/node-api@1.5.6-r.1"


def run_measured(argv, env=None, timeout=900, stdin=None):
    """Run argv; return (wall seconds, peak RSS MiB of the process tree's
    biggest member as wait4 reports it, stdout, stderr, exit code)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.PIPE if stdin is not None else None, env=env)
    try:
        out, err = p.communicate(input=stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return timeout, 0, out, err + b"\ntimeout", -9
    wall = time.perf_counter() - t0
    # ru_maxrss of children covers the largest child reaped so far: good
    # enough for one process at a time.
    import resource
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return wall, rss, out, err, p.returncode


def peak_rss_mib(argv, env=None, timeout=900):
    """Peak RSS of one run via GNU time when available, else None."""
    if not os.path.exists("/usr/bin/time"):
        return None
    with tempfile.NamedTemporaryFile(mode="r") as f:
        subprocess.run(["/usr/bin/time", "-v", "-o", f.name] + argv, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
        return int(m.group(1)) / 1024.0 if m else None


def schema_sql(shared, data):
    with open(os.path.join(shared, "schema.sql")) as f:
        return f.read().replace("${DATA}", data)


def tables_of(sql, schema):
    s = sql.lower()
    return [t for t in schema if re.search(r"\b%s\b" % t, s)]


def parse_json_rows(text):
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            rows.append(list(json.loads(line, object_pairs_hook=lambda kv: dict(kv)).values()))
    return rows


def same(got, want):
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        if len(g) != len(w):
            return False
        for a, b in zip(g, w):
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
                    not isinstance(a, bool):
                if a != b and abs(a - b) > 1e-6 * max(abs(a), abs(b)):
                    return False
            elif str(a) != str(b):
                return False
    return True


def kindling_cold(args, init, qsql):
    argv = [args.kindling, "sql", "--silent", "--format", "json", "--no-progress",
            "--master", args.master, "--conf", "spark.sql.shuffle.partitions=%d" % args.partitions]
    if args.memory_cap:
        argv += ["--conf", "spark.executor.memory=%s" % args.memory_cap]
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(init)
        initf = f.name
    argv += ["-i", initf, "-e", qsql]
    times, rows, err = [], None, None
    for _ in range(args.runs):
        wall, _, out, e, rc = run_measured(argv)
        if rc != 0:
            err = e.decode(errors="replace").strip().splitlines()[-1:] or ["failed"]
            break
        times.append(wall)
        rows = parse_json_rows(out.decode())
    rss = peak_rss_mib(argv) if err is None else None
    os.unlink(initf)
    return times, rows, rss, err


def kindling_warm(args, init, qsql, tables):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(init)
        initf = f.name
    script = "".join("CACHE TABLE %s;\n" % t for t in tables)
    body = qsql.strip().rstrip(";")
    # CACHE TABLE lines report their own time: separate them from the runs.
    script += ";\n".join([body] * (args.runs + 1)) + ";\n"
    argv = [args.kindling, "sql", "--format", "json", "--no-progress", "--master", args.master,
            "--conf", "spark.sql.shuffle.partitions=%d" % args.partitions, "-i", initf, "-f", "-"]
    wall, _, out, e, rc = run_measured(argv, stdin=script.encode())
    os.unlink(initf)
    if rc != 0:
        return None, None, e.decode(errors="replace").strip().splitlines()[-1:]
    secs = [float(x) for x in re.findall(r"Time taken: ([0-9.]+) seconds", e.decode())]
    ncache = len(tables)
    load = sum(secs[:ncache])
    runs = secs[ncache + 1:]
    return load, runs, None


def setup_duckdb(args):
    peers = os.path.join(HERE, ".peers")
    mod = os.path.join(peers, "node_modules", "@duckdb", "node-api")
    os.makedirs(os.path.join(peers, "peers"), exist_ok=True)
    shutil.copy(os.path.join(args.shared, "peers", "node_peer.mjs"),
                os.path.join(peers, "peers", "node_peer.mjs"))
    shutil.copy(os.path.join(args.shared, "schema.json"), os.path.join(peers, "schema.json"))
    if not os.path.isdir(mod):
        with open(os.path.join(peers, "package.json"), "w") as f:
            f.write('{"name": "kindling-bench-peers", "private": true}\n')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", DUCKDB_PKG], cwd=peers,
                       check=True, stdout=subprocess.DEVNULL)
    return os.path.join(peers, "peers", "node_peer.mjs")


def duckdb_run(args, driver, mode, qfile, outdir):
    env = dict(os.environ)
    if args.memory_cap:
        env["BENCH_MEMORY_LIMIT"] = args.memory_cap.upper().rstrip("B") + "B"
    argv = ["node", driver, "duckdb", mode, args.data, outdir, str(args.runs), qfile]
    if mode == "cold":
        times, res = [], None
        for _ in range(args.runs):
            wall, _, out, e, rc = run_measured(argv, env=env)
            if rc != 0:
                return None, None, None, e.decode(errors="replace")[-300:]
            times.append(wall)
            res = json.loads(out.decode().strip().splitlines()[-1])
        return times, res, peak_rss_mib(argv, env=env), None
    wall, _, out, e, rc = run_measured(argv, env=env)
    if rc != 0:
        return None, None, None, e.decode(errors="replace")[-300:]
    res = json.loads(out.decode().strip().splitlines()[-1])
    return res.get("times_ms"), res, None, None


def fmt(x, unit=""):
    if x is None:
        return "-"
    return ("%.3f" % x if x < 10 else "%.1f" % x) + unit


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sf", default="0.1")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--queries", default="")
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "bench"))
    ap.add_argument("--data", default="")
    ap.add_argument("--kindling", default=os.path.join(ROOT, "build", "kindling"))
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--memory-cap", default="")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--no-warm", action="store_true")
    args = ap.parse_args()
    args.shared = os.path.abspath(args.shared)
    args.data = os.path.abspath(args.data or os.path.join(HERE, "data", "sf" + args.sf))
    if not os.path.exists(os.path.join(args.data, "lineitem.csv")):
        print("generating SF %s data into %s ..." % (args.sf, args.data), flush=True)
        subprocess.run(["/usr/bin/python3", os.path.join(args.shared, "gen_data.py"), "--scale",
                        args.sf, "--out", args.data, "--format", "csv"], check=True)
    # Warm the page cache for every engine alike.
    for f in os.listdir(args.data):
        with open(os.path.join(args.data, f), "rb") as fh:
            while fh.read(1 << 24):
                pass
    schema = json.load(open(os.path.join(args.shared, "schema.json")))
    init = schema_sql(args.shared, args.data)
    qdir = os.path.join(args.shared, "queries")
    names = sorted(f[:-4] for f in os.listdir(qdir) if f.endswith(".sql"))
    if args.queries:
        names = [q for q in names if q in args.queries.split(",")]
    driver = None if args.no_peer else setup_duckdb(args)
    outdir = tempfile.mkdtemp(prefix="kindling-bench-")
    rows = []
    for q in names:
        qfile = os.path.join(qdir, q + ".sql")
        qsql = open(qfile).read()
        expected = None
        ef = os.path.join(args.shared, "expected", "sf" + args.sf, q + ".json")
        if os.path.exists(ef):
            expected = json.load(open(ef))
        kt, krows, krss, kerr = kindling_cold(args, init, qsql)
        ok = None if expected is None or kerr else same(krows or [], expected)
        kload = kwarm = None
        if not args.no_warm and not kerr:
            kload, kwarm, werr = kindling_warm(args, init, qsql, tables_of(qsql, schema))
            if werr:
                kerr = "warm: %s" % werr
        dt = dwarm = drss = None
        if driver:
            dt, _, drss, derr = duckdb_run(args, driver, "cold", qfile, outdir)
            if not args.no_warm:
                dwarm, _, _, _ = duckdb_run(args, driver, "warm", qfile, outdir)
        r = {"query": q, "k_cold": statistics.median(kt) if kt else None,
             "d_cold": statistics.median(dt) if dt else None,
             "k_warm": statistics.median(kwarm) * 1000 if kwarm else None,
             "d_warm": statistics.median(dwarm) if dwarm else None,
             "k_rss": krss, "d_rss": drss, "ok": ok, "err": kerr, "k_load": kload}
        rows.append(r)
        print("%-20s cold %6s s (duckdb %6s s)  warm %7s ms (duckdb %7s ms)  rss %6s MiB  %s%s" % (
            q, fmt(r["k_cold"]), fmt(r["d_cold"]), fmt(r["k_warm"]), fmt(r["d_warm"]),
            fmt(r["k_rss"]), {True: "correct", False: "WRONG", None: "unchecked"}[ok],
            "  ERROR " + str(kerr) if kerr else ""), flush=True)
    shutil.rmtree(outdir, ignore_errors=True)

    print()
    print("| query | Kindling cold s | DuckDB cold s | ratio | Kindling warm ms | DuckDB warm ms | ratio | Kindling RSS MiB | DuckDB RSS MiB | answer |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    cold_ratios, warm_ratios = [], []
    for r in rows:
        cr = r["k_cold"] / r["d_cold"] if r["k_cold"] and r["d_cold"] else None
        wr = r["k_warm"] / r["d_warm"] if r["k_warm"] and r["d_warm"] else None
        if cr and r["query"] != "s0_startup":
            cold_ratios.append(cr)
        if wr and r["query"] != "s0_startup":
            warm_ratios.append(wr)
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["query"], fmt(r["k_cold"]), fmt(r["d_cold"]), fmt(cr, "x"), fmt(r["k_warm"]),
            fmt(r["d_warm"]), fmt(wr, "x"), fmt(r["k_rss"]), fmt(r["d_rss"]),
            "error: %s" % r["err"] if r["err"] else
            {True: "correct", False: "WRONG", None: "unchecked"}[r["ok"]]))
    gm = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None
    print()
    print("cold geometric mean ratio (excl. s0): %s; worst %s" % (fmt(gm(cold_ratios), "x"),
                                                                  fmt(max(cold_ratios) if cold_ratios else None, "x")))
    print("warm geometric mean ratio (excl. s0): %s" % fmt(gm(warm_ratios), "x"))
    s0 = [r for r in rows if r["query"] == "s0_startup"]
    if s0 and s0[0]["k_cold"]:
        print("select 1, whole process: %.1f ms (goal <= 50 ms)" % (s0[0]["k_cold"] * 1000))
    print("all answers correct: %s" % all(r["ok"] for r in rows if r["ok"] is not None and not r["err"]))
    return 0 if all(not r["err"] and r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
