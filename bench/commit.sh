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
#   FILES=small: the container writes 100,000 small files instead (one copy).
set -euo pipefail
MINI=${MINI:-$(cd "$(dirname "$0")/.." && pwd)/build/mini}
export MINI
RUNS=${1:-3}
HERE=$(cd "$(dirname "$0")/../tests/integration" && pwd)
source "$HERE/lib.sh"
source "$HERE/registry_fixture.bash"
source "$HERE/dockerd.bash"
on_exit remove_all_containers

SRC=$T/src
mkdir -p "$SRC"
if [ "${FILES:-lib}" = small ]; then
  # FILES=small: 100,000 small files in 100 directories (the tree pull_push.sh's IMAGE=small
  # pulls), written once.
  python3 "$(dirname "$0")/small_files.py" "$SRC"
  WRITE='cp -a /src /data'
else
# ~50 MB like a Debian /usr/lib: the essential packages' files there, then shared libraries.
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
fi
echo "files: $(du -sb "$SRC" | cut -f1 | awk '{printf "%.1f MB", $1/1e6}'), $(find "$SRC" -type f | wc -l) files, written by: $WRITE; $(nproc) cores"

import_busybox
mini save -o "$T/busybox.tar" busybox:latest

OUT=$T/out
source "$(dirname "$0")/loop_fs.bash"
mount_loop_fs "$OUT" 20G

