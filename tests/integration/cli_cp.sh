#!/bin/bash
# mini cp both ways (created, running and stopped containers): Docker's rules for files,
# directories, SRC/., missing DEST, tar streams on "-", owners, modes, mtimes, symlinks kept
# (-L follows), volumes seen as the container sees them, Docker's messages, and symlinks
# inside the container pointing to / or ../../ that never let a copy out of its root.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox
on_exit remove_all_containers

H=$T/host; mkdir -p "$H/src/sub"
echo hello >"$H/src/a"; chmod 640 "$H/src/a"; chown 1000:1000 "$H/src/a"
touch -d '2020-02-03 04:05:06' "$H/src/a"
ln -s a "$H/src/link"; echo deep >"$H/src/sub/d"
ln "$H/src/sub/d" "$H/src/sub/hard"
mini volume create vol >/dev/null

for state in created running stopped; do
  c=cp_$state
  mini create --name $c -v vol:/vol busybox sleep 100 >/dev/null
  [ $state = created ] || mini start $c >/dev/null
  [ $state = stopped ] && mini stop -t 0 $c >/dev/null
  # Into the container: a file into a directory, a file under a new name, a directory.
  mini cp "$H/src/a" $c:/tmp/
  mini cp "$H/src/a" $c:/tmp/renamed
  mini cp "$H/src" $c:/tmp/tree          # missing DEST: the directory takes its name
  mini cp "$H/src" $c:/tmp/tree          # existing DEST: copied into it
  mini cp "$H/src/." $c:/vol/            # SRC/.: the contents, into a volume
  mini cp -a "$H/src/a" $c:/tmp/kept
  # Out again: what arrived, with owners (root without -a, kept with -a), modes, mtimes, links.
  o=$T/out_$state; mkdir "$o"
  mini cp $c:/tmp/. "$o/tmp"
  mini cp $c:/vol "$o/"
  expect_eq "$(stat -c '%a %u:%g %Y' "$o/tmp/a")" "640 0:0 $(stat -c %Y "$H/src/a")" "$state: mode, owner, mtime"
  expect_eq "$(cat "$o/tmp/renamed")" hello "$state"
  expect_eq "$(readlink "$o/tmp/tree/link")" a "$state: symlink kept"
  expect_eq "$(cat "$o/tmp/tree/src/sub/d")" deep "$state: into the existing dir"
  expect_eq "$(stat -c %i "$o/tmp/tree/sub/d")" "$(stat -c %i "$o/tmp/tree/sub/hard")" "$state: hard link kept"
  expect_eq "$(ls "$o/vol" | tr '\n' ' ')" "a link sub " "$state: SRC/. into the volume"
  mini cp -a $c:/tmp/kept "$o/kept"
  expect_eq "$(stat -c '%u:%g' "$o/kept")" "1000:1000" "$state: -a keeps uid/gid"
  # The volume as the container sees it.
  [ -f "$R/volumes/vol/_data/a" ] || fail "$state: the copy did not reach the volume"
  rm -rf "$R/volumes/vol/_data/"*
done
# The running container sees what cp wrote; the stopped one's writes are in its upper dir.
expect_eq "$(mini exec cp_running cat /tmp/renamed)" hello
expect_eq "$(mini exec cp_running stat -c '%u:%g %a' /tmp/a /tmp/kept | tr '\n' ' ')" "0:0 640 1000:1000 640 " "owners in the container"
sid=$(mini inspect -f '{{.Id}}' cp_stopped)
[ -f "$R/overlay2/$sid/diff/tmp/renamed" ] || fail "stopped container: not in its upper dir"
grep -F "$R/overlay2/$sid/merged" /proc/self/mountinfo >/dev/null && fail "overlay left mounted on the host"

# "-": tar streams both ways.
expect_eq "$(mini cp cp_running:/tmp/tree - | tar t | sort | head -3 | tr '\n' ' ')" "tree/ tree/a tree/link "
tar -C "$H/src" -c a sub | mini cp - cp_running:/root
expect_eq "$(mini exec cp_running cat /root/sub/d)" deep
rc=0; err=$(tar -C "$H/src" -c a | mini cp - cp_running:/root/sub/d 2>&1) || rc=$?
expect_eq "$rc:$err" "125:mini: error: destination \"cp_running:/root/sub/d\" must be a directory"

# Symlinks in the container to / and ../../ : copies to and from them stay in its root.
mini exec cp_running sh -c 'ln -s / /tmp/up; ln -s ../../../../../ /tmp/up2; echo inside >/marker; mkdir /tmp/d; ln -s ../../../../etc /tmp/d/etc'
for s in up up2; do
  mini cp "$H/src/a" cp_running:/tmp/$s/escaped_$s
  [ -e /escaped_$s ] && { rm -f /escaped_$s; fail "cp through /tmp/$s wrote on the host"; }
  mini exec cp_running test -f /escaped_$s || fail "cp through /tmp/$s: not in the container's root"
  expect_eq "$(mini cp -L cp_running:/tmp/$s/marker - | tar xO)" inside "cp -L out of /tmp/$s"
done
mini cp cp_running:/tmp/d/etc/passwd "$o/passwd"
cmp -s "$o/passwd" /etc/passwd && fail "read the host's /etc/passwd through a symlink"
grep '^user:x:1000' "$o/passwd" >/dev/null || fail "not the container's passwd"
# A symlink SRC is copied as a link, -L copies what it points to (named as the link).
mini cp cp_running:/tmp/up2 "$o/up2link"
expect_eq "$(readlink "$o/up2link")" ../../../../../
mini cp -L cp_running:/tmp/d/etc "$o/etcdir"
[ -f "$o/etcdir/passwd" ] && grep '^user:' "$o/etcdir/passwd" >/dev/null || fail "-L: not the container's /etc"

# Docker's messages.
check() { local want=$1; shift; local rc=0 err; err=$(mini "$@" 2>&1) || rc=$?; expect_eq "$rc:$err" "125:mini: error: $want" "cp $*"; }
check "Could not find the file /nonexist in container cp_running" cp cp_running:/nonexist "$o/x"
check "no such directory" cp "$H/src/a" cp_running:/nonexist/
check "Could not find the file /nonexist in container cp_running" cp "$H/src/a" cp_running:/nonexist/x
check "cannot copy directory" cp "$H/src" cp_running:/tmp/renamed
check "lstat $H/nope: no such file or directory" cp "$H/nope" cp_running:/tmp
check "invalid output path: directory \"$T/nodir\" does not exist" cp cp_running:/tmp/renamed "$T/nodir/x"
check "lstat /tmp/renamed/: not a directory" cp cp_running:/tmp/renamed/ "$T/y"
check "no such directory" cp cp_running:/tmp/renamed "$T/newdir/"
check "cannot copy directory" cp cp_running:/tmp/tree "$H/src/a"
check "copying between containers is not supported" cp cp_running:/a cp_stopped:/b
check "must specify at least one container source" cp "$H/a" "$H/b"
check "No such container: nope" cp nope:/a "$H/b"
echo "cli_cp: OK"
