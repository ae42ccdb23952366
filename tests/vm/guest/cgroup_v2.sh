#!/bin/bash
# The runner's limits on a real cgroup v2 host (the VM guest of tests/vm, or any pure v2 host;
# skips elsewhere): memory (OOM -> 137, recorded), memory+swap, --cpus throttles a busy loop
# about 4x, --cpuset-cpus pins it, --pids-limit stops a fork bomb, the BPF device program
# (a node made with mknod cannot be opened, /dev/null can; --privileged lifts it),
# --oom-kill-disable discarded with Docker's warning, pause/unpause through cgroup.freeze (and
# stop of a paused container),
# exec joins the container's cgroup, and nothing is left under /sys/fs/cgroup/mini.
source "$SRC_DIR/tests/integration/lib.sh"
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || { echo "skip: /sys/fs/cgroup is not cgroup2"; exit 77; }
import_busybox
on_exit remove_all_containers
CG=/sys/fs/cgroup/mini
pid_of() { mini inspect -f '{{.State.Pid}}' "$1"; }
# cpu_percent PID SECONDS: the percent of one cpu PID used over SECONDS of wall time.
cpu_percent() {
  local a b
  a=$(awk '{print $14 + $15}' "/proc/$1/stat"); sleep "$2"; b=$(awk '{print $14 + $15}' "/proc/$1/stat")
  echo $(( (b - a) * 100 / $(getconf CLK_TCK) / $2 ))
}
# no_cgroup_left ID: the container's cgroup is gone.
no_cgroup_left() { [ ! -e "$CG/$1" ] || fail "cgroup $CG/$1 left: $(cat "$CG/$1/cgroup.procs" 2>&1)"; }

# Memory: the limit, an OOM kill -> 137 and OOMKilled, the kill counted in memory.events.
id=$(mini run -d -m 48m busybox sleep 1000)
expect_eq "$(cat $CG/$id/memory.max)" 50331648 "memory.max"
expect_eq "$(cat $CG/$id/memory.swap.max)" 0 "memory.swap.max without --memory-swap"
mini rm -f "$id" >/dev/null
no_cgroup_left "$id"
rc=0; mini run --name oom -m 32m busybox sh -c 'x=a; while true; do x="$x$x"; done' || rc=$?
expect_eq "$rc" 137 "OOM kill"
expect_eq "$(mini inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' oom)" "true 137"
mini rm oom >/dev/null

# --memory-swap: 48 MiB in one buffer fits -m 32m only when swap is allowed (the guest swaps on
# zram; without swap only the file's value is checked).
fill='dd if=/dev/zero of=/dev/null bs=48M count=1 2>/dev/null && echo filled'
id=$(mini run -d -m 32m --memory-swap 96m busybox sleep 1000)
expect_eq "$(cat $CG/$id/memory.swap.max)" 67108864 "memory.swap.max = memory-swap - memory"
mini rm -f "$id" >/dev/null
id=$(mini run -d -m 32m --memory-swap -1 busybox sleep 1000)
expect_eq "$(cat $CG/$id/memory.swap.max)" max "--memory-swap -1"
mini rm -f "$id" >/dev/null
if [ "$(awk 'NR > 1' /proc/swaps | wc -l)" -gt 0 ]; then
  expect_eq "$(mini run --rm -m 32m --memory-swap 96m busybox sh -c "$fill")" filled "48 MiB with swap"
  rc=0; mini run --rm -m 32m --memory-swap 32m busybox sh -c "$fill" || rc=$?
  expect_eq "$rc" 137 "48 MiB in -m 32m without swap"
else
  echo "no swap: --memory-swap behaviour not checked"
fi

# --cpus 0.25: a busy loop gets about a quarter of the cpu an unlimited one gets.
id=$(mini run -d busybox sh -c 'while :; do :; done')
free=$(cpu_percent "$(pid_of "$id")" 3)
mini rm -f "$id" >/dev/null
id=$(mini run -d --cpus 0.25 busybox sh -c 'while :; do :; done')
expect_eq "$(cat $CG/$id/cpu.max)" "25000 100000" "cpu.max"
slow=$(cpu_percent "$(pid_of "$id")" 3)
throttled=$(awk '$1 == "nr_throttled" {print $2}' $CG/$id/cpu.stat)
mini rm -f "$id" >/dev/null
echo "busy loop: $free% of a cpu unlimited, $slow% with --cpus 0.25 (throttled $throttled times)"
[ "$slow" -ge 10 ] && [ "$slow" -le 35 ] || fail "--cpus 0.25 used $slow% of a cpu"
[ "$free" -ge $((slow * 5 / 2)) ] || fail "--cpus 0.25 did not slow the loop: $free% -> $slow%"
[ "$throttled" -gt 0 ] || fail "cpu.stat counts no throttling"

# --cpuset-cpus: the container's processes may run on the named cpus only.
ncpu=$(nproc)
if [ "$ncpu" -ge 2 ]; then
  last=$((ncpu - 1))
  expect_eq "$(mini run --rm --cpuset-cpus $last busybox sh -c 'grep Cpus_allowed_list /proc/self/status | cut -f2')" "$last"
  id=$(mini run -d --cpuset-cpus 0 --cpuset-mems 0 busybox sleep 1000)
  expect_eq "$(cat $CG/$id/cpuset.cpus.effective)" 0 "cpuset.cpus.effective"
  expect_eq "$(cat $CG/$id/cpuset.mems)" 0 "cpuset.mems"
  mini rm -f "$id" >/dev/null
