#!/bin/bash
# Registry configuration where users keep it, read under $MINI_CONFIG_ROOT (a prefix for /etc,
# so the host's /etc is never read or written): certs.d in /etc/docker/certs.d (a CA made
# here, and the error for a client certificate without its key), a mirror in registries.conf
# (pulled through while the origin is down, passed over when it lacks the image, the image
# named after the origin), a blocked registry refused without any request, aliases and
# unqualified-search-registries, daemon.json insecure-registries (CIDR) shown by `mini info`,
# and a docker-credential-test helper against an htpasswd registry.
# Env: MINI=<binary>, SRC_DIR=<repo>. Exit 0 pass, 77 skip, anything else fail.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"
command -v htpasswd >/dev/null || { echo "skip: htpasswd (apache2-utils) is not installed"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 is not installed"; exit 77; }

export MINI_CONFIG_ROOT=$T/root CONTAINERS_REGISTRIES_CONF=$T/registries.conf XDG_RUNTIME_DIR=$T/run
export MINI_REGISTRY_BACKOFF_MS=10
mkdir -p "$MINI_CONFIG_ROOT/etc/docker" "$XDG_RUNTIME_DIR"
import_busybox
ID=$(id_of busybox:latest)

echo "== a TLS mirror trusted through /etc/docker/certs.d"
start_registry mirror "" tls
MIRROR=$REG MIRROR_DIR=$REG_DIR
mini tag busybox "$MIRROR/lib/box:1"
if mini push "$MIRROR/lib/box:1" >/dev/null 2>"$T/err"; then fail "pushed to a registry with an unknown CA"; fi
grep -i "certificate" "$T/err" >/dev/null || fail "unknown CA: $(cat "$T/err")"
CERTS=$MINI_CONFIG_ROOT/etc/docker/certs.d/$MIRROR
mkdir -p "$CERTS"
cp "$MIRROR_DIR/cert.pem" "$CERTS/ca.crt"
mini push -q "$MIRROR/lib/box:1" >/dev/null || fail "push with the CA in docker's certs.d"
touch "$CERTS/client.cert"
if mini pull "$MIRROR/lib/box:1" >/dev/null 2>"$T/err"; then fail "pulled with a client certificate without its key"; fi
grep "missing key $CERTS/client.key for client certificate $CERTS/client.cert" "$T/err" >/dev/null \
  || fail "lone client.cert: $(cat "$T/err")"
rm "$CERTS/client.cert"

# mirrors_conf PREFIX MIRROR...: registries.conf with one [[registry]] and its mirrors, in order.
mirrors_conf() {
  local prefix=$1 m
  shift
  printf '[[registry]]\nprefix = "%s"\n' "$prefix" >"$CONTAINERS_REGISTRIES_CONF"
  for m in "$@"; do printf '[[registry.mirror]]\nlocation = "%s"\n' "$m" >>"$CONTAINERS_REGISTRIES_CONF"; done
}

echo "== pull through the mirror while the origin is down"
DOWN=127.0.0.1:$(free_port)
mirrors_conf "$DOWN" "$MIRROR"
mini rmi -f "$MIRROR/lib/box:1" busybox >/dev/null
out=$(mini pull "$DOWN/lib/box:1") || fail "pull through the mirror"
grep "^$DOWN/lib/box:1\$" <<<"$out" >/dev/null || fail "pull output: $out"
expect_eq "$(id_of "$DOWN/lib/box:1")" "$ID" "image id through the mirror"
expect_eq "$(mini images --format '{{.Repository}}:{{.Tag}}')" "$DOWN/lib/box:1" "the image is named after the origin"

echo "== fall back to the origin when the mirror lacks the image"
start_registry origin
ORIGIN=$REG
mini tag "$ID" "$ORIGIN/lib/app:1"
mini push -q "$ORIGIN/lib/app:1" >/dev/null
mirrors_conf "$ORIGIN" "$MIRROR"
mini rmi -f "$ID" >/dev/null
mini --debug pull -q "$ORIGIN/lib/app:1" >/dev/null 2>"$T/err" || fail "pull with a mirror lacking the image: $(cat "$T/err")"
grep "mirror $MIRROR: .*not found" "$T/err" >/dev/null || fail "the mirror was not asked first: $(cat "$T/err")"
expect_eq "$(id_of "$ORIGIN/lib/app:1")" "$ID" "image id from the origin"

echo "== mirrors that refuse (401) or fail TLS are passed over too (Docker's rule)"
start_registry authmirror htpasswd
AUTHMIRROR=$REG
start_registry badtls "" tls
BADTLS=$REG
mirrors_conf "$ORIGIN" "$AUTHMIRROR" "$BADTLS"
mini rmi -f "$ID" >/dev/null
mini --debug pull -q "$ORIGIN/lib/app:1" >/dev/null 2>"$T/err" || fail "pull past a 401 and a TLS mirror: $(cat "$T/err")"
grep "mirror $AUTHMIRROR: .*trying the next mirror" "$T/err" >/dev/null || fail "the 401 mirror: $(cat "$T/err")"
grep "mirror $BADTLS: .*trying the origin" "$T/err" >/dev/null || fail "the TLS mirror: $(cat "$T/err")"
expect_eq "$(id_of "$ORIGIN/lib/app:1")" "$ID" "image id from the origin past two failing mirrors"
mirrors_conf "$ORIGIN" "$MIRROR"

echo "== a blocked registry is refused before any request"
LISTEN=$(free_port)
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
while True:
    c, _ = s.accept(); open(sys.argv[2], "a").write("connection\n"); c.close()
' "$LISTEN" "$T/blocked-hits" &
REG_PIDS+=($!)
for _ in $(seq 100); do [ -n "$(ss -Hltn "sport = :$LISTEN")" ] && break; sleep 0.05; done
BLOCKED=127.0.0.1:$LISTEN
printf '[[registry]]\nprefix = "%s"\nblocked = true\n' "$BLOCKED" >>"$CONTAINERS_REGISTRIES_CONF"
if mini pull "$BLOCKED/x:1" >/dev/null 2>"$T/err"; then fail "pulled from a blocked registry"; fi
expect_eq "$(cat "$T/err")" "mini: error: pull $BLOCKED/x:1: registry \"$BLOCKED\" is blocked in $CONTAINERS_REGISTRIES_CONF" "blocked pull"
mini tag "$ID" "$BLOCKED/x:1"
if mini push "$BLOCKED/x:1" >/dev/null 2>"$T/err"; then fail "pushed to a blocked registry"; fi
grep "registry \"$BLOCKED\" is blocked in $CONTAINERS_REGISTRIES_CONF" "$T/err" >/dev/null || fail "blocked push: $(cat "$T/err")"
[ ! -e "$T/blocked-hits" ] || fail "a blocked registry got $(wc -l <"$T/blocked-hits") connection(s)"

echo "== aliases and unqualified-search-registries"
mkdir -p "$MINI_CONFIG_ROOT/etc/containers/registries.conf.d"
printf '[aliases]\n"mybox" = "%s/lib/app"\n' "$ORIGIN" >"$MINI_CONFIG_ROOT/etc/containers/registries.conf.d/50-alias.conf"
mini rmi -f "$ID" >/dev/null
expect_eq "$(mini pull -q mybox:1)" "$ORIGIN/lib/app:1" "pull of an alias"
printf 'unqualified-search-registries = ["%s", "%s"]\n' "$MIRROR" "$ORIGIN" >"$MINI_CONFIG_ROOT/etc/containers/registries.conf.d/60-search.conf"
mini rmi -f "$ID" >/dev/null
expect_eq "$(mini pull -q lib/app:1)" "$ORIGIN/lib/app:1" "pull of a short name through the search registries"
rm "$MINI_CONFIG_ROOT"/etc/containers/registries.conf.d/*.conf

echo "== daemon.json insecure-registries (CIDR) and mini info"
rm -r "$CERTS"
if mini pull -q "$MIRROR/lib/box:1" >/dev/null 2>&1; then fail "pulled from an untrusted TLS registry"; fi
printf '{"insecure-registries": ["127.0.0.0/8"], "registry-mirrors": ["https://hub-mirror.invalid"]}\n' \
  >"$MINI_CONFIG_ROOT/etc/docker/daemon.json"
mini pull -q "$MIRROR/lib/box:1" >/dev/null || fail "pull from an insecure registry"
info=$(mini info)
grep -A3 "^ Insecure Registries:" <<<"$info" | grep "^  127.0.0.0/8$" >/dev/null || fail "info: $info"
grep -A3 "^ Registry Mirrors:" <<<"$info" | grep "^  https://hub-mirror.invalid/$" >/dev/null || fail "info: $info"
grep -A3 "^ Registry Mirrors:" <<<"$info" | grep "^  $MIRROR (for $ORIGIN)$" >/dev/null || fail "info: $info"
rm "$MINI_CONFIG_ROOT/etc/docker/daemon.json"

echo "== a credential helper (credHelpers) against an htpasswd registry"
start_registry auth htpasswd
mkdir -p "$T/bin" "$DOCKER_CONFIG"
cat >"$T/bin/docker-credential-test" <<HELPER
#!/bin/sh
[ "\$1" = get ] || exit 2
read -r url
echo "\$url" >>"$T/helper-asked"
if [ "\$url" = "$REG" ]; then
  echo '{"ServerURL":"'"\$url"'","Username":"tester","Secret":"'"\$(cat "$T/helper-secret")"'"}'
else
  echo "credentials not found in native keychain"; exit 1
fi
HELPER
chmod +x "$T/bin/docker-credential-test"
export PATH=$T/bin:$PATH
echo s3cret >"$T/helper-secret"
printf '{"credHelpers": {"%s": "test"}}\n' "$REG" >"$DOCKER_CONFIG/config.json"
mini tag "$ID" "$REG/secret:1"
mini push -q "$REG/secret:1" >/dev/null || fail "push with the helper's credentials"
mini rmi -f "$ID" >/dev/null
mini pull -q "$REG/secret:1" >/dev/null || fail "pull with the helper's credentials"
expect_eq "$(id_of "$REG/secret:1")" "$ID" "image id through the helper's credentials"
grep "^$REG\$" "$T/helper-asked" >/dev/null || fail "helper asked: $(cat "$T/helper-asked")"
echo wrong >"$T/helper-secret"
mini rmi -f "$ID" >/dev/null
if mini pull "$REG/secret:1" >/dev/null 2>"$T/err"; then fail "pulled with the helper's wrong password"; fi
grep "unauthorized" "$T/err" >/dev/null || fail "wrong helper password: $(cat "$T/err")"
echo "== credsStore"
printf '{"credsStore": "test"}\n' >"$DOCKER_CONFIG/config.json"
echo s3cret >"$T/helper-secret"
mini pull -q "$REG/secret:1" >/dev/null || fail "pull with credsStore"
echo PASS
