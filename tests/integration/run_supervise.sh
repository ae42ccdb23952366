#!/bin/bash
# Supervision by the container's monitor: --restart policies (back-off, RestartCount, stop ends
# them, start --all-restarting), health checks (ps, inspect, events), --init reaping, the stop
# signal and timeout; inspect shapes against dockerd's when it is installed.
source "$SRC_DIR/tests/integration/lib.sh"
source "$SRC_DIR/tests/integration/dockerd.bash"
on_exit remove_all_containers
import_busybox
mkdir -p "$T/d" "$T/d1"

# state_of NAME: "status restartcount exitcode".
state_of() { mini inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' "$1"; }
# wait_status NAME STATUS: up to 10 s for the container to reach STATUS.
wait_status() {
  for _ in $(seq 100); do [ "$(mini inspect -f '{{.State.Status}}' "$1")" = "$2" ] && return 0; sleep 0.1; done
  fail "$1 never became $2 (now: $(state_of "$1"))"
}
monitor_of() { sed 's/.*"MonitorPid":\([0-9]*\).*/\1/' /run/mini/*/containers/"$(mini inspect -f '{{.Id}}' "$1")"/state.json; }
counter='n=$(cat /d/n 2>/dev/null || echo 0); n=$((n+1)); echo $n >/d/n; [ $n -ge 3 ]'

# Validation, with Docker's messages.
expect_eq "$(mini run --rm --restart always busybox true 2>&1)" "mini: error: Conflicting options: --restart and --rm"
expect_eq "$(mini run --restart sometimes busybox true 2>&1)" "mini: error: invalid restart policy 'sometimes'"
expect_eq "$(mini run --restart always:3 busybox true 2>&1)" "mini: error: maximum retry count cannot be used with restart policy 'always'"
expect_eq "$(mini run --stop-signal FOO busybox true 2>&1)" "mini: error: Invalid signal: FOO"
expect_eq "$(mini run --no-healthcheck --health-cmd true busybox true 2>&1)" "mini: error: --no-healthcheck conflicts with --health-* options"
expect_eq "$(mini ps -a -q | wc -l)" 0 "a refused create leaves nothing"

# on-failure:3, attached: the client returns the first exit, the monitor restarts until success.
set +e; mini run --name f3 --network none --restart on-failure:3 -v "$T/d:/d" busybox sh -c "$counter"; rc=$?; set -e
expect_eq "$rc" 1 "attached run returns the first exit status"
wait_status f3 exited
expect_eq "$(state_of f3)" "exited 2 0" "on-failure:3 after two failures"
expect_eq "$(cat "$T/d/n")" 3
expect_eq "$(mini inspect -f '{{json .HostConfig.RestartPolicy}}' f3)" '{"MaximumRetryCount":3,"Name":"on-failure"}'
id=$(mini inspect -f '{{.Id}}' f3)
expect_eq "$(grep -c "\"Action\":\"die\".*\"exitCode\":\"1\".*\"ID\":\"$id\"" "$R/events.log")" 2 "die events of the restarts"
expect_eq "$(grep -c "\"Action\":\"start\".*\"ID\":\"$id\"" "$R/events.log")" 3 "start events: the first start and the two restarts (Docker)"
expect_eq "$(grep -c "\"Action\":\"die\".*\"exitCode\":\"0\".*\"ID\":\"$id\"" "$R/events.log")" 1 "the last run's die event"

# on-failure:1 stops after one restart (detached).
mini run -d --name f1 --network none --restart on-failure:1 -v "$T/d1:/d" busybox sh -c "$counter" >/dev/null
wait_status f1 exited
sleep 0.3
expect_eq "$(state_of f1)" "exited 1 1" "on-failure:1"
expect_eq "$(cat "$T/d1/n")" 2

# always: restarts (ps shows Restarting) until `mini stop`, which ends the policy and the monitor.
mini run -d --name al --restart always busybox sh -c 'sleep 0.2; exit 4' >/dev/null
for _ in $(seq 100); do [ "$(mini inspect -f '{{.RestartCount}}' al)" -ge 3 ] && break; sleep 0.1; done
[ "$(mini inspect -f '{{.RestartCount}}' al)" -ge 3 ] || fail "always did not restart: $(state_of al)"
for _ in $(seq 100); do ps_out=$(mini ps --filter name=al); grep 'Restarting (4)' <<<"$ps_out" >/dev/null && break; sleep 0.05; done
grep 'Restarting (4) .* ago' <<<"$ps_out" >/dev/null || fail "ps never showed Restarting: $ps_out"
for _ in $(seq 100); do [ "$(mini inspect -f '{{.State.Status}}' al)" = running ] && break; sleep 0.05; done
expect_eq "$(mini inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Restarting}} {{.State.Running}}' al)" "running 0 false true" "a restarted run (as docker)"
expect_eq "$(mini wait al)" 4 "wait returns at the end of a run, as docker's"
expect_eq "$(mini inspect -f '{{.State.Status}} {{.State.Restarting}} {{.State.Running}}' al)" "restarting true true"
mon=$(monitor_of al)
expect_eq "$(mini stop al)" al
expect_eq "$(mini inspect -f '{{.State.Status}}' al)" exited "stopped"
# (a zombie does not count: the host's init reaps the orphaned monitor when it gets to it)
[ -e "/proc/$mon" ] && [ "$(awk '{print $3}' "/proc/$mon/stat" 2>/dev/null)" != Z ] && fail "monitor $mon still alive after stop"
sleep 1
expect_eq "$(mini inspect -f '{{.State.Status}}' al)" exited "stays stopped"

# start --all-restarting: always (even stopped by the user) and unless-stopped not stopped by
# the user come back; unless-stopped stopped by the user and on-failure stay down.
mini run -d --name us1 --network none --restart unless-stopped busybox sleep 1000 >/dev/null
mini run -d --name us2 --network none --restart unless-stopped busybox sleep 1000 >/dev/null
mini run -d --name of --network none --restart on-failure busybox sleep 1000 >/dev/null
mini stop -t 1 us1 >/dev/null
mini kill of >/dev/null
kill -9 "$(monitor_of us2)"  # as a reboot would: not stopped by the user
wait_status us2 exited
wait_status of exited
expect_eq "$(mini inspect -f '{{.RestartCount}}' of)" 0 "kill ends the policy"
expect_eq "$(mini start --all-restarting | sort | tr '\n' ' ')" "al us2 " "start --all-restarting"
expect_eq "$(mini inspect -f '{{.State.Status}}' al)" running
expect_eq "$(mini inspect -f '{{.State.Status}}' us2)" running
expect_eq "$(mini inspect -f '{{.State.Status}}' us1)" exited
expect_eq "$(mini inspect -f '{{.State.Status}}' of)" exited
mini rm -f al us1 us2 of f1 >/dev/null

# Health: healthy, then unhealthy once the file is gone; ps, inspect, health filter, events.
mini run -d --name h --network none --health-cmd 'test -f /tmp/ok' --health-interval 1s --health-retries 2 \
  busybox sh -c 'touch /tmp/ok; exec sleep 1000' >/dev/null
mini ps --filter name=h | grep 'Up .* (health: starting)' >/dev/null || fail "ps before the first check: $(mini ps)"
for _ in $(seq 60); do mini ps --filter name=h | grep '(healthy)' >/dev/null && break; sleep 0.1; done
mini ps --filter name=h | grep 'Up .* (healthy)' >/dev/null || fail "never healthy: $(mini ps)"
expect_eq "$(mini ps -q --filter health=healthy | wc -l)" 1 "health=healthy filter"
expect_eq "$(mini ps -q --filter health=none | wc -l)" 0 "health=none filter"
mini exec h rm /tmp/ok
for _ in $(seq 60); do mini ps --filter name=h | grep '(unhealthy)' >/dev/null && break; sleep 0.1; done
mini ps --filter name=h | grep 'Up .* (unhealthy)' >/dev/null || fail "never unhealthy: $(mini ps)"
expect_eq "$(mini inspect -f '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' h)" "unhealthy 2"
mini inspect -f '{{json .State.Health.Log}}' h | grep '"ExitCode":1' >/dev/null || fail "no failed result in the log"
id=$(mini inspect -f '{{.Id}}' h)
expect_eq "$(grep "\"ID\":\"$id\"" "$R/events.log" | grep -o '"Action":"health_status: [a-z]*"' | tr '\n' ' ')" \
  '"Action":"health_status: healthy" "Action":"health_status: unhealthy" ' "health_status events"
# No checks while paused (Docker stops the monitor): a paused healthy container stays healthy
# with no new log entries; after unpause the checks go on.
mini run -d --name hp --network none --health-cmd true --health-interval 200ms --health-retries 1 busybox sleep 1000 >/dev/null
for _ in $(seq 60); do [ "$(mini inspect -f '{{.State.Health.Status}}' hp)" = healthy ] && break; sleep 0.1; done
mini pause hp >/dev/null
sleep 0.3
n1=$(mini inspect -f '{{len .State.Health.Log}} {{.State.Health.FailingStreak}}' hp)
sleep 1
expect_eq "$(mini inspect -f '{{.State.Health.Status}} {{len .State.Health.Log}} {{.State.Health.FailingStreak}}' hp)" "healthy $n1" \
  "health while paused"
mini unpause hp >/dev/null
for _ in $(seq 30); do [ "$(mini inspect -f '{{len .State.Health.Log}}' hp)" != "${n1% *}" ] && break; sleep 0.1; done
[ "$(mini inspect -f '{{len .State.Health.Log}}' hp)" != "${n1% *}" ] || [ "${n1% *}" = 5 ] || fail "no checks after unpause"
expect_eq "$(mini inspect -f '{{.State.Health.Status}}' hp)" healthy "health after unpause"
mini rm -f hp >/dev/null

# A check that outlives its timeout is killed and counted as a failure.
mini run -d --name ht --network none --health-cmd 'sleep 30' --health-interval 200ms --health-timeout 300ms \
  --health-retries 1 busybox sleep 1000 >/dev/null
for _ in $(seq 60); do [ "$(mini inspect -f '{{.State.Health.Status}}' ht)" = unhealthy ] && break; sleep 0.1; done
mini inspect -f '{{json .State.Health.Log}}' ht | grep '"ExitCode":-1,"Output":"Health check exceeded timeout (300ms)"' >/dev/null ||
  fail "timed-out check: $(mini inspect -f '{{json .State.Health}}' ht)"
mini rm -f h ht >/dev/null
# (the monitor's own command line names the check too: match the check's exactly)
for _ in $(seq 30); do pgrep -fx 'sleep 30' >/dev/null || break; sleep 0.1; done
pgrep -fx 'sleep 30' >/dev/null && fail "a timed-out check outlived its container: $(pgrep -fxa 'sleep 30')"

# --init: PID 1 is mini-init and reaps the orphans; without it, a PID 1 that never waits (sleep)
# collects zombies (so the check can fail).
zombies='echo "$(cat /proc/1/comm) $(cat /proc/[0-9]*/stat 2>/dev/null | awk "\$3 == \"Z\"" | wc -l)"'
for mode in --init ""; do
  mini run -d --name z --network none $mode busybox sh -c 'for i in $(seq 50); do (sleep 0.3 &); done; exec sleep 1000' >/dev/null
  sleep 1.5
  got=$(mini exec z sh -c "$zombies")
  mini rm -f z >/dev/null
  if [ -n "$mode" ]; then expect_eq "$got" "mini-init 0" "--init reaps"; else expect_eq "$got" "sleep 50" "zombies without --init"; fi
done
set +e; mini run --rm --network none --init busybox sh -c 'exit 3'; rc=$?; set -e
expect_eq "$rc" 3 "--init exit status"
set +e; mini run --rm --network none --init busybox nosuchcmd 2>/dev/null; rc=$?; set -e
expect_eq "$rc" 127 "--init with a missing command"
expect_eq "$(mini run --rm --network none --init busybox sh -c 'trap "echo term" TERM; kill -TERM 1; sleep 0.2')" "term" "--init forwards signals"

# --stop-signal and --stop-timeout (stop -t overrides it).
mini run -d --name ss --network none --stop-signal USR1 busybox sh -c 'trap "echo got-usr1; exit 5" USR1; while true; do sleep 0.1; done' >/dev/null
sleep 0.3
mini stop ss >/dev/null
expect_eq "$(mini logs ss)" got-usr1
expect_eq "$(mini inspect -f '{{.State.ExitCode}} {{.Config.StopSignal}}' ss)" "5 USR1"
mini run -d --name st --network none --stop-timeout 1 busybox sh -c 'trap "" TERM; while true; do sleep 0.1; done' >/dev/null
sleep 0.3
start=$(date +%s%N); mini stop st >/dev/null; ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -ge 900 ] && [ "$ms" -lt 5000 ] || fail "stop with --stop-timeout 1 took $ms ms"
expect_eq "$(mini inspect -f '{{.State.ExitCode}} {{.Config.StopTimeout}}' st)" "137 1"
mini start st >/dev/null
start=$(date +%s%N); mini stop -t 0 st >/dev/null; ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 800 ] || fail "stop -t 0 took $ms ms"
mini rm -f ss st f3 >/dev/null

