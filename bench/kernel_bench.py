#!/usr/bin/env python3
"""Kernel benchmark: Kindling against ipykernel, side by side in one run.

Measures, for each kernel:
  * startup: process spawn until the first kernel_info_reply (median of N),
    through the real jupyter_client;
  * round trip of a trivial execute (empty cell: busy, execute_input, reply,
    idle), median over M, with two clients on the same kernel process:
      - jupyter_client (BlockingKernelClient), what a Python frontend sees;
        much of it is the client's own Python work (serialise, sign, verify,
        parse four IOPub messages and the reply, build datetimes);
      - bench/rtt.c, a lean C client built here with pkg-config (libzmq,
        jansson, openssl): it signs a pre-built request, verifies the
        signature and parses the JSON of every message it receives, and
        does nothing else, so the kernel's own latency shows;
  * idle RSS of the kernel process after startup (and USS, the part no other
    process shares), read from /proc the same way for both kernels.
Prints a table and the ratios. Goals: startup >= 20x faster than ipykernel,
median round trip <= 0.3 ms, idle RSS <= 8 MB.

Usage: bench/kernel_bench.py [--kindling PATH] [--starts N] [--executes M]
"""
import argparse
import os
import queue
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import psutil
from jupyter_client.manager import KernelManager

HERE = os.path.dirname(os.path.abspath(__file__))


def run_cell(kc, code, timeout=60):
    """Execute code and wait for its execute_reply and its status idle;
    return (seconds from the request to the idle, reply content, IOPub
    messages of the cell, epoch time of the send). The epoch lines up with
    other processes' logs on this machine. A failed cell raises."""
    epoch = time.time()
    t0 = time.perf_counter()
    deadline = t0 + timeout
    msg_id = kc.execute(code)
    reply = None
    while reply is None:
        r = kc.get_shell_msg(timeout=max(0.01, deadline - time.perf_counter()))
        if r["parent_header"].get("msg_id") == msg_id:
            reply = r["content"]
    msgs = []
    while True:
        m = kc.get_iopub_msg(timeout=max(0.01, deadline - time.perf_counter()))
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        msgs.append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    t = time.perf_counter() - t0
    if reply["status"] != "ok":
        errs = [m["content"] for m in msgs if m["msg_type"] == "error"]
        detail = errs[0]["evalue"] if errs else reply.get("evalue", "")
        raise RuntimeError(f"cell failed: {code.splitlines()[0] if code else ''}...: "
                           f"{reply.get('ename', '')}: {detail}")
    return t, reply, msgs, epoch


def wait_kernel_info(kc, timeout=30):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        msg_id = kc.kernel_info()
        try:
            while True:
                r = kc.get_shell_msg(timeout=0.05)
                if r["parent_header"].get("msg_id") == msg_id:
                    return
        except queue.Empty:
            continue
    raise RuntimeError("kernel never answered kernel_info")


def build_rtt(root):
    """Compile bench/rtt.c into root; None (with a note) when that fails."""
    out = os.path.join(root, "rtt")
    try:
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libzmq", "jansson", "openssl"],
                               check=True, capture_output=True, text=True).stdout
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-o", out, os.path.join(HERE, "rtt.c")]
                       + shlex.split(flags), check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"note: lean client not built ({e}); only jupyter_client is measured",
              file=sys.stderr)
        return None
    return out


def lean_roundtrips(rtt, connection_file, n):
    """Median and p99 (seconds) of n empty executes measured by bench/rtt."""
    r = subprocess.run([rtt, "-f", connection_file, "-n", str(n)], check=True,
                       capture_output=True, text=True, timeout=600)
    kv = dict(f.split("=") for f in r.stdout.split())
    return float(kv["median_us"]) * 1e-6, float(kv["p99_us"]) * 1e-6


def client_floor(n=2000):
    """jupyter_client's own CPU for one empty execute, no kernel involved:
    serialise one request, deserialise the four messages it gets back (busy,
    execute_input, execute_reply, idle). Sockets and polling come on top."""
    from jupyter_client.session import Session
    s = Session(key=b"a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d")
    s.digest_history_size = 10 * n  # every message is new, as on the wire
    parent = s.msg_header("execute_request")
    frames = [s.feed_identities(s.serialize(s.msg("status", content={"execution_state": "busy"},
                                                  parent=parent)), copy=True)[1]
              for _ in range(n)]
    t0 = time.perf_counter()
    for fr in frames:
        s.deserialize(fr)
    t1 = time.perf_counter()
    for _ in range(n):
        s.serialize(s.msg("execute_request", content={"code": ""}))
    t2 = time.perf_counter()
    return 4 * (t1 - t0) / n + (t2 - t1) / n


