#!/bin/bash
# Pull verification against handcrafted images in a docker-registry: multi-layer Docker schema2
# and OCI (zstd) images, an index with two platforms and --platform, a blob corrupted on the
# registry's disk (fails naming the digest, store unchanged, succeeds after repair), a descriptor
# with a wrong size, a document whose type disagrees with its shape, concurrent pulls of images
# sharing layers.
# Env: MINI=<binary>, SRC_DIR=<repo>. Exit 0 pass, 77 skip, anything else fail.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"

start_registry open

echo "== multi-layer Docker schema2 image"
push_image multi 1 amd64 docker a:gzip b:gzip c:gzip
DOCKER_M=$M_DIGEST
out=$(mini pull "$REG/multi:1")
expect_eq "$(grep -c 'Pull complete' <<<"$out")" 3 "three layers pulled"
expect_eq "$(manifest_digest_of "$REG/multi:1")" "$M_DIGEST" "manifest digest"
for l in "${LAYER_DIGESTS[@]}"; do [ -f "$R/blobs/sha256/${l#sha256:}" ] || fail "blob $l not kept"; done
mini inspect "$REG/multi:1" | grep 'application/vnd.docker.distribution.manifest.v2+json' >/dev/null || fail "media type"
diff_dir=$(mini inspect "$REG/multi:1" | sed -n 's/.*"UpperDir": "\(.*\)".*/\1/p')
expect_eq "$(cat "$diff_dir/c.txt")" "layer c for amd64" "top layer content"

echo "== OCI image with a zstd layer"
if command -v zstd >/dev/null; then
  push_image zst 1 amd64 oci a:gzip z:zstd
  mini pull -q "$REG/zst:1" >/dev/null
  expect_eq "$(manifest_digest_of "$REG/zst:1")" "$M_DIGEST" "zstd image manifest digest"
else
  echo "(zstd not installed: skipped)"
fi

echo "== index with two platforms"
push_image plat amd64-only amd64 oci p1:gzip
AMD=$M_DIGEST AMD_SIZE=$M_SIZE
push_image plat arm64-only arm64 oci p2:gzip
ARM=$M_DIGEST ARM_SIZE=$M_SIZE
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s]}' \
  "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$AMD\",\"size\":$AMD_SIZE,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}" \
  "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$ARM\",\"size\":$ARM_SIZE,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}" \
  >"$T/index.json"
put_manifest plat multi application/vnd.oci.image.index.v1+json "$T/index.json"
IDX=sha256:$(sha_of "$T/index.json")
mini pull -q "$REG/plat:multi" >/dev/null
expect_eq "$(manifest_digest_of "$REG/plat:multi")" "$AMD" "host platform picked from the index"
expect_eq "$(repo_digests_of "$REG/plat:multi")" "\"$REG/plat@$IDX\"" "RepoDigest is the index digest"
mini pull -q --platform linux/arm64 "$REG/plat:multi" >/dev/null
expect_eq "$(manifest_digest_of "$REG/plat:multi")" "$ARM" "--platform linux/arm64"
mini pull -q --platform linux/arm64/v8 "$REG/plat@$IDX" >/dev/null
expect_eq "$(mini inspect "$REG/plat@$IDX" | sed -n 's/.*"Architecture": "\(.*\)".*/\1/p')" arm64 "arm64 by index digest"
if mini pull --platform linux/s390x "$REG/plat:multi" 2>"$T/err" >/dev/null; then fail "pulled a missing platform"; fi
grep -q "no matching manifest for linux/s390x in the manifest list entries" "$T/err" || fail "platform error: $(cat "$T/err")"

