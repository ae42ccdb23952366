#!/bin/bash
# Docker against mini for what a container sees: /etc/hosts with --add-host (and the
# hostname/domain name line), /etc/resolv.conf with --dns/--dns-search/--dns-option, and the
# shapes of the inspect fields (HostConfig.ExtraHosts, Dns, Ulimits, Devices, ...).
# Needs dockerd (a private one, dockerd.bash); skips without it.
source "$SRC_DIR/tests/integration/lib.sh"
source "$SRC_DIR/tests/integration/dockerd.bash"
command -v dockerd >/dev/null || { echo "skip: no dockerd"; exit 77; }
import_busybox
on_exit remove_all_containers
W=$T/docker
mkdir -p "$W"
start_private_dockerd "$W" "/run/mini-test-view-$$.sock" || { echo "skip: dockerd did not come up"; exit 77; }
mini save -o "$T/bb.tar" busybox:latest
docker load -i "$T/bb.tar" >/dev/null
on_exit 'docker rm -f dview >/dev/null 2>&1; docker rmi -f busybox:latest >/dev/null 2>&1 || true'

# both ARGS... -- CMD: the output of CMD in a docker and in a mini container with ARGS.
both() {
  local args=() ; while [ "$1" != -- ]; do args+=("$1"); shift; done; shift
  D=$(docker run --rm "${args[@]}" busybox "$@")
  M=$(mini run --rm "${args[@]}" busybox "$@")
}
# Drops the container's own address line (each tool has its own subnet) but keeps its names.
own_names() { sed -E 's/^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+\t(.*h1.*)$/ADDR\t\1/'; }

echo "== /etc/hosts (--network none)"
both --network none --add-host db:10.1.2.3 --add-host six:fd00::1 -- cat /etc/hosts
expect_eq "$M" "$D" "/etc/hosts, --network none"
echo "== /etc/hosts (bridge, hostname and domain name)"
both --add-host db:10.1.2.3 --hostname h1 --domainname example.org -- cat /etc/hosts
expect_eq "$(own_names <<<"$M")" "$(own_names <<<"$D")" "/etc/hosts on the bridge"
echo "== resolv.conf"
both --network none --dns 1.1.1.1 --dns 9.9.9.9 --dns-search a.example --dns-option ndots:2 -- cat /etc/resolv.conf
expect_eq "$M" "$D" "resolv.conf with --dns"
both --network none --dns 1.1.1.1 --dns-search . -- cat /etc/resolv.conf
expect_eq "$M" "$D" "resolv.conf with --dns-search ."
echo "== domainname"
both --network none --hostname h1 --domainname example.org -- cat /proc/sys/kernel/domainname
expect_eq "$M" "$D" "domain name"

echo "== inspect shapes"
flags=(--add-host a:1.2.3.4 --dns 1.1.1.1 --dns-search x.example --dns-option ndots:3 --ulimit nofile=10:20
       --shm-size 1g --device /dev/zero:/dev/z:r --group-add 7 --sysctl kernel.shmmax=99 --pid host --ipc shareable
       --domainname d.example --label k=v)
docker create --name dview "${flags[@]}" busybox true >/dev/null
mini create --name dview "${flags[@]}" busybox true >/dev/null
python3 - "$(docker inspect dview)" "$(mini inspect dview)" <<'PY' || fail "inspect fields differ"
import json, sys
d, m = (json.loads(a)[0] for a in sys.argv[1:3])
bad = []
for k in ["ExtraHosts", "Dns", "DnsSearch", "DnsOptions", "Ulimits", "ShmSize", "Devices", "GroupAdd", "Sysctls",
          "PidMode", "IpcMode"]:
    if d["HostConfig"].get(k) != m["HostConfig"].get(k): bad.append(("HostConfig." + k, d["HostConfig"].get(k), m["HostConfig"].get(k)))
for k in ["Domainname", "Labels"]:
    if d["Config"].get(k) != m["Config"].get(k): bad.append(("Config." + k, d["Config"].get(k), m["Config"].get(k)))
for b in bad: print("%s: docker %r, mini %r" % b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
echo "run_view_docker: all checks passed"
