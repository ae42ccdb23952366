#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, runs every unit and integration test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
cd build
ctest --output-on-failure -j1 --timeout 900
