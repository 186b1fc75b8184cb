#!/usr/bin/env bash
# Installs, idempotently, what Mailstorm builds and runs with. Only missing packages are installed.
set -euo pipefail
packages=(postgresql postgresql-contrib redis-server libpq-dev libhiredis-dev libcurl4-openssl-dev libjemalloc-dev libssl-dev zlib1g-dev pkg-config wrk util-linux)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's postinst may start a system redis or postgres; Mailstorm starts its own on free ports, so leave them be.
echo "setup: done"
