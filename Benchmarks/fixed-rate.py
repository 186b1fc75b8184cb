#!/usr/bin/env python3
"""Benchmarks/fixed-rate: the generator's CPU at a fixed arrival rate against nginx, beside its peers in the same run.

For each rate (default 1k, 2k, 10k and 50k req/s, 20 s each), the whole process's user+sys CPU over its requests:
  - mailstorm http --rate R (and its RSS early and late: memory must not grow with run length, k6 #763);
  - wrk2 -R R, when a wrk2 binary is given (--wrk2, $WRK2, or `wrk2` on PATH; build it from its public source
    outside this repository: `git clone https://github.com/giltene/wrk2 && make -C wrk2`);
  - Locust's FastHttpUser at the same rate (constant_throughput), up to --locust-max (it cannot offer more here);
  - and wrk flat out, the floor: what a request costs when no timer paces it.
Then the honesty check: nginx is stopped (SIGSTOP) for 1 s, 14 s into a 20 s run at 2k req/s. A tool that times
from the intended send shows the stall at its true size: requests due in it wait 0-1 s, so over W recorded seconds
p99 is near 1 - 0.01 x W s (0.8 s for mailstorm's 20 s). One that times from the send shows a p99 of a millisecond.
wrk2 resets its histograms after a 10 s calibration (CALIBRATE_DELAY_MS in its wrk.h): it records the last 10 s,
so the stall comes after that and its p99 should be near 0.9 s.

Every tool runs on nginx's CPU, the last (--placement same), or on CPU 0 beside it (apart), or where the scheduler
puts it (free). Placement alone moved a tool's cost 2-3 times here: at 10k req/s, wrk2 cost 33-53 us per request
beside nginx's CPU and 12-17 us on it, and mailstorm 33-50 and 19-20. Apart, each request wakes an idle CPU, and on
these VMs that wake-up costs more than the tool's own work (a one-byte TCP ping-pong: 7.5k round trips/s across
CPUs, 105-140k on one), so unpinned pairs measured where each run happened to land. On one CPU the cost is the
tool's own.

Each rate runs --trials pairs (mailstorm and wrk2 in turn): the same tool moves by up to half between runs here, so
one pair decides nothing. The answer per rate is one of three, from the 90% interval of the pairs' ratio (t on the
log ratios): under wrk2, above, or unclear; while unclear, more pairs are run, up to --max-trials.

Usage: Benchmarks/fixed-rate.py [--rates 1000,2000,10000,50000] [--duration 20] [--trials 3] [--max-trials 8] [--bin MAILSTORM]
       [--wrk2 PATH] [--send-window 1ms] [--placement apart|same|free] [--no-stall]
"""
import argparse, json, os, re, shutil, signal, statistics, subprocess, sys, tempfile, threading, time
from common import Nginx, ensure_packages, release_binary, run_timed, child_cpu, millis, ratio_interval, side

ap = argparse.ArgumentParser()
ap.add_argument("--rates", default="1000,2000,10000,50000")
ap.add_argument("--duration", type=int, default=20)
ap.add_argument("--trials", type=int, default=3, help="runs of each tool per rate, in turn: one run decides nothing here")
ap.add_argument("--max-trials", type=int, default=8, help="pairs per rate while the answer is unclear")
ap.add_argument("--bin", default=None, help="the mailstorm binary to measure (default: this tree's release build)")
ap.add_argument("--wrk2", default=os.environ.get("WRK2") or shutil.which("wrk2"), help="a wrk2 binary, built outside the repository")
ap.add_argument("--send-window", default=None, help="mailstorm's --send-window (default: its own)")
ap.add_argument("--locust-max", type=int, default=2000, help="highest rate offered with Locust")
ap.add_argument("--no-stall", action="store_true", help="skip the 1 s stall check")
ap.add_argument("--placement", choices=["same", "apart", "free"], default="same",
                help="tools on nginx's CPU (the last), on CPU 0 beside it, or unpinned")
a = ap.parse_args()

CPUS = sorted(os.sched_getaffinity(0))
SERVER_CPU = {CPUS[-1]}
TOOL_CPU = None if a.placement == "free" or len(CPUS) < 2 else ({CPUS[0]} if a.placement == "apart" else SERVER_CPU)


def on_tool_cpu():
    """preexec_fn for every tool run: the same CPU for each tool, so placement is not part of the comparison."""
    if TOOL_CPU:
        os.sched_setaffinity(0, TOOL_CPU)


