#!/bin/bash
# No leaks: host links, lease files, nft rules of table `ip mini` and iptables(-nft) rules are
# back to their start counts after 20 `mini run --rm` (some with -p), a detached container
# removed with rm -f, and a detached container whose monitor is killed with -9 (collected by
# a later `mini ps` / `mini rm -f`).
source "$SRC_DIR/tests/integration/lib.sh"
on_exit remove_all_containers
import_busybox
links() { ip -o link | wc -l; }
leases() { find "$R/networks" -path '*/leases/*' ! -name '.*' 2>/dev/null | wc -l; }
nft_rules() { nft list table ip mini 2>/dev/null | wc -l; }
ipt_rules() { { iptables-nft-save 2>/dev/null || iptables-save 2>/dev/null || true; } | grep -c '^-A' || true; }
counts() { echo "links=$(links) leases=$(leases) nft=$(nft_rules) iptables=$(ipt_rules)"; }
# Veth deletion finishes in the background (~15 ms of kernel RCU waits): poll a little.
settle() {
  local want=$1 i
  for i in $(seq 100); do [ "$(counts)" = "$want" ] && return 0; sleep 0.05; done
  fail "expected [$want], got [$(counts)]"
}

# Warm up: the default network, its bridge and its NAT rules exist from the first run on.
mini run --rm -p 127.0.0.1:18100:80 busybox true
sleep 0.3
start=$(counts)
echo "start: $start"

for i in $(seq 20); do
  if [ $((i % 4)) = 0 ]; then
    mini run --rm -p "127.0.0.1:$((18100 + i)):80" -p 8$((100 + i))/udp busybox true
  else
    mini run --rm busybox sh -c 'ip -4 addr show eth0 | grep -q inet'
  fi
done
settle "$start"

# Detached, removed with rm -f (its monitor tears down).
id=$(mini run -d -p 127.0.0.1:18130:80 busybox sleep 1000)
[ "$(leases)" -gt 0 ] || fail "no lease while running"
mini rm -f "$id" >/dev/null
settle "$start"
# Detached, stopped.
id=$(mini run -d -p 127.0.0.1:18131:80 busybox sleep 1000)
mini stop -t 1 "$id" >/dev/null
settle "$start"
mini rm "$id" >/dev/null

# Detached, its monitor SIGKILLed: a later mini ps collects the lease and the port forward.
id=$(mini run -d -p 127.0.0.1:18132:80 busybox sleep 1000)
lease=$(grep -l "$id" "$R"/networks/mini/leases/* | head -1)
mon=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["MonitorPid"])' "$lease")
kill -9 "$mon"
sleep 0.2
mini ps >/dev/null
settle "$start"
mini rm -f "$id" >/dev/null
# Same, collected by rm -f this time.
id=$(mini run -d -p 127.0.0.1:18133:80 busybox sleep 1000)
lease=$(grep -l "$id" "$R"/networks/mini/leases/* | head -1)
kill -9 "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["MonitorPid"])' "$lease")"
sleep 0.2
mini rm -f "$id" >/dev/null
settle "$start"
expect_eq "$(mini ps -a -q | wc -l)" 0 "containers left"
echo "end: $(counts)"
