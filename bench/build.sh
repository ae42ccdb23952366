#!/usr/bin/env bash
# Benchmark: cold build, fully cached rebuild and one-file-changed rebuild of a realistic
# Minifile (busybox base, metadata, a COPY of the host's /usr/include, RUNs), for mini and, when
# installed, docker build (a private dockerd, legacy builder) and buildah bud (vfs storage,
# chroot isolation, a private storage root). One run each; prints a table with ratios to mini.
# Run as root. Usage: bench/build.sh   (env MINI=path/to/mini)
set -euo pipefail
MINI=${MINI:-$(dirname "$0")/../build/mini}
source "$(cd "$(dirname "$0")/../tests/integration" && pwd)/dockerd.bash"
T=$(mktemp -d /tmp/mini-bench-build.XXXXXX)
# Runs after stop_private_dockerd (which start_private_dockerd registers later, so runs earlier).
cleanup() {
  grep -F " $T/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$T"
}
on_exit cleanup
R=$T/root
mkdir -p "$T/bb/bin" "$T/bb/etc" "$T/ctx/src"
cp /bin/busybox "$T/bb/bin/busybox"
for a in $("$T/bb/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$T/bb/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$T/bb/etc/passwd"
tar -C "$T/bb" -c . | "$MINI" --root "$R" import - busybox:latest >/dev/null
"$MINI" --root "$R" save -o "$T/busybox.tar" busybox:latest
cp -r /usr/include/. "$T/ctx/src/" 2>/dev/null || true
cp "$T/ctx/src/stdio.h" "$T/stdio.h.orig"
cat >"$T/ctx/Minifile" <<'MF'
FROM busybox:latest
ENV APP=/app
WORKDIR /app
COPY src/ /app/src/
RUN find /app/src -type f | wc -l >/app/count
RUN echo built >/app/stamp
CMD ["cat", "/app/count"]
MF
echo "context: $(du -sh "$T/ctx" | cut -f1), $(find "$T/ctx" -type f | wc -l) files; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"

declare -A MS
# run_case TOOL KIND CMD...: times one command (ms) into MS[TOOL.KIND]; "fail" when it fails.
run_case() {
  local tool=$1 kind=$2 s e; shift 2
  s=$(date +%s%N)
  if "$@" >"$T/$tool.$kind.log" 2>&1; then
    e=$(date +%s%N)
    MS[$tool.$kind]=$(( (e - s) / 1000000 ))
  else
    MS[$tool.$kind]=fail
    echo "$tool $kind failed:" >&2
    tail -n 5 "$T/$tool.$kind.log" >&2
  fi
}
# three TOOL CMD...: cold (context as shipped), cached, then one file changed.
three() {
  local tool=$1; shift
  cp "$T/stdio.h.orig" "$T/ctx/src/stdio.h"
  run_case "$tool" cold "$@" "${COLD_FLAGS[@]}" "$T/ctx"
  run_case "$tool" cached "$@" "$T/ctx"
  echo "/* changed */" >>"$T/ctx/src/stdio.h"
  run_case "$tool" changed "$@" "$T/ctx"
}

COLD_FLAGS=()
three mini "$MINI" --root "$R" build -t b

tools=(mini)
if command -v dockerd >/dev/null && command -v docker >/dev/null; then
  start_private_dockerd "$T/docker" /run/mini-bench-docker.sock >/dev/null || true
  if docker version >/dev/null 2>&1 && docker load -i "$T/busybox.tar" >/dev/null; then
    COLD_FLAGS=(--no-cache)
    DOCKER_BUILDKIT=0 three docker docker build --network none -f "$T/ctx/Minifile" -t minibench
    tools+=(docker)
  else
    echo "docker build: skipped (dockerd did not start: $(tail -n 2 "$T/docker/dockerd.log"))"
  fi
else
  echo "docker build: skipped (not installed)"
fi
if command -v buildah >/dev/null; then
  B=(buildah --root "$T/buildah/root" --runroot "$T/buildah/run" --storage-driver vfs)
  if "${B[@]}" pull -q "docker-archive:$T/busybox.tar" >/dev/null 2>&1 &&
     "${B[@]}" tag "$("${B[@]}" images -q | head -n1)" busybox:latest >/dev/null 2>&1; then
    COLD_FLAGS=(--no-cache)
    BUILDAH_ISOLATION=chroot three buildah "${B[@]}" bud --layers --pull-never --network none -f "$T/ctx/Minifile" -t minibench
    tools+=(buildah)
  else
    echo "buildah bud: skipped (cannot load the busybox base)"
  fi
else
  echo "buildah bud: skipped (not installed)"
fi

# A RUN --mount=type=cache recipe (mini only: the legacy docker builder has no --mount): a
# "package manager" that downloads (sleep 0.1 s + 10 MB of /dev/urandom) each of 30 packages
# into its cache unless already there, then installs 64 kB of each. The second build reruns the
# step (--no-cache) and finds the 300 MB cache filled by the first.
mkdir -p "$T/pm"
cat >"$T/pm/Minifile" <<'MF'
FROM busybox:latest
RUN --mount=type=cache,target=/var/cache/pm,id=bench-pm for i in $(seq 1 30); do f=/var/cache/pm/pkg$i.bin; if [ ! -s $f ]; then sleep 0.1; dd if=/dev/urandom of=$f.part bs=1M count=10 2>/dev/null && mv $f.part $f; fi; mkdir -p /opt/pkg$i; dd if=$f of=/opt/pkg$i/lib.so bs=64k count=1 2>/dev/null; done
MF
"$MINI" --root "$R" builder prune -f >/dev/null
run_case mini pm1 "$MINI" --root "$R" build -t pm "$T/pm"
run_case mini pm2 "$MINI" --root "$R" build --no-cache -t pm "$T/pm"
pm_cache=$(du -sh "$R/build-cache-mounts" | cut -f1)

ratio() { [[ "$1" =~ ^[0-9]+$ && "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] && awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1fx", a/b}' || echo -; }
printf '\n%-22s' ""
for t in "${tools[@]}"; do printf '%14s' "$t (ms)"; done
for t in "${tools[@]:1}"; do printf '%14s' "$t/mini"; done
echo
for k in cold cached changed; do
  case $k in cold) label="cold build" ;; cached) label="fully cached" ;; changed) label="one file changed" ;; esac
  printf '%-22s' "$label"
  for t in "${tools[@]}"; do printf '%14s' "${MS[$t.$k]}"; done
  for t in "${tools[@]:1}"; do printf '%14s' "$(ratio "${MS[$t.$k]}" "${MS[mini.$k]}")"; done
  echo
done
printf '\ncache mount (%s package cache, mini): first build %s ms, second build (--no-cache, cache reused) %s ms (%s)\n' \
  "$pm_cache" "${MS[mini.pm1]}" "${MS[mini.pm2]}" "$(ratio "${MS[mini.pm1]}" "${MS[mini.pm2]}") faster"
# bench/all.sh's one table: work, mini, docker, podman (buildah).
if [ -n "${BENCH_SUMMARY:-}" ]; then
  for k in cold cached; do
    case $k in cold) label="build, no cache" ;; cached) label="build, fully cached" ;; esac
    printf '%s\t%s ms\t%s ms\t%s ms\n' "$label" "${MS[mini.$k]:--}" "${MS[docker.$k]:--}" "${MS[buildah.$k]:--}" >>"$BENCH_SUMMARY"
  done
fi
