#!/usr/bin/env bash
# Installs what Leadgate needs to build and test, from Debian 12's packages.
# Idempotent: does nothing when everything is already there.
# `--bench` also installs what the scripts in bench/ use (wrk, PostgreSQL,
# hyperfine, GNU time, the sqlite3 shell, curl, valgrind): docs/benchmarks.md.
set -euo pipefail
PKGS=(
  g++ clang cmake ninja-build pkg-config clang-format git
  libsqlite3-dev libsqlitecpp-dev libyaml-cpp-dev libre2-dev libsimdjson-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libsodium-dev libcsv-dev
  libgtest-dev libgmock-dev libbenchmark-dev libboost1.74-dev zlib1g-dev
  libeigen3-dev libxgboost-dev xgboost python3-sklearn
  libhowardhinnant-date-dev
)
if [ "${1:-}" = --bench ]; then
  PKGS+=(wrk postgresql hyperfine time sqlite3 curl valgrind)
elif [ -n "${1:-}" ]; then
  echo "usage: scripts/install-deps.sh [--bench]" >&2
  exit 2
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
