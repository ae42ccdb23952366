#!/bin/bash
# zstd layers (store/layer_compression.h): `push --compression-format zstd` sends an OCI
# manifest of zstd layers that mini and skopeo pull back and run; pushing twice gives the same
# manifest; the default push stays gzip; an explicit format recompresses a gzip layer (podman's
# --force-compression default), --force-compression=false keeps it; `save --format oci` takes
# the same flags; rmi frees the extra blob; a bad value fails in one line and changes nothing.
source "$SRC_DIR/tests/integration/lib.sh"
source "$SRC_DIR/tests/integration/registry_fixture.bash"
on_exit remove_all_containers
import_busybox busybox:latest
start_registry zstd

# manifest REPO TAG: the registry's manifest (OCI or Docker media type, as stored).
manifest() {
  curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REG/v2/$1/manifests/$2"
}
layer_types() { jq -r '.layers[].mediaType' | sort -u | tr '\n' ' '; }
magic() { head -c4 "$1" | od -An -tx1 | tr -d ' \n'; }
blobs() { ls "$R/blobs/sha256" | sort; }

mini run --name c1 busybox sh -c 'mkdir -p /d && seq 1 50000 >/d/n && ln -s n /d/sym' >/dev/null || fail "run c1"
mini commit c1 z:1 >/dev/null || fail "commit"
mini tag z:1 "$REG/z:1"
mini tag z:1 "$REG/z:2"
mini tag z:1 "$REG/z:gz"

# A bad value: one line, exit 125, nothing made or pushed.
before=$(blobs)
set +e
out=$(mini push --compression-format lz4 "$REG/z:1" 2>&1); rc=$?
set -e
expect_eq "$rc" 125 "exit code of --compression-format lz4"
expect_eq "$out" 'mini: error: invalid --compression-format "lz4": use gzip or zstd' "error of --compression-format lz4"
set +e
out=$(mini push --compression-format zstd --compression-level 30 "$REG/z:1" 2>&1); rc=$?
set -e
expect_eq "$rc" 125 "exit code of --compression-level 30"
expect_eq "$out" 'mini: error: invalid --compression-level 30: zstd levels are 1-20' "error of --compression-level 30"
set +e
out=$(mini push --format docker --compression-format zstd "$REG/z:1" 2>&1); rc=$?
set -e
expect_eq "$rc" 125 "exit code of --format docker with zstd"
grep -F 'Docker schema2 manifest cannot carry zstd' <<<"$out" >/dev/null || fail "docker+zstd: $out"
expect_eq "$(wc -l <<<"$out")" 1 "docker+zstd error lines"
expect_eq "$(blobs)" "$before" "blobs after refused pushes"
curl -fsS -o /dev/null "http://$REG/v2/z/manifests/1" 2>/dev/null && fail "a refused push reached the registry"

# zstd: OCI manifest, zstd layers (the busybox layer was gzip: an explicit format recompresses it).
mini push -q --compression-format zstd "$REG/z:1" >/dev/null || fail "push zstd"
m1=$(manifest z 1) || fail "get manifest"
expect_eq "$(jq -r .mediaType <<<"$m1")" application/vnd.oci.image.manifest.v1+json "manifest media type"
expect_eq "$(layer_types <<<"$m1")" "application/vnd.oci.image.layer.v1.tar+zstd " "layer media types"
for d in $(jq -r '.layers[].digest' <<<"$m1"); do
  expect_eq "$(magic "$(blob_file "$d")")" 28b52ffd "magic of the pushed blob $d"
  cmp "$(blob_file "$d")" "$R/blobs/sha256/${d#sha256:}" || fail "pushed blob $d differs from the stored one"
done
# Twice, under another tag: the same manifest (the same blobs, reused).
mini push -q --compression-format zstd "$REG/z:2" >/dev/null || fail "push zstd again"
expect_eq "$(manifest z 2)" "$m1" "second zstd push"
mini system check >"$T/check" || { cat "$T/check"; fail "system check after zstd push"; }

# The default stays gzip (the committed layer gets its gzip blob too).
mini push -q "$REG/z:gz" >/dev/null || fail "default push"
mg=$(manifest z gz)
expect_eq "$(layer_types <<<"$mg")" "application/vnd.oci.image.layer.v1.tar+gzip " "default push layer types"

# Other clients and a fresh store read the zstd image.
R2=$T/root2
MINI2() { "$MINI" --root "$R2" "$@"; }
MINI2 pull -q "$REG/z:1" >/dev/null || fail "pull zstd into a fresh store"
expect_eq "$(MINI2 run --rm "$REG/z:1" sh -c 'wc -l </d/sym')" 50000 "the pulled zstd image runs"
MINI2 system check >/dev/null || fail "system check of the pulling store"
skopeo copy -q --src-tls-verify=false "docker://$REG/z:1" "oci:$T/sk:z" || fail "skopeo copy"
for d in $(jq -r '.layers[].digest' <<<"$m1"); do
  [ -f "$T/sk/blobs/sha256/${d#sha256:}" ] || fail "skopeo did not copy $d"
done
skopeo inspect --tls-verify=false "docker://$REG/z:1" >/dev/null || fail "skopeo inspect"
# skopeo's (Go) zstd decoder inflates every layer to its diff id.
skopeo copy -q --src-tls-verify=false --dest-decompress "docker://$REG/z:1" "dir:$T/skd" || fail "skopeo decompress"
for d in $(mini inspect -f '{{json .RootFS.Layers}}' z:1 | jq -r '.[]'); do
  [ -f "$T/skd/${d#sha256:}" ] || fail "skopeo's decompressed layers: no $d in $(ls "$T/skd" | tr '\n' ' ')"
