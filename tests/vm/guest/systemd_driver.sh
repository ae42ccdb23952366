#!/bin/bash
# mini's systemd cgroup driver on a host booted by systemd (the systemd guest of tests/vm; skips
# where PID 1 is not systemd): the default there, each container in mini-<id>.scope under
# mini.slice with its processes (systemctl status), the limits in the scope's container/ cgroup
# (they survive a daemon-reload), update/pause/stats/exec through the recorded path, a
# container started from a `systemd-run --wait` service outlives the service at once (timed:
# the cgroupfs driver's monitor hung the service's stop for 90 s), an OOM gives 137,
# --cgroup-manager cgroupfs still works (and the record keeps it), nothing left after rm.
source "$SRC_DIR/tests/integration/lib.sh"
[ "$(cat /proc/1/comm)" = systemd ] || { echo "skip: PID 1 is not systemd"; exit 77; }
import_busybox
on_exit remove_all_containers
CG=/sys/fs/cgroup
scope_of() { echo "$CG/mini.slice/mini-$1.scope"; }
# nothing_left ID: no unit, no cgroup directory of the container.
nothing_left() {
  local units
  units=$(systemctl list-units --all --plain --no-legend "mini-$1.scope")
  [ -z "$units" ] || fail "unit left after rm: $units"
  [ ! -e "$(scope_of "$1")" ] || fail "cgroup left after rm: $(find "$(scope_of "$1")" -name cgroup.procs -exec cat {} +)"
  [ ! -e "$CG/mini/$1" ] || fail "cgroup $CG/mini/$1 left after rm"
}

expect_eq "$(mini info | sed -n 's/^ *Cgroup Driver: //p')" systemd "mini info's driver under systemd"

# Limits, placement, systemctl status.
id=$(mini run -d --cpus 0.5 -m 64m --pids-limit 50 busybox sleep 1000)
s=$(scope_of "$id")
pid=$(mini inspect -f '{{.State.Pid}}' "$id")
mon=$(awk '$1 == "PPid:" {print $2}' "/proc/$pid/status")
expect_eq "$(cat "/proc/$pid/cgroup")" "0::/mini.slice/mini-$id.scope/container" "the container's cgroup"
expect_eq "$(cat "/proc/$mon/cgroup")" "0::/mini.slice/mini-$id.scope/monitor" "the monitor's cgroup"
status=$(systemctl status --no-pager "mini-$id.scope" 2>&1) || true
echo "$status" | head -12
grep -F "Active: active (running)" <<<"$status" >/dev/null || fail "scope not active: $status"
grep -E "[0-9]+ sleep 1000" <<<"$status" >/dev/null || fail "systemctl status shows no sleep 1000: $status"
for f in "memory.max 67108864" "cpu.max 50000 100000" "pids.max 50"; do
  expect_eq "$(cat "$s/container/${f%% *}")" "${f#* }" "${f%% *} in the scope's container/"
done
systemctl daemon-reload
expect_eq "$(cat "$s/container/memory.max") $(cat "$s/container/cpu.max")" "67108864 50000 100000" "limits after a daemon-reload"
mini update -m 96m "$id" >/dev/null
expect_eq "$(cat "$s/container/memory.max")" 100663296 "memory.max after update"
mini pause "$id" >/dev/null
expect_eq "$(cat "$s/container/cgroup.freeze")" 1 "paused"
mini unpause "$id" >/dev/null
mini stats --no-stream --format '{{.MemUsage}}' "$id" | grep -F "96MiB" >/dev/null || fail "stats: $(mini stats --no-stream "$id" 2>&1)"
expect_eq "$(mini exec "$id" cat /proc/self/cgroup | grep -c "^0::/$\|^0::/mini.slice/mini-$id.scope/container$")" 1 "exec joins the container's cgroup"
mini stop -t 1 "$id" >/dev/null
# systemd collects the empty scope on its own, a moment later.
for _ in $(seq 50); do [ -e "$s" ] || break; sleep 0.2; done
[ ! -e "$s" ] || fail "scope cgroup left 10 s after stop: $(ls "$s" 2>&1)"
mini start "$id" >/dev/null
expect_eq "$(cat "$s/container/memory.max")" 100663296 "memory.max after a restart"
mini rm -f "$id" >/dev/null
nothing_left "$id"

