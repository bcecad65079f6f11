"""The shared benchmark queries at scale factor 0.1 answer exactly what the
reference results hold, through `kindling sql` on task threads and on
executor processes."""
import json
import os
import subprocess

import pytest

from conftest import kindling_bin

TOP = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(__file__), "..", "..")
BUILD = os.environ.get("top_builddir") or os.path.join(TOP, "build")
SHARED = os.environ.get("KINDLING_SHARED_BENCH") or os.path.join(TOP, "..", "shared", "bench")

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(SHARED, "gen_data.py")),
                                reason="the shared benchmark kit (../shared/bench) is not here")


@pytest.fixture(scope="module")
def data():
    d = os.path.abspath(os.path.join(BUILD, "bench-data", "sf0.1"))
    if not os.path.exists(os.path.join(d, "lineitem.csv")):
        subprocess.run(["/usr/bin/python3", os.path.join(SHARED, "gen_data.py"), "--scale", "0.1",
                        "--out", d, "--format", "csv"], check=True, stdout=subprocess.DEVNULL)
    return d


def queries():
    qdir = os.path.join(SHARED, "queries")
    if not os.path.isdir(qdir):
        return []
    return sorted(f[:-4] for f in os.listdir(qdir) if f.endswith(".sql"))


def same(got, want):
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        if len(g) != len(w):
            return False
        for a, b in zip(g, w):
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
                if a != b and abs(a - b) > 1e-6 * max(abs(a), abs(b)):
                    return False
            elif str(a) != str(b):
                return False
    return True


@pytest.mark.parametrize("master", ["local[2]", "local-cluster[2,1,512]"])
@pytest.mark.parametrize("q", queries())
def test_query_matches_reference(data, q, master, tmp_path):
    with open(os.path.join(SHARED, "schema.sql")) as f:
        init = f.read().replace("${DATA}", data)
    initf = tmp_path / "schema.sql"
    initf.write_text(init)
    with open(os.path.join(SHARED, "queries", q + ".sql")) as f:
        sql = f.read()
    r = subprocess.run([kindling_bin(), "sql", "--silent", "--no-progress", "--format", "json",
                        "--master", master, "--conf", "spark.sql.shuffle.partitions=8",
                        "-i", str(initf), "-e", sql], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    got = [list(json.loads(line).values()) for line in r.stdout.splitlines() if line.strip()]
    with open(os.path.join(SHARED, "expected", "sf0.1", q + ".json")) as f:
        want = json.load(f)
    assert same(got, want), (got[:5], want[:5])
