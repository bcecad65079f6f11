#!/usr/bin/python3
"""Local engine benchmark: Kindling vs peer engines, side by side in one run.

For every query of the shared benchmark (TPC-H-like, Spark SQL dialect):
  cold  whole process, CSV files -> answer (`kindling sql`, and each peer
        through its shared driver), median of RUNS processes, peak RSS per
        process;
  warm  one process: load the tables the query names (Kindling: CACHE TABLE;
        load time reported), one untimed run, then RUNS timed runs
        (in-process times);
and checks every answer against the shared expected results (Kindling's
cold and warm answers, and each peer's; a wrong peer answer is marked).

Peers (--peers, default duckdb): duckdb (the shared node driver), pandas
(pandas_peer.py, Debian's python3-pandas, single-threaded) and sqlite
(sqlite_peer.py over the sqlite3 CLI, in-memory, single-threaded). Their
drivers are run from --peers-dir (default ../shared/bench/peers beside the
repository), never copied into it. Every peer process has --timeout seconds;
a peer that runs out of time shows T/O for that query and mode.

Prints per-query times, Kindling/DuckDB ratios, the cold geometric mean, peak
RSS and correctness, a table of the warm times of every engine, then whether
Kindling's warm time is within 3x DuckDB and under pandas and SQLite.

usage: bench/engine_bench.py [--sf 0.1|1] [--runs N] [--queries q01,q06]
                             [--shared DIR] [--data DIR] [--kindling BIN]
                             [--peers duckdb,pandas,sqlite] [--peers-dir DIR]
                             [--timeout SECS] [--memory-cap 256m] [--no-peer]
                             [--no-cold] [--no-warm]
DuckDB comes from the npm registry (@duckdb/node-api, the version the shared
peers pin), installed once into bench/.peers/ (ignored by git).
"""
import argparse
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DUCKDB_PKG = "@duckdb/node-api@1.5.6-r.1"


