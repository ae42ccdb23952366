#!/bin/bash
# Registry authentication and TLS against docker-registry with htpasswd Basic auth: clear errors
# without login and with a wrong password, mini login/logout and the 0600 credential file, the
# ~/.docker/config.json fallback, and a TLS registry trusted through /etc/mini/certs.d
# (under $MINI_CONFIG_ROOT).
# Env: MINI=<binary>, SRC_DIR=<repo>. Exit 0 pass, 77 skip, anything else fail.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"
command -v htpasswd >/dev/null || { echo "skip: htpasswd (apache2-utils) is not installed"; exit 77; }

start_registry basic htpasswd
import_busybox
ID=$(id_of busybox:latest)
mini tag busybox "$REG/secret:1"

echo "== without login"
if mini push "$REG/secret:1" >/dev/null 2>"$T/err"; then fail "pushed without credentials"; fi
grep -q "unauthorized: authentication required" "$T/err" || fail "no-login push: $(cat "$T/err")"
if mini pull "$REG/secret:1" >/dev/null 2>"$T/err"; then fail "pulled without credentials"; fi
grep -q "^mini: error: pull $REG/secret:1: manifest secret:1: unauthorized: authentication required" "$T/err" \
  || fail "no-login pull: $(cat "$T/err")"

echo "== wrong password"
if echo wrong | mini login -u tester --password-stdin "$REG" >/dev/null 2>"$T/err"; then fail "login with a wrong password"; fi
grep -q "unauthorized: incorrect username or password" "$T/err" || fail "wrong password: $(cat "$T/err")"
[ ! -e "$XDG_CONFIG_HOME/mini/auth.json" ] || fail "a failed login stored credentials"

echo "== login, push, pull"
out=$(echo s3cret | mini login -u tester --password-stdin "$REG")
expect_eq "$out" "Login Succeeded" "login output"
expect_eq "$(stat -c %a "$XDG_CONFIG_HOME/mini/auth.json")" 600 "auth.json mode"
grep -q "\"$REG\"" "$XDG_CONFIG_HOME/mini/auth.json" || fail "auth.json: $(cat "$XDG_CONFIG_HOME/mini/auth.json")"
mini push -q "$REG/secret:1" >/dev/null
mini rmi -f "$ID" >/dev/null
mini pull -q "$REG/secret:1" >/dev/null
expect_eq "$(id_of "$REG/secret:1")" "$ID" "image id through Basic auth"

echo "== logout"
expect_eq "$(mini logout "$REG")" "Removing login credentials for $REG" "logout output"
expect_eq "$(mini logout "$REG")" "Not logged in to $REG" "second logout"
mini rmi -f "$ID" >/dev/null
if mini pull "$REG/secret:1" >/dev/null 2>&1; then fail "pulled after logout"; fi

echo "== ~/.docker/config.json fallback, ~/.config/mini without XDG_CONFIG_HOME"
mkdir -p "$DOCKER_CONFIG"
printf '{"auths":{"http://%s":{"auth":"%s"}}}' "$REG" "$(printf tester:s3cret | base64)" >"$DOCKER_CONFIG/config.json"
mini pull -q "$REG/secret:1" >/dev/null || fail "pull with Docker's config.json"
rm "$DOCKER_CONFIG/config.json"
(unset XDG_CONFIG_HOME; echo s3cret | mini login -u tester --password-stdin "$REG" >/dev/null)
[ -f "$HOME/.config/mini/auth.json" ] || fail "no ~/.config/mini/auth.json"
expect_eq "$(stat -c %a "$HOME/.config/mini/auth.json")" 600 "~/.config/mini/auth.json mode"

echo "== TLS with a CA in /etc/mini/certs.d (under \$MINI_CONFIG_ROOT, not the host's /etc)"
start_registry tls htpasswd tls
export MINI_CONFIG_ROOT=$T/config-root
CERTS=$MINI_CONFIG_ROOT/etc/mini/certs.d/$REG
mini tag "$ID" "$REG/tls:1"
if echo s3cret | mini login -u tester --password-stdin "$REG" >/dev/null 2>"$T/err"; then fail "trusted an unknown CA"; fi
grep -qi "certificate" "$T/err" || fail "untrusted CA error: $(cat "$T/err")"
echo s3cret | mini login --tls-verify=false -u tester --password-stdin "$REG" >/dev/null || fail "login --tls-verify=false"
if mini push "$REG/tls:1" >/dev/null 2>"$T/err"; then fail "pushed to an untrusted TLS registry"; fi
mkdir -p "$CERTS"
cp "$REG_DIR/cert.pem" "$CERTS/ca.crt"
mini push -q "$REG/tls:1" >/dev/null
mini rmi -f "$ID" >/dev/null
mini pull -q "$REG/tls:1" >/dev/null
expect_eq "$(id_of "$REG/tls:1")" "$ID" "image id over TLS"
echo PASS
