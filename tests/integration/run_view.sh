#!/bin/bash
# What a container sees (issue 14): its cgroup at /sys/fs/cgroup (read-only), /etc/hosts,
# resolv.conf, hostname and domain name, /.dockerenv, ulimits, /dev/shm, devices, groups,
# sysctls, labels, --cidfile, and the pid/ipc/network namespaces of another container or the
# host; Docker's refusals at create time leave nothing behind.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox
on_exit remove_all_containers

echo "== /sys/fs/cgroup: the container's own limits, read-only"
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  expect_eq "$(mini run --rm --network none --memory 64m busybox cat /sys/fs/cgroup/memory.max)" 67108864
  expect_eq "$(mini run --rm --network none --cpus 0.5 busybox cat /sys/fs/cgroup/cpu.max)" "50000 100000"
  mem=/sys/fs/cgroup/memory.max
else
  expect_eq "$(mini run --rm --network none --memory 64m busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes)" 67108864
  expect_eq "$(mini run --rm --network none --cpus 0.5 busybox cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)" 50000
  mem=/sys/fs/cgroup/memory/memory.limit_in_bytes
  # Every host hierarchy is there, and a co-mounted one's names as symlinks.
  for h in $(awk '$9 ~ /^cgroup2?$/ && $5 ~ "^/sys/fs/cgroup/" {sub("/sys/fs/cgroup/", "", $5); print $5}' /proc/self/mountinfo); do
    mini run --rm --network none busybox test -d "/sys/fs/cgroup/$h" || fail "no /sys/fs/cgroup/$h in the container"
  done
  # Its own memory cgroup even without --memory; no view of hierarchies it has no cgroup in
  # (their namespace root would show other containers' cgroups).
  mini run --rm --network none busybox test -f /sys/fs/cgroup/memory/memory.limit_in_bytes || fail "no own memory cgroup"
  # The freezer too, as runc joins it at start (pause freezes the container where it is).
  mini run --rm --network none busybox test -f /sys/fs/cgroup/freezer/freezer.state || fail "no own freezer cgroup"
fi
out=$(mini run --rm --network none --memory 64m busybox sh -c "echo 1 > $mem" 2>&1) && fail "the cgroup view is writable"
grep "Read-only file system" <<<"$out" >/dev/null || fail "write to $mem: $out"
mini run --rm --network none --privileged --memory 64m busybox sh -c "grep ' /sys/fs/cgroup' /proc/self/mountinfo | grep -v ' ro,' >/dev/null" ||
  fail "--privileged: the cgroup view should be writable"

echo "== /etc/hosts, resolv.conf, hostname, domain name, markers"
out=$(mini run --rm --network none --add-host db:10.1.2.3 --add-host six:fd00::1 busybox cat /etc/hosts)
grep -P '^10\.1\.2\.3\tdb$' <<<"$out" >/dev/null || fail "--add-host db: $out"
grep -P '^fd00::1\tsix$' <<<"$out" >/dev/null || fail "--add-host six: $out"
out=$(mini run --rm --add-host gw:host-gateway --hostname h1 --domainname example.org busybox cat /etc/hosts)
gw=$(sed -n 's/^ *"Gateway": "\(.*\)",$/\1/p' "$R/networks/mini/config.json")
grep -P "^$gw\tgw\$" <<<"$out" >/dev/null || fail "host-gateway is not $gw: $out"
grep -P '^10\.[0-9.]+\th1\.example\.org h1$' <<<"$out" >/dev/null || fail "own line with the domain name: $out"
expect_eq "$(mini run --rm --network none --hostname h1 --domainname example.org busybox cat /proc/sys/kernel/domainname)" example.org
out=$(mini run --rm --network none --dns 1.1.1.1 --dns 9.9.9.9 --dns-search a.example --dns-search b.example --dns-option ndots:2 busybox cat /etc/resolv.conf)
expect_eq "$out" "search a.example b.example
nameserver 1.1.1.1
nameserver 9.9.9.9
options ndots:2"
out=$(mini run --rm --network none --dns-search corp.example busybox cat /etc/resolv.conf)
grep '^search corp.example$' <<<"$out" >/dev/null || fail "--dns-search alone: $out"
grep '^nameserver ' <<<"$out" >/dev/null || fail "--dns-search alone keeps the host's servers: $out"
mini run --rm --network none busybox sh -c 'test -f /.dockerenv && test -f /run/.containerenv' || fail "no /.dockerenv or /run/.containerenv"