def start_once(name):
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kc = km.blocking_client()
    # No heartbeat channel: not measured, and its thread can race with
    # interpreter exit ("Too many open files" from a late socket()).
    kc.start_channels(hb=False)
    wait_kernel_info(kc)
    t = time.perf_counter() - t0
    return km, kc, t


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def roundtrips(kc, n):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        msg_id = kc.execute("")
        while True:
            r = kc.get_shell_msg(timeout=10)
            if r["parent_header"].get("msg_id") == msg_id:
                break
        # The round trip ends at idle: that is when a frontend may go on.
        while True:
            m = kc.get_iopub_msg(timeout=10)
            if (m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status"
                    and m["content"]["execution_state"] == "idle"):
                break
        times.append(time.perf_counter() - t0)
    return times


def measure(name, starts, executes, rtt):
    start_times = []
    for _ in range(starts):
        km, kc, t = start_once(name)
        start_times.append(t)
        stop(km, kc)
    km, kc, _ = start_once(name)
    time.sleep(0.5)
    mem = psutil.Process(km.provisioner.process.pid).memory_full_info()
    rt = roundtrips(kc, executes)
    # The lean client talks to the same kernel process once jupyter_client
    # has let go of its sockets.
    kc.stop_channels()
    lean = lean_roundtrips(rtt, km.connection_file, executes) if rtt else (None, None)
    km.shutdown_kernel(now=True)
    return {"startup": statistics.median(start_times), "rt": statistics.median(rt),
            "rt_p99": sorted(rt)[int(len(rt) * 0.99) - 1], "rss": mem.rss, "uss": mem.uss,
            "lean": lean[0], "lean_p99": lean[1]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kindling", default=shutil.which("kindling") or
                    os.path.join(HERE, "..", "build", "kindling"))
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--executes", type=int, default=1000)
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="kindling-bench-")
    subprocess.run([os.path.abspath(args.kindling), "install", "--prefix", root], check=True,
                   stdout=subprocess.DEVNULL)
    os.environ["JUPYTER_PATH"] = os.path.join(root, "share", "jupyter")
    os.environ["KINDLING_HISTORY_FILE"] = os.path.join(root, "history.jsonl")
    os.environ["SPARKMAGIC_CONF_DIR"] = root
    os.environ.pop("KINDLING_LIVY_URL", None)
    # ipykernel's debugger otherwise prints a warning per start.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        rtt = build_rtt(root)
        kd = measure("kindling-pyspark", args.starts, args.executes, rtt)
        ip = measure("python3", args.starts, args.executes, rtt)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    w = 44

    def row(label, a, b, scale, fmt, ratio=True):
        if a is None or b is None:
            return
        line = f"{label:{w}}{a*scale:14{fmt}}{b*scale:14{fmt}}"
        print(line + (f"{b/a:9.1f}x" if ratio else ""))

    print(f"{'':{w}}{'kindling':>14}{'ipykernel':>14}{'ratio':>10}")
    row("startup to kernel_info (ms)", kd["startup"], ip["startup"], 1e3, ".2f")
    row("execute round trip, jupyter_client (ms)", kd["rt"], ip["rt"], 1e3, ".3f")
    row("  p99 (ms)", kd["rt_p99"], ip["rt_p99"], 1e3, ".3f", False)
    floor = client_floor()
    print(f"{'  jupyter_client CPU alone, no kernel (ms)':{w}}{floor*1e3:14.3f}")
    row("execute round trip, lean C client (ms)", kd["lean"], ip["lean"], 1e3, ".3f")
    row("  p99 (ms)", kd["lean_p99"], ip["lean_p99"], 1e3, ".3f", False)
    row("idle RSS (MB)", kd["rss"], ip["rss"], 2**-20, ".2f")
    row("idle USS, unshared (MB)", kd["uss"], ip["uss"], 2**-20, ".2f")
    goals = [("startup >= 20x faster", ip["startup"] / kd["startup"] >= 20),
             ("median round trip <= 0.3 ms (jupyter_client)", kd["rt"] <= 0.3e-3)]
    if kd["lean"] is not None:
        goals.append(("median round trip <= 0.3 ms (lean client)", kd["lean"] <= 0.3e-3))
    goals.append(("idle RSS <= 8 MB", kd["rss"] <= 8 << 20))
    for g, ok in goals:
        print(f"goal {g}: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
