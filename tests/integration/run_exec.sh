#!/bin/bash
# mini exec (namespaces, cgroup, security, exit codes), create/start, inspect of containers.
source "$SRC_DIR/tests/integration/lib.sh"
# Detached containers must not outlive a failed test.
on_exit remove_all_containers
import_busybox

id=$(mini run -d --name box --hostname boxhost busybox sh -c 'echo data > /tmp/written; exec sleep 1000')
for i in $(seq 50); do mini exec box test -f /tmp/written 2>/dev/null && break; sleep 0.1; done
# Its PID namespace: pid 1 is the container's command; ps sees only the container.
expect_eq "$(mini exec box ps -o pid,comm | awk '$1 == 1 {print $2}')" sleep "pid 1 is the container's command"
expect_eq "$(mini exec box sh -c 'ps -o pid= >/tmp/p; wc -l </tmp/p')" 3 "ps sees only sleep, sh and ps"
expect_eq "$(mini exec box hostname)" boxhost
expect_eq "$(mini exec box cat /tmp/written)" data "files written by the container"
expect_eq "$(mini exec box ls /sys/class/net | tr '\n' ' ')" "eth0 lo " "its network namespace"
# Its cgroup (the device cgroup, v1 or v2) and cgroup namespace.
pid=$(mini inspect box | sed -n 's/^ *"Pid": \([0-9]*\),/\1/p')
[ "$pid" -gt 0 ] || fail "inspect Pid [$pid]"
expect_eq "$(mini exec box cat /proc/1/cgroup)" "$(mini exec box cat /proc/self/cgroup | sed 's/^\(.*\)$/\1/')" "same cgroups as pid 1"
expect_eq "$(readlink /proc/$pid/ns/mnt)" "$(mini exec -d box sleep 5; pgrep -n -f '^sleep 5$' | xargs -I{} readlink /proc/{}/ns/mnt)" "exec -d joined the mount namespace"
# Security like run: caps, no_new_privs, user, env, workdir.
expect_eq "$(mini exec box grep CapEff /proc/self/status)" "CapEff:	00000000a80425fb"
expect_eq "$(mini exec box grep NoNewPrivs /proc/self/status)" "NoNewPrivs:	1"
expect_eq "$(mini exec -u user box id -u)" 1000
expect_eq "$(mini exec -e FOO=bar -w /tmp box sh -c 'echo $FOO $(pwd)')" "bar /tmp"
expect_eq "$(echo piped | mini exec -i box cat)" piped
expect_eq "$(mini exec box ls /proc/self/fd | tr '\n' ' ')" "0 1 2 3 " "no leaked fds"
# Exit codes.
set +e
mini exec box sh -c 'exit 5'; expect_eq $? 5 "exec exit code"
mini exec box nosuchcmd 2>/dev/null; expect_eq $? 127 "exec not found"
mini exec box /etc 2>/dev/null; expect_eq $? 126 "exec not executable"
mini exec nosuch true 2>/dev/null; expect_eq $? 1 "exec in a missing container"
set -e

# inspect: Docker's shape.
mini inspect box >"$T/i.json"
python3 - "$T/i.json" "$id" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))[0]
assert c["Id"] == sys.argv[2] and c["Name"] == "/box", c
assert c["State"]["Status"] == "running" and c["State"]["Running"] and c["State"]["Pid"] > 0
assert c["Path"] == "sh" and c["Args"][0] == "-c"
assert c["Image"].startswith("sha256:")
for k in ("LowerDir", "UpperDir", "MergedDir", "WorkDir"):
    assert c["GraphDriver"]["Data"][k].startswith("/"), k
assert c["Config"]["Hostname"] == "boxhost"
assert "Memory" in c["HostConfig"] and "NanoCpus" in c["HostConfig"]
PY
[ -d "$(mini inspect box | sed -n 's/^ *"UpperDir": "\(.*\)",*/\1/p')" ] || fail "UpperDir does not exist"
mini inspect busybox | grep '"RepoTags"' >/dev/null || fail "inspect IMAGE changed"
if mini inspect --type image box >/dev/null 2>&1; then fail "--type image found a container"; fi
mini stop -t 1 box >/dev/null
expect_eq "$(mini inspect box | sed -n 's/^ *"Status": "\(.*\)",*/\1/p')" exited
set +e; mini exec box true 2>/dev/null; rc=$?; set -e
expect_eq $rc 1 "exec in a stopped container"

# start: again with its stored config; the container's files survive.
mini start box >/dev/null
expect_eq "$(mini exec box cat /tmp/written)" data "start keeps the upper dir"
mini rm -f box >/dev/null

# create + start -a: the exit status of the container.
cid=$(mini create --name made busybox sh -c 'echo created-run; exit 4')
mini ps -a | grep made | grep Created >/dev/null || fail "created container not listed as Created"
set +e; out=$(mini start -a made); rc=$?; set -e
expect_eq "$out" created-run
expect_eq $rc 4 "start -a exit status"
expect_eq "$(mini start -a made)" created-run "second start"
mini rm made >/dev/null

# A --rm container's records live on tmpfs, its writable layer on the store's disk (as any
# container's: what it writes is never RAM); it is visible to ps/inspect/exec while it runs.
mini run --rm --name eph busybox sleep 3 &
for i in $(seq 50); do mini exec eph true 2>/dev/null && break; sleep 0.1; done
[ -d "$R/containers" ] && [ -z "$(ls "$R/containers")" ] || fail "--rm container written to the store"
expect_eq "$(mini exec eph hostname | wc -c)" 13
mini inspect eph | grep "\"UpperDir\": \"$R/overlay2/[0-9a-f]\{64\}/diff\"" >/dev/null || fail "--rm upper dir not in the store"
mini inspect eph | grep '"LowerDir": "/run/mini/' >/dev/null || fail "--rm init layer not on tmpfs"
wait
grep -q " $R/" /proc/self/mountinfo && fail "mounts left under the root"
echo PASS
