#!/bin/bash
# mini run: process, isolation and security defaults of a real container.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox
# Containers of other users of this machine may own cgroups under mini/: compare, not count.
cgroups_now() { { find /sys/fs/cgroup/*/mini /sys/fs/cgroup/mini -mindepth 1 -type d 2>/dev/null || true; } | sort; }
cgroups_before=$(cgroups_now)

# Exit statuses like Docker's.
set +e
mini run --rm busybox true; expect_eq $? 0 "true"
mini run --rm busybox sh -c 'exit 3'; expect_eq $? 3 "exit 3"
mini run --rm busybox nosuchcmd 2>"$T/err"; expect_eq $? 127 "not found"
grep -q 'executable file not found' "$T/err" || fail "no not-found message"
mini run --rm busybox /etc 2>/dev/null; expect_eq $? 126 "not executable"
mini run --rm busybox sh -c 'sleep 30 & kill -KILL $!; wait $!; exit $?'; expect_eq $? 137 "killed child"
mini run --rm -u nosuchuser busybox true 2>/dev/null; expect_eq $? 125 "unknown user"
mini run --rm nosuchimage true 2>/dev/null; expect_eq $? 125 "unknown image"
set -e

# Namespaces: hostname, PID 1, only the container's processes, eth0 (default bridge) and lo.
expect_eq "$(mini run --rm --hostname box busybox hostname)" box
out=$(mini run --rm busybox hostname); [ ${#out} = 12 ] || fail "default hostname [$out]"
expect_eq "$(mini run --rm busybox sh -c 'echo $$')" 1
expect_eq "$(mini run --rm busybox sh -c 'ps -o pid= >/tmp/p; wc -l </tmp/p')" 2 "ps sees only the container (sh, ps)"
expect_eq "$(mini run --rm busybox ls /sys/class/net | tr '\n' ' ')" "eth0 lo "
expect_eq "$(mini run --rm --network none busybox ls /sys/class/net)" lo
mini run --rm busybox ip link show lo | grep 'UP' >/dev/null || fail "lo is not up"
[ "$(mini run --rm --network host busybox ls /sys/class/net | wc -l)" -ge 1 ] || fail "host network"

# Process: env, workdir, user.
expect_eq "$(mini run --rm -e FOO=bar busybox sh -c 'echo $FOO')" bar
printf 'A=1\n# c\nB=2\n' >"$T/envf"
expect_eq "$(mini run --rm --env-file "$T/envf" -e B=3 busybox sh -c 'echo $A$B')" 13
expect_eq "$(mini run --rm busybox sh -c 'echo $PATH')" /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
expect_eq "$(mini run --rm busybox sh -c 'echo $HOME')" /root
expect_eq "$(mini run --rm -w /new/dir busybox pwd)" /new/dir
expect_eq "$(mini run --rm -u user busybox id)" "uid=1000(user) gid=1000(user) groups=10(wheel)"
expect_eq "$(mini run --rm -u 1000:65534 busybox id -u):$(mini run --rm -u 1000:65534 busybox id -g)" 1000:65534
expect_eq "$(mini run --rm -u user busybox sh -c 'echo $HOME')" /home/user
expect_eq "$(mini run --rm --entrypoint echo busybox hi)" hi

# Security defaults.
expect_eq "$(mini run --rm busybox grep CapEff /proc/self/status)" "CapEff:	00000000a80425fb"
expect_eq "$(mini run --rm busybox grep CapInh /proc/self/status)" "CapInh:	0000000000000000"
expect_eq "$(mini run --rm -u user busybox grep CapEff /proc/self/status)" "CapEff:	0000000000000000"
expect_eq "$(mini run --rm busybox grep NoNewPrivs /proc/self/status)" "NoNewPrivs:	1"
expect_eq "$(mini run --rm busybox ls /proc/self/fd | tr '\n' ' ')" "0 1 2 3 "
if mini run --rm busybox mount -t tmpfs x /tmp 2>/dev/null; then fail "mount allowed with default caps"; fi
mini run --rm --cap-add SYS_ADMIN busybox mount -t tmpfs x /tmp || fail "--cap-add SYS_ADMIN"
expect_eq "$(mini run --rm --cap-drop ALL busybox grep CapEff /proc/self/status)" "CapEff:	0000000000000000"
expect_eq "$(mini run --rm busybox sh -c 'cat /proc/keys /proc/timer_list | wc -c')" 0 "masked /proc files"
expect_eq "$(mini run --rm busybox ls /sys/firmware | wc -l)" 0 "masked /sys/firmware"
if mini run --rm busybox sh -c 'echo 1 > /proc/sys/kernel/domainname' 2>/dev/null; then fail "/proc/sys writable"; fi
if mini run --rm busybox touch /sys/x 2>/dev/null; then fail "/sys writable"; fi
mini run --rm busybox sh -c 'grep " /proc " /proc/self/mounts' | grep 'nosuid,nodev,noexec' >/dev/null || fail "proc flags"
expect_eq "$(mini run --rm busybox stat -c %a /dev)" 755
expect_eq "$(mini run --rm busybox readlink /dev/ptmx)" pts/ptmx
mini run --rm busybox sh -c 'grep devpts /proc/self/mounts' | grep 'ptmxmode=666' >/dev/null || fail "devpts"
# A device node in an image cannot reach host memory (device cgroup; mknod is allowed, open is not).
if mini run --rm busybox sh -c 'mknod /tmp/mem c 1 1 && head -c 1 /tmp/mem >/dev/null' 2>/dev/null; then
  fail "opened /dev/mem through a node made in the container"
fi

# Nothing left behind by --rm: mounts, container dirs, cgroups.
grep -q " $R/" /proc/self/mountinfo && fail "mounts left under the root"
expect_eq "$(ls "$R/containers" | grep -v '^\.' | wc -l)" 0 "containers left"
expect_eq "$(ls "$R/overlay2" | grep -v '^l$' | wc -l)" 1 "container layers left"
leaked=$(comm -13 <(echo "$cgroups_before") <(cgroups_now))
expect_eq "$leaked" "" "cgroup dirs left"
echo PASS
