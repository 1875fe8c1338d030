#!/usr/bin/env bash
# Quick start, second command: installs what is missing, builds everything (debug) and runs
# the whole test suite: unit, fuzz-corpus replay, layout rules and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
cmake --preset debug >/dev/null
cmake --build --preset debug
ctest --preset debug -j2 "$@"
