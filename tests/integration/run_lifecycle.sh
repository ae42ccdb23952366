#!/bin/bash
# Detached containers, ps, logs, stop, kill, wait, rm, names, signal forwarding.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox

id=$(mini run -d --name web busybox sh -c 'echo hello; trap "echo got-term; exit 7" TERM; while true; do sleep 0.1; done')
[ ${#id} = 64 ] || fail "id [$id]"
grep -q "\"Image\":\"sha256:[0-9a-f]\{64\}\"" "$R/containers/$id/config.json" || fail "config.json Image"
mini ps | grep ' web$' >/dev/null || fail "ps does not show web"
expect_eq "$(mini ps -q)" "${id:0:12}"
if mini run -d --name web busybox true 2>/dev/null; then fail "duplicate name accepted"; fi
for i in $(seq 50); do mini logs web | grep hello >/dev/null && break; sleep 0.1; done
expect_eq "$(mini logs web)" hello
expect_eq "$(mini stop -t 20 web)" web
expect_eq "$(mini logs "${id:0:8}" | tail -1)" got-term
expect_eq "$(mini wait web)" 7
mini ps | grep web >/dev/null && fail "stopped container still listed by ps"
mini ps -a | grep 'Exited (7)' >/dev/null || fail "ps -a status"
if mini rm nosuch 2>/dev/null; then fail "rm of a missing container"; fi

# kill -s, rm -f of a running container.
id2=$(mini run -d busybox sleep 1000)
mini kill -s KILL "$id2" >/dev/null
expect_eq "$(mini wait "$id2")" 137
id3=$(mini run -d busybox sleep 1000)
if mini rm "$id3" 2>/dev/null; then fail "rm of a running container without -f"; fi
mini rm -f "$id3" >/dev/null
# A verb over several names (Docker's way): a failure is printed, the others still go, exit 1.
set +e; out=$(mini rm web nosuch "$id2" 2>"$T/rm.err"); rc=$?; set -e
expect_eq "$rc" 1 "rm with one missing name"
expect_eq "$out" "web
$id2" "rm removes the others"
expect_eq "$(cat "$T/rm.err")" "mini: error: No such container: nosuch" "rm error"
set +e; mini start nosuch 2>/dev/null; rc=$?; set -e
expect_eq "$rc" 1 "start of a missing container (docker start exits 1)"
expect_eq "$(mini ps -a -q | wc -l)" 0

# A killed monitor: the container dies with it and ps shows it exited.
id4=$(mini run -d busybox sleep 1000)
# Runtime state is on tmpfs under /run/mini/<store hash>/containers/<id>.
mon=$(sed 's/.*"MonitorPid":\([0-9]*\).*/\1/' /run/mini/*/containers/$id4/state.json)
kill -9 "$mon"
for i in $(seq 50); do mini ps -a | grep Exited >/dev/null && break; sleep 0.1; done
mini ps -a | grep "${id4:0:12}" | grep Exited >/dev/null || fail "container of a killed monitor not shown as exited"
mini rm "$id4" >/dev/null

# Signals sent to `mini run` reach the container.
"$MINI" --root "$R" run --rm busybox sh -c 'trap "exit 42" TERM; echo ready; while true; do sleep 0.1; done' >"$T/out" &
pid=$!
for i in $(seq 100); do grep -q ready "$T/out" && break; sleep 0.1; done
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
expect_eq $rc 42 "TERM forwarded"
# Detached with --rm removes itself.
id5=$(mini run -d --rm busybox true)
[ -d "$R/containers/$id5" ] && fail "--rm container in the store"
for i in $(seq 50); do ls -d /run/mini/*/containers/$id5 >/dev/null 2>&1 || break; sleep 0.1; done
ls -d /run/mini/*/containers/$id5 2>/dev/null && fail "--rm -d container not removed"
grep -q " $R/" /proc/self/mountinfo && fail "mounts left under the root"
echo PASS
