#!/bin/bash
# --userns=auto on the guest's real kernel and file system (the systemd guest's ext4 root):
# the container's root is an overlay in its user namespace, root inside is the mapped base
# outside, files it writes land under the mapped ids. Which path mini took is reported and
# checked against the kernel: idmapped lowers need an overlayfs that takes detached mounts as
# layers (Linux 6.8+, the "lowerdir+" key); older ones (Debian 12's 6.1) get chowned layer
# copies (and the legacy mount API's single "lowerdir"). MINI_USERNS_FORCE_COPY=1 works too.
# Skips where /etc/subuid cannot be changed or the kernel has no idmapped mounts at all.
source "$SRC_DIR/tests/integration/lib.sh"
[ "$(hostname)" = mini-vm ] || { echo "skip: not in the tests/vm guest (changes /etc/subuid)"; exit 77; }
import_busybox
on_exit remove_all_containers
kv=$(uname -r | awk -F. '{print $1 * 100 + $2}')

for mode in auto copy; do
  [ $mode = copy ] && export MINI_USERNS_FORCE_COPY=1
  mkdir -m 0777 "$T/vol"
  out=$(mini run --rm --userns=auto -v "$T/vol:/vol" busybox sh -c \
    'id; awk "\$2 == \"/\" {print \$3}" /proc/mounts; echo made >/vol/f; echo w >/w; cat /proc/self/uid_map') ||
    fail "$mode: --userns=auto: $out"
  echo "$out"
  expect_eq "$(sed -n 1,2p <<<"$out")" "uid=0(root) gid=0(root)
overlay" "$mode: id and the root's fs type"
  base=$(sed -n '3s/^ *0 *\([0-9]*\) .*/\1/p' <<<"$out")
  [ -n "$base" ] && [ "$base" -gt 0 ] || fail "$mode: no mapped base in [$out]"
  expect_eq "$(stat -c %u "$T/vol/f")" "$base" "$mode: owner of a file written by the container's root"
  rm -rf "$T/vol"
  copies=$( (ls "$R/overlay2-idmap" 2>/dev/null || true) | wc -l)
  echo "$mode: kernel $(uname -r), layer copies: $copies"
  if [ $mode = auto ] && [ "$kv" -ge 608 ]; then expect_eq "$copies" 0 "idmapped lowers on $(uname -r)"; fi
  if [ $mode = copy ] || [ "$kv" -lt 608 ]; then [ "$copies" -gt 0 ] || fail "$mode: no chowned layer copies on $(uname -r)"; fi
done
unset MINI_USERNS_FORCE_COPY
# Many layers: before 6.8 they go joined in one "lowerdir" of at most 256 bytes (named by fd
# number: "/proc/self/fd/N" each held about 14).
mkdir -p "$T/many"
{ echo "FROM busybox"; for i in $(seq 30); do echo "l$i" >"$T/many/f$i"; echo "COPY f$i /m/f$i"; done; } >"$T/many/Minifile"
mini build -q -t many "$T/many" >/dev/null || fail "build the 31-layer image"
expect_eq "$(mini inspect -f '{{len .RootFS.Layers}}' many)" 31 "layers of the image"
expect_eq "$(mini run --rm --userns=auto many sh -c 'cat /m/f1 /m/f30; id -u' | tr '\n' ' ')" "l1 l30 0 " "--userns=auto on 31 layers"
c=$(mini run -d --userns=auto busybox sleep 100)
expect_eq "$(mini exec "$c" id -u)" 0 "exec joins the user namespace"
mini rm -f "$c" >/dev/null
mini system prune -f >/dev/null
expect_eq "$( (ls "$R/overlay2-idmap" 2>/dev/null || true) | wc -l)" 0 "prune left layer copies"
echo PASS
