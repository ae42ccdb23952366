# Sourced by the benchmarks that write stores (commit, apt_build, pull_push), after
# tests/integration/lib.sh (on_exit). mount_loop_fs DIR SIZE: mounts a fresh ext4 of SIZE (with
# a journal, as mkfs.ext4 makes it) on a loop device with direct I/O at DIR, used by this
# benchmark alone, and registers its unmount. On the host's ext4 without a journal, allocating
# inodes within a minute or so of deleting many costs seconds of system time ("recently deleted"
# inodes are skipped), which would charge one tool for another's cleanup. Call it after the
# fixtures whose cleanups must run later (the registry) and before start_private_dockerd, whose
# stop must run earlier.
mount_loop_fs() {
  LOOP_DIR=$1
  mkdir -p "$LOOP_DIR"
  truncate -s "$2" "$T/fs.img"
  mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "$T/fs.img"
  LOOPDEV=$(losetup --find --show --direct-io=on "$T/fs.img")
  on_exit unmount_loop_fs
  mount "$LOOPDEV" "$LOOP_DIR"
}
unmount_loop_fs() {
  [ -n "${LOOPDEV:-}" ] || return 0
  grep -F " $LOOP_DIR/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  if mountpoint -q "$LOOP_DIR"; then umount "$LOOP_DIR" 2>/dev/null || umount -l "$LOOP_DIR"; fi
  losetup -d "$LOOPDEV"
}
