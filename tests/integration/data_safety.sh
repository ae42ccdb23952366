#!/bin/bash
# Data safety: what users hit before leases (each check failed before the fix).
# - rmi of an image a running --rm container uses is refused (Docker's message); -f untags only
# - a build whose base is untagged and pruned mid-build completes
# - a --rm container's writes are disk, not RAM: 400 MB under --memory 256m succeed
# - kill -9 of a foreground `mini run --rm`: the container runs to its end and is removed
# - image prune keeps a stopped container's writable layer, system prune a running one's; a
#   killed monitor's --rm container is collected by the next ps
# Env: MINI=<binary>. Exit 0 pass, 77 skip, anything else fail.
source "$(dirname "$0")/lib.sh"
on_exit remove_all_containers
import_busybox
ID=$(mini images -q --no-trunc busybox)

echo "== rmi while a --rm container runs"
mini run --rm -d --network none --name user busybox sleep 30 >/dev/null
set +e; err=$(mini rmi busybox 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "rmi of an image in use succeeded"
grep "conflict: unable to remove repository reference \"busybox\" (must force) - container [0-9a-f]\{12\} is using its referenced image ${ID:7:12}" >/dev/null <<<"$err" || fail "rmi message: $err"
set +e; err=$(mini rmi "$ID" 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "rmi by id of an image a running container uses succeeded"
grep "(cannot be forced) - image is being used by running container" >/dev/null <<<"$err" || fail "rmi id message: $err"
set +e; err=$(mini rmi -f "$ID" 2>&1); rc=$?; set -e
[ $rc -ne 0 ] || fail "rmi -f by id of an image a running container uses succeeded"
expect_eq "$(mini rmi -f busybox)" "Untagged: busybox:latest" "rmi -f untags"
expect_eq "$(mini images -q --no-trunc)" "$ID" "the image stays (dangling) while the container runs"
mini system prune -f -a >/dev/null
mini exec user ls /bin/busybox >/dev/null || fail "the container's layers were removed under it"
expect_eq "$(mini images -q --no-trunc)" "$ID" "prune -a keeps the image a container uses"
mini stop -t 0 user >/dev/null
mini tag "$ID" busybox:latest

echo "== a build whose base is untagged and pruned mid-build"
mkdir -p "$T/ctx"
printf 'FROM busybox\nRUN sleep 2 && echo one > /one\nRUN cat /one > /two\nCMD ["cat", "/two"]\n' >"$T/ctx/Minifile"
mini build -q -t built "$T/ctx" >"$T/build.out" 2>&1 &
B=$!
# Once its first RUN runs (its container exists), the build stands on the base.
for _ in $(seq 200); do [ -n "$(ls "$R/containers" | grep -E '^[0-9a-f]{64}$' || true)" ] && break; sleep 0.05; done
[ -n "$(ls "$R/containers" | grep -E '^[0-9a-f]{64}$' || true)" ] || { cat "$T/build.out"; fail "the build's RUN never started"; }
mini rmi busybox >/dev/null
mini system prune -f -a >/dev/null
wait $B || { cat "$T/build.out"; fail "the build failed after its base was removed"; }
expect_eq "$(mini run --rm --network none built)" one "the built image runs"
expect_eq "$(ls "$R/leases" | grep -v '^container-' || true)" "" "the build's lease is gone"
mini rmi built >/dev/null
mini system prune -f -a >/dev/null
expect_eq "$(mini images -q)" "" "prune after the build"
import_busybox

echo "== --rm writes go to disk"
mini run --rm --network none --memory 256m busybox dd if=/dev/zero of=/big bs=1M count=400 2>/dev/null ||
  fail "400 MB written by a --rm container under --memory 256m failed"
mini run --rm --network none busybox sh -c 'stat -f -c %T /tmp; touch /x; stat -f -c %T /x' >"$T/fs"
grep tmpfs "$T/fs" >/dev/null && fail "a --rm container's root is tmpfs: $(cat "$T/fs")"

echo "== kill -9 of a foreground run --rm"
mini run --rm --network none --name fg busybox sh -c 'sleep 2; echo done > /dev/null' &
P=$!
for _ in $(seq 50); do mini exec fg true 2>/dev/null && break; sleep 0.1; done
kill -9 $P
wait $P 2>/dev/null || true
mini exec fg true || fail "the container died with its client"
for _ in $(seq 50); do [ -z "$(mini ps -a -q --filter name=fg 2>/dev/null || mini ps -a | grep ' fg$' || true)" ] && break; sleep 0.1; done
[ -z "$(mini ps -a | grep ' fg$' || true)" ] || fail "the --rm container stays after it ended: $(mini ps -a)"
expect_eq "$(ls "$R/leases")" "" "no lease left"
expect_eq "$(ls "$R/overlay2" | grep -v '^l$' | wc -l)" 1 "only the image's layer is left in overlay2"

echo "== a killed monitor's --rm container is collected"
mini run --rm -d --network none --name mon busybox sleep 30 >/dev/null
MON=$(mini inspect mon | sed -n 's/.*"MonitorPid": \([0-9]*\).*/\1/p' | head -n1)
[ -n "$MON" ] || MON=$(pgrep -f "run --rm -d --network none --name mon" | head -n1)
[ -n "$MON" ] || fail "no monitor pid"
kill -9 "$MON"
for _ in $(seq 50); do [ -z "$(mini ps -a | grep ' mon$' || true)" ] && break; sleep 0.1; done
[ -z "$(mini ps -a | grep ' mon$' || true)" ] || fail "a --rm container whose monitor was killed stays: $(mini ps -a)"
expect_eq "$(ls "$R/leases")" "" "no lease left after the collection"

echo "== image prune keeps a stopped container's layer; system prune a running one's"
# (system prune removes stopped containers, as Docker's does; the store's garbage collection,
# which both run, must never take a container's own directories.)
mini run --network none --name keep busybox sh -c 'echo mine > /data' >/dev/null
mini image prune -f -a >/dev/null
expect_eq "$(mini start -a keep >/dev/null; mini export keep | tar -xO data)" mine "the stopped container's data after image prune"
mini rm keep >/dev/null
mini run -d --network none --name keep busybox sh -c 'echo mine > /data; sleep 60' >/dev/null
mini system prune -f -a >/dev/null
expect_eq "$(mini exec keep cat /data)" mine "the running container's data after system prune"
mini rm -f keep >/dev/null
mini system prune -f -a >/dev/null
expect_eq "$(ls "$R/overlay2" | grep -v '^l$' || true)" "" "everything goes once the container is removed"
mini system check >/dev/null || fail "system check: $(mini system check)"
echo PASS
