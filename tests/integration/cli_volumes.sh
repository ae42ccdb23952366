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
expect_eq "$rc" 1 "bad volume name"
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
# --mount, and -v making a missing host directory (Docker's create-time behaviour).
import_busybox
mini run --rm -v "$T/made/sub:/x" busybox sh -c 'echo a >/x/f'
expect_eq "$(cat "$T/made/sub/f")" "a" "-v made the host directory"
expect_eq "$(mini run --rm --mount "type=bind,src=$T/made/sub,dst=/y,readonly" busybox sh -c 'cat /y/f; echo b >/y/g 2>/dev/null || echo ro')" "a
ro"
rc=0; err=$(mini run --rm --mount "type=bind,source=$T/absent,target=/y" busybox true 2>&1) || rc=$?
expect_eq "$rc:$err" "125:mini: error: invalid mount config for type \"bind\": bind source path does not exist: $T/absent"
[ ! -e "$T/absent" ] || fail "--mount type=bind made its source"
mini run --rm --mount type=volume,src=mvol,dst=/v busybox sh -c 'echo kept >/v/a'
expect_eq "$(mini run --rm --mount src=mvol,dst=/v,ro busybox cat /v/a)" "kept" "type=volume is the default"
expect_eq "$(mini run --rm --mount type=tmpfs,dst=/t,tmpfs-size=1m busybox sh -c 'df -k /t | tail -1' | awk '{print $2}')" "1024"
rc=0; err=$(mini run --rm --mount type=nfs,dst=/t busybox true 2>&1) || rc=$?
expect_eq "$rc:$err" '125:mini: error: invalid argument "type=nfs,dst=/t" for "--mount" flag: invalid mount type "nfs" (bind, volume or tmpfs)'
rc=0; err=$(mini run --rm --mount type=tmpfs busybox true 2>&1) || rc=$?
expect_eq "$rc:$err" '125:mini: error: invalid argument "type=tmpfs" for "--mount" flag: target is required'
# system prune --volumes removes the unused volumes too; without it they stay.
mini volume create keepme >/dev/null
mini system prune -f >/dev/null
expect_eq "$(mini volume ls -q)" "keepme
mvol" "system prune without --volumes"
out=$(mini system prune -f --volumes)
grep -A2 -x "Deleted Volumes:" <<<"$out" | grep -x "mvol" >/dev/null || fail "system prune --volumes: $out"
expect_eq "$(mini volume ls -q)" ""
# system prune removes stopped containers (Docker's first item), never a running one.
stopped=$(mini create busybox true)
running=$(mini run -d busybox sleep 60)
out=$(mini system prune -f)
grep -A1 -x "Deleted Containers:" <<<"$out" | grep -x "$stopped" >/dev/null || fail "system prune kept a stopped container: $out"
expect_eq "$(mini ps -aq --no-trunc)" "$running" "system prune keeps the running container"
mini rm -f "$running" >/dev/null
echo PASS
