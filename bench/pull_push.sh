#!/usr/bin/env bash
# Benchmark (not part of ctest): cold pull of a 4-layer Docker schema2 image (~160 MB of gzip,
# ~480 MB of tar, made from host directories) from a local docker-registry, by mini, docker (a
# private dockerd with a fresh, empty data-root each round), and skopeo copy + umoci unpack; then
# a cold push of the same image with mini against skopeo. Also prints the single-core inflate rate
# of zlib and (when the isal tools are installed) ISA-L's igzip on the same layers.
#
# Fairness: every tool pulls into an empty store; before each timed command the script runs
# `sync` and drops the page cache (echo 3 > /proc/sys/vm/drop_caches), so nobody pays the previous
# tool's writeback or profits from its cache; the time is the command's own wall time until it
# returns (no final sync for anyone: data may still be in the page cache, for every tool alike).
# Rounds alternate the order of the tools; the table gives each tool's median and its ratio to
# docker's median.
# Usage: MINI=build/mini bench/pull_push.sh [ROUNDS]   (as root; default 5 rounds)
#   TOOLS="mini docker skopeo podman" picks the pullers; SKIP_PUSH=1 skips the push part;
#   MINI_BASELINE=old/mini times an older build too (before/after).
#   IMAGE=debian pulls a Debian python3 + gcc + perl stack (4 layers, ~1 GB of tar) instead;
#   IMAGE=small pulls a one-layer image of 100,000 small files (20-800 bytes) in 100 directories
#   (a node_modules-like tree) instead of the 4 layers; AFTER_DELETE=N makes and deletes N files
#   on the output filesystem before each timed pull (outside the clock), as a user meets the
#   store right after an rmi or prune: with BENCH_FS=host on an ext4 without a journal that makes
#   inode allocation slow (see below), on the loop fs (with a journal) it costs nothing.
set -euo pipefail
MINI=${MINI:-$(cd "$(dirname "$0")/.." && pwd)/build/mini}
export MINI
RUNS=${1:-5}
HERE=$(cd "$(dirname "$0")/../tests/integration" && pwd)
source "$HERE/lib.sh"
source "$HERE/registry_fixture.bash"
source "$HERE/dockerd.bash"

start_registry bench
LAYERS=(/usr/lib/python3.11 /usr/include /usr/share/doc /usr/share/locale)
if [ "${IMAGE:-big}" = small ]; then
  python3 "$(dirname "$0")/small_files.py" "$T/small"
  LAYERS=("$T/small")
elif [ "${IMAGE:-big}" = debian ]; then
  # A Debian stack as users pull it (python, buildpack-deps-like): the debootstrap base of the
  # tests (tests/integration/build_example_c.sh makes it), then python3, gcc and perl layers
  # from the host's own files at their real paths.
  DEB_TAR=${MINI_TEST_CACHE:-/var/cache/mini-test}/debian-bookworm.tar
  [ -s "$DEB_TAR" ] || { echo "no Debian base: run tests/integration/build_example_c.sh once (it makes $DEB_TAR)"; exit 77; }
  cp "$DEB_TAR" "$T/l0.tar"
  stack() { local i=$1; shift; tar -C / --sort=name -cf "$T/l$i.tar" "$@" 2>/dev/null || true; }
  stack 1 usr/lib/python3.11 usr/lib/python3 usr/include usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0
  stack 2 usr/lib/gcc usr/share/locale
  stack 3 usr/lib/x86_64-linux-gnu/perl usr/share/perl usr/share/perl5 usr/share/doc
  LAYERS=(base python gcc perl)
fi
diffs="" layers="" total=0
for i in "${!LAYERS[@]}"; do
  [ -e "$T/l$i.tar" ] || tar -C "${LAYERS[$i]}" --sort=name -cf "$T/l$i.tar" . 2>/dev/null || true
  gzip -6 -n -c "$T/l$i.tar" >"$T/l$i.tar.gz"
  d=$(upload_blob big "$T/l$i.tar.gz")
  s=$(size_of "$T/l$i.tar.gz"); total=$((total + s))
  diffs="$diffs${diffs:+,}\"sha256:$(sha_of "$T/l$i.tar")\""
  layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"$d\",\"size\":$s}"
