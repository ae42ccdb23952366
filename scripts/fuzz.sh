#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) into build-fuzz/ and runs each for SECONDS (default
# 30) on a working copy of its seed corpus (tests/fuzz/corpus/<target>, never written to).
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 600 tar_extract
# Prints per target the executions and whether it found anything (crash, leak, timeout, OOM,
# sanitizer report); exits 1 on any finding, 77 when clang or libFuzzer is missing.
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_WORK (default: a new /tmp/mini-fuzz-*;
# kept when something was found), FUZZ_NO_BUILD=1 to skip the build, FUZZ_JOBS (build jobs).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SECS="${1:-30}"
shift || true
ALL=(reference oci_json minifile ignore www_auth tar_extract decompress)
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=("${ALL[@]}")
BUILD="${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"

# -max_len per target: a little above what the input format needs to reach every path.
declare -A MAX_LEN=([reference]=512 [oci_json]=16384 [minifile]=8192 [ignore]=4096 [www_auth]=2048
                    [tar_extract]=65536 [decompress]=65536)

if ! command -v clang++ >/dev/null || ! command -v clang >/dev/null; then
  echo "fuzz.sh: clang/clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 77
fi
probe="$(mktemp -d /tmp/mini-fuzz-probe-XXXXXX)"
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' >"$probe/p.cc"
if ! clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cc" -o "$probe/p" 2>"$probe/err"; then
  echo "fuzz.sh: clang++ cannot build a libFuzzer target (libclang-rt-14-dev missing?):" >&2
  head -3 "$probe/err" >&2
  exit 77
fi

if [[ "${FUZZ_NO_BUILD:-}" != 1 ]]; then
  launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DMINI_FUZZ=ON -DMINI_NO_LAZY_LIBS=ON -DMINI_BUILD_TESTS=OFF \
    "${launcher[@]}" >/dev/null
  cmake --build "$BUILD" -j"${FUZZ_JOBS:-$(nproc)}" --target mini_fuzz_targets >"$probe/build.log" 2>&1 || {
    tail -40 "$probe/build.log" >&2
    echo "fuzz.sh: build failed" >&2
    exit 2
  }
fi

WORK="${FUZZ_WORK:-$(mktemp -d /tmp/mini-fuzz-XXXXXX)}"
mkdir -p "$WORK"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
found=0
for t in "${TARGETS[@]}"; do
  bin="$BUILD/tests/fuzz/${t}_fuzz"
  [[ -x "$bin" ]] || { echo "fuzz.sh: no target $t ($bin)" >&2; exit 2; }
  dir="$WORK/$t"
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp -r "$ROOT/tests/fuzz/corpus/$t/." "$dir/corpus/"
  rc=0
  # Relative paths: tar_extract_fuzz puts a private /tmp (MINI_FUZZ_SCRATCH) over the real one.
  (cd "$dir" && MINI_FUZZ_SCRATCH="$dir/scratch" nice -n 10 "$bin" -max_total_time="$SECS" -max_len="${MAX_LEN[$t]:-4096}" -timeout=20 -error_exitcode=1 \
    -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix=artifacts/ corpus) >"$dir/log" 2>&1 || rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)"
  artifacts="$(ls "$dir/artifacts")"
  if ((rc != 0)) || [[ -n "$artifacts" ]]; then
    found=1
    printf '%-12s %10s execs  FOUND (exit %d): %s\n' "$t" "${execs:-?}" "$rc" "$(echo $artifacts)"
    grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|tar_extract_fuzz|.*_fuzz: )' "$dir/log" | sed 's/^/    /' || true
    echo "    log: $dir/log"
  else
    printf '%-12s %10s execs  ok (corpus %s inputs)\n' "$t" "${execs:-?}" "$(ls "$dir/corpus" | wc -l)"
  fi
done
if ((found)); then
  echo "fuzz.sh: findings kept in $WORK" >&2
  exit 1
fi
[[ -n "${FUZZ_WORK:-}" ]] || rm -rf "$WORK"
