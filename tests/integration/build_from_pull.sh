#!/bin/bash
# mini build pulls what FROM, COPY --from and --build-context docker-image:// name when it is
# not in the store (BuildKit's way), with mini pull's verification; --pull pulls again even when
# present; a pull failure is one line naming the image. Against Debian's docker-registry.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"

start_registry open
import_busybox
mini tag busybox:latest "$REG/bb:1"
mini push -q "$REG/bb:1" >/dev/null
mkdir -p "$T/other" "$T/ctx"
printf 'FROM busybox\nRUN echo other >/other\n' >"$T/other/Minifile"
mini build -q --network none -t "$REG/other:1" "$T/other" >/dev/null
mini push -q "$REG/other:1" >/dev/null
mkdir -p "$T/bad"
printf 'FROM busybox\nRUN echo bad >/bad\n' >"$T/bad/Minifile"
mini build -q --network none -t "$REG/bad:1" "$T/bad" >/dev/null
mini push -q "$REG/bad:1" >/dev/null
ID=$(id_of "$REG/bb:1")
OTHER=$(id_of "$REG/other:1")
mini rmi "$REG/bb:1" "$REG/other:1" "$REG/bad:1" busybox:latest >/dev/null
store_is_empty || fail "rmi left things behind"

echo "== FROM and COPY --from of missing images pull them"
cat >"$T/ctx/Minifile" <<MF
FROM $REG/bb:1
COPY --from=$REG/other:1 /other /other
RUN cat /other >/copied
MF
mini build --progress plain --network none -t pulled "$T/ctx" 2>"$T/b1.err" >/dev/null || fail "build: $(cat "$T/b1.err")"
grep -x "#[0-9]* \[internal\] load metadata for $REG/bb:1" "$T/b1.err" >/dev/null || fail "no pull step: $(cat "$T/b1.err")"
grep -x "#[0-9]* \[internal\] load metadata for $REG/other:1" "$T/b1.err" >/dev/null || fail "no COPY --from pull: $(cat "$T/b1.err")"
grep "Pull complete" "$T/b1.err" >/dev/null || fail "no pull progress: $(cat "$T/b1.err")"
sed -n "/load metadata for $REG\/bb:1/,/DONE/p" "$T/b1.err"
expect_eq "$(id_of "$REG/bb:1")" "$ID" "the pulled base, as mini pull stores it"
expect_eq "$(id_of "$REG/other:1")" "$OTHER" "the pulled COPY --from image"
expect_eq "$(mini run --rm --network none pulled cat /copied)" other "the built image"

echo "== present: no pull; --pull: pulled again"
mini build --progress plain --network none -t pulled "$T/ctx" 2>"$T/b2.err" >/dev/null || fail "rebuild"
grep 'load metadata' "$T/b2.err" >/dev/null && fail "pulled an image that is present: $(cat "$T/b2.err")"
mini build --pull --progress plain --network none -t pulled "$T/ctx" 2>"$T/b3.err" >/dev/null || fail "--pull"
expect_eq "$(grep -c "\[internal\] load metadata for $REG/" "$T/b3.err")" 2 "--pull pulls both images"
grep "Image is up to date\|Already exists" "$T/b3.err" >/dev/null || fail "--pull output: $(cat "$T/b3.err")"

echo "== --build-context NAME=docker-image://REF pulls too"
mini rmi "$REG/bb:1" >/dev/null
printf 'FROM base\nRUN echo ok >/ok\n' >"$T/ctx/Minifile.bc"
mini build -q --network none -f "$T/ctx/Minifile.bc" --build-context "base=docker-image://$REG/bb:1" -t bc "$T/ctx" >/dev/null \
  || fail "docker-image:// context"
expect_eq "$(id_of "$REG/bb:1")" "$ID" "the context's image was pulled"

echo "== failures: one line naming the image"
printf 'FROM %s/nope:1\n' "$REG" >"$T/ctx/Minifile.nope"
err=$(mini build -q -f "$T/ctx/Minifile.nope" "$T/ctx" 2>&1) && fail "a missing image built"
expect_eq "$err" "mini: error: $T/ctx/Minifile.nope:1: FROM $REG/nope:1: failed to pull $REG/nope:1: manifest nope:1: not found: manifest unknown" "missing image"
# A layer blob the registry serves corrupted: mini pull's digest check refuses it.
LAYER=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$REG/v2/bad/manifests/1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][-1]["digest"])')
f=$(blob_file "$LAYER")
printf 'X' | dd of="$f" bs=1 seek=20 conv=notrunc 2>/dev/null
printf 'FROM %s/bad:1\n' "$REG" >"$T/ctx/Minifile.bad"
err=$(mini build -q -f "$T/ctx/Minifile.bad" "$T/ctx" 2>&1) && fail "a corrupted image built"
expect_eq "$(wc -l <<<"$err")" 1 "one line: $err"
grep "^mini: error: $T/ctx/Minifile.bad:1: FROM $REG/bad:1: failed to pull $REG/bad:1: .*$LAYER" <<<"$err" >/dev/null \
  || fail "corrupted layer: $err"
grep -i "digest\|mismatch\|diff" <<<"$err" >/dev/null || fail "not a verification error: $err"
[ -z "$(mini images -q "$REG/bad" 2>/dev/null)" ] || fail "the corrupted image was stored"
echo "corrupted layer: $err"
echo PASS
