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
  chown 0:0 "$H/src/a"; mini cp "$H/src/a" $c:/tmp/rootfile; chown 1000:1000 "$H/src/a"
  # Out again: what arrived, with owners (root without -a, kept with -a), modes, mtimes, links.
  o=$T/out_$state; mkdir "$o"
  mini cp $c:/tmp/. "$o/tmp"
  mini cp $c:/vol "$o/"
  expect_eq "$(stat -c '%a %u:%g %Y' "$o/tmp/a")" "640 0:0 $(stat -c %Y "$H/src/a")" "$state: mode, owner (the caller's), mtime"
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
mini cp -a cp_running:/tmp/rootfile "$T/rootfile"
expect_eq "$(stat -c '%u:%g' "$T/rootfile")" "0:0"
# The running container sees what cp wrote; the stopped one's writes are in its upper dir.
expect_eq "$(mini exec cp_running cat /tmp/renamed)" hello
# Docker 20.10 keeps the source's owners (without -a too); -a gives them to the container's user.
expect_eq "$(mini exec cp_running stat -c '%u:%g %a' /tmp/a /tmp/kept | tr '\n' ' ')" "1000:1000 640 1000:1000 640 " "owners in the container"
mini create --name cp_user --user nobody busybox true >/dev/null
mini cp -a "$H/src/a" cp_user:/tmp/a
mini cp "$H/src/a" cp_user:/tmp/b
mini cp -a cp_user:/tmp/. "$T/user_out"
expect_eq "$(stat -c '%u:%g' "$T/user_out/a" "$T/user_out/b" | tr '\n' ' ')" "65534:65534 1000:1000 " "-a: the container's user"
# File capabilities (security.capability, the one xattr Docker's archive keeps) go both ways.
cp "$H/src/a" "$T/capped" && setcap cap_net_raw+ep "$T/capped"
mini cp "$T/capped" cp_stopped:/tmp/capped
mini cp cp_stopped:/tmp/capped "$T/capped_back"
expect_eq "$(getcap "$T/capped_back" | awk '{print $2}')" "cap_net_raw=ep" "cp keeps file capabilities"
sid=$(mini inspect -f '{{.Id}}' cp_stopped)
expect_eq "$(getcap "$R/overlay2/$sid/diff/tmp/capped" | awk '{print $2}')" "cap_net_raw=ep" "file capabilities in the upper dir"
[ -f "$R/overlay2/$sid/diff/tmp/renamed" ] || fail "stopped container: not in its upper dir"
grep -F "$R/overlay2/$sid/merged" /proc/self/mountinfo >/dev/null && fail "overlay left mounted on the host"

# "-": tar streams both ways.
expect_eq "$(mini cp cp_running:/tmp/tree - | tar t | sort | head -3 | tr '\n' ' ')" "tree/ tree/a tree/link "
tar -C "$H/src" -c a sub | mini cp - cp_running:/root
expect_eq "$(mini exec cp_running cat /root/sub/d)" deep
rc=0; err=$(tar -C "$H/src" -c a | mini cp - cp_running:/root/sub/d 2>&1) || rc=$?
expect_eq "$rc:$err" "1:mini: error: destination \"cp_running:/root/sub/d\" must be a directory"

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
check() { local want=$1; shift; local rc=0 err; err=$(mini "$@" 2>&1) || rc=$?; expect_eq "$rc:$err" "1:mini: error: $want" "cp $*"; }
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

# Against Docker, where it is installed: the same copies give the same trees and the same errors.
if command -v dockerd >/dev/null && command -v docker >/dev/null; then
  source "$SRC_DIR/tests/integration/dockerd.bash"
  start_private_dockerd "$T/dk" "$T/dk.sock" >/dev/null || fail "private dockerd did not start"
  tar -C "$T/bb" -c . | docker import - bb >/dev/null
  docker create --name cmp bb sleep 100 >/dev/null
  mini create --name cmp busybox sleep 100 >/dev/null
  on_exit "docker rm -f cmp >/dev/null 2>&1 || true"
  for tool in docker mini; do
    if [ $tool = docker ]; then t() { docker "$@"; }; else t() { mini "$@"; }; fi
    t cp "$H/src" cmp:/tmp/tree; t cp "$H/src/." cmp:/tmp/tree; t cp "$H/src/a" cmp:/tmp/tree/sub/
    t cp cmp:/tmp/tree - | tar tv --numeric-owner | awk '{print $1, $2, $3, $6, $7, $8}' | sort -k4 >"$T/tree.$tool"
    : >"$T/err.$tool"
    for args in "cmp:/nonexist $T/x" "$H/src/a cmp:/nonexist/" "$H/src/a cmp:/nonexist/x" "$H/src cmp:/tmp/tree/a" \
                "$H/nope cmp:/tmp" "cmp:/tmp/tree/a $T/nodir/x" "cmp:/tmp/tree/a $T/newdir/" "cmp:/tmp/tree $H/src/a" \
                "nope:/a $T/b" "cmp:/a cmp:/b"; do
      t cp $args 2>&1 | grep -v '^time=' | sed -e 's/^mini: error: //' -e 's/^Error response from daemon: //' -e 's/^Error: //' >>"$T/err.$tool" || true
    done
  done
  diff "$T/tree.docker" "$T/tree.mini" >&2 || fail "cp trees differ from docker's"
  diff "$T/err.docker" "$T/err.mini" >&2 || fail "cp messages differ from docker's"
fi
echo "cli_cp: OK"
