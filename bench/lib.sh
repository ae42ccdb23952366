# Sourced by the run benchmarks: timing and the busybox image they run.
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Cleanups are registered with on_exit, as in the integration tests: one EXIT trap for all.
source "$BENCH_DIR/../tests/integration/on_exit.bash"

# bench_time N NAME CMD...: prints "NAME<TAB>median ms<TAB>p90 ms" over N runs (after 3 warm-ups).
bench_time() { python3 "$BENCH_DIR/timeit.py" "$@"; }

# bench_busybox_rootfs DIR: a minimal rootfs from the host's busybox (root only in passwd/group).
bench_busybox_rootfs() {
  local d=$1 busybox=${2:-/bin/busybox}
  mkdir -p "$d/bin" "$d/etc" "$d/root" "$d/tmp"
  cp "$busybox" "$d/bin/busybox"
  for a in $("$d/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$d/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$d/etc/passwd"
  printf 'root:x:0:\n' >"$d/etc/group"
}
