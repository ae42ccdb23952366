#!/bin/bash
# mini push / mini pull against Debian's docker-registry: round trip with exact digests, pull by
# digest, quiet output, unknown tag/repo errors, chunked upload, cross-repository mount, and
# interop with skopeo in both directions.
# Env: MINI=<binary>, SRC_DIR=<repo>. Exit 0 pass, 77 skip, anything else fail.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"

start_registry open
import_busybox
ID=$(id_of busybox:latest)
MD=$(manifest_digest_of busybox:latest)

echo "== push, rmi, pull: same image id, manifest digest and RepoDigests"
mini tag busybox:latest "$REG/bb:1"
mini push "$REG/bb:1" >"$T/push.out"
grep -q "^1: digest: $MD size: " "$T/push.out" || fail "push output: $(cat "$T/push.out")"
expect_eq "$(repo_digests_of "$REG/bb:1")" "\"$REG/bb@$MD\"" "RepoDigests after push"
curl -fsS "http://$REG/v2/bb/manifests/1" -H 'Accept: application/vnd.oci.image.manifest.v1+json' -o "$T/remote.json"
expect_eq "sha256:$(sha_of "$T/remote.json")" "$MD" "registry manifest digest"
out=$(mini push "$REG/bb:1")
grep -q "Layer already exists" <<<"$out" || fail "second push re-uploaded: $out"
mini rmi "$REG/bb:1" busybox:latest >/dev/null
store_is_empty || fail "rmi left things behind"
mini pull "$REG/bb:1" >"$T/pull.out"
grep -q "Pull complete" "$T/pull.out" || fail "pull output: $(cat "$T/pull.out")"
expect_eq "$(tail -n1 "$T/pull.out")" "$REG/bb:1" "last line of pull"
expect_eq "$(id_of "$REG/bb:1")" "$ID" "image id after pull"
expect_eq "$(manifest_digest_of "$REG/bb:1")" "$MD" "manifest digest after pull"
expect_eq "$(repo_digests_of "$REG/bb:1")" "\"$REG/bb@$MD\"" "RepoDigests after pull"
[ -z "$(ls -A "$R/tmp")" ] || fail "pull left $(ls -A "$R/tmp") in tmp"
out=$(mini pull "$REG/bb:1")
grep -q "Already exists" <<<"$out" || fail "re-pull: $out"
grep -q "Image is up to date" <<<"$out" || fail "re-pull: $out"

echo "== pull by digest, -q"
mini rmi "$REG/bb:1" >/dev/null
out=$(mini pull -q "$REG/bb@$MD")
expect_eq "$out" "$REG/bb@$MD" "pull -q by digest"
expect_eq "$(id_of "$REG/bb@$MD")" "$ID" "image id by digest"
out=$(mini pull -q "$REG/bb:1@$MD")
expect_eq "$out" "$REG/bb:1@$MD" "pull -q tag@digest"
expect_eq "$(id_of "$REG/bb:1")" "$ID" "tag@digest pull tags the image"

echo "== unknown tag, unknown repository, unreachable registry"
if mini pull "$REG/bb:nope" 2>"$T/err"; then fail "pulled an unknown tag"; fi
grep -q "^mini: error: pull $REG/bb:nope: manifest bb:nope: not found: manifest unknown" "$T/err" || fail "unknown tag: $(cat "$T/err")"
if mini pull "$REG/nothere:1" 2>"$T/err"; then fail "pulled an unknown repository"; fi
grep -q "not found" "$T/err" || fail "unknown repo: $(cat "$T/err")"
if MINI_REGISTRY_BACKOFF_MS=10 mini pull "127.0.0.1:1/x:1" 2>"$T/err"; then fail "pulled from nowhere"; fi
grep -q "^mini: error: pull 127.0.0.1:1/x:1: " "$T/err" || fail "unreachable: $(cat "$T/err")"

echo "== chunked upload, cross-repository mount"
mini tag "$REG/bb:1" "$REG/chunked:1"
mini push --chunk-size 100000 "$REG/chunked:1" >"$T/push2.out"
grep -qE "Mounted from bb|Layer already exists" "$T/push2.out" || fail "no mount: $(cat "$T/push2.out")"
mini tag "$REG/bb:1" "$REG/fresh:1"
mini push --chunk-size 65536 "$REG/fresh:1" >/dev/null
# A repository with no common history gets a real chunked upload: check the blob in a new registry.
FIRST=$REG
start_registry second
mini tag "$FIRST/bb:1" "$REG/chunky:1"
mini push --chunk-size 65536 "$REG/chunky:1" >"$T/push3.out"
grep -q "Pushed" "$T/push3.out" || fail "chunked push: $(cat "$T/push3.out")"
mini rmi -f "$ID" >/dev/null
mini pull -q "$REG/chunky:1" >/dev/null
expect_eq "$(id_of "$REG/chunky:1")" "$ID" "image id after chunked push + pull"

if command -v skopeo >/dev/null; then
  echo "== skopeo reads what mini pushed"
  skopeo inspect --tls-verify=false "docker://$REG/chunky:1" >"$T/inspect.json"
  grep -q "\"Digest\": \"$MD\"" "$T/inspect.json" || fail "skopeo inspect: $(cat "$T/inspect.json")"
  skopeo copy -q --src-tls-verify=false "docker://$REG/chunky:1" "oci:$T/oci-copy:x"
  echo "== mini pulls what skopeo pushed (from mini save --format oci-archive)"
  mini save --format oci-archive -o "$T/o.tar" "$REG/chunky:1"
  skopeo copy -q --dest-tls-verify=false "oci-archive:$T/o.tar" "docker://$REG/fromskopeo:2"
  mini rmi -f "$ID" >/dev/null
  mini pull -q "$REG/fromskopeo:2" >/dev/null
  expect_eq "$(id_of "$REG/fromskopeo:2")" "$ID" "image id of the skopeo-pushed image"
  echo "== skopeo's docker schema2 conversion"
  skopeo copy -q --dest-tls-verify=false --format v2s2 "oci-archive:$T/o.tar" "docker://$REG/v2s2:1"
  mini rmi -f "$ID" >/dev/null
  mini pull -q "$REG/v2s2:1" >/dev/null
  mini inspect "$REG/v2s2:1" | grep 'application/vnd.docker.distribution.manifest.v2+json' >/dev/null || fail "v2s2 media type lost"
  mini tag "$REG/v2s2:1" "$REG/v2s2:copy"
  mini push -q "$REG/v2s2:copy" >/dev/null
  skopeo inspect --raw --tls-verify=false "docker://$REG/v2s2:copy" | grep 'application/vnd.docker.distribution.manifest.v2+json' >/dev/null \
    || fail "mini changed the media type on push"
else
  echo "(skopeo not installed: interop skipped)"
fi
echo PASS
