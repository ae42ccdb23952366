#!/bin/bash
# stats (Docker's columns; a 64m limit shown as 64MiB, a busy container's CPU %), update (the
# cgroup file of a running container and config.json), events (--since/--until/--filter/--format
# over a create/start/stop/rm sequence, and following).
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox
on_exit remove_all_containers
v2=false; [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && v2=true
memfile() { if $v2; then echo /sys/fs/cgroup/mini/$1/memory.max; else echo /sys/fs/cgroup/memory/mini/$1/memory.limit_in_bytes; fi; }

t0=$(date +%s.%N)
id=$(mini run -d --name busy --memory 64m busybox sh -c 'yes >/dev/null')
out=$(mini stats --no-stream)
expect_eq "$(head -1 <<<"$out" | tr -s ' ')" "CONTAINER ID NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS"
row=$(grep "^${id:0:12} " <<<"$out") || fail "no row for busy: $out"
grep -E ' / 64MiB ' <<<"$row" >/dev/null || fail "limit not 64MiB: $row"
cpu=$(mini stats --no-stream --format '{{.CPUPerc}}' busy)
[ "${cpu%%.*}" -gt 10 ] || fail "CPU % of yes: $cpu"
expect_eq "$(mini stats --no-stream --format '{{.Name}} {{.PIDs}} {{.ID}}' busy)" "busy 1 ${id:0:12}"
expect_eq "$(mini stats --no-stream --no-trunc --format '{{.Container}} {{.ID}}' busy)" "busy $id"
mini stats --no-stream --format 'table {{.Name}}\t{{.MemUsage}}' | head -1 | grep -E '^NAME +MEM USAGE / LIMIT$' >/dev/null ||
  fail "table header"

# update: the running container's cgroup at once, config.json for the next start.
expect_eq "$(mini update --memory 96m --memory-swap 128m busy)" busy
expect_eq "$(cat "$(memfile "$id")")" 100663296
expect_eq "$(mini stats --no-stream --format '{{.MemUsage}}' busy | sed 's/.* \/ //')" 96MiB
expect_eq "$(mini inspect -f '{{.HostConfig.Memory}}' busy)" 100663296
rc=0; err=$(mini update --memory 200m busy 2>&1) || rc=$?
expect_eq "$rc:$err" "1:mini: error: Cannot update container $id: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
rc=0; err=$(mini update --memory 1k busy 2>&1) || rc=$?
expect_eq "$rc:$err" "1:mini: error: Minimum memory limit allowed is 6MB"
rc=0; err=$(mini update --restart sometimes busy 2>&1) || rc=$?
expect_eq "$rc:$err" "1:mini: error: invalid restart policy 'sometimes'"
expect_eq "$(mini update --pids-limit 50 --restart on-failure:3 busy)" busy
expect_eq "$(mini events --since "$t0" --until 0s --filter event=update --format '{{.Actor.Attributes.name}}' | sort -u)" busy
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$R/containers/$id/config.json" | grep -F '"Restart": "on-failure:3"' >/dev/null || fail "restart policy not in config.json"
mini stop -t 0 busy >/dev/null
mini start busy >/dev/null
id2=$(mini inspect -f '{{.Id}}' busy)
expect_eq "$(cat "$(memfile "$id2")")" 100663296 "kept across a restart"
mini rm -f busy >/dev/null

# events over a create/start/stop/rm sequence.
t1=$(date +%s.%N)
mini create --name ev --label team=a busybox sleep 60 >/dev/null
mini start ev >/dev/null
mini stop -t 0 ev >/dev/null
mini rm ev >/dev/null
t2=$(date +%s.%N)
evs=$(mini events --since "$t1" --until "$t2" --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}')
expect_eq "$(tr '\n' ',' <<<"$evs")" "container create ev,container start ev,container kill ev,container kill ev,container die ev,container stop ev,container destroy ev,"
expect_eq "$(mini events --since "$t1" --until "$t2" --filter event=die --format '{{.Actor.Attributes.exitCode}}')" 137
# rm -f of a running container: kill (signal=9), die, destroy, as Docker's.
t3=$(date +%s.%N)
mini run -d --name evf busybox sleep 60 >/dev/null
mini rm -f evf >/dev/null
t4=$(date +%s.%N)
evs=$(mini events --since "$t3" --until "$t4" --filter container=evf --format '{{.Action}}{{with .Actor.Attributes.signal}}={{.}}{{end}}')
expect_eq "$(tr '\n' ',' <<<"$evs")" "create,start,kill=9,die,destroy," "rm -f's events"
expect_eq "$(mini events --since "$t1" --until "$t2" --filter container=ev --filter event=start --filter event=stop | wc -l)" 2
expect_eq "$(mini events --since "$t1" --until "$t2" --filter label=team=a | wc -l)" 7
expect_eq "$(mini events --since "$t1" --until "$t2" --filter label=team=b | wc -l)" 0
expect_eq "$(mini events --since "$t0" --until "$t1" --filter container=ev | wc -l)" 0
line=$(mini events --since "$t1" --until "$t2" --filter event=create)
grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}(Z|[+-][0-9]{2}:[0-9]{2}) container create [0-9a-f]{64} \(image=busybox, name=ev, team=a\)$' <<<"$line" >/dev/null ||
  fail "default line: $line"
j=$(mini events --since "$t1" --until "$t2" --filter event=create --format '{{json .}}')
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert list(d)==["status","id","from","Type","Action","Actor","scope","time","timeNano"], list(d); assert d["from"]=="busybox" and d["scope"]=="local" and d["Actor"]["Attributes"]["name"]=="ev"' "$j" ||
  fail "json: $j"
expect_eq "$(mini events --since 10m --until 0s --filter type=image --format '{{.Action}}' | head -2 | tr '\n' ' ')" "tag import "
rc=0; err=$(mini events --filter foo=bar --until 0s 2>&1) || rc=$?
expect_eq "$rc:$err" "1:mini: error: Invalid filter 'foo'"
# Without --until it follows: an event appended later is printed.
"$MINI" --root "$R" events --filter type=volume --format '{{.Action}} {{.Actor.ID}}' >"$T/follow" 2>&1 &
fp=$!; on_exit "kill $fp 2>/dev/null || true"
sleep 0.5; mini volume create evvol >/dev/null; mini volume rm evvol >/dev/null; sleep 0.6
kill $fp; wait $fp 2>/dev/null || true
expect_eq "$(tr '\n' ',' <"$T/follow")" "create evvol,destroy evvol,"
echo "cli_stats_events: OK"
