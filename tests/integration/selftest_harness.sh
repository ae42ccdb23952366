#!/bin/bash
# The harness can fail: for each fixture combination (lib.sh alone; with registry_fixture.bash;
# with dockerd.bash; with several cleanups registered) a child script sources the fixtures,
# registers a cleanup and then fails in one of the ways tests fail (fail, a failed expect_eq, a
# failing command under set -e, a failing command inside a pipeline under pipefail, an unset
# variable under set -u, exit 3) or passes. The child's exit status must be the failure's (0
# for the pass) and every cleanup must have run: its marker written, its $T gone, the registry
# stopped, the dockerd stopped and its bridge deleted. Then the on_exit rules themselves (a
# failing cleanup fails a passing test, `exit` in a cleanup skips no other cleanup, a skip stays
# a skip) and that no test or benchmark sets an EXIT trap of its own.
# The dockerd combination uses stand-in dockerd and docker commands (this tests the harness,
# dockerd_host_bridge.sh the real dockerd); the registry one the real docker-registry.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
command -v docker-registry >/dev/null || { echo "skip: docker-registry is not installed"; exit 77; }

# Stand-ins: a "dockerd" that waits to be killed, a "docker" whose every command succeeds.
mkdir -p "$T/stubs"
printf '#!/bin/sh\nexec sleep 600\n' >"$T/stubs/dockerd"
printf '#!/bin/sh\nexit 0\n' >"$T/stubs/docker"
chmod +x "$T/stubs/dockerd" "$T/stubs/docker"

# child COMBO MODE [TAIL]: writes $T/c-COMBO-MODE/child.sh, which sources COMBO's fixtures,
# registers cleanups and then runs MODE's failure (or TAIL); runs it, leaves its status in
# CHILD_RC. Every cleanup writes a marker to (or removes what it made in) $D, the child's dir.
child() {
  local combo=$1 mode=$2 tail=${3:-} d=$T/c-$1-$2
  mkdir -p "$d"
  {
    echo 'source "$HERE/lib.sh"'
    echo 'echo "$T" >"$D/T"'
    case $combo in
      registry) echo 'source "$HERE/registry_fixture.bash"; start_registry selftest; echo "${REG_PIDS[*]}" >"$D/pids"' ;;
      dockerd) echo 'source "$HERE/dockerd.bash"; start_private_dockerd "$T/d" "$T/d.sock" >/dev/null || exit 9'
               echo 'echo "$DOCKERD_PID" >"$D/pids"; echo "$DOCKERD_BRIDGE" >"$D/bridge"' ;;
      several) echo 'for n in one two three; do on_exit "echo $n >>\"\$D/order\""; done' ;;
    esac
    echo 'on_exit "echo ran >\"\$D/cleanup\""'
    case $mode in
      pass) echo 'true' ;;
      fail) echo 'fail "on purpose"' ;;
      expect_eq) echo 'expect_eq got wanted "on purpose"' ;;
      errexit) echo 'ls "$T/no-such-file" >/dev/null 2>&1' ;;
      pipefail) echo 'cat "$T/no-such-file" 2>/dev/null | sort >/dev/null' ;;
      nounset) echo 'echo "$NO_SUCH_VARIABLE"' ;;
      exit3) echo 'exit 3' ;;
      *) echo "$tail" ;;
    esac
    echo 'echo "not reached" >"$D/reached"; false'
  } >"$d/child.sh"
  [ "$mode" = pass ] && sed -i 's/; false$//' "$d/child.sh"
  CHILD_RC=0
  D=$d HERE=$HERE PATH=$([ "$combo" = dockerd ] && echo "$T/stubs:")$PATH bash "$d/child.sh" \
    >"$d/out" 2>&1 || CHILD_RC=$?
}

# check COMBO MODE WANT_RC: runs the child and asserts its status and cleanups.
check() {
  local combo=$1 mode=$2 want=$3 d=$T/c-$1-$2 p
  child "$combo" "$mode"
  expect_eq "$CHILD_RC" "$want" "$combo/$mode: exit status ($(tr '\n' ' ' <"$d/out"))"
  [ "$mode" = pass ] || [ ! -e "$d/reached" ] || fail "$combo/$mode: ran on after the failure"
  [ -f "$d/cleanup" ] || fail "$combo/$mode: the test's cleanup did not run"
  [ -s "$d/T" ] && [ ! -e "$(cat "$d/T")" ] || fail "$combo/$mode: lib.sh's cleanup_root did not remove \$T"
  if [ -f "$d/pids" ]; then
    for p in $(cat "$d/pids"); do ! kill -0 "$p" 2>/dev/null || fail "$combo/$mode: process $p still runs"; done
  fi
  [ "$combo" != registry ] || [ -s "$d/pids" ] || fail "$combo/$mode: no registry started"
  if [ "$combo" = dockerd ]; then
    [ -s "$d/bridge" ] || fail "$combo/$mode: no dockerd bridge made"
    ! ip link show dev "$(cat "$d/bridge")" >/dev/null 2>&1 || fail "$combo/$mode: bridge $(cat "$d/bridge") left"
  fi
  [ "$combo" != several ] || expect_eq "$(tr '\n' ' ' <"$d/order")" "three two one " "$combo/$mode: cleanup order"
}

