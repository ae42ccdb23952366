# Shared helpers for the integration tests (sourced, not run: lib.sh is skipped by ctest).
# Every test uses a private store root and removes it, with any mount under it, at exit.
# Cleanups are registered with on_exit (on_exit.bash), never with `trap ... EXIT`.
set -euo pipefail
: "${MINI:?MINI must point at the mini binary}"
[ "$(id -u)" = 0 ] || { echo "integration tests need root"; exit 77; }
source "$(dirname "${BASH_SOURCE[0]}")/on_exit.bash"
T=$(mktemp -d /tmp/mini-test.XXXXXX)
R=$T/root
# Registered first, so it runs last, after the fixtures' and the test's own cleanups.
cleanup_root() {
  # Unmount anything left under the test dir, deepest first, then remove it.
  grep -F " $T/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  # A user network the test left (it failed before its own cleanup) would outlive the store
  # that names it: its bridge, and its nftables rules, which refuse a later network on the
  # same subnet. Remove the unused ones properly (the shared default network stays).
  if [ -d "$R/networks" ] && [ -n "${MINI:-}" ]; then "$MINI" --root "$R" network prune -f >/dev/null 2>&1 || true; fi
  rm -rf "$T"
  # A test that breaks the host's /dev/null (a mount leaked out of a container, then removed
  # through) would poison every later test: say so here, and mend it.
  if [ ! -c /dev/null ]; then
    rm -f /dev/null && mknod -m 666 /dev/null c 1 3
    echo "FAIL: this test left the host's /dev/null broken (mended)" >&2
    return 1
  fi
}
on_exit cleanup_root
mini() { "$MINI" --root "$R" "$@"; }
# remove_all_containers: `mini rm -f` of every container in $R; a cleanup for tests that run
# detached containers (on_exit remove_all_containers), before cleanup_root removes $R.
remove_all_containers() {
  local ids
  ids=$(mini ps -a -q 2>/dev/null) || true
  [ -z "$ids" ] || mini rm -f $ids >/dev/null 2>&1 || true
}

# make_busybox_rootfs DIR: a minimal rootfs from the host's busybox-static.
make_busybox_rootfs() {
  local d=$1
  mkdir -p "$d/bin" "$d/etc" "$d/root" "$d/tmp" "$d/home/user"
  cp /bin/busybox "$d/bin/busybox"
  for a in $("$d/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$d/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$d/etc/passwd"
  printf 'root:x:0:\nuser:x:1000:\nwheel:x:10:user\nnogroup:x:65534:\n' >"$d/etc/group"
  chmod 1777 "$d/tmp"
  chown 1000:1000 "$d/home/user"
}

# import_busybox [REF]: imports the busybox rootfs as REF (default busybox:latest).
import_busybox() {
  make_busybox_rootfs "$T/bb"
  tar -C "$T/bb" -c . | mini import - "${1:-busybox:latest}" >/dev/null
}

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "expected [$2], got [$1]${3:+ ($3)}"; }
