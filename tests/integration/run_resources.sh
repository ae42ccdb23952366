#!/bin/bash
# Cgroup limits: memory (OOM -> 137), pids, cpus, cpuset; cgroups removed afterwards.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox

set +e
mini run --name oom -m 32m busybox sh -c 'x=a; while true; do x="$x$x"; done'; rc=$?
set -e
expect_eq $rc 137 "OOM kill"
grep -q '"OOMKilled":true' "$R/containers/$(mini ps -a -q --no-trunc)/state.json" || fail "OOMKilled not recorded"
mini rm oom >/dev/null

# A fork bomb stops at the pids limit.
out=$(mini run --rm --pids-limit 20 busybox sh -c 'for i in $(seq 40); do sleep 5 & done 2>&1; echo done' 2>&1 || true)
echo "$out" | grep "can't fork" >/dev/null || fail "pids limit did not stop forks: $out"

# --cpus and --cpuset-cpus land in the cgroup (the v1 or v2 files, whichever this host has).
id=$(mini run -d --cpus 0.25 --cpuset-cpus 0 --cpu-shares 512 busybox sleep 1000)
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  expect_eq "$(cat /sys/fs/cgroup/mini/$id/cpu.max)" "25000 100000"
  expect_eq "$(cat /sys/fs/cgroup/mini/$id/cpuset.cpus)" 0
else
  expect_eq "$(cat /sys/fs/cgroup/cpu/mini/$id/cpu.cfs_quota_us)" 25000
  expect_eq "$(cat /sys/fs/cgroup/cpu/mini/$id/cpu.shares)" 512
  expect_eq "$(cat /sys/fs/cgroup/cpuset/mini/$id/cpuset.cpus)" 0
fi
mini rm -f "$id" >/dev/null
for c in /sys/fs/cgroup/*/mini /sys/fs/cgroup/mini; do
  [ -d "$c" ] || continue
  [ -d "$c/$id" ] && fail "cgroup $c/$id left"
done

# --cpus 0.25 slows a busy loop about 4x: CPU time consumed in 2 s of wall time stays well
# under half a core (robust on a loaded 2-core host: only an upper bound on the throttled run).
if [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] || grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
  id=$(mini run -d --cpus 0.25 busybox sh -c 'while :; do :; done')
  pid=$(mini inspect "$id" | sed -n 's/^ *"Pid": \([0-9]*\),/\1/p')
  ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
  t0=$(ticks); sleep 2; t1=$(ticks)
  used=$(( (t1 - t0) * 100 / $(getconf CLK_TCK) / 2 ))  # percent of one core
  mini rm -f "$id" >/dev/null
  [ "$used" -lt 40 ] || fail "--cpus 0.25 used $used% of a core"
  [ "$used" -gt 5 ] || fail "--cpus 0.25 busy loop barely ran ($used%)"
  echo "--cpus 0.25: $used% of a core"
else
  echo "skip --cpus test: no cpu controller"
fi

# Swap is off with --memory: memsw equals the memory limit (v1 with swap accounting).
id=$(mini run -d -m 64m busybox sleep 1000)
if [ -f /sys/fs/cgroup/memory/mini/$id/memory.memsw.limit_in_bytes ]; then
  expect_eq "$(cat /sys/fs/cgroup/memory/mini/$id/memory.memsw.limit_in_bytes)" 67108864
fi
mini rm -f "$id" >/dev/null
echo PASS
