#!/usr/bin/env bash
# Fails when a C++ file is not formatted by .clang-format (fix: scripts/format.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cc' '*.h' 2>/dev/null || find src tests bench -name '*.cc' -o -name '*.h')
[ -z "$files" ] && exit 0
clang-format --dry-run --Werror $files
echo "formatting ok"
