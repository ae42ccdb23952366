#!/bin/bash
# mini save / mini load round trips between two private stores, in both archive formats, and
# (when skopeo is installed) what skopeo makes of the archives mini writes.
# Env: MINI=<binary>, SRC_DIR=<repo>. Exit 0 pass, 77 skip, anything else fail.
set -euo pipefail

MINI=${MINI:?set MINI to the mini binary}
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] || { echo "skip: no busybox on the host"; exit 77; }

source "$(dirname "$0")/on_exit.bash"
W=$(mktemp -d /tmp/mini-save-load.XXXXXX)
on_exit rm -rf "$W"
R=$W/root1 R2=$W/root2 R3=$W/root3 R4=$W/root4
mini() { "$MINI" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
id_of() { mini --root "$1" inspect -f '{{.Id}}' "$2" 2>/dev/null || mini --root "$1" inspect "$2" | sed -n 's/^ *"Id": "\(sha256:[0-9a-f]*\)".*/\1/p' | head -n1; }
manifest_of() { mini --root "$1" inspect "$2" | tr -d ' \n' | sed -n 's/.*"Descriptor":{[^}]*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p'; }

# A busybox rootfs from the host's static busybox.
mkdir -p "$W/r/bin"
cp "$BUSYBOX" "$W/r/bin/busybox"
for a in sh ls cat echo true; do ln -s busybox "$W/r/bin/$a"; done
tar -C "$W/r" -c . | mini --root "$R" import - busybox:latest >/dev/null
ID=$(id_of "$R" busybox:latest)
[[ $ID == sha256:* ]] || fail "no id after import: '$ID'"

echo "== docker-archive round trip"
mini --root "$R" save -o "$W/a.tar" busybox
tar -tf "$W/a.tar" | grep -x manifest.json >/dev/null || fail "a.tar has no manifest.json"
out=$(mini --root "$R2" load -i "$W/a.tar")
[ "$out" = "Loaded image: busybox:latest" ] || fail "load printed '$out'"
[ "$(id_of "$R2" busybox:latest)" = "$ID" ] || fail "docker-archive changed the image id"
[ -z "$(ls -A "$R2/tmp")" ] || fail "staging left in $R2/tmp"

echo "== oci-archive round trip"
mini --root "$R" save --format oci-archive -o "$W/o.tar" busybox:latest
tar -tf "$W/o.tar" | grep -x index.json >/dev/null || fail "o.tar has no index.json"
out=$(mini --root "$R3" load -i "$W/o.tar")
[ "$out" = "Loaded image: busybox:latest" ] || fail "load printed '$out'"
[ "$(id_of "$R3" busybox:latest)" = "$ID" ] || fail "oci-archive changed the image id"
M1=$(manifest_of "$R" busybox:latest)
M3=$(manifest_of "$R3" busybox:latest)
[ -n "$M1" ] && [ "$M1" = "$M3" ] || fail "oci-archive changed the manifest digest ($M1 -> $M3)"

echo "== load from stdin"
out=$(mini --root "$R4" load < "$W/a.tar")
[ "$out" = "Loaded image: busybox:latest" ] || fail "load < a.tar printed '$out'"
[ "$(id_of "$R4" busybox:latest)" = "$ID" ] || fail "stdin load changed the image id"
out=$(mini --root "$R4" load -i - < "$W/o.tar")
[ "$out" = "Loaded image: busybox:latest" ] || fail "load -i - printed '$out'"

echo "== a broken archive is refused and leaves nothing"
head -c 100000 "$W/a.tar" > "$W/broken.tar"
if mini --root "$W/root5" load -i "$W/broken.tar" 2>"$W/err"; then fail "truncated archive loaded"; fi
grep -q '^mini: error: load' "$W/err" || fail "unexpected error: $(cat "$W/err")"
if mini --root "$W/root5" inspect busybox:latest >/dev/null 2>&1; then fail "truncated archive left a tag"; fi
[ -z "$(ls -A "$W/root5/tmp" 2>/dev/null)" ] || fail "staging left after a failed load"

if command -v skopeo >/dev/null; then
  echo "== skopeo reads both archives"
  DIFF_ID=$(tar -xOf "$W/a.tar" manifest.json | sed -n 's/.*"Layers":\["\([0-9a-f]*\)\/layer.tar".*/\1/p')
  skopeo inspect "docker-archive:$W/a.tar" > "$W/sd.json" || fail "skopeo cannot read the docker-archive"
  grep -q '"Architecture"' "$W/sd.json" || fail "skopeo docker-archive output: $(cat "$W/sd.json")"
  # Single layer: its chain id (the layer directory name) is its diff id.
  [ -n "$DIFF_ID" ] && grep -q "sha256:$DIFF_ID" "$W/sd.json" || fail "skopeo shows other layers: $(cat "$W/sd.json")"
  skopeo inspect --config "docker-archive:$W/a.tar" | grep "sha256:$DIFF_ID" >/dev/null || fail "skopeo config lacks the diff id"
  skopeo inspect "oci-archive:$W/o.tar" > "$W/so.json" || fail "skopeo cannot read the oci-archive"
  grep -q "\"Digest\": \"$M1\"" "$W/so.json" || fail "skopeo oci-archive digest differs from $M1: $(cat "$W/so.json")"
  skopeo inspect "oci-archive:$W/o.tar:latest" >/dev/null || fail "skopeo cannot find ref.name latest"
  # And back: an archive skopeo writes from mini's OCI archive loads into mini.
  skopeo copy -q "oci-archive:$W/o.tar" "docker-archive:$W/s.tar:busybox:copied" >/dev/null 2>&1 ||
    fail "skopeo copy to docker-archive failed"
  out=$(mini --root "$W/root6" load -i "$W/s.tar")
  [ "$out" = "Loaded image: busybox:copied" ] || fail "load of skopeo's archive printed '$out'"
  [ "$(id_of "$W/root6" busybox:copied)" = "$ID" ] || fail "skopeo round trip changed the id"
else
  echo "skopeo not installed: skipping the skopeo checks"
fi
# -o onto a device or a FIFO writes into it, as docker save does; it never replaces it.
mini --root "$R" save -o /dev/null busybox || fail "save -o /dev/null"
[ -c /dev/null ] || { rm -f /dev/null; mknod -m 666 /dev/null c 1 3; fail "save -o /dev/null replaced the device"; }
mkfifo "$W/fifo"
cat "$W/fifo" >"$W/from-fifo.tar" &
mini --root "$R" save -o "$W/fifo" busybox || fail "save -o FIFO"
wait
[ -p "$W/fifo" ] || fail "save -o replaced the FIFO"
tar -tf "$W/from-fifo.tar" manifest.json >/dev/null || fail "the archive through the FIFO"
echo PASS
