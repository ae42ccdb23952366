#!/usr/bin/env bash
# A store on a small loop-mounted ext4 that fills up: pull, import, load, build (a RUN that writes
# more than fits, or whose layer does not fit) and commit (of a container that did) each fail with one clear `mini: error:` line that
# says "no space left on device" and names the operation, and leave the store as it was: same
# records, `system check` clean, nothing in tmp/, no mounts left, the images still run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"
for t in mkfs.ext4 losetup; do command -v $t >/dev/null || { echo "skip: $t is not installed"; exit 77; }; done

# The small store: a 48 MB ext4 image under $T, on a loop device detached at exit whatever happens.
LOOP=
diskfull_cleanup() {
  grep -F " $R/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
  if mountpoint -q "$R"; then umount "$R" || umount -l "$R"; fi
  [ -z "$LOOP" ] || losetup -d "$LOOP"
}
on_exit diskfull_cleanup  # runs before the registry's and the root's cleanups (registered earlier)
truncate -s 48M "$T/store.img"
mkfs.ext4 -q "$T/store.img"
LOOP=$(losetup -f --show "$T/store.img") || { echo "skip: no loop device"; exit 77; }
mkdir -p "$R"
mount "$LOOP" "$R"

# The big image (busybox + ~40 MB of random data) is made in a store on the ordinary disk and pushed.
start_registry open
S=$T/big-root
big() { "$MINI" --root "$S" "$@"; }
make_busybox_rootfs "$T/bb"
tar -C "$T/bb" -c . | big import - busybox:latest >/dev/null
mkdir -p "$T/bigctx"
head -c 40000000 /dev/urandom >"$T/bigctx/random.bin"
printf 'FROM busybox\nCOPY random.bin /random.bin\n' >"$T/bigctx/Minifile"
big build -t "$REG/big:1" "$T/bigctx" >/dev/null
big push "$REG/big:1" >/dev/null

# The small store holds busybox and a small image built on it.
tar -C "$T/bb" -c . | mini import - busybox:latest >/dev/null
mkdir -p "$T/ctx"
printf 'FROM busybox\nRUN echo small >/small\n' >"$T/ctx/Minifile"
mini build --network none -t small "$T/ctx" >/dev/null
df -h "$R" | tail -n1

snapshot() {
  (cd "$R" && find images layers blobs overlay2 -maxdepth 2 | sort && cat images/refs.json)
}
snapshot >"$T/before"

# expect_enospc OP CMD...: CMD fails (non-zero), its stderr's last line is one `mini: error:` line
# that names OP and says "no space left on device"; then the store is as before.
expect_enospc() {
  local op=$1 rc=0 err
  shift
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  err=$(tail -n1 "$T/err")
  echo "$op: exit $rc: $err"
  [ "$rc" != 0 ] || fail "$op succeeded on a full disk"
  [[ $err == "mini: error: "* ]] || fail "$op: last line is not an error: $(cat "$T/err")"
  grep -i "no space left on device" <<<"$err" >/dev/null || fail "$op: error does not say no space left: $err"
  grep -i "$op" <<<"$err" >/dev/null || fail "$op: error does not name the operation: $err"
  store_unchanged "$op"
}
store_unchanged() {
  snapshot >"$T/after"
  diff "$T/before" "$T/after" || fail "$1 changed the store's records"
  [ -z "$(ls -A "$R/tmp")" ] || fail "$1 left $(ls -A "$R/tmp") in tmp/"
  ! grep -F " $R/" /proc/self/mountinfo || fail "$1 left mounts under the store"
  mini system check >"$T/check" || fail "$1: system check: $(cat "$T/check")"
  mini run --rm --network none small sh -c 'test "$(cat /small)" = small' || fail "$1: small does not run"
}

echo "--- pull"
expect_enospc pull mini pull "$REG/big:1"

echo "--- import, load"
tar -C "$T/bigctx" -cf "$T/big.tar" random.bin
expect_enospc import mini import "$T/big.tar" big:import
big save "$REG/big:1" -o "$T/big-save.tar"
expect_enospc load mini load -i "$T/big-save.tar"
rm "$T/big.tar" "$T/big-save.tar"

echo "--- build"
printf 'FROM busybox\nRUN dd if=/dev/urandom of=/big bs=1M count=60\n' >"$T/ctx/Minifile"
expect_enospc "RUN dd" mini build --network none -t full "$T/ctx"

echo "--- build: the RUN's writes fit, and so does its layer (the upper dir, moved: no copy, no blob)"
printf 'FROM busybox\nRUN dd if=/dev/urandom of=/big bs=1M count=24\n' >"$T/ctx/Minifile"
mini build --network none -t full "$T/ctx" >"$T/out" 2>&1 || { cat "$T/out"; fail "a build whose RUN fits the disk"; }
snapshot >"$T/before"   # now with the built image
echo "--- save: the layer's blob, made at the first save, does not fit"
expect_enospc save mini save --format oci -o "$T/full.tar" full
rm -f "$T/full.tar"
mini rmi full >/dev/null
snapshot >"$T/before"

echo "--- commit"
mini run --network none --name filler busybox sh -c 'dd if=/dev/urandom of=/big bs=1M count=60 2>/dev/null; true' || true
snapshot >"$T/before"   # now with the container's layers
expect_enospc commit mini commit filler filled
mini rm filler >/dev/null
df -h "$R" | tail -n1
echo "PASS"