def run_measured(argv, env=None, timeout=900, stdin=None):
    """Run argv in its own process group under GNU time (when present);
    return (wall seconds, peak RSS MiB or None, stdout, stderr, exit code).
    Past timeout seconds the whole group is killed (a driver's own children
    too) and the exit code is -9 with "timeout" in stderr."""
    rssf = None
    if os.path.exists("/usr/bin/time"):
        rssf = tempfile.NamedTemporaryFile(mode="r", suffix=".time")
        argv = ["/usr/bin/time", "-v", "-o", rssf.name] + list(argv)
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.PIPE if stdin is not None else None, env=env,
                         start_new_session=True)
    try:
        out, err = p.communicate(input=stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        out, err = p.communicate()
        if rssf:
            rssf.close()
        return timeout, None, out, err + b"\ntimeout", -9
    wall = time.perf_counter() - t0
    rss = None
    if rssf:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", rssf.read())
        rss = int(m.group(1)) / 1024.0 if m else None
        rssf.close()
    return wall, rss, out, err, p.returncode


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
    times, rows, err, rsss = [], None, None, []
    for _ in range(args.runs):
        wall, rss, out, e, rc = run_measured(argv, timeout=args.timeout)
        if rc != 0:
            err = e.decode(errors="replace").strip().splitlines()[-1:] or ["failed"]
            break
        times.append(wall)
        if rss:
            rsss.append(rss)
        rows = parse_json_rows(out.decode())
    os.unlink(initf)
    return times, rows, statistics.median(rsss) if rsss else None, err


def kindling_warm(args, init, qsql, tables):
    """Returns (load s, run times s, error, rows of the last run)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(init)
        initf = f.name
    script = "".join("CACHE TABLE %s;\n" % t for t in tables)
    body = qsql.strip().rstrip(";")
    # CACHE TABLE lines report their own time: separate them from the runs.
    script += ";\n".join([body] * (args.runs + 1)) + ";\n"
    argv = [args.kindling, "sql", "--format", "json", "--no-progress", "--master", args.master,
            "--conf", "spark.sql.shuffle.partitions=%d" % args.partitions, "-i", initf, "-f", "-"]
    wall, _, out, e, rc = run_measured(argv, stdin=script.encode(), timeout=args.timeout)
    os.unlink(initf)
    if rc != 0:
        return None, None, e.decode(errors="replace").strip().splitlines()[-1:], None
    # Every run prints the same rows: keep the last run's for the answer check.
    rows = parse_json_rows(out.decode())
    last = rows[len(rows) - len(rows) // (args.runs + 1):] if len(rows) % (args.runs + 1) == 0 \
        else None
    secs = [float(x) for x in re.findall(r"Time taken: ([0-9.]+) seconds", e.decode())]
    ncache = len(tables)
    load = sum(secs[:ncache])
    runs = secs[ncache + 1:]
    return load, runs, None, last


PEERS = ("duckdb", "pandas", "sqlite")


def setup_duckdb(args):
    peers = os.path.join(HERE, ".peers")
    mod = os.path.join(peers, "node_modules", "@duckdb", "node-api")
    os.makedirs(os.path.join(peers, "peers"), exist_ok=True)
    shutil.copy(os.path.join(args.peers_dir, "node_peer.mjs"),
                os.path.join(peers, "peers", "node_peer.mjs"))
    shutil.copy(os.path.join(args.shared, "schema.json"), os.path.join(peers, "schema.json"))
    if not os.path.isdir(mod):
        with open(os.path.join(peers, "package.json"), "w") as f:
            f.write('{"name": "kindling-bench-peers", "private": true}\n')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", DUCKDB_PKG], cwd=peers,
                       check=True, stdout=subprocess.DEVNULL)
    return os.path.join(peers, "peers", "node_peer.mjs")


def peer_argv(args, peer, mode, qfile, outdir):
    """The shared driver's command line: DRIVER MODE DATADIR OUTDIR RUNS QUERY.sql."""
    tail = [mode, args.data, outdir, str(args.runs), qfile]
    if peer == "duckdb":
        return ["node", args.duckdb_driver, "duckdb"] + tail
    if peer == "pandas":
        return ["/usr/bin/python3", os.path.join(args.peers_dir, "pandas_peer.py")] + tail
    if peer == "sqlite":
        return ["/usr/bin/python3", os.path.join(args.peers_dir, "sqlite_peer.py")] + tail
    raise SystemExit("unknown peer %s (known: %s)" % (peer, ", ".join(PEERS)))


def peer_run(args, peer, mode, qfile, outdir, expected):
    """One peer, one query, one mode. Returns a dict: times (cold: walls in
    s; warm: in-process ms), load_ms, rss, ok (answer check), err ("T/O" on
    timeout)."""
    env = dict(os.environ, BENCH_TIMEOUT=str(args.timeout))
    if args.memory_cap and peer == "duckdb":
        env["BENCH_MEMORY_LIMIT"] = args.memory_cap.upper().rstrip("B") + "B"
    argv = peer_argv(args, peer, mode, qfile, outdir)
    name = os.path.basename(qfile)[:-4]
    r = {"times": [], "load_ms": None, "rss": None, "ok": None, "err": None}
    rsss = []
    for _ in range(args.runs if mode == "cold" else 1):
        wall, rss, out, e, rc = run_measured(argv, env=env, timeout=args.timeout)
        recs = [json.loads(x) for x in out.decode(errors="replace").splitlines()
                if x.strip().startswith("{")]
        rec = recs[-1] if recs else {}
        why = rec.get("error") or ("" if rc == 0 else e.decode(errors="replace")[-300:])
        if rc == -9 or "timeout" in (why or ""):
            r["err"] = "T/O"
            break
        if why:
            r["err"] = why.strip().splitlines()[-1] if why.strip() else "failed"
            break
        if rss:
            rsss.append(rss)
        if mode == "cold":
            r["times"].append(wall)
        else:
            r["times"] = rec.get("times_ms") or []
            r["load_ms"] = rec.get("load_ms")
    r["rss"] = statistics.median(rsss) if rsss else None
    got = os.path.join(outdir, name + ".json")
    if not r["err"] and expected is not None and os.path.exists(got):
        with open(got) as f:
            r["ok"] = same(json.load(f), expected)
        os.unlink(got)
    return r


def fmt(x, unit=""):
    if x is None:
        return "-"
    return ("%.3f" % x if x < 10 else "%.1f" % x) + unit


def med(xs):
    return statistics.median(xs) if xs else None


def peer_cell(r, warm):
    """A peer's median for a table cell: T/O, err, or the time (+ wrong)."""
    if r is None:
        return "-"
    if r["err"]:
        return "T/O" if r["err"] == "T/O" else "err"
    x = med(r["times"])
    return fmt(x) + (" (wrong)" if r["ok"] is False else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sf", default="0.1")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--queries", default="")
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "bench"))
    ap.add_argument("--peers-dir", default=os.path.join(ROOT, "..", "shared", "bench", "peers"),
                    help="the shared peer drivers (node_peer.mjs, pandas_peer.py, sqlite_peer.py)")
    ap.add_argument("--peers", default="duckdb",
                    help="comma list of peers to run beside Kindling: %s" % ",".join(PEERS))
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds per process (a peer past it shows T/O)")
    ap.add_argument("--data", default="")
    ap.add_argument("--kindling", default=os.path.join(ROOT, "build", "kindling"))
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--memory-cap", default="")
    ap.add_argument("--no-peer", action="store_true", help="Kindling only")
    ap.add_argument("--no-cold", action="store_true")
    ap.add_argument("--no-warm", action="store_true")
    args = ap.parse_args()
    args.shared = os.path.abspath(args.shared)
    args.peers_dir = os.path.abspath(args.peers_dir)
    args.data = os.path.abspath(args.data or os.path.join(HERE, "data", "sf" + args.sf))
    peers = [] if args.no_peer else [p for p in args.peers.split(",") if p]
    for p in peers:
        if p not in PEERS:
            raise SystemExit("unknown peer %s (known: %s)" % (p, ", ".join(PEERS)))
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
    if "duckdb" in peers:
        args.duckdb_driver = setup_duckdb(args)
    modes = [m for m, off in (("cold", args.no_cold), ("warm", args.no_warm)) if not off]
    outdir = tempfile.mkdtemp(prefix="kindling-bench-")
    rows = []
    for q in names:
        qfile = os.path.join(qdir, q + ".sql")
        qsql = open(qfile).read()
        expected = None
        ef = os.path.join(args.shared, "expected", "sf" + args.sf, q + ".json")
        if os.path.exists(ef):
            expected = json.load(open(ef))
        kt, krows, krss, kerr = [], None, None, None
        if not args.no_cold:
            kt, krows, krss, kerr = kindling_cold(args, init, qsql)
        ok = None if expected is None or kerr or args.no_cold else same(krows or [], expected)
        # (the warm run's answer is checked too, below)
        kload = kwarm = None
        if not args.no_warm and not kerr:
            kload, kwarm, werr, wrows = kindling_warm(args, init, qsql, tables_of(qsql, schema))
            if werr:
                kerr = "warm: %s" % werr
            elif expected is not None:
                wok = wrows is not None and same(wrows, expected)
                ok = wok if ok is None else ok and wok
        pr = {p: {m: peer_run(args, p, m, qfile, outdir, expected) for m in modes} for p in peers}
        d = pr.get("duckdb", {})
        r = {"query": q, "k_cold": med(kt),
             "d_cold": med(d["cold"]["times"]) if "cold" in d else None,
             "k_warm": med(kwarm) * 1000 if kwarm else None,
             "d_warm": med(d["warm"]["times"]) if "warm" in d else None,
             "k_rss": krss, "d_rss": d["cold"]["rss"] if "cold" in d else None, "ok": ok,
             "err": kerr, "k_load": kload, "peers": pr}
        rows.append(r)
        line = "%-20s kindling cold %6s s warm %7s ms  rss %6s MiB  %s%s" % (
            q, fmt(r["k_cold"]), fmt(r["k_warm"]), fmt(r["k_rss"]),
            {True: "correct", False: "WRONG", None: "unchecked"}[ok],
            "  ERROR " + str(kerr) if kerr else "")
        for p in peers:
            line += " | %s cold %s s warm %s ms" % (p, peer_cell(pr[p].get("cold"), False),
                                                   peer_cell(pr[p].get("warm"), True))
        print(line, flush=True)
    shutil.rmtree(outdir, ignore_errors=True)
    return report(args, rows, peers)