def pin_server(target):
    """nginx's master and worker onto the server's CPU."""
    if TOOL_CPU:
        for p in target.pids:
            os.sched_setaffinity(p, SERVER_CPU)

ensure_packages("wrk")
mailstorm = a.bin or release_binary("mailstorm")
rates = [int(r) for r in a.rates.split(",")]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stall_during(target, at, seconds):
    """Stops nginx (master and worker) for `seconds`, `at` seconds from now, on a thread."""
    def run():
        time.sleep(at)
        for p in target.pids:
            os.kill(p, signal.SIGSTOP)
        time.sleep(seconds)
        for p in target.pids:
            os.kill(p, signal.SIGCONT)
    t = threading.Thread(target=run)
    t.start()
    return t


def run_mailstorm(target, rate, duration):
    d = tempfile.mkdtemp(prefix="ms-fixed-")
    cmd = [mailstorm, "http", target.url, "--rate", str(rate), "--duration", f"{duration}s", "--quiet", "--out", d]
    if a.send_window:
        cmd += ["--send-window", a.send_window]
    c0 = child_cpu()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, preexec_fn=on_tool_cpu)
    samples, t0 = [], time.time()
    while p.poll() is None:
        try:
            samples.append((time.time() - t0, rss_kib(p.pid)))
        except OSError:
            break
        time.sleep(1)
    p.communicate()
    cpu = child_cpu() - c0
    s = json.load(open(os.path.join(d, os.listdir(d)[0], "summary.json")))
    shutil.rmtree(d)
    run = [x for x in samples if 2 <= x[0] <= duration] or samples
    n = len(run)
    mx, my = sum(t for t, _ in run) / n, sum(r for _, r in run) / n
    slope = sum((t - mx) * (r - my) for t, r in run) / max(sum((t - mx) ** 2 for t, _ in run), 1e-9)
    total = s["requests"]["total"]
    return {"requests": total, "rps": s["throughput_rps"], "us": cpu / total * 1e6, "p50": s["latency_ms"]["p50"],
            "p99": s["latency_ms"]["p99"], "max": s["latency_ms"]["max"], "errors": s["requests"]["errors"],
            "rss": (run[0][1] / 1024, run[-1][1] / 1024, slope)}


