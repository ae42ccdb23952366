#!/bin/bash
# The Docker user's first commands: unknown commands and flags report like Docker's CLI (message,
# usage line, exit status), --version and `version --format`, `load` of the archive shapes other
# tools write (Docker 25+'s index.json with "manifests": null; OCI layouts holding artifacts
# beside images), and image sizes that count a hard-linked file once.
source "$SRC_DIR/tests/integration/lib.sh"

# expect_fails STATUS WANTED-STDERR-LINE CMD...: CMD fails with STATUS and prints the line.
expect_fails() {
  local want=$1 line=$2 rc=0
  shift 2
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  [ "$rc" = "$want" ] || fail "$*: exit $rc, want $want ($(cat "$T/err"))"
  grep -Fx -- "$line" "$T/err" >/dev/null || fail "$*: no line [$line] in: $(cat "$T/err")"
}

# Unknown commands and flags (docker: unknown command exit 1, flag errors exit 125).
expect_fails 1 "mini: error: 'foo' is not a mini command." mini foo
expect_fails 1 "mini: error: 'bogus' is not a mini network command." mini network bogus
expect_fails 125 "mini: error: unknown flag: --foo" mini run --foo busybox
grep -Fx "Usage:  mini run [OPTIONS] IMAGE [COMMAND] [ARG...]" "$T/err" >/dev/null || fail "run usage line: $(cat "$T/err")"
grep -Fx "See 'mini run --help'." "$T/err" >/dev/null || fail "run help hint"
expect_fails 125 "mini: error: unknown flag: --foo" mini images --foo
expect_fails 125 "mini: error: unknown flag: --nope" mini exec --nope box true
expect_fails 125 "mini: error: unknown flag: --x" mini network ls --x=1
# A flag after the image belongs to the container's command.
import_busybox
expect_eq "$(mini run --rm busybox echo --foo)" "--foo" "flags after the image"

# Version.
v=$(mini --version)
[[ $v =~ ^mini\ version\ [0-9]+\.[0-9]+\.[0-9]+,\ build\ [0-9a-f]{7}|unknown$ ]] || fail "--version: $v"
expect_eq "$(mini version --format '{{.Client.Os}}/{{.Client.Arch}}')" "linux/amd64"
mini version --format '{{json .Client}}' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["Version"] and d["GitCommit"], d'
mini version | grep -E '^ Version: +[0-9]' >/dev/null || fail "version output: $(mini version)"
expect_fails 64 "mini: error: template: function \"nosuch\" not defined" mini version --format '{{nosuch .X}}'

# info.
expect_eq "$(mini info --format '{{.Driver}} {{.DockerRootDir}} {{.Images}}')" "overlay2 $R 1"
[[ "$(mini info --format '{{.CgroupVersion}}')" =~ ^[12]$ ]] || fail "info cgroup version"
mini info | grep -x " Storage Driver: overlay2" >/dev/null || fail "info: $(mini info)"

# Sizes: busybox's applets are hard links to one binary, counted once (docker shows ~1 MB).
mkdir -p "$T/hl/bin"
cp /bin/busybox "$T/hl/bin/busybox"
for a in sh ls cat echo true false sleep env id; do ln "$T/hl/bin/busybox" "$T/hl/bin/$a"; done
tar -C "$T/hl" -c . | mini import - hardlinks:1 >/dev/null
bb=$(stat -c %s /bin/busybox)
size=$(mini inspect --format '{{.Size}}' hardlinks:1 2>/dev/null || mini inspect hardlinks:1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Size"])')
[ "$size" -lt $((bb * 2)) ] || fail "hard links counted per name: size $size for a $bb-byte binary"

# load: Docker 25+ writes an OCI index.json beside manifest.json; for an image saved by id its
# "manifests" is null. Such an archive loads through manifest.json.
mini save -o "$T/d.tar" busybox:latest
mkdir "$T/d25" && tar -C "$T/d25" -xf "$T/d.tar"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":null}' >"$T/d25/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$T/d25/oci-layout"
tar -C "$T/d25" -cf "$T/d25.tar" .
R2=$T/root2
"$MINI" --root "$R2" load -i "$T/d25.tar" >"$T/out" 2>"$T/err" || fail "load of a Docker 25 archive: $(cat "$T/err")"
grep -Fx "Loaded image: busybox:latest" "$T/out" >/dev/null || fail "Docker 25 archive: $(cat "$T/out")"

# load: an OCI layout whose index also holds artifacts (a Helm chart, an artifactType manifest,
# a BuildKit attestation): the image loads, each artifact is skipped with one warning.
mini save --format oci-archive -o "$T/o.tar" busybox:latest
mkdir "$T/oci" && tar -C "$T/oci" -xf "$T/o.tar"
python3 - "$T/oci" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
def blob(b):
    h = hashlib.sha256(b).hexdigest()
    open(os.path.join(d, "blobs/sha256", h), "wb").write(b)
    return {"digest": "sha256:" + h, "size": len(b)}
idx = json.load(open(os.path.join(d, "index.json")))
chart_cfg = blob(b'{"name":"chart","version":"1.0.0"}')
chart_layer = blob(b"not a real chart")
helm = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": dict(chart_cfg, mediaType="application/vnd.cncf.helm.config.v1+json"),
    "layers": [dict(chart_layer, mediaType="application/vnd.cncf.helm.chart.content.v1.tar+gzip")]}).encode()
