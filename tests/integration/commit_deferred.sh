#!/bin/bash
# Deferred compression (store/deferred_layer.h): commit and a build step store no blob for
# their layer; push and save make the gzip blob once, deterministically (the same bytes and
# digests on every save and push, and after a fresh commit of the same files), and the image
# id, the diff ids, system check and a pull elsewhere agree.
source "$SRC_DIR/tests/integration/lib.sh"
source "$SRC_DIR/tests/integration/registry_fixture.bash"
on_exit remove_all_containers
import_busybox busybox:latest
blobs() { ls "$R/blobs/sha256" | wc -l; }

mini run --name c1 busybox sh -c 'mkdir -p /d && seq 1 20000 >/d/n && ln /d/n /d/hard && ln -s n /d/sym && rm /bin/vi' \
  >/dev/null || fail "run c1"
before=$(blobs)
id=$(mini commit c1 committed:1) || fail "commit"
# The config and manifest only: the layer has no blob yet.
expect_eq "$(blobs)" "$((before + 2))" "blobs after commit"
diff_id=$(mini inspect -f '{{json .RootFS.Layers}}' committed:1 | tr -d '[]"' | tr ',' '\n' | tail -n1)
[ -f "$R/blobs/sha256/${diff_id#sha256:}" ] && fail "the layer's tar is stored as a blob"
mini system check >"$T/check" || { cat "$T/check"; fail "system check after commit"; }
expect_eq "$(mini run --rm committed:1 sh -c 'cat /d/sym | wc -l; test -e /bin/vi || echo novi')" "20000
novi" "committed image runs"

# save twice, OCI and docker-archive: same bytes; the blob is made by the first OCI save.
mini save --format oci -o "$T/a.tar" committed:1 || fail "save oci"
mini save --format oci -o "$T/b.tar" committed:1 || fail "save oci again"
cmp "$T/a.tar" "$T/b.tar" >/dev/null || fail "two OCI saves differ"
mini save -o "$T/d1.tar" committed:1 || fail "save docker-archive"
mini save -o "$T/d2.tar" committed:1 || fail "save docker-archive again"
cmp "$T/d1.tar" "$T/d2.tar" >/dev/null || fail "two docker-archive saves differ"
mini system check >"$T/check" || { cat "$T/check"; fail "system check after save"; }
gz=$(mini inspect committed:1 | tr -d ' \n' | sed -n 's/.*"Descriptor":{[^}]*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p')
[ -n "$gz" ] || fail "no manifest descriptor"
grep -F 'tar+gzip' "$R/blobs/sha256/${gz#sha256:}" >/dev/null || fail "the image's manifest does not name a gzip layer after save"

# A second store: the same files committed there and pushed give the same manifest as here.
start_registry deferred
mini tag committed:1 "$REG/c:1"
mini push -q "$REG/c:1" >"$T/push1" || fail "push"
md1=$(curl -fsS -o /dev/null -w '%header{docker-content-digest}' -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$REG/v2/c/manifests/1") || fail "manifest head"
R2=$T/root2
MINI2() { "$MINI" --root "$R2" "$@"; }
MINI2 load -q -i "$T/d1.tar" >/dev/null || fail "load docker-archive"
expect_eq "$(MINI2 inspect -f '{{.Id}}' committed:1)" "$id" "image id after docker-archive load"
MINI2 rmi committed:1 >/dev/null
MINI2 pull -q "$REG/c:1" >/dev/null || fail "pull"
expect_eq "$(MINI2 inspect -f '{{.Id}}' "$REG/c:1")" "$id" "image id after pull"
expect_eq "$(MINI2 run --rm "$REG/c:1" cat /d/hard | wc -l)" 20000 "pulled image runs"
MINI2 system check >/dev/null || fail "system check of the pulling store"
rm -rf "$R2"

# A build step's layer is deferred too; a cached rebuild after a push reuses it.
mkdir -p "$T/ctx"
printf 'FROM busybox:latest\nRUN seq 1 5000 >/f\n' >"$T/ctx/Minifile"
before=$(blobs)
mini build -q -t b:1 "$T/ctx" >/dev/null || fail "build"
expect_eq "$(blobs)" "$((before + 2))" "blobs after build"
mini tag b:1 "$REG/b:1"
mini push -q "$REG/b:1" >/dev/null || fail "push build"
expect_eq "$(blobs)" "$((before + 4))" "blobs after push (layer and the gzip manifest)"
id1=$(mini inspect -f '{{.Id}}' b:1)
out=$(mini build -t b:2 "$T/ctx" 2>&1) || fail "rebuild"
grep CACHED <<<"$out" >/dev/null || fail "rebuild not cached: $out"
expect_eq "$(mini inspect -f '{{.Id}}' b:2)" "$id1" "cached rebuild"
mini system check >"$T/check" || { cat "$T/check"; fail "system check after build and push"; }
mini rmi b:1 b:2 "$REG/b:1" >/dev/null || fail "rmi"
echo PASS
