#!/bin/bash
# build_guest_systemd.sh: prints the path of the cached root image of the systemd guest
# (pure cgroup v2 booted by systemd, Debian 12's default), building it first when needed: a
# debootstrap --variant=minbase of bookworm from the configured Debian mirror with systemd and
# the libraries mini loads, plus mini-vm-tests.service (runs /vm/run-tests, which the base
# initramfs copies in with the payload), as an ext4 image made with mkfs.ext4 -d (no loop
# mount). The base guest's kernel and initramfs boot it (guest/init, mini.root=/dev/vda);
# QEMU opens the image with snapshot=on, so runs never change it.
# Cache: $MINI_VM_CACHE/systemd-<hash of this script and the mirror>. Exit 77 without debootstrap.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${MINI_VM_CACHE:-/var/cache/mini-test}
command -v debootstrap >/dev/null || { echo "skip: debootstrap is not installed" >&2; exit 77; }
MIRROR=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$MIRROR" ] || MIRROR=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
key=$( { sha256sum "$HERE/build_guest_systemd.sh"; echo "$MIRROR"; } | sha256sum | cut -c1-16)
OUT=$CACHE/systemd-$key
if [ -f "$OUT/root.ext4" ]; then echo "$OUT/root.ext4"; exit 0; fi

start=$(date +%s.%N)
work=$(mktemp -d "$CACHE/build-systemd.XXXXXX")
source "$HERE/../integration/on_exit.bash"
on_exit 'rm -rf "$work"'
# The debootstrap itself is cached apart (minutes; the image around it takes seconds), keyed by
# its package list. busybox-static: the tests' images (lib.sh) and run-tests' poweroff; uidmap
# (newuidmap, newgidmap) and dbus-user-session: the rootless tests' ordinary user, as podman
# needs them on such a host.
PKGS=systemd,systemd-sysv,dbus,dbus-user-session,uidmap,busybox-static,libarchive13,libnftables1,libseccomp2,libisal2,libdeflate0
base=$CACHE/debootstrap-bookworm-$(echo "$PKGS" | sha256sum | cut -c1-8)
if [ ! -e "$base/.complete" ]; then
  rm -rf "$base.tmp"
  nice -n 15 debootstrap --variant=minbase \
    --include="$PKGS" \
    bookworm "$base.tmp" "$MIRROR" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; rm -rf "$base.tmp"; exit 1; }
  rm -rf "$base.tmp"/var/cache/apt/archives/*.deb "$base.tmp"/var/lib/apt/lists/*
  : >"$base.tmp/.complete"
  rm -rf "$base" && mv "$base.tmp" "$base"
fi
r=$work/root
cp -a "$base" "$r"
echo mini-vm >"$r/etc/hostname"
: >"$r/etc/machine-id"
printf '127.0.0.1 localhost mini-vm\n' >"$r/etc/hosts"
: >"$r/etc/fstab"
cat >"$r/etc/systemd/system/mini-vm-tests.service" <<'EOF'
[Unit]
Description=mini's tests in the VM guest (tests/vm)
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/bin/sh /vm/run-tests
EOF
mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
ln -s /etc/systemd/system/mini-vm-tests.service "$r/etc/systemd/system/multi-user.target.wants/"
# Nothing waits for a login or a network that is not there.
for u in getty@tty1.service serial-getty@ttyS0.service systemd-networkd-wait-online.service; do
  ln -sf /dev/null "$r/etc/systemd/system/$u"
done
mkfs.ext4 -q -F -L mini-vm -d "$r" "$work/root.ext4" 3G >&2
rm -rf "$r"
mkdir -p "$OUT.tmp" && mv "$work/root.ext4" "$OUT.tmp/" && mv "$OUT.tmp" "$OUT"
for old in "$CACHE"/systemd-*; do [ -e "$old" ] && [ "$old" != "$OUT" ] && rm -rf "$old"; done
awk -v s="$start" -v e="$(date +%s.%N)" -v o="$OUT" 'BEGIN {printf "build_guest_systemd: %s built in %.1f s\n", o, e - s}' >&2
echo "$OUT/root.ext4"
