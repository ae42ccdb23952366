#!/bin/bash
# --userns=auto|remap: container root is an unprivileged host range from /etc/subuid and
# /etc/subgid (user "mini", added on first use); image layers stay shared (idmapped lowers, or
# chowned copies with MINI_USERNS_FORCE_COPY=1: both paths run here); files written in the
# container appear under the mapped ids; host root files stay out of reach; exec joins the
# user namespace; commit and export give image-relative owners.
source "$SRC_DIR/tests/integration/lib.sh"

# /etc/subuid and /etc/subgid are the host's: keep them exactly as they were.
for f in subuid subgid; do
  if [ -e /etc/$f ]; then cp -p /etc/$f "$T/$f.orig"; else : >"$T/$f.absent"; fi
done
# (Before cleanup_root removes the copies in $T: on_exit runs the cleanups last-registered first.)
restore_subids() {
  local f s=0
  for f in subuid subgid; do
    if [ -e "$T/$f.orig" ]; then cp -p "$T/$f.orig" /etc/$f || s=1; elif [ -e "$T/$f.absent" ]; then rm -f /etc/$f || s=1; fi
  done
  return "$s"
}
on_exit restore_subids
# Start without a mini entry: the first --userns run must add it.
for f in subuid subgid; do
  if [ -e /etc/$f ]; then grep -v '^mini:' "$T/$f.orig" >/etc/$f || true; fi
done

import_busybox
mkdir -m 0777 "$T/bind"
echo secret >"$T/secret" && chmod 0600 "$T/secret"
mkdir -m 0755 "$T/rootdir"

run_checks() {
  local mode=$1
  echo "--- $mode"
  # id and the map.
  expect_eq "$(mini run --rm --userns=auto busybox id)" "uid=0(root) gid=0(root)" "$mode: id"
  grep '^mini:' /etc/subuid >/dev/null || fail "no mini entry added to /etc/subuid"
  grep '^mini:' /etc/subgid >/dev/null || fail "no mini entry added to /etc/subgid"
  base=$(grep '^mini:' /etc/subuid | head -1 | cut -d: -f2)
  gbase=$(grep '^mini:' /etc/subgid | head -1 | cut -d: -f2)
  expect_eq "$(mini run --rm --userns=auto busybox cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')" "0 $base 65536"
  expect_eq "$(mini run --rm --userns=auto busybox cat /proc/self/gid_map | tr -s ' ' | sed 's/^ //')" "0 $gbase 65536"
  # The image's files are root's, inside.
  expect_eq "$(mini run --rm --userns=auto busybox stat -c %u:%g /bin/busybox /etc/passwd | sort -u)" "0:0"
  expect_eq "$(mini run --rm --userns=auto busybox stat -c %u /home/user)" 1000

  # Files written in the container: mapped ids on the host (upper dir and a bind dir).
  cid=$(mini create --userns=auto -v "$T/bind:/b" busybox sh -c 'echo a >/f0 && echo b >/f1000 && chown 1000:1000 /f1000 && echo c >/b/x && echo hi >>/etc/hosts && rm /etc/group')
  mini start -a "$cid" || fail "$mode: userns container failed"
  up=$R/overlay2/$cid/diff
  expect_eq "$(stat -c %u:%g "$up/f0")" "$base:$gbase" "$mode: upper file owner"
  expect_eq "$(stat -c %u:%g "$up/f1000")" "$((base + 1000)):$((gbase + 1000))" "$mode: chown 1000 inside"
  expect_eq "$(stat -c %u "$T/bind/x")" "$base" "$mode: bind dir file owner"
  rm -f "$T/bind/x"
  # start reuses the recorded map.
  mini start -a "$cid" >/dev/null 2>&1 || true
  mini inspect "$cid" | grep '"UidBase": *'"$base" >/dev/null || fail "$mode: map not recorded in the container"

  # commit and export give the container's view (0 and 1000), not the host's.
  mini commit "$cid" committed:$mode >/dev/null
  expect_eq "$(mini run --rm committed:$mode stat -c %u:%g /f0 /f1000 | tr '\n' ' ')" "0:0 1000:1000 " "$mode: committed owners"
  if mini run --rm committed:$mode test -e /etc/group; then fail "$mode: deletion lost in commit"; fi
  mini export "$cid" | tar -tv --numeric-owner -f - >"$T/export.lst"
  grep ' 1000/1000 .* f1000$' "$T/export.lst" >/dev/null || fail "$mode: export owner of f1000: $(grep f1000 "$T/export.lst")"
  grep ' 0/0 .* f0$' "$T/export.lst" >/dev/null || fail "$mode: export owner of f0: $(grep ' f0$' "$T/export.lst")"
  grep ' 0/0 .* etc/hosts$' "$T/export.lst" >/dev/null || fail "$mode: export owner of etc/hosts"
  mini rm "$cid" >/dev/null

  # Host root files bound in stay out of reach with --userns, not without.
  mini run --rm -v "$T/secret:/f" busybox cat /f >/dev/null || fail "$mode: root cannot read without userns"
  if mini run --rm --userns=auto -v "$T/secret:/f" busybox cat /f 2>/dev/null; then fail "$mode: read a host root 0600 file"; fi
  if mini run --rm --userns=auto -v "$T/secret:/f" busybox sh -c 'echo x >>/f' 2>/dev/null; then fail "$mode: wrote a host root 0600 file"; fi
  expect_eq "$(cat "$T/secret")" secret
  mini run --rm -v "$T/rootdir:/d" busybox touch /d/ok || fail "$mode: root cannot write without userns"
  if mini run --rm --userns=auto -v "$T/rootdir:/d" busybox touch /d/x 2>/dev/null; then fail "$mode: wrote into a host root 0755 dir"; fi
  [ ! -e "$T/rootdir/x" ] || fail "$mode: file created in host root dir"
  rm -f "$T/rootdir/ok"

  # Two containers at once get different ranges; both see the image as root's; exec joins.
  a=$(mini run -d --userns=auto busybox sleep 60)
  b=$(mini run -d --userns=auto busybox sleep 60)
  ma=$(mini exec "$a" cat /proc/self/uid_map | tr -s ' ')
  mb=$(mini exec "$b" cat /proc/self/uid_map | tr -s ' ')
  [ "$ma" != "$mb" ] || fail "$mode: two containers share the range $ma"
  expect_eq "$(mini exec "$a" stat -c %u /bin/busybox)" 0 "$mode: image owner in a"
  expect_eq "$(mini exec "$b" stat -c %u /bin/busybox)" 0 "$mode: image owner in b"
  expect_eq "$(mini exec "$a" id)" "uid=0(root) gid=0(root)" "$mode: exec id"
  expect_eq "$(mini exec "$a" readlink /proc/1/ns/user)" "$(mini exec "$a" readlink /proc/self/ns/user)" "$mode: exec userns"
  mini exec "$b" sh -c 'touch /from-exec'
  expect_eq "$(stat -c %u "$R/overlay2/$b/diff/from-exec")" "$(echo "$mb" | cut -d' ' -f3)" "$mode: exec file owner"
  mini rm -f "$a" "$b" >/dev/null

  # -t, named volumes, --network host (sysfs bound) and --read-only still work.
  mini run --rm -t --userns=auto busybox sh -c 'test -c /dev/null && echo ok >/dev/null' </dev/null >/dev/null || fail "$mode: -t"
  mini run --rm --userns=auto -v uvol:/data busybox sh -c 'echo v >/data/v' || fail "$mode: named volume not writable"
  expect_eq "$(stat -c %u "$R/volumes/uvol/_data/v")" "$base"
  mini run --rm --userns=auto --network host busybox ls /sys/class >/dev/null || fail "$mode: --network host"
  if mini run --rm --userns=auto --read-only busybox touch /x 2>/dev/null; then fail "$mode: --read-only root writable"; fi
  mini run --rm --userns=auto busybox sh -c 'echo x >/dev/null && ls /dev/pts /dev/mqueue >/dev/null && ls /proc/1 >/dev/null' ||
    fail "$mode: /dev /proc"
}

