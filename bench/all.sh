#!/usr/bin/env bash
# Every benchmark in one go (as root, on an otherwise idle machine): bench/run.sh, build.sh,
# commit.sh, apt_build.sh (APT_ROUNDS, default 1: it downloads from the Debian mirror) and
# pull_push.sh (the 4-layer image, the Debian stack, the 100,000 small files), each with its
# own fairness rules (see their headers and bench/README.md). Their full output goes to
# OUT/<name>.txt; at the end one table of the headline numbers, mini beside docker and podman,
# with mini/docker.
# Usage: bench/all.sh [OUT]   (default /tmp/mini-bench-<date>; env MINI=<binary>, ROUNDS=3)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export MINI=${MINI:-$(cd "$HERE/.." && pwd)/build/mini}
OUT=${1:-/tmp/mini-bench-$(date +%Y%m%d-%H%M%S)}
ROUNDS=${ROUNDS:-3}
mkdir -p "$OUT"
export BENCH_SUMMARY=$OUT/summary.tsv
: >"$BENCH_SUMMARY"
failed=()
bench() {
  local name=$1
  shift
  echo "== $name ($(date +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
  if ! "$@" >"$OUT/$name.txt" 2>&1; then
    failed+=("$name")
    echo "   failed: see $OUT/$name.txt"
  fi
}
bench run bash "$HERE/run.sh" 50
bench build bash "$HERE/build.sh"
bench commit bash "$HERE/commit.sh" "$ROUNDS"
bench apt_build bash "$HERE/apt_build.sh" "${APT_ROUNDS:-1}"
bench pull_push bash "$HERE/pull_push.sh" "$ROUNDS"
bench pull_debian env IMAGE=debian SKIP_PUSH=1 TOOLS="mini docker podman" bash "$HERE/pull_push.sh" "$ROUNDS"
bench pull_small env IMAGE=small SKIP_PUSH=1 TOOLS="mini docker podman" bash "$HERE/pull_push.sh" "$ROUNDS"

echo
echo "mini $("$MINI" version -f '{{.Client.Version}}' 2>/dev/null) ($(git -C "$HERE/.." rev-parse --short HEAD 2>/dev/null)), $(date -u +%Y-%m-%d), $(nproc) cpus"
awk -F'\t' '
  function num(s) { return s ~ /^[0-9.]+ / ? substr(s, 1, index(s, " ") - 1) + 0 : 0 }
  function unit(s) { return substr(s, index(s, " ") + 1) }
  BEGIN {
    printf "| %-40s | %10s | %10s | %10s | %12s |\n", "work", "mini", "docker", "podman", "mini / docker"
    printf "|%s|%s|%s|%s|%s|\n", "------------------------------------------", "------------", "------------", "------------", "--------------"
  }
  {
    r = (num($2) > 0 && num($3) > 0 && unit($2) == unit($3)) ? sprintf("%.2fx", num($2) / num($3)) : "-"
    printf "| %-40s | %10s | %10s | %10s | %12s |\n", $1, $2, ($3 == "" ? "-" : $3), ($4 == "" ? "-" : $4), r
  }' "$BENCH_SUMMARY"
[ ${#failed[@]} -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
