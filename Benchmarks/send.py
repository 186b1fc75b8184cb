#!/usr/bin/env python3
"""Benchmarks/send: a campaign of 1M recipients, end to end, over SMTP and over the HTTP provider API.

For each transport: `mailstorm run send` on a fresh embedded stack (release build) reports emails per second,
delivery time (enqueue to acceptance at the sink), the sink's counts and campaignd's CPU seconds per 1,000
emails. Targets (issue #5): SMTP <= 180 s, HTTP <= 60 s for 1M.

Peers, in the same run: for HTTP, wrk posting the same 500-recipient batches straight to a sink (the sink's own
ceiling, so campaignd's share can be told apart); for SMTP, postfix's smtp-source sending to a sink (one command
at a time: it cannot pipeline, and campaignd does).

A trial is one send and one peer run, in turn (the order swapped each trial): the machine drifts, so a ratio is
taken within a trial. The answer per transport is the trials' ratio (geometric mean) with its 90% interval against
the issue's goal (#15: HTTP >= 0.6 of wrk, SMTP >= 0.95 of smtp-source): above it, below it, or unclear, with more
trials while unclear, up to --max-trials.

Usage: Benchmarks/send.py [--recipients 1000000] [--transport smtp http] [--trials 3] [--max-trials 6]
"""
import argparse, glob, json, os, re, shutil, subprocess, tempfile, time
from common import ensure_packages, free_port, ratio_interval, release_binary, side, wait_listening

ap = argparse.ArgumentParser()
ap.add_argument("--recipients", type=int, default=1_000_000)
ap.add_argument("--transport", nargs="+", default=["smtp", "http"])
ap.add_argument("--peers-only", action="store_true", help="measure only the peers against a bare sink")
ap.add_argument("--trials", type=int, default=3, help="trials per transport (each a send and a peer run)")
ap.add_argument("--max-trials", type=int, default=6, help="trials at most while the answer is unclear")
a = ap.parse_args()
GOALS = {"http": 0.6, "smtp": 0.95}
mailstorm = release_binary("mailstorm")
release_binary("campaignd")


def sink():
    """A standalone `mailstorm sink` on free ports; returns (process, smtp port, http port)."""
    smtp, http = free_port(), free_port()
    p = subprocess.Popen([mailstorm, "sink", "--smtp-port", str(smtp), "--http-port", str(http)], stdout=subprocess.DEVNULL)
    wait_listening(http)
    return p, smtp, http


def peer_http():
    """wrk POSTing a 500-personalization batch (as campaignd renders it) to a sink for 10 s: emails/s."""
    p, _, http = sink()
    try:
        body = {"from": {"email": "campaigns@campaignd.mailstorm"}, "personalizations": [
            {"to": [{"email": f"r{i}@example.org"}], "subject": "Spring launch", "headers": {"Message-ID": f"<9.{i}@campaignd.mailstorm>"},
             "custom_args": {"enqueued_ms": str(int(time.time() * 1000))}, "substitutions": {"open_url": f"http://127.0.0.1:1/t/o/9-{i}"},
             "content": [{"type": "text/html", "value": "<html><body><p>Hello Ann Lee,</p><p>Acme is invited.</p></body></html>"}]}
            for i in range(500)]}
        d = tempfile.mkdtemp()
        with open(os.path.join(d, "post.lua"), "w") as f:
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[' + json.dumps(body) + ']]\n')
        out = subprocess.run(["wrk", "-t1", "-c4", "-d10s", "-s", os.path.join(d, "post.lua"), f"http://127.0.0.1:{http}/v3/mail/send"],
                             capture_output=True, text=True, check=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        return rps * 500
    finally:
        p.terminate()
        p.wait()


def peer_smtp(n=100_000):
    """postfix's smtp-source: n messages over 8 sessions to a sink; emails/s. smtp-source sends one command at a time
    (its man page: "No SMTP command pipelining support"), campaignd pipelines, so the sink does less per message
    for campaignd than for its peer."""
    ensure_packages("postfix")
    p, smtp, _ = sink()
    try:
        t0 = time.time()
        subprocess.run(["/usr/sbin/smtp-source", "-s", "8", "-m", str(n), "-l", "600", "-f", "a@b.c", "-t", "r@example.org",
                        f"127.0.0.1:{smtp}"], check=True, capture_output=True)
        return n / (time.time() - t0)
    finally:
        p.terminate()
        p.wait()


if a.peers_only:
    print(f"wrk POSTing 500-recipient batches to a bare sink: {peer_http():,.0f} emails/s")
    print(f"postfix smtp-source, 8 sessions, to a bare sink: {peer_smtp():,.0f} emails/s")
    raise SystemExit(0)



def send(t):
    """One `mailstorm run send` on a fresh stack; prints its figures and returns emails/s."""
    out = tempfile.mkdtemp(prefix=f"ms-send-{t}-")
    t0 = time.time()
    r = subprocess.run([mailstorm, "run", "send", "--transport", t, "--set", f"recipients={a.recipients}", "--set", "timeout=1200",
                        "--no-baseline", "--quiet", "--out", out], capture_output=True, text=True)
    wall = time.time() - t0
    found = glob.glob(os.path.join(out, "*", "summary.json"))
    if not found:
        raise SystemExit(f"{t}: mailstorm run send exited {r.returncode} without a summary:\n{r.stdout[-1500:]}{r.stderr[-1500:]}")
    s = json.load(open(found[0]))
    e = s["results"]["email"]["data"]
    print(f"   send: {e['recipients']:,} recipients in {e['duration_s']:.1f} s ({e['emails_per_s']:,.0f} emails/s); whole run incl. stack "
          f"and seeding {wall:.0f} s; verdict {s['verdict']['outcome']}")
    print(f"      delivery ms p50 {e['delivery_ms']['p50']:,.0f}  p95 {e['delivery_ms']['p95']:,.0f}  p99 {e['delivery_ms']['p99']:,.0f}")
    print(f"      sink {e['sink']}  states {e['states']}  campaignd CPU {e.get('campaignd_cpu_s_per1000') or float('nan'):.3f} s per 1,000 emails")
    for p in e["problems"]:
        print(f"      problem: {p}")
    shutil.rmtree(out, ignore_errors=True)
    return e["emails_per_s"]


def answer(ratios, goal):
    return {"below": "below the goal", "above": "above the goal"}.get(side(ratios, goal), "unclear")


for t in a.transport:
    peer_name = "wrk POSTing the same batches" if t == "http" else "postfix smtp-source"
    print(f"\n{t}: {a.trials} to {a.max_trials} trials, each a send and a peer run ({peer_name} to a bare sink) in turn", flush=True)
    ratios = []
    while len(ratios) < a.trials or (len(ratios) < a.max_trials and answer(ratios, GOALS[t]) == "unclear"):
        runs = [lambda: send(t), lambda: peer_http() if t == "http" else peer_smtp()]
        got = {}
        for i in ([0, 1] if len(ratios) % 2 == 0 else [1, 0]):
            got[i] = runs[i]()
        print(f"   peer: {got[1]:,.0f} emails/s; trial {len(ratios) + 1}: campaignd end to end reaches {got[0] / got[1]:.2f} of it", flush=True)
        ratios.append(got[0] / got[1])
    g, lo, hi = ratio_interval(ratios)
    print(f"{t}: campaignd/peer {g:.2f} (90% interval {lo:.2f}-{hi:.2f}; trials {' '.join(f'{r:.2f}' for r in ratios)}): "
          f"{answer(ratios, GOALS[t])} ({GOALS[t]})", flush=True)
