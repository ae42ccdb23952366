#!/bin/bash
# Hostile images (made here with `mini import`): a /proc that is a symlink to "/" is refused
# and leaves no mount on the host; volume and bind targets that are symlinks to /etc land
# inside the rootfs (Docker resolves such targets inside the container root too) and never on
# the host's /etc; a container sees no fd of mini's (`ls /proc/self/fd` is 0 1 2 and ls's own
# directory fd 3, as in Docker), attached, with -t, with -d and with --userns.
# Docker 20.10 (checked by hand on the same images) does all of this the same way: the init
# layer's /proc is a directory, `-v vol:/data` and `-v DIR:/data` with /data -> /etc mount on
# the container's /etc, and `ls /proc/self/fd` prints 0 1 2 3 (with -t: "0  1  2  3").
# (run_mounts.sh covers symlinked targets pointing at other host paths and --tmpfs.)
source "$SRC_DIR/tests/integration/lib.sh"
# --userns runs use mini entries in private copies, not the host's /etc/subuid.
export MINI_SUBUID=$T/subuid MINI_SUBGID=$T/subgid
import_busybox

host_state() {
  # Mount points with their options and types (ids and peer groups vary; other tests' mounts
  # under /tmp, /run and /work come and go), and what / holds.
  awk '$5 !~ "^/(tmp|run|work|var/lib/docker)/" {print $5, $6, $9}' /proc/self/mountinfo | sort
  ls -A /
}

# 1. /proc -> / (and /sys -> /). Like Docker, mini's init layer (the top lower layer) holds
# real proc/ sys/ dev/ directories, so the image's symlinks are shadowed ("repaired"): proc
# and sysfs are mounted on those, inside the rootfs (a symlink that still showed through
# would be refused by the mount code: "image's /proc is not a directory"). Nothing may be
# mounted on the host, and the host's / must stay as it was.
make_busybox_rootfs "$T/procroot"
ln -s / "$T/procroot/proc"
ln -s / "$T/procroot/sys"
tar -C "$T/procroot" -c . | mini import - procroot >/dev/null
host_state >"$T/before"
for ns in "" "--userns=auto"; do
  out=$(mini run --rm $ns procroot sh -c 'test -d /proc/self/fd -a ! -L /proc -a ! -L /sys && awk '"'"'$2 == "/proc" || $2 == "/sys" {print $2, $3}'"'"' /proc/mounts | sort -u; ls /sys/kernel >/dev/null; ls /' 2>&1) ||
    fail "procroot ($ns): $out"
  expect_eq "$(echo "$out" | head -2 | tr '\n' ' ')" "/proc proc /sys sysfs " "procroot ($ns) mounts"
  echo "$out" | grep -x work >/dev/null && fail "procroot ($ns) sees the host's /"
done
host_state >"$T/after"
diff "$T/before" "$T/after" || fail "the host's mounts or / changed"
[ ! -e /self ] && [ ! -e /cpuinfo ] && [ ! -e /kernel ] || fail "proc or sysfs mounted on the host's /"

# 2. Volume and bind targets that are symlinks to /etc (absolute and relative).
make_busybox_rootfs "$T/etclink"
ln -s /etc "$T/etclink/data"
ln -s ../../../../../../etc "$T/etclink/rel"
tar -C "$T/etclink" -c . | mini import - etclink >/dev/null
printf 'FROM etclink\nVOLUME /data\n' >"$T/Minifile"
mini build -q -f "$T/Minifile" -t etcvolume "$T" >/dev/null
mkdir -p "$T/h" && echo bound >"$T/h/marker"
mounts_etc() { grep -c ' /etc[ /]' /proc/self/mountinfo || true; }
m_before=$(mounts_etc)
# A named volume on the link: it lands on the container's /etc (seeded from the image's /etc).
expect_eq "$(mini run --rm -v vol:/data etclink sh -c 'echo v >/data/from-volume; cat /etc/from-volume; grep -c root /etc/passwd')" "v
1"
[ -f "$R/volumes/vol/_data/from-volume" ] || fail "the volume did not receive the write"
[ -f "$R/volumes/vol/_data/passwd" ] || fail "the volume was not seeded from the container's /etc"
[ ! -e /etc/from-volume ] || fail "write through a volume reached the host's /etc"
# Binds on absolute and relative links: the container's /etc, never the host's.
expect_eq "$(mini run --rm -v "$T/h:/data" etclink cat /etc/marker)" bound
expect_eq "$(mini run --rm -v "$T/h:/rel" etclink cat /etc/marker)" bound
expect_eq "$(mini run --rm --userns=auto -v "$T/h:/data" etclink cat /etc/marker)" bound
# VOLUME in the image config (mini does not create anonymous volumes; the run must not touch /etc).
mini run --rm etcvolume sh -c 'echo x >/data/from-config' || fail "VOLUME image"
[ ! -e /etc/from-config ] && [ ! -e /etc/marker ] || fail "a mount reached the host's /etc"
expect_eq "$(mounts_etc)" "$m_before" "a mount appeared on the host's /etc"

# 3. No fd of mini's in the container: 0 1 2, and 3 is ls's own opendir (Docker shows the same).
expect_eq "$(mini run --rm busybox ls /proc/self/fd | tr '\n' ' ')" "0 1 2 3 "
expect_eq "$(mini run --rm -t busybox ls /proc/self/fd </dev/null | tr -d '\r' | tr -s ' \n' ' ')" "0 1 2 3 "
expect_eq "$(mini run --rm -i busybox ls /proc/self/fd </dev/null | tr '\n' ' ')" "0 1 2 3 "
expect_eq "$(mini run --rm --userns=auto -v "$T/h:/h" -v vol2:/v busybox ls /proc/self/fd | tr '\n' ' ')" "0 1 2 3 "
expect_eq "$(mini run --rm --userns=auto -t busybox ls /proc/self/fd </dev/null | tr -d '\r' | tr -s ' \n' ' ')" "0 1 2 3 "
id=$(mini run -d busybox ls /proc/self/fd)
mini wait "$id" >/dev/null
expect_eq "$(mini logs "$id" | tr '\n' ' ')" "0 1 2 3 "
id=$(mini run -d -t busybox ls /proc/self/fd)
mini wait "$id" >/dev/null
expect_eq "$(mini logs "$id" | tr -d '\r' | tr -s ' \n' ' ')" "0 1 2 3 "
# An exec'd process and a long-running init see nothing more either.
id=$(mini run -d busybox sleep 60)
expect_eq "$(mini exec "$id" ls /proc/self/fd | tr '\n' ' ')" "0 1 2 3 "
expect_eq "$(mini exec "$id" ls /proc/1/fd | tr '\n' ' ')" "0 1 2 "
mini rm -f "$id" >/dev/null
grep " $R/" /proc/self/mountinfo >/dev/null && fail "mounts left under the root"
echo PASS