done
rm -rf "$T/small"
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs" >"$T/cfg.json"
c=$(upload_blob big "$T/cfg.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
  "$c" "$(size_of "$T/cfg.json")" "$layers" >"$T/m.json"
put_manifest big 1 application/vnd.docker.distribution.manifest.v2+json "$T/m.json"
echo "image: ${#LAYERS[@]} layers, $((total / 1000000)) MB gzip, $(($(cat "$T"/l*.tar | wc -c) / 1000000)) MB tar"


now() { date +%s.%N; }
# sync, then drop the page cache: nobody pays for the previous command's writeback or reads from
# its cache.
# With AFTER_DELETE, the files are deleted after that: their inodes are then "recently deleted"
# (in the cache, freed seconds ago) for the command, as they are after an rmi.
cold() { sync; echo 3 >/proc/sys/vm/drop_caches; churn; }
# Every run writes into a new directory under $OUT; they are removed only after all rounds. On
# ext4 without a journal (this machine's root fs) allocating inodes within a minute or so of
# deleting many costs a lot of system time (ext4 skips "recently deleted" inodes, scanning the
# bitmap for others: seconds for 20k files), which would charge one tool for the previous one's
# cleanup, or for other processes' deletions on the same fs. So by default $OUT is a fresh ext4
# (with a journal, as mkfs.ext4 makes it, so without that check) on a loop device with direct I/O,
# used by this benchmark alone; BENCH_FS=host runs on the host's /tmp instead.
OUT=$T/out
mkdir -p "$OUT"
source "$(dirname "$0")/loop_fs.bash"
[ "${BENCH_FS:-loop}" != loop ] || mount_loop_fs "$OUT" 40G
echo "output filesystem: $(findmnt -n -o SOURCE,FSTYPE -T "$OUT" | tr -s ' ')"
fresh() { mktemp -d "$OUT/$1.XXXXXX"; }
# AFTER_DELETE=N: N files made and removed on $OUT just before the clock.
churn() {
  local n=${AFTER_DELETE:-0}
  ((n > 0)) || return 0
  mkdir "$OUT/churn"
  python3 -c 'import os, sys
for i in range(int(sys.argv[2])):
    d = os.path.join(sys.argv[1], str(i // 1000))
    if i % 1000 == 0: os.mkdir(d)
    open(os.path.join(d, str(i)), "w").close()' "$OUT/churn" "$n"
  rm -rf "$OUT/churn"
}
declare -A walls=() cpus=()
# timed TOOL ROUND CMD...: runs CMD, records its wall time and its CPU time (user + system), and
# prints its peak RSS.
timed() {
  local tool=$1 round=$2
  shift 2
  /usr/bin/time -f '%e %U %S %M' -o "$T/time" "$@" >/dev/null 2>"$T/err" || { cat "$T/err"; return 1; }
  read -r w u sy rss <"$T/time"
  add "$tool" "$round" "$w" "$(echo "$u + $sy" | bc)" "$rss"
}
add() {  # add TOOL ROUND WALL CPU [RSS_KB]
  walls[$1]="${walls[$1]:-} $3"
  cpus[$1]="${cpus[$1]:-} $4"
  printf '  round %s  %-30s %6.2fs wall %6.2fs cpu%s\n' "$2" "$1" "$3" "$4" "${5:+ $(($5 / 1024)) MB peak RSS}"
}
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# CPU seconds (user + system) a process has used so far.
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

# Per-layer decoder rates (input already in the page cache; output discarded).
for f in "$T"/l*.tar.gz; do
  mb=$(($(gzip -dc "$f" | wc -c) / 1000000))
  s=$(now); python3 -c 'import sys,zlib; d=zlib.decompressobj(31); f=open(sys.argv[1],"rb")
while b:=f.read(1<<20): d.decompress(b)' "$f"; e=$(now)
  line="$(basename "$f"): $mb MB tar; zlib $(echo "$mb / ($e - $s)" | bc) MB/s"
  if command -v igzip >/dev/null; then
    s=$(now); igzip -dc "$f" >/dev/null; e=$(now)
    line="$line, igzip $(echo "$mb / ($e - $s)" | bc) MB/s"
  fi
  echo "$line"
done

want() { [[ " ${TOOLS:-mini docker skopeo podman} " == *" $1 "* ]]; }
pull_mini() {
  local n=$1 i=$2
  want mini || return 0
  local root; root=$(fresh mini)
  cold
  timed "mini pull ($n concurrent)" "$i" "$MINI" --root "$root" pull -q --max-concurrent-downloads "$n" "$REG/big:1"
}
# MINI_BASELINE=path/to/older/mini adds its pull (3 concurrent) to the rounds, for before/after.
pull_baseline() {
  [ -n "${MINI_BASELINE:-}" ] || return 0
  local root; root=$(fresh base)
  cold
  timed "baseline mini (3 concurrent)" "$1" "$MINI_BASELINE" --root "$root" pull -q "$REG/big:1"
}
# docker: a private dockerd with an empty data-root per round, started before the cold cache and
# the clock; its CPU is dockerd's own (it downloads and unpacks) plus the client's.
pull_docker() {
  want docker || return 0
  command -v dockerd >/dev/null || return 0
  local i=$1 dir c0 w u sy
  dir=$(fresh docker)
  start_private_dockerd "$dir" "$T/docker.sock" >/dev/null || { echo "  dockerd did not start"; return 0; }
  cold
  c0=$(proc_cpu "$DOCKERD_PID")
  /usr/bin/time -f '%e %U %S' -o "$T/time" docker pull -q "$REG/big:1" >/dev/null
  read -r w u sy <"$T/time"
  add "docker pull" "$i" "$w" "$(echo "$(proc_cpu "$DOCKERD_PID") - $c0 + $u + $sy" | bc)"
  stop_private_dockerd
}
pull_skopeo() {
  want skopeo || return 0
  command -v skopeo >/dev/null || return 0
  local i=$1 dir w1 c1 w2 c2
  dir=$(fresh skopeo)
  cold
  timed "skopeo copy" "$i" skopeo copy -q --src-tls-verify=false "docker://$REG/big:1" "oci:$dir/oci:x"
  command -v umoci >/dev/null || return 0
  # umoci starts from a cold cache too; its time is added to skopeo's.
  read -r w1 u sy _ <"$T/time"; c1=$(echo "$u + $sy" | bc)
  cold
  /usr/bin/time -f '%e %U %S' -o "$T/time" umoci unpack --image "$dir/oci:x" "$dir/bundle" >/dev/null 2>&1
  read -r w2 u sy <"$T/time"; c2=$(echo "$u + $sy" | bc)
  add "skopeo copy + umoci unpack" "$i" "$(echo "$w1 + $w2" | bc)" "$(echo "$c1 + $c2" | bc)"
}
pull_podman() {
  want podman || return 0
  command -v podman >/dev/null || return 0
  local i=$1 dir
  dir=$(fresh podman)
  cold
  timed "podman pull" "$i" podman --root "$dir/root" --runroot "$dir/run" pull -q --tls-verify=false "$REG/big:1"
}

echo "-- cold pull, $RUNS rounds (sync + drop_caches before each command; no sync after it)"
for i in $(seq "$RUNS"); do
  if ((i % 2)); then
    pull_mini 3 "$i"; pull_docker "$i"; pull_baseline "$i"; pull_skopeo "$i"; pull_mini 1 "$i"; pull_podman "$i"
  else
    pull_podman "$i"; pull_mini 1 "$i"; pull_skopeo "$i"; pull_baseline "$i"; pull_docker "$i"; pull_mini 3 "$i"
  fi
done
dw= dc=  # no docker row (TOOLS without docker): no ratios
if [ -n "${walls[docker pull]:-}" ]; then
  dw=$(echo "${walls[docker pull]}" | median)
  dc=$(echo "${cpus[docker pull]}" | median)
fi
printf '\n%-30s %9s %8s %9s %8s\n' "cold pull (median of $RUNS)" "wall" "/docker" "cpu" "/docker"
for k in "mini pull (3 concurrent)" "mini pull (1 concurrent)" "baseline mini (3 concurrent)" "docker pull" "skopeo copy + umoci unpack" "skopeo copy" "podman pull"; do
  [ -n "${walls[$k]:-}" ] || continue
  w=$(echo "${walls[$k]}" | median)
  c=$(echo "${cpus[$k]}" | median)
  rw=-; [ -n "$dw" ] && rw=$(echo "scale=2; $w / $dw" | bc)
  rc=-; [ -n "$dc" ] && rc=$(echo "scale=2; $c / $dc" | bc)
  printf '%-30s %8.2fs %8s %8.2fs %8s\n' "$k" "$w" "$rw" "$c" "$rc"
done
echo "(load average during the rounds: $(cut -d' ' -f1-3 /proc/loadavg); wall times on a shared machine are noisy, CPU times less so)"
# bench/all.sh's one table: work, mini, docker, podman.
if [ -n "${BENCH_SUMMARY:-}" ]; then
  cell() { if [ -n "${walls[$1]:-}" ]; then printf '%.2f s' "$(echo "${walls[$1]}" | median)"; else echo -; fi; }
  case ${IMAGE:-big} in debian) what="Debian python+gcc+perl image" ;; small) what="100,000 small files" ;; *) what="4-layer image" ;; esac
  printf 'cold pull, %s\t%s\t%s\t%s\n' "$what" "$(cell "mini pull (3 concurrent)")" \
    "$(cell "docker pull")" "$(cell "podman pull")" >>"$BENCH_SUMMARY"
fi
rm -rf "${OUT:?}"/*
[ "${SKIP_PUSH:-}" = 1 ] && exit 0

row() { printf '  %-34s %6.2fs\n' "$1" "$(echo "$3 - $2" | bc)"; }
command -v skopeo >/dev/null && skopeo copy -q --src-tls-verify=false "docker://$REG/big:1" "oci:$T/oci:x" >/dev/null
rm -rf "$T/r"; "$MINI" --root "$T/r3" pull -q "$REG/big:1" >/dev/null

echo "-- push (cold registry each run)"
for i in $(seq "$RUNS"); do
  start_registry "push$i"
  "$MINI" --root "$T/r3" tag "$("$MINI" --root "$T/r3" images -q | head -n1)" "$REG/big:1"
  s=$(now); "$MINI" --root "$T/r3" push -q "$REG/big:1" >/dev/null; e=$(now); row "mini push, run $i" "$s" "$e"
  if command -v skopeo >/dev/null; then
    s=$(now); skopeo copy -q --dest-tls-verify=false "oci:$T/oci:x" "docker://$REG/sk:1" >/dev/null; e=$(now)
    row "skopeo copy oci -> registry, run $i" "$s" "$e"
  fi
done
