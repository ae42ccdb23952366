#!/usr/bin/env bash
# Published ports and network NAT (src/net/nat.h, port_reservation.h) driven through
# mini_nat_tool, all inside a private "host" network namespace so the real host's ruleset and
# sysctls are never touched:
#   C1 (10.123.0.2, httpd :80) --+
#                                 +-- mtbr 10.123.0.1/24 in H -- vo 192.168.123.1 -- O (.2, httpd :8080)
#   C2 (10.123.0.3) -------------+
# H also gets a dockerd-like `ip filter` table with FORWARD policy DROP (iptables-nft).
source "$(dirname "$0")/lib.sh"
TOOL=${MINI_NAT_TOOL:?MINI_NAT_TOOL must point at mini_nat_tool}
command -v nft >/dev/null && command -v ip >/dev/null || { echo "needs nft and ip"; exit 77; }
IPT=$(command -v iptables-nft || true)

H=mnh$$ C1=mnc1$$ C2=mnc2$$ O=mno$$
PIDS=()
cleanup_net() {
  local p n
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  for n in $H $C1 $C2 $O; do ip netns del "$n" 2>/dev/null; done
  return 0
}
on_exit cleanup_net
inH() { ip netns exec "$H" "$@"; }
tool() { ip netns exec "$H" "$TOOL" "$@"; }
# (busybox 1.35 wget -T crashes here: bound the time with timeout instead)
get() { timeout 5 ip netns exec "$1" busybox wget -q -O- "$2" 2>/dev/null; }

for n in $H $C1 $C2 $O; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n "$H" link add mtbr type bridge
ip -n "$H" addr add 10.123.0.1/24 dev mtbr
ip -n "$H" link set mtbr up
for i in 1 2; do
  c=$C1; [ "$i" = 2 ] && c=$C2
  ip -n "$H" link add "v$i" type veth peer name eth0 netns "$c"
  ip -n "$H" link set "v$i" master mtbr up
  ip -n "$c" addr add "10.123.0.$((i + 1))/24" dev eth0
  ip -n "$c" link set eth0 up
  ip -n "$c" route add default via 10.123.0.1
done
# A container reaching its own published port through the host: the bridge port must hairpin.
ip -n "$H" link set v1 type bridge_slave hairpin on
ip -n "$H" link add vo type veth peer name eth0 netns "$O"
ip -n "$H" addr add 192.168.123.1/24 dev vo
ip -n "$H" link set vo up
ip -n "$O" addr add 192.168.123.2/24 dev eth0
ip -n "$O" link set eth0 up   # no route back to 10.123.0.0/24: only masquerade gets answers

mkdir -p "$T/www1" "$T/www2"
echo "hello from c1" >"$T/www1/index.html"
echo "hello from outside" >"$T/www2/index.html"
ip netns exec "$C1" busybox httpd -f -p 80 -h "$T/www1" & PIDS+=($!)
ip netns exec "$O" busybox httpd -f -p 8080 -h "$T/www2" & PIDS+=($!)
for _ in $(seq 50); do get "$C1" http://127.0.0.1/ >/dev/null && get "$O" http://127.0.0.1:8080/ >/dev/null && break; sleep 0.1; done
expect_eq "$(get "$C1" http://10.123.0.2/)" "hello from c1" "httpd in C1"

# dockerd's filter table: FORWARD policy DROP.
if [ -n "$IPT" ]; then inH "$IPT" -P FORWARD DROP; else
  inH nft 'add table ip filter; add chain ip filter FORWARD { type filter hook forward priority 0; policy drop; }'
fi
inH sysctl -qw net.ipv4.ip_forward=0

# Without the rules, C1 cannot reach O.
get "$C1" http://192.168.123.2:8080/ >/dev/null && fail "C1 reached O before any NAT rule"

# --- network rules ---
tool ensure mtbr 10.123.0.0/24
expect_eq "$(inH cat /proc/sys/net/ipv4/ip_forward)" 1 "ip_forward"
expect_eq "$(inH cat /proc/sys/net/ipv4/conf/mtbr/route_localnet)" 1 "route_localnet"
if [ -n "$IPT" ]; then
  fwd=$(inH "$IPT" -S FORWARD) || fail "iptables cannot read FORWARD after ensure"
  echo "$fwd" | grep -- '-i mtbr .*mini:mtbr.*-j ACCEPT' >/dev/null || fail "no -i accept in FORWARD: $fwd"
  echo "$fwd" | grep -- '-o mtbr .*mini:mtbr.*-j ACCEPT' >/dev/null || fail "no -o accept in FORWARD: $fwd"
  echo "$fwd" | grep -- '-P FORWARD DROP' >/dev/null || fail "FORWARD policy changed: $fwd"
fi
before=$(inH nft list ruleset | wc -l)
tool ensure mtbr 10.123.0.0/24
expect_eq "$(inH nft list ruleset | wc -l)" "$before" "ruleset size after a second ensure"
expect_eq "$(tool list)" "network mtbr 10.123.0.0/24"

