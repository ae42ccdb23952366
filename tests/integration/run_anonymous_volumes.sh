#!/bin/bash
# Anonymous volumes as Docker makes them: -v /path, --mount type=volume without a source, and
# the image's VOLUMEs get volumes of their own (seeded from the image), which rm -v and --rm
# remove with the container while named volumes stay.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox
on_exit remove_all_containers
anon_count() { mini volume ls -q | grep -cE '^[0-9a-f]{64}$' || true; }

echo "== -v /path: a volume of the container's own"
mini run -d --name a -v /data busybox sh -c 'echo x >/data/f; sleep 60' >/dev/null
expect_eq "$(anon_count)" 1 "one anonymous volume"
name=$(mini inspect -f '{{range .Mounts}}{{.Name}}{{end}}' a)
[[ $name =~ ^[0-9a-f]{64}$ ]] || fail "the container's mount names no anonymous volume: $name"
expect_eq "$(mini inspect -f '{{range .Mounts}}{{.Type}} {{.Destination}}{{end}}' a)" "volume /data" "inspect's mount"
expect_eq "$(mini volume inspect -f '{{json .Labels}}' "$name")" '{"com.docker.volume.anonymous":""}' "the anonymous label"
mini rm -f a >/dev/null
expect_eq "$(anon_count)" 1 "rm without -v keeps the anonymous volume (Docker)"
mini volume rm "$name" >/dev/null
mini run -d --name b -v /data:ro --mount type=volume,dst=/m busybox sleep 60 >/dev/null
expect_eq "$(anon_count)" 2 "-v /path:ro and --mount type=volume,dst= make one each"
mini exec b sh -c 'touch /data/x' 2>/dev/null && fail "/data:ro is writable"
mini rm -f -v b >/dev/null
expect_eq "$(anon_count)" 0 "rm -v removes the anonymous volumes"

echo "== --rm removes its anonymous volumes, never a named one"
mini run --rm -v /data -v keep:/k busybox sh -c 'echo x >/data/f; echo k >/k/f'
expect_eq "$(anon_count)" 0 "--rm took its anonymous volume along"
expect_eq "$(mini volume ls -q)" "keep" "the named volume stays"
mini volume rm keep >/dev/null

echo "== the image's VOLUME: seeded from the image, covered by a mount of the user"
mkdir -p "$T/ctx"
printf 'FROM busybox\nRUN mkdir /seed && echo seeded >/seed/f\nVOLUME /seed\n' >"$T/ctx/Minifile"
mini build -q --network none -t vol "$T/ctx" >/dev/null
expect_eq "$(mini run --rm vol cat /seed/f)" seeded "the image's content is in the volume"
expect_eq "$(anon_count)" 0 "--rm removed the image VOLUME's volume"
mini run --name c vol sh -c 'echo changed >/seed/f' >/dev/null
expect_eq "$(anon_count)" 1 "a VOLUME of the image gets an anonymous volume"
vname=$(mini inspect -f '{{range .Mounts}}{{.Name}}{{end}}' c)
expect_eq "$(cat "$R/volumes/$vname/_data/f")" changed "the write went to the volume, not the container's layer"
[ -e "$R/overlay2/$(mini inspect -f '{{.Id}}' c)/diff/seed/f" ] && fail "the write is in the container's layer"
mini start -a c >/dev/null
expect_eq "$(cat "$R/volumes/$vname/_data/f")" changed "a non-empty volume is not seeded again"
mini run --rm -v named:/seed vol cat /seed/f >/dev/null
expect_eq "$(anon_count)" 1 "-v NAME:/seed covers the image's VOLUME: no anonymous volume"
expect_eq "$(cat "$R/volumes/named/_data/f")" seeded "the named volume was seeded"
mini rm c >/dev/null
out=$(mini volume prune -f)
grep -x "$vname" <<<"$out" >/dev/null || fail "volume prune: $out"
expect_eq "$(mini volume ls -q)" "" "prune removed the unused volumes"

echo "== a create that fails leaves no volume"
rc=0; mini create -v /data --network nosuchnet busybox true >/dev/null 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "create on a missing network succeeded"
expect_eq "$(mini volume ls -q)" "" "the failed create's anonymous volume is gone"
echo PASS
