#!/usr/bin/env python3
"""Benchmarks/regression-detection: false-alarm and detection rates of `mailstorm compare` on the real stack.

Each round: a baseline run, an A run of the same build (A/A), and a B run slowed by campaignd's latency knob
(`--inject-delay "*=D"`, D = --slowdown x the baseline's overall p50). A/A must compare "unchanged" (exit 0);
B should compare "regressed" (exit 1). Prints each round and the rates.

Usage: Benchmarks/regression-detection.py [--rounds 5] [--slowdown 0.10] [--duration 20s]
"""
import argparse, json, os, subprocess, tempfile, shutil
from common import release_binary

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--slowdown", type=float, default=0.10)
ap.add_argument("--duration", default="20s")
a = ap.parse_args()

mailstorm = release_binary("mailstorm")
release_binary("campaignd")
work = tempfile.mkdtemp(prefix="ms-regress-")


def run(extra=()):
    out = os.path.join(work, "runs")
    before = set(os.listdir(out)) if os.path.isdir(out) else set()
    subprocess.run([mailstorm, "run", "basic", "--set", f"duration={a.duration}", "--out", out, "--quiet", "--no-baseline", *extra],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (new,) = set(os.listdir(out)) - before
    return os.path.join(out, new)


def summary(path):
    return json.load(open(os.path.join(path, "summary.json")))


def compare(path, baseline):
    r = subprocess.run([mailstorm, "compare", path, "--baseline", baseline], capture_output=True, text=True)
    return r.returncode, [l for l in r.stdout.splitlines() if "REGRESSED" in l or "improved" in l]


aa_false, ab_caught = 0, 0
for i in range(a.rounds):
    base = run()
    bdir = os.path.join(work, f"b{i}")
    subprocess.run([mailstorm, "baseline", "save", base, "--dir", bdir], check=True, stdout=subprocess.DEVNULL)
    bfile = os.path.join(bdir, "basic-smoke.json")
    p50 = summary(base)["latency_ms"]["p50"]
    code_a, rows_a = compare(run(), bfile)
    delay = round(p50 * a.slowdown, 3)
    b = run([f"--campaignd-arg=--inject-delay=*={delay}"])
    code_b, rows_b = compare(b, bfile)
    change = (summary(b)["latency_ms"]["p50"] - p50) / p50 * 100
    aa_false += code_a == 1
    ab_caught += code_b == 1
    print(f"round {i + 1}: baseline p50 {p50:.3f} ms | A/A exit {code_a} ({len(rows_a)} flagged rows) | "
          f"B (+{delay} ms/request, measured p50 {change:+.1f}%) exit {code_b} ({len(rows_b)} flagged rows)", flush=True)

print(f"A/A false alarms (exit 1): {aa_false}/{a.rounds}")
print(f"A/B detected (exit 1):     {ab_caught}/{a.rounds}")
shutil.rmtree(work)
