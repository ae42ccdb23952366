#!/usr/bin/env bash
# Benchmark (not part of ctest): `commit` of a container that wrote ~200 MB of new files (four
# copies of ~50 MB of the host's Debian /usr/lib: the files of its essential packages, then
# shared libraries), then `push` of the new image to a local docker-registry; mini against
# docker (a private dockerd), side by side. Also a build step: `mini build` of a RUN writing the
# same files, with the pack rate of its layer (tar MB/s, from `mini --debug`), and the layer
# sizes against `gzip -6` of the same tar.
#
# Fairness: the same busybox image and files for both; both stores (mini's root, dockerd's
# data-root) on one fresh ext4 on a loop device used by this benchmark alone (the host's ext4
# without a journal charges file creation for recent deletions by anyone: see pull_push.sh);
# `sync` before every timed command (no one pays the container's writeback), no cache drop (the
# container's files are in the page cache for both, as right after a real run); rounds
# alternate the order; medians of wall time, and of CPU time (user + system; docker's includes
# dockerd's, which does the work).
# Usage: MINI=build/mini bench/commit.sh [ROUNDS]   (as root; default 3 rounds)
#   MINI_BASELINE=old/mini adds an older build's commit and push (before/after).
set -euo pipefail
MINI=${MINI:-$(cd "$(dirname "$0")/.." && pwd)/build/mini}
export MINI
RUNS=${1:-3}
HERE=$(cd "$(dirname "$0")/../tests/integration" && pwd)
source "$HERE/lib.sh"
source "$HERE/registry_fixture.bash"
source "$HERE/dockerd.bash"
on_exit remove_all_containers

# ~50 MB like a Debian /usr/lib: the essential packages' files there, then shared libraries.
SRC=$T/src
mkdir -p "$SRC"
for p in $(dpkg-query -W -f='${Package} ${Priority} ${Essential}\n' | awk '$2=="required" || $3=="yes" {print $1}'); do
  dpkg -L "$p" 2>/dev/null
done | grep -E '^/(usr/)?lib/' | sed 's#^/lib/#/usr/lib/#' | sort -u | while read -r f; do
  [ -f "$f" ] && [ ! -L "$f" ] && echo "$f"
done >"$T/files"
tar -cf - -T "$T/files" 2>/dev/null | tar -C "$SRC" -xf -
for f in /usr/lib/x86_64-linux-gnu/*.so.*; do
  [ -L "$f" ] || [[ "$f" == *LLVM* ]] && continue
  [ "$(du -sb "$SRC" | cut -f1)" -gt 50000000 ] && break
  cp -p -n "$f" "$SRC/usr/lib/x86_64-linux-gnu/"
done
WRITE='for i in 1 2 3 4; do cp -a /src/usr/lib /data$i; done'
echo "files: $(du -sb "$SRC" | cut -f1 | awk '{printf "%.1f MB", $1/1e6}') x 4, $(find "$SRC" -type f | wc -l) x 4 files; $(nproc) cores"

import_busybox
mini save -o "$T/busybox.tar" busybox:latest

OUT=$T/out
mkdir -p "$OUT"
LOOPDEV=
unmount_out() {  # runs after stop_private_dockerd (registered later, so run earlier)
  [ -n "$LOOPDEV" ] || return 0
  if mountpoint -q "$OUT"; then umount "$OUT" 2>/dev/null || umount -l "$OUT"; fi
  losetup -d "$LOOPDEV"
}
on_exit unmount_out
truncate -s 20G "$T/fs.img"
mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "$T/fs.img"
LOOPDEV=$(losetup --find --show --direct-io=on "$T/fs.img")
mount "$LOOPDEV" "$OUT"

now() { date +%s.%N; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
declare -A walls=() cpus=()
add() {  # add NAME ROUND WALL CPU
  walls[$1]="${walls[$1]:-} $3"
  cpus[$1]="${cpus[$1]:-} $4"
  printf '  round %s  %-28s %6.2fs wall %6.2fs cpu\n' "$2" "$1" "$3" "$4"
}
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
timed() { [ -n "${walls[$1]:-}" ] && echo "${walls[$1]}" | median || echo 0; }
medc() { [ -n "${cpus[$1]:-}" ] && echo "${cpus[$1]}" | median || echo 0; }
ratio() { [ "$(echo "$2 > 0" | bc)" = 1 ] && echo "scale=2; $1 / $2" | bc || echo -; }
printf '\n%-22s %8s %8s %7s %9s %9s %7s\n' "median of $RUNS" "mini" "docker" "ratio" "mini cpu" "dock cpu" "ratio"
for k in commit push; do
  m=$(med "mini $k") d=$(med "docker $k") mc=$(medc "mini $k") dc=$(medc "docker $k")
  printf '%-22s %7.2fs %7.2fs %7s %8.2fs %8.2fs %7s\n' "$k" "$m" "$d" "$(ratio "$m" "$d")" "$mc" "$dc" "$(ratio "$mc" "$dc")"
done
m=$(echo "$(med "mini commit") + $(med "mini push")" | bc) d=$(echo "$(med "docker commit") + $(med "docker push")" | bc)
mc=$(echo "$(medc "mini commit") + $(medc "mini push")" | bc) dc=$(echo "$(medc "docker commit") + $(medc "docker push")" | bc)
printf '%-22s %7.2fs %7.2fs %7s %8.2fs %8.2fs %7s\n' "commit + push" "$m" "$d" "$(ratio "$m" "$d")" "$mc" "$dc" "$(ratio "$mc" "$dc")"
if [ -n "${MINI_BASELINE:-}" ]; then
  printf '%-22s %7.2fs commit (%.2fs cpu), %.2fs push (%.2fs cpu)\n' "baseline mini" "$(med "baseline commit")" \
    "$(medc "baseline commit")" "$(med "baseline push")" "$(medc "baseline push")"
fi
[ -z "$rates" ] || echo "build step pack + register: median $(echo "$rates" | median) MB/s of tar"
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg); wall times on a shared machine are noisy, CPU times less so)"
