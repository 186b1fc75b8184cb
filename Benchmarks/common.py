"""Shared helpers for the benchmark scripts: builds, free ports, servers, and timing a child's CPU."""
import glob, math, os, re, socket, statistics, subprocess, sys, tempfile, time, shutil, json, resource

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_listening(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def ensure_packages(*pkgs):
    missing = [p for p in pkgs if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True).stdout.find("install ok installed") < 0]
    if missing:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, stdout=subprocess.DEVNULL)


_built = set()


def release_binary(name):
    """Builds the product once per benchmark process: a rebuild between rounds (the tree edited meanwhile) would
    compare two different builds."""
    if name not in _built:
        # The Makefile's flags (the runtime linked in, as shipped), read from it so that the two never differ.
        flags = re.search(r"^RELEASE_FLAGS = (.*)$", open(os.path.join(ROOT, "Makefile")).read(), re.M).group(1).split()
        subprocess.run(["swift", "build", *flags, "--product", name], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        _built.add(name)
    return os.path.join(ROOT, ".build", "release", name)


def summary_of(args, **kw):
    """The release build's mailstorm with `args` (a subcommand and its options), written into a folder of its own
    and quiet; its summary.json. `kw` goes to subprocess.run (check, preexec_fn...)."""
    with tempfile.TemporaryDirectory(prefix="ms-bench-") as out:
        subprocess.run([release_binary("mailstorm"), *args, "--quiet", "--out", out], capture_output=True, **kw)
        return json.load(open(glob.glob(os.path.join(out, "*", "summary.json"))[0]))


class Nginx:
    """nginx, one worker, serving a 12-byte static file on a free loopback port: the fast target of shared/NOTES.md.
    `pids`: the master's and the worker's, for benchmarks that stop or pin the server."""

    def __enter__(self):
        ensure_packages("nginx-light")
        self.dir = tempfile.mkdtemp(prefix="mailstorm-nginx-")
        self.port = free_port()
        with open(os.path.join(self.dir, "index.html"), "w") as f:
            f.write("hello world\n")
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off; worker_processes 1; pid {self.dir}/nginx.pid; error_log {self.dir}/error.log;
events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 100000000;
  client_body_temp_path {self.dir}; proxy_temp_path {self.dir}; fastcgi_temp_path {self.dir};
  uwsgi_temp_path {self.dir}; scgi_temp_path {self.dir};
  server {{ listen 127.0.0.1:{self.port}; root {self.dir}; }} }}
""")
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", self.dir])
        wait_listening(self.port)
        self.pids = [self.proc.pid] + self._worker()
        self.url = f"http://127.0.0.1:{self.port}/index.html"
        return self

    def _worker(self, timeout=5):
        """The worker's pid: it is forked after the master listens."""
        end = time.time() + timeout
        while time.time() < end:
            out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
            if out:
                return [int(p) for p in out]
            time.sleep(0.05)
        raise RuntimeError("nginx started no worker")

    def __exit__(self, *a):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_timed(cmd, **kw):
    """Runs cmd; returns (stdout, wall seconds). Its CPU is child_cpu()'s difference around the call."""
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    out, err = p.communicate()
    wall = time.time() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}): {err[-500:]}")
    return out, wall


def millis(text):
    """A wrk or wrk2 duration ("812.00us", "1.23ms", "2.01s", "1.5m") in milliseconds."""
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3, "m": 6e4}[m.group(2)]


