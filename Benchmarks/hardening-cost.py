#!/usr/bin/env python3
"""Benchmarks/hardening-cost: what campaignd's hardening (issue 13) costs, before against after, in one run.

Two campaignd binaries, each on its own fresh embedded stack, both stacks up at once. A *pair* of stacks is the
unit of replication (--pairs). Within a pair the two sides are driven in short alternating bursts (--cycles,
order A B, B A, ...), so the machine's drift, which moved whole rounds 10-20% apart here, falls on both sides
alike; each pair gives the median of its per-cycle ratios. Workloads:
1. the seed-000 journey (login, list, stats, create) flat out: a closed model of --vus users, no think time,
   driven by `mailstorm run --file`; its throughput in iterations/s;
2. a cache-hit GET (GET /api/campaigns/{id}, from campaignd's L1 cache), flat out by wrk, the named peer; its
   rate, and campaignd's own CPU microseconds per request (read from /proc: steadier than the rate).

Prints each pair's ratios after/before, then their geometric mean with a 90% t-interval over pairs (scipy).
The issue's goal: hardening costs no more than 5% of either. `--after BEFORE` gives an A/A: how far apart two
identical sides come out, the measurement's own noise.
(callgrind would count instructions repeatably, but valgrind 3.19 crashes on campaignd, a Swift binary with
jemalloc, even on --help.)

Usage: Benchmarks/hardening-cost.py --before /path/to/old/campaignd [--after build] [--pairs 3] [--cycles 8] [--burst 3]
"""
import argparse, glob, json, os, statistics, subprocess, tempfile
from common import Stack, api, proc_cpu, ratio_interval, release_binary, wrk

ap = argparse.ArgumentParser()
ap.add_argument("--before", required=True, help="campaignd binary before the change (build it from an older commit)")
ap.add_argument("--after", help="campaignd binary after (default: this tree's release build)")
ap.add_argument("--pairs", type=int, default=3)
ap.add_argument("--cycles", type=int, default=8)
ap.add_argument("--burst", type=int, default=3, help="seconds per burst")
ap.add_argument("--vus", type=int, default=16)
ap.add_argument("--connections", type=int, default=32)
a = ap.parse_args()
mailstorm = release_binary("mailstorm")
after = a.after or release_binary("campaignd")

JOURNEY = """name: hardening-journey
timeout: 10s
workload: {model: closed, vus: %d, duration: %ds}
journeys:
  - name: seed000
    steps:
      - {name: login, method: POST, path: /api/login, body: '{"email": "{{email}}", "password": "{{password}}"}', extract: {token: token}, expect: 200}
      - {name: list, path: /api/campaigns, headers: {Authorization: "Bearer {{token}}"}, expect: 200}
      - {name: stats, path: /api/stats, headers: {Authorization: "Bearer {{token}}"}, expect: 200}
      - {name: create, method: POST, path: /api/campaigns, headers: {Authorization: "Bearer {{token}}"}, body: '{"name": "h {{iteration}}", "subject": "s"}', expect: 201}
""" % (a.vus, a.burst)


def journey(url):
    d = tempfile.mkdtemp(prefix="ms-harden-")
    f = os.path.join(d, "journey.yaml")
    open(f, "w").write(JOURNEY)
    subprocess.run([mailstorm, "run", "--file", f, "--target", url, "--no-baseline", "--quiet", "--out", d], capture_output=True)
    s = json.load(open(glob.glob(os.path.join(d, "*", "summary.json"))[0]))
    if s["requests"]["errors"]:
        raise RuntimeError(f"journey errors: {s['errors_by_class']}")
    return s["requests"]["total"] / 4 / s["duration_s"]


def wrk_cpu(url, token, pid):
    """Requests/s, and campaignd's own CPU microseconds per request (steadier than the rate on a noisy machine)."""
    c0 = proc_cpu(pid)
    w = wrk(url, [f"Authorization: Bearer {token}"], connections=a.connections, seconds=a.burst)
    if w["non2xx"]:
        raise RuntimeError("wrk saw non-2xx answers:\n" + w["output"])
    return w["rps"], (proc_cpu(pid) - c0) / w["requests"] * 1e6


def prepare(st):
    st.seed(1000)
    token = st.login()
    cid = api(st.url, "POST", "/api/campaigns", json.dumps({"name": "bench", "subject": "s"}).encode(), token)["id"]
    return f"{st.url}/api/campaigns/{cid}", token, st.pid_of("campaignd")


KINDS = (("journey", "seed-000 journey, iterations/s"), ("get", "cache-hit GET by wrk, req/s"),
         ("get_cpu", "cache-hit GET, campaignd CPU µs per request (lower is better)"))
pairs = {k: [] for k, _ in KINDS}
for p in range(a.pairs):
    with Stack(campaignd=a.before) as sb, Stack(campaignd=after) as sa:
        sides = {"before": (sb, *prepare(sb)), "after": (sa, *prepare(sa))}
        for st, url, token, pid in sides.values():  # warm both: first requests pay for connections and caches
            journey(st.url)
            wrk_cpu(url, token, pid)
        cycle = {k: [] for k, _ in KINDS}
        for c in range(a.cycles):
            got = {}
            for side in (["before", "after"] if c % 2 == 0 else ["after", "before"]):
                st, url, token, pid = sides[side]
                j = journey(st.url)
                g, us = wrk_cpu(url, token, pid)
                got[side] = {"journey": j, "get": g, "get_cpu": us}
            for k, _ in KINDS:
                cycle[k].append(got["after"][k] / got["before"][k])
        for k, _ in KINDS:
            pairs[k].append(statistics.median(cycle[k]))
        print(f"pair {p + 1}: after/before, median of {a.cycles} cycles: " +
              ", ".join(f"{k} {pairs[k][-1]:.3f} (cycles {min(cycle[k]):.3f}..{max(cycle[k]):.3f})" for k, _ in KINDS), flush=True)

print()
for k, label in KINDS:
    g, lo, hi = ratio_interval(pairs[k])
    line = f"{label}: after/before {g:.3f} over {len(pairs[k])} pairs"
    if len(pairs[k]) >= 2:
        line += f", 90% CI {lo:.3f}..{hi:.3f}"
    print(line)