# The inspect shapes against dockerd's (when it is installed).
if command -v dockerd >/dev/null && command -v docker >/dev/null && start_private_dockerd "$T/dk" /run/mini-test-docker-supervise.sock; then
  mini save busybox:latest | docker load >/dev/null
  docker run -d --name dh --network none --restart on-failure:3 --health-cmd true --health-interval 1s busybox sleep 100 >/dev/null
  mini run -d --name dh --network none --restart on-failure:3 --health-cmd true --health-interval 1s busybox sleep 100 >/dev/null
  sleep 2.5
  # (key order aside: mini's JSON objects are sorted)
  norm='import json, sys; print(json.dumps(json.loads(sys.stdin.read()), sort_keys=True))'
  for f in '{{json .HostConfig.RestartPolicy}}' '{{json .RestartCount}}' '{{json .State.Health.Status}}' '{{json .Config.Healthcheck}}'; do
    expect_eq "$(mini inspect -f "$f" dh | python3 -c "$norm")" "$(docker inspect -f "$f" dh | python3 -c "$norm")" "inspect $f against docker"
  done
  keys='import json, sys; h = json.load(sys.stdin); print(sorted(h), sorted(h["Log"][0]), type(h["Log"][0]["ExitCode"]).__name__)'
  expect_eq "$(mini inspect -f '{{json .State.Health}}' dh | python3 -c "$keys")" \
    "$(docker inspect -f '{{json .State.Health}}' dh | python3 -c "$keys")" "State.Health's shape against docker"
  docker rm -f dh >/dev/null
  mini ps --filter name=dh | grep 'Up .* (healthy)' >/dev/null || fail "ps health"
else
  echo "note: no dockerd; the inspect shapes were not compared"
fi
grep -q " $R/" /proc/self/mountinfo && fail "mounts left under the root"
echo PASS
