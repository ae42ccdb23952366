#!/usr/bin/env bash
# The README's main job (scripts/main-job.sh) works end to end, on a private store root.
source "$(dirname "$0")/lib.sh"
out=$(MINI_ROOT=$R MINI=$MINI bash "$SRC_DIR/scripts/main-job.sh" 2>&1) || { echo "$out"; fail "main job failed"; }
echo "$out"
grep -Eq '^busybox +latest ' <<<"$out" || fail "main job did not list busybox"
if "$MINI" --help | grep -E "^  run " >/dev/null; then
  grep -q "hello from .* in a mini container" <<<"$out" || fail "main job did not run a container"
fi
echo PASS
