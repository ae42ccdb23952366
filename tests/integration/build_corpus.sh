#!/bin/bash
# The build corpus (tests/build_testdata/corpus, see its README) built by mini on a busybox base
# and compared: the CLASSIC cases with `docker build` (legacy builder), the BUILDKIT cases with
# `DOCKER_BUILDKIT=1 docker build` (dockerd 20.10's builtin BuildKit frontend), both on a
# private dockerd: same flattened file tree, same config (Env, Cmd, Entrypoint, WorkingDir,
# User, Labels, ExposedPorts, Volumes, StopSignal, Healthcheck, Shell, OnBuild). The EXPECTED
# cases (syntax dockerd 20.10 predates) are checked against <case>/expect, BuildKit's
# documented result. A case using a feature mini parses but does not execute yet is reported as
# pending, not failed. Skips (77) without docker/dockerd or when dockerd does not come up.
source "$SRC_DIR/tests/integration/lib.sh"
source "$SRC_DIR/tests/integration/dockerd.bash"
# The 20.10 CLI: it drives dockerd's own BuildKit without the buildx plugin.
DOCKER=$(command -v /usr/bin/docker || command -v docker) || { echo "skip: no docker CLI"; exit 77; }
command -v dockerd >/dev/null || { echo "skip: no dockerd"; exit 77; }
docker() { "$DOCKER" "$@"; }
TREE="python3 $SRC_DIR/tests/build_testdata/tree_of.py"
CORPUS=$SRC_DIR/tests/build_testdata/corpus
if ! start_private_dockerd "$T/d" /run/mini-test-build-corpus.sock; then
  echo "skip: dockerd did not come up within 60 s"
  exit 77
fi
echo "docker $(docker version -f '{{.Server.Version}}')"
# The busybox base, with the mount points a real base has: BuildKit's RUN leaves /dev, /proc
# and /sys in a layer when the base lacks them.
make_busybox_rootfs "$T/bb"
mkdir -p "$T/bb/dev" "$T/bb/proc" "$T/bb/sys"
tar -C "$T/bb" -c . | mini import - busybox:latest >/dev/null
mini save busybox:latest | docker load >/dev/null || fail "docker load of the busybox base"
# metadata-semantics starts FROM busybox:${TARGETARCH}, an automatic ARG.
arch=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
mini tag busybox:latest "busybox:$arch" && docker tag busybox:latest "busybox:$arch" || fail "tag busybox:$arch"

config_of() { python3 "$SRC_DIR/tests/build_testdata/config_of.py" "$1"; }  # ARCHIVE -> compared config fields

file_of() {  # ARCHIVE PATH -> the file's content, from the topmost layer that has it
  python3 - "$1" "$2" <<'PY'
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as outer:
    layers = json.load(outer.extractfile("manifest.json"))[0]["Layers"]
    found = None
    for name in layers:
        with outer.extractfile(name) as f, tarfile.open(fileobj=f, mode="r:*") as t:
            for m in t.getmembers():
                if m.name.lstrip("./") == sys.argv[2] and m.isfile():
                    found = t.extractfile(m).read()
    sys.stdout.write(found.decode() if found is not None else "<absent>\n")
PY
}

rc=0 compared=0 pending=0
bad() { echo "FAIL: $*" >&2; rc=1; }

# mini_build NAME: builds the case with mini into $T/NAME.m.tar; 1 when the case is pending.
mini_build() {
  local name=$1
  if ! mini build -q --network none -t "corpus-$name" "$CORPUS/$name" >"$T/$name.mbuild" 2>&1; then
    if grep -F "is parsed but not executed by this build of mini yet" "$T/$name.mbuild" >/dev/null; then
      echo "pending: $name: $(grep -o '[A-Z]* [^:]* is parsed but not executed' "$T/$name.mbuild" | head -1)"
      pending=$((pending + 1))
      return 1
    fi
    cat "$T/$name.mbuild" >&2
    bad "$name: mini build"
    return 1
  fi
  mini save -o "$T/$name.m.tar" "corpus-$name"
  $TREE "$T/$name.m.tar" >"$T/$name.m.tree"
  config_of "$T/$name.m.tar" >"$T/$name.m.cfg"
}

