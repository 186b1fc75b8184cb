#!/usr/bin/env python3
"""Benchmarks/generator: `mailstorm http` against `wrk`, alternately, on the same nginx target with the same
connection count and duration. Prints requests/sec and CPU microseconds per request for each, and the ratio.

Usage: Benchmarks/generator.py [--rounds 3] [--duration 10] [--connections 64] [--before OLD_MAILSTORM]
--before measures another mailstorm build in the same rounds (a refactor's "speed must hold": after over before).
The goal (issue 3) is a requests/sec ratio of at least 1.0. Both tools share 2 cores with nginx, so the
generator's CPU per request decides the reachable rate; that figure is the more stable of the two.
"""
import argparse, json, os, re, statistics, tempfile, shutil
from common import Nginx, ensure_packages, release_binary, run_timed, child_cpu

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--duration", type=int, default=10)
ap.add_argument("--connections", type=int, default=64)
ap.add_argument("--before", default=None, help="an earlier mailstorm binary, measured alternately with this one")
a = ap.parse_args()

ensure_packages("wrk")
mailstorm = release_binary("mailstorm")
results = {"wrk": [], "mailstorm": []}
builds = [("mailstorm", mailstorm)] + ([("before", a.before)] if a.before else [])
if a.before:
    results["before"] = []
with Nginx() as target:
    for r in range(a.rounds):
        # wrk -t1: one generator thread, like mailstorm's default single event loop.
        c0 = child_cpu()
        out, _ = run_timed(["wrk", "-t1", f"-c{a.connections}", f"-d{a.duration}s", target.url])
        cpu = child_cpu() - c0
        total = int(re.search(r"(\d+) requests in", out).group(1))
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        results["wrk"].append((rps, cpu / total * 1e6))

        for name, exe in builds:
            d = tempfile.mkdtemp(prefix="ms-gen-")
            c0 = child_cpu()
            run_timed([exe, "http", target.url, "--connections", str(a.connections), "--duration", f"{a.duration}s", "--quiet", "--out", d])
            cpu = child_cpu() - c0
            s = json.load(open(os.path.join(d, os.listdir(d)[0], "summary.json")))
            shutil.rmtree(d)
            results[name].append((s["throughput_rps"], cpu / s["requests"]["total"] * 1e6))
        print(f"round {r + 1}: " + " | ".join(f"{k} {v[-1][0]:9.0f} req/s {v[-1][1]:5.2f} us/req" for k, v in results.items()), flush=True)

med = {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for k, v in results.items()}
print(f"median wrk       {med['wrk'][0]:9.0f} req/s  {med['wrk'][1]:5.2f} us CPU/request")
print(f"median mailstorm {med['mailstorm'][0]:9.0f} req/s  {med['mailstorm'][1]:5.2f} us CPU/request")
print(f"ratio mailstorm/wrk: throughput {med['mailstorm'][0] / med['wrk'][0]:.2f}, CPU per request {med['mailstorm'][1] / med['wrk'][1]:.2f}")
if a.before:
    print(f"median before    {med['before'][0]:9.0f} req/s  {med['before'][1]:5.2f} us CPU/request")
    print(f"ratio before/wrk: throughput {med['before'][0] / med['wrk'][0]:.2f}, CPU per request {med['before'][1] / med['wrk'][1]:.2f}")
    print(f"ratio this/before: throughput {med['mailstorm'][0] / med['before'][0]:.3f}, CPU per request {med['mailstorm'][1] / med['before'][1]:.3f}")
