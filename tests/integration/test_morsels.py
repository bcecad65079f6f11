"""Morsels of cached tables: the same answers on one task thread (one morsel
per split), on four task threads (several morsels per split, taken by
whichever thread is free) and on executor processes, for aggregates, joins,
sorts and plain scans; and the answers match what Python computes from the
same rows."""
import csv
import json
import os
import re
import subprocess
from collections import defaultdict

import pytest

from conftest import kindling_bin

N = 150000


def row(i):
    # id, k (997 groups), v (a double), s (53 strings, one NULL in 50 rows)
    return i, i % 997, float(i * 7 % 101) / 4, None if i % 50 == 7 else "s%d" % (i % 53)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    d = tmp_path_factory.mktemp("morsels")
    path = d / "t.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "k", "v", "s"])
        for i in range(N):
            r = row(i)
            w.writerow([r[0], r[1], repr(r[2]), "" if r[3] is None else r[3]])
    init = d / "init.sql"
    init.write_text("CREATE TABLE t (id BIGINT, k BIGINT, v DOUBLE, s STRING) USING csv "
                    "OPTIONS (path '%s', header 'true');\n" % path)
    return str(init)


QUERIES = {
    "global": "SELECT count(*), count(s), sum(id), sum(v), min(v), max(s) FROM t",
    "groupby": "SELECT k, count(*) AS n, sum(v) AS sv, count(s) AS ns FROM t GROUP BY k",
    "join": "SELECT a.k, count(*) AS n, sum(b.v) AS sv FROM t a JOIN t b ON a.id = b.id + 3 "
            "WHERE a.k < 20 GROUP BY a.k",
    "topn": "SELECT id, v, s FROM t ORDER BY v DESC, id LIMIT 25",
    "scan": "SELECT id, s FROM t WHERE id % 1009 = 5",
    # keys spread over the table, 1 or 2 rows each: a partial aggregate of
    # 65536 rows or more streams (emits its groups every 16384 of them)
    "spread": "SELECT (id * 7919) % 100003 AS g, count(*) AS n, sum(v) AS sv FROM t "
              "GROUP BY (id * 7919) % 100003",
}


def run(master, init, sql, explain=False, split="1m"):
    # The file is about 3 MiB. Cached, its scan is cut into morsels when the
    # splits are fewer than twice the task slots: with 1 MiB splits, 3 of
    # them; with 16 MiB splits one, in morsels of at least 256 KiB.
    script = "CACHE TABLE t;\n" + ("EXPLAIN " if explain else "") + sql + ";\n"
    r = subprocess.run([kindling_bin(), "sql", "--silent", "--no-progress", "--format", "json",
                        "--master", master, "--conf", "spark.sql.files.maxPartitionBytes=" + split,
                        "--conf", "spark.sql.shuffle.partitions=4", "-i", init, "-f", "-"],
                       input=script, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return [list(json.loads(line).values()) for line in r.stdout.splitlines() if line.strip()]


def expected(name):
    rows = [row(i) for i in range(N)]
    if name == "global":
        ss = [r[3] for r in rows if r[3] is not None]
        return [[N, len(ss), sum(r[0] for r in rows), sum(r[2] for r in rows),
                 min(r[2] for r in rows), max(ss)]]
    if name == "groupby":
        g = defaultdict(lambda: [0, 0.0, 0])
        for r in rows:
            a = g[r[1]]
            a[0] += 1
            a[1] += r[2]
            a[2] += r[3] is not None
        return [[k] + a for k, a in g.items()]
    if name == "join":
        g = defaultdict(lambda: [0, 0.0])
        for r in rows:
            if r[1] < 20 and r[0] >= 3:
                a = g[r[1]]
                a[0] += 1
                a[1] += row(r[0] - 3)[2]
        return [[k] + a for k, a in g.items()]
    if name == "spread":
        g = defaultdict(lambda: [0, 0.0])
        for r in rows:
            a = g[(r[0] * 7919) % 100003]
            a[0] += 1
            a[1] += r[2]
        return [[k] + a for k, a in g.items()]
    if name == "topn":
        return [[r[0], r[2], r[3]] for r in sorted(rows, key=lambda r: (-r[2], r[0]))[:25]]
    return [[r[0], r[3]] for r in rows if r[0] % 1009 == 5]


def norm(rows, ordered):
    out = [[round(x, 6) if isinstance(x, float) else x for x in r] for r in rows]
    return out if ordered else sorted(out, key=json.dumps)


def test_explain_shows_morsels(table):
    plan = "\n".join(str(r[0]) for r in run("local[4]", table, QUERIES["groupby"], explain=True))
    # 3 splits for 4 task slots: ceil(2 * 4 / 3) = 3 morsels per split
    assert re.search(r"3 splits x 3 morsels \(cached\)", plan), plan
    plan = "\n".join(str(r[0]) for r in run("local[1]", table, QUERIES["groupby"], explain=True))
    assert "morsels" not in plan, plan
    # one 16 MiB split: 2 morsels on one task slot, 8 on four
    plan = "\n".join(str(r[0]) for r in run("local[1]", table, QUERIES["groupby"], explain=True,
                                             split="16m"))
    assert re.search(r"1 split x 2 morsels \(cached\)", plan), plan
    plan = "\n".join(str(r[0]) for r in run("local[4]", table, QUERIES["groupby"], explain=True,
                                             split="16m"))
    assert re.search(r"1 split x 8 morsels \(cached\)", plan), plan


@pytest.mark.parametrize("split", ["1m", "16m"])
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_same_answer_one_and_many_threads(table, name, split):
    ordered = name == "topn"
    want = norm(expected(name), ordered)
    one = norm(run("local[1]", table, QUERIES[name], split=split), ordered)
    many = norm(run("local[4]", table, QUERIES[name], split=split), ordered)
    procs = norm(run("local-cluster[2,2,512]", table, QUERIES[name], split=split), ordered)
    assert one == want
    assert many == one
    assert procs == one
