# A private dockerd for interop tests and benchmarks (sourced). Never pulls: no network here.
#   start_private_dockerd DIR SOCK [EXTRA_FLAGS...]  data, exec root, pid file and log under DIR;
#       exports DOCKER_HOST=unix://SOCK and DOCKERD_PID; waits up to 60 s for it to answer.
#       Returns 1, with the log's tail on stdout, if it never does (and stops it). Registers
#       stop_private_dockerd with on_exit, so a script need not stop it itself.
#   stop_private_dockerd    TERM, up to 30 s for it to go, then KILL; removes the socket and the
#       bridge. Returns 1, naming what changed, when the host's docker0 is not as start found it.
# The host's own Docker must not notice. `dockerd --bridge none` deletes the host's docker0 (moby
# removes the default bridge interface when the bridge is disabled), and without --bridge
# dockerd takes docker0 itself. So the private dockerd gets a bridge of its own, mtdk<pid>,
# created here with the first address of a /24 that no route of the host covers or overlaps,
# and deleted at stop; `--bridge NAME` with an address on NAME is what dockerd 20.10 wants (it
# refuses --bip beside --bridge). --iptables=false and --ip-forward=false leave the host's
# firewall and its net.ipv4.ip_forward alone.
source "$(dirname "${BASH_SOURCE[0]}")/on_exit.bash"
DOCKERD_PID=
DOCKERD_SOCK=
DOCKERD_BRIDGE=
DOCKERD_REGISTERED=
DOCKER0_BEFORE=

# docker0_state: one line naming docker0's ifindex (a deleted and re-created bridge gets a new
# one), link flags (less the carrier ones, which the host's containers change), MTU, MAC and
# addresses; or "absent".
docker0_state() {
  local link flags addrs
  link=$(ip -o link show dev docker0 2>/dev/null) || { echo absent; return 0; }
  flags=$(sed 's/^[^<]*<\([^>]*\)>.*/\1/' <<<"$link" | tr , '\n' | grep -vxE 'LOWER_UP|NO-CARRIER|M-DOWN' | sort | tr '\n' ,)
  addrs=$(ip -o addr show dev docker0 | awk '$4 !~ /^fe80:/ {print $4}' | sort | tr '\n' ' ')
  echo "ifindex=${link%%:*} flags=$flags mtu=$(awk '{for (i = 1; i < NF; i++) if ($i == "mtu") print $(i + 1)}' <<<"$link")" \
    "mac=$(sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p' <<<"$link") addrs=$addrs"
}

# free_private_net24: prints a 10.x.y.0/24 that no route in any table covers or lies within.
free_private_net24() {
  local net
  for _ in $(seq 200); do
    net=10.$((200 + RANDOM % 50)).$((RANDOM % 256)).0/24
    [ -z "$(ip -4 route show table all root "$net")" ] || continue
    [ -z "$(ip -4 route show table all match "$net" | grep -v '^default ')" ] || continue
    echo "$net"
    return 0
  done
  echo "no free private /24 for the dockerd bridge" >&2
  return 1
}

start_private_dockerd() {
  local dir=$1 sock=$2 net
  shift 2
  mkdir -p "$dir/data" "$dir/exec"
  if [ -z "$DOCKERD_REGISTERED" ]; then on_exit stop_private_dockerd; DOCKERD_REGISTERED=1; fi
  # One at a time: a dockerd (or bridge) of an earlier start goes first.
  [ -z "$DOCKERD_PID$DOCKERD_BRIDGE" ] || stop_private_dockerd || return 1
  DOCKER0_BEFORE=$(docker0_state)
  net=$(free_private_net24) || return 1
  ip link add "mtdk$$" type bridge || return 1
  DOCKERD_BRIDGE=mtdk$$
  ip addr add "${net%.0/24}.1/24" dev "$DOCKERD_BRIDGE" && ip link set "$DOCKERD_BRIDGE" up || return 1
  dockerd --default-ulimit nofile=1024:1024 --data-root "$dir/data" --exec-root "$dir/exec" \
    --pidfile "$dir/dockerd.pid" --host "unix://$sock" --bridge "$DOCKERD_BRIDGE" \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false "$@" \
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
  stop_private_dockerd >&2
  return 1
}

stop_private_dockerd() {
  local after s=0
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
    kill -9 "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
    rm -f "$DOCKERD_SOCK"
    DOCKERD_PID=
  fi
  if [ -n "$DOCKERD_BRIDGE" ]; then
    if ip link show dev "$DOCKERD_BRIDGE" >/dev/null 2>&1 && ! ip link del "$DOCKERD_BRIDGE"; then
      echo "FAIL: could not delete the private dockerd's bridge $DOCKERD_BRIDGE" >&2
      s=1
    fi
    DOCKERD_BRIDGE=
  fi
  if [ -n "$DOCKER0_BEFORE" ]; then
    after=$(docker0_state)
    if [ "$after" != "$DOCKER0_BEFORE" ]; then
      echo "FAIL: the private dockerd changed the host's docker0: before [$DOCKER0_BEFORE], after [$after]" >&2
      s=1
    fi
    DOCKER0_BEFORE=
  fi
  return "$s"
}