empty = blob(b"{}")
sbom = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "artifactType": "application/spdx+json", "config": dict(empty, mediaType="application/vnd.oci.empty.v1+json"),
    "layers": [dict(blob(b'{"spdxVersion":"SPDX-2.3"}'), mediaType="application/spdx+json")]}).encode()
att = blob(b"{}")  # never read: skipped by its annotation
idx["manifests"] += [
    dict(blob(helm), mediaType="application/vnd.oci.image.manifest.v1+json", annotations={"org.opencontainers.image.ref.name": "chart:1.0.0"}),
    dict(blob(sbom), mediaType="application/vnd.oci.image.manifest.v1+json"),
    dict(att, mediaType="application/vnd.oci.image.manifest.v1+json", annotations={"vnd.docker.reference.type": "attestation-manifest"}),
]
json.dump(idx, open(os.path.join(d, "index.json"), "w"))
PY
tar -C "$T/oci" -cf "$T/oci.tar" .
R3=$T/root3
"$MINI" --root "$R3" load -i "$T/oci.tar" >"$T/out" 2>"$T/err" || fail "load of an OCI layout with artifacts: $(cat "$T/err")"
grep -Fx "Loaded image: busybox:latest" "$T/out" >/dev/null || fail "artifacts layout: $(cat "$T/out")"
[ "$(grep -c '^mini: warning: load: skipping sha256:' "$T/err")" = 3 ] || fail "want 3 skip warnings: $(cat "$T/err")"
grep -F "not an image (config type application/vnd.cncf.helm.config.v1+json)" "$T/err" >/dev/null || fail "helm warning"
grep -F "not an image (artifact type application/spdx+json)" "$T/err" >/dev/null || fail "sbom warning"
grep -F "an attestation manifest" "$T/err" >/dev/null || fail "attestation warning"
expect_eq "$("$MINI" --root "$R3" run --rm busybox echo loaded)" "loaded"
"$MINI" --root "$R3" images | grep -w chart >/dev/null && fail "the chart was loaded as an image"
# --format and --filter on ps, images and inspect.
mini tag busybox app/web:1.0
mini create --name fc1 busybox true >/dev/null
mini run --name fc2 busybox sh -c 'exit 3' || true
mini run -d --name fc3 busybox sleep 30 >/dev/null
on_exit remove_all_containers
expect_eq "$(mini ps -a --format '{{.Names}} {{.State}}' | sort | tr '\n' ' ')" "fc1 created fc2 exited fc3 running "
expect_eq "$(mini ps --format '{{.Names}}')" "fc3" "ps without -a: running only"
expect_eq "$(mini ps --filter status=exited --format 'table {{.Names}}\t{{.Status}}' | head -1)" "NAMES   STATUS"
expect_eq "$(mini ps -f exited=3 --format '{{.Names}}')" "fc2"
expect_eq "$(mini ps -f name=fc -f status=created --format '{{.Names}}')" "fc1"
expect_eq "$(mini ps -l --format '{{.Names}}')" "fc3"
expect_eq "$(mini ps -a -f ancestor=app/web:1.0 -q | wc -l)" "3" "ancestor by another name of the image"
mini ps -a --format '{{json .}}' | head -1 | python3 -c 'import json,sys; d=json.load(sys.stdin); assert set(d) >= {"ID","Image","Names","State","Status","Ports","Command","CreatedAt","RunningFor"}, d'
expect_fails 1 "mini: error: invalid filter 'bogus'" mini ps -f bogus=1
expect_fails 125 "mini: error: bad format of filter (expected name=value)" mini images -f dangling
expect_eq "$(mini images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" "app/web:1.0 busybox:latest hardlinks:1 "
expect_eq "$(mini images -f reference='app/*' --format '{{.Repository}}')" "app/web"
expect_eq "$(mini images -f dangling=true -q)" ""
expect_eq "$(mini inspect -f '{{.State.Status}} {{.Name}}' fc3)" "running /fc3"
expect_eq "$(mini inspect --format '{{index .RepoTags 0}}' app/web:1.0)" "app/web:1.0"
rc=0; mini inspect nosuch >"$T/out" 2>"$T/err" || rc=$?
expect_eq "$rc" 1 "inspect of a missing object (docker: 1)"
expect_eq "$(cat "$T/out")" "[]"
grep -Fx "mini: error: No such object: nosuch" "$T/err" >/dev/null || fail "inspect missing: $(cat "$T/err")"
# A container named like the start of an image id is the container (Docker looks for a
# container first).
img_prefix=$(mini images -q busybox | cut -c1-3)
mini create --name "$img_prefix" busybox true >/dev/null
expect_eq "$(mini inspect -f '{{.Name}}' "$img_prefix")" "/$img_prefix" "inspect prefers the container"
expect_eq "$(mini inspect --type image -f '{{.Id}}' "$img_prefix" | cut -c8-10)" "$img_prefix" "--type image"
mini rm "$img_prefix" >/dev/null
echo PASS