for combo in lib registry dockerd several; do
  for mode in fail:1 expect_eq:1 errexit:2 pipefail:1 nounset:1 exit3:3 pass:0; do
    check "$combo" "${mode%:*}" "${mode#*:}"
  done
  echo "ok: $combo"
done

# on_exit's rules, on lib.sh alone. A failing cleanup fails a test that passed...
child lib failing-cleanup 'on_exit false; exit 0'
expect_eq "$CHILD_RC" 1 "a failing cleanup"
[ -f "$T/c-lib-failing-cleanup/cleanup" ] || fail "a failing cleanup skipped the next"
# ... but keeps a failure's own status.
child lib failing-cleanup-exit4 'on_exit false; exit 4'
expect_eq "$CHILD_RC" 4 "a failing cleanup after exit 4"
# exit in a cleanup ends neither the trap nor the cleanups after it, and counts as a failure.
child lib exit-in-cleanup 'on_exit "exit 0"; exit 0'
expect_eq "$CHILD_RC" 1 "a cleanup calling exit 0"
[ -f "$T/c-lib-exit-in-cleanup/cleanup" ] || fail "exit in a cleanup skipped the next"
# A skip stays a skip, with its cleanups run.
child lib skip 'exit 77'
expect_eq "$CHILD_RC" 77 "a skip"
[ -f "$T/c-lib-skip/cleanup" ] || fail "a skip's cleanup did not run"
# Words are quoted when registered; a single string is evaluated at exit.
child lib quoting 'mkdir "$D/a b"; on_exit rm -r "$D/a b"; V=early; on_exit "echo \$V >\"\$D/late\""; V=late; exit 0'
expect_eq "$CHILD_RC" 0 "on_exit with a quoted word and a late string"
[ ! -e "$T/c-lib-quoting/a b" ] || fail "on_exit rm -r \"\$D/a b\" did not remove it"
expect_eq "$(cat "$T/c-lib-quoting/late")" late "a string cleanup's variable, read at exit"

# A passing test whose dockerd changed the host's docker0 fails, through stop_private_dockerd
# (run by on_exit). On a host without docker0, on a stand-in one.
if ! ip link show dev docker0 >/dev/null 2>&1; then
  source "$HERE/dockerd.bash"
  STANDIN_ADDR=$(free_private_net24)
  STANDIN_ADDR=${STANDIN_ADDR%.0/24}.1/24
  ip link add docker0 type bridge
  STANDIN_IFINDEX=$(cat /sys/class/net/docker0/ifindex)
  # Only ours is deleted (a docker0 with another ifindex was made by someone else).
  on_exit '[ "$(cat /sys/class/net/docker0/ifindex 2>/dev/null)" != "$STANDIN_IFINDEX" ] || ip link del docker0'
  ip addr add "$STANDIN_ADDR" dev docker0
  n=0
  for change in 'ip link set docker0 up' 'ip addr del "$STANDIN_ADDR" dev docker0' 'ip link del docker0'; do
    child dockerd docker0-$((++n)) "STANDIN_ADDR=$STANDIN_ADDR; $change; exit 0"
    expect_eq "$CHILD_RC" 1 "docker0 changed by [$change]"
    grep -F "changed the host's docker0" "$T/c-dockerd-docker0-$n/out" >/dev/null || fail "[$change]: $(cat "$T/c-dockerd-docker0-$n/out")"
  done
fi

# No test, fixture or benchmark sets an EXIT trap of its own (it would replace on_exit's).
traps=$(grep -nE '(^|[;&|{(]|then|do)[[:space:]]*trap[[:space:]].*EXIT' "$HERE"/*.sh "$HERE"/*.bash "$HERE"/../../bench/*.sh | grep -v '/on_exit\.bash:' || true)
[ -z "$traps" ] || fail "EXIT traps outside on_exit.bash: $traps"
echo PASS