# OOM -> 137 (the OOM killer acts in container/ only: the monitor survives to record it).
rc=0; mini run --name oom -m 32m busybox sh -c 'x=a; while true; do x="$x$x"; done' || rc=$?
expect_eq "$rc" 137 "OOM kill"
expect_eq "$(mini inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' oom)" "true 137"
oid=$(mini inspect -f '{{.Id}}' oom)
mini rm oom >/dev/null
nothing_left "$oid"
rc=0; mini run --rm -m 32m busybox sh -c 'x=a; while true; do x="$x$x"; done' || rc=$?
expect_eq "$rc" 137 "OOM kill with --rm"
expect_eq "$(systemctl list-units --all --plain --no-legend 'mini-*.scope')" "" "scopes after --rm"

# Started from a service that then ends: the monitor is in the container's scope, not in the
# service's cgroup, so the service ends at once and the container runs on.
t0=$(date +%s.%N)
rc=0; out=$(systemd-run --quiet --pipe --wait --unit=mini-starter "$MINI" --root "$R" run -d --name from-unit busybox sleep 1000 2>&1) || rc=$?
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
echo "systemd-run --wait mini run -d: status $rc in ${secs} s"
expect_eq "$rc" 0 "the starting service's result ($out)"
awk -v s="$secs" 'BEGIN {exit !(s < 30)}' || fail "the starting service took ${secs} s to end"
cid=$(mini inspect -f '{{.Id}}' from-unit)
expect_eq "$(mini inspect -f '{{.State.Status}}' from-unit)" running "started from a service that ended"
cpid=$(mini inspect -f '{{.State.Pid}}' from-unit)
kill -0 "$cpid" || fail "container process $cpid is gone"
mini rm -f from-unit >/dev/null
nothing_left "$cid"

# A restart by the policy reuses the scope its monitor is in; a build's RUN steps get scopes too.
mkdir -p "$T/d"
counter='n=$(cat /d/n 2>/dev/null || echo 0); n=$((n+1)); echo $n >/d/n; [ $n -ge 3 ]'
rc=0; mini run --name f3 --restart on-failure:3 -v "$T/d:/d" busybox sh -c "$counter" || rc=$?
expect_eq "$rc" 1 "attached run with a restart policy: the first exit"
for _ in $(seq 100); do [ "$(mini inspect -f '{{.State.Status}}' f3)" = exited ] && break; sleep 0.2; done
expect_eq "$(mini inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' f3)" "exited 2 0" "on-failure:3 in its scope"
fid=$(mini inspect -f '{{.Id}}' f3)
mini rm f3 >/dev/null
nothing_left "$fid"
mkdir -p "$T/ctx" && printf 'FROM busybox\nRUN cat /proc/self/cgroup >/cg\nRUN echo two >/two\n' >"$T/ctx/Minifile"
mini build -q -t cgbuild "$T/ctx" >/dev/null || fail "build under the systemd driver: $(mini build "$T/ctx" 2>&1 | tail -5)"
grep -E "^0::/$|^0::/mini.slice/mini-[0-9a-f]{64}.scope/container$" <<<"$(mini run --rm cgbuild cat /cg)" >/dev/null ||
  fail "a RUN step's cgroup: $(mini run --rm cgbuild cat /cg)"
expect_eq "$(systemctl list-units --all --plain --no-legend 'mini-*.scope')" "" "scopes after a build"

# The cost of the scope: run --rm busybox true, three times each (TCG: compare, not absolute).
for m in cgroupfs systemd; do
  t0=$(date +%s%N)
  for _ in 1 2 3; do mini --cgroup-manager $m run --rm busybox true; done
  echo "run --rm busybox true with $m: $(( ($(date +%s%N) - t0) / 3000000 )) ms each"
done

# --cgroup-manager cgroupfs: mini's own tree; start, update and rm without the flag use the
# manager the container recorded.
id=$(mini --cgroup-manager cgroupfs create -m 48m busybox sleep 1000)
mini start "$id" >/dev/null
expect_eq "$(cat "$CG/mini/$id/memory.max")" 50331648 "memory.max with --cgroup-manager cgroupfs"
[ ! -e "$(scope_of "$id")" ] || fail "a scope for a cgroupfs container"
mini update -m 64m "$id" >/dev/null
expect_eq "$(cat "$CG/mini/$id/memory.max")" 67108864 "update of a cgroupfs container"
mini rm -f "$id" >/dev/null
nothing_left "$id"
rc=0; out=$(MINI_CGROUP_MANAGER=systemd mini --cgroup-manager cgroupfs run --rm busybox true 2>&1) || rc=$?
expect_eq "$rc:$out" "0:" "the flag over \$MINI_CGROUP_MANAGER"
expect_eq "$(systemctl list-units --all --plain --no-legend 'mini-*.scope')" "" "scopes at the end"
echo PASS
