#!/usr/bin/env python3
"""Benchmarks/fixed-rate: the generator's cost at a fixed arrival rate (default 2,000 req/s for 60 s) against
nginx: CPU seconds, CPU microseconds per request, and RSS early and late in the run. Memory must not grow with
run length (k6 #763 is the failure to avoid): the RSS slope over the run is printed too.

Usage: Benchmarks/fixed-rate.py [--rate 2000] [--duration 60] [--bin MAILSTORM]
"""
import argparse, json, os, subprocess, tempfile, time, shutil
from common import Nginx, release_binary, child_cpu

ap = argparse.ArgumentParser()
ap.add_argument("--rate", type=int, default=2000)
ap.add_argument("--duration", type=int, default=60)
ap.add_argument("--bin", default=None, help="the mailstorm binary to measure (default: this tree's release build)")
a = ap.parse_args()

mailstorm = a.bin or release_binary("mailstorm")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


with Nginx() as target:
    d = tempfile.mkdtemp(prefix="ms-fixed-")
    c0 = child_cpu()
    p = subprocess.Popen([mailstorm, "http", target.url, "--rate", str(a.rate), "--duration", f"{a.duration}s", "--quiet", "--out", d],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    samples = []
    t0 = time.time()
    while p.poll() is None:
        try:
            samples.append((time.time() - t0, rss_kib(p.pid)))
        except OSError:
            break
        time.sleep(1)
    p.communicate()
    cpu = child_cpu() - c0
    s = json.load(open(os.path.join(d, os.listdir(d)[0], "summary.json")))
    shutil.rmtree(d)

run = [x for x in samples if 2 <= x[0] <= a.duration]
early, late = run[0], run[-1]
n = len(run)
mx = sum(t for t, _ in run) / n
my = sum(r for _, r in run) / n
slope = sum((t - mx) * (r - my) for t, r in run) / max(sum((t - mx) ** 2 for t, _ in run), 1e-9)
total = s["requests"]["total"]
print(f"rate {a.rate} req/s for {a.duration} s: {total} requests, {s['throughput_rps']:.1f} req/s achieved, "
      f"errors {s['requests']['errors']}, dropped {s['requests']['dropped']}")
print(f"latency from intended send: p50 {s['latency_ms']['p50']:.3f} ms, p99 {s['latency_ms']['p99']:.3f} ms, max {s['latency_ms']['max']:.3f} ms")
print(f"generator CPU: {cpu:.2f} s total, {cpu / a.duration * 100:.1f}% of one core, {cpu / total * 1e6:.2f} us per request")
print(f"generator RSS: {early[1] / 1024:.1f} MiB at {early[0]:.0f} s, {late[1] / 1024:.1f} MiB at {late[0]:.0f} s, "
      f"max {max(r for _, r in run) / 1024:.1f} MiB, slope {slope:.1f} KiB/s")
