"""Real frontends: `jupyter console` under tmux and `jupyter nbconvert
--execute` on every notebook in notebooks/, plus a notebook whose error cell
must make nbconvert fail."""
import glob
import json
import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from conftest import SRCDIR

JUPYTER = [sys.executable, "-m", "jupyter"] if sys.executable else ["jupyter"]


def nbconvert(path, outdir, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.timeout=120", "--output-dir", outdir, path],
        capture_output=True, text=True, timeout=timeout)


def notebook(cells, kernel="kindling-pyspark"):
    return {
        "cells": [{"cell_type": "code", "execution_count": None, "id": uuid.uuid4().hex[:8],
                   "metadata": {}, "outputs": [], "source": c} for c in cells],
        "metadata": {"kernelspec": {"name": kernel, "display_name": kernel,
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


NOTEBOOKS = sorted(glob.glob(os.path.join(SRCDIR, "notebooks", "*.ipynb")))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[os.path.basename(p) for p in NOTEBOOKS])
def test_notebooks_execute(kernel_env, tmp_path, path):
    with open(path) as f:
        nb = json.load(f)
    server = None
    if nb["metadata"].get("kindling", {}).get("requires") == "livy":
        server = subprocess.Popen(
            [sys.executable, os.path.join(SRCDIR, "tests", "livy", "livy_server.py"),
             "--port", "0", "--start-delay", "0.2"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        os.environ["KINDLING_LIVY_URL"] = server.stdout.readline().strip().split("=", 1)[1]
    try:
        r = nbconvert(path, str(tmp_path))
    finally:
        if server:
            os.environ.pop("KINDLING_LIVY_URL", None)
            server.terminate()
            server.wait(timeout=10)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.load(open(tmp_path / os.path.basename(path)))
    code_cells = [c for c in out["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] for c in code_cells)
    assert any(c["outputs"] for c in code_cells)


def test_error_cell_fails_nbconvert(kernel_env, tmp_path):
    path = tmp_path / "bad.ipynb"
    path.write_text(json.dumps(notebook(["%%help", "%%nosuchmagic\nx", "%%info"])))
    r = nbconvert(str(path), str(tmp_path / "out"))
    assert r.returncode != 0
    assert "nosuchmagic" in r.stderr and "UsageError" in r.stderr


def test_console_under_tmux(kernel_env, tmp_path):
    if not shutil.which("tmux"):
        pytest.skip("tmux not installed")
    sock = str(tmp_path / "tmux.sock")
    name = "kd"
    env_cmd = " ".join(f"{k}={v}" for k, v in os.environ.items()
                       if k.startswith(("JUPYTER_", "KINDLING_", "SPARKMAGIC_")))
    cmd = (f"env {env_cmd} {sys.executable} -m jupyter console --kernel kindling-pyspark "
           "--simple-prompt")
    subprocess.run(["tmux", "-S", sock, "new-session", "-d", "-s", name, "-x", "200", "-y",
                    "50", cmd], check=True)
    try:
        def screen():
            return subprocess.run(["tmux", "-S", sock, "capture-pane", "-p", "-t", name,
                                   "-S", "-200"], capture_output=True, text=True).stdout

        def wait_for(text, timeout=30):
            deadline = time.time() + timeout
            while time.time() < deadline:
                s = screen()
                if text in s:
                    return s
                time.sleep(0.2)
            raise AssertionError(f"{text!r} never appeared:\n{screen()}")

        wait_for("In [1]")
        subprocess.run(["tmux", "-S", sock, "send-keys", "-t", name, "%%info", "Enter"])
        s = wait_for("In [2]")
        assert "Config file" in s and "Backend" in s
        # A multi-line cell: the first Enter continues, the blank line runs it.
        subprocess.run(["tmux", "-S", sock, "send-keys", "-t", name, "%%configure", "Enter"])
        subprocess.run(["tmux", "-S", sock, "send-keys", "-t", name,
                        '{"executorMemory": "2g"}', "Enter"])
        s = wait_for("In [3]")
        assert "executorMemory" in s
    finally:
        subprocess.run(["tmux", "-S", sock, "kill-server"], capture_output=True)
