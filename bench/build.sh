#!/usr/bin/env bash
# Benchmark: cold build, fully cached rebuild and one-file-changed rebuild of a realistic
# Minifile (busybox base, metadata, a COPY of a ~20 MB source tree, RUNs), for mini and, when
# installed and usable, docker build and buildah bud. Run as root.
# Usage: bench/build.sh   (env MINI=path/to/mini)
set -euo pipefail
MINI=${MINI:-$(dirname "$0")/../build/mini}
T=$(mktemp -d /tmp/mini-bench-build.XXXXXX)
cleanup() { set +e; grep -F " $T/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
R=$T/root
mkdir -p "$T/bb/bin" "$T/bb/etc" "$T/ctx/src"
cp /bin/busybox "$T/bb/bin/busybox"
for a in $("$T/bb/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$T/bb/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$T/bb/etc/passwd"
tar -C "$T/bb" -c . | "$MINI" --root "$R" import - busybox:latest >/dev/null
cp -r /usr/include/. "$T/ctx/src/" 2>/dev/null || true
cat >"$T/ctx/Minifile" <<'MF'
FROM busybox:latest
ENV APP=/app
WORKDIR /app
COPY src/ /app/src/
RUN find /app/src -type f | wc -l >/app/count
RUN echo built >/app/stamp
CMD ["cat", "/app/count"]
MF
echo "context: $(du -sh "$T/ctx" | cut -f1), $(find "$T/ctx" -type f | wc -l) files"
t() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); printf '%-40s %8d ms\n' "$LABEL" $(( (e - s) / 1000000 )); }
LABEL="mini build (cold)" t "$MINI" --root "$R" build -t b "$T/ctx"
LABEL="mini build (cached)" t "$MINI" --root "$R" build -t b "$T/ctx"
echo changed >>"$T/ctx/src/stdio.h"
LABEL="mini build (one file changed)" t "$MINI" --root "$R" build -t b "$T/ctx"
if command -v docker >/dev/null && docker version >/dev/null 2>&1 && docker image inspect busybox:latest >/dev/null 2>&1; then
  LABEL="docker build (cold)" t docker build --no-cache -t minibench "$T/ctx"
  LABEL="docker build (cached)" t docker build -t minibench "$T/ctx"
  echo changed >>"$T/ctx/src/stdio.h"
  LABEL="docker build (one file changed)" t docker build -t minibench "$T/ctx"
else
  echo "docker build: skipped (no daemon or no busybox:latest image)"
fi
if command -v buildah >/dev/null && buildah inspect busybox:latest >/dev/null 2>&1; then
  LABEL="buildah bud (cold)" t buildah bud --layers --no-cache -t minibench "$T/ctx"
  LABEL="buildah bud (cached)" t buildah bud --layers -t minibench "$T/ctx"
else
  echo "buildah bud: skipped (not installed or no busybox:latest image)"
fi
