#!/bin/bash
# Concurrency on one store: 3 pulls of the same image, 20 `run --rm` at once, a build while rmi
# and system prune run, two builds sharing a base and cache, the same archive loaded twice at
# once. Each succeeds (or fails with a clear conflict), and the store checks clean afterwards.
# Env: MINI=<binary>. Exit 0 pass, 77 skip, anything else fail.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"
on_exit remove_all_containers
import_busybox
start_registry conc

check_clean() {
  mini ps -a >/dev/null
  mini system check >"$T/check" 2>&1 || { cat "$T/check"; fail "$1: system check"; }
  expect_eq "$(ls "$R/leases" | grep -v '^container-' || true)" "" "$1: leases left"
  expect_eq "$(ls -A "$R/tmp")" "" "$1: left in tmp/"
}

push_app_image 8000000

echo "== 3 pulls of the same image"
mini rmi "$REG/app:1" >/dev/null
mini system prune -f >/dev/null
pids=()
for i in 1 2 3; do mini pull -q "$REG/app:1" >"$T/pull$i" 2>&1 & pids+=($!); done
for i in 0 1 2; do wait "${pids[$i]}" || { cat "$T/pull$((i + 1))"; fail "pull $((i + 1)) of 3"; }; done
mini run --rm --network none "$REG/app:1" cat /ran >/dev/null || fail "the pulled image runs"
check_clean "3 pulls"

echo "== 20 run --rm at once"
pids=()
for i in $(seq 20); do mini run --rm --network none busybox sh -c "echo $i" >"$T/run$i" 2>&1 & pids+=($!); done
for i in $(seq 20); do
  wait "${pids[$((i - 1))]}" || { cat "$T/run$i"; fail "run $i of 20"; }
  expect_eq "$(cat "$T/run$i")" "$i" "run $i output"
done
expect_eq "$(mini ps -a -q)" "" "no container left"
check_clean "20 runs"

echo "== a build while rmi and system prune run"
printf 'FROM busybox\nRUN sleep 1 && echo a > /a\nRUN cat /a > /b\n' >"$T/ctx/Minifile.slow"
mini build -q -f "$T/ctx/Minifile.slow" -t slow:1 "$T/ctx" >"$T/slow" 2>&1 &
B=$!
# Once its first RUN runs (its container exists), the build stands on the base.
for _ in $(seq 200); do [ -n "$(ls "$R/containers" | grep -E '^[0-9a-f]{64}$' || true)" ] && break; sleep 0.05; done
mini rmi busybox >/dev/null 2>&1 || true
mini system prune -f -a >/dev/null
wait $B || { cat "$T/slow"; fail "the build during rmi + prune"; }
expect_eq "$(mini run --rm --network none slow:1 cat /b)" a "the build's result"
check_clean "build during rmi + prune"
import_busybox

echo "== two builds sharing a base and cache"
printf 'FROM busybox\nRUN echo shared > /s\nRUN echo %s > /own\n' one >"$T/ctx/Minifile.one"
printf 'FROM busybox\nRUN echo shared > /s\nRUN echo %s > /own\n' two >"$T/ctx/Minifile.two"
mini build -q -f "$T/ctx/Minifile.one" -t one:1 "$T/ctx" >"$T/b1" 2>&1 & P1=$!
mini build -q -f "$T/ctx/Minifile.two" -t two:1 "$T/ctx" >"$T/b2" 2>&1 & P2=$!
wait $P1 || { cat "$T/b1"; fail "build one"; }
wait $P2 || { cat "$T/b2"; fail "build two"; }
expect_eq "$(mini run --rm --network none one:1 cat /s /own | tr '\n' ' ')" "shared one " "build one's result"
expect_eq "$(mini run --rm --network none two:1 cat /s /own | tr '\n' ' ')" "shared two " "build two's result"
check_clean "two builds"

echo "== the same archive loaded twice at once"
mini rmi "$REG/app:1" >/dev/null 2>&1 || true  # the prune -a above may have taken it
mini system prune -f >/dev/null
mini load -q -i "$T/app.tar" >"$T/l1" 2>&1 & P1=$!
mini load -q -i "$T/app.tar" >"$T/l2" 2>&1 & P2=$!
wait $P1 || { cat "$T/l1"; fail "load 1"; }
wait $P2 || { cat "$T/l2"; fail "load 2"; }
mini run --rm --network none "$REG/app:1" cat /ran >/dev/null || fail "the loaded image runs"
check_clean "two loads"
echo PASS
