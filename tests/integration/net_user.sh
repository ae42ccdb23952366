#!/bin/bash
# User-defined networks: create (its own subnet, --subnet/--gateway, clashes refused), ls,
# inspect, two containers that reach each other by name and by --network-alias, peers'
# /etc/hosts updated as containers come and go, --ip, rm refused while in use, then rm.
source "$SRC_DIR/tests/integration/lib.sh"
NET=mininet-user-$$
NET2=mininet-fixed-$$
on_exit 'mini network rm $NET $NET2 >/dev/null 2>&1 || true'
on_exit remove_all_containers
import_busybox

id=$(mini network create "$NET")
[[ "$id" =~ ^[0-9a-f]{64}$ ]] || fail "network id [$id]"
subnet=$(mini network inspect "$NET" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["IPAM"]["Config"][0]["Subnet"])')
bridge="mini-${id:0:10}"
mini network inspect "$NET" | grep -F "\"com.docker.network.bridge.name\": \"$bridge\"" >/dev/null || fail "bridge name"
# ls: Docker's columns, the predefined rows, -q.
mini network ls >"$T/ls"
head -1 "$T/ls" | grep -E '^NETWORK ID +NAME +DRIVER +SCOPE$' >/dev/null || fail "ls header: $(head -1 "$T/ls")"
for n in "$NET" host none mini; do grep -E "^[0-9a-f]{12} +$n " "$T/ls" >/dev/null || fail "ls has no $n row"; done
mini network ls -q | grep -x "${id:0:12}" >/dev/null || fail "ls -q"

# A clashing subnet and bad input are refused, and leave nothing.
set +e
out=$(mini network create --subnet "$subnet" clash-$$ 2>&1); rc=$?
set -e
[ $rc = 1 ] || fail "clashing subnet accepted ($rc)"
[[ "$out" == *"overlaps"* ]] || fail "clash message: $out"
[ ! -e "$R/networks/clash-$$" ] || fail "clashing network left a directory"
set +e
mini network create --subnet 10.201.0.0/24 --gateway 10.202.0.1 bad-$$ 2>/dev/null && fail "gateway outside subnet accepted"
mini network create --subnet 10.201.0.1/24 bad-$$ 2>/dev/null && fail "host bits accepted"
mini network create "$NET" 2>/dev/null && fail "duplicate name accepted"
set -e
# --subnet/--gateway as given.
mini network create --subnet 10.213.7.0/24 --gateway 10.213.7.254 "$NET2" >/dev/null
mini network inspect "$NET2" | grep -F '"Gateway": "10.213.7.254"' >/dev/null || fail "fixed gateway"

# Two containers on the user network: by name, by alias (ping and wget), both directions.
mkdir -p "$T/www"
echo "served by web" >"$T/www/index.html"
mini run -d --name web --network "$NET" --network-alias www --network-alias site -v "$T/www:/www:ro" \
  busybox httpd -f -p 80 -h /www >/dev/null
mini run -d --name client --network "$NET" busybox sleep 1000 >/dev/null
mini exec client ping -c 1 -W 2 web >/dev/null || fail "client -> web by name"
mini exec web ping -c 1 -W 2 client >/dev/null || fail "web -> client by name (peer hosts updated in place)"
for a in www site; do mini exec client ping -c 1 -W 2 $a >/dev/null || fail "by alias $a"; done
for i in $(seq 50); do mini exec client wget -q -O - http://www/ >"$T/got" 2>/dev/null && break; sleep 0.1; done
expect_eq "$(cat "$T/got")" "served by web" "wget by alias"
# A third container joins, then leaves: the others' /etc/hosts follow.
mini run -d --name late --network "$NET" busybox sleep 1000 >/dev/null
mini exec web grep -w late /etc/hosts >/dev/null || fail "join not in web's /etc/hosts"
mini rm -f late >/dev/null
for i in $(seq 50); do mini exec web grep -w late /etc/hosts >/dev/null || break; sleep 0.1; done
mini exec web grep -w late /etc/hosts >/dev/null && fail "leave not in web's /etc/hosts"
# A container of another network cannot resolve them.
if mini run --rm --network "$NET2" busybox ping -c 1 -W 1 web >/dev/null 2>&1; then fail "name resolved across networks"; fi

# --ip: that address, refused when taken or outside the subnet.
mini run --rm --network "$NET2" --ip 10.213.7.77 busybox ip -4 addr show eth0 | grep -F "inet 10.213.7.77/24" >/dev/null \
  || fail "--ip"
mini run -d --name fixed --network "$NET2" --ip 10.213.7.77 busybox sleep 1000 >/dev/null
set +e
out=$(mini run --rm --network "$NET2" --ip 10.213.7.77 busybox true 2>&1); rc=$?
set -e
expect_eq "$rc" 125 "--ip taken"
[[ "$out" == *"Address already in use"* ]] || fail "--ip taken message: $out"
set +e
mini run --rm --network "$NET2" --ip 10.99.0.5 busybox true 2>/dev/null && fail "--ip outside the subnet accepted"
mini run --rm --network no-such-net-$$ busybox true 2>"$T/err"; rc=$?
set -e
expect_eq "$rc" 125
expect_eq "$(cat "$T/err")" "mini: error: network no-such-net-$$ not found"

# rm refused while in use (naming it), and for the predefined networks.
set +e
mini network rm "$NET" 2>"$T/err"; rc=$?
set -e
[ $rc != 0 ] || fail "rm of a network in use succeeded"
grep -F "network $NET id ${id:0:12} has active endpoints" "$T/err" >/dev/null || fail "rm message: $(cat "$T/err")"
set +e
mini network rm mini 2>"$T/err" && fail "rm of the default network"
set -e
grep -F "mini is a pre-defined network and cannot be removed" "$T/err" >/dev/null || fail "default rm message: $(cat "$T/err")"

# Once its containers are gone, rm works and takes the bridge with it.
mini rm -f web client fixed >/dev/null
expect_eq "$(mini network rm "$NET" "$NET2")" "$NET
$NET2"
ip link show "$bridge" >/dev/null 2>&1 && fail "bridge $bridge left"
[ ! -e "$R/networks/$NET" ] || fail "network dir left"
nft list table ip mini 2>/dev/null | grep -F "$bridge" >/dev/null && fail "nft rules of $bridge left"
# prune removes unused user networks only.
mini network create prune-me-$$ >/dev/null
expect_eq "$(mini network prune -f)" "Deleted Networks:
prune-me-$$"
mini network inspect mini >/dev/null || fail "prune removed the default network"
echo ok
