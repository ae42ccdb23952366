#!/bin/bash
# Layers packed by mini are gzip in 1 MiB members (store/parallel_gzip.h): gzip, mini, skopeo and
# docker (a private dockerd pulling from a local registry) all read them; the same files always
# give the same blob (two commits of one container), and pushing or saving an image twice gives
# the same digests.
# Env: MINI=<binary>, SRC_DIR=<repo>. Exit 0 pass, 77 skip, anything else fail.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"
source "$(dirname "$0")/dockerd.bash"
on_exit remove_all_containers

import_busybox
# ~6 MB of text and binaries: several members.
WRITE='mkdir /data && seq 1 500000 >/data/seq && for i in 1 2 3; do cat /bin/busybox >/data/bb$i; done && echo x$((3 * 7)) >/data/tail'
mini run --name w busybox sh -c "$WRITE"
layer_blobs() { find "$R/blobs/sha256" -type f -size +1M -printf '%f\n' | sort; }
BASE_BLOBS=$(layer_blobs)

echo "== commit twice, then save both: one blob, several gzip members, its tar is the diff id"
mini commit w img:a >/dev/null
mini commit w img:b >/dev/null
# Commit defers the compression (store/deferred_layer.h): the blob is made by the first save.
expect_eq "$(comm -13 <(echo "$BASE_BLOBS") <(layer_blobs) | grep -c . || true)" 0 "layer blobs right after the commits"
mini save --format oci -o "$T/a.oci.tar" img:a
mini save --format oci -o "$T/b.oci.tar" img:b
blobs=$(comm -13 <(echo "$BASE_BLOBS") <(layer_blobs))
expect_eq "$(grep -c . <<<"$blobs")" 1 "layer blobs after two commits of one container, saved"
B=$R/blobs/sha256/$blobs
members=$(python3 - "$B" <<'PY'
import sys, zlib
data, n = open(sys.argv[1], "rb").read(), 0
while data:
    d = zlib.decompressobj(31)
    d.decompress(data)
    assert d.eof, "truncated member"
    data, n = d.unused_data, n + 1
print(n)
PY
)
[ "$members" -ge 5 ] || fail "expected 5 or more gzip members, got $members"
gzip -t "$B" || fail "gzip -t refuses the blob"
DIFF=sha256:$(gzip -dc "$B" | sha256sum | cut -d' ' -f1)
grep -F "\"$DIFF\"" <<<"$(mini inspect img:a)" >/dev/null || fail "gunzip of the blob is not the layer's diff id $DIFF"
SUM=$(mini run --rm img:a cat /data/seq /data/bb1 /data/tail | sha256sum)
expect_eq "$(mini run --rm busybox sh -c 'seq 1 500000; cat /bin/busybox; echo x21' | sha256sum)" "$SUM" "files of the committed image"

echo "== save twice: the same archive"
mini save -o "$T/s1.tar" img:a
mini save -o "$T/s2.tar" img:a
cmp "$T/s1.tar" "$T/s2.tar" >/dev/null || fail "two saves of img:a differ"

echo "== push twice: the same manifest; mini pulls it back"
start_registry open
mini tag img:a "$REG/pk:1"
mini tag img:a "$REG/pk:2"
mini push -q "$REG/pk:1" >/dev/null
mini push -q "$REG/pk:2" >/dev/null
head_digest() {
  curl -fsSI "http://$REG/v2/pk/manifests/$1" -H 'Accept: application/vnd.oci.image.manifest.v1+json' |
    tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
D1=$(head_digest 1)
[ -n "$D1" ] || fail "no manifest digest from the registry"
expect_eq "$(head_digest 2)" "$D1" "manifest digests of two pushes"
[ -f "$(blob_file "sha256:$blobs")" ] || fail "the registry has no blob sha256:$blobs"
mini rmi "$REG/pk:1" "$REG/pk:2" img:a img:b >/dev/null
mini rm -f w >/dev/null
mini pull -q "$REG/pk:1" >/dev/null
expect_eq "$(mini run --rm "$REG/pk:1" cat /data/seq /data/bb1 /data/tail | sha256sum)" "$SUM" "files after mini pull"

if command -v skopeo >/dev/null; then
  echo "== skopeo copies it (checking every digest)"
  skopeo copy -q --src-tls-verify=false "docker://$REG/pk:1" "oci:$T/oci:pk" >/dev/null || fail "skopeo copy"
  [ -f "$T/oci/blobs/sha256/$blobs" ] || fail "skopeo's copy lacks the layer blob"
else
  echo "skopeo: not installed, skipped"
fi

if command -v dockerd >/dev/null && start_private_dockerd "$T/docker" "$T/docker.sock" >/dev/null; then
  echo "== docker pulls it and sees the same files"
  docker pull -q "$REG/pk:1" >/dev/null || fail "docker pull"
  expect_eq "$(docker run --rm "$REG/pk:1" cat /data/seq /data/bb1 /data/tail | sha256sum)" "$SUM" "files in docker"
  docker rmi -f "$REG/pk:1" >/dev/null
else
  echo "docker: no dockerd, or it did not start; skipped"
fi
echo PASS
