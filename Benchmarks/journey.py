#!/usr/bin/env python3
"""Benchmarks/journey: how fast is campaignd on this 2-core machine, with PostgreSQL, Redis and the generator on it?

1. The seed-000 journey mix (login, list, stats, create): the highest arrival rate whose p99 stays <= 100 ms
   with errors and drops under 1%, from `mailstorm run stress` (step search, then bisection). Seed 001's goal
   is 10,000 req/s.
2. The machine's ceiling for comparison: wrk against a cache-hit GET (GET /api/campaigns/{id}, served from
   the L1 cache after the first request) and against nginx serving a static file, same connections, one thread.

Usage: Benchmarks/journey.py [--step 5s] [--connections 64]
"""
import argparse, glob, json, os, subprocess, tempfile
from common import Nginx, Stack, api, release_binary, wrk

ap = argparse.ArgumentParser()
ap.add_argument("--step", default="5s")
ap.add_argument("--connections", type=int, default=64)
a = ap.parse_args()
mailstorm = release_binary("mailstorm")
release_binary("campaignd")


def wrk_p99(url, headers=()):
    w = wrk(url, headers, connections=a.connections)
    return w["rps"], w["p99_ms"]


out = tempfile.mkdtemp(prefix="ms-journey-")
subprocess.run([mailstorm, "run", "stress", "--set", f"step={a.step}", "--no-baseline", "--quiet", "--out", out], capture_output=True)
s = json.load(open(glob.glob(os.path.join(out, "*", "summary.json"))[0]))
st = s["results"]["stress"]["data"]
print("1. seed-000 journey mix, `mailstorm run stress` (4 requests per iteration):")
for step in st["steps"]:
    print(f"   {step['rate']:8.1f} it/s  {step['throughput']:8.1f} req/s  p99 {step['p99_ms']:7.2f} ms  errors {step['error_rate'] * 100:.2f}%"
          f"  dropped {step['dropped_rate'] * 100:.2f}%  {'meets SLO' if step['pass'] else 'BREAKS'}")
print(f"   knee {st['knee']} it/s = {st.get('knee_requests_per_second') or 0:,.0f} req/s at p99 <= 100 ms; breaking point {st['breaking']} it/s")
for name, r in sorted(s.get("resources", {}).items()):
    print(f"   {name:10s} CPU {r.get('cpu_percent_mean', float('nan')):6.1f}% of a core on average")

print("\n2. ceiling: wrk, 1 thread, %d connections, 10 s" % a.connections)
with Stack() as st_:
    st_.seed(0)
    token = st_.login()
    cid = api(st_.url, "POST", "/api/campaigns", json.dumps({"name": "bench", "subject": "s"}).encode(), token)["id"]
    rps, p99 = wrk_p99(f"{st_.url}/api/campaigns/{cid}", [f"Authorization: Bearer {token}"])
    print(f"   campaignd GET /api/campaigns/{{id}} (L1 cache hit): {rps:10,.0f} req/s  p99 {p99:.2f} ms")
with Nginx() as n:
    nrps, np99 = wrk_p99(n.url)
    print(f"   nginx static file (1 worker):                  {nrps:10,.0f} req/s  p99 {np99:.2f} ms")
print(f"   campaignd / nginx: {rps / nrps:.2f}")
