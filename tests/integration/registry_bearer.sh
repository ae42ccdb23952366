#!/bin/bash
# Bearer token auth: docker-registry with `auth: token` and a small token server the test runs
# (registry_token_server.py). Anonymous pulls are refused clearly, a wrong password fails login,
# login + push + pull work, and a token is fetched once per scope set and then reused.
# Env: MINI=<binary>, SRC_DIR=<repo>. Exit 0 pass, 77 skip, anything else fail.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"
command -v python3 >/dev/null || { echo "skip: python3 is needed for the token server"; exit 77; }
command -v openssl >/dev/null || { echo "skip: openssl is not installed"; exit 77; }

# Token server.
TPORT=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mini-token" -keyout "$T/tok.key" -out "$T/tok.crt" 2>/dev/null
python3 "$(dirname "$0")/registry_token_server.py" "$TPORT" "$T/tok.key" "$T/tok.crt" mini-issuer mini-service tester:s3cret 2>>"$T/token.log" &
REG_PIDS+=($!)
# Registry with token auth (start_registry writes the config; add the auth section ourselves).
port=$(free_port)
dir=$T/registry-bearer
mkdir -p "$dir/data"
cat >"$dir/config.yml" <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port, secret: mini-test-secret}
auth:
  token: {realm: "http://127.0.0.1:$TPORT/token", service: mini-service, issuer: mini-issuer, rootcertbundle: $T/tok.crt}
YML
docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
REG_PIDS+=($!)
for _ in $(seq 300); do
  curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && curl -s -o /dev/null "http://127.0.0.1:$TPORT/token" && break
  sleep 0.1
done
REG=127.0.0.1:$port
: >"$T/token.log"

import_busybox
ID=$(id_of busybox:latest)
mini tag busybox "$REG/tok/bb:1"

echo "== anonymous"
if mini push "$REG/tok/bb:1" >/dev/null 2>"$T/err"; then fail "anonymous push worked"; fi
grep -q "unauthorized: authentication required" "$T/err" || fail "anonymous push: $(cat "$T/err")"

echo "== wrong password"
if echo nope | mini login -u tester --password-stdin "$REG" >/dev/null 2>"$T/err"; then fail "login with a wrong password"; fi
grep -q "unauthorized: incorrect username or password" "$T/err" || fail "wrong password: $(cat "$T/err")"

echo "== login, push, pull"
echo s3cret | mini login -u tester --password-stdin "$REG" >/dev/null
: >"$T/token.log"
mini push -q "$REG/tok/bb:1" >/dev/null || fail "push with a token"
# One token for the push scope, reused by every request of the push (HEADs, uploads, manifest).
expect_eq "$(grep -c 'repository:tok/bb:pull,push tester' "$T/token.log")" 1 "tokens fetched for the push"
mini tag "$ID" "$REG/tok/other:1"
: >"$T/token.log"
out=$(mini push "$REG/tok/other:1")
grep -q "Mounted from tok/bb" <<<"$out" || fail "no cross-repository mount: $out"
grep -q "repository:tok/bb:pull" "$T/token.log" || fail "mount token without the source scope: $(cat "$T/token.log")"
mini rmi -f "$ID" >/dev/null
: >"$T/token.log"
mini pull -q "$REG/tok/bb:1" >/dev/null || fail "pull with a token"
expect_eq "$(id_of "$REG/tok/bb:1")" "$ID" "image id through Bearer auth"
expect_eq "$(grep -c 'repository:tok/bb:pull tester' "$T/token.log")" 1 "tokens fetched for the pull"
echo PASS
