#!/bin/bash
# ONBUILD: triggers are recorded in the image config, run in order right after FROM when a later
# build uses the image (against that build's context), and are not inherited further.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox busybox:latest
mkdir -p "$T/base" "$T/child" "$T/grand"
cat >"$T/base/Minifile" <<'MF'
FROM busybox
ONBUILD COPY payload.txt /payload.txt
ONBUILD RUN echo "trigger ran" >>/ran && cat /payload.txt >>/ran
ONBUILD ENV FROM_TRIGGER=yes
RUN echo base >/base
MF
out=$(mini build -t ob-base "$T/base") || fail "base build: $out"
[ ! -e "$T/base/payload.txt" ] || fail "setup"
onbuild_of() { mini inspect "$1" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0]["Config"].get("OnBuild")))'; }
on=$(onbuild_of ob-base)
echo "$on" | grep 'COPY payload.txt /payload.txt' >/dev/null || fail "OnBuild not recorded: $on"
echo "$on" | grep 'ENV FROM_TRIGGER=yes' >/dev/null || fail "OnBuild order/content: $on"

echo "from child context" >"$T/child/payload.txt"
printf 'FROM ob-base\nRUN echo "child step" >>/ran\nCMD ["cat", "/ran"]\n' >"$T/child/Minifile"
out=$(mini build --progress plain -t ob-child "$T/child" 2>&1) || fail "child build: $out"
# BuildKit counts the triggers in the stage's steps and names them ONBUILD.
echo "$out" | grep '^#[0-9]* \[2/5\] ONBUILD COPY payload.txt /payload.txt$' >/dev/null || fail "trigger step: $out"
expect_eq "$(mini run --rm ob-child)" "trigger ran
from child context
child step" "triggers ran in order, before the child's steps"
expect_eq "$(mini run --rm ob-child sh -c 'echo $FROM_TRIGGER')" yes "ENV trigger"
expect_eq "$(onbuild_of ob-child)" null "triggers inherited by the child"
# A cached rebuild reuses the trigger steps too.
out=$(mini build --progress plain -t ob-child "$T/child" 2>&1) || fail "child rebuild"
expect_eq "$(echo "$out" | grep -c '^#[0-9]* CACHED$')" 3 "cached trigger steps (COPY, RUN, and the child's RUN)"

# The grandchild does not run them again.
printf 'FROM ob-child\nRUN echo grand >>/ran\n' >"$T/grand/Minifile"
out=$(mini build --progress plain -t ob-grand "$T/grand" 2>&1) || fail "grandchild build: $out"
echo "$out" | grep '\] ONBUILD ' >/dev/null && fail "triggers ran in the grandchild"
expect_eq "$(mini run --rm ob-grand cat /ran | wc -l)" 4 "grandchild /ran"

# A trigger that fails names the trigger; a missing trigger input is an error of the child.
printf 'FROM ob-base\n' >"$T/grand/Minifile"
err=$(mini build "$T/grand" 2>&1) && fail "missing trigger input accepted"
echo "$err" | grep -F "$T/grand/Minifile:1: ONBUILD COPY payload.txt /payload.txt: COPY failed: file not found" >/dev/null \
  || fail "trigger error: $err"
echo PASS
