#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
clang-format -i $(git ls-files '*.cc' '*.h')
