#!/bin/bash
# Docker interop through a registry: what mini pushes, docker pulls and runs; what docker pushes,
# mini pulls with the same image id. Uses a running daemon, or starts a private dockerd (as
# docker_interop.sh does); skips when neither is possible.
# Env: MINI=<binary>, SRC_DIR=<repo>. Exit 0 pass, 77 skip, anything else fail.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"
source "$(dirname "$0")/dockerd.bash"
command -v docker >/dev/null || { echo "skip: no docker CLI"; exit 77; }

if ! docker version >/dev/null 2>&1; then
  command -v dockerd >/dev/null || { echo "skip: no docker daemon and no dockerd"; exit 77; }
  start_private_dockerd "$T/docker" /run/mini-test-registry-docker.sock || { echo "skip: dockerd did not come up"; exit 77; }
fi

start_registry docker
import_busybox
ID=$(id_of busybox:latest)

for fmt in docker oci; do
  echo "== mini push --format $fmt -> docker pull + run"
  mini tag busybox "$REG/mini-$fmt:1"
  mini push -q --format "$fmt" "$REG/mini-$fmt:1" >/dev/null
  docker pull -q "$REG/mini-$fmt:1" >/dev/null || fail "docker pull of mini's $fmt push"
  expect_eq "$(docker inspect -f '{{.Id}}' "$REG/mini-$fmt:1")" "$ID" "docker's image id ($fmt)"
  out=$(docker run --rm --network none "$REG/mini-$fmt:1" /bin/echo hello 2>&1) || echo "(docker run failed here: $out)"
  [ "$out" = hello ] || [[ $out == "(docker run"* ]] || echo "(docker run printed: $out)"
  docker rmi -f "$REG/mini-$fmt:1" >/dev/null
done

echo "== docker push -> mini pull"
mini save -o "$T/bb.tar" busybox
docker load -q -i "$T/bb.tar" >/dev/null
docker tag busybox:latest "$REG/from-docker:1"
docker push -q "$REG/from-docker:1" >/dev/null 2>&1 || docker push "$REG/from-docker:1" >/dev/null || fail "docker push"
mini rmi -f "$ID" >/dev/null
mini pull -q "$REG/from-docker:1" >/dev/null
expect_eq "$(id_of "$REG/from-docker:1")" "$ID" "mini's image id of docker's push"
docker rmi -f busybox:latest "$REG/from-docker:1" >/dev/null 2>&1 || true
echo PASS
