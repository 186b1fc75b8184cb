#!/usr/bin/env python3
"""Benchmarks/regression-detection: false-alarm and detection rates of `mailstorm compare` on the real stack.

Each round: a baseline run, an A run of the same build (A/A), and a B run slowed by campaignd's latency knob
(`--inject-delay "*=D"`, D = --slowdown x the baseline's overall p50). A/A must compare "unchanged" (exit 0);
B should compare "regressed" (exit 1). Prints each round and the rates.

With --ab, each round instead runs `mailstorm ab` twice with interleaved trials: A against itself (A/A), then
A against the slowed build (A/B): the noise-robust way (docs/regression-detection.md).

Usage: Benchmarks/regression-detection.py [--rounds 5] [--slowdown 0.10] [--duration 20s] [--ab --trials 3]
"""
import argparse, json, os, subprocess, tempfile, shutil
from common import release_binary

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--slowdown", type=float, default=0.10)
ap.add_argument("--duration", default="20s")
ap.add_argument("--ab", action="store_true")
ap.add_argument("--trials", type=int, default=3)
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
campaignd = os.path.join(os.path.dirname(mailstorm), "campaignd")


def ab(extra=()):
    r = subprocess.run([mailstorm, "ab", "--a", campaignd, "--b", campaignd, "--trials", str(a.trials), "--set", f"duration={a.duration}",
                        "--out", os.path.join(work, "ab"), *extra], capture_output=True, text=True)
    p50 = [l for l in r.stdout.splitlines() if l.strip().startswith("overall") and " p50 " in l]
    return r.returncode, [l for l in r.stdout.splitlines() if "REGRESSED" in l or "improved" in l], (p50[0].split()[4] if p50 else "?")


for i in range(a.rounds if a.ab else 0):
    code_a, rows_a, ch_a = ab()
    base = summary(run())
    delay = round(base["latency_ms"]["p50"] * a.slowdown, 3)
    code_b, rows_b, ch_b = ab([f"--b-arg=--inject-delay=*={delay}"])
    aa_false += code_a == 1
    ab_caught += code_b == 1
    print(f"round {i + 1}: ab A/A exit {code_a} (p50 {ch_a}, {len(rows_a)} flagged) | ab A/B +{delay} ms/request exit {code_b} "
          f"(p50 {ch_b}, {len(rows_b)} flagged)", flush=True)

for i in range(0 if a.ab else a.rounds):
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
