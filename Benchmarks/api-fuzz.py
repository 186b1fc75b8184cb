#!/usr/bin/env python3
"""Benchmarks/api-fuzz: schemathesis (PyPI, written by others) against docs/openapi.yaml and a live campaignd.

Starts the embedded stack (release build), seeds it, logs in, and runs every schemathesis check over every
operation but logout (which would end the run's own session; CampaignAPITests covers it). Prints the counts
schemathesis reports: test cases, server errors (5xx) and responses that contradict the document.

Text values cannot hold NUL (campaignd answers 400, tested in HardeningTests), so NUL is not generated: a schema
cannot say it without a pattern on every string.

Usage: Benchmarks/api-fuzz.py [--examples 200] [--seed N]
"""
import argparse, json, os, re, shutil, subprocess, sys
from common import Stack, release_binary

ap = argparse.ArgumentParser()
ap.add_argument("--examples", type=int, default=200, help="examples per operation (schemathesis -n)")
ap.add_argument("--seed", type=int, help="schemathesis --seed, to repeat a run")
a = ap.parse_args()
here = os.path.dirname(os.path.abspath(__file__))
st_bin = os.path.join(here, "..", ".build", "venv", "bin", "schemathesis")  # what `make setup` installs
if not os.path.exists(st_bin):
    st_bin = shutil.which("schemathesis") or ""
if not os.path.exists(st_bin):
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "schemathesis"], check=True)
    st_bin = shutil.which("schemathesis")
spec = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "openapi.yaml")
release_binary("campaignd")
# What the document says in words but its schema cannot (the segment rule's total): see the file.
env = dict(os.environ, SCHEMATHESIS_HOOKS=os.path.join(here, "schemathesis_hooks.py"))
with Stack() as st:
    st.seed(200)
    token = st.login("user2@tenant1.example")
    cmd = [st_bin, "run", spec, "-u", st.url, "-H", f"Authorization: Bearer {token}", "-n", str(a.examples), "--checks", "all",
           "--exclude-path", "/api/logout", "--generation-allow-x00", "false"] + (["--seed", str(a.seed)] if a.seed else [])
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    # The provider webhook authenticates with its own secret, not the session: a second pass with it.
    w = subprocess.run([st_bin, "run", spec, "-u", st.url, "-H", "Authorization: Bearer mailstorm-webhook", "-n", str(a.examples),
                        "--checks", "all", "--include-path", "/api/webhooks/provider", "--generation-allow-x00", "false"],
                       capture_output=True, text=True, env=env)
out = r.stdout + r.stderr

total_cases, total_server, total_other = 0, 0, 0
for name, res in (("every operation but logout, with a session", r), ("the provider webhook, with its secret", w)):
    text = res.stdout + res.stderr
    # Each failure: the operation's banner line, then the check and what was sent or answered.
    for line in text.splitlines():
        if re.match(r"^_+ [A-Z]+ /", line) or re.match(r"^- ST\d+", line) or "Invalid component" in line or re.match(r"^\s+`\{", line) \
                or line.strip().startswith("curl "):
            print("   ", line.strip()[:240])
    cases = re.search(r"(\d+) generated", text)
    failures = dict((m.group(2).strip(), int(m.group(3))) for m in re.finditer(r"❌ (ST\d+) ([^:]+): (\d+)", text))
    server = sum(v for k, v in failures.items() if "Server error" in k)
    n = int(cases.group(1)) if cases else 0
    print(f"{name}: {n} test cases, {server} server errors, {sum(failures.values()) - server} other contradictions of the document "
          f"({', '.join(f'{k} {v}' for k, v in failures.items()) or 'none'}), exit {res.returncode}")
    total_cases += n; total_server += server; total_other += sum(failures.values()) - server
print(f"schemathesis in all: {total_cases} test cases, {total_server} server errors, {total_other} other contradictions")
sys.exit(1 if total_server or total_other else 0)
