#!/usr/bin/env bash
# Benchmark: import (one streaming pass: hash, decompress, hash, safe extract, then gzip the blob)
# of a ~N MB rootfs tarball, against plain GNU tar extraction of the same tarball as a floor.
# Usage: bench/import_unpack.sh [SOURCE_DIR]   (default /usr/lib/x86_64-linux-gnu)
set -euo pipefail
MINI=${MINI:-$(dirname "$0")/../build/mini}
SRC=${1:-/usr/lib/x86_64-linux-gnu}
source "$(dirname "$0")/../tests/integration/on_exit.bash"
T=$(mktemp -d /tmp/mini-bench.XXXXXX)
on_exit rm -rf "$T"
tar -C "$SRC" -cf "$T/in.tar" . 2>/dev/null || true
gzip -1 -c "$T/in.tar" >"$T/in.tar.gz"
echo "input: $(du -h "$T/in.tar" | cut -f1) tar, $(du -h "$T/in.tar.gz" | cut -f1) gzip, $(tar -tf "$T/in.tar" | wc -l) entries"
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); printf '%-44s %6.2fs\n' "$LABEL" "$(echo "$e - $s" | bc)"; }
for i in 1 2 3; do
  rm -rf "$T/root" "$T/x" && mkdir "$T/x"
  LABEL="gnu tar -xf (plain)        run $i" t tar -C "$T/x" -xf "$T/in.tar"
  rm -rf "$T/x" && mkdir "$T/x"
  LABEL="gnu tar -xzf (gzip)        run $i" t tar -C "$T/x" -xzf "$T/in.tar.gz"
  LABEL="mini import (plain, +gzip blob) run $i" t "$MINI" --root "$T/root" import "$T/in.tar" b:1
  rm -rf "$T/root"
  LABEL="mini import (gzip)         run $i" t "$MINI" --root "$T/root" import "$T/in.tar.gz" b:1
done
