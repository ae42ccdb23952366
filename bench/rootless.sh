#!/usr/bin/env bash
# Benchmark: `run --rm busybox true`, rootless (an ordinary user created for the run, with
# /etc/subuid and /etc/subgid ranges) vs root, N times each (median, p90, after 3 warm-ups).
# Also times the user-namespace entry alone (`mini images`, rootless vs root).
# Usage: bench/rootless.sh [N]  (default 30).  Env: MINI=<binary> (default build/mini).
# Needs root (to create and remove the user); restores /etc/subuid and /etc/subgid.
set -euo pipefail
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
  set +e
  pkill -KILL -u "$U" 2>/dev/null
  sleep 0.2
  userdel "$U" 2>/dev/null
  cat "$W/subuid.bak" >/etc/subuid
  cat "$W/subgid.bak" >/etc/subgid
  grep -o " $W/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$W" "/dev/shm/mini-run-${UIDN:-none}" "/tmp/mini-run-${UIDN:-none}"
}
trap cleanup EXIT
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

mkdir -p "$W/bb/bin" "$W/bb/etc" "$W/bb/root" "$W/bb/tmp"
cp /bin/busybox "$W/bb/bin/busybox"
for a in $("$W/bb/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$W/bb/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$W/bb/etc/passwd"
printf 'root:x:0:\n' >"$W/bb/etc/group"
tar -C "$W/bb" -c . >"$W/bb.tar"

cat >"$W/timeit.py" <<'EOF'
import os, sys, time
n, name, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
null = os.open("/dev/null", os.O_RDWR)
acts = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1)]
def once():
    t = time.perf_counter()
    pid = os.posix_spawn(cmd[0], cmd, os.environ, file_actions=acts)
    _, st = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"{name}: {' '.join(cmd)} failed ({os.waitstatus_to_exitcode(st)})")
    return (time.perf_counter() - t) * 1000
for _ in range(3):
    once()
ts = sorted(once() for _ in range(n))
print(f"{name:<24}{ts[len(ts) // 2]:>10.2f}{ts[min(len(ts) - 1, (len(ts) * 9) // 10)]:>10.2f}")
EOF
# As the user without runuser's own cost in the loop: setpriv switches ids and execs mini.
AS_USER=(setpriv --reuid="$U" --regid="$U" --init-groups --reset-env -- env HOME="$W/home" XDG_RUNTIME_DIR="$W/run" PATH=/usr/bin:/bin)
"$W/bin/mini" --root "$W/root-store" import "$W/bb.tar" busybox >/dev/null
"${AS_USER[@]}" "$W/bin/mini" import "$W/bb.tar" busybox >/dev/null

echo "mini: $MINI, N=$N"
printf '%-24s%10s%10s\n' "" "median ms" "p90 ms"
python3 "$W/timeit.py" "$N" "root: run --rm true" "$W/bin/mini" --root "$W/root-store" run --rm busybox true
python3 "$W/timeit.py" "$N" "rootless: run --rm true" "$(command -v setpriv)" "${AS_USER[@]:1}" "$W/bin/mini" run --rm busybox true
AS_USER_DISK=("${AS_USER[@]/XDG_RUNTIME_DIR=$W\/run/XDG_RUNTIME_DIR=$W/rundisk}")
python3 "$W/timeit.py" "$N" "rootless, state on disk" "$(command -v setpriv)" "${AS_USER_DISK[@]:1}" "$W/bin/mini" run --rm busybox true
python3 "$W/timeit.py" "$N" "rootless, no XDG_RUNTIME" "$(command -v setpriv)" "${AS_USER[@]:1:5}" env HOME="$W/home" PATH=/usr/bin:/bin "$W/bin/mini" run --rm busybox true
python3 "$W/timeit.py" "$N" "root: images" "$W/bin/mini" --root "$W/root-store" images
python3 "$W/timeit.py" "$N" "rootless: images" "$(command -v setpriv)" "${AS_USER[@]:1}" "$W/bin/mini" images
python3 "$W/timeit.py" "$N" "setpriv alone" "$(command -v setpriv)" "${AS_USER[@]:1}" /bin/true