compare_docker() {  # NAME BUILDKIT(0|1)
  local name=$1 bk=$2 ctx=$T/ctx-$1
  mini_build "$name" || return 0
  # dockerd 20.10's frontend cannot fetch `# syntax=` images offline and predates --link.
  cp -a "$CORPUS/$name" "$ctx"
  sed -i -e '/^# *syntax *=/d' -e 's/ --link / /' "$ctx/Dockerfile"
  DOCKER_BUILDKIT=$bk docker build -q --network none -t "corpus-$name" "$ctx" >"$T/$name.dbuild" 2>&1 \
    || { cat "$T/$name.dbuild" >&2; bad "$name: docker build (DOCKER_BUILDKIT=$bk)"; return 0; }
  docker save "corpus-$name" -o "$T/$name.d.tar"
  $TREE "$T/$name.d.tar" >"$T/$name.d.tree"
  config_of "$T/$name.d.tar" >"$T/$name.d.cfg"
  diff -u "$T/$name.d.tree" "$T/$name.m.tree" >"$T/$name.tree.diff" \
    || { cat "$T/$name.tree.diff" >&2; bad "$name: file trees differ (- docker, + mini)"; }
  diff -u "$T/$name.d.cfg" "$T/$name.m.cfg" >"$T/$name.cfg.diff" \
    || { cat "$T/$name.cfg.diff" >&2; bad "$name: configs differ (- docker, + mini)"; }
  compared=$((compared + 1))
  echo "$name: same as docker build (DOCKER_BUILDKIT=$bk), $(wc -l <"$T/$name.m.tree") entries"
}

compare_expected() {  # NAME
  local name=$1 kind rest path want got
  mini_build "$name" || return 0
  while IFS= read -r line; do
    case $line in '#'* | '') continue ;; esac
    kind=${line%%: *} rest=${line#*: }
    case $kind in
      tree) grep -Fx -- "$rest" "$T/$name.m.tree" >/dev/null || bad "$name: no tree entry [$rest]" ;;
      absent) ! grep -E "^$rest " "$T/$name.m.tree" >/dev/null || bad "$name: [$rest] should be absent" ;;
      cfg) grep -Fx -- "$rest" "$T/$name.m.cfg" >/dev/null || bad "$name: config has no [$rest]: $(cat "$T/$name.m.cfg")" ;;
      content)
        path=${rest%% *} want=$(tr '|' '\n' <<<"${rest#* }")
        got=$(file_of "$T/$name.m.tar" "$path")
        [ "$got" = "$want" ] || bad "$name: $path is [$got], want [$want]" ;;
      *) bad "$name: bad expect line [$line]" ;;
    esac
  done <"$CORPUS/$name/expect"
  compared=$((compared + 1))
  echo "$name: as BuildKit documents it"
}

while read -r c; do compare_docker "$c" 0; done <"$CORPUS/CLASSIC"
while read -r c; do compare_docker "$c" 1; done <"$CORPUS/BUILDKIT"
while read -r c; do compare_expected "$c"; done <"$CORPUS/EXPECTED"
# `mini inspect` shows a built image's Config as `docker image inspect` does: every key mini
# prints, docker prints with the same value (an unset StopSignal is absent, not "").
for c in redis-official metadata-semantics; do
  [ -f "$T/$c.d.tar" ] || continue
  docker image inspect "corpus-$c" >"$T/$c.d.inspect"
  mini inspect "corpus-$c" >"$T/$c.m.inspect"
  python3 - "$T/$c.d.inspect" "$T/$c.m.inspect" <<'PY' || bad "$c: mini inspect differs from docker image inspect"
import json, sys
d = json.load(open(sys.argv[1]))[0]["Config"]
m = json.load(open(sys.argv[2]))[0]["Config"]
diff = [(k, d.get(k, "<absent>"), v) for k, v in m.items() if d.get(k, "<absent>") != v]
for k, dv, mv in diff:
    print(f"  Config.{k}: docker {json.dumps(dv)}, mini {json.dumps(mv)}", file=sys.stderr)
sys.exit(1 if diff else 0)
PY
done
echo "$compared cases compared, $pending pending"
[ "$rc" = 0 ] || fail "the corpus differs"
echo PASS
