"""The quick-start notebook in a real browser: the classic Jupyter Notebook
server with the Kindling kernelspecs, driven by headless Chromium through
tests/ui/notebook_ui.mjs (playwright-core).

The page runs every cell from the Cell menu, then one more cell typed with the
keyboard that runs long enough to draw the progress line; the test checks
what the page shows: the result tables of the join/group-by, the error of
the deliberate error cell, and the finished progress line. A full-page
screenshot is kept in the test's tmp dir (and copied to $KINDLING_UI_SHOTS
when set).

Needs Debian's chromium and `npm ci` in tests/ui (scripts/ui_deps.sh); the
test is skipped when either is missing.
"""
import csv
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict

import pytest

from conftest import SRCDIR

CHROMIUM = os.environ.get("KINDLING_CHROMIUM", "/usr/bin/chromium")
UI_DIR = os.path.join(SRCDIR, "tests", "ui")
PLAYWRIGHT = os.path.join(UI_DIR, "node_modules", "playwright-core")

# Long enough (tens of millions of rows) to outlast the kernel's 0.3 s delay
# before it draws a progress line, even on a fast machine.
PROGRESS_CELL = """%%sql
SELECT k % 7 AS bucket, count(*) AS n
FROM (SELECT a.order_id * 1000 + b.id AS k FROM sales a CROSS JOIN range(100000) b) t
GROUP BY k % 7 ORDER BY bucket
"""

# The final text of the progress line (common/progress.c) once the job ended:
# label "Job", the full bar, 100%, elapsed seconds, state "done". The HTML
# form renders label, percentage, time and state as separate spans.
PROGRESS_DONE = re.compile(r"Job\s*(\[#{30}\]\s*)?100%\s+[0-9.]+s\s+done")

pytestmark = [
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                       reason=f"{CHROMIUM} not installed (run scripts/ui_deps.sh)"),
    pytest.mark.skipif(not os.path.isdir(PLAYWRIGHT),
                       reason="tests/ui/node_modules missing (run scripts/ui_deps.sh)"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"notebook server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"notebook server never answered {url}")


@pytest.fixture
def notebook_server(kernel_env, tmp_path):
    """A classic notebook server on a free port over a copy of notebooks/."""
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    shutil.copy(os.path.join(SRCDIR, "notebooks", "quickstart.ipynb"), nbdir)
    shutil.copytree(os.path.join(SRCDIR, "notebooks", "data"), nbdir / "data")
    confdir = tmp_path / "jupyter-config"
    confdir.mkdir()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(confdir))
    port, token = free_port(), secrets.token_hex(16)
    log = open(tmp_path / "notebook-server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "notebook", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", "--port-retries=0", f"--NotebookApp.token={token}",
         f"--notebook-dir={nbdir}"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/api/status?token={token}", proc)
        yield base, token, nbdir
    finally:
        # SIGTERM: the server shuts its kernels down before exiting.
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def expected_join(nbdir):
    """The quick-start's join/group-by, computed here from the CSV files."""
    targets = {}
    with open(nbdir / "data" / "regions.csv") as f:
        for r in csv.DictReader(f):
            targets[r["region"]] = (r["manager"], float(r["target"]))
    orders, revenue = defaultdict(int), defaultdict(float)
    with open(nbdir / "data" / "sales.csv") as f:
        for r in csv.DictReader(f):
            if int(r["quantity"]) >= 2 and r["region"] in targets:
                orders[r["region"]] += 1
                revenue[r["region"]] += float(r["amount"])
    rows = [[reg, targets[reg][0], str(orders[reg]), round(revenue[reg], 2),
             round(revenue[reg] / targets[reg][1] * 100, 1)] for reg in orders]
    return sorted(rows, key=lambda r: -r[3])


def find_cell(report, needle):
    cells = [c for c in report["cells"] if c["type"] == "code" and needle in c["source"]]
    assert cells, f"no code cell containing {needle!r}"
    return cells[0]


def test_quickstart_in_classic_notebook(notebook_server, tmp_path):
    base, token, nbdir = notebook_server
    shot = tmp_path / "quickstart.png"
    extra = tmp_path / "progress_cell.txt"
    extra.write_text(PROGRESS_CELL)
    r = subprocess.run(
        ["node", os.path.join(UI_DIR, "notebook_ui.mjs"), "--base", base, "--token", token,
         "--notebook", "quickstart.ipynb", "--shot", str(shot), "--append-cell", str(extra),
         "--chromium", CHROMIUM, "--timeout", "240"],
        capture_output=True, text=True, timeout=400)
    server_log = (tmp_path / "notebook-server.log").read_text()[-3000:]
    assert r.returncode == 0, f"{r.stderr[-3000:]}\n--- server log ---\n{server_log}"
    report = json.loads(r.stdout.strip().splitlines()[-1])
    if shot.exists() and os.environ.get("KINDLING_UI_SHOTS"):
        os.makedirs(os.environ["KINDLING_UI_SHOTS"], exist_ok=True)
        shutil.copy(shot, os.path.join(os.environ["KINDLING_UI_SHOTS"], shot.name))

    assert report["kernelName"].strip() == "PySpark (Kindling)"
    assert report["kernelIdle"]
    code = [c for c in report["cells"] if c["type"] == "code"]
    assert len(code) >= 10
    counts = [int(re.search(r"\[(\d+)\]", c["prompt"]).group(1)) for c in code]
    assert counts == sorted(counts) and len(set(counts)) == len(counts), counts

    # The join/group-by renders as an HTML table with its headers and the
    # rows the CSV files give.
    join = find_cell(report, "pct_of_target")
    tables = [t for o in join["outputs"] for t in o["tables"]]
    assert len(tables) == 1, join["outputs"]
    assert tables[0]["headers"] == ["region", "manager", "orders", "revenue", "pct_of_target"]
    assert tables[0]["types"] == ["string", "string", "long", "double", "double"]
    got = [[row[0], row[1], row[2], float(row[3]), float(row[4])] for row in tables[0]["rows"]]
    assert got == expected_join(nbdir)

    # The group-by over the cross join (after the error cell: the error cell
    # is tagged raises-exception, so Run All goes on past it).
    buckets = find_cell(report, "avg_amount")
    tables = [t for o in buckets["outputs"] for t in o["tables"]]
    assert tables and tables[0]["headers"] == ["bucket", "n", "avg_amount"]
    assert [row[0] for row in tables[0]["rows"]] == [str(i) for i in range(7)]
    assert sum(int(row[1]) for row in tables[0]["rows"]) == 500 * 100000
    # its job runs long enough for the live progress line, shown finished
    assert any(PROGRESS_DONE.search(o["text"]) for o in buckets["outputs"]), buckets["outputs"]

    # The deliberate error cell shows Spark's error, with the suggestion.
    bad = find_cell(report, "regoin")
    errors = [o for o in bad["outputs"] if o["error"]]
    assert errors, bad["outputs"]
    assert "AnalysisException" in errors[0]["text"]
    assert "regoin" in errors[0]["text"] and "`region`" in errors[0]["text"]

    # The appended cell's progress line ends in its final "done" state, above
    # its result table.
    last = code[-1]
    assert "range(100000)" in last["source"]
    texts = [o["text"] for o in last["outputs"]]
    assert any(PROGRESS_DONE.search(t) for t in texts), texts
    assert not any(re.search(r"\brunning\b", t) for t in texts), texts
    tables = [t for o in last["outputs"] for t in o["tables"]]
    assert tables and sum(int(row[1]) for row in tables[0]["rows"]) == 500 * 100000

    assert shot.exists() and shot.stat().st_size > 20000
    with open(shot, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
