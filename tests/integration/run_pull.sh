#!/bin/bash
# mini run and create pull a missing image as Docker does (--pull missing|always|never, progress
# on stderr, the container's output alone on stdout), with mini pull's verification. Against
# Debian's docker-registry.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"

start_registry open
import_busybox
mini tag busybox:latest "$REG/bb:1"
mini push -q "$REG/bb:1" >/dev/null
ID=$(id_of "$REG/bb:1")
mini rmi "$REG/bb:1" busybox:latest >/dev/null
store_is_empty || fail "rmi left things behind"

echo "== run of a missing image pulls it; stdout is the container's"
t0=$(date +%s)
out=$(mini run --rm --network none "$REG/bb:1" echo hi 2>"$T/r1.err") || fail "run: $(cat "$T/r1.err")"
expect_eq "$out" hi "stdout holds only the container's output"
head -2 "$T/r1.err"
expect_eq "$(head -1 "$T/r1.err")" "Unable to find image '$REG/bb:1' locally" "Docker's first line"
grep -x "Status: Downloaded newer image for $REG/bb:1" "$T/r1.err" >/dev/null || fail "no status line: $(cat "$T/r1.err")"
expect_eq "$(id_of "$REG/bb:1")" "$ID" "the pulled image, as mini pull stores it"
expect_eq "$(mini events --since "$t0" --until 0s --filter event=pull --format '{{.Actor.ID}}')" "$REG/bb:1" "run's pull event"

echo "== present: no pull; --pull always: pulled again; --pull never"
mini run --rm --network none "$REG/bb:1" true 2>"$T/r2.err" || fail "run present"
expect_eq "$(cat "$T/r2.err")" "" "no pull output when the image is present"
mini run --rm --pull always --network none "$REG/bb:1" true 2>"$T/r3.err" || fail "--pull always"
grep -x "Status: Image is up to date for $REG/bb:1" "$T/r3.err" >/dev/null || fail "--pull always: $(cat "$T/r3.err")"
mini rmi "$REG/bb:1" >/dev/null
rc=0; err=$(mini run --rm --pull never "$REG/bb:1" true 2>&1) || rc=$?
expect_eq "$rc" 125 "exit status of --pull never on a missing image"
expect_eq "$err" "mini: error: No such image: $REG/bb:1" "--pull never"
err=$(mini run --rm --pull sometimes "$REG/bb:1" true 2>&1) && fail "a bad --pull ran"
expect_eq "$err" "mini: error: invalid pull option: 'sometimes': must be one of \"always\", \"missing\" or \"never\"" "bad --pull"
store_is_empty || fail "a refused run left things behind"

echo "== create pulls too"
cid=$(mini create --network none "$REG/bb:1" echo created 2>"$T/c.err") || fail "create: $(cat "$T/c.err")"
expect_eq "$(id_of "$REG/bb:1")" "$ID" "create pulled the image"
expect_eq "$(mini start -a "$cid")" created "the created container runs"
mini rm "$cid" >/dev/null

echo "== an image the registry lacks: one line, exit 125, nothing left"
mini rmi "$REG/bb:1" >/dev/null
rc=0; mini run --rm "$REG/nope:1" true >"$T/n.out" 2>"$T/n.err" || rc=$?
expect_eq "$rc" 125 "exit status of a failed pull"
expect_eq "$(tail -1 "$T/n.err")" "mini: error: pull $REG/nope:1: manifest nope:1: not found: manifest unknown" "missing image"
store_is_empty || fail "a failed pull left things behind"
echo PASS