def report(args, rows, peers):
    print()
    cold_ratios, warm_ratios = [], []
    if "duckdb" in peers:
        print("| query | Kindling cold s | DuckDB cold s | ratio | Kindling warm ms | DuckDB warm ms | ratio | Kindling RSS MiB | DuckDB RSS MiB | answer |")
        print("|---|---|---|---|---|---|---|---|---|---|")
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
        print()
    for mode, unit, key in (("warm", "ms", "k_warm"), ("cold", "s", "k_cold")):
        if not any(r[key] for r in rows) or not peers:
            continue
        print("%s, every engine (median %s; T/O = over %.0f s; ratio = Kindling / peer)" % (
            mode, unit, args.timeout))
        print()
        print("| query | Kindling | " + " | ".join(peers) + " | " +
              " | ".join("Kindling/%s" % p for p in peers) + " |")
        print("|---|---|" + "---|" * (2 * len(peers)))
        for r in rows:
            cells, ratios = [], []
            for p in peers:
                pr = r["peers"][p].get(mode)
                cells.append(peer_cell(pr, mode == "warm"))
                x = med(pr["times"]) if pr and not pr["err"] else None
                ratios.append(fmt(r[key] / x, "x") if r[key] and x else
                              ("<1 (T/O)" if pr and pr["err"] == "T/O" and r[key] else "-"))
            print("| %s | %s | %s | %s |" % (r["query"], fmt(r[key]), " | ".join(cells),
                                            " | ".join(ratios)))
        print()
    gm = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None
    if cold_ratios:
        print("cold geometric mean ratio vs DuckDB (excl. s0): %s; worst %s" % (
            fmt(gm(cold_ratios), "x"), fmt(max(cold_ratios), "x")))
    if warm_ratios:
        print("warm geometric mean ratio vs DuckDB (excl. s0): %s" % fmt(gm(warm_ratios), "x"))
    s0 = [r for r in rows if r["query"] == "s0_startup"]
    if s0 and s0[0]["k_cold"]:
        print("select 1, whole process: %.1f ms (goal <= 50 ms)" % (s0[0]["k_cold"] * 1000))
    # Warm goals: within 3x DuckDB, faster than pandas and SQLite, per query.
    for p, limit, what in (("duckdb", 3.0, "<= 3x DuckDB"), ("pandas", 1.0, "faster than pandas"),
                           ("sqlite", 1.0, "faster than SQLite")):
        if p not in peers or args.no_warm:
            continue
        miss = []
        for r in rows:
            if r["query"] == "s0_startup" or not r["k_warm"]:
                continue
            pr = r["peers"][p]["warm"]
            if pr["err"] == "T/O":
                continue                # the peer took longer than the timeout
            x = med(pr["times"])
            if x is None or (r["k_warm"] > limit * x if limit > 1 else r["k_warm"] >= x):
                miss.append("%s (%s vs %s ms)" % (r["query"], fmt(r["k_warm"]), fmt(x)))
        print("warm %s on every query: %s" % (what, "yes" if not miss else
                                                "no, missed by " + ", ".join(miss)))
    print("all answers correct: %s" % all(r["ok"] for r in rows if r["ok"] is not None and not r["err"]))
    return 0 if all(not r["err"] and r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