echo "== --ulimit, --shm-size"
expect_eq "$(mini run --rm --network none --ulimit nofile=1024:2048 --ulimit core=-1 busybox sh -c 'echo $(ulimit -n) $(ulimit -Hn) $(ulimit -c)')" "1024 2048 unlimited"
expect_eq "$(mini run --rm --network none --shm-size 128m busybox sh -c "df -k /dev/shm | awk 'NR==2 {print \$2}'")" 131072
expect_eq "$(mini run --rm --network none busybox sh -c "df -k /dev/shm | awk 'NR==2 {print \$2}'")" 65536

echo "== --device"
expect_eq "$(mini run --rm --network none --device /dev/zero:/dev/myzero busybox sh -c 'head -c 3 /dev/myzero | od -An -tx1 | tr -d " "')" 000000
mini run --rm --network none busybox test -e /dev/myzero && fail "/dev/myzero without --device"
# A node outside the default rules (tun, or loop-control): the device cgroup lets the
# container open it only with --device.
node=/dev/net/tun; [ -c $node ] || node=/dev/loop-control
nm=$(stat -c '%t %T' $node); maj=$((16#${nm% *})); min=$((16#${nm#* }))
mini run --rm --network none busybox sh -c "mknod /dev/k c $maj $min && : <> /dev/k" 2>/dev/null && fail "$node opened without --device"
mini run --rm --network none --device $node:/dev/k:rw busybox sh -c ': <> /dev/k' || fail "--device $node:/dev/k:rw cannot be opened"

echo "== --group-add, --sysctl"
expect_eq "$(mini run --rm --network none -u user --group-add wheel --group-add 777 busybox id -G)" "1000 10 777"
out=$(mini run --rm --network none --group-add nosuch busybox true 2>&1) && fail "unknown group accepted"
grep "Unable to find group nosuch" <<<"$out" >/dev/null || fail "--group-add nosuch: $out"
expect_eq "$(mini run --rm --network none --sysctl kernel.shmmax=123456 --sysctl net.ipv4.ip_forward=1 busybox sh -c 'cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward' | tr '\n' ' ')" "123456 1 "

echo "== --label, --cidfile"
mini create --name lab --label team=db --label tier busybox true >/dev/null
expect_eq "$(mini inspect lab --format '{{index .Config.Labels "team"}}')" db
expect_eq "$(mini ps -a --filter label=team=db --format '{{.Names}}')" lab
expect_eq "$(mini ps -a --filter label=team=web --format '{{.Names}}')" ""
id=$(mini create --cidfile "$T/cid" busybox true)
expect_eq "$(cat "$T/cid")" "$id"
out=$(mini create --cidfile "$T/cid" busybox true 2>&1) && fail "an existing --cidfile was accepted"
expect_eq "$out" "mini: error: Container ID file found, make sure the other container isn't running or delete $T/cid"

echo "== refusals at create time leave nothing behind"
before=$(mini ps -a -q | wc -l)
check_refused() {  # check_refused MESSAGE ARGS...
  local want=$1 out rc; shift
  set +e; out=$(mini create "$@" busybox true 2>&1); rc=$?; set -e
  expect_eq "$rc" 125 "mini create $*"
  expect_eq "$out" "mini: error: $want"
}
check_refused 'invalid argument "db" for "--add-host" flag: bad format for add-host: "db"' --add-host db
check_refused 'invalid argument "nofile=x" for "--ulimit" flag: strconv.ParseInt: parsing "x": invalid syntax' --ulimit nofile=x
check_refused "invalid argument \"kernel.hostname=x\" for \"--sysctl\" flag: sysctl 'kernel.hostname=x' is not whitelisted" --sysctl kernel.hostname=x
check_refused 'sysctl "net.ipv4.ip_forward" is not allowed in the hosts network namespace' --network host --sysctl net.ipv4.ip_forward=1
check_refused 'sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace' --ipc host --sysctl kernel.shmmax=1
check_refused 'error gathering device information while adding custom device "/dev/nope": No such file or directory' --device /dev/nope
check_refused '--ipc: invalid IPC mode' --ipc bogus
check_refused '--pid: invalid PID mode' --pid bogus
check_refused 'conflicting options: hostname and the network mode' --network container:lab --hostname x
check_refused 'conflicting options: dns and the network mode' --network container:lab --dns 1.1.1.1
check_refused 'conflicting options: custom host-to-IP mapping and the network mode' --network container:lab --add-host a:1.2.3.4
check_refused 'conflicting options: port publishing and the container type network mode' --network container:lab -p 80
expect_eq "$(mini ps -a -q | wc -l)" "$before" "containers after the refusals"

echo "== --network/--ipc/--pid container:NAME, --pid/--ipc host"
out=$(mini run --rm --network container:lab busybox true 2>&1) && fail "joined a container that is not running"
expect_eq "$out" "mini: error: cannot join network of a non running container: lab"
mini run -d --name donor --ipc shareable --hostname donorh busybox sh -c 'echo hi > /dev/shm/f; sleep 300' >/dev/null
for i in $(seq 50); do mini exec donor test -f /dev/shm/f 2>/dev/null && break; sleep 0.1; done
donor_ip=$(mini inspect donor --format '{{.NetworkSettings.IPAddress}}')
out=$(mini run --rm --network container:donor busybox sh -c 'ip -4 -o addr show eth0; hostname')
grep " $donor_ip/" <<<"$out" >/dev/null || fail "--network container: not the donor's address $donor_ip: $out"
grep '^donorh$' <<<"$out" >/dev/null || fail "--network container: not the donor's hostname: $out"
expect_eq "$(mini run --rm --network none --ipc container:donor busybox sh -c 'cat /dev/shm/f; readlink /proc/self/ns/ipc' | tr '\n' ' ')" \
  "hi $(mini exec donor readlink /proc/self/ns/ipc) "
expect_eq "$(mini run --rm --network none --pid container:donor busybox readlink /proc/self/ns/pid)" "$(mini exec donor readlink /proc/self/ns/pid)"
mini run --rm --network none --pid container:donor busybox ps -o comm | grep -x sleep >/dev/null || fail "--pid container: no sleep in ps"
expect_eq "$(mini run --rm --network none --pid host busybox readlink /proc/self/ns/pid)" "$(readlink /proc/self/ns/pid)"
expect_eq "$(mini run --rm --network none --ipc host busybox readlink /proc/self/ns/ipc)" "$(readlink /proc/self/ns/ipc)"
mini run -d --name private busybox sleep 300 >/dev/null
out=$(mini run --rm --network none --ipc container:private busybox true 2>&1) && fail "joined a private ipc namespace"
expect_eq "$out" "mini: error: non-shareable IPC (hint: use IpcMode:shareable for the donor container)"
mini run --rm --network none --ipc none busybox sh -c "grep ' /dev/shm ' /proc/self/mountinfo" >/dev/null && fail "--ipc none has a /dev/shm mount"
mini rm -f donor private >/dev/null
grep -F "/shm " /proc/self/mountinfo | grep -F "/mini/" >/dev/null && fail "a shareable /dev/shm is still mounted"

echo "== --device DIR: every device node under it (symlinks not followed), with its cgroup rule"
mkdir -p "$T/devs/sub"
mknod "$T/devs/lc" c 10 237
mknod "$T/devs/sub/zero" c 1 5
ln -s /dev/null "$T/devs/link"
touch "$T/devs/plain"
out=$(mini run --rm --device "$T/devs:/dev/mine" busybox sh -c 'find /dev/mine | sort | tr "\n" " "; exec 3</dev/mine/lc && echo opened')
expect_eq "$out" "/dev/mine /dev/mine/lc /dev/mine/sub /dev/mine/sub/zero opened" "--device of a directory"
expect_eq "$(mini run --rm --device "$T/devs/sub/.." busybox sh -c "ls $T/devs $T/devs/sub | tr '\n' ' '")" \
  "$T/devs: lc sub  $T/devs/sub: zero " "--device DIR/.. without a container path"
mkdir -p "$T/nodevs"
rc=0; err=$(mini run --rm --device "$T/nodevs" busybox true 2>&1) || rc=$?
expect_eq "$rc:$err" "125:mini: error: error gathering device information while adding custom device \"$T/nodevs\": not a device node"

echo "== --network container: shares the donor's /etc/hosts and resolv.conf, live (Docker binds the same files)"
mini network create viewnet-$$ >/dev/null
on_exit "mini rm -f netjoiner latepeer netdonor >/dev/null 2>&1; mini network rm viewnet-$$ >/dev/null 2>&1 || true"
mini run -d --name netdonor --network viewnet-$$ busybox sleep 300 >/dev/null
mini run -d --name netjoiner --network container:netdonor busybox sleep 300 >/dev/null
expect_eq "$(mini exec netjoiner cat /etc/hosts)" "$(mini exec netdonor cat /etc/hosts)" "the joiner's /etc/hosts"
expect_eq "$(mini exec netjoiner cat /etc/resolv.conf)" "$(mini exec netdonor cat /etc/resolv.conf)" "the joiner's resolv.conf"
mini run -d --name latepeer --network viewnet-$$ busybox sleep 300 >/dev/null
for i in $(seq 50); do mini exec netdonor grep -w latepeer /etc/hosts >/dev/null && break; sleep 0.1; done
mini exec netjoiner grep -w latepeer /etc/hosts >/dev/null || fail "the joiner's /etc/hosts went stale: $(mini exec netjoiner cat /etc/hosts)"
echo "127.0.0.1 mine" >"$T/myhosts"
expect_eq "$(mini run --rm --network container:netdonor -v "$T/myhosts:/etc/hosts" busybox cat /etc/hosts)" "127.0.0.1 mine" "a -v on /etc/hosts wins"
mini rm -f netjoiner latepeer netdonor >/dev/null
mini network rm viewnet-$$ >/dev/null

echo "== inspect: Docker's names and shapes"
mini create --name insp --add-host a:1.2.3.4 --dns 1.1.1.1 --dns-search x.example --dns-option ndots:3 \
  --ulimit nofile=10:20 --shm-size 1g --device /dev/zero:/dev/z:r --group-add 7 --sysctl kernel.shmmax=99 \
  --pid host --ipc shareable --domainname d.example busybox true >/dev/null
j=$(mini inspect insp)
python3 - "$j" <<'EOF' || fail "inspect fields"
import json, sys
c = json.loads(sys.argv[1])[0]
h, cfg = c["HostConfig"], c["Config"]
want = {"ExtraHosts": ["a:1.2.3.4"], "Dns": ["1.1.1.1"], "DnsSearch": ["x.example"], "DnsOptions": ["ndots:3"],
        "Ulimits": [{"Name": "nofile", "Soft": 10, "Hard": 20}], "ShmSize": 1 << 30,
        "Devices": [{"PathOnHost": "/dev/zero", "PathInContainer": "/dev/z", "CgroupPermissions": "r"}],
        "GroupAdd": ["7"], "Sysctls": {"kernel.shmmax": "99"}, "PidMode": "host", "IpcMode": "shareable"}
bad = [(k, h.get(k), v) for k, v in want.items() if h.get(k) != v]
if cfg.get("Domainname") != "d.example": bad.append(("Domainname", cfg.get("Domainname"), "d.example"))
for b in bad: print("inspect %s: got %r, want %r" % b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
echo "run_view: all checks passed"