run_checks idmap
lowers=$( (ls "$R/overlay2-idmap" 2>/dev/null || true) | wc -l)
expect_eq "$lowers" 0 "idmap path made layer copies"

export MINI_USERNS_FORCE_COPY=1
run_checks copy
copy=$(ls -d "$R"/overlay2-idmap/*/* | head -1)
[ -n "$copy" ] || fail "no chowned layer copy"
expect_eq "$(stat -c %u "$copy/bin/busybox")" "$base" "copy owner"
ino=$(stat -c %i "$copy/bin/busybox")
mini run --rm --userns=auto busybox true
expect_eq "$(stat -c %i "$copy/bin/busybox")" "$ino" "the copy was not reused"
unset MINI_USERNS_FORCE_COPY

# remap: exactly what is given, inside mini's range.
expect_eq "$(mini run --rm --userns=remap:$((base + 131072)):$((gbase + 131072)):65536 busybox cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')" \
  "0 $((base + 131072)) 65536"
out=$(mini run --rm --userns=remap:1000:1000:65536 busybox true 2>&1) && fail "remap outside the range accepted"
echo "$out" | grep "not inside mini's subordinate uids" >/dev/null || fail "remap error: $out"
out=$(mini run --rm --userns=bogus busybox true 2>&1; echo "rc=$?")
echo "$out" | grep 'invalid --userns "bogus"' >/dev/null || fail "bad --userns: $out"
echo "$out" | grep 'rc=125' >/dev/null || fail "bad --userns exit: $out"

# A range with room for one slice: the second container gets a clear error.
sed -i "s/^mini:.*/mini:$base:65536/" /etc/subuid /etc/subgid
c=$(mini run -d --userns=auto busybox sleep 60)
out=$(mini run --rm --userns=auto busybox true 2>&1) && fail "second container without a free slice started"
echo "$out" | grep "no free user namespace range" >/dev/null || fail "no-slice error: $out"
mini rm -f "$c" >/dev/null
# rm freed it.
mini run --rm --userns=auto busybox true || fail "slice not freed by rm"

# prune removes copies no container uses.
[ -n "$(ls "$R/overlay2-idmap")" ] || fail "copies vanished early"
mini system prune -f >/dev/null
expect_eq "$(ls "$R/overlay2-idmap" | wc -l)" 0 "prune left layer copies"
# Default runs stay without a user namespace.
expect_eq "$(mini run --rm busybox cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')" "0 0 4294967295"
grep " $R/" /proc/self/mountinfo >/dev/null && fail "mounts left under the root"
echo PASS
