#!/usr/bin/env bash
# Fuzz smoke pass: builds the libFuzzer targets (tests/fuzz, into $SRC_DIR/build-fuzz) and runs
# each for a few seconds on its seed corpus, so the targets keep building and the corpora stay
# clean. Skipped (77) without root (tar_extract_fuzz mknods and chowns) or clang/libFuzzer.
# FUZZ_SMOKE_SECONDS sets the time per target (default 3).
set -euo pipefail
SRC_DIR="${SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
[ "$(id -u)" = 0 ] || { echo "fuzz_smoke needs root"; exit 77; }
source "$(dirname "$0")/on_exit.bash"
work=$(mktemp -d /tmp/mini-fuzz-smoke.XXXXXX)
on_exit rm -rf "$work"
start=$SECONDS
rc=0
FUZZ_WORK="$work" "$SRC_DIR/scripts/fuzz.sh" "${FUZZ_SMOKE_SECONDS:-3}" || rc=$?
if ((rc != 0 && rc != 77)); then
  for log in "$work"/*/log; do
    grep -q -E 'ERROR|runtime error|deadly signal|_fuzz: ' "$log" 2>/dev/null && { echo "== $log"; tail -40 "$log"; }
  done
  for a in "$work"/*/artifacts/*; do [ -e "$a" ] && { echo "== $a (base64)"; base64 -w0 "$a" | head -c 4096; echo; }; done
fi
echo "fuzz_smoke: $((SECONDS - start)) s (build included)"
exit "$rc"
