#!/bin/bash
# --cgroup-manager and $MINI_CGROUP_MANAGER on this host (the systemd driver itself runs in the
# systemd VM guest: vm_systemd): the global flag with its value before the command (also before
# a management alias), the names checked, the manager recorded in config.json, `info`'s
# "Cgroup Driver", and one line naming what is missing when systemd cannot be used here.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox
on_exit remove_all_containers
v2=no; [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && v2=yes
sd=no; [ "$(cat /proc/1/comm)" = systemd ] && [ $v2 = yes ] && sd=yes

expect_eq "$(mini --cgroup-manager cgroupfs run --rm busybox echo ok)" ok "--cgroup-manager VALUE run"
expect_eq "$(mini --cgroup-manager=cgroupfs container ls -a -q | wc -l)" 0 "--cgroup-manager=VALUE and an alias"
expect_eq "$(mini --cgroup-manager cgroupfs info | sed -n 's/^ *Cgroup Driver: //p')" cgroupfs "info"
[ $sd = yes ] || expect_eq "$(mini info | sed -n 's/^ *Cgroup Driver: //p')" cgroupfs "info's default on a host without systemd v2"
id=$(mini --cgroup-manager cgroupfs create busybox true)
grep -F '"CgroupManager":"cgroupfs"' "$R/containers/$id/config.json" >/dev/null || fail "config.json: $(cat "$R/containers/$id/config.json")"
mini rm "$id" >/dev/null

rc=0; out=$(mini --cgroup-manager sd ps 2>&1) || rc=$?
expect_eq "$rc:$out" '125:mini: error: --cgroup-manager "sd": want cgroupfs or systemd'
rc=0; out=$(MINI_CGROUP_MANAGER=cgroups mini run --rm busybox true 2>&1) || rc=$?
expect_eq "$rc:$out" '125:mini: error: MINI_CGROUP_MANAGER "cgroups": want cgroupfs or systemd'
if [ $v2 = no ]; then
  rc=0; out=$(mini --cgroup-manager systemd run --rm busybox true 2>&1) || rc=$?
  want='mini: error: --cgroup-manager systemd: needs a pure cgroup v2 host (this one has cgroup v1 controllers); use cgroupfs'
  grep -F "built without libsystemd" <<<"$out" >/dev/null &&
    want='mini: error: --cgroup-manager systemd: this mini was built without libsystemd (sd-bus); use cgroupfs'
  expect_eq "$rc:$out" "125:$want" "systemd on a cgroup v1/hybrid host"
  expect_eq "$(mini ps -a -q | wc -l)" 0 "a refused create leaves nothing"
fi
echo PASS
