#!/bin/bash
# What mini's cgroupfs driver does on a host booted by systemd (the systemd guest of tests/vm):
# prints where a container and its monitor land, whether systemd leaves mini/ alone across a
# daemon-reload and a transient unit with CPU limits, and what becomes of a container started
# from a service that then ends. Mostly a report (issue 16's systemd finding); fails only on
# what would break users at once. Skips when PID 1 is not systemd.
source "$SRC_DIR/tests/integration/lib.sh"
[ "$(cat /proc/1/comm)" = systemd ] || { echo "skip: PID 1 is not systemd"; exit 77; }
import_busybox
on_exit remove_all_containers
CG=/sys/fs/cgroup
echo "systemd $(systemctl --version | head -1 | cut -d' ' -f2), this test in $(cut -d: -f3 /proc/self/cgroup)"
echo "root subtree_control: $(cat $CG/cgroup.subtree_control)"
id=$(mini run -d --cpus 0.5 -m 64m --pids-limit 50 busybox sleep 1000)
pid=$(mini inspect -f '{{.State.Pid}}' "$id")
mon=$(awk '$1 == "PPid:" {print $2}' "/proc/$pid/status")
echo "container init in $(cut -d: -f3 "/proc/$pid/cgroup"), its monitor ($(cat "/proc/$mon/comm")) in $(cut -d: -f3 "/proc/$mon/cgroup")"
echo "after run: root subtree_control: $(cat $CG/cgroup.subtree_control); mini/: $(cat $CG/mini/cgroup.subtree_control)"
systemctl daemon-reload
systemd-run --quiet --wait -p CPUQuota=50% -p MemoryMax=64M -p TasksMax=20 true
echo "after daemon-reload + a transient unit with limits: root: $(cat $CG/cgroup.subtree_control); mini/: $(cat $CG/mini/cgroup.subtree_control)"
expect_eq "$(cat $CG/mini/$id/cpu.max)" "50000 100000" "cpu.max after systemd reconfigured"
expect_eq "$(cat $CG/mini/$id/memory.max)" 67108864 "memory.max after systemd reconfigured"
grep -x "0::/mini/$id" "/proc/$pid/cgroup" >/dev/null || fail "systemd moved the container: $(cat /proc/$pid/cgroup)"
systemd-cgls --no-pager "$CG/mini" 2>&1 | head -5 || true
mini rm -f "$id" >/dev/null

# A container started from a service (a unit that ends): systemd kills what is left in the
# unit's cgroup, the monitor too; the container's own cgroup is outside the unit.
rc=0; out=$(systemd-run --quiet --pipe --wait --unit=mini-starter "$MINI" --root "$R" run -d --name from-unit busybox sleep 1000 2>&1) || rc=$?
echo "systemd-run --wait mini run -d: status $rc, output: $out"
systemctl status --no-pager -n 5 mini-starter.service 2>&1 | sed 's/^/  /' | head -12 || true
sleep 1
# (Seen: systemd SIGTERMs the monitor left in the unit's cgroup, which does not exit, and
# SIGKILLs it 90 s later: the unit ends "failed (Result: timeout)", the container runs on.)
cid=$(mini inspect -f '{{.Id}}' from-unit 2>&1) || echo "inspect from-unit: $cid"
cpid=$(mini inspect -f '{{.State.Pid}}' from-unit 2>&1) || true
alive=no; [ -n "$cpid" ] && [ "$cpid" != 0 ] && kill -0 "$cpid" 2>/dev/null && alive=yes
echo "started from a service that ended: state $(mini inspect -f '{{.State.Status}}' from-unit 2>&1), container process alive: $alive"
[ -d "$CG/mini/$cid" ] && echo "its cgroup mini/${cid:0:12} is still there"
rc=0; out=$(mini rm -f from-unit 2>&1) || rc=$?
echo "rm -f after the monitor was killed: status $rc $out"
[ ! -e "$CG/mini/$cid" ] || echo "FINDING: rm -f left mini/$cid"
echo PASS
