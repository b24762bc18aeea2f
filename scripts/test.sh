#!/usr/bin/env bash
# The README's second command (and what CI runs): install dependencies, build
# with GCC and run every test, build with Clang, run the suite again under
# ASan+UBSan, and check formatting.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
JOBS=$(nproc)

echo "== formatting (clang-format)"
bash scripts/check-format.sh

echo "== release build (GCC) and tests"
cmake --preset release >/dev/null
cmake --build --preset release -j "$JOBS"
ctest --preset release -j "$JOBS"

echo "== Clang build"
cmake --preset clang >/dev/null
cmake --build --preset clang -j "$JOBS"

echo "== ASan+UBSan build and tests"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan -j "$JOBS"
