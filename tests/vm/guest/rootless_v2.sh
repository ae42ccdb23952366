#!/bin/bash
# Rootless mini on pure cgroup v2 with systemd's delegation (the systemd guest of tests/vm; skips
# where PID 1 is not systemd or newuidmap is missing): an ordinary user (uid 1000, /etc/subuid
# and /etc/subgid ranges) with a running user@1000.service runs mini the way a user does on
# such a host, in a scope of its systemd user instance (systemd-run --user --scope, what podman
# does for itself). There the limits work as for root: -m OOM -> 137, --pids-limit stops a fork
# bomb, --cpus lands in cpu.max, in a cgroup under the delegated user@1000.service, and nothing
# of the container is left in the user's tree after --rm or rm -f. Started outside a delegated
# cgroup (from root's service) mini moves itself into a scope of the user's systemd and the
# limits work too; without that instance -m warns that limits are ignored. The container's
# root is overlay in the user namespace; a build with RUN steps works. Times run --rm busybox
# true, rootless vs root.
source "$SRC_DIR/tests/integration/lib.sh"
[ "$(cat /proc/1/comm)" = systemd ] || { echo "skip: PID 1 is not systemd"; exit 77; }
command -v newuidmap >/dev/null || { echo "skip: newuidmap (uidmap) is not installed"; exit 77; }
import_busybox
on_exit remove_all_containers

U=mu
id "$U" >/dev/null 2>&1 || useradd -m -u 1000 -s /bin/sh "$U"
uid=$(id -u "$U")
echo "$U:100000:65536" >/etc/subuid
echo "$U:100000:65536" >/etc/subgid
# The guest's /vm may not be readable by the user: its own copy.
install -m 755 "$MINI" /usr/local/bin/mini
systemctl start "user@$uid.service" || fail "user@$uid.service: $(systemctl status --no-pager "user@$uid.service" 2>&1)"
user_cleanup() {
  local ids
  ids=$(plain ps -a -q 2>/dev/null) || true
  [ -z "$ids" ] || plain rm -f $ids >/dev/null 2>&1 || true
  systemctl stop "user@$uid.service"
}
on_exit user_cleanup
UCG=/sys/fs/cgroup/user.slice/user-$uid.slice/user@$uid.service
[ -d "$UCG" ] || fail "no $UCG"
echo "user@$uid.service delegates: $(cat "$UCG/cgroup.controllers")"
for c in cpu memory pids; do
  grep -w "$c" "$UCG/cgroup.controllers" >/dev/null || fail "user@$uid.service does not delegate $c: $(cat "$UCG/cgroup.controllers")"
done
uenv=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="/home/$U" XDG_RUNTIME_DIR="/run/user/$uid"
      DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$uid/bus")
# umini ARGS: mini as the user in a new scope of its systemd user instance.
umini() { runuser -u "$U" -- "${uenv[@]}" systemd-run --user --scope --quiet --collect /usr/local/bin/mini "$@"; }
# plain ARGS: mini as the user, left in the cgroup of this (root's) service.
plain() { runuser -u "$U" -- "${uenv[@]}" /usr/local/bin/mini "$@"; }
# leftovers: cgroups of containers (a 64-hex name) in the user's tree.
leftovers() { find "$UCG" -type d -regextype egrep -regex '.*/[0-9a-f]{64}' 2>/dev/null; }

tar -C "$T/bb" -c . | umini import - busybox >/dev/null || fail "rootless import"
expect_eq "$(umini run --rm busybox id -u)" 0 "id -u in a rootless container"
# The root is overlay, mounted in the user namespace.
expect_eq "$(umini run --rm busybox awk '$2 == "/" {print $3}' /proc/mounts)" overlay "the rootless root's fs type"