def wrk(url, headers=(), script=None, connections=64, seconds=10):
    """wrk -t1 against url: requests/s, requests, p99 ms (nan if absent) and whether any answer was not 2xx/3xx."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"] + sum((["-H", h] for h in headers), []) + (["-s", script] if script else [])
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)  # the distribution's row, not a "+/- Stdev" share like 89.99%
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "p99_ms": millis(p99.group(1)) if p99 else float("nan"), "non2xx": "Non-2xx" in out, "output": out}


def proc_cpu(pid):
    """User+system seconds one process has used, from /proc."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(root):
    """User+system seconds of `root` and every process below it (PostgreSQL's backends under its postmaster)."""
    children = {}
    for p in os.listdir("/proc"):
        try:
            children.setdefault(int(open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1]), []).append(int(p))
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0.0, [root]
    while todo:
        p = todo.pop()
        try:
            total += proc_cpu(p)
        except OSError:
            pass
        todo += children.get(p, [])
    return total


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Stack:
    """The embedded stack from `mailstorm stack up` (release build), for benchmarks that drive campaignd directly.

    Rate limiting is off unless `rate_limit` is given: a benchmark drives one user far past seed 000's 100 r/s."""

    def __init__(self, transport="smtp", rate_limit=0, campaignd_args=(), campaignd=None):
        # "--campaignd-arg=--x=y": with a space, the parser would read --x=y as one of its own options.
        self.args = ["--transport", transport] + [f"--campaignd-arg={a}" for a in [f"--rate-limit={rate_limit}", *campaignd_args]]
        if campaignd:
            self.args += ["--campaignd", campaignd]

    def __enter__(self):
        self.mailstorm = release_binary("mailstorm")
        release_binary("campaignd")
        self.proc = subprocess.Popen([self.mailstorm, "stack", "up", *self.args], stdout=subprocess.PIPE, text=True)
        self.endpoints = {}
        for line in self.proc.stdout:
            parts = line.split()
            if parts and parts[0] in ("campaignd", "postgres", "redis", "sink", "logs"):
                self.endpoints[parts[0]] = parts[1:]
            if line.startswith("Ctrl-C"):
                break
        if "campaignd" not in self.endpoints:
            raise RuntimeError("stack did not start")
        self.url = self.endpoints["campaignd"][0]
        self.db = self.endpoints["postgres"][0]
        self.campaignd_pid = None
        return self

    def pid_of(self, name):
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid), "-f", name], capture_output=True, text=True).stdout.split()
        return int(out[0]) if out else None

    def __exit__(self, *a):
        self.proc.send_signal(2)
        self.proc.wait(timeout=60)

    def seed(self, contacts, tenants=2, extra=()):
        t0 = time.time()
        subprocess.run([self.mailstorm, "seed", "--database-url", self.db, "--contacts", str(contacts), "--tenants", str(tenants), *extra],
                       check=True)
        return time.time() - t0

    def psql(self, sql):
        return subprocess.run(["psql", self.db, "-Atc", sql], check=True, capture_output=True, text=True).stdout.strip()

    def wait_for_search_indexer(self, timeout=120):
        """Until campaignd's background search indexer has every contact: its catch-up competes for the same CPU."""
        deadline = time.time() + timeout
        while self.psql("SELECT (SELECT upto FROM contact_search_progress) >= (SELECT coalesce(max(id), 0) FROM contacts)") != "t":
            if time.time() > deadline:
                raise RuntimeError("the search indexer did not catch up in time")
            time.sleep(0.2)

    def logged_statement(self, request, marker, attempts=50):
        """The statement campaignd runs for `request()` whose text contains `marker`, and its parameters, as
        PostgreSQL logs them (log_min_duration_statement = 0 meanwhile): a peer can run campaignd's own SQL.
        A pool connection takes a reload at its next statement, so the request is repeated until one is logged."""
        log = os.path.join(self.endpoints["logs"][0], "postgres.log")
        start = os.path.getsize(log)
        self.psql("ALTER SYSTEM SET log_min_duration_statement = 0")
        self.psql("SELECT pg_reload_conf()")
        try:
            for _ in range(attempts):
                request()
                with open(log, "rb") as f:
                    f.seek(start)
                    found = logged_executes(f.read().decode(errors="replace"), marker)
                if found:
                    return found[-1]
                time.sleep(0.1)
            raise RuntimeError(f"no statement with {marker!r} in {log} after {attempts} requests")
        finally:
            self.psql("ALTER SYSTEM RESET log_min_duration_statement")
            self.psql("SELECT pg_reload_conf()")

    def login(self, email="user1@tenant1.example"):
        body = json.dumps({"email": email, "password": "mailstorm-pass"}).encode()
        return api(self.url, "POST", "/api/login", body)["token"]


def logged_executes(log, marker):
    """(sql, [parameters]) of each `execute` in a PostgreSQL log (default line prefix) whose text holds `marker`."""
    records = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[\d+\] )", log)
    out = []
    for rec, nxt in zip(records, records[1:] + [""]):
        m = re.search(r"\] LOG:  duration: [\d.]+ ms  execute [^:]*: (.*)", rec, re.S)
        if not m or marker not in m.group(1):
            continue
        d = re.search(r"\] DETAIL:  parameters: (.*)", nxt, re.S)
        params = [None if v == "NULL" else q.replace("''", "'") for v, q in re.findall(r"\$\d+ = (NULL|'((?:[^']|'')*)')", d.group(1))] if d else []
        out.append((m.group(1).rstrip("\n").replace("\n\t", "\n"), params))  # the log indents continued lines
    return out


def api(base, method, path, body=None, token=None, content_type="application/json"):
    import urllib.request
    req = urllib.request.Request(base + path, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read() or b"{}")


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def side(ratios, bound):
    """Three answers, as Pinpoint gives them: the ratios' 90% interval wholly "below" `bound`, wholly "above" it, or
    across it ("unclear")."""
    _, lo, hi = ratio_interval(ratios)
    return "below" if hi < bound else "above" if lo > bound else "unclear"


def ratio_interval(ratios, level=0.90):
    """The geometric mean of paired ratios and its `level` interval, Student's t (scipy) on the log ratios: costs
    multiply, so ratios are averaged as logs. With one pair the interval is unbounded."""
    try:
        from scipy import stats
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "scipy"], check=True)
        from scipy import stats
    logs = [math.log(r) for r in ratios]
    m = statistics.mean(logs)
    if len(logs) < 2:
        return math.exp(m), 0.0, math.inf
    half = stats.t.ppf((1 + level) / 2, len(logs) - 1) * statistics.stdev(logs) / math.sqrt(len(logs))
    return math.exp(m), math.exp(m - half), math.exp(m + half)
