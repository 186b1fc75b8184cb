#!/usr/bin/env python3
"""Benchmarks/handler-executor: campaignd's CPU per request with its handlers on the event loop that read the
request (`--handlers-on event-loop`, the default) against Swift's cooperative pool (`--handlers-on cooperative`).

A pair of stacks, one of each, started in turn (the order swapped each pair), is the unit of replication
(--pairs). On each stack, for GET /health/live (the framework alone), GET /api/campaigns (a PostgreSQL read) and
GET /api/stats (an L1 cache hit): `mailstorm http --rate R` for --seconds, and campaignd's user+system CPU from
/proc over the requests. The peer is nginx (one worker, a static file) at the same rate, its CPU per request
measured the same way in the same run: the cost of an HTTP request to a C server on this machine.

Prints each pair's figures, then per route the ratio event-loop / cooperative as a geometric mean with its 90%
interval over pairs (scipy), and both against nginx. The hand-offs this saves are wake-ups, which cost most at
moderate rates (flat out, work batches and fewer threads sleep), hence a fixed rate.

Usage: Benchmarks/handler-executor.py [--pairs 3] [--rate 2000] [--seconds 6]
"""
import argparse
from common import Nginx, Stack, proc_cpu, ratio_interval, release_binary, side, summary_of, tree_cpu

ap = argparse.ArgumentParser()
ap.add_argument("--pairs", type=int, default=3)
ap.add_argument("--rate", type=int, default=2000)
ap.add_argument("--seconds", type=int, default=6)
a = ap.parse_args()
release_binary("mailstorm")  # built before anything is timed
ROUTES = [("GET /health/live", "/health/live", False), ("GET /api/campaigns", "/api/campaigns", True), ("GET /api/stats", "/api/stats", True)]
SIDES = ["cooperative", "event-loop"]


def load(url, headers=()):
    """`mailstorm http` at the rate: the requests it sent."""
    args = ["http", url, "--rate", str(a.rate), "--duration", f"{a.seconds}s", *sum((["--header", h] for h in headers), [])]
    return summary_of(args, check=True)["requests"]["total"]


def cpu_per_request(cpu, url, headers=()):
    c0 = cpu()
    n = load(url, headers)
    return (cpu() - c0) / n * 1e6


def measure(handlers):
    with Stack(campaignd_args=[f"--handlers-on={handlers}"]) as st:
        st.seed(2000, extra=["--campaigns-per-tenant", "20"])
        auth = [f"Authorization: Bearer {st.login()}"]
        pid = st.pid_of("campaignd")
        return {name: cpu_per_request(lambda: tree_cpu(pid), st.url + path, auth if needs_auth else ()) for name, path, needs_auth in ROUTES}


with Nginx() as n:
    nginx = cpu_per_request(lambda: sum(proc_cpu(p) for p in n.pids), n.url)
print(f"nginx at {a.rate:,} req/s: {nginx:.1f} µs of CPU per request\n")
got = {s: [] for s in SIDES}
for i in range(a.pairs):
    for s in (SIDES if i % 2 == 0 else SIDES[::-1]):
        got[s].append(measure(s))
        print(f"pair {i + 1} {s:12s} campaignd µs per request at {a.rate:,} req/s: "
              + ", ".join(f"{name} {got[s][-1][name]:.0f}" for name, _, _ in ROUTES), flush=True)
print()
for name, _, _ in ROUTES:
    ratios = [e[name] / c[name] for c, e in zip(got["cooperative"], got["event-loop"])]
    g, lo, hi = ratio_interval(ratios)
    coop, loop = (sorted(x[name] for x in got[s])[len(got[s]) // 2] for s in SIDES)
    print(f"{name:20s} event-loop / cooperative {g:.2f} (90% interval {lo:.2f}-{hi:.2f}, {side(ratios, 1.0)} 1.0);"
          f" median {coop:.0f} against {loop:.0f} µs = {coop / nginx:.1f}x and {loop / nginx:.1f}x nginx's")
