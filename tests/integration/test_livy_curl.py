"""libcurl is opened at the first Livy request, not linked (livy/livy_curl.c):
a kernel that has not talked to Livy has no libcurl mapped, the first Spark
cell loads it and runs, and a libcurl that cannot be loaded gives an
actionable error reply while the kernel keeps serving."""
import os

from conftest import Kernel
from test_livy import Livy, texts


def curl_mapped(kernel):
    pid = kernel.km.provisioner.process.pid
    with open(f"/proc/{pid}/maps") as f:
        return any("libcurl" in line for line in f)


def start(env):
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return Kernel("kindling-pyspark")
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_libcurl_is_loaded_at_the_first_livy_request(kernel_env, tmp_path):
    server = Livy(tmp_path)
    k = start({"KINDLING_LIVY_URL": server.url})
    try:
        r, _ = k.execute("%%help")
        assert r["content"]["status"] == "ok"
        assert not curl_mapped(k), "libcurl mapped before any Livy request"
        r, msgs = k.execute("print(6 * 7)")
        assert r["content"]["status"] == "ok", r["content"]
        assert "42" in texts(msgs)
        assert curl_mapped(k)
    finally:
        k.stop()
        server.stop()


def test_a_missing_libcurl_is_an_actionable_error(kernel_env, tmp_path):
    server = Livy(tmp_path)
    k = start({"KINDLING_LIVY_URL": server.url,
               "KINDLING_LIBCURL": "libkindling-no-such-curl.so.4"})
    try:
        r, _ = k.execute("print(1)")
        c = r["content"]
        assert c["status"] == "error"
        assert "cannot load libkindling-no-such-curl.so.4" in c["evalue"]
        assert "KINDLING_LIBCURL" in c["evalue"]
        # The kernel keeps serving, and the local engine still works.
        r, msgs = k.execute("%%local\nSELECT 40 + 2 AS answer")
        assert r["content"]["status"] == "ok", r["content"]
        assert "42" in texts(msgs)
        assert server.requests() == []
    finally:
        k.stop()
        server.stop()
