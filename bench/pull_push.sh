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
#   TOOLS="mini docker skopeo podman" picks the pullers; SKIP_PUSH=1 skips the push part.
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
diffs="" layers="" total=0
for i in "${!LAYERS[@]}"; do
  tar -C "${LAYERS[$i]}" --sort=name -cf "$T/l$i.tar" . 2>/dev/null || true
  gzip -6 -n -c "$T/l$i.tar" >"$T/l$i.tar.gz"
  d=$(upload_blob big "$T/l$i.tar.gz")
  s=$(size_of "$T/l$i.tar.gz"); total=$((total + s))
  diffs="$diffs${diffs:+,}\"sha256:$(sha_of "$T/l$i.tar")\""
  layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"$d\",\"size\":$s}"
done
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs" >"$T/cfg.json"
c=$(upload_blob big "$T/cfg.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
  "$c" "$(size_of "$T/cfg.json")" "$layers" >"$T/m.json"
put_manifest big 1 application/vnd.docker.distribution.manifest.v2+json "$T/m.json"
echo "image: ${#LAYERS[@]} layers, $((total / 1000000)) MB gzip, $(($(cat "$T"/l*.tar | wc -c) / 1000000)) MB tar"


now() { date +%s.%N; }
cold() { sync; echo 3 >/proc/sys/vm/drop_caches; }
declare -A times=()
record() {  # record TOOL START END ROUND
  local d; d=$(echo "$3 - $2" | bc)
  times[$1]="${times[$1]:-} $d"
  printf '  round %s  %-34s %6.2fs\n' "$4" "$1" "$d"
}
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

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
  local n=$1 i=$2 s e
  want mini || return 0
  rm -rf "$T/r"; cold
  s=$(now); "$MINI" --root "$T/r" pull -q --max-concurrent-downloads "$n" "$REG/big:1" >/dev/null; e=$(now)
  record "mini pull ($n concurrent)" "$s" "$e" "$i"
}
pull_docker() {
  want docker || return 0
  local i=$1 s e
  command -v dockerd >/dev/null || return 0
  rm -rf "$T/docker"
  start_private_dockerd "$T/docker" "$T/docker.sock" >/dev/null || { echo "  dockerd did not start"; return 0; }
  cold
  s=$(now); docker pull -q "$REG/big:1" >/dev/null; e=$(now)
  record "docker pull" "$s" "$e" "$i"
  stop_private_dockerd
  rm -rf "$T/docker"
}
pull_skopeo() {
  want skopeo || return 0
  local i=$1 s e e2
  command -v skopeo >/dev/null || return 0
  rm -rf "$T/oci" "$T/bundle"; cold
  s=$(now); skopeo copy -q --src-tls-verify=false "docker://$REG/big:1" "oci:$T/oci:x" >/dev/null; e=$(now)
  command -v umoci >/dev/null || { record "skopeo copy" "$s" "$e" "$i"; return 0; }
  # umoci starts from a cold cache too; its time is added to skopeo's.
  cold
  s2=$(now); umoci unpack --image "$T/oci:x" "$T/bundle" >/dev/null 2>&1; e2=$(now)
  record "skopeo copy + umoci unpack" 0 "$(echo "$e - $s + $e2 - $s2" | bc)" "$i"
}
pull_podman() {
  want podman || return 0
  local i=$1 s e
  command -v podman >/dev/null || return 0
  rm -rf "$T/podman"; cold
  s=$(now); podman --root "$T/podman/root" --runroot "$T/podman/run" pull -q --tls-verify=false "$REG/big:1" >/dev/null; e=$(now)
  record "podman pull" "$s" "$e" "$i"
}

if command -v dockerd >/dev/null; then
  stop_dockerd() { stop_private_dockerd; registry_cleanup; }
  trap stop_dockerd EXIT
fi
echo "-- cold pull, $RUNS rounds (sync + drop_caches before each command)"
for i in $(seq "$RUNS"); do
  if ((i % 2)); then
    pull_mini 3 "$i"; pull_docker "$i"; pull_skopeo "$i"; pull_mini 1 "$i"; pull_podman "$i"
  else
    pull_podman "$i"; pull_mini 1 "$i"; pull_skopeo "$i"; pull_docker "$i"; pull_mini 3 "$i"
  fi
done
docker_med=$(echo "${times[docker pull]:-}" | median)
printf '\n%-34s %8s %8s\n' "cold pull" "median" "/docker"
for k in "mini pull (3 concurrent)" "mini pull (1 concurrent)" "docker pull" "skopeo copy + umoci unpack" "skopeo copy" "podman pull"; do
  [ -n "${times[$k]:-}" ] || continue
  m=$(echo "${times[$k]}" | median)
  r=-; [ -n "$docker_med" ] && r=$(echo "scale=2; $m / $docker_med" | bc)
  printf '%-34s %7.2fs %8s\n' "$k" "$m" "$r"
done
[ "${SKIP_PUSH:-}" = 1 ] && exit 0

row() { printf '  %-34s %6.2fs\n' "$1" "$(echo "$3 - $2" | bc)"; }
if command -v skopeo >/dev/null && ! [ -d "$T/oci" ]; then
  skopeo copy -q --src-tls-verify=false "docker://$REG/big:1" "oci:$T/oci:x" >/dev/null
fi
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
