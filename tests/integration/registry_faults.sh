#!/bin/bash
# Network faults between mini and a registry, made by a proxy the test runs
# (registry_fault_proxy.py): a connection cut mid-blob (the pull resumes with a Range request),
# a stalled transfer (timed out, then resumed), and 503/429 answers (retried with backoff).
# Env: MINI=<binary>, SRC_DIR=<repo>. Exit 0 pass, 77 skip, anything else fail.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"
command -v python3 >/dev/null || { echo "skip: python3 is needed for the fault proxy"; exit 77; }
PROXY=$(dirname "$0")/registry_fault_proxy.py

start_registry upstream
push_image img 1 amd64 docker a:gzip b:gzip
WANT=$M_DIGEST

# start_proxy MODE: sets P (127.0.0.1:PORT of the proxy), its log in $T/proxy-MODE.log.
start_proxy() {
  local port
  port=$(free_port)
  python3 "$PROXY" "$port" "$REG" "$1" 2>"$T/proxy-$1.log" &
  REG_PIDS+=($!)
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
    sleep 0.1
  done
  : >"$T/proxy-$1.log"
  P=127.0.0.1:$port
}

export MINI_REGISTRY_BACKOFF_MS=50
for mode in cut stall flaky; do
  echo "== $mode"
  start_proxy "$mode"
  R=$T/root-$mode
  MINI_REGISTRY_STALL_TIMEOUT=2 mini pull -q "$P/img:1" >/dev/null 2>"$T/err" || fail "$mode: $(cat "$T/err")"
  expect_eq "$(manifest_digest_of "$P/img:1")" "$WANT" "$mode: manifest digest"
  [ -z "$(ls -A "$R/tmp")" ] || fail "$mode: tmp not empty"
  case $mode in
    cut | stall)
      # Each blob: one full GET, then one GET with a Range from where the first one broke.
      expect_eq "$(grep -c '^GET /v2/img/blobs/sha256:.* bytes=[1-9][0-9]*-$' "$T/proxy-$mode.log")" 2 "$mode: resumed GETs (one per layer)"
      ;;
    flaky)
      grep -q "GET /v2/img/manifests/1" "$T/proxy-$mode.log" || fail "flaky: no manifest request"
      ;;
  esac
done
echo PASS
