# Registry fixture for the registry_*.sh tests (sourced after lib.sh; not a test itself: ctest
# only runs *.sh). start_registry runs Debian's docker-registry on a free 127.0.0.1 port with
# storage under $T, optionally with htpasswd Basic auth and/or TLS, and waits until /v2/ answers.
# Everything it starts is stopped, and everything it installs removed, at exit.

command -v docker-registry >/dev/null || { echo "skip: docker-registry is not installed"; exit 77; }

REG_PIDS=()
REG_CLEANUP=()
registry_cleanup() {
  local p s=0
  for p in "${REG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${REG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for p in "${REG_CLEANUP[@]}"; do rm -rf "$p" || s=1; done
  return "$s"
}
on_exit registry_cleanup
# Credentials written by `mini login` go to the test's own dir.
export XDG_CONFIG_HOME=$T/config HOME=$T/home DOCKER_CONFIG=$T/docker-config
mkdir -p "$HOME"

free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 20000))
    [ -z "$(ss -Hltn "sport = :$p")" ] && { echo "$p"; return; }
  done
  fail "no free port"
}

# start_registry NAME [htpasswd] [tls]: sets REG (127.0.0.1:PORT), REG_STORE (its storage dir).
start_registry() {
  local name=$1 auth=${2:-} tls=${3:-} port dir
  port=$(free_port)
  dir=$T/registry-$name
  mkdir -p "$dir/data"
  {
    echo "version: 0.1"
    echo "log: {level: error, accesslog: {disabled: true}}"
    echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    echo "  secret: mini-test-secret"
    if [ "$tls" = tls ]; then
      openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
      echo "  tls: {certificate: $dir/cert.pem, key: $dir/key.pem}"
    fi
    if [ "$auth" = htpasswd ]; then
      command -v htpasswd >/dev/null || { echo "skip: htpasswd (apache2-utils) is not installed"; exit 77; }
      htpasswd -Bbc "$dir/htpasswd" tester s3cret 2>/dev/null
      echo "auth: {htpasswd: {realm: mini-test, path: $dir/htpasswd}}"
    fi
  } >"$dir/config.yml"
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  REG_PIDS+=($!)
  local scheme=http
  [ "$tls" = tls ] && scheme=https
  for _ in $(seq 300); do
    if curl -sk -o /dev/null "$scheme://127.0.0.1:$port/v2/"; then
      REG=127.0.0.1:$port
      REG_STORE=$dir/data/docker/registry/v2
      REG_DIR=$dir
      return
    fi
    sleep 0.1
  done
  cat "$dir/log" >&2
  fail "registry $name did not start"
}

# blob_file DIGEST: the registry's data file of a blob.
blob_file() {
  local hex=${1#sha256:}
  echo "$REG_STORE/blobs/sha256/${hex:0:2}/$hex/data"
}

id_of() { mini inspect "$1" | sed -n 's/^ *"Id": "\(sha256:[0-9a-f]*\)".*/\1/p' | head -n1; }
manifest_digest_of() { mini inspect "$1" | tr -d ' \n' | sed -n 's/.*"Descriptor":{[^}]*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p'; }
repo_digests_of() { mini inspect "$1" | tr -d ' \n' | sed -n 's/.*"RepoDigests":\[\([^]]*\)\].*/\1/p'; }
# store_is_empty: no image, layer, blob or temp entry in $R.
store_is_empty() {
  [ -z "$(ls -A "$R/tmp" 2>/dev/null)" ] || { echo "tmp: $(ls -A "$R/tmp")"; return 1; }
  [ -z "$(ls -A "$R/layers" 2>/dev/null | grep -v '^\.')" ] || { echo "layers: $(ls -A "$R/layers")"; return 1; }
  [ -z "$(mini images -q 2>/dev/null)" ] || { echo "images: $(mini images -q)"; return 1; }
}

# --- Handcrafted images, uploaded with curl (plain-HTTP registries only) ---
sha_of() { sha256sum "$1" | cut -d' ' -f1; }
size_of() { stat -c %s "$1"; }

# upload_blob REPO FILE: monolithic upload; prints sha256:<hex>.
upload_blob() {
  local repo=$1 f=$2 d loc
  d=sha256:$(sha_of "$f")
  loc=$(curl -fsS -D - -o /dev/null -X POST "http://$REG/v2/$repo/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case $loc in http*) ;; *) loc="http://$REG$loc" ;; esac
  case $loc in *\?*) loc="$loc&digest=$d" ;; *) loc="$loc?digest=$d" ;; esac
  curl -fsS -o /dev/null -X PUT -H "Content-Type: application/octet-stream" --data-binary @"$f" "$loc"
  echo "$d"
}

