#!/usr/bin/env bash
# Benchmark (not part of ctest): cold builds of three real-world Debian recipes, as a new user
# writes them, with `--network host` and the machine's Debian mirror: apt-get install of curl,
# then of the scm tools (git, mercurial, subversion, openssh-client), then of a compiler
# toolchain (build-essential). mini against `docker build` (a private dockerd, Debian's
# docker.io 20.10 default builder), side by side; the time of the layer's pack in mini's own
# words (`mini --debug`: "packed layer").
#
# Fairness: one Debian base for both, made once with debootstrap (the cache of
# tests/integration/build_example_c.sh, /var/cache/mini-test/debian-bookworm.tar) and imported
# into both stores; both stores on one fresh ext4 on a loop device of this benchmark alone;
# every build is --no-cache and starts after `sync`; each round alternates who goes first (apt's
# downloads warm the mirror's caches for whoever comes second); medians of wall time.
# Usage: MINI=build/mini bench/apt_build.sh [ROUNDS]   (as root; default 1 round)
set -euo pipefail
MINI=${MINI:-$(cd "$(dirname "$0")/.." && pwd)/build/mini}
export MINI
RUNS=${1:-1}
HERE=$(cd "$(dirname "$0")/../tests/integration" && pwd)
source "$HERE/lib.sh"
source "$HERE/dockerd.bash"
on_exit remove_all_containers
CACHE_DIR=${MINI_TEST_CACHE:-/var/cache/mini-test}
DEB_TAR=$CACHE_DIR/debian-bookworm.tar
[ -s "$DEB_TAR" ] || {
  echo "no Debian base: run tests/integration/build_example_c.sh once (it makes $DEB_TAR)"
  exit 77
}

OUT=$T/out
source "$(dirname "$0")/loop_fs.bash"
mount_loop_fs "$OUT" 30G

R=$OUT/mini
"$MINI" --root "$R" import "$DEB_TAR" debian:bookworm >/dev/null
HAVE_DOCKER=
if command -v dockerd >/dev/null && start_private_dockerd "$OUT/docker" "$T/docker.sock" >/dev/null &&
   docker import "$DEB_TAR" debian:bookworm >/dev/null; then
  HAVE_DOCKER=1
else
  echo "docker: skipped (no dockerd, or it did not start)"
fi

# The recipes: what a user writes (one RUN each, apt's lists removed as Docker's docs advise).
declare -A RECIPE=(
  [curl]="apt-get install -y --no-install-recommends curl ca-certificates"
  [scm]="apt-get install -y --no-install-recommends git mercurial openssh-client subversion procps"
  [toolchain]="apt-get install -y --no-install-recommends build-essential"
)
NAMES=${NAMES:-curl scm toolchain}  # NAMES="scm" builds one recipe
for n in $NAMES; do
  mkdir -p "$T/ctx-$n"
  printf 'FROM debian:bookworm\nENV DEBIAN_FRONTEND=noninteractive\nRUN apt-get update && %s && rm -rf /var/lib/apt/lists/*\n' \
    "${RECIPE[$n]}" >"$T/ctx-$n/Dockerfile"
  cp "$T/ctx-$n/Dockerfile" "$T/ctx-$n/Minifile"
done
echo "base: $(du -sh "$DEB_TAR" | cut -f1) Debian bookworm minbase; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"

now() { date +%s.%N; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
declare -A walls=()
add() { walls[$1]="${walls[$1]:-} $3"; printf '  round %s  %-18s %7.2fs  %s\n' "$2" "$1" "$3" "${4:-}"; }
# build_mini NAME ROUND / build_docker NAME ROUND: one cold build, timed.
build_mini() {
  local s e pack
  sync
  s=$(now)
  "$MINI" --root "$R" --debug build --no-cache --network host -t "b-$1" "$T/ctx-$1" >"$T/mini-$1.log" 2>&1 ||
    { tail -n 20 "$T/mini-$1.log"; return 1; }
  e=$(now)
  pack=$(grep -o 'packed layer: .*' "$T/mini-$1.log" | tail -n1 || true)
  add "mini $1" "$2" "$(echo "$e - $s" | bc)" "$pack"
  "$MINI" --root "$R" rmi "b-$1" >/dev/null
}
build_docker() {
  [ -n "$HAVE_DOCKER" ] || return 0
  local s e
  sync
  s=$(now)
  docker build --no-cache --network host -t "b-$1" "$T/ctx-$1" >"$T/docker-$1.log" 2>&1 ||
    { tail -n 20 "$T/docker-$1.log"; return 1; }
  e=$(now)
  add "docker $1" "$2" "$(echo "$e - $s" | bc)"
  docker rmi "b-$1" >/dev/null
}

for i in $(seq "$RUNS"); do
  for n in $NAMES; do
    if ((i % 2)); then build_mini "$n" "$i"; build_docker "$n" "$i"
    else build_docker "$n" "$i"; build_mini "$n" "$i"; fi
  done
done

ratio() { if [ "$(echo "$2 > 0" | bc)" = 1 ]; then echo "scale=2; $1 / $2" | bc; else echo -; fi; }
wmed() { if [ -n "${walls[$1]:-}" ]; then echo "${walls[$1]}" | median; else echo 0; fi; }
printf '\n%-22s %8s %8s %7s\n' "median of $RUNS" mini docker ratio
for n in $NAMES; do
  printf '%-22s %7.2fs %7.2fs %7s\n' "$n" "$(wmed "mini $n")" "$(wmed "docker $n")" "$(ratio "$(wmed "mini $n")" "$(wmed "docker $n")")"
  [ -z "${BENCH_SUMMARY:-}" ] ||
    printf 'build, apt-get install %s, cold\t%.2f s\t%.2f s\t-\n' "$n" "$(wmed "mini $n")" "$(wmed "docker $n")" >>"$BENCH_SUMMARY"
done
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg))"
