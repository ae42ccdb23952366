#!/bin/bash
# Archives between mini and Docker: `docker save` -> `mini load`, and `mini save` -> `docker load`,
# keeping image ids. Uses a running daemon, or starts a private dockerd (never pulls: no network).
# Env: MINI=<binary>, SRC_DIR=<repo>. Exit 0 pass, 77 skip, anything else fail.
set -euo pipefail

MINI=${MINI:?set MINI to the mini binary}
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v docker >/dev/null || { echo "skip: no docker CLI"; exit 77; }
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] || { echo "skip: no busybox on the host"; exit 77; }

source "$(dirname "$0")/on_exit.bash"
source "$(dirname "$0")/dockerd.bash"
W=$(mktemp -d /tmp/mini-docker-interop.XXXXXX)
# Runs last: after stop_private_dockerd, which start_private_dockerd registers.
remove_workdir() {
  # dockerd leaves its data root mounted on some kernels; unmount before removing.
  grep -o " $W/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$W"
}
on_exit remove_workdir
fail() {
  echo "FAIL: $*" >&2
  [ -f "$W/dockerd.log" ] && tail -n 20 "$W/dockerd.log" >&2
  exit 1
}
mini() { "$MINI" --root "$W/root" "$@"; }
mini_id() { mini inspect "$1" | sed -n 's/^ *"Id": "\(sha256:[0-9a-f]*\)".*/\1/p' | head -n1; }

if ! docker version >/dev/null 2>&1; then
  command -v dockerd >/dev/null || { echo "skip: no docker daemon and no dockerd"; exit 77; }
  start_private_dockerd "$W" /run/mini-test-docker.sock || { echo "skip: dockerd did not come up"; exit 77; }
fi
echo "docker $(docker version -f '{{.Server.Version}}')"
on_exit 'docker rmi -f dtest:1 dtest:2 mtest:1 >/dev/null 2>&1 || true'

# A busybox rootfs from the host's static busybox.
mkdir -p "$W/r/bin"
cp "$BUSYBOX" "$W/r/bin/busybox"
for a in sh ls cat echo true; do ln -s busybox "$W/r/bin/$a"; done
tar -C "$W/r" -c . > "$W/rootfs.tar"

echo "== docker save -> mini load"
docker import "$W/rootfs.tar" dtest:1 >/dev/null
DID=$(docker inspect -f '{{.Id}}' dtest:1)
docker save dtest:1 -o "$W/d.tar"
out=$(mini load -i "$W/d.tar") || fail "mini load of docker's archive failed"
[ "$out" = "Loaded image: dtest:1" ] || fail "mini load printed '$out'"
[ "$(mini_id dtest:1)" = "$DID" ] || fail "mini sees $(mini_id dtest:1), docker $DID"

echo "== mini save -> docker load"
mini import - mtest:1 < "$W/rootfs.tar" >/dev/null
MID=$(mini_id mtest:1)
mini save -o "$W/m.tar" mtest:1
docker load -i "$W/m.tar" > "$W/load.out" || fail "docker load of mini's archive failed"
grep -q "Loaded image: mtest:1" "$W/load.out" || fail "docker load printed $(cat "$W/load.out")"
[ "$(docker inspect -f '{{.Id}}' mtest:1)" = "$MID" ] || fail "docker sees $(docker inspect -f '{{.Id}}' mtest:1), mini $MID"
DLAYER=$(docker inspect -f '{{range .RootFS.Layers}}{{.}}{{end}}' mtest:1)
grep -F "\"$DLAYER\"" <<<"$(mini inspect mtest:1)" >/dev/null || fail "docker's layer $DLAYER is not mini's"

echo "== docker save of a repeated layer (written as a symlink) -> mini load"
mkdir -p "$W/ctx"
echo same > "$W/ctx/f"
printf 'FROM dtest:1\nCOPY f /f\nCOPY f /f\n' > "$W/ctx/Dockerfile"
if DOCKER_BUILDKIT=0 docker build -q -t dtest:2 "$W/ctx" > "$W/build.out" 2>&1; then
  DID2=$(docker inspect -f '{{.Id}}' dtest:2)
  docker save dtest:2 -o "$W/d2.tar"
  tar -tvf "$W/d2.tar" | grep '^l' >/dev/null || echo "note: docker wrote no layer symlink"
  out=$(mini load -i "$W/d2.tar") || fail "mini load of the repeated-layer archive failed"
  [ "$(mini_id dtest:2)" = "$DID2" ] || fail "mini sees $(mini_id dtest:2), docker $DID2"
  docker rmi -f dtest:2 >/dev/null
else
  echo "note: docker build unavailable, skipping: $(tail -n 3 "$W/build.out")"
fi

echo "== mini oci-archive -> docker load (through its manifest.json)"
docker rmi -f mtest:1 >/dev/null
mini save --format oci-archive -o "$W/o.tar" mtest:1
if docker load -i "$W/o.tar" > "$W/load2.out" 2>&1; then
  [ "$(docker inspect -f '{{.Id}}' mtest:1)" = "$MID" ] || fail "docker sees another id for the oci-archive"
else
  echo "note: this docker cannot load OCI archives: $(cat "$W/load2.out")"
fi
echo PASS