# put_manifest REPO REF MEDIA_TYPE FILE
put_manifest() {
  curl -fsS -o /dev/null -X PUT -H "Content-Type: $3" --data-binary @"$4" "http://$REG/v2/$1/manifests/$2"
}

# make_layer NAME COMPRESSION(gzip|zstd) CONTENT: a layer holding /NAME.txt with CONTENT (and a
# 1 MB file of NAME's random bytes so layers have some weight). Sets L_FILE, L_DIFF (sha256:..).
# A NAME made before is reused, so images can share layers.
make_layer() {
  local name=$1 comp=$2 content=$3 d=$T/layers/$1
  if [ -f "$d/layer.tar" ]; then
    L_DIFF=sha256:$(sha_of "$d/layer.tar")
    if [ "$comp" = zstd ]; then L_FILE=$d/layer.tar.zst; else L_FILE=$d/layer.tar.gz; fi
    return
  fi
  mkdir -p "$d/data"
  printf '%s\n' "$content" >"$d/data/$name.txt"
  head -c 1000000 /dev/urandom >"$d/data/$name.bin"
  tar --sort=name --mtime=@0 --owner=0 --group=0 -C "$d/data" -cf "$d/layer.tar" .
  L_DIFF=sha256:$(sha_of "$d/layer.tar")
  if [ "$comp" = zstd ]; then zstd -q -f "$d/layer.tar" -o "$d/layer.tar.zst"; L_FILE=$d/layer.tar.zst
  else gzip -n -c "$d/layer.tar" >"$d/layer.tar.gz"; L_FILE=$d/layer.tar.gz; fi
}

# push_image REPO TAG ARCH MANIFEST_TYPE LAYER_SPEC...: LAYER_SPEC is NAME:COMPRESSION. Uploads the
# layers, a config and a manifest (Docker schema2 or OCI by MANIFEST_TYPE=docker|oci); sets
# M_FILE, M_DIGEST, M_SIZE, C_DIGEST, LAYER_DIGESTS (array).
push_image() {
  local repo=$1 tag=$2 arch=$3 kind=$4; shift 4
  local diffs="" layers="" spec name comp ltype d cfg mt ct
  LAYER_DIGESTS=()
  for spec in "$@"; do
    name=${spec%%:*} comp=${spec#*:}
    make_layer "$name" "$comp" "layer $name for $arch"
    d=$(upload_blob "$repo" "$L_FILE")
    LAYER_DIGESTS+=("$d")
    if [ "$kind" = docker ]; then ltype=application/vnd.docker.image.rootfs.diff.tar.gzip
    elif [ "$comp" = zstd ]; then ltype=application/vnd.oci.image.layer.v1.tar+zstd
    else ltype=application/vnd.oci.image.layer.v1.tar+gzip; fi
    diffs="$diffs${diffs:+,}\"$L_DIFF\""
    layers="$layers${layers:+,}{\"mediaType\":\"$ltype\",\"digest\":\"$d\",\"size\":$(size_of "$L_FILE")}"
  done
  cfg=$T/config-$repo-$tag-$arch.json
  cfg=${cfg//\//_}; cfg=$T/${cfg##*/}
  printf '{"architecture":"%s","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$arch" "$diffs" >"$cfg"
  C_DIGEST=$(upload_blob "$repo" "$cfg")
  if [ "$kind" = docker ]; then mt=application/vnd.docker.distribution.manifest.v2+json ct=application/vnd.docker.container.image.v1+json
  else mt=application/vnd.oci.image.manifest.v1+json ct=application/vnd.oci.image.config.v1+json; fi
  M_FILE=$cfg.manifest
  printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%s},"layers":[%s]}' \
    "$mt" "$ct" "$C_DIGEST" "$(size_of "$cfg")" "$layers" >"$M_FILE"
  M_DIGEST=sha256:$(sha_of "$M_FILE") M_SIZE=$(size_of "$M_FILE") M_TYPE=$mt
  put_manifest "$repo" "$tag" "$mt" "$M_FILE"
}

# push_app_image BYTES: builds $REG/app:1 (busybox, then a COPY of BYTES of incompressible data
# in $T/ctx/big, then a RUN writing /ran), pushes it and saves it to $T/app.tar.
push_app_image() {
  mkdir -p "$T/ctx"
  head -c "$1" /dev/urandom >"$T/ctx/big"
  printf 'FROM busybox\nCOPY big /big\nRUN echo ran > /ran\n' >"$T/ctx/Minifile"
  mini build -q -t "$REG/app:1" "$T/ctx" >/dev/null
  mini push -q "$REG/app:1" >/dev/null
  mini save -o "$T/app.tar" "$REG/app:1"
}
