#!/bin/bash
# The kernel's network pieces on a real kernel (the VM guest of tests/vm, which has no network
# device of its own; veth, bridge and nf_tables are modules there): a bridge-network container
# published with -p HOSTPORT:PORT answers on the guest's loopback, and on all its addresses
# with -p PORT only; two containers on a user network reach each other by name; nothing is left
# (veths, the user network's bridge) after rm; `mini build` of a Minifile with RUN steps.
# Skips outside the guest (it changes the host's network).
source "$SRC_DIR/tests/integration/lib.sh"
[ "$(hostname)" = mini-vm ] || { echo "skip: not in the tests/vm guest"; exit 77; }
on_exit remove_all_containers
on_exit 'mini network rm vmnet >/dev/null 2>&1 || true'
import_busybox
links() { ip -o link | grep -c veth || true; }
# http HOST PORT: the body of GET / through bash's /dev/tcp (busybox wget segfaults under
# QEMU TCG's -cpu max, in the guest and in its containers alike; nc works).
http() {
  local out
  out=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "GET / HTTP/1.0\r\n\r\n" >&3 && cat <&3' _ "$1" "$2" 2>/dev/null) || return 1
  printf '%s\n' "$out" | tr -d '\r' | sed '1,/^$/d'
}
# get HOST PORT: http, retried for 5 s (httpd starts after run -d returns).
get() {
  local i
  for i in $(seq 50); do http "$1" "$2" && return 0; sleep 0.1; done
  return 1
}
# cget HOST (in a container): the body of GET / through busybox nc.
cget='f() { printf "GET / HTTP/1.0\r\n\r\n" | nc -w 3 "$1" 80 | tr -d "\r" | sed "1,/^\$/d"; }; f'
mkdir -p "$T/www"
echo published >"$T/www/index.html"
base=$(links)

# The default bridge, published on the loopback and on every address.
mini run -d --name web -p 127.0.0.1:18080:80 -p 18081:80 -v "$T/www:/www:ro" busybox httpd -f -p 80 -h /www >/dev/null
expect_eq "$(get 127.0.0.1 18080)" published "-p 127.0.0.1:18080:80 from the guest's loopback"
expect_eq "$(get 127.0.0.1 18081)" published "-p 18081:80 from the guest's loopback"
expect_eq "$(mini port web 80 | sort)" "0.0.0.0:18081
127.0.0.1:18080" "mini port"
ip=$(mini inspect -f '{{.NetworkSettings.IPAddress}}' web)
mini run -d --name other busybox sleep 1000 >/dev/null
got=""
for _ in $(seq 30); do got=$(mini exec other sh -c "$cget $ip" 2>&1) && [ -n "$got" ] && break; sleep 0.2; done
expect_eq "$got" published "container to container on the default bridge"
mini rm -f web other >/dev/null
http 127.0.0.1 18080 >/dev/null && fail "the port answers after rm"

# A user network: by name, both ways.
mini network create vmnet >/dev/null
mini run -d --name web2 --network vmnet -v "$T/www:/www:ro" busybox httpd -f -p 80 -h /www >/dev/null
mini run -d --name client --network vmnet busybox sleep 1000 >/dev/null
got=""
for _ in $(seq 50); do got=$(mini exec client sh -c "$cget web2" 2>/dev/null) && [ -n "$got" ] && break; sleep 0.1; done
expect_eq "$got" published "client -> web2 by name on a user network"
mini exec web2 ping -c 1 -W 2 client >/dev/null || fail "web2 -> client by name"
bridge=$(mini network inspect vmnet | sed -n 's/.*"com.docker.network.bridge.name": "\([^"]*\)".*/\1/p')
[ -n "$bridge" ] || fail "no bridge name in network inspect"
ip link show "$bridge" >/dev/null || fail "no bridge $bridge"
mini rm -f web2 client >/dev/null
mini network rm vmnet >/dev/null
ip link show "$bridge" >/dev/null 2>&1 && fail "bridge $bridge left after network rm"
expect_eq "$(links)" "$base" "veths left"

# A build with RUN steps (each in a container of its own).
mkdir -p "$T/ctx"
printf 'FROM busybox\nRUN echo one >/one\nRUN cat /one >/two && uname -r >>/two\nCMD ["cat", "/two"]\n' >"$T/ctx/Minifile"
mini build -q -t vmbuilt "$T/ctx" >/dev/null 2>"$T/err" || fail "build: $(cat "$T/err")"
expect_eq "$(mini run --rm vmbuilt)" "one
$(uname -r)" "the built image"
echo PASS
