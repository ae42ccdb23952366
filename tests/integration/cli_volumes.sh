#!/bin/bash
# mini volume create|ls|inspect|rm|prune, container prune, image prune, and the management
# aliases (mini image ls, mini container rm...), with Docker's messages and output shapes.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox
on_exit remove_all_containers

expect_eq "$(mini volume create data)" "data"
expect_eq "$(mini volume create --label team=web web)" "web"
anon=$(mini volume create)
[[ $anon =~ ^[0-9a-f]{64}$ ]] || fail "anonymous volume name: $anon"
rc=0; err=$(mini volume create 'bad/name' 2>&1) || rc=$?
expect_eq "$rc" 125 "bad volume name"
expect_eq "$err" 'mini: error: create bad/name: "bad/name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed'
mini run --rm -v data:/d busybox sh -c 'echo kept >/d/f'
expect_eq "$(mini run --name reader -v data:/d busybox cat /d/f)" "kept" "the volume outlives --rm"
expect_eq "$(mini volume ls -q | sort | tr '\n' ' ')" "$(printf '%s\n' data web "$anon" | sort | tr '\n' ' ')"
expect_eq "$(mini volume ls --format '{{.Name}} {{.Driver}}' -f label=team=web)" "web local"
expect_eq "$(mini volume ls -q -f dangling=false)" "data"
expect_eq "$(mini volume inspect -f '{{.Mountpoint}}' data)" "$R/volumes/data/_data"
mini volume inspect web | python3 -c 'import json,sys; v=json.load(sys.stdin)[0]; assert v["Labels"]=={"team":"web"} and v["Driver"]=="local" and v["Scope"]=="local", v'
rc=0; err=$(mini volume rm data 2>&1) || rc=$?
expect_eq "$rc" 1 "rm of a volume a (stopped) container uses"
[[ $err == "mini: error: remove data: volume is in use - ["*"]" ]] || fail "in-use message: $err"
rc=0; err=$(mini volume inspect nosuch 2>&1 >/dev/null) || rc=$?
expect_eq "$rc:$err" "1:mini: error: get nosuch: no such volume"
mini volume rm -f nosuch || fail "rm -f of a missing volume"
expect_eq "$(mini volume rm web)" "web"

# The aliases.
expect_eq "$(mini image ls --format '{{.Repository}}')" "busybox"
expect_eq "$(mini container ls -a --format '{{.Names}}')" "reader"
expect_eq "$(mini image inspect -f '{{index .RepoTags 0}}' busybox)" "busybox:latest"
expect_eq "$(mini container inspect -f '{{.Name}}' reader)" "/reader"
rc=0; mini container inspect busybox >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 1 "container inspect of an image name"

# prune: containers, then the volumes they held, then images.
mini run -d --name live busybox sleep 30 >/dev/null
out=$(mini container prune -f)
grep -x "Deleted Containers:" <<<"$out" >/dev/null || fail "container prune: $out"
grep -x "Total reclaimed space: .*" <<<"$out" >/dev/null || fail "container prune total: $out"
expect_eq "$(mini ps -a --format '{{.Names}}')" "live" "prune keeps the running container"
out=$(mini volume prune -f)
expect_eq "$(sed -n 2,3p <<<"$out" | sort | tr '\n' ' ')" "$(printf '%s\n' data "$anon" | sort | tr '\n' ' ')" "volume prune: $out"
expect_eq "$(mini volume ls -q)" ""
mini rm -f live >/dev/null
mini tag busybox spare:1
mini rmi spare:1 >/dev/null
mini commit "$(mini create busybox true)" >/dev/null   # an untagged (dangling) image
remove_all_containers
out=$(mini image prune -f)
grep -x "Deleted Images:" <<<"$out" >/dev/null || fail "image prune: $out"
grep "^deleted: sha256:" <<<"$out" >/dev/null || fail "image prune lines: $out"
expect_eq "$(mini images -q | wc -l)" "1" "the tagged image stays"
out=$(mini image prune -a -f)
expect_eq "$(mini images -q | wc -l)" "0" "prune -a: $out"
echo PASS
