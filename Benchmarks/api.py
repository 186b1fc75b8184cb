#!/usr/bin/env python3
"""Benchmarks/api: the api scenario's knee, each route's ceiling beside the machine's, and seed 000's login bound.

1. `mailstorm run api --set start=250 --set max=20000`: the knee (p99 <= 100 ms, errors and drops under 1%) of
   sessions that log in once and make 20-50 requests of the weighted mix. Seed 001's goal is 10,000 req/s.
   Beside it, the mix's CPU bound: CPU per request of campaignd, PostgreSQL, Redis and mailstorm together, at the
   knee's rate (a 40 s run less a 10 s one, so that starting the stack and seeding cancel out), and the rate at
   which that would fill every core. 10,000 req/s on 2 cores needs 200 µs per request at most, all four together.
2. Ceilings, wrk -t1 -c64 for 10 s each, one after another on the same stack: nginx serving a static file (plain
   HTTP), campaignd's GET /health/live (a trivial Hummingbird route: the framework alone), and each read route of
   the mix flat out; pgbench -S (a primary-key SELECT, the database's floor for one query) for 10 s with 16
   clients. Each route is printed as a ratio to nginx, to /health and to pgbench.
3. Seed 000's journey logs in once in every 4 requests, so bcrypt bounds it: wrk posts logins flat out while
   campaignd's and PostgreSQL's CPU is read from /proc; the bound is cores / CPU per login, times 4 requests.
   It is printed beside the stress scenario's knee for that journey (`mailstorm run stress`), and beside the
   journey's own CPU bound, the most the knee could reach with every core busy: every process's CPU per second at
   0.25 and 0.75 of the knee (measured as in 1), fitted as a fixed part plus a cost per journey.
   The api mix's floor comes from the same login: an api session logs in once per 37 requests on average, so even
   if every other request cost only GET /health/live's campaignd CPU, and the generator what `mailstorm http --rate
   10000` costs on nginx's CPU, the cores could serve no more than cores / (login / 37 + 36/37 x /health + generator)
   req/s: an upper bound on the api knee on this machine.

Each knee is searched --knees times (3 by default) and printed as the median with its range: one search here
moved by about a fifth between runs of the same build (750-1,182 iterations/s), so one figure says little.

Usage: Benchmarks/api.py [--step 10s] [--knees 3] [--skip-knee] [--skip-stress]
"""
import argparse, json, os, re, statistics, subprocess, tempfile
from common import Nginx, Stack, api, child_cpu, ensure_packages, release_binary, summary_of, tree_cpu, wrk

ap = argparse.ArgumentParser()
ap.add_argument("--step", default="10s")
ap.add_argument("--skip-knee", action="store_true")
ap.add_argument("--skip-stress", action="store_true")
ap.add_argument("--knees", type=int, default=3, help="whole knee searches per journey; the median and range are printed")
a = ap.parse_args()
ensure_packages("wrk")
release_binary("mailstorm")  # built before anything is timed
release_binary("campaignd")
cores = os.cpu_count()
JOURNEY = 4  # requests in one seed-000 journey: login, list, stats, create
SESSION = 2 + (20 + 50) / 2  # requests in one api session on average: login and create, then 20-50 of the mix


def run_summary(args):
    return summary_of(["run", *args, "--no-baseline"])


def steady_cpu(scenario, rate, short=10, long=40):
    """Requests per second and each process's CPU in cores at `rate` (the scenario's --set rate): a long run less a
    short one, so that starting the stack and seeding cancel out."""
    def load(seconds):
        s = run_summary([scenario, "--set", f"rate={rate:.1f}", "--set", f"duration={seconds}"])
        return s["requests"]["total"], {n: r["cpu_seconds"] for n, r in s["resources"].items()}
    n1, c1 = load(short)
    n2, c2 = load(long)
    return (n2 - n1) / (long - short), {n: (c2[n] - c1[n]) / (long - short) for n in c2 if n in c1}


def knees(args):
    """The knee of `a.knees` whole searches: one search moves by about a fifth between runs here."""
    found = []
    for i in range(a.knees):
        s = run_summary(args)
        data = s["results"]["stress"]["data"]
        found.append(data.get("knee_requests_per_second") or 0)
        confirmed = {True: "confirmed", False: "not confirmed: out of steps"}.get(data.get("knee_confirmed"), "")
        print(f"   search {i + 1}: knee {found[-1]:,.0f} req/s {confirmed}", flush=True)
    return statistics.median(found), min(found), max(found), s


