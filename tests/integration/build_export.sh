#!/bin/bash
# mini export: the container's flattened filesystem (image layers + init layer + upper dir,
# whiteouts and opaque directories applied) must be exactly the merged overlay view. The oracle
# is a read-only overlay mount of the same directories made by this test; path, type, mode,
# owner, size, link target and mtime (seconds) of every entry are compared, and file contents.
source "$SRC_DIR/tests/integration/lib.sh"
make_busybox_rootfs "$T/bb"
mkdir -p "$T/bb/opt/old/sub" "$T/bb/var/keep"
echo old >"$T/bb/opt/old/sub/f"
echo keep >"$T/bb/var/keep/k"
ln "$T/bb/var/keep/k" "$T/bb/var/keep/hardlink"
tar -C "$T/bb" -c . | mini import - busybox:latest >/dev/null
# A second image layer that deletes and changes files of the first (whiteouts in a lower layer).
mkdir -p "$T/ctx"
printf 'FROM busybox\nRUN rm /bin/vi && echo changed-in-image >>/etc/group && mkdir /img\n' >"$T/ctx/Minifile"
mini build -q -t base2 "$T/ctx" >/dev/null || fail "build base2"

mini run --name ex base2 sh -c '
  echo new >/added; mkdir -p /d/e; touch /d/e/f; chmod 0600 /added; chown 7:8 /d/e/f
  echo more >>/etc/passwd; rm /bin/ls /etc/group; ln -s /added /d/link
  rm -rf /opt/old && mkdir -p /opt/old && echo fresh >/opt/old/new' >/dev/null || fail "run"

mini export -o "$T/ex.tar" ex || fail "export"
ls "$T"/ex.tar.mini-tmp-* >/dev/null 2>&1 && fail "temp file left"
mini export ex >"$T/ex2.tar" || fail "export to stdout"
cmp -s "$T/ex.tar" "$T/ex2.tar" || fail "export is not deterministic"
mkdir "$T/x" && tar --numeric-owner -xpf "$T/ex.tar" -C "$T/x" || fail "extract export"

# The oracle: all container layers as read-only overlay lowers (top first).
cid=$(ls "$R/containers")
lowers=$(python3 -c 'import json,sys; print(":".join(json.load(open(sys.argv[1]))["Lowers"]))' "$R/containers/$cid/config.json")
mkdir "$T/m"
(cd "$R/overlay2" && mount -t overlay overlay -o "ro,lowerdir=$cid/diff:$cid-init/diff:$lowers" "$T/m") || fail "oracle mount"
listing() { (cd "$1" && find . -mindepth 1 \( -type d -printf '%p %y %m %U:%G - %l %T@\n' \) -o -printf '%p %y %m %U:%G %s %l %T@\n' | sed -E 's/\.[0-9]+$//' | LC_ALL=C sort); }
listing "$T/m" >"$T/want"
listing "$T/x" >"$T/got"
umount "$T/m"
diff "$T/want" "$T/got" >&2 || fail "export differs from the merged view"
for f in added etc/passwd opt/old/new var/keep/k; do cmp -s "$T/x/$f" "$R/overlay2/$cid/diff/$f" 2>/dev/null \
  || cmp -s "$T/x/$f" "$T/bb/$f" || fail "content of $f"; done
for gone in bin/ls bin/vi etc/group opt/old/sub; do [ ! -e "$T/x/$gone" ] && [ ! -L "$T/x/$gone" ] || fail "$gone not deleted"; done
[ -f "$T/x/etc/hosts" ] && [ -f "$T/x/etc/hostname" ] || fail "init layer files missing"
expect_eq "$(stat -c %h "$T/x/var/keep/k")" 2 "hard link kept"
expect_eq "$(tar -tvf "$T/ex.tar" | grep -c '^c')" 0 "no whiteout devices"

err=$(mini export nope 2>&1 >/dev/null) && fail "export of a missing container"
echo "$err" | grep 'No such container: nope' >/dev/null || fail "message: $err"
echo PASS
