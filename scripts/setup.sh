#!/usr/bin/env bash
# Installs, idempotently, what Mailstorm builds and runs with. Only missing packages are installed.
set -euo pipefail
packages=(postgresql postgresql-contrib redis-server libpq-dev libhiredis-dev libcurl4-openssl-dev libjemalloc-dev libssl-dev zlib1g-dev pkg-config wrk util-linux kubectl linux-perf chromium prometheus postfix)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
else
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # postfix only for its test tools (smtp-sink, smtp-source): no mail system configured or started.
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections 2>/dev/null || true
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's postinst may start a system redis or postgres; Mailstorm starts its own on free ports, so leave them be.
fi
# schemathesis (PyPI), the API fuzzer no one here wrote, in a venv of its own so its pins touch nothing else.
venv=.build/venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "setup: installing schemathesis into $venv"
  mkdir -p .build
  python3 -m venv "$venv" 2>/dev/null || { $sudo apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"; }
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis>=4,<5"
fi
# kubernetes-validate (PyPI) checks the rendered deploy/kubernetes objects against the API's schemas, offline.
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  echo "setup: installing kubernetes-validate into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "kubernetes-validate>=1.31"
fi
# hdrhistogram (PyPI) reads run folders' latency.hlog in the tests, as a reader no one here wrote would.
if ! "$venv/bin/python" -c "import hdrh" 2>/dev/null; then
  echo "setup: installing hdrhistogram into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "hdrhistogram>=0.10,<1"
fi
echo "setup: done"
