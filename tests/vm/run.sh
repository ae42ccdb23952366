#!/bin/bash
# run.sh [-o OUTDIR] TEST...: boots the cached guest (build_guest.sh) under QEMU TCG with the
# freshly built mini and runs each TEST (a path under the source tree, e.g.
# tests/vm/guest/cgroup_v2.sh) inside it; prints the tests' output and exits 0 when every test
# passed or skipped, 1 otherwise (or when the guest printed no result), 77 when QEMU or the
# kernel package is missing.
#   MINI          the mini binary (required); a copy without debug info goes into the guest
#   SRC_DIR       the source tree (default: two levels up from here)
#   MINI_VM_TIMEOUT  seconds before QEMU is killed (default 540)
#   MINI_VM_MEM, MINI_VM_SMP  guest memory (MiB, default 1024) and cpus (default 2)
#   MINI_VM_GUEST    cgroupfs (default: guest/init is PID 1, no systemd) or systemd (the
#                    root image of build_guest_systemd.sh, booted by systemd)
# The guest has no network device. One VM at a time on this host (flock on the cache); QEMU
# runs under nice -n 15 and is killed on any exit of this script (cleanups: on_exit.bash).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=${SRC_DIR:-$(cd "$HERE/../.." && pwd)}
: "${MINI:?MINI must point at the mini binary}"
OUTDIR=""
if [ "${1:-}" = -o ]; then OUTDIR=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: run.sh [-o OUTDIR] TEST..." >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "skip: qemu-system-x86_64 is not installed"; exit 77; }
CACHE=${MINI_VM_CACHE:-/var/cache/mini-test}
mkdir -p "$CACHE"

source "$SRC_DIR/tests/integration/on_exit.bash"
work=$(mktemp -d /tmp/mini-vm.XXXXXX)
QEMU_PID=""
# QEMU runs under timeout(1), which outlives even a kill -9 of this script and ends QEMU at
# the deadline; this cleanup ends it at once (timeout passes the TERM on).
stop_qemu() {
  if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
    kill -TERM "$QEMU_PID" 2>/dev/null || true
    wait "$QEMU_PID" 2>/dev/null || true
  fi
  return 0
}
keep_logs() { [ -z "$OUTDIR" ] || { mkdir -p "$OUTDIR" && cp "$work"/*.log "$OUTDIR"/; } || true; }
on_exit rm -rf "$work"
on_exit keep_logs
on_exit stop_qemu

# One VM at a time: the lock is held until this script exits.
exec 9>"$CACHE/vm.lock"
flock 9

t0=$(date +%s.%N)
set +e
guest=$(bash "$HERE/build_guest.sh" "$MINI")
rc=$?
set -e
[ $rc = 0 ] || exit $rc
drive=() append=""
if [ "${MINI_VM_GUEST:-cgroupfs}" = systemd ]; then
  set +e
  rootimg=$(bash "$HERE/build_guest_systemd.sh")
  rc=$?
  set -e
  [ $rc = 0 ] || exit $rc
  drive=(-drive "file=$rootimg,format=raw,if=virtio,snapshot=on")
  append=" mini.root=/dev/vda"
fi
t1=$(date +%s.%N)

# The payload: mini without debug info, the test sources, the test list.
p=$work/payload
mkdir -p "$p/vm/src"
objcopy --strip-debug "$MINI" "$p/vm/mini"
cp -a "$SRC_DIR/tests" "$p/vm/src/"
mkdir -p "$p/vm/src/scripts" && cp "$SRC_DIR"/scripts/*.sh "$p/vm/src/scripts/"
rm -rf "$p/vm/src/tests/build_testdata"
printf '%s\n' "$@" >"$p/vm/tests.list"
env | grep -E '^MINI_VM_TEST_' | sed "s/=\(.*\)/='\1'/" >"$p/vm/env" || true
(cd "$p" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$work/payload.cpio.gz"
cat "$guest/base.cpio.gz" "$work/payload.cpio.gz" >"$work/initrd"
t2=$(date +%s.%N)

: >"$work/results.log"
timeout_s=${MINI_VM_TIMEOUT:-540}
TMPDIR=$work nice -n 15 timeout -s KILL "$((timeout_s + 10))" qemu-system-x86_64 -accel tcg -cpu max -smp "${MINI_VM_SMP:-2}" -m "${MINI_VM_MEM:-1024}" \
  -nodefaults -display none -monitor none -no-reboot \
  -serial "file:$work/console.log" -serial "file:$work/results.log" \
  -kernel "$guest/vmlinuz" -initrd "$work/initrd" "${drive[@]}" \
  -append "console=ttyS0 panic=-1 quiet rdinit=/init$append" &
QEMU_PID=$!
# Wait for QEMU (the guest powers off) or the timeout, whichever comes first.
deadline=$(($(date +%s) + timeout_s))
while kill -0 "$QEMU_PID" 2>/dev/null; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "run.sh: the guest did not power off within ${timeout_s} s: killing QEMU" >&2
    stop_qemu
    break
  fi
  sleep 1
done
wait "$QEMU_PID" 2>/dev/null || true
QEMU_PID=""
t3=$(date +%s.%N)

tr -d '\r' <"$work/results.log" >"$work/results.txt" && mv "$work/results.txt" "$work/results.log"
cat "$work/results.log"
boot=$(sed -n 's/^MINI-VM-BOOTED uptime=\([0-9.]*\).*/\1/p' "$work/results.log")
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v boot="${boot:-?}" 'BEGIN {
  printf "run.sh: guest build/cache %.1f s, payload %.1f s, VM %.1f s (kernel to init stage 2: %s s)\n", b - a, c - b, d - c, boot }'
result=$(sed -n 's/^MINI-VM-RESULT \([0-9]*\)/\1/p' "$work/results.log")
if [ -z "$result" ]; then
  echo "run.sh: the guest reported no result; its console:" >&2
  tail -n 40 "$work/console.log" >&2
  exit 1
fi
exit "$result"