if not a.skip_knee:
    print("1. api scenario, knee search (1 request per iteration, sessions of 20-50 after one login):")
    knee, lo, hi, s = knees(["api", "--set", "start=250", "--set", "max=20000", "--set", f"step={a.step}"])
    print("   the last search's steps:")
    for step in s["results"]["stress"]["data"]["steps"]:
        print(f"   {step['rate']:8.1f} req/s offered  {step['throughput']:8.1f} measured  p99 {step['p99_ms']:7.2f} ms"
              f"  errors {step['error_rate'] * 100:.2f}%  {'meets SLO' if step['pass'] else 'BREAKS'}")
    print(f"   knee median {knee:,.0f} req/s ({lo:,.0f}-{hi:,.0f} over {a.knees} searches) at p99 <= 100 ms"
          f" = {knee / 10000:.3f} of seed 001's 10,000 req/s")
    for name, r in sorted(s.get("resources", {}).items()):
        print(f"   {name:10s} CPU {r.get('cpu_percent_mean', float('nan')):6.1f}% of a core on average over the last search")

    if not knee:
        print("   CPU bound: no knee was found, so there is no rate to measure it at")
    else:
        rps, cores_by = steady_cpu("api", round(knee))
        per = {p: c / rps for p, c in cores_by.items()}
        total = sum(per.values())
        print(f"   CPU per request at {knee:,.0f} req/s (a 40 s run less a 10 s one): "
              + ", ".join(f"{n} {v * 1e6:.0f} µs" for n, v in sorted(per.items())) + f"; all four {total * 1e6:.0f} µs")
        print(f"   CPU bound: {cores} cores / {total * 1e6:.0f} µs = {cores / total:,.0f} req/s; the knee is {knee * total / cores:.2f} of it."
              f" 10,000 req/s needs {cores / 10000 * 1e6:.0f} µs per request, {total * 10000 / cores:.1f} times less than now")

print("\n2. ceilings, wrk -t1 -c64, 10 s each")
with Nginx() as n:
    nginx = wrk(n.url)["rps"]
    # The generator's own cost at seed 001's rate, at its cheapest: one URL, nginx and mailstorm on one CPU.
    cpu = {min(os.sched_getaffinity(0))}
    for p in n.pids:
        os.sched_setaffinity(p, cpu)
    c0 = child_cpu()
    g = summary_of(["http", n.url, "--rate", "10000", "--duration", "10s"], check=True, preexec_fn=lambda: os.sched_setaffinity(0, cpu))
    gen_cpu = (child_cpu() - c0) / g["requests"]["total"]
