#!/bin/bash
# Volumes with local driver options, as Docker's local driver: `volume create -o type= -o
# device= -o o=` and --mount's volume-opt= make a volume that is that mount, made on its _data
# by the first container using it and unmade after the last; containers share the one mount; a
# mount left by a killed monitor is reused, and `volume rm` unmounts it before deleting
# anything (a bind volume's files survive); bad options fail cleanly.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox
on_exit remove_all_containers
is_mount() { findmnt -M "$1" >/dev/null; }
# kill_a_user_of_bv: a container using volume bv whose monitor dies by SIGKILL (no release).
kill_a_user_of_bv() {
  local id pid mon
  id=$(mini run -d -v bv:/b busybox sleep 60)
  pid=$(mini inspect -f '{{.State.Pid}}' "$id")
  mon=$(awk '$1 == "PPid:" {print $2}' "/proc/$pid/status")
  kill -9 "$mon" "$pid"
  sleep 0.2
  mini rm -f "$id" >/dev/null 2>&1 || true
}

echo "== a tmpfs volume shared by two containers, unmounted after the last"
mini volume create -o type=tmpfs -o device=tmpfs -o o=size=8m,uid=1000 tv >/dev/null
expect_eq "$(mini volume inspect -f '{{json .Options}}' tv)" '{"device":"tmpfs","o":"size=8m,uid=1000","type":"tmpfs"}' "inspect's Options"
data=$(mini volume inspect -f '{{.Mountpoint}}' tv)
on_exit "umount '$data' 2>/dev/null || true"
is_mount "$data" && fail "mounted before any container uses it"
mini run -d --name a -v tv:/v busybox sleep 60 >/dev/null
is_mount "$data" || fail "not mounted while a container uses it"
expect_eq "$(mini exec a stat -c %u /v)" 1000 "uid= of o="
expect_eq "$(mini exec a sh -c 'df -k /v | tail -1' | awk '{print $2}')" 8192 "size= of o="
mini exec a sh -c 'echo one >/v/f'
mini run -d --name b -v tv:/v busybox sleep 60 >/dev/null
expect_eq "$(mini exec b cat /v/f)" one "the second container sees the first one's file"
mini rm -f a >/dev/null
is_mount "$data" || fail "unmounted while b still uses it"
mini rm -f b >/dev/null
is_mount "$data" && fail "still mounted after the last user"
[ -e "$data/f" ] && fail "the tmpfs file outlived the mount"

echo "== --mount volume-opt= creates the volume with its options"
out=$(mini run --rm --mount "type=volume,src=mv,dst=/m,volume-opt=type=tmpfs,volume-opt=device=tmpfs,\"volume-opt=o=size=4m,mode=0700\",volume-label=k=v" \
  busybox sh -c 'df -k /m | tail -1')
expect_eq "$(awk '{print $2}' <<<"$out")" 4096 "the tmpfs of volume-opt="
expect_eq "$(mini volume inspect -f '{{.Options.o}} {{.Labels.k}}' mv)" "size=4m,mode=0700 v" "mv's options (a quoted CSV field) and label"
is_mount "$(mini volume inspect -f '{{.Mountpoint}}' mv)" && fail "mv still mounted after --rm"

echo "== a bind volume; a killed monitor's mount; volume rm keeps the bound files"
mkdir -p "$T/src"
echo host >"$T/src/h"
mini volume create -o type=none -o o=bind -o "device=$T/src" bv >/dev/null
expect_eq "$(mini run --rm -v bv:/b busybox cat /b/h)" host "the bind volume's file"
bdata=$(mini volume inspect -f '{{.Mountpoint}}' bv)
on_exit "umount '$bdata' 2>/dev/null || true"
kill_a_user_of_bv
is_mount "$bdata" || fail "expected the killed monitor's mount to be left (else this part tests nothing)"
expect_eq "$(mini run --rm -v bv:/b busybox cat /b/h)" host "the left mount is reused"
is_mount "$bdata" && fail "the next user did not unmount the left mount"
kill_a_user_of_bv
mini volume rm bv >/dev/null
expect_eq "$(cat "$T/src/h")" host "the bound directory's file after volume rm"
is_mount "$bdata" && fail "volume rm left the mount"

echo "== refused: an unknown key; a mount that fails leaves nothing"
rc=0; out=$(mini volume create -o foo=bar xx 2>&1) || rc=$?
[[ $rc -ne 0 && $out == *'invalid option key: "foo"'* ]] || fail "unknown key: rc=$rc $out"
expect_eq "$(mini volume ls -q | grep -c "^xx$" || true)" 0 "the refused volume"
mini volume create -o type=ext4 -o device=/nonexistent-dev ev >/dev/null
rc=0; out=$(mini run --rm -v ev:/e busybox true 2>&1) || rc=$?
[[ $rc -ne 0 && $out == *"error while mounting volume"* ]] || fail "failing mount: rc=$rc $out"
expect_eq "$(mini ps -a -q)" "" "containers left by the failed start"
[ -z "$(ls "$(mini volume inspect -f '{{.Mountpoint}}' ev)/../users" 2>/dev/null)" ] || fail "a user entry left by the failed start"
echo PASS
