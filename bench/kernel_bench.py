#!/usr/bin/env python3
"""Kernel benchmark: Kindling against ipykernel, side by side in one run.

Measures, for each kernel, through the real jupyter_client:
  * startup: process spawn until the first kernel_info_reply (median of N);
  * round trip of a trivial execute (empty cell: busy, execute_input, reply,
    idle), median over M;
  * idle RSS of the kernel process after startup.
Prints a table and the ratios. Goals: startup >= 20x faster than ipykernel,
median round trip <= 0.3 ms, idle RSS <= 8 MB.

Usage: bench/kernel_bench.py [--kindling PATH] [--starts N] [--executes M]
"""
import argparse
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import psutil
from jupyter_client.manager import KernelManager

HERE = os.path.dirname(os.path.abspath(__file__))


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


def start_once(name):
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.blocking_client()
    kc.start_channels()
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


def measure(name, starts, executes):
    start_times = []
    for _ in range(starts):
        km, kc, t = start_once(name)
        start_times.append(t)
        stop(km, kc)
    km, kc, _ = start_once(name)
    time.sleep(0.5)
    rss = psutil.Process(km.provisioner.process.pid).memory_info().rss
    rt = roundtrips(kc, executes)
    stop(km, kc)
    return {"startup": statistics.median(start_times), "rt": statistics.median(rt),
            "rt_p99": sorted(rt)[int(len(rt) * 0.99) - 1], "rss": rss}


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
    try:
        kd = measure("kindling-pyspark", args.starts, args.executes)
        ip = measure("python3", args.starts, args.executes)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{'':28}{'kindling':>14}{'ipykernel':>14}{'ratio':>10}")
    print(f"{'startup to kernel_info (ms)':28}{kd['startup']*1e3:14.2f}{ip['startup']*1e3:14.2f}"
          f"{ip['startup']/kd['startup']:9.1f}x")
    print(f"{'execute round trip (ms)':28}{kd['rt']*1e3:14.3f}{ip['rt']*1e3:14.3f}"
          f"{ip['rt']/kd['rt']:9.1f}x")
    print(f"{'  p99 (ms)':28}{kd['rt_p99']*1e3:14.3f}{ip['rt_p99']*1e3:14.3f}")
    print(f"{'idle RSS (MB)':28}{kd['rss']/2**20:14.2f}{ip['rss']/2**20:14.2f}"
          f"{ip['rss']/kd['rss']:9.1f}x")
    goals = [("startup >= 20x faster", ip["startup"] / kd["startup"] >= 20),
             ("median round trip <= 0.3 ms", kd["rt"] <= 0.3e-3),
             ("idle RSS <= 8 MB", kd["rss"] <= 8 << 20)]
    for g, ok in goals:
        print(f"goal {g}: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
