#!/bin/bash
# -v binds (rw, ro), named volumes (seeded from the image), --tmpfs, --read-only, and mount
# targets that are symlinks in the image staying inside the rootfs.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox
mkdir -p "$T/host"
echo data >"$T/host/f"

expect_eq "$(mini run --rm -v "$T/host:/mnt/h" busybox cat /mnt/h/f)" data
mini run --rm -v "$T/host:/mnt/h" busybox sh -c 'echo new > /mnt/h/g'
expect_eq "$(cat "$T/host/g")" new
if mini run --rm -v "$T/host:/mnt/h:ro" busybox touch /mnt/h/x 2>/dev/null; then fail "ro bind writable"; fi

mini run --rm -v vol:/data busybox sh -c 'echo hi > /data/x'
expect_eq "$(mini run --rm -v vol:/data busybox cat /data/x)" hi
expect_eq "$(cat "$R/volumes/vol/_data/x")" hi
mini run --rm -v etcvol:/etc busybox true
[ -f "$R/volumes/etcvol/_data/passwd" ] || fail "named volume not seeded from the image"

expect_eq "$(mini run --rm --tmpfs /run busybox sh -c 'touch /run/x && grep " /run " /proc/self/mounts | cut -d" " -f3')" tmpfs
if mini run --rm --read-only busybox touch /x 2>/dev/null; then fail "--read-only root writable"; fi
mini run --rm --read-only busybox touch /dev/shm/x || fail "/dev/shm not writable with --read-only"

# Symlinks in the image point at host paths: the mounts must land inside the rootfs.
make_busybox_rootfs "$T/evil"
ln -s "$T/escape" "$T/evil/abs"
ln -s ../../../../../../../../..$T/escape2 "$T/evil/rel"
tar -C "$T/evil" -c . | mini import - evil >/dev/null
mkdir -p "$T/escape" "$T/escape2"
mini run --rm -v "$T/host:/abs/m" -v "$T/host:/rel/m" --tmpfs /abs/t evil sh -c "cat /abs/m/f /rel/m/f >/dev/null"
expect_eq "$(ls -A "$T/escape" "$T/escape2" | grep -v : | grep -v '^$' | wc -l)" 0 "a mount escaped through a symlink"
grep -q " $R/" /proc/self/mountinfo && fail "mounts left under the root"
echo PASS
