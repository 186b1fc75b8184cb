#!/usr/bin/env python3
"""Benchmarks/regression-detection: false alarms, detections and cost of Mailstorm's verdicts on the real stack.

Two paths, each judged by its exit code (0 unchanged, 1 regressed, 5 inconclusive):
- ab: `mailstorm ab` of a build against itself (A/A, must exit 0), then against the same build slowed by
  campaignd's `--inject-delay "*=D"`, D = --slowdown x the A/A run's overall p95 (must exit 1).
- stored: `mailstorm calibrate` records a baseline; once it is --baseline-age minutes old, each round runs
  `mailstorm run` against it, unchanged (must exit 0) and slowed (must exit 1), with the trials calibrate
  recommends and the adaptive cap.
The peer is scipy: for every comparison, scipy.stats.ttest_ind (pooled, on log values) is run on the same trials
that comparison.json judged, and the largest difference of p-values is printed (cross-check of the test itself).

Usage: Benchmarks/regression-detection.py [--rounds 10] [--paths ab,stored] [--slowdown 0.10] [--baseline-age 60]
       [--bin FROZEN_DIR] [--baseline FILE]
"""
import argparse, glob, json, math, os, subprocess, sys, tempfile, time, shutil
from common import release_binary

ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=10)
ap.add_argument("--paths", default="ab,stored")
ap.add_argument("--slowdown", type=float, default=0.10)
ap.add_argument("--calibration-trials", type=int, default=5)
ap.add_argument("--baseline-age", type=float, default=60, help="minutes the stored baseline must be old before it is used")
ap.add_argument("--baseline", default=None, help="a calibrated basic-smoke baseline to use instead of recording one")
ap.add_argument("--work", default=None, help="keep run folders here (default: a temporary folder, removed)")
ap.add_argument("--bin", default=None, help="a folder holding frozen mailstorm and campaignd builds: the stored path's A/A must run the "
                "baseline's own code, even if the tree is rebuilt while the baseline ages")
a = ap.parse_args()
paths = a.paths.split(",")

if a.bin:
    mailstorm, campaignd = (os.path.join(a.bin, n) for n in ("mailstorm", "campaignd"))
else:
    mailstorm, campaignd = release_binary("mailstorm"), release_binary("campaignd")
work = a.work or tempfile.mkdtemp(prefix="ms-regress-")
os.makedirs(work, exist_ok=True)

try:
    import numpy as np
    from scipy import stats
except ImportError:
    stats = None


def newest(folder):
    runs = [p for p in glob.glob(os.path.join(folder, "*")) if os.path.isdir(p)]
    return max(runs, key=os.path.getmtime)


def quiet(trials):
    """The trials a comparison judges: other work plus steal within 10% of the machine, steal alone within 1%."""
    def ok(h):
        return h.get("other", 0) + h.get("steal", 0) <= 0.10 and h.get("steal", 0) <= 0.01
    return [t for t in trials if ok(t.get("host_load") or {})]


def set_aside(run_folder):
    return len(json.load(open(os.path.join(run_folder, "comparison.json"))).get("set_aside") or [])


def cross_check(run_folder, reference_trials):
    """Largest |p(mailstorm) - p(scipy)| over the rows, on the trials the comparison judged."""
    if stats is None:
        return float("nan")
    cmp = json.load(open(os.path.join(run_folder, "comparison.json")))
    current = quiet(json.load(open(os.path.join(run_folder, "summary.json")))["trials"])
    reference_trials = quiet(reference_trials)
    worst = 0.0
    for row in cmp["rows"]:
        if row["scope"] == "scenario":
            continue
        get = lambda ts: [t["scopes"][row["scope"]][row["metric"]] for t in ts if row["scope"] in t["scopes"]]
        x, y = get(reference_trials), get(current)
        if len(x) + len(y) < 3:
            continue
        f = (lambda v: math.log(max(v, 1e-9))) if row["change_unit"] == "%" else (lambda v: v)
        x, y = [f(v) for v in x], [f(v) for v in y]
        if np.std(x + y) == 0:
            continue
        p = stats.ttest_ind(y, x, equal_var=True).pvalue
        # mailstorm floors the spread at the histogram's resolution; skip rows where that floor decided.
        if row["noise"] <= 0.11 and row["change_unit"] == "%":
            continue
        worst = max(worst, abs(p - row["p_value"]))
    return worst


def run(cmd):
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    trials = [l for l in r.stderr.splitlines() + r.stdout.splitlines() if l.startswith("trials:")]
    return r.returncode, (time.time() - t0) / 60, (trials[-1] if trials else ""), r


results = {}


def tally(path, kind, code, minutes, want):
    results.setdefault((path, kind), []).append((code, minutes))


