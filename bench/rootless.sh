#!/usr/bin/env bash
# Benchmark: `run --rm busybox true`, rootless (an ordinary user created for the run, with
# /etc/subuid and /etc/subgid ranges) vs root, N times each (median, p90, after 3 warm-ups),
# both with --network none (root would otherwise be on the bridge, rootless on slirp4netns/none).
# Also times the user-namespace entry alone (`mini images`, rootless vs root).
# Usage: bench/rootless.sh [N]  (default 30).  Env: MINI=<binary> (default build/mini).
# Needs root (to create and remove the user); restores /etc/subuid and /etc/subgid.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
N=${1:-30}
MINI=${MINI:-$(cd "$(dirname "$0")/.." && pwd)/build/mini}
U=${BENCH_USER:-minibench}
[ "$(id -u)" = 0 ] || { echo "bench/rootless.sh needs root" >&2; exit 1; }
[ -x "$MINI" ] || { echo "no mini binary at $MINI (set MINI=)" >&2; exit 1; }
command -v newuidmap >/dev/null || { echo "newuidmap (uidmap) is needed" >&2; exit 1; }
id "$U" >/dev/null 2>&1 && { echo "user $U exists already" >&2; exit 1; }

W=$(mktemp -d /tmp/mini-bench-rootless.XXXXXX)
chmod 755 "$W"
cp /etc/subuid "$W/subuid.bak"
cp /etc/subgid "$W/subgid.bak"
cleanup() {
  pkill -KILL -u "$U" 2>/dev/null
  sleep 0.2
  userdel "$U" 2>/dev/null
  cat "$W/subuid.bak" >/etc/subuid
  cat "$W/subgid.bak" >/etc/subgid
  grep -o " $W/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$W" "/dev/shm/mini-run-${UIDN:-none}" "/tmp/mini-run-${UIDN:-none}"
}
on_exit cleanup
useradd -M -d "$W/home" -s /bin/sh "$U"
UIDN=$(id -u "$U")
{ cat "$W/subuid.bak"; echo "$U:400000:65536"; } >/etc/subuid
{ cat "$W/subgid.bak"; echo "$U:400000:65536"; } >/etc/subgid
mkdir -p "$W/home" "$W/run" "$W/rundisk" "$W/bin"
# $XDG_RUNTIME_DIR as pam_systemd makes it (/run/user/<uid>): a tmpfs of the user's, 0700.
mount -t tmpfs -o "mode=700,uid=$(id -u "$U"),gid=$(id -g "$U")" tmpfs "$W/run"
chown "$U:$U" "$W/home" "$W/rundisk"
chmod 700 "$W/rundisk"
cp "$MINI" "$W/bin/mini"
chmod 755 "$W/bin/mini"

bench_busybox_rootfs "$W/bb"
tar -C "$W/bb" -c . >"$W/bb.tar"

# timeit NAME CMD...: one table row, median and p90 over N runs.
timeit() { bench_time "$N" "$@" | awk -F'\t' '{ printf "%-24s%10s%10s\n", $1, $2, $3 }'; }
# As the user without runuser's own cost in the loop: setpriv switches ids and execs mini.
AS_USER=(setpriv --reuid="$U" --regid="$U" --init-groups --reset-env -- env HOME="$W/home" XDG_RUNTIME_DIR="$W/run" PATH=/usr/bin:/bin)
"$W/bin/mini" --root "$W/root-store" import "$W/bb.tar" busybox >/dev/null
"${AS_USER[@]}" "$W/bin/mini" import "$W/bb.tar" busybox >/dev/null

echo "mini: $MINI, N=$N"
printf '%-24s%10s%10s\n' "" "median ms" "p90 ms"
timeit "root: run --rm true" "$W/bin/mini" --root "$W/root-store" run --rm --network none busybox true
timeit "rootless: run --rm true" "$(command -v setpriv)" "${AS_USER[@]:1}" "$W/bin/mini" run --rm --network none busybox true
AS_USER_DISK=("${AS_USER[@]/XDG_RUNTIME_DIR=$W\/run/XDG_RUNTIME_DIR=$W/rundisk}")
timeit "rootless, state on disk" "$(command -v setpriv)" "${AS_USER_DISK[@]:1}" "$W/bin/mini" run --rm --network none busybox true
timeit "rootless, no XDG_RUNTIME" "$(command -v setpriv)" "${AS_USER[@]:1:5}" env HOME="$W/home" PATH=/usr/bin:/bin "$W/bin/mini" run --rm --network none busybox true
timeit "root: images" "$W/bin/mini" --root "$W/root-store" images
timeit "rootless: images" "$(command -v setpriv)" "${AS_USER[@]:1}" "$W/bin/mini" images
timeit "setpriv alone" "$(command -v setpriv)" "${AS_USER[@]:1}" /bin/true
