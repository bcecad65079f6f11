"""Fixtures for the integration suite: the built `kindling` binary, its
kernelspecs installed into a private Jupyter path, and kernels started and
driven by the real jupyter_client.

Environment: KINDLING_BIN (default: $top_builddir/kindling). Each test session
gets its own JUPYTER_PATH, history file and (empty) sparkmagic config dir, so
the user's own configuration never leaks in.
"""
import json
import os
import queue
import shutil
import subprocess
import tempfile
import time

import pytest
from jupyter_client.manager import start_new_kernel

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.environ.get("top_srcdir", os.path.join(HERE, "..", "..")))
BUILDDIR = os.path.abspath(os.environ.get("top_builddir", SRCDIR))


def kindling_bin():
    path = os.environ.get("KINDLING_BIN") or os.path.join(BUILDDIR, "kindling")
    if not os.path.exists(path):
        pytest.exit(f"kindling binary not found at {path}; build first or set KINDLING_BIN")
    return os.path.abspath(path)


@pytest.fixture(scope="session")
def kernel_env():
    """Install the kernelspecs into a private prefix and point Jupyter at it."""
    root = tempfile.mkdtemp(prefix="kindling-it-")
    subprocess.run([kindling_bin(), "install", "--prefix", root], check=True,
                   stdout=subprocess.DEVNULL)
    saved = dict(os.environ)
    os.environ["JUPYTER_PATH"] = os.path.join(root, "share", "jupyter")
    os.environ["JUPYTER_DATA_DIR"] = os.path.join(root, "data")
    os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(root, "runtime")
    os.environ["KINDLING_HISTORY_FILE"] = os.path.join(root, "history.jsonl")
    os.makedirs(os.path.join(root, "sparkmagic"), exist_ok=True)
    os.environ["SPARKMAGIC_CONF_DIR"] = os.path.join(root, "sparkmagic")
    os.environ.pop("SPARKMAGIC_CONF_FILE", None)
    os.environ.pop("KINDLING_LIVY_URL", None)
    yield root
    os.environ.clear()
    os.environ.update(saved)
    shutil.rmtree(root, ignore_errors=True)


class Kernel:
    """A started kernel plus helpers that collect a request's IOPub output."""

    def __init__(self, name):
        self.km, self.kc = start_new_kernel(kernel_name=name, startup_timeout=30)

    def stop(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def drain(self, timeout=0.3):
        while True:
            try:
                self.kc.get_iopub_msg(timeout=timeout)
            except queue.Empty:
                return

    def iopub_for(self, msg_id, timeout=30):
        """IOPub messages with parent msg_id, from busy up to and incl. idle."""
        out = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                m = self.kc.get_iopub_msg(timeout=max(0.05, deadline - time.time()))
            except queue.Empty:
                break
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            out.append(m)
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return out
        raise AssertionError(f"no idle for {msg_id}; got {[x['msg_type'] for x in out]}")

    def execute(self, code, timeout=60, **kw):
        msg_id = self.kc.execute(code, **kw)
        reply = self.kc.get_shell_msg(timeout=timeout)
        assert reply["parent_header"]["msg_id"] == msg_id
        return reply, self.iopub_for(msg_id, timeout=timeout)


@pytest.fixture
def kernel(kernel_env):
    k = Kernel("kindling-pyspark")
    k.drain(0.1)
    yield k
    k.stop()


@pytest.fixture
def make_kernel(kernel_env):
    started = []

    def make(name="kindling-pyspark"):
        k = Kernel(name)
        k.drain(0.1)
        started.append(k)
        return k

    yield make
    for k in started:
        try:
            k.stop()
        except Exception:
            pass


def outputs(msgs, kind=None):
    types = {"stream", "display_data", "update_display_data", "execute_result", "error",
             "clear_output"}
    return [m for m in msgs if m["msg_type"] in types and (kind is None or m["msg_type"] == kind)]


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f)
