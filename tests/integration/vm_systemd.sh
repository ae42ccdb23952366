#!/bin/bash
# The systemd cgroup driver on a real host booted by systemd: boots the tests/vm systemd guest
# (QEMU TCG, Debian 12 rootfs, pure cgroup v2) and runs tests/vm/guest/systemd_driver.sh and
# rootless_v2.sh (an ordinary user under user@1000.service's delegation) inside.
# Skips when qemu-system-x86_64 or debootstrap is missing. The root image is cached in
# /var/cache/mini-test (a cold build: debootstrap from the Debian mirror, minutes).
source "$SRC_DIR/tests/integration/lib.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "skip: qemu-system-x86_64 is not installed"; exit 77; }
"$MINI" --root "$T/root" --cgroup-manager systemd info 2>&1 | grep -F "built without libsystemd" >/dev/null &&
  { echo "skip: mini was built without libsystemd"; exit 77; }
MINI_VM_GUEST=systemd MINI=$MINI SRC_DIR=$SRC_DIR bash "$SRC_DIR/tests/vm/run.sh" -o "$T/logs" \
  tests/vm/guest/systemd_driver.sh tests/vm/guest/rootless_v2.sh tests/vm/guest/userns_overlay.sh
echo PASS