done
if command -v podman >/dev/null; then
  podman --root "$T/podman" --runroot "$T/podman-run" pull -q --tls-verify=false "$REG/z:1" >/dev/null || fail "podman pull"
fi

# A pulled gzip image: the explicit format recompresses it; --force-compression=false keeps it.
# (in a third store: the second has the same image id from the zstd pull)
R3=$T/root3
MINI3() { "$MINI" --root "$R3" "$@"; }
MINI3 pull -q "$REG/z:gz" >/dev/null || fail "pull gzip"
MINI3 tag "$REG/z:gz" "$REG/re:zstd"
MINI3 tag "$REG/z:gz" "$REG/re:keep"
MINI3 push -q --compression-format zstd --force-compression=false "$REG/re:keep" >/dev/null || fail "push keep"
expect_eq "$(manifest re keep)" "$mg" "--force-compression=false keeps the gzip manifest"
MINI3 push -q --compression-format zstd "$REG/re:zstd" >/dev/null || fail "recompress push"
expect_eq "$(manifest re zstd)" "$m1" "a pulled gzip image recompressed: the same manifest as from the committed one"
MINI3 system check >/dev/null || fail "system check of the recompressing store"

# save --format oci with zstd: the same blobs, twice the same bytes; docker-archive refuses.
mini save --format oci --compression-format zstd -o "$T/s1.tar" z:1 || fail "save zstd"
mini save --format oci --compression-format zstd -o "$T/s2.tar" z:1 || fail "save zstd again"
cmp "$T/s1.tar" "$T/s2.tar" >/dev/null || fail "two zstd saves differ"
mkdir -p "$T/s1" && tar -C "$T/s1" -xf "$T/s1.tar"
md=$(jq -r '.manifests[0].digest' "$T/s1/index.json")
expect_eq "$(layer_types <"$T/s1/blobs/sha256/${md#sha256:}")" "application/vnd.oci.image.layer.v1.tar+zstd " "saved layer types"
expect_eq "$md" "sha256:$(printf %s "$m1" | sha256sum | cut -d' ' -f1)" "saved manifest is the pushed one"
MINI2 load -q -i "$T/s1.tar" >/dev/null || fail "load the zstd save"
set +e
out=$(mini save --compression-format zstd -o "$T/d.tar" z:1 2>&1); rc=$?
set -e
expect_eq "$rc" 125 "docker-archive with zstd: exit code"
[ -e "$T/d.tar" ] && fail "a refused save left its file"

# build --output: an image output keeps its layers zstd (a plain push then sends them); type=oci
# writes the OCI archive; a bad value is one line, exit 125.
mkdir -p "$T/ctx"
printf 'FROM busybox:latest\nRUN seq 1 7000 >/f\n' >"$T/ctx/Minifile"
mini build -q -t bz:1 --output type=image,compression=zstd,compression-level=5 "$T/ctx" >/dev/null || fail "build zstd"
mini tag bz:1 "$REG/bz:1"
mini push -q "$REG/bz:1" >/dev/null || fail "push the zstd build"
expect_eq "$(manifest bz 1 | layer_types)" "application/vnd.oci.image.layer.v1.tar+zstd " "the zstd build's layers"
mini build -q --output type=oci,dest="$T/b.tar",compression=zstd,force-compression=true,oci-mediatypes=true "$T/ctx" \
  >/dev/null || fail "build type=oci"
mkdir -p "$T/b" && tar -C "$T/b" -xf "$T/b.tar"
bmd=$(jq -r '.manifests[0].digest' "$T/b/index.json")
expect_eq "$(layer_types <"$T/b/blobs/sha256/${bmd#sha256:}")" "application/vnd.oci.image.layer.v1.tar+zstd " "type=oci layers"
set +e
out=$(mini build -q --output type=image,compression=lz4 "$T/ctx" 2>&1); rc=$?
set -e
expect_eq "$rc" 1 "build compression=lz4: exit code (buildx: 1)"
expect_eq "$out" 'mini: error: invalid --output "type=image,compression=lz4": invalid compression "lz4": use gzip or zstd' \
  "build compression=lz4"
mini rmi bz:1 "$REG/bz:1" >/dev/null || fail "rmi bz"

# rmi frees the zstd blobs with the layers; nothing else goes.
mini rm c1 >/dev/null
mini rmi z:1 "$REG/z:1" "$REG/z:2" "$REG/z:gz" >/dev/null || fail "rmi"
zb=$(jq -r '.layers[-1].digest' <<<"$m1")
[ -e "$R/blobs/sha256/${zb#sha256:}" ] && fail "the committed layer's zstd blob outlived its image"
bb=$(jq -r '.layers[0].digest' <<<"$m1")
[ -e "$R/blobs/sha256/${bb#sha256:}" ] || fail "busybox:latest's layer lost its zstd blob"
# system prune (every unreferenced layer and blob) keeps it too, while busybox:latest is tagged.
mini system prune -f >/dev/null || fail "system prune"
[ -e "$R/blobs/sha256/${bb#sha256:}" ] || fail "system prune removed busybox:latest's zstd blob"
mini rmi busybox:latest >/dev/null || fail "rmi busybox"
[ -e "$R/blobs/sha256/${bb#sha256:}" ] && fail "busybox's zstd blob outlived its image"
expect_eq "$(ls "$R/blobs/sha256" | wc -l)" 0 "blobs left after every image is gone"
mini system check >"$T/check" || { cat "$T/check"; fail "system check after rmi"; }
expect_eq "$(MINI3 run --rm "$REG/re:zstd" cat /d/sym | tail -n1)" 50000 "the recompressed store still runs"
rm -rf "$R2" "$R3"
echo PASS
