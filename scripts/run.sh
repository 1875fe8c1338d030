#!/usr/bin/env bash
# Quick start, first command: installs what is missing, builds sfu (release) and starts it
# with built-in defaults. Arguments go to sfu (see scripts/run.sh --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release --target sfu
exec build/release/bin/sfu "$@"