def run_wrk2(target, rate, duration):
    conns = max(16, min(256, rate // 200))  # each connection paces rate/c; enough that none falls behind
    c0 = child_cpu()
    out, _ = run_timed([a.wrk2, "-t1", f"-c{conns}", f"-d{duration}s", f"-R{rate}", "--latency", target.url], preexec_fn=on_tool_cpu)
    cpu = child_cpu() - c0
    total = int(re.search(r"(\d+) requests in", out).group(1))
    pct = lambda q: millis(re.search(rf"\s{q}\s+(\S+)", out).group(1))
    return {"requests": total, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "us": cpu / total * 1e6,
            "p50": pct(r"50\.000%"), "p99": pct(r"99\.000%"), "max": pct(r"100\.000%")}


LOCUSTFILE = """
from locust import FastHttpUser, constant_throughput, task
import os
class U(FastHttpUser):
    wait_time = constant_throughput(float(os.environ["PER_USER"]))
    @task
    def get(self):
        self.client.get(os.environ["PATH_ONLY"])
"""


def run_locust(target, rate, duration):
    if subprocess.run([sys.executable, "-c", "import locust"], capture_output=True).returncode != 0:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "locust"], check=True)
    users = max(10, rate // 20)
    d = tempfile.mkdtemp(prefix="ms-locust-")
    f = os.path.join(d, "locustfile.py")
    open(f, "w").write(LOCUSTFILE)
    host, path = re.match(r"(http://[^/]+)(/.*)", target.url).groups()
    env = dict(os.environ, PER_USER=str(rate / users), PATH_ONLY=path)
    c0 = child_cpu()
    run_timed([sys.executable, "-m", "locust", "-f", f, "--headless", "-u", str(users), "-r", str(users), "-t", f"{duration}s",
               "--host", host, "--only-summary", "--csv", os.path.join(d, "r")], env=env, preexec_fn=on_tool_cpu)
    cpu = child_cpu() - c0
    rows = open(os.path.join(d, "r_stats.csv")).read().splitlines()
    agg = dict(zip(rows[0].split(","), rows[-1].split(",")))
    shutil.rmtree(d)
    total = int(agg["Request Count"])
    return {"requests": total, "rps": total / duration, "us": cpu / total * 1e6}


def verdict(ratios):
    """mailstorm's CPU per request against wrk2's: under it, above it, or unclear."""
    return {"below": "under wrk2", "above": "above wrk2"}.get(side(ratios, 1.0), "unclear")


def spread(xs):
    return f"{statistics.median(xs):6.1f} ({min(xs):.1f}-{max(xs):.1f})"


with Nginx() as target:
    pin_server(target)
    print(f"placement {a.placement}: " + (f"tools on CPU {min(TOOL_CPU)}, nginx on CPU {min(SERVER_CPU)}" if TOOL_CPU else "unpinned"), flush=True)
    c0 = child_cpu()
    out, _ = run_timed(["wrk", "-t1", "-c64", "-d10s", target.url], preexec_fn=on_tool_cpu)
    wrk_us = (child_cpu() - c0) / int(re.search(r"(\d+) requests in", out).group(1)) * 1e6
    print(f"wrk flat out (-t1 -c64, 10 s): {wrk_us:.2f} us CPU per request", flush=True)
    if not a.wrk2:
        print("wrk2: no binary (--wrk2 PATH or $WRK2); its column is left out", flush=True)
    print(f"{a.trials} to {a.max_trials} pairs per rate, mailstorm and wrk2 in turn (the order swapped each pair); "
          "us/req as median (min-max); the ratio is the geometric mean of the pairs' ratios", flush=True)
    for rate in rates:
        ms, w2, ratios = [], [], []
        trial = 0
        # Unclear after --trials pairs: more pairs, up to --max-trials (Otava's and Pinpoint's answer to doubt).
        while trial < a.trials or (a.wrk2 and trial < a.max_trials and verdict(ratios) == "unclear"):
            pair = [lambda: ms.append(run_mailstorm(target, rate, a.duration))]
            if a.wrk2:
                pair.append(lambda: w2.append(run_wrk2(target, rate, a.duration)))
            for run in (pair if trial % 2 == 0 else pair[::-1]):
                run()
            if a.wrk2:
                ratios.append(ms[-1]["us"] / w2[-1]["us"])
            trial += 1
        loc = run_locust(target, rate, a.duration) if rate <= a.locust_max else None
        m = ms[-1]
        line = (f"{rate:>6} req/s  mailstorm {spread([x['us'] for x in ms])} us/req ({m['rps']:.0f} req/s, p50 {m['p50']:.3f} ms, "
                f"p99 {m['p99']:.3f} ms, errors {sum(x['errors'] for x in ms)}; RSS {m['rss'][0]:.1f} -> {m['rss'][1]:.1f} MiB, "
                f"slope {m['rss'][2]:.1f} KiB/s)")
        if a.wrk2:
            w = w2[-1]
            line += (f"\n{'':14}wrk2      {spread([x['us'] for x in w2])} us/req ({w['rps']:.0f} req/s, p50 {w['p50']:.3f} ms, "
                     f"p99 {w['p99']:.3f} ms)")
            g, lo, hi = ratio_interval(ratios)
            line += (f"\n{'':14}mailstorm/wrk2 {g:.2f} (90% interval {lo:.2f}-{hi:.2f}; pairs "
                     f"{' '.join(f'{r:.2f}' for r in ratios)}): {verdict(ratios)}")
        if loc:
            line += f"\n{'':14}Locust    {loc['us']:6.1f} us/req ({loc['rps']:.0f} req/s)  mailstorm/Locust {statistics.median([x['us'] for x in ms]) / loc['us']:.3f}"
        line += f"\n{'':14}mailstorm/wrk flat out {statistics.median([x['us'] for x in ms]) / wrk_us:.2f}"
        print(line, flush=True)

    if not a.no_stall:
        stall_at = a.duration - 6
        print(f"stall check: nginx stopped for 1 s at {stall_at} s of a {a.duration} s run at 2000 req/s")
        for name, fn, recorded in [("mailstorm", run_mailstorm, a.duration)] + ([("wrk2", run_wrk2, a.duration - 10)] if a.wrk2 else []):
            expected = 1000 * (1 - 0.01 * recorded)
            t = stall_during(target, stall_at, 1.0)
            r = fn(target, 2000, a.duration)
            t.join()
            ok = abs(r["p99"] - expected) <= 0.15 * expected
            print(f"  {name:9} p99 {r['p99']:7.1f} ms (true about {expected:.0f} ms), max {r['max']:7.1f} ms: "
                  f"{'the stall at its true size' if ok else 'NOT at its true size'}", flush=True)
