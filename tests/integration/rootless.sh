#!/bin/bash
# Rootless mini: an ordinary user (created here, with /etc/subuid and /etc/subgid entries)
# imports, builds (RUN, COPY, a whiteout, USER), runs, execs into, lists and removes containers,
# and pulls from a local registry, with the store in its home and runtime state in
# $XDG_RUNTIME_DIR/mini. Outputs are compared with the same commands run as root; a run with -m
# warns that limits are ignored (cgroups are not delegated on this host); a delegated cgroup v2
# subtree is simulated in a private mount namespace; networks none, host and slirp4netns; the
# no-/etc/subuid case.
source "$SRC_DIR/tests/integration/lib.sh"
source "$SRC_DIR/tests/integration/registry_fixture.bash"
command -v newuidmap >/dev/null || { echo "skip: newuidmap (uidmap) is not installed"; exit 77; }

U=minitest
id "$U" >/dev/null 2>&1 && fail "user $U exists already"
UT=$(mktemp -d /tmp/mini-rootless.XXXXXX)
chmod 755 "$UT"
cp /etc/subuid "$UT/subuid.bak"
cp /etc/subgid "$UT/subgid.bak"
rootless_cleanup() {
  # Anything the user left running (there should be nothing: checked below).
  pkill -KILL -u "$U" 2>/dev/null
  sleep 0.2
  userdel "$U" 2>/dev/null
  cat "$UT/subuid.bak" >/etc/subuid
  cat "$UT/subgid.bak" >/etc/subgid
  [ -n "${RESTORE_TUN:-}" ] && chmod "$RESTORE_TUN" /dev/net/tun
  [ -n "${CLEAN_SHM:-}" ] && rm -rf "$CLEAN_SHM"
  if [ -n "${CLEAN_CGROUP:-}" ]; then
    for d in "$CLEAN_CGROUP"/mini/* "$CLEAN_CGROUP"/mini "$CLEAN_CGROUP"/shell "$CLEAN_CGROUP"; do rmdir "$d" 2>/dev/null; done
  fi
  rm -rf "$UT"
}
on_exit rootless_cleanup
useradd -M -d "$UT/home" -s /bin/sh "$U"
mkdir -p "$UT/home" "$UT/run" "$UT/bin"
chown "$U:$U" "$UT/home" "$UT/run"
chmod 700 "$UT/run"
uid=$(id -u "$U")
gid=$(id -g "$U")
SUB=300000
# useradd may have added ranges of its own: ours replace them.
{ cat "$UT/subuid.bak"; echo "$U:$SUB:65536"; } >/etc/subuid
{ cat "$UT/subgid.bak"; echo "$U:$SUB:65536"; } >/etc/subgid
cp "$MINI" "$UT/bin/mini"
chmod 755 "$UT/bin/mini"

# umini ARGS: mini as the user, with its own default store and runtime dir.
cat >"$UT/bin/umini" <<EOS
#!/bin/sh
exec runuser -u "$U" -- env -i PATH=/usr/bin:/bin HOME="$UT/home" XDG_RUNTIME_DIR="$UT/run" "$UT/bin/mini" "\$@"
EOS
chmod 755 "$UT/bin/umini"
umini() { "$UT/bin/umini" "$@"; }
STORE=$UT/home/.local/share/mini

# The busybox image, for both.
make_busybox_rootfs "$UT/bb"
tar -C "$UT/bb" -c . >"$UT/bb.tar"
mini import "$UT/bb.tar" busybox >/dev/null
umini import - busybox <"$UT/bb.tar" >/dev/null || fail "rootless import"
[ -d "$STORE/overlay2" ] || fail "no store in ~/.local/share/mini"
umini images | grep '^busybox ' >/dev/null || fail "rootless images: $(umini images)"

# Files of the image: root-owned in the image -> the user; uid 1000 -> subuid 300000+999.
f=$(find "$STORE/overlay2" -path '*/diff/bin/busybox' | head -1)
[ -n "$f" ] || fail "busybox not unpacked in the user's store"
expect_eq "$(stat -c %u:%g "$f")" "$uid:$gid" "owner of an image file owned by root"
h=$(find "$STORE/overlay2" -path '*/diff/home/user' | head -1)
expect_eq "$(stat -c %u:%g "$h")" "$((SUB + 999)):$((SUB + 999))" "owner of an image file owned by 1000"

# run: ids and owners inside are root's, like a root run.
cmd='id; echo hi > /x; cat /x; ls -ln /bin/busybox | awk "{print \$3, \$4}"; ls -ln /home | awk "NR>1 {print \$3, \$4, \$9}"'
want=$(mini run --rm busybox sh -c "$cmd")
got=$(umini run --rm busybox sh -c "$cmd") || fail "rootless run: $got"
expect_eq "$got" "$want" "rootless run output"
expect_eq "$(echo "$got" | head -1)" "uid=0(root) gid=0(root)" "id"
# /dev nodes work
expect_eq "$(umini run --rm busybox sh -c 'echo x > /dev/null && head -c 4 /dev/zero | wc -c && ls /dev | tr "\n" " "')" \
  "$(mini run --rm busybox sh -c 'echo x > /dev/null && head -c 4 /dev/zero | wc -c && ls /dev | tr "\n" " "')" "/dev"
# the exit status comes through
umini run --rm busybox sh -c 'exit 3' && fail "exit status lost"
[ $? -eq 3 ] || fail "exit status not 3"

# Limits without delegated cgroups: one warning, the container still runs.
out=$(umini run --rm -m 64m busybox echo ok 2>"$UT/err")
expect_eq "$out" ok "run -m"
expect_eq "$(cat "$UT/err")" "mini: warning: resource limits are ignored: cgroups are not delegated to user $U" "-m warning"
# no limits, no warning
umini run --rm busybox true 2>"$UT/err"
expect_eq "$(cat "$UT/err")" "" "stderr without limits"

# Networks: none and host as with root; slirp4netns gives a private one (tap0, 10.0.2.100).
expect_eq "$(umini run --rm --network none busybox ls /sys/class/net)" lo "--network none"
expect_eq "$(umini run --rm --network host busybox cat /proc/net/dev | wc -l)" "$(wc -l </proc/net/dev)" "--network host"
if [ -x /usr/bin/slirp4netns ]; then
  # Debian's udev makes /dev/net/tun 0666; this VM has no udev. Without it: a notice and no network.
  tun_mode=$(stat -c %a /dev/net/tun)
  if [ "$tun_mode" != 666 ]; then
    chmod 600 /dev/net/tun
    out=$(umini run --rm --network slirp4netns busybox ls /sys/class/net 2>"$UT/err")
    expect_eq "$out" lo "no tun, no network"
    expect_eq "$(cat "$UT/err")" "mini: notice: rootless: /dev/net/tun is not accessible, the container gets no network (--network none)" "notice"
    chmod 666 /dev/net/tun
    RESTORE_TUN=$tun_mode
  fi
  out=$(umini run --rm --network slirp4netns busybox sh -c 'ip -4 addr show tap0; cat /etc/resolv.conf; ip route')
  echo "$out" | grep 'inet 10.0.2.100/24' >/dev/null || fail "slirp4netns address: $out"
  echo "$out" | grep '^nameserver 10.0.2.3$' >/dev/null || fail "slirp4netns resolv.conf: $out"
  echo "$out" | grep '^default via 10.0.2.2' >/dev/null || fail "slirp4netns route: $out"
  # It reaches a server on the host's own (non-loopback) address.
  hostip=$(ip -4 -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
  if [ -n "$hostip" ]; then
    mkdir -p "$UT/www"
    echo hello-from-host >"$UT/www/index.html"
    port=$(free_port)
    busybox httpd -f -p "$hostip:$port" -h "$UT/www" &
    REG_PIDS+=($!)
    sleep 0.3
    expect_eq "$(umini run --rm --network slirp4netns busybox wget -q -O- "http://$hostip:$port/")" hello-from-host "slirp4netns to the host"
  fi
  # a detached one: slirp4netns lives as long as the container
  cid=$(umini run -d --network slirp4netns busybox sleep 60)
  pgrep -u "$U" -x slirp4netns >/dev/null || fail "no slirp4netns for the detached container"
  umini rm -f "$cid" >/dev/null
  sleep 0.3
  pgrep -u "$U" -x slirp4netns >/dev/null && fail "slirp4netns outlived its container"
fi

# Without $XDG_RUNTIME_DIR the state goes to a private /dev/shm/mini-run-<uid> (a tmpfs; else
# /tmp); one that somebody else made first is refused, not used.
shmrun=/dev/shm/mini-run-$uid
[ -d /dev/shm ] && [ "$(stat -f -c %T /dev/shm)" = tmpfs ] || shmrun=/tmp/mini-run-$uid
CLEAN_SHM=$shmrun
rm -rf "$shmrun"
mkdir -m 700 "$shmrun"  # root's, not the user's
noxdg() { runuser -u "$U" -- env -i PATH=/usr/bin:/bin HOME="$UT/home" "$UT/bin/mini" "$@"; }
noxdg ps >/dev/null 2>"$UT/err" && fail "a runtime dir owned by root was used"
expect_eq "$(cat "$UT/err")" "mini: error: runtime directory $shmrun is not a private directory owned by uid $uid; remove it or set \$XDG_RUNTIME_DIR" "foreign runtime dir"
rmdir "$shmrun"
expect_eq "$(noxdg run --rm busybox echo ok)" ok "run without XDG_RUNTIME_DIR"
expect_eq "$(stat -c %a:%u "$shmrun")" "700:$uid" "the fallback runtime dir"

# Delegated cgroup v2. This host is hybrid (v1 controllers, v2 on /sys/fs/cgroup/unified) with
# no delegation; so in a private mount namespace the v2 hierarchy is mounted on /sys/fs/cgroup
# with a subtree owned by the user around its shell, as systemd delegates user@<uid>.service.
# The container's cgroup must land under it (and go away with it); that v2 hierarchy has no
# memory controller here, so -m gets a warning naming the cause and the run goes on.
V2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
if [ -n "$V2" ] && [ "$V2" != /sys/fs/cgroup ] && [ ! -e "$V2/cgroup.type" ]; then
  dname=minitest-deleg.$$
  mkdir "$V2/$dname" "$V2/$dname/shell"
  CLEAN_CGROUP=$V2/$dname
  chown -R "$U:$U" "$V2/$dname"
  out=$(unshare -m sh -c '
    set -e
    mount -t cgroup2 none /sys/fs/cgroup
    D=/sys/fs/cgroup/'"$dname"'
    echo $$ >"$D/shell/cgroup.procs"
    cid=$('"$UT/bin/umini"' run -d busybox sleep 30)
    echo "procs $(wc -l <"$D/mini/$cid/cgroup.procs")"
    '"$UT/bin/umini"' rm -f "$cid" >/dev/null
    [ -e "$D/mini/$cid" ] && echo "cgroup left" || echo "cgroup removed"
    '"$UT/bin/umini"' run --rm -m 64m busybox echo ran 2>&1 | sed "s|/mini/[0-9a-f]*/memory.max: .*|/mini/ID/memory.max: ...|"
  ') || fail "delegated cgroup: $out"
  expect_eq "$out" "procs 1
cgroup removed
mini: warning: resource limits are ignored: cgroup: write /sys/fs/cgroup/$dname/mini/ID/memory.max: ...
ran" "delegated cgroup v2"
fi

# build: RUN, COPY, a whiteout of a lower file, USER.
ctx=$UT/ctx
mkdir -p "$ctx"
echo copied >"$ctx/file.txt"
cat >"$ctx/Minifile" <<'MF'
FROM busybox
RUN mkdir -p /data/sub && echo one > /data/sub/a && chown 1000:1000 /data/sub/a && rm /bin/vi
COPY file.txt /data/file.txt
RUN rm -r /data/sub && mkdir /data/sub && echo two > /data/sub/b
USER 1000
CMD ["sh", "-c", "id -u; cat /data/file.txt /data/sub/b; ls /data/sub; ls /bin/vi 2>&1 || true; ls -ln /data | awk 'NR>1 {print $3, $9}'"]
MF
chown -R "$U:$U" "$ctx"
want=$(mini build -q -t built "$ctx" >/dev/null && mini run --rm built)
umini build -t built "$ctx" >"$UT/build.log" 2>&1 || fail "rootless build: $(cat "$UT/build.log")"
got=$(umini run --rm built) || fail "rootless run of the built image"
expect_eq "$got" "$want" "built image output"
echo "$got" | grep 'No such file' >/dev/null || fail "whiteout of /bin/vi lost: $got"
# the opaque dir is marked with user.overlay.opaque in the rootless store
getfattr -R -d -m '^user.overlay' "$STORE/overlay2" 2>/dev/null | grep 'user.overlay.opaque="y"' >/dev/null ||
  fail "no user.overlay.opaque mark in the rootless store"

# save | load into a second rootless store: unpacking the layers makes whiteouts (0/0 char
# devices, mknod in the user namespace) and user.overlay.opaque marks.
umini save built >"$UT/built.tar" || fail "rootless save"
umini --root "$UT/home/store3" load -i "$UT/built.tar" >/dev/null || fail "rootless load"
expect_eq "$(umini --root "$UT/home/store3" run --rm built)" "$want" "loaded image output"
w=$(find "$UT/home/store3/overlay2" -path '*/diff/bin/vi' -type c | head -1)
[ -n "$w" ] || fail "no whiteout for /bin/vi in the loaded layers"
expect_eq "$(stat -c %t:%T "$w")" "0:0" "whiteout device"
getfattr -R -d -m '^user.overlay' "$UT/home/store3/overlay2" 2>/dev/null | grep 'user.overlay.opaque="y"' >/dev/null ||
  fail "no user.overlay.opaque mark in the loaded layers"

# detached container, exec, ps, stop, rm
cid=$(umini run -d busybox sh -c 'echo started; sleep 60') || fail "run -d: $cid"
expect_eq "$(umini exec "$cid" id -u)" 0 "exec id"
expect_eq "$(umini exec -u 1000 "$cid" id -u)" 1000 "exec -u 1000"
umini exec "$cid" sh -c 'echo made > /made'
expect_eq "$(umini exec "$cid" cat /made)" made "exec sees its file"
umini ps | grep "${cid:0:12}" >/dev/null || fail "ps: $(umini ps)"
expect_eq "$(umini logs "$cid")" started "logs"
umini inspect "$cid" | grep '"Running": true' >/dev/null || fail "inspect: $(umini inspect "$cid")"
[ -d "$UT/run/mini" ] || fail "no runtime state in \$XDG_RUNTIME_DIR/mini"
umini stop -t 1 "$cid" >/dev/null || fail "stop"
umini ps -a | grep "${cid:0:12}.*Exited" >/dev/null || fail "ps -a after stop: $(umini ps -a)"
umini rm "$cid" >/dev/null || fail "rm"
# kill, and a file made by uid 1000 in a container lands in the store owned by subuid+999
cid=$(umini run -d busybox sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done')
umini exec -u 1000 "$cid" touch /tmp/by1000
f=$(find "$STORE/overlay2/$cid/diff" -name by1000)
expect_eq "$(stat -c %u:%g "$f")" "$((SUB + 999)):$((SUB + 999))" "owner of a file made by uid 1000"
umini kill -s TERM "$cid" >/dev/null || fail "kill"
expect_eq "$(umini wait "$cid")" 7 "wait after kill"
umini rm "$cid" >/dev/null
# rm -f of two running ones at once, one running as a sub-id (killed as the namespace's owner)
c1=$(umini run -d -u 1000 busybox sleep 60)
c2=$(umini run -d busybox sleep 60)
umini rm -f "$c1" "$c2" >/dev/null || fail "rm -f"
umini ps -a | grep -E "${c1:0:12}|${c2:0:12}" >/dev/null && fail "container left after rm -f"
[ -z "$(ls "$STORE/containers")" ] || fail "container dirs left: $(ls "$STORE/containers")"

# pull from a local registry (pushed by root)
start_registry plain
mini tag busybox "$REG/rl/busybox:1"
mini push "$REG/rl/busybox:1" >/dev/null
umini pull "$REG/rl/busybox:1" >/dev/null || fail "rootless pull: $(umini pull "$REG/rl/busybox:1" 2>&1)"
expect_eq "$(umini run --rm "$REG/rl/busybox:1" cat /etc/hostname | wc -l)" 1 "run of the pulled image"
umini rmi "$REG/rl/busybox:1" >/dev/null || fail "rmi"

# system df / prune work on the user's store
umini system df >/dev/null || fail "system df"
umini rmi built >/dev/null
umini system prune -a -f >/dev/null || fail "system prune"
umini images | grep '^built ' >/dev/null && fail "built image left"

# Without /etc/subuid and /etc/subgid entries: only the user's own ids are mapped (to 0), a
# warning says so once, root-owned images work, an image with other owners fails clearly.
cat "$UT/subuid.bak" >/etc/subuid
cat "$UT/subgid.bak" >/etc/subgid
rm -rf "$UT/bb/home/user"
tar -C "$UT/bb" -c . >"$UT/bb-rootonly.tar"
umini --root "$UT/home/store2" import - rootonly <"$UT/bb-rootonly.tar" >/dev/null 2>"$UT/err" || fail "import without subids: $(cat "$UT/err")"
grep -c "mini: warning: no /etc/subuid entry for user $U: only uid $uid and gid $gid are mapped (to root)" "$UT/err" >/dev/null ||
  fail "no warning without subids: $(cat "$UT/err")"
got=$(umini --root "$UT/home/store2" run --rm rootonly sh -c 'id -u; ls -ln /bin/busybox | awk "{print \$3}"' 2>"$UT/err")
expect_eq "$got" "0
0" "run without subids"
expect_eq "$(cat "$UT/err")" "" "the warning comes once"
umini --root "$UT/home/store2" import - busybox <"$UT/bb.tar" >/dev/null 2>"$UT/err" && fail "an image owned by uid 1000 imported without subids"
grep 'chown to 1000:1000: not mapped in the rootless user namespace' "$UT/err" >/dev/null || fail "import error: $(cat "$UT/err")"
umini --root "$UT/home/store2" images | grep '^busybox ' >/dev/null && fail "failed import left an image"

# Nothing left running as the user (exited monitors are orphans of pid 1, which on this VM
# reaps them late: zombies do not count).
sleep 0.2
[ -z "$(ps -o stat= -u "$U" | grep -v '^Z')" ] || fail "processes left: $(ps -o pid,ppid,stat,args -u "$U")"
echo "rootless: ok"
