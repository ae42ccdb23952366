#!/bin/bash
# Stale nftables state: a store deleted without `network rm` leaves its network's rules in
# table `ip mini` (its subnet's nets_post element, its post-/fwd- chains). Once that bridge is
# gone, a network of another store on the same subnet must work (the stale rules are removed);
# while that bridge lives, an overlapping network is refused by name and leaves no bridge.
# Env: MINI=<binary>. Exit 0 pass, 77 skip, anything else fail.
source "$SRC_DIR/tests/integration/lib.sh"
command -v nft >/dev/null || { echo "no nft"; exit 77; }
SUBNET=10.219.7.0/24
rules() { nft list table ip mini 2>/dev/null || true; }
bridge_of() { "$MINI" --root "$1" network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' "$2"; }
# The other stores of this test: their networks removed properly at exit.
R2=$T/root2 R3=$T/root3
drop_other_stores() {
  local r
  for r in "$R2" "$R3"; do [ -d "$r/networks" ] && "$MINI" --root "$r" network prune -f >/dev/null 2>&1 || true; done
}
on_exit drop_other_stores
import_busybox
for r in "$R2" "$R3"; do tar -C "$T/bb" -c . | "$MINI" --root "$r" import - busybox >/dev/null; done

# Store 1: a network on SUBNET, used once, then its bridge deleted by hand and its store wiped.
mini network create --subnet "$SUBNET" old >/dev/null
mini run --rm --network old busybox true
old_br=$(bridge_of "$R" old)
rules | grep -F "jump post-$old_br" >/dev/null || fail "no rules for $old_br after a run"
ip link del "$old_br"
rm -rf "$R/networks/old"

# Store 2: the same subnet works, and the stale rules are gone.
"$MINI" --root "$R2" network create --subnet "$SUBNET" new >/dev/null
"$MINI" --root "$R2" run --rm --network new busybox sh -c 'ip -4 addr show eth0 | grep -F 10.219.7. >/dev/null' ||
  fail "a network on the subnet of a stale network does not work"
new_br=$(bridge_of "$R2" new)
rules >"$T/rules"
! grep -F "$old_br" "$T/rules" >/dev/null || fail "stale rules of $old_br left: $(grep -F "$old_br" "$T/rules")"
grep -F "jump post-$new_br" "$T/rules" >/dev/null || fail "no rules for $new_br"

# Store 3: an overlapping subnet while store 2's bridge lives is refused by name, leaving no bridge.
"$MINI" --root "$R3" network create --subnet 10.219.7.128/25 clash >/dev/null
clash_br=$(bridge_of "$R3" clash)
rc=0
"$MINI" --root "$R3" run --rm --network clash busybox true 2>"$T/err" || rc=$?
expect_eq "$rc" 125 "exit status of a run on an overlapping network"
grep -F "mini: error: network rules for $clash_br: subnet 10.219.7.128/25 overlaps $SUBNET of bridge $new_br" "$T/err" >/dev/null ||
  fail "unexpected error: $(cat "$T/err")"
! ip link show "$clash_br" >/dev/null 2>&1 || fail "bridge $clash_br left after the refused run"
grep -F "jump post-$new_br" <(rules) >/dev/null || fail "store 2's rules were touched"
expect_eq "$("$MINI" --root "$R3" ps -a -q)" "" "containers left in store 3"
echo "ok"