# Masquerade: C1 reaches O, which only knows H's address.
expect_eq "$(get "$C1" http://192.168.123.2:8080/)" "hello from outside" "C1 -> O through masquerade"

# --- port reservation ---
# (background jobs are started with ip netns exec itself, not a shell function, so $! is them)
ip netns exec "$H" "$TOOL" reserve 127.0.0.1:18080:80 18081:80 127.0.0.1::80/udp >"$T/reserve.out" &
RES=$!; PIDS+=($RES)
for _ in $(seq 50); do [ "$(wc -l <"$T/reserve.out")" -ge 3 ] && break; sleep 0.1; done
expect_eq "$(sed -n 1,2p "$T/reserve.out")" "80/tcp -> 127.0.0.1:18080
80/tcp -> 0.0.0.0:18081" "reservation"
sed -n 3p "$T/reserve.out" | grep -E '^80/udp -> 127\.0\.0\.1:[1-9][0-9]*$' >/dev/null ||
  fail "random udp port: $(sed -n 3p "$T/reserve.out")"
err=$(tool reserve 8000:80 127.0.0.1:18080:80 2>&1) && fail "second reservation of 18080 succeeded"
expect_eq "$err" "mini_nat_tool: error: Bind for 127.0.0.1:18080 failed: port is already allocated"
err=$(tool reserve 127.0.0.1:18081:80 2>&1) && fail "127.0.0.1:18081 bound while 0.0.0.0:18081 is held"
ip netns exec "$H" busybox nc -l -p 18081 -s 127.0.0.1 2>/dev/null & nc=$!; sleep 0.3
kill -0 "$nc" 2>/dev/null && { kill "$nc"; fail "a server could listen on a reserved port"; }
wait "$nc" 2>/dev/null || true

# --- port forwards (while the reservation holds the host ports) ---
tool add 10.123.0.2 127.0.0.1:18080:80 18081:80
tool add 10.123.0.2 127.0.0.1:18080:80 18081:80   # twice is fine
expect_eq "$(tool list | sort)" "*:18081/tcp -> 10.123.0.2:80
127.0.0.1:18080/tcp -> 10.123.0.2:80
network mtbr 10.123.0.0/24"
err=$(tool add 10.123.0.3 18081:80 2>&1) && fail "a second container took 18081"
expect_eq "$(get "$H" http://127.0.0.1:18080/)" "hello from c1" "host -> 127.0.0.1:18080"
expect_eq "$(get "$H" http://127.0.0.1:18081/)" "hello from c1" "host -> 127.0.0.1:18081 (all addresses)"
expect_eq "$(get "$H" http://192.168.123.1:18081/)" "hello from c1" "host -> own address:18081"
expect_eq "$(get "$O" http://192.168.123.1:18081/)" "hello from c1" "O -> H:18081"
get "$O" http://192.168.123.1:18080/ >/dev/null && fail "127.0.0.1-only port answered on 192.168.123.1"
expect_eq "$(get "$C2" http://10.123.0.1:18081/)" "hello from c1" "hairpin C2 -> bridge ip:18081"
expect_eq "$(get "$C1" http://192.168.123.1:18081/)" "hello from c1" "hairpin C1 -> itself via H"

# --- removal ---
tool remove 10.123.0.3 18081:80                    # another container's: left alone
expect_eq "$(tool list | grep -c 18081)" 1 "forward of C1 kept"
tool remove 10.123.0.2 127.0.0.1:18080:80 18081:80
tool remove 10.123.0.2 127.0.0.1:18080:80 18081:80  # missing is fine
get "$H" http://127.0.0.1:18080/ >/dev/null && fail "18080 still forwarded after remove"
get "$O" http://192.168.123.1:18081/ >/dev/null && fail "18081 still forwarded after remove"
tool remove-network mtbr 10.123.0.0/24
tool remove-network mtbr 10.123.0.0/24
expect_eq "$(tool list)" "" "list after removal"
rules=$(inH nft list ruleset)
echo "$rules" | grep -E 'mtbr|10\.123\.|192\.168|mini:|elements' && fail "leftovers in the ruleset"
if [ -n "$IPT" ]; then
  fwd=$(inH "$IPT" -S FORWARD)
  expect_eq "$fwd" "-P FORWARD DROP" "FORWARD after remove-network"
fi
get "$C1" http://192.168.123.2:8080/ >/dev/null && fail "C1 still reaches O after remove-network"
tool remove-all
inH nft list table ip mini >/dev/null 2>&1 && fail "table ip mini left after remove-all"

# The ports come back when the holder dies.
kill "$RES"; wait "$RES" 2>/dev/null || true
timeout 1 ip netns exec "$H" "$TOOL" reserve 127.0.0.1:18080:80 >/dev/null 2>"$T/err" || true
[ -s "$T/err" ] && fail "18080 not freed: $(cat "$T/err")"
echo "nat_ports: ok"
