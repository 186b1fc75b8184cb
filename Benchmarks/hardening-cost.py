#!/usr/bin/env python3
"""Benchmarks/hardening-cost: what campaignd's hardening (issue 13) costs, before against after, in one run.

Two campaignd binaries on the same fresh embedded stacks, in rounds ordered A B B A (so drift over the run
falls on both alike):
1. the seed-000 journey (login, list, stats, create) flat out: a closed model of --vus users, no think time,
   driven by `mailstorm run --file`; its throughput in iterations/s;
2. a cache-hit GET (GET /api/campaigns/{id}, from campaignd's L1 cache), flat out by wrk, the named peer.

Prints each round, then per workload the median of each side and the ratio after/before with its spread over
rounds. The issue's goal: hardening costs no more than 5% of either.

Rates on fresh stacks wander 10-20% between rounds here, so take enough rounds for the spread to settle.
(callgrind would count instructions repeatably, but valgrind 3.19 crashes on campaignd, a Swift binary with
jemalloc, even on --help.)

Usage: Benchmarks/hardening-cost.py --before /path/to/old/campaignd [--after build] [--rounds 3] [--duration 10]
"""
import argparse, glob, json, os, re, statistics, subprocess, tempfile
from common import Stack, api, release_binary

ap = argparse.ArgumentParser()
ap.add_argument("--before", required=True, help="campaignd binary before the change (build it from an older commit)")
ap.add_argument("--after", help="campaignd binary after (default: this tree's release build)")
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--duration", type=int, default=10)
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
""" % (a.vus, a.duration)


def journey(url):
    d = tempfile.mkdtemp(prefix="ms-harden-")
    f = os.path.join(d, "journey.yaml")
    open(f, "w").write(JOURNEY)
    subprocess.run([mailstorm, "run", "--file", f, "--target", url, "--no-baseline", "--quiet", "--out", d], capture_output=True)
    s = json.load(open(glob.glob(os.path.join(d, "*", "summary.json"))[0]))
    if s["requests"]["errors"]:
        raise RuntimeError(f"journey errors: {s['errors_by_class']}")
    return s["requests"]["total"] / 4 / s["duration_s"]


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url, token, pid):
    """Requests/s, and campaignd's own CPU microseconds per request (steadier than the rate on a noisy machine)."""
    c0 = cpu_seconds(pid)
    out = subprocess.run(["wrk", "-t1", f"-c{a.connections}", f"-d{a.duration}s", "-H", f"Authorization: Bearer {token}", url],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError("wrk saw non-2xx answers:\n" + out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, (cpu_seconds(pid) - c0) / total * 1e6


results = {side: {"journey": [], "get": [], "get_cpu": []} for side in ("before", "after")}
for r in range(a.rounds):
    for side in (["before", "after"] if r % 2 == 0 else ["after", "before"]):
        with Stack(campaignd=a.before if side == "before" else after) as st:
            st.seed(1000)
            j = journey(st.url)
            token = st.login()
            cid = api(st.url, "POST", "/api/campaigns", json.dumps({"name": "bench", "subject": "s"}).encode(), token)["id"]
            g, us = wrk(f"{st.url}/api/campaigns/{cid}", token, st.pid_of("campaignd"))
        results[side]["journey"].append(j)
        results[side]["get"].append(g)
        results[side]["get_cpu"].append(us)
        print(f"round {r + 1} {side:6s}  journey {j:8.1f} iterations/s   cache-hit GET (wrk) {g:9,.0f} req/s, campaignd {us:6.1f} CPU µs each",
              flush=True)

print()
for k, label in (("journey", "seed-000 journey, iterations/s"), ("get", "cache-hit GET by wrk, req/s"),
                 ("get_cpu", "cache-hit GET, campaignd CPU µs per request (lower is better)")):
    b, f = results["before"][k], results["after"][k]
    ratios = [x / y for x, y in zip(f, b)]
    print(f"{label}: before median {statistics.median(b):,.1f}, after median {statistics.median(f):,.1f}; "
          f"after/before {statistics.median(f) / statistics.median(b):.3f} (per round {min(ratios):.3f}..{max(ratios):.3f})")