# Limits, no warning.
id=$(umini run -d --cpus 0.5 -m 64m --pids-limit 50 busybox sleep 1000 2>"$T/err") || fail "run -d with limits: $(cat "$T/err")"
expect_eq "$(cat "$T/err")" "" "stderr of a rootless run with limits"
pid=$(umini inspect -f '{{.State.Pid}}' "$id")
cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
echo "the container's cgroup: $cg"
case $cg in "${UCG#/sys/fs/cgroup}"/*"$id"*) ;; *) fail "the container's cgroup $cg is not under user@$uid.service" ;; esac
d=/sys/fs/cgroup$cg
expect_eq "$(cat "$d/cpu.max")" "50000 100000" "cpu.max"
expect_eq "$(cat "$d/memory.max")" 67108864 "memory.max"
expect_eq "$(cat "$d/pids.max")" 50 "pids.max"
expect_eq "$(stat -c %u "$d")" "$uid" "the owner of the container's cgroup"
umini rm -f "$id" >/dev/null
expect_eq "$(leftovers)" "" "cgroups left after rm -f"

rc=0; umini run --rm -m 32m busybox sh -c 'x=a; while true; do x="$x$x"; done' 2>"$T/err" || rc=$?
expect_eq "$rc" 137 "rootless OOM kill ($(cat "$T/err"))"
out=$(umini run --rm --pids-limit 20 busybox sh -c 'for i in $(seq 40); do sleep 5 & done 2>&1; echo done' 2>&1 || true)
grep "can't fork" <<<"$out" >/dev/null || fail "--pids-limit did not stop the forks: $out"
expect_eq "$(leftovers)" "" "cgroups left after --rm"

# Outside a delegated cgroup (root's service here; an ssh or su session's session-N.scope is
# the same): mini moves itself into a scope mini-<pid>.scope of the user's systemd, as podman
# does, and the limits work; the scope goes with mini.
rc=0; plain run --rm -m 32m busybox sh -c 'x=a; while true; do x="$x$x"; done' 2>"$T/err" || rc=$?
expect_eq "$rc:$(cat "$T/err")" "137:" "OOM kill from outside a delegated cgroup"
uscopes() { runuser -u "$U" -- "${uenv[@]}" systemctl --user list-units --all --plain --no-legend 'mini-*.scope'; }
# Without $XDG_RUNTIME_DIR (sudo -u, runuser -u as is): the instance in /run/user/<uid>.
rc=0; runuser -u "$U" -- env -i PATH=/usr/bin:/bin HOME="/home/$U" /usr/local/bin/mini run --rm -m 32m busybox \
  sh -c 'x=a; while true; do x="$x$x"; done' 2>"$T/err" || rc=$?
expect_eq "$rc:$(grep -v 'notice: rootless: slirp4netns' "$T/err")" "137:" "OOM kill without \$XDG_RUNTIME_DIR"
for _ in $(seq 25); do [ -z "$(uscopes)" ] && break; sleep 0.2; done
expect_eq "$(uscopes)" "" "mini's scopes left in the user's systemd"
# Without the user's systemd (another runtime dir): the warning, the container runs.
install -d -m 700 -o "$U" "/home/$U/rt"
expect_eq "$(runuser -u "$U" -- env -i PATH=/usr/bin:/bin HOME="/home/$U" XDG_RUNTIME_DIR="/home/$U/rt" \
  /usr/local/bin/mini run --rm -m 64m busybox echo ran 2>"$T/err")" ran "a run without the user's systemd"
# (A new runtime dir: the once-per-dir notice about slirp4netns comes again.)
expect_eq "$(grep -v 'notice: rootless: slirp4netns' "$T/err")" "mini: warning: resource limits are ignored: cgroups are not delegated to user $U" "the warning"

# A build with RUN steps, rootless.
ctx=/home/$U/ctx
install -d -o "$U" "$ctx" && printf 'FROM busybox\nRUN echo one >/one\nRUN cat /one >/two && id -u >>/two\n' >"$ctx/Minifile"
umini build -q -t rbuilt "$ctx" >/dev/null 2>"$T/err" || fail "rootless build: $(cat "$T/err")"
expect_eq "$(umini run --rm rbuilt cat /two)" "one
0" "the rootless build's result"

# run --rm busybox true: rootless (through systemd-run --scope; from root's service, mini
# making its own scope) vs root, three each after one warm-up.
ms() { local t0; t0=$(date +%s%N); for _ in 1 2 3; do "$@" run --rm busybox true || return 1; done; echo $(( ($(date +%s%N) - t0) / 3000000 )); }
umini run --rm busybox true
mini run --rm busybox true
r=$(ms umini) && p=$(ms plain) && m=$(ms mini) || fail "timed runs"
echo "run --rm busybox true: rootless $r ms (systemd-run --user --scope), $p ms (own scope), root $m ms" \
  "(ratios $(awk -v a="$r" -v b="$p" -v c="$m" 'BEGIN {printf "%.2f, %.2f", a / c, b / c}'))"
expect_eq "$(leftovers)" "" "cgroups left at the end"
runuser -u "$U" -- "${uenv[@]}" /usr/local/bin/mini system prune -a -f >/dev/null
echo PASS
