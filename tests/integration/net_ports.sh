#!/bin/bash
# Published ports: a busybox httpd behind -p 127.0.0.1:18080:80 answers wget from the host,
# `mini port` and ps show it; -p with a host port already taken fails with one clean line,
# exit 125, and leaves nothing (no container, lease, veth, nft forward).
source "$SRC_DIR/tests/integration/lib.sh"
on_exit remove_all_containers
on_exit '[ -z "$HOLDER" ] || kill "$HOLDER" 2>/dev/null || true'
HOLDER=
import_busybox
leases() { ls "$R/networks/mini/leases" 2>/dev/null | wc -l; }
# DNAT elements of both port maps ("... : 10.88.0.2 . 80").
forwards() { { nft list map ip mini ports_ip; nft list map ip mini ports_any; } 2>/dev/null | grep -oE ': [0-9.]+ \. [0-9]+' | wc -l; }

mkdir -p "$T/www"
echo "published" >"$T/www/index.html"
mini run -d --name web -p 127.0.0.1:18080:80 -v "$T/www:/www:ro" busybox httpd -f -p 80 -h /www >/dev/null
for i in $(seq 50); do busybox wget -q -O - http://127.0.0.1:18080/ >"$T/got" 2>/dev/null && break; sleep 0.1; done
expect_eq "$(cat "$T/got")" "published" "wget from the host through -p"
expect_eq "$(mini port web)" "80/tcp -> 127.0.0.1:18080"
expect_eq "$(mini port web 80)" "127.0.0.1:18080"
mini ps | grep -F "127.0.0.1:18080->80/tcp" >/dev/null || fail "ps PORTS"
mini inspect web | python3 -c '
import json, sys
c = json.load(sys.stdin)[0]
assert c["NetworkSettings"]["Ports"] == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}, c["NetworkSettings"]["Ports"]
assert c["HostConfig"]["PortBindings"] == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}, c["HostConfig"]
' || fail "inspect ports"

# The same host port again: refused before anything is made.
base_links=$(ip -o link | wc -l)
base_leases=$(leases)
base_fwd=$(forwards)
base_ctrs=$(mini ps -a -q | wc -l)
set +e
out=$(mini run --rm -p 127.0.0.1:18080:80 busybox true 2>&1); rc=$?
set -e
expect_eq "$rc" 125 "port taken"
expect_eq "$out" "mini: error: Bind for 127.0.0.1:18080 failed: port is already allocated"
# A port held by a host process is refused the same way (detached run, too).
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",18090)); s.listen(); time.sleep(60)' &
HOLDER=$!
for i in $(seq 50); do busybox nc -z 127.0.0.1 18090 2>/dev/null && break; sleep 0.1; done
set +e
out=$(mini run -d --name taken -p 127.0.0.1:18090:80 busybox sleep 100 2>&1); rc=$?
set -e
expect_eq "$rc" 125 "port held by a host process"
[ "$(echo "$out" | wc -l)" = 1 ] || fail "more than one line: $out"
[[ "$out" == *"Bind for 127.0.0.1:18090 failed"* ]] || fail "message: $out"
mini rm -f taken >/dev/null 2>&1 || true
sleep 0.2
expect_eq "$(ip -o link | wc -l)" "$base_links" "links after refused -p"
expect_eq "$(leases)" "$base_leases" "leases after refused -p"
expect_eq "$(forwards)" "$base_fwd" "forwards after refused -p"
expect_eq "$(mini ps -a -q | wc -l)" "$base_ctrs" "containers after refused --rm -p"

# -p CTR (random host port) and -P (EXPOSEd ports).
mini run -d --name rnd -p 80 -v "$T/www:/www:ro" busybox httpd -f -p 80 -h /www >/dev/null
hp=$(mini port rnd 80 | cut -d: -f2)
[ "$hp" -gt 0 ] || fail "random host port [$hp]"
for i in $(seq 50); do busybox wget -q -O - "http://127.0.0.1:$hp/" >"$T/got" 2>/dev/null && break; sleep 0.1; done
expect_eq "$(cat "$T/got")" "published" "wget through a random host port (on all addresses)"

# Stopping the containers removes their forwards.
mini rm -f web rnd >/dev/null
expect_eq "$(forwards)" "0" "forwards after rm"
for i in $(seq 50); do [ "$(leases)" = 0 ] && break; sleep 0.1; done
expect_eq "$(leases)" 0 "leases after rm"
echo ok
