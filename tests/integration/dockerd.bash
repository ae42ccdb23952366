# A private dockerd for interop tests and benchmarks (sourced). Never pulls: no network here.
#   start_private_dockerd DIR SOCK [EXTRA_FLAGS...]  data, exec root, pid file and log under DIR;
#       exports DOCKER_HOST=unix://SOCK and DOCKERD_PID; waits up to 60 s for it to answer.
#       Returns 1, with the log's tail on stdout, if it never does.
#       Registers stop_private_dockerd with on_exit, so a script need not stop it itself.
#   stop_private_dockerd    TERM, up to 30 s for it to go, then KILL; removes the socket.
source "$(dirname "${BASH_SOURCE[0]}")/on_exit.bash"
DOCKERD_PID=
DOCKERD_SOCK=
DOCKERD_REGISTERED=

start_private_dockerd() {
  local dir=$1 sock=$2
  shift 2
  mkdir -p "$dir/data" "$dir/exec"
  if [ -z "$DOCKERD_REGISTERED" ]; then on_exit stop_private_dockerd; DOCKERD_REGISTERED=1; fi
  dockerd --default-ulimit nofile=1024:1024 --data-root "$dir/data" --exec-root "$dir/exec" \
    --pidfile "$dir/dockerd.pid" --host "unix://$sock" --bridge none --iptables=false "$@" \
    >"$dir/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  DOCKERD_SOCK=$sock
  export DOCKER_HOST=unix://$sock
  for _ in $(seq 1 60); do
    docker version >/dev/null 2>&1 && return 0
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 1
  done
  docker version >/dev/null 2>&1 && return 0
  tail -n 20 "$dir/dockerd.log"
  return 1
}

stop_private_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  kill "$DOCKERD_PID" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
  kill -9 "$DOCKERD_PID" 2>/dev/null || true
  wait "$DOCKERD_PID" 2>/dev/null || true
  rm -f "$DOCKERD_SOCK"
  DOCKERD_PID=
}
