#!/bin/bash
# pause/unpause (cgroup freezer, v1 or v2), restart, rename and top, with Docker's messages.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox
on_exit remove_all_containers

id=$(mini run -d --name ticker busybox sh -c 'while true; do echo tick >>/tmp/t; sleep 0.05; done')
sleep 0.3
expect_eq "$(mini pause ticker)" "ticker"
expect_eq "$(mini ps --format '{{.Names}} {{.State}}')" "ticker paused"
mini ps --format '{{.Status}}' | grep -E '^Up .*\(Paused\)$' >/dev/null || fail "ps status: $(mini ps --format '{{.Status}}')"
expect_eq "$(mini inspect -f '{{.State.Status}} {{.State.Paused}} {{.State.Running}}' ticker)" "paused true true"
# Frozen: the loop writes nothing while paused.
n1=$(wc -l <"$R/overlay2/$id/diff/tmp/t"); sleep 0.4; n2=$(wc -l <"$R/overlay2/$id/diff/tmp/t")
expect_eq "$n2" "$n1" "no progress while paused"
rc=0; err=$(mini pause ticker 2>&1) || rc=$?
expect_eq "$rc:$err" "1:mini: error: Container $id is already paused"
rc=0; err=$(mini exec ticker true 2>&1) || rc=$?
expect_eq "$rc:$err" "1:mini: error: Container $id is paused, unpause the container before exec"
expect_eq "$(mini unpause ticker)" "ticker"
sleep 0.3; n3=$(wc -l <"$R/overlay2/$id/diff/tmp/t")
[ "$n3" -gt "$n2" ] || fail "no progress after unpause ($n2 -> $n3)"
rc=0; err=$(mini unpause ticker 2>&1) || rc=$?
expect_eq "$rc:$err" "1:mini: error: Container $id is not paused"

# top: ps -ef's columns, the container's processes only.
out=$(mini top ticker)
expect_eq "$(head -1 <<<"$out" | tr -s ' ')" "UID PID PPID C STIME TTY TIME CMD"
grep -F "sh -c while true" <<<"$out" >/dev/null || fail "top: $out"
[ "$(wc -l <<<"$out")" -le 3 ] || fail "top shows more than the container: $out"

# rename, restart.
mini rename ticker clock
expect_eq "$(mini ps --format '{{.Names}}')" "clock"
rc=0; err=$(mini rename clock clock 2>&1) || rc=$?
expect_eq "$rc:$err" "1:mini: error: Renaming a container with the same name as its current name"
mini create --name other busybox true >/dev/null
rc=0; err=$(mini rename clock other 2>&1) || rc=$?
[[ $rc == 1 && $err == *'The container name "/other" is already in use by container'* ]] || fail "rename conflict: $rc $err"
pid1=$(mini inspect -f '{{.State.Pid}}' clock)
expect_eq "$(mini restart -t 1 clock)" "clock"
pid2=$(mini inspect -f '{{.State.Pid}}' clock)
[ "$pid1" != "$pid2" ] && [ "$(mini inspect -f '{{.State.Running}}' clock)" = true ] || fail "restart: pid $pid1 -> $pid2"
expect_eq "$(mini restart other)" "other" "restart of a created container starts it"

# A paused container can be stopped and removed; nothing stays frozen or behind.
mini pause clock >/dev/null
mini stop -t 1 clock >/dev/null
expect_eq "$(mini inspect -f '{{.State.Status}}' clock)" "exited"
mini rm clock >/dev/null
[ ! -e "/sys/fs/cgroup/freezer/mini/$id" ] || fail "freezer cgroup left behind"
echo PASS
