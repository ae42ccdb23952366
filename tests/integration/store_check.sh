#!/usr/bin/env bash
# mini system check [--repair]: a clean store checks clean (exit 0); each corruption (layer blob,
# config blob, diff/, l/ link, lower, layer record, orphan dir, dangling tag) gives its exact
# one-line fault and exit 1; --repair removes it with what depends on it; the next check is clean
# and a re-import or rebuild gives a runnable image again.
source "$(dirname "$0")/lib.sh"

import_busybox
mkdir -p "$T/ctx"
printf 'FROM busybox\nRUN echo two >/two\n' >"$T/ctx/Minifile"
# The RUN's layer has no blob until a push or save needs one (deferred compression): an OCI
# save makes it, so that there is a layer blob to corrupt.
build_two() {
  mini build --network none -t two "$T/ctx" >"$T/build.log" 2>&1 || { cat "$T/build.log"; fail "build two"; }
  mini save --format oci -o "$T/two.tar" two || fail "save two"
}
build_two

image_id() { mini inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])'; }
# The two layers of two: busybox's (bottom, chain id = diff id) and the RUN's (top; a rebuild makes
# a new one, the old one stays until prune).
set_ids() {
  BB=$(image_id busybox) TWO=$(image_id two)
  BOTTOM=$(mini inspect busybox | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RootFS"]["Layers"][0])')
  TOP=$(mini inspect two | python3 -c '
import hashlib, json, sys
ids = json.load(sys.stdin)[0]["RootFS"]["Layers"]
assert len(ids) == 2, ids
print("sha256:" + hashlib.sha256((ids[0] + " " + ids[1]).encode()).hexdigest())')
  [ -d "$R/layers/${TOP#sha256:}" ] || fail "no record of the top layer $TOP"
  TOP_BLOB=$(cat "$R/layers/${TOP#sha256:}/blob-digest")
  BOTTOM_LINK=$(cat "$R/overlay2/${BOTTOM#sha256:}/link") TOP_LINK=$(cat "$R/overlay2/${TOP#sha256:}/link")
}
set_ids

# check_is_clean: exit 0, no line but the summary.
check_is_clean() {
  local out rc=0
  out=$(mini system check) || rc=$?
  [ "$rc" = 0 ] || fail "check exit $rc (want 0) ${1:-}: $out"
  [ -z "$(grep -v '^checked ' <<<"$out")" ] || fail "check not clean ${1:-}: $out"
  grep -E '^checked [0-9]+ blobs \(.*\), [0-9]+ layers, 2 images: no faults$' <<<"$out" >/dev/null || fail "summary: $out"
}
# expect_fault LINE...: check exits 1 and prints each LINE exactly, and nothing else but the summary.
expect_fault() {
  local out rc=0 line
  out=$(mini system check) || rc=$?
  echo "$out"
  [ "$rc" = 1 ] || fail "check exit $rc (want 1)"
  for line in "$@"; do grep -Fx -- "$line" <<<"$out" >/dev/null || fail "missing fault line [$line]"; done
  expect_eq "$(grep -vc '^checked ' <<<"$out")" "$#" "number of fault lines"
  grep -E "^checked .*: $# faults?$" <<<"$out" >/dev/null || fail "summary"
}
# repair_then_clean WANT...: --repair prints each WANT line among its removals; then a check is clean
# (after re-importing busybox when it went) and two rebuilds and runs.
repair_then_clean() {
  local out rc=0 line
  out=$(mini system check --repair) || rc=$?
  echo "$out"
  [ "$rc" = 0 ] || fail "repair exit $rc"
  for line in "$@"; do grep -Fx -- "$line" <<<"$out" >/dev/null || fail "repair did not print [$line]"; done
  grep -E '^removed .* images?, .* layers?, .* blobs?, .* garbage entr(y|ies); 0 left$' <<<"$out" >/dev/null || fail "repair summary"
  # The repaired store checks clean as it is (fewer images now), before anything is restored.
  out=$(mini system check) || fail "check after repair: $out"
  [ -z "$(grep -v '^checked ' <<<"$out")" ] || fail "check after repair not clean: $out"
  mini images -q >/dev/null || fail "images after repair"
  mini inspect busybox >/dev/null 2>&1 || import_busybox
  build_two
  check_is_clean "after restoring"
  mini run --rm --network none two sh -c 'test "$(cat /two)" = two' || fail "two does not run after repair"
  set_ids
}

check_is_clean

flip_byte() {  # flip_byte FILE: xor one byte in the middle, in place
  python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0x55; open(p,"wb").write(b)' "$1"
}

echo "--- a layer blob"
f=$R/blobs/sha256/${TOP_BLOB#sha256:}
flip_byte "$f"
expect_fault "blob $TOP_BLOB: digest mismatch (content is sha256:$(sha256sum "$f" | cut -d' ' -f1))"
repair_then_clean "removed blob $TOP_BLOB" "removed image $TWO (docker.io/library/two:latest)"

echo "--- a config blob"
f=$R/blobs/sha256/${TWO#sha256:}
flip_byte "$f"
expect_fault "blob $TWO: digest mismatch (content is sha256:$(sha256sum "$f" | cut -d' ' -f1))"
repair_then_clean "removed blob $TWO" "removed image $TWO (docker.io/library/two:latest)"

echo "--- a diff/ dir"
rm -rf "$R/overlay2/${TOP#sha256:}/diff"
expect_fault "layer $TOP: diff/ missing"
repair_then_clean "removed layer $TOP" "removed image $TWO (docker.io/library/two:latest)"

echo "--- an l/ link (of the bottom layer: everything goes)"
rm "$R/overlay2/l/$BOTTOM_LINK"
expect_fault "layer $BOTTOM: l/$BOTTOM_LINK link missing"
repair_then_clean "removed layer $TOP" "removed layer $BOTTOM" "removed image $TWO (docker.io/library/two:latest)" \
  "removed image $BB (docker.io/library/busybox:latest)"

echo "--- a wrong lower"
echo -n "l/AAAAAAAAAAAAAAAAAAAAAAAAAA" >"$R/overlay2/${TOP#sha256:}/lower"
expect_fault "layer $TOP: lower is \"l/AAAAAAAAAAAAAAAAAAAAAAAAAA\", expected \"l/$BOTTOM_LINK\""
repair_then_clean "removed layer $TOP" "removed image $TWO (docker.io/library/two:latest)"

echo "--- a layer record"
rm -rf "$R/layers/${TOP#sha256:}"
expect_fault "image $TWO: layer $TOP missing" \
  "overlay2/${TOP#sha256:}: directory without a layer record" \
  "overlay2/l/$TOP_LINK: link to ../${TOP#sha256:}/diff, which has no layer record"
repair_then_clean "removed image $TWO (docker.io/library/two:latest)" "removed overlay2/${TOP#sha256:}" \
  "removed overlay2/l/$TOP_LINK"

echo "--- a layer record being made (a writer killed between mkdir and rename): no fault in its grace time"
mkdir "$R/layers/.new-.tmp-killedwriter"
check_is_clean "with a young .new-.tmp- record dir"
touch -d '-700 seconds' "$R/layers/.new-.tmp-killedwriter"
expect_fault "layers/.new-.tmp-killedwriter: not a layer record"
repair_then_clean

echo "--- an orphan overlay2 dir, a dangling l/ link, a tag of a missing image"
mkdir -p "$R/overlay2/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef/diff"
ln -s ../gone/diff "$R/overlay2/l/ZZZZZZZZZZZZZZZZZZZZZZZZZZ"
missing=sha256:$(echo missing | sha256sum | cut -d' ' -f1)
python3 - "$R/images/refs.json" "$missing" <<'EOF'
import json, sys
p, d = sys.argv[1], sys.argv[2]
j = json.load(open(p)); j["tags"]["docker.io/library/ghost:1"] = d; json.dump(j, open(p, "w"))
EOF
expect_fault "overlay2/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef: directory without a layer record" \
  "overlay2/l/ZZZZZZZZZZZZZZZZZZZZZZZZZZ: link to \"../gone/diff\", not to a layer's diff/" \
  "refs.json: tag docker.io/library/ghost:1 points at missing image $missing"
repair_then_clean "removed overlay2/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
  "removed overlay2/l/ZZZZZZZZZZZZZZZZZZZZZZZZZZ" "removed refs.json entry docker.io/library/ghost:1"

echo "--- a broken layer that a container uses is kept, and so is its image"
mini create --network none --name user two true >/dev/null
echo -n "l/AAAAAAAAAAAAAAAAAAAAAAAAAA" >"$R/overlay2/${TOP#sha256:}/lower"
rc=0
out=$(mini system check --repair) || rc=$?
echo "$out"
expect_eq "$rc" 1 "exit status of a repair that leaves something"
for line in "kept layer $TOP: in use, not removed" "kept image $TWO: a layer it uses is in use, not removed" \
  "removed 0 images, 0 layers, 0 blobs, 0 garbage entries; 2 left"; do
  grep -Fx -- "$line" <<<"$out" >/dev/null || fail "repair did not print [$line]"
done
[ -d "$R/overlay2/${TOP#sha256:}/diff" ] || fail "a layer in use was removed"
mini rm user >/dev/null
repair_then_clean "removed layer $TOP" "removed image $TWO (docker.io/library/two:latest)"

echo "--- a stopped container's layers are not garbage"
mini run --network none --name keeper two sh -c 'echo kept >/kept'
check_is_clean "with a container"
mini system check --repair >/dev/null
mini start -a keeper >/dev/null || fail "container broken by repair"
# prune's collection of overlay2 dirs without a record, too (image prune: system prune removes
# stopped containers, as Docker's does)
mini image prune -f >/dev/null
mini start -a keeper >/dev/null || fail "container broken by prune"
mini rm keeper >/dev/null

mini run --rm --network none busybox true || fail "busybox does not run"
echo "PASS"