with Stack() as st:
    # Full pages, as the api scenario's sessions see them: the list's cost grows with the rows it returns.
    st.seed(2000, extra=["--campaigns-per-tenant", "20"])
    token = st.login()
    auth = [f"Authorization: Bearer {token}"]
    cid = api(st.url, "POST", "/api/campaigns", json.dumps({"name": "bench", "subject": "s"}).encode(), token)["id"]
    seg = api(st.url, "POST", "/api/segments", json.dumps({"name": "all", "conditions": {"all": []}}).encode(), token)["id"]
    c0 = tree_cpu(st.pid_of("campaignd"))
    w = wrk(st.url + "/health/live")
    health, health_cpu = w["rps"], (tree_cpu(st.pid_of("campaignd")) - c0) / w["requests"]
    dbname = st.db
    subprocess.run(["pgbench", "-i", "-q", "-s", "1", dbname], check=True, capture_output=True)
    pg = subprocess.run(["pgbench", "-S", "-M", "prepared", "-c", "16", "-j", "2", "-T", "10", dbname], capture_output=True, text=True, check=True).stdout
    pgtps = float(re.search(r"tps = ([\d.]+)", pg).group(1))
    print(f"   nginx static file:        {nginx:10,.0f} req/s; mailstorm http --rate 10000 on nginx's CPU costs {gen_cpu * 1e6:.1f} µs per request")
    print(f"   campaignd GET /health/live: {health:8,.0f} req/s  ({health / nginx:.2f} of nginx), campaignd CPU {health_cpu * 1e6:.0f} µs per request")
    print(f"   pgbench -S (16 clients):  {pgtps:10,.0f} tx/s")
    routes = [("GET /api/campaigns", "/api/campaigns"), ("GET /api/campaigns/{id}", f"/api/campaigns/{cid}"), ("GET /api/stats", "/api/stats"),
              ("GET /api/contacts?email=smith9", "/api/contacts?email=smith9&limit=20"), ("GET /api/segments/{id}/count", f"/api/segments/{seg}/count")]
    print(f"   {'route':34s} {'req/s':>10s}  {'/nginx':>7s} {'/health':>7s} {'/pgbench':>8s}")
    for name, path in routes:
        rps = wrk(st.url + path, auth)["rps"]
        print(f"   {name:34s} {rps:10,.0f}  {rps / nginx:7.3f} {rps / health:7.3f} {rps / pgtps:8.3f}")

    print("\n3. seed 000's login bound")
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
              'wrk.body = \'{"email":"user1@tenant1.example","password":"mailstorm-pass"}\'\n')
    lua.close()
    pids = [st.pid_of("campaignd"), st.pid_of("postgres")]
    c0 = sum(tree_cpu(p) for p in pids if p)
    w = wrk(st.url + "/api/login", script=lua.name)
    os.unlink(lua.name)
    rps, total = w["rps"], w["requests"]
    cpu = sum(tree_cpu(p) for p in pids if p) - c0
    per_login = cpu / total
    bound = cores / per_login
    print(f"   logins flat out: {rps:,.0f}/s; campaignd + PostgreSQL CPU per login {per_login * 1000:.2f} ms")
    bound_rps = bound * JOURNEY
    print(f"   bound: {cores} cores / {per_login * 1000:.2f} ms = {bound:,.0f} logins/s = {bound_rps:,.0f} req/s of the seed-000 journey (1 login in {JOURNEY} requests)")
    # What the api mix could reach here if every request but the login cost campaignd no more than the framework's
    # floor, PostgreSQL and Redis nothing, and the generator what it costs on one URL: a lower bound on the CPU per
    # request, so the rate it gives is an upper bound on the api knee on this machine.
    floor = (per_login + (SESSION - 1) * health_cpu) / SESSION + gen_cpu
    print(f"   api mix floor: a login per {SESSION:.0f} requests ({per_login * 1e3:.2f} ms), GET /health/live's campaignd CPU"
          f" ({health_cpu * 1e6:.0f} µs) for each of the others, mailstorm's own at 10,000 req/s ({gen_cpu * 1e6:.1f} µs) ="
          f" {floor * 1e6:.0f} µs per request; {cores} cores could serve {cores / floor:,.0f} req/s at most,"
          f" {cores / floor / 10000:.2f} of seed 001's 10,000, even if no other route cost more than /health/live")

if not a.skip_stress:
    print("   seed-000 journey, `mailstorm run stress`:")
    knee, lo, hi, _ = knees(["stress"])
    print(f"   seed-000 journey knee median {knee:,.0f} req/s ({lo:,.0f}-{hi:,.0f}) = {knee / bound_rps:.2f} of the bound"
          f" ({lo / bound_rps:.2f}-{hi / bound_rps:.2f}; goal 0.8)")
    if knee:
        # basic runs the same journey at a constant rate of iterations (4 requests each). What the processes do every
        # second whatever the load (timers, pollers, PostgreSQL's background writers) is no cost per journey: CPU/s
        # at two rates, fitted as fixed + rate x per-journey, tells the two apart.
        points = []
        for share in (0.25, 0.75):
            rps, cores_by = steady_cpu("basic", share * knee / JOURNEY)
            points.append((rps / JOURNEY, cores_by))
            print(f"   at {share * knee:,.0f} req/s offered: {rps:,.0f} req/s measured, all four processes {sum(cores_by.values()):.2f} cores", flush=True)
        (r1, p1), (r2, p2) = points
        each = {p: (p2[p] - p1[p]) / (r2 - r1) for p in p2 if p in p1}
        journey = sum(each.values())
        fixed = sum(p1[p] - r1 * each[p] for p in each)
        cap = (cores - fixed) / journey * JOURNEY
        print(f"   fit: {fixed:.2f} cores whatever the load, plus {journey * 1e3:.2f} ms of CPU per journey ("
              + ", ".join(f"{p} {v * 1e3:.2f}" for p, v in sorted(each.items())) + f"); a login flat out is {per_login * 1e3:.2f} ms")
        print(f"   the journey's CPU bound: ({cores} - {fixed:.2f}) cores / {journey * 1e3:.2f} ms x {JOURNEY} = {cap:,.0f} req/s = {cap / bound_rps:.2f} of the"
              f" bcrypt bound, the most the knee could reach with every core busy (goal 0.8); the knee is {knee / cap:.2f} of it")