now() { date +%s.%N; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
declare -A walls=() cpus=()
add() {  # add NAME ROUND WALL CPU
  walls[$1]="${walls[$1]:-} $3"
  cpus[$1]="${cpus[$1]:-} $4"
  printf '  round %s  %-28s %6.2fs wall %6.2fs cpu\n' "$2" "$1" "$3" "$4"
}
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
timed() {  # timed NAME ROUND CMD...: wall and CPU of CMD, plus dockerd's CPU meanwhile for docker
  local name=$1 round=$2 c0=0 c1=0 w u sy
  shift 2
  sync
  [ "$1" = docker ] && c0=$(proc_cpu "$DOCKERD_PID")
  /usr/bin/time -f '%e %U %S' -o "$T/time" "$@" >/dev/null 2>"$T/err" || { cat "$T/err"; return 1; }
  [ "$1" = docker ] && c1=$(proc_cpu "$DOCKERD_PID")
  read -r w u sy <"$T/time"
  add "$name" "$round" "$w" "$(echo "$u + $sy + $c1 - $c0" | bc)"
}

start_registry bench
HAVE_DOCKER=
if command -v dockerd >/dev/null && start_private_dockerd "$OUT/docker" "$T/docker.sock" >/dev/null &&
   docker load -i "$T/busybox.tar" >/dev/null; then
  HAVE_DOCKER=1
else
  echo "docker: skipped (no dockerd, or it did not start)"
fi

# round_mini LABEL BINARY ROUND: a container writes the files, commit, push.
round_mini() {
  local label=$1 bin=$2 i=$3 root=$OUT/r-$1-$3
  "$bin" --root "$root" load -q -i "$T/busybox.tar" >/dev/null
  "$bin" --root "$root" run --name cm -v "$SRC:/src:ro" busybox sh -c "$WRITE"
  timed "$label commit" "$i" "$bin" --root "$root" commit cm "$REG/$label:$i"
  timed "$label push" "$i" "$bin" --root "$root" push -q "$REG/$label:$i"
  "$bin" --root "$root" rm -f cm >/dev/null
  rm -rf "$root"
}
round_docker() {
  [ -n "$HAVE_DOCKER" ] || return 0
  local i=$1
  docker run --name cm -v "$SRC:/src:ro" busybox:latest sh -c "$WRITE"
  timed "docker commit" "$i" docker commit cm "$REG/docker:$i"
  timed "docker push" "$i" docker push -q "$REG/docker:$i"
  docker rm -f cm >/dev/null
  docker rmi "$REG/docker:$i" >/dev/null
}

echo "-- commit of ~200 MB of new files, then push ($RUNS rounds)"
for i in $(seq "$RUNS"); do
  if ((i % 2)); then
    round_mini mini "$MINI" "$i"; round_docker "$i"
    [ -z "${MINI_BASELINE:-}" ] || round_mini baseline "$MINI_BASELINE" "$i"
  else
    [ -z "${MINI_BASELINE:-}" ] || round_mini baseline "$MINI_BASELINE" "$i"
    round_docker "$i"; round_mini mini "$MINI" "$i"
  fi
done

# Layer sizes: mini's blob of the new layer (made at the first push or save) against gzip -6 of
# the same tar.
RS=$OUT/rs
"$MINI" --root "$RS" load -q -i "$T/busybox.tar" >/dev/null
"$MINI" --root "$RS" run --name cm -v "$SRC:/src:ro" busybox sh -c "$WRITE"
"$MINI" --root "$RS" commit cm sized >/dev/null
# commit defers compression (as Docker's): an OCI save makes the blob, as a push would.
"$MINI" --root "$RS" save --format oci -o /dev/null sized
big=$(ls -S "$RS"/blobs/sha256/* | head -n1)
gz=$(stat -c %s "$big")
tarsz=$(gzip -dc "$big" | wc -c)
g6=$(gzip -dc "$big" | gzip -6 -n | wc -c)
SIZES="layer: $((tarsz / 1000000)) MB of tar; mini's blob $gz bytes, gzip -6 $g6 bytes ($(echo "scale=1; 100 * $gz / $g6 - 100" | bc)%)"
echo "$SIZES"
"$MINI" --root "$RS" rm -f cm >/dev/null
rm -rf "$RS"

# A build step: RUN writes the same files (from a COPY of them); the pack rate of its layer (the
# largest one) is the builder's own measure, from `mini --debug` (tar generated and hashed, the
# upper dir moved into the layer graph; compression is deferred to push/save).
mkdir -p "$T/ctx"
cp -a "$SRC" "$T/ctx/src"
printf 'FROM busybox:latest\nCOPY src /src\nRUN %s\n' "$WRITE" >"$T/ctx/Minifile"
RB=$OUT/rb
"$MINI" --root "$RB" load -q -i "$T/busybox.tar" >/dev/null
rates=""
for i in $(seq "$RUNS"); do
  sync
  "$MINI" --root "$RB" --debug build --no-cache -t b "$T/ctx" 2>"$T/build.log" >/dev/null || { tail -n 5 "$T/build.log"; break; }
  line=$(awk '/packed layer: / {for (i = 1; i <= NF; i++) if ($i == "layer:") print $(i + 1), $0}' "$T/build.log" |
    sort -n | tail -n1 | cut -d' ' -f2-)
  r=$(sed -n 's/.* (\([0-9]*\) MB\/s of tar).*/\1/p' <<<"$line")
  [ -n "$r" ] && { rates="$rates $r"; echo "  round $i  ${line#*debug: }"; }
done
rm -rf "$RB"

wmed() { if [ -n "${walls[$1]:-}" ]; then echo "${walls[$1]}" | median; else echo 0; fi; }
cmed() { if [ -n "${cpus[$1]:-}" ]; then echo "${cpus[$1]}" | median; else echo 0; fi; }
ratio() { if [ "$(echo "$2 > 0" | bc)" = 1 ]; then echo "scale=2; $1 / $2" | bc; else echo -; fi; }
line() { printf '%-22s %7.2fs %7.2fs %7s %8.2fs %8.2fs %7s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")" "$4" "$5" "$(ratio "$4" "$5")"; }
printf '\n%-22s %8s %8s %7s %9s %9s %7s\n' "median of $RUNS" "mini" "docker" "ratio" "mini cpu" "dock cpu" "ratio"
for k in commit push; do
  line "$k" "$(wmed "mini $k")" "$(wmed "docker $k")" "$(cmed "mini $k")" "$(cmed "docker $k")"
done
sum() { echo "$($1 "$2 commit") + $($1 "$2 push")" | bc; }
line "commit + push" "$(sum wmed mini)" "$(sum wmed docker)" "$(sum cmed mini)" "$(sum cmed docker)"
if [ -n "${MINI_BASELINE:-}" ]; then
  line "baseline commit" "$(wmed "baseline commit")" "$(wmed "docker commit")" "$(cmed "baseline commit")" "$(cmed "docker commit")"
  line "baseline commit + push" "$(sum wmed baseline)" "$(sum wmed docker)" "$(sum cmed baseline)" "$(sum cmed docker)"
fi
echo "$SIZES"
[ -z "$rates" ] || echo "build step pack + register: median $(echo "$rates" | median) MB/s of tar"
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg); wall times on a shared machine are noisy, CPU times less so)"
# bench/all.sh's one table: work, mini, docker, podman.
if [ -n "${BENCH_SUMMARY:-}" ]; then
  printf 'commit of ~200 MB of new files\t%.2f s\t%.2f s\t-\n' "$(wmed "mini commit")" "$(wmed "docker commit")" >>"$BENCH_SUMMARY"
  printf 'commit + push of that layer\t%.2f s\t%.2f s\t-\n' "$(sum wmed mini)" "$(sum wmed docker)" >>"$BENCH_SUMMARY"
fi
