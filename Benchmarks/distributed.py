#!/usr/bin/env python3
"""Benchmarks/distributed: do n segment processes (`--segment i/n`) offer exactly the one schedule?

One embedded stack; a scenario file of one cheap request (GET /health) at --rate requests/s for --duration.
The peer is one mailstorm process offering the whole schedule in the same run: each row prints the merged
segments' request count over that process's (want 1, exactly), the scheduled count, dropped and failed
requests, and the merged p99 beside the single process's.

Usage: Benchmarks/distributed.py [--rate 2000] [--duration 10] [--segments 1,2,4]
"""
import argparse, glob, json, os, subprocess, tempfile, threading, time
from common import Stack, release_binary

ap = argparse.ArgumentParser()
ap.add_argument("--rate", type=int, default=2000)
ap.add_argument("--duration", type=int, default=10)
ap.add_argument("--segments", default="1,2,4")
a = ap.parse_args()
mailstorm = release_binary("mailstorm")
work = tempfile.mkdtemp(prefix="ms-distributed-")
scenario = os.path.join(work, "health.yaml")
open(scenario, "w").write(f"""name: health
timeout: 10s
workload: {{model: open, rate: {a.rate}, duration: {a.duration}s}}
journeys:
  - name: health
    steps:
      - {{name: health, path: /health, expect: 200}}
""")


def summary(folder):
    return json.load(open(glob.glob(os.path.join(folder, "*", "summary.json"))[0]))


def run(target, out, extra=()):
    subprocess.run([mailstorm, "run", "--file", scenario, "--target", target, "--out", out, "--no-baseline", "--quiet", *extra],
                   capture_output=True)


with Stack() as st:
    whole_dir = os.path.join(work, "whole")
    run(st.url, whole_dir)
    whole = summary(whole_dir)
    print(f"one process: {whole['requests']['total']} requests, {whole['requests']['dropped']} dropped, "
          f"{whole['requests']['errors']} errors, p99 {whole['latency_ms']['p99']:.2f} ms", flush=True)
    for n in [int(x) for x in a.segments.split(",")]:
        base = os.path.join(work, f"seg{n}")
        start = str(int(time.time()) + 3)
        threads = [threading.Thread(target=run, args=(st.url, os.path.join(base, str(i)), ["--segment", f"{i}/{n}", "--start-at", start]))
                   for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        merged_dir = os.path.join(base, "merged")
        folders = sorted(glob.glob(os.path.join(base, "[0-9]*", "*")))
        r = subprocess.run([mailstorm, "merge", *folders, "--out", merged_dir, "--no-baseline", "--quiet"], capture_output=True, text=True)
        m = summary(merged_dir)
        ratio = m["requests"]["total"] / max(whole["requests"]["total"], 1)
        print(f"{n} segments of {a.rate / n:g} req/s: {m['requests']['total']} requests (segments/one process {ratio:.6f}), "
              f"{m['requests']['dropped']} dropped, {m['requests']['errors']} errors, merged p99 {m['latency_ms']['p99']:.2f} ms, "
              f"merge exit {r.returncode}", flush=True)
print(f"run folders: {work}")
