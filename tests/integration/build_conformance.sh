#!/bin/bash
# Docker conformance: the same Minifiles built by `docker build` (legacy builder, private
# dockerd) and by `mini build` on the same busybox base must give the same flattened file tree
# (path, type, mode, owner, size, link target) and the same config (Env, Cmd, Entrypoint,
# WorkingDir, User, Labels, ExposedPorts, Volumes, StopSignal, Healthcheck). Per-layer trees are
# printed when they differ (both make a layer for WORKDIR; mini's, as BuildKit's, also when the
# directory exists).
# Skips (77) without dockerd or when it does not come up within 60 s.
source "$SRC_DIR/tests/integration/lib.sh"
source "$SRC_DIR/tests/integration/dockerd.bash"
command -v docker >/dev/null || { echo "skip: no docker CLI"; exit 77; }
command -v dockerd >/dev/null || { echo "skip: no dockerd"; exit 77; }
TREE="python3 $SRC_DIR/tests/build_testdata/tree_of.py"
export DOCKER_BUILDKIT=0
if ! start_private_dockerd "$T/d" /run/mini-test-docker-conformance.sock; then
  echo "skip: dockerd did not come up within 60 s"
  exit 77
fi
echo "docker $(docker version -f '{{.Server.Version}}')"

import_busybox busybox:latest
mini save busybox:latest | docker load >/dev/null || fail "docker load of the busybox base"

# The COPY-rules context (no --chmod: the legacy builder refuses it).
C=$T/copyrules
mkdir -p "$C/dir/sub" "$C/logs/deep" "$T/arc/pkg"
echo file >"$C/file.txt"; echo two >"$C/two.txt"; echo inner >"$C/dir/sub/inner"; echo top >"$C/dir/top"
chmod 0751 "$C/dir/top"; chmod 0700 "$C/dir/sub"
ln -s file.txt "$C/inner-link"
echo a >"$C/logs/a.log"; echo b >"$C/logs/deep/b.log"; echo k >"$C/logs/keep.log"; echo ok >"$C/logs/ok.txt"
echo payload >"$T/arc/pkg/f"
tar -C "$T/arc" -czf "$C/a.tar.gz" pkg
chown -R 1234:1234 "$C"
printf '**/*.log\n!logs/keep.log\n' >"$C/.dockerignore"
cat >"$C/Minifile" <<'MF'
FROM busybox:latest
COPY file.txt /dst
COPY file.txt /d/
COPY dir /target/
COPY *.txt /g/
COPY --chown=user:user file.txt /o
COPY --chown=42:43 dir /n/
COPY inner-link /ln
COPY logs /l/
COPY file.txt /bin/
ADD a.tar.gz /opt/
ADD file.txt /plain
WORKDIR /w
COPY file.txt rel.txt
COPY dir /deep/new/dir/
RUN mkdir -p /made && chmod 0700 /made && ln -s /made /madelink && touch /made/x && rm /etc/group
MF

config_of() { python3 "$SRC_DIR/tests/build_testdata/config_of.py" "$1"; }  # ARCHIVE -> compared config fields

rc=0
compare() {  # NAME CONTEXT [build args...]
  local name=$1 ctx=$2; shift 2
  local dargs=() margs=()
  for a in "$@"; do dargs+=(--build-arg "$a"); margs+=(--build-arg "$a"); done
  docker build -q --network none -f "$ctx/Minifile" -t "conf-$name" "${dargs[@]}" "$ctx" >"$T/$name.dbuild" 2>&1 \
    || { cat "$T/$name.dbuild"; fail "$name: docker build"; }
  mini build -q --network none -t "conf-$name" "${margs[@]}" "$ctx" >"$T/$name.mbuild" 2>&1 \
    || { cat "$T/$name.mbuild"; fail "$name: mini build"; }
  docker save "conf-$name" -o "$T/$name.d.tar"
  mini save -o "$T/$name.m.tar" "conf-$name"
  $TREE "$T/$name.d.tar" >"$T/$name.d.tree"
  $TREE "$T/$name.m.tar" >"$T/$name.m.tree"
  config_of "$T/$name.d.tar" >"$T/$name.d.cfg"
  config_of "$T/$name.m.tar" >"$T/$name.m.cfg"
  if ! diff -u "$T/$name.d.tree" "$T/$name.m.tree" >"$T/$name.tree.diff"; then
    echo "FAIL: $name: file trees differ (- docker, + mini):" >&2
    cat "$T/$name.tree.diff" >&2
    rc=1
  fi
  if ! diff -u "$T/$name.d.cfg" "$T/$name.m.cfg" >"$T/$name.cfg.diff"; then
    echo "FAIL: $name: configs differ (- docker, + mini):" >&2
    cat "$T/$name.cfg.diff" >&2
    rc=1
  fi
  $TREE "$T/$name.d.tar" --layers >"$T/$name.d.layers"
  $TREE "$T/$name.m.tar" --layers >"$T/$name.m.layers"
  if ! diff -q "$T/$name.d.layers" "$T/$name.m.layers" >/dev/null; then
    echo "note: $name: per-layer trees differ (- docker, + mini):"
    { diff -u "$T/$name.d.layers" "$T/$name.m.layers" || true; } | sed -n '3,40p'
  fi
  echo "$name: $(wc -l <"$T/$name.d.tree") entries compared"
}

E=$SRC_DIR/Minifile-examples
compare hello "$E/hello"
compare shell-app "$E/shell-app" GREETING=hi
compare whiteouts "$E/whiteouts"
compare copyrules "$C"
[ "$rc" = 0 ] || fail "mini build differs from docker build"
echo PASS