fi
rc=0; err=$(mini run --rm --cpuset-cpus 64 busybox true 2>&1) || rc=$?
[ "$rc" = 125 ] && grep -F "cpuset.cpus" <<<"$err" >/dev/null || fail "--cpuset-cpus 64: $rc $err"
[ -z "$(ls $CG 2>/dev/null | grep -E '^[0-9a-f]{64}$')" ] || fail "a failed start left a cgroup: $(ls $CG)"

# --cpu-shares -> cpu.weight (runc's conversion).
id=$(mini run -d --cpu-shares 512 busybox sleep 1000)
expect_eq "$(cat $CG/$id/cpu.weight)" 20 "cpu.weight of 512 shares"
mini rm -f "$id" >/dev/null

# --pids-limit: a fork bomb stops at the limit, and pids.events counts the refusals.
# (The shell that cannot fork exits: the bomb runs in a subshell, the container's shell stays.)
id=$(mini run -d --pids-limit 20 busybox sh -c '(for i in $(seq 40); do sleep 100 & done) 2>/tmp/err; exec sleep 1000')
sleep 2
expect_eq "$(cat $CG/$id/pids.max)" 20 "pids.max"
cur=$(cat $CG/$id/pids.current)
[ "$cur" -le 20 ] || fail "pids.current $cur above the limit"
[ "$(awk '$1 == "max" {print $2}' $CG/$id/pids.events)" -gt 0 ] || fail "pids.events counts no refused fork"
grep "can't fork" "$R/overlay2/$id/diff/tmp/err" >/dev/null || fail "the fork bomb was not stopped: $(cat "$R/overlay2/$id/diff/tmp/err")"
mini rm -f "$id" >/dev/null
no_cgroup_left "$id"

# Devices: mknod is allowed, opening a node outside the allow list is not (EPERM from the BPF
# program; /dev is not nodev), /dev/null and /dev/zero work; --privileged attaches no program.
out=$(mini run --rm busybox sh -c 'mknod /dev/xmem c 1 1 && echo made; head -c 1 /dev/xmem >/dev/null 2>/tmp/e; cat /tmp/e; echo x >/dev/null && head -c 1 /dev/zero | wc -c' 2>&1)
grep -x made <<<"$out" >/dev/null || fail "mknod refused: $out"
grep "Operation not permitted" <<<"$out" >/dev/null || fail "/dev/mem (c 1:1) could be opened: $out"
grep -x 1 <<<"$out" >/dev/null || fail "/dev/null or /dev/zero refused: $out"
if [ -b /dev/zram0 ]; then
  mm=$(stat -c '%t %T' /dev/zram0)
  set -- $mm
  out=$(mini run --rm busybox sh -c "mknod /dev/xblk b $((16#$1)) $((16#$2)) && head -c 1 /dev/xblk" 2>&1 || true)
  grep "Operation not permitted" <<<"$out" >/dev/null || fail "a block device could be opened: $out"
fi
out=$(mini run --rm --privileged busybox sh -c 'mknod /dev/xmem c 1 1 && head -c 1 /dev/xmem | wc -c' 2>&1)
expect_eq "$out" 1 "--privileged reads /dev/mem"

# --oom-kill-disable: cgroup v2 has no such knob; Docker discards it with a warning.
out=$(mini run --rm -m 32m --oom-kill-disable busybox echo ran 2>&1)
grep -x ran <<<"$out" >/dev/null || fail "--oom-kill-disable: $out"
grep -F "WARNING: Your kernel does not support OomKillDisable. OomKillDisable discarded." <<<"$out" >/dev/null ||
  fail "--oom-kill-disable without Docker's warning: $out"

# pause/unpause: cgroup.freeze; a frozen busy loop uses no cpu; exec joins the cgroup.
id=$(mini run -d busybox sh -c 'while :; do :; done')
pid=$(pid_of "$id")
grep -x "0::/mini/$id" "/proc/$pid/cgroup" >/dev/null || fail "container in $(cat /proc/$pid/cgroup)"
expect_eq "$(mini exec "$id" cat /proc/self/cgroup | grep -c "^0::/$\|^0::/mini/$id$")" 1 "exec joins the cgroup"
mini pause "$id" >/dev/null
grep -x "frozen 1" $CG/$id/cgroup.events >/dev/null || fail "not frozen: $(cat $CG/$id/cgroup.events)"
expect_eq "$(cpu_percent "$pid" 1)" 0 "cpu of a paused loop"
mini unpause "$id" >/dev/null
grep -x "frozen 0" $CG/$id/cgroup.events >/dev/null || fail "not thawed: $(cat $CG/$id/cgroup.events)"
[ "$(cpu_percent "$pid" 1)" -gt 20 ] || fail "the loop did not resume"
mini pause "$id" >/dev/null
mini rm -f "$id" >/dev/null
no_cgroup_left "$id"

# stop of a paused container: the kill reaches frozen tasks (v2 lets SIGKILL through).
id=$(mini run -d busybox sleep 1000)
mini pause "$id" >/dev/null
read -r t0 _ </proc/uptime
mini stop -t 1 "$id" >/dev/null
read -r t1 _ </proc/uptime
expect_eq "$(mini inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" "exited 137" "stop of a paused container"
awk -v a="$t0" -v b="$t1" 'BEGIN {exit !(b - a < 15)}' || fail "stop of a paused container took $t0 -> $t1"
mini rm "$id" >/dev/null
no_cgroup_left "$id"

# --rm, run after run: nothing is left in the tree.
for i in 1 2 3; do mini run --rm -m 16m --pids-limit 10 busybox true; done
left=$(find $CG -mindepth 1 -type d 2>/dev/null)
[ -z "$left" ] || fail "cgroups left: $left"
echo PASS
