#!/bin/bash
# Bridge networking on the default network `mini` (bridge mini0): two detached containers
# ping and wget each other by IP, no name resolution there (as Docker's default bridge), the
# container's /etc/hosts and /etc/resolv.conf, --network none / host, inspect's
# NetworkSettings, and nothing left once the containers are gone.
source "$SRC_DIR/tests/integration/lib.sh"
on_exit remove_all_containers
import_busybox
ip_of() { mini inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])'; }

mkdir -p "$T/www"
echo "hello from web" >"$T/www/index.html"
mini run -d --name web -v "$T/www:/www:ro" busybox httpd -f -p 80 -h /www >/dev/null
mini run -d --name other busybox sleep 1000 >/dev/null
web=$(ip_of web)
other=$(ip_of other)
gw=$(mini network inspect mini | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["IPAM"]["Config"][0]["Gateway"])')
subnet=$(mini network inspect mini | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["IPAM"]["Config"][0]["Subnet"])')
[ -n "$web" ] && [ -n "$other" ] && [ "$web" != "$other" ] || fail "addresses [$web] [$other]"
python3 -c "import ipaddress,sys; n=ipaddress.ip_network('$subnet'); sys.exit(0 if all(ipaddress.ip_address(a) in n for a in ['$web','$other','$gw']) else 1)" \
  || fail "$web $other $gw not in $subnet"
# The subnet does not clash with the host's own routes (eth0's 192.0.2.0/24, docker's 172.17/16).
ip route show dev eth0 | grep -F "${subnet%/*}" >/dev/null && fail "subnet $subnet clashes with eth0"
ip link show mini0 >/dev/null || fail "no mini0 bridge"
ip -4 addr show mini0 | grep -F "inet $gw/" >/dev/null || fail "gateway $gw not on mini0"

# Both directions, by IP: ping, and wget of the httpd.
mini exec other ping -c 1 -W 2 "$web" >/dev/null || fail "other -> web ping"
mini exec web ping -c 1 -W 2 "$other" >/dev/null || fail "web -> other ping"
for i in $(seq 50); do mini exec other wget -q -O - "http://$web/" >"$T/got" 2>/dev/null && break; sleep 0.1; done
expect_eq "$(cat "$T/got")" "hello from web" "wget web by IP"
mini exec other ping -c 1 -W 2 "$gw" >/dev/null || fail "container -> gateway"
busybox ping -c 1 -W 2 "$web" >/dev/null || fail "host -> container"
# eth0 with the address, the default route via the gateway, Docker's MAC scheme.
mini exec web ip -4 addr show eth0 | grep -F "inet $web/16" >/dev/null || fail "eth0 address"
expect_eq "$(mini exec web ip route | awk '/^default/ {print $3}')" "$gw" "default route"
mac=$(mini inspect web | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["MacAddress"])')
expect_eq "$(mini exec web cat /sys/class/net/eth0/address)" "$mac" "MAC in inspect"
# No name resolution on the default network: only the container itself is in /etc/hosts.
if mini exec other ping -c 1 -W 1 web >/dev/null 2>&1; then fail "default network resolved a name"; fi
mini exec other cat /etc/hosts | grep -w web >/dev/null && fail "peer in /etc/hosts on the default network"

# inspect: Docker's NetworkSettings shape.
mini inspect web | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]["NetworkSettings"]
n = s["Networks"]["mini"]
assert s["IPAddress"] == n["IPAddress"] and s["IPPrefixLen"] == 16, s
assert n["Gateway"] and n["NetworkID"] and n["EndpointID"] and n["MacAddress"], n
' || fail "inspect NetworkSettings"
expect_eq "$(mini network inspect mini | python3 -c 'import json,sys; print(sorted(c["Name"] for c in json.load(sys.stdin)[0]["Containers"].values()))')" "['other', 'web']" "network inspect Containers"

# /etc/hosts and /etc/resolv.conf of a --rm container (content checks).
mini run --rm --hostname h1 busybox cat /etc/hosts /etc/resolv.conf >"$T/files"
head -6 "$T/files" | diff - <(printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n') \
  || fail "Docker's default hosts lines"
grep -E "^${subnet%.*.*}\.[0-9]+\.[0-9]+	h1$" "$T/files" >/dev/null || fail "own address + hostname line: $(cat "$T/files")"
grep -E '^nameserver (127\.|::1)' "$T/files" >/dev/null && fail "loopback resolver in resolv.conf"
grep -E '^nameserver ' "$T/files" >/dev/null || fail "no nameserver in resolv.conf"

# none: only lo; host: the host's links.
expect_eq "$(mini run --rm --network none busybox ls /sys/class/net)" lo "--network none"
mini run --rm --network host busybox ls /sys/class/net | grep -x eth0 >/dev/null || fail "--network host sees eth0"
mini run --rm --network host busybox ls /sys/class/net | grep -x mini0 >/dev/null || fail "--network host sees mini0"
# --ip and --network-alias need a user-defined network (Docker's messages).
set +e
out=$(mini run --rm --ip 10.88.0.50 busybox true 2>&1); rc=$?
set -e
expect_eq "$rc" 125
expect_eq "$out" "mini: error: user specified IP address is supported on user defined networks only"

# mini build: RUN steps are on the default network unless --network none|host.
mkdir -p "$T/ctx"
printf 'FROM busybox\nRUN ls /sys/class/net | tr "\\n" " " >/nets\n' >"$T/ctx/Minifile"
mini build -q -t nets:bridge "$T/ctx" >/dev/null
expect_eq "$(mini run --rm --network none nets:bridge cat /nets)" "eth0 lo " "build RUN on the bridge"
mini build -q --network none -t nets:none "$T/ctx" >/dev/null
expect_eq "$(mini run --rm --network none nets:none cat /nets)" "lo " "build RUN with --network none"

# Once the containers are gone: no veth, no lease.
mini rm -f web other >/dev/null
for i in $(seq 50); do [ -z "$(ip -o link show type veth | grep -E 'veth(web|oth)')" ] && [ -z "$(ls "$R/networks/mini/leases")" ] && break; sleep 0.1; done
expect_eq "$(ls "$R/networks/mini/leases")" "" "leases left"
for i in $(seq 50); do [ -z "$(ip -o link show master mini0)" ] && break; sleep 0.1; done
expect_eq "$(ip -o link show master mini0)" "" "veths left on mini0"

# An attached `run --rm` returns before its monitor deletes the host veth; the veth still
# goes, even while a --network container: joiner keeps the netns (and so the pair) alive. As
# with Docker, the joiner is left with only lo.
mini run --rm --name rmweb busybox sh -c 'sleep 2' &
rmpid=$!
for i in $(seq 50); do [ -n "$(ip -o link show master mini0)" ] && break; sleep 0.1; done
hveth=$(ip -o link show master mini0 | awk -F': ' '{print $2}' | cut -d@ -f1)
[ -n "$hveth" ] || fail "no veth for the --rm container"
mini run -d --name joiner --network container:rmweb busybox sleep 1000 >/dev/null
wait "$rmpid" || fail "run --rm rmweb failed"
for i in $(seq 50); do ip link show dev "$hveth" >/dev/null 2>&1 || break; sleep 0.1; done
ip link show dev "$hveth" >/dev/null 2>&1 && fail "veth $hveth of the --rm container left while a joiner holds its netns"
expect_eq "$(mini exec joiner ls /sys/class/net | tr '\n' ' ')" "lo " "the joiner's interfaces after the owner ended"
mini rm -f joiner >/dev/null
echo ok
