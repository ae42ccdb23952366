#!/bin/bash
# Faults: kill -9 of pull, load, import, build (mid-RUN and mid-pack), commit and push at
# several moments each. After every kill: the same command again succeeds, `system check`
# reports nothing, and once the next command has collected, no mount, cgroup, lease, build
# container or temp entry is left; every listed image runs.
# Env: MINI=<binary>. Exit 0 pass, 77 skip, anything else fail.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"
on_exit remove_all_containers
import_busybox
start_registry faults

# The cgroups of the containers named (other tests' containers may come and go meanwhile).
cgroups_of() {
  local id
  for id in "$@"; do find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null; done
}

# A 2-layer image with ~24 MB of incompressible data, so every command takes long enough to be
# killed in the middle.
push_app_image 24000000
cp -a "$T/bb" "$T/rootfs" && cp "$T/ctx/big" "$T/rootfs/big"
tar -C "$T/rootfs" -c . >"$T/rootfs.tar"

# settle: what the next command's collection does (ps collects containers; a new operation
# collects dead operations' leases and temp entries), then the invariants.
settle() {
  local what=$1
  mini ps -a >/dev/null
  mini system check >"$T/check" 2>&1 || { cat "$T/check"; fail "$what: system check"; }
  [ -z "$(ls -A "$R/tmp")" ] || fail "$what: left in tmp/: $(ls -A "$R/tmp")"
  local leases
  leases=$(ls "$R/leases" | grep -v '^container-' || true)
  [ -z "$leases" ] || fail "$what: leases left: $leases"
  expect_eq "$(mini ps -a -q)" "${KEEP:-}" "$what: containers left: $(mini ps -a)"
  ! grep -F " $R/" /proc/self/mountinfo >/dev/null || fail "$what: mounts left under the store"
  expect_eq "$(cgroups_of ${KILLED_IDS:-})" "" "$what: cgroups of the killed command's containers"
  local img
  for img in $(mini images -q); do
    mini run --rm --network none "$img" true || fail "$what: image $img does not run"
  done
}

# kill_at NAME DELAY ARGS...: starts `mini ARGS` (the binary itself, not the shell function,
# so the kill reaches it), kills it with SIGKILL after DELAY seconds (if it is still running),
# then runs it again, which must succeed, and settles.
kill_at() {
  local name=$1 delay=$2
  shift 2
  "$MINI" --root "$R" "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  KILLED_IDS=$(ls "$R/containers" | grep -E '^[0-9a-f]{64}$' || true)
  "$MINI" --root "$R" "$@" >/dev/null 2>"$T/err" || { cat "$T/err"; fail "$name (killed at ${delay}s): the command again failed"; }
  settle "$name killed at ${delay}s"
}

DELAYS="0.02 0.1 0.3 0.6 1.2"
for d in $DELAYS; do
  echo "== pull, killed at ${d}s"
  mini rmi -f "$REG/app:1" >/dev/null 2>&1 || true
  mini system prune -f >/dev/null
  kill_at pull "$d" pull -q "$REG/app:1"
done

for d in $DELAYS; do
  echo "== load, killed at ${d}s"
  mini rmi -f "$REG/app:1" >/dev/null 2>&1 || true
  mini system prune -f >/dev/null
  kill_at load "$d" load -q -i "$T/app.tar"
done

for d in $DELAYS; do
  echo "== import, killed at ${d}s"
  kill_at import "$d" import "$T/rootfs.tar" imported:1
done

# Build: a RUN that sleeps (killed mid-RUN), then one that writes 24 MB to pack (mid-pack).
mkdir -p "$T/ctx2"
printf 'FROM busybox\nRUN sleep 0.5\nRUN head -c 24000000 /dev/urandom > /more\n' >"$T/ctx2/Minifile"
for d in 0.05 0.3 0.7 1.0 1.4; do
  echo "== build, killed at ${d}s"
  kill_at build "$d" build -q --no-cache --network none -t built:1 "$T/ctx2"
done

mini run --network none --name src busybox sh -c 'head -c 24000000 /dev/urandom > /data' >/dev/null
KEEP=$(mini ps -a -q)
for d in 0.05 0.2 0.4 0.8; do
  echo "== commit, killed at ${d}s"
  kill_at commit "$d" commit src committed:1
done
mini rm src >/dev/null
KEEP=
settle "commit cleanup"

mini tag built:1 "$REG/built:1"
for d in 0.05 0.2 0.5 1.0; do
  echo "== push, killed at ${d}s"
  kill_at push "$d" push -q "$REG/built:1"
done
mini rmi "$REG/built:1" >/dev/null
mini pull -q "$REG/built:1" >/dev/null || fail "pull of what was pushed after the kills"
settle "push"
echo PASS
