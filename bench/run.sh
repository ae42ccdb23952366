#!/usr/bin/env bash
# Benchmark: `run --rm busybox true` end to end, N times each (median, p90), for mini (with
# --network none, the base row, and on its default bridge network) and, when
# installed, docker (a private dockerd with the same image, loaded through `mini save | docker
# load`), podman and runc (on a prepared bundle: `runc run`, i.e. create+start+delete).
# Usage: bench/run.sh [N]  (default 50).  Env: MINI=<binary> (default build/mini), BUSYBOX.
# mini is also timed without seccomp (what the default profile costs), with --userns=auto
# (idmapped layers, and chowned layer copies).
# Needs root. Prints one table with each tool's ratio to mini.
set -euo pipefail
N=${1:-50}
MINI=${MINI:-$(cd "$(dirname "$0")/.." && pwd)/build/mini}
BUSYBOX=${BUSYBOX:-$(command -v busybox || true)}
[ "$(id -u)" = 0 ] || { echo "bench/run.sh needs root" >&2; exit 1; }
[ -x "$MINI" ] || { echo "no mini binary at $MINI (set MINI=)" >&2; exit 1; }
[ -n "$BUSYBOX" ] || { echo "no busybox on the host" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed for the timings" >&2; exit 1; }

source "$(dirname "$0")/lib.sh"
source "$(cd "$(dirname "$0")/../tests/integration" && pwd)/dockerd.bash"
W=$(mktemp -d /tmp/mini-bench-run.XXXXXX)
# Runs after stop_private_dockerd (which start_private_dockerd registers later, so runs earlier).
remove_workdir() {
  grep -o " $W/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$W"
}
on_exit remove_workdir

# timeit NAME CMD...: appends "NAME median p90" over N runs to the results.
timeit() { bench_time "$N" "$@" >>"$W/results"; }

# The busybox image: the host's static busybox with its applets (as the integration tests do).
R=$W/mini-root
bench_busybox_rootfs "$W/bb" "$BUSYBOX"
tar -C "$W/bb" -c . | "$MINI" --root "$R" import - busybox:latest >/dev/null
: >"$W/results"

echo "mini: $MINI"
timeit "mini --network none" "$MINI" --root "$R" run --rm --network none busybox true
# What the default seccomp profile costs (the cached BPF is loaded right before exec).
timeit "mini --network none, seccomp=unconfined" "$MINI" --root "$R" run --rm --network none --security-opt seccomp=unconfined busybox true
# The default network: veth pair, lease, /etc/hosts (target: within 2x of none).
timeit "mini --network bridge" "$MINI" --root "$R" run --rm --network bridge busybox true
# --userns=auto: idmapped lowers, and chowned layer copies (warm: made by the warm-up runs).
# mini's subordinate ids come from private files here, the host's /etc/subuid is not touched.
: >"$W/subuid"; : >"$W/subgid"
MINI_SUBUID=$W/subuid MINI_SUBGID=$W/subgid timeit "mini --userns=auto (idmap)" "$MINI" --root "$R" run --rm --network none --userns=auto busybox true
MINI_SUBUID=$W/subuid MINI_SUBGID=$W/subgid MINI_USERNS_FORCE_COPY=1 \
  timeit "mini --userns=auto (copy)" "$MINI" --root "$R" run --rm --network none --userns=auto busybox true

if command -v runc >/dev/null; then
  mkdir -p "$W/bundle"
  cp -a "$W/bb" "$W/bundle/rootfs"
  (cd "$W/bundle" && runc spec)
  python3 - "$W/bundle/config.json" <<'EOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["true"]
c["process"]["terminal"] = False
json.dump(c, open(p, "w"))
EOF
  echo "runc: $(runc --version | head -1)"
  timeit "runc run (bundle)" runc --root "$W/runc-state" run --bundle "$W/bundle" mini-bench-$$
fi

if command -v docker >/dev/null; then
  if ! docker version >/dev/null 2>&1 && command -v dockerd >/dev/null; then
    start_private_dockerd "$W/docker" /run/mini-bench-docker.sock >/dev/null || true
  fi
  if docker version >/dev/null 2>&1; then
    "$MINI" --root "$R" save busybox:latest | docker load >/dev/null
    echo "docker: $(docker version -f '{{.Server.Version}}')"
    timeit "docker run --rm" docker run --rm --network none busybox:latest true
    timeit "docker run bridge" docker run --rm --network bridge busybox:latest true
  else
    echo "docker: daemon did not start, skipped"
  fi
fi

if command -v podman >/dev/null; then
  if [ ! -e /etc/containers/containers.conf ]; then
    mkdir -p /etc/containers
    printf '[containers]\ndefault_ulimits = ["nofile=1024:1024","nproc=1000:1000"]\n[engine]\nruntime = "runc"\n' \
      >/etc/containers/containers.conf
  fi
  "$MINI" --root "$R" save busybox:latest | podman --root "$W/podman" load >/dev/null
  echo "podman: $(podman --version)"
  timeit "podman run --rm" podman --root "$W/podman" run --rm --network none busybox:latest true
fi

echo
echo "run --rm busybox true, $N runs each ($(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg))"
awk -F'\t' 'NR == 1 { base = $2 }
  { rows[NR] = $0; n = NR }
  END {
    printf "| %-22s | %10s | %10s | %8s |\n", "tool", "median ms", "p90 ms", "vs mini"
    printf "|%s|%s|%s|%s|\n", "------------------------", "------------", "------------", "----------"
    for (i = 1; i <= n; i++) {
      split(rows[i], f, "\t")
      printf "| %-22s | %10.2f | %10.2f | %7.1fx |\n", f[1], f[2], f[3], f[2] / base
    }
  }' "$W/results"
# bench/all.sh's one table: work, mini, docker, podman.
if [ -n "${BENCH_SUMMARY:-}" ]; then
  awk -F'\t' '{ m[$1] = sprintf("%.1f ms", $2) }
    END {
      printf "run --rm busybox true, --network none\t%s\t%s\t%s\n", m["mini --network none"], m["docker run --rm"], m["podman run --rm"]
      printf "run --rm busybox true, bridge network\t%s\t%s\t%s\n", m["mini --network bridge"], m["docker run bridge"], "-"
    }' "$W/results" >>"$BENCH_SUMMARY"
fi
