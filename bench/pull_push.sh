#!/usr/bin/env bash
# Benchmark (not part of ctest): cold pull of a multi-layer Docker schema2 image (~50 MB of gzip
# layers made from host directories) from a local docker-registry with mini (3 and 1 concurrent
# downloads) against skopeo copy to an oci: dir (and + umoci unpack, when installed); then a cold
# push of the same image with mini against skopeo, and docker pull when dockerd is available. Also prints zlib's single-core inflate rate on
# the same layers, to see whether decompression is what bounds a pull.
# Usage: MINI=build/mini bench/pull_push.sh [RUNS]   (as root)
set -euo pipefail
MINI=${MINI:-$(cd "$(dirname "$0")/.." && pwd)/build/mini}
export MINI
RUNS=${1:-3}
HERE=$(cd "$(dirname "$0")/../tests/integration" && pwd)
source "$HERE/lib.sh"
source "$HERE/registry_fixture.bash"
source "$HERE/dockerd.bash"

start_registry bench
# docker pull is timed too when a daemon runs or a private dockerd can be started.
if command -v docker >/dev/null && ! docker version >/dev/null 2>&1 && command -v dockerd >/dev/null; then
  stop_dockerd() { stop_private_dockerd; registry_cleanup; }
  trap stop_dockerd EXIT
  start_private_dockerd "$T/docker" "$T/docker.sock" >/dev/null || true
fi
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

# zlib inflate rate, one core (python's zlib module is the system zlib).
python3 - "$T"/l*.tar.gz <<'PY'
import sys, time, zlib
n = 0; t = time.time()
for f in sys.argv[1:]:
    d = zlib.decompressobj(31); data = open(f, 'rb').read()
    n += len(d.decompress(data))
dt = time.time() - t
print(f"zlib inflate: {n/1e6:.0f} MB out in {dt:.2f}s = {n/1e6/dt:.0f} MB/s per core")
PY

now() { date +%s.%N; }
row() { printf '%-46s %6.2fs\n' "$1" "$(echo "$3 - $2" | bc)"; }
sync
for i in $(seq "$RUNS"); do
  rm -rf "$T/r3" "$T/r1" "$T/oci" "$T/bundle"
  # Flush before each timed step, so a step does not pay for the previous one's writeback, and
  # alternate which concurrency goes first.
  order="3 1"
  [ $((i % 2)) = 0 ] && order="1 3"
  for n in $order; do
    sync
    s=$(now); "$MINI" --root "$T/r$n" pull -q --max-concurrent-downloads "$n" "$REG/big:1" >/dev/null; e=$(now)
    row "mini pull ($n concurrent)        run $i" "$s" "$e"
  done
  sync
  if command -v skopeo >/dev/null; then
    s=$(now); skopeo copy -q --src-tls-verify=false "docker://$REG/big:1" "oci:$T/oci:x" >/dev/null; e=$(now)
    row "skopeo copy -> oci dir          run $i" "$s" "$e"
    if command -v umoci >/dev/null; then
      s2=$(now); umoci unpack --image "$T/oci:x" "$T/bundle" >/dev/null 2>&1; e2=$(now)
      row "skopeo copy + umoci unpack      run $i" "$s" "$e2"
    fi
  fi
  if docker version >/dev/null 2>&1; then
    docker rmi -f "$REG/big:1" >/dev/null 2>&1 || true
    sync
    s=$(now); docker pull -q "$REG/big:1" >/dev/null; e=$(now); row "docker pull                     run $i" "$s" "$e"
  fi
done

echo "-- push (cold registry each run)"
for i in $(seq "$RUNS"); do
  start_registry "push$i"
  "$MINI" --root "$T/r3" tag "$("$MINI" --root "$T/r3" images -q | head -n1)" "$REG/big:1"
  s=$(now); "$MINI" --root "$T/r3" push -q "$REG/big:1" >/dev/null; e=$(now); row "mini push                       run $i" "$s" "$e"
  if command -v skopeo >/dev/null; then
    s=$(now); skopeo copy -q --dest-tls-verify=false "oci:$T/oci:x" "docker://$REG/sk:1" >/dev/null; e=$(now)
    row "skopeo copy oci dir -> registry run $i" "$s" "$e"
  fi
done
