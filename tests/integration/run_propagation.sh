#!/bin/bash
# Bind propagation as Docker has it: rprivate by default; rslave binds see the host's later
# mounts; rshared binds give the host the container's mounts, and nothing else of the container
# (its overlay, /proc, /dev) reaches the host; a source on the wrong kind of mount is refused
# with Docker's message, leaving nothing behind.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox
S=$T/shared P=$T/private
mkdir -p "$S" "$P"
mount -t tmpfs mini-prop-shared "$S"
on_exit "umount -R '$S' 2>/dev/null || true"
mount --make-shared "$S"
mount -t tmpfs mini-prop-private "$P"
on_exit "umount -R '$P' 2>/dev/null || true"
mount --make-private "$P"
on_exit remove_all_containers
mkdir -p "$S/sub"

echo "== rslave: a host mount made after the start reaches the container"
mini run -d --name sl --mount "type=bind,src=$S,dst=/s,bind-propagation=rslave" busybox sleep 60 >/dev/null
mini run -d --name pr -v "$S:/s" busybox sleep 60 >/dev/null
expect_eq "$(mini inspect -f '{{range .Mounts}}{{.Propagation}}{{end}}' sl)" rslave "inspect of sl"
expect_eq "$(mini inspect -f '{{range .Mounts}}{{.Propagation}}{{end}}' pr)" rprivate "inspect of pr"
mount -t tmpfs mini-prop-late "$S/sub"
echo late >"$S/sub/f"
expect_eq "$(mini exec sl cat /s/sub/f)" late "the rslave bind sees the host's new mount"
mini exec pr cat /s/sub/f 2>/dev/null && fail "an rprivate bind saw the host's new mount"
umount "$S/sub"
mini exec sl test -e /s/sub/f && fail "the host's unmount did not reach the rslave bind"
mini rm -f sl pr >/dev/null

echo "== rshared: the container's mount reaches the host, its own mounts do not"
# A second store on a shared mount, as on a systemd host (every mount shared): were the mount
# holding the rootfs left shared, the container's overlay, /proc and /dev would reach the host.
R2=$T/store2
mkdir -p "$R2"
mount -t tmpfs mini-prop-store "$R2"
on_exit "umount -R '$R2' 2>/dev/null || true"
mount --make-shared "$R2"
mini2() { "$MINI" --root "$R2" "$@"; }
tar -C "$T/bb" -c . | mini2 import - busybox >/dev/null
on_exit "'$MINI' --root '$R2' rm -f sh >/dev/null 2>&1 || true"
before=$(wc -l </proc/self/mountinfo)
mini2 run -d --privileged --name sh -v "$S:/s:rshared" busybox sleep 60 >/dev/null
expect_eq "$(wc -l </proc/self/mountinfo)" "$before" "the host's mount table after the start"
mini2 exec sh sh -c 'mount -t tmpfs mini-prop-inner /s/sub && echo inner >/s/sub/f'
expect_eq "$(cat "$S/sub/f" 2>&1)" inner "the host sees the container's mount"
mini2 exec sh umount /s/sub
[ -e "$S/sub/f" ] && fail "the container's unmount did not reach the host"
mini2 rm -f sh >/dev/null
expect_eq "$(wc -l </proc/self/mountinfo)" "$before" "the host's mount table after rm"

echo "== refused: the source's mount has the wrong propagation, a bad mode, a named volume"
rc=0; out=$(mini run --rm -v "$P:/p:rshared" busybox true 2>&1) || rc=$?
expect_eq "$rc" 125 "exit code of rshared on a private mount"
[[ $out == *"path $P is mounted on $P but it is not a shared mount"* ]] || fail "message: $out"
rc=0; out=$(mini run --rm --mount "type=bind,src=$P,dst=/p,bind-propagation=rslave" busybox true 2>&1) || rc=$?
expect_eq "$rc" 125 "exit code of rslave on a private mount"
[[ $out == *"is not a shared or slave mount"* ]] || fail "message: $out"
expect_eq "$(mini ps -a -q)" "" "containers left by the refused runs"
rc=0; out=$(mini run --rm --mount "type=bind,src=$S,dst=/s,bind-propagation=bogus" busybox true 2>&1) || rc=$?
expect_eq "$rc" 125 "exit code of a bad propagation"
[[ $out == *"invalid propagation mode: bogus"* ]] || fail "message: $out"
rc=0; out=$(mini run --rm -v vol:/v:rshared busybox true 2>&1) || rc=$?
[[ $rc -ne 0 && $out == *"propagation mode is only for bind mounts"* ]] || fail "named volume with rshared: rc=$rc $out"
expect_eq "$(mini volume ls -q)" "" "volumes left by the refused run"
echo PASS
