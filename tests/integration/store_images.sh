#!/usr/bin/env bash
# import, images, inspect, tag, rmi, history, system df/prune, the on-disk overlay2 layout, and
# that bad input fails cleanly (exit 1, one-line error, store unchanged).
source "$(dirname "$0")/lib.sh"

make_busybox_rootfs "$T/bb"
tar -C "$T/bb" -c . >"$T/bb.tar"
id=$(mini import "$T/bb.tar" busybox:latest)
[[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "import printed [$id]"
hex=${id#sha256:}

# images: docker's columns, short id, human size.
out=$(mini images)
echo "$out"
head -1 <<<"$out" | grep -E '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$' >/dev/null || fail "images header"
grep -Eq "^busybox +latest +${hex:0:12} +(Less than a second|1 second|[0-9]+ seconds) ago +[0-9.]+[kM]B$" <<<"$out" || fail "images row"
expect_eq "$(mini images -q)" "${hex:0:12}"
grep DIGEST >/dev/null <<<"$(mini images --digests | head -1)" || fail "images --digests"
mini images --format json | python3 -c 'import json,sys; j=json.loads(sys.stdin.readline()); assert j["Repository"]=="busybox" and j["Tag"]=="latest", j'

# inspect by reference, full id, id prefix; docker's shape.
for name in busybox busybox:latest docker.io/library/busybox:latest "$id" "$hex" "${hex:0:5}"; do
  got=$(mini inspect "$name" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')
  expect_eq "$got" "$id" "inspect $name"
done
mini inspect busybox | python3 -c '
import json,sys
j=json.load(sys.stdin)[0]
assert j["RepoTags"]==["busybox:latest"], j["RepoTags"]
assert j["Os"]=="linux" and j["Architecture"], j
assert j["RootFS"]["Type"]=="layers" and len(j["RootFS"]["Layers"])==1
for k in ["Env","Cmd","Entrypoint","WorkingDir","User","Labels","Volumes","OnBuild"]: assert k in j["Config"], k
for k in ["ExposedPorts","StopSignal"]: assert k not in j["Config"], k  # omitempty in Docker
assert j["Size"]>1000000, j["Size"]
'

# The overlay2 layout: overlay2/<chain>/{diff,link,work}, l/<short> -> ../<chain>/diff.
diffid=$(mini inspect busybox | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RootFS"]["Layers"][0])')
chain=${diffid#sha256:}   # bottom layer: chain id == diff id
[ -x "$R/overlay2/$chain/diff/bin/busybox" ] || fail "layer diff missing"
[ -d "$R/overlay2/$chain/work" ] || fail "work dir missing"
short=$(cat "$R/overlay2/$chain/link")
[[ $short =~ ^[A-Z2-7]{26}$ ]] || fail "bad short id [$short]"
expect_eq "$(readlink "$R/overlay2/l/$short")" "../$chain/diff"
[ ! -e "$R/overlay2/$chain/lower" ] || fail "bottom layer must have no lower file"
expect_eq "$(stat -c %a "$T/bb/tmp")" "$(stat -c %a "$R/overlay2/$chain/diff/tmp")" "mode kept"
expect_eq "$(stat -c %u:%g "$R/overlay2/$chain/diff/home/user")" "1000:1000" "owner kept"
[ -f "$R/blobs/sha256/$hex" ] || fail "config blob missing"

# The same content imported again (gzip, then zstd) shares the layer.
gzip -c "$T/bb.tar" >"$T/bb.tar.gz"
id2=$(mini import "$T/bb.tar.gz" bbgz:1)
expect_eq "$(ls "$R/layers" | wc -l)" 1 "layer shared"
if command -v zstd >/dev/null; then
  zstd -q -c "$T/bb.tar" >"$T/bb.tar.zst"
  mini import "$T/bb.tar.zst" bbzst:1 >/dev/null
  expect_eq "$(ls "$R/layers" | wc -l)" 1 "layer shared (zstd)"
  mini rmi bbzst:1 >/dev/null
fi

# The runner keeps a lock file in containers/; image removal must not trip over it.
: >"$R/containers/.lock"

# tag, rmi of one of several tags untags only; rmi of the last tag deletes.
mini tag busybox my.registry:5000/team/bb:v1
mini images | grep -E "^my.registry:5000/team/bb +v1 +${hex:0:12}" >/dev/null || fail "tag not listed"
expect_eq "$(mini rmi my.registry:5000/team/bb:v1)" "Untagged: my.registry:5000/team/bb:v1"
mini tag busybox busybox:other
set +e; err=$(mini rmi "${hex:0:12}" 2>&1); rc=$?; set -e
expect_eq "$rc" 1 "rmi id with two tags needs -f (docker rmi exits 1)"
grep -q "must be forced" <<<"$err" || fail "rmi conflict message: $err"

# history.
grep -E "^${hex:0:12} .*mini import" >/dev/null <<<"$(mini history busybox | sed -n 2p)" || fail "history"

# Errors: one line, exit 1 (Docker's CLI for all but run and create), store unchanged.
snapshot() { (cd "$R" && find . -path ./lock -prune -o -print | sort; cat images/refs.json); }
before=$(snapshot)
check_error() {  # check_error EXPECTED_SUBSTRING CMD...
  local want=$1; shift
  set +e; err=$(mini "$@" 2>&1 >/dev/null); rc=$?; set -e
  expect_eq "$rc" 1 "exit code of: $*"
  expect_eq "$(wc -l <<<"$err")" 1 "one-line error for: $* -> $err"
  grep -q "^mini: error: .*$want" <<<"$err" || fail "error for [$*] was [$err]"
}
check_error 'invalid reference format "Bad:Name"' import "$T/bb.tar" Bad:Name
# (inspect of a missing object prints [] and exits 1, as Docker: cli_basics.sh)
check_error 'No such image: nothere' tag nothere x:y
check_error 'invalid reference format' tag busybox 'UPPER:x'
printf 'this is not a tar archive at all, not even close...............' >"$T/junk"
for i in $(seq 1 20); do cat "$T/junk"; done >"$T/junk.tar"
check_error 'import' import "$T/junk.tar" junk:1
head -c 30000 "$T/bb.tar.gz" >"$T/trunc.tar.gz"
check_error 'import' import "$T/trunc.tar.gz" trunc:1
check_error 'open' import "$T/does-not-exist.tar" x:1
# rmi is a verb over several names: each failure is printed, the others still go, exit 1.
set +e; err=$(mini rmi nothere busybox:nosuchtag 2>&1 >/dev/null); rc=$?; set -e
expect_eq "$rc" 1 "exit code of rmi of missing images"
expect_eq "$err" "mini: error: No such image: nothere
mini: error: No such image: busybox:nosuchtag" "rmi errors"
expect_eq "$(snapshot)" "$before" "store changed by failed commands"
expect_eq "$(ls -A "$R/tmp")" "" "tmp/ left non-empty"

# Usage errors exit as Docker's CLI: an unknown command or a missing argument 1, a flag 125.
set +e; mini frobnicate >/dev/null 2>&1; rc=$?; set -e
expect_eq "$rc" 1 "unknown command"
set +e; mini tag onlyone >/dev/null 2>&1; rc=$?; set -e
expect_eq "$rc" 1 "missing argument"
set +e; mini tag --bogus a b >/dev/null 2>&1; rc=$?; set -e
expect_eq "$rc" 125 "unknown flag"

# Two imports at once do not corrupt the store.
mkdir -p "$T/other/etc" && echo hi >"$T/other/etc/hi"
tar -C "$T/other" -c . >"$T/other.tar"
for i in 1 2 3 4; do mini import "$T/other.tar" "par:$i" >/dev/null & done
wait
for i in 1 2 3 4; do mini inspect "par:$i" >/dev/null; done
expect_eq "$(mini images -q | sort -u | wc -l)" 6 "parallel imports"
expect_eq "$(ls "$R/layers" | wc -l)" 2 "parallel imports share one layer"

# system df / prune.
mini system df | grep -E '^Images +6 ' >/dev/null || { mini system df; fail "system df"; }
expect_eq "$(mini rmi busybox)" "Untagged: busybox:latest"
mini rmi busybox:other | grep "^Deleted: $id" >/dev/null || fail "rmi last tag"
for i in 1 2 3 4; do mini rmi "par:$i" >/dev/null; done
mini rmi bbgz:1 >/dev/null
expect_eq "$(mini images -q)" ""
expect_eq "$(ls -A "$R/layers" "$R/overlay2/l" | grep -v : | grep -c .)" 0 "layers left after rmi"
expect_eq "$(ls -A "$R/blobs/sha256" | wc -l)" 0 "blobs left after rmi"
mini system prune -f | grep "Total reclaimed space" >/dev/null || fail "prune"
echo PASS