echo "== a blob corrupted on the registry's disk"
push_image corrupt 1 amd64 docker x:gzip y:gzip
BAD=${LAYER_DIGESTS[1]}
f=$(blob_file "$BAD")
cp "$f" "$T/good-blob"
head -c "$(size_of "$f")" /dev/urandom >"$f"
R_SAVE=$R
R=$T/root-corrupt
if mini pull "$REG/corrupt:1" >/dev/null 2>"$T/err"; then fail "pulled a corrupted blob"; fi
grep -q "^mini: error: pull $REG/corrupt:1: .*$BAD" "$T/err" || fail "error does not name the blob: $(cat "$T/err")"
store_is_empty || fail "a failed pull left things behind"
[ -z "$(ls -A "$R/blobs/sha256" 2>/dev/null)" ] || fail "a failed pull left blobs: $(ls "$R/blobs/sha256")"
# Same size, same digest position, valid gzip but different content: digest mismatch named too.
gzip -n -c <(head -c 1000 /dev/zero) >"$f"
if mini pull "$REG/corrupt:1" >/dev/null 2>"$T/err"; then fail "pulled a replaced blob"; fi
grep -q "$BAD" "$T/err" || fail "error does not name the blob: $(cat "$T/err")"
store_is_empty || fail "a failed pull left things behind"
cp "$T/good-blob" "$f"
mini pull -q "$REG/corrupt:1" >/dev/null || fail "pull after repair failed"
R=$R_SAVE

echo "== a descriptor with a wrong size"
make_layer sz gzip "size"
d=$(upload_blob badsize "$L_FILE")
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' "$L_DIFF" >"$T/c.json"
c=$(upload_blob badsize "$T/c.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
  "$c" "$(size_of "$T/c.json")" "$d" "$(($(size_of "$L_FILE") - 1))" >"$T/m.json"
put_manifest badsize 1 application/vnd.oci.image.manifest.v1+json "$T/m.json"
if mini pull "$REG/badsize:1" >/dev/null 2>"$T/err"; then fail "pulled a blob longer than its descriptor"; fi
grep -q "$d: size mismatch" "$T/err" || fail "size error: $(cat "$T/err")"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
  "$c" "$(size_of "$T/c.json")" "$d" "$(($(size_of "$L_FILE") + 1))" >"$T/m.json"
put_manifest badsize 2 application/vnd.oci.image.manifest.v1+json "$T/m.json"
if mini pull "$REG/badsize:2" >/dev/null 2>"$T/err"; then fail "pulled a blob shorter than its descriptor"; fi
grep -q "$d: size mismatch" "$T/err" || fail "size error: $(cat "$T/err")"

echo "== a manifest whose declared type disagrees with its shape"
# An index posing as a manifest, served with the manifest content type.
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"os":"linux","architecture":"amd64"}}],"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[]}' \
  "$AMD" "$AMD_SIZE" "$c" "$(size_of "$T/c.json")" >"$T/evil.json"
if put_manifest plat evil application/vnd.oci.image.manifest.v1+json "$T/evil.json" 2>/dev/null; then
  if mini pull "$REG/plat:evil" >/dev/null 2>"$T/err"; then fail "pulled an ambiguous document"; fi
  grep -qi "manifests" "$T/err" || fail "shape error: $(cat "$T/err")"
else
  echo "(the registry itself refused the ambiguous manifest)"
fi

echo "== concurrent pulls of images sharing layers"
push_image share 1 amd64 docker s0:gzip s1:gzip
push_image share 2 amd64 docker s0:gzip s1:gzip s2:gzip
R=$T/root-concurrent
mini pull -q "$REG/share:1" >"$T/c1.out" 2>&1 &
p1=$!
mini pull -q "$REG/share:2" >"$T/c2.out" 2>&1 &
p2=$!
mini pull -q "$REG/share:2" >"$T/c3.out" 2>&1 &
p3=$!
wait $p1 || fail "concurrent pull 1: $(cat "$T/c1.out")"
wait $p2 || fail "concurrent pull 2: $(cat "$T/c2.out")"
wait $p3 || fail "concurrent pull 3: $(cat "$T/c3.out")"
expect_eq "$(manifest_digest_of "$REG/share:2")" "$M_DIGEST" "concurrently pulled image"
expect_eq "$(ls "$R/layers" | grep -vc '^\.')" 3 "shared layers stored once"
expect_eq "$(ls "$R/blobs/sha256" | wc -l)" 7 "blobs (3 layers, 2 configs, 2 manifests)"
[ -z "$(ls -A "$R/tmp")" ] || fail "tmp not empty after concurrent pulls"
echo PASS