def ab_round(i):
    out = os.path.join(work, "ab")
    code, minutes, trials, r = run([mailstorm, "ab", "--a", campaignd, "--b", campaignd, "--trials", "3", "--out", out])
    tally("ab", "A/A", code, minutes, 0)
    root = newest(out)
    a_summary = json.load(open(os.path.join(sorted(glob.glob(root + "/*-a"))[0], "summary.json")))
    delay = round(a_summary["latency_ms"]["p95"] * a.slowdown, 3)
    ref = a_summary["trials"]
    dp_aa = cross_check(sorted(glob.glob(root + "/*-b"))[0], ref)
    aside_aa = set_aside(sorted(glob.glob(root + "/*-b"))[0])
    code_b, minutes_b, trials_b, rb = run([mailstorm, "ab", "--a", campaignd, "--b", campaignd, "--trials", "3", "--out", out,
                                           f"--b-arg=--inject-delay=*={delay}"])
    tally("ab", "A/B", code_b, minutes_b, 1)
    root_b = newest(out)
    ref_b = json.load(open(os.path.join(sorted(glob.glob(root_b + "/*-a"))[0], "summary.json")))["trials"]
    dp_ab = cross_check(sorted(glob.glob(root_b + "/*-b"))[0], ref_b)
    aside_ab = set_aside(sorted(glob.glob(root_b + "/*-b"))[0])
    print(f"ab round {i + 1}: A/A exit {code} in {minutes:.1f} min ({trials}) | A/B +{delay} ms/request (10% of p95 "
          f"{a_summary['latency_ms']['p95']:.2f} ms) exit {code_b} in {minutes_b:.1f} min ({trials_b}) | "
          f"trials set aside (busy machine) {aside_aa} / {aside_ab} | max |p - scipy p| {dp_aa:.2g} / {dp_ab:.2g}", flush=True)


def calibrate():
    bdir = os.path.join(work, "baselines")
    t0 = time.time()
    r = subprocess.run([mailstorm, "calibrate", "basic", "--trials", str(a.calibration_trials), "--dir", bdir, "--out", os.path.join(work, "calibration")],
                       capture_output=True, text=True)
    print(f"calibrate: exit {r.returncode} in {(time.time() - t0) / 60:.1f} min", flush=True)
    print("\n".join(l for l in r.stdout.splitlines() if "resolves" in l or "noise" in l or l.startswith(("scope", "overall", "-"))), flush=True)
    if r.returncode != 0:
        # No baseline was saved (on a busy machine calibrate refuses, exit 3): the stored path has nothing to run against.
        why = r.stderr.strip().splitlines() or ["no message"]
        print(f"calibrate saved no baseline, so the stored path is skipped: {why[-1]}", flush=True)
        return None, time.time()
    return os.path.join(bdir, "basic-smoke.json"), time.time()


def stored_round(i, baseline):
    b = json.load(open(baseline))
    p95 = math.exp(sum(math.log(t["scopes"]["overall"]["p95"]) for t in b["trials"]) / len(b["trials"]))
    delay = round(p95 * a.slowdown, 3)
    n = str(b["calibration"]["recommended_trials"])
    out = os.path.join(work, "stored")
    common = [mailstorm, "run", "basic", "--baseline", baseline, "--out", out, "--quiet", "--trials", "3"]
    code, minutes, trials, _ = run(common)
    dp_aa, aside_aa = cross_check(newest(out), b["trials"]), set_aside(newest(out))
    tally("stored", "A/A", code, minutes, 0)
    code_b, minutes_b, trials_b, _ = run(common + [f"--campaignd-arg=--inject-delay=*={delay}"])
    dp_ab, aside_ab = cross_check(newest(out), b["trials"]), set_aside(newest(out))
    tally("stored", "A/B", code_b, minutes_b, 1)
    print(f"stored round {i + 1}: A/A exit {code} in {minutes:.1f} min | A/B +{delay} ms/request exit {code_b} in {minutes_b:.1f} min | "
          f"trials set aside (busy machine) {aside_aa} / {aside_ab} | "
          f"calibrate recommends {n} trials | max |p - scipy p| {dp_aa:.2g} / {dp_ab:.2g}", flush=True)


baseline = None
if "stored" in paths:
    if a.baseline:
        baseline = a.baseline
        made = time.mktime(time.strptime(json.load(open(baseline))["created_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
        print(f"baseline: {baseline}, recorded {(time.time() - made) / 60:.0f} min ago", flush=True)
    else:
        baseline, made = calibrate()
if "ab" in paths:
    for i in range(a.rounds):
        ab_round(i)
if "stored" in paths and baseline:
    wait = made + a.baseline_age * 60 - time.time()
    if wait > 0:
        print(f"waiting {wait / 60:.0f} min until the baseline is {a.baseline_age:.0f} min old", flush=True)
        time.sleep(wait)
    for i in range(a.rounds):
        stored_round(i, baseline)

print("\npath    kind  want  exit codes                     minutes each (mean)")
for (path, kind), rows in results.items():
    want = 0 if kind == "A/A" else 1
    codes = [c for c, _ in rows]
    ok = sum(c == want for c in codes)
    print(f"{path:7} {kind:5} {want:4}  {ok}/{len(codes)} as wanted {codes}  {sum(m for _, m in rows) / len(rows):.1f}")
if not a.work:
    shutil.rmtree(work)
if "stored" in paths and not baseline:
    sys.exit(3)  # a path asked for did not run: not a measurement
