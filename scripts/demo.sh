#!/usr/bin/env bash
# The README's first command: install dependencies (apt), build, run the demo
# on the embedded store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target leadgate
./build/leadgate demo --dir demo
