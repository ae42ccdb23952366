#!/usr/bin/env bash
# The main job: make a base image from the host's busybox-static (no internet needed), import
# it into mini's store, list it, build the example Minifile on it and run both images.
set -euo pipefail
cd "$(dirname "$0")/.."
MINI=${MINI:-$PWD/build/mini}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/root" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in $("$work/rootfs/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$work/rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$work/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$work/rootfs/etc/group"
chmod 1777 "$work/rootfs/tmp"
echo "+ tar -C rootfs -c . | mini import - busybox:latest"
tar -C "$work/rootfs" -c . | "$MINI" import - busybox:latest
echo "+ mini images"
"$MINI" images
echo "+ mini history busybox"
"$MINI" history busybox
has_command() { "$MINI" --help | grep -E "^  $1 " >/dev/null; }
if has_command build; then
  echo "+ mini build -t hello Minifile-examples/hello"
  "$MINI" build -t hello Minifile-examples/hello
  echo "+ mini run --rm hello"
  "$MINI" run --rm hello
fi
if has_command run; then
  echo "+ mini run --rm busybox sh -c 'echo hello from \$(hostname) in a mini container; id'"
  "$MINI" run --rm busybox sh -c 'echo hello from $(hostname) in a mini container; id'
fi
