#!/bin/bash
# The private dockerd of dockerd.bash leaves the host's docker0 as it found it (the user's own
# `docker run` needs it) and removes its own bridge at stop. On a host without docker0 a
# stand-in docker0 (a bridge with an address) is made for the test and deleted after; with the
# old `--bridge none` dockerd deleted it. Also: a container on the private dockerd's default
# bridge network gets an address there, and net.ipv4.ip_forward is untouched.
# Skips (77) without docker/dockerd or when dockerd does not come up.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dockerd.bash"
command -v docker >/dev/null || { echo "skip: no docker CLI"; exit 77; }
command -v dockerd >/dev/null || { echo "skip: no dockerd"; exit 77; }

if ip link show dev docker0 >/dev/null 2>&1; then
  echo "the host has a docker0: checking that one"
else
  net=$(free_private_net24)
  STANDIN_ADDR=${net%.0/24}.1/24
  ip link add docker0 type bridge
  STANDIN_IFINDEX=$(cat /sys/class/net/docker0/ifindex)
  # Only ours is deleted (a docker0 with another ifindex was made by someone else).
  on_exit '[ "$(cat /sys/class/net/docker0/ifindex 2>/dev/null)" != "$STANDIN_IFINDEX" ] || ip link del docker0'
  ip addr add "$STANDIN_ADDR" dev docker0
  ip link set docker0 up
  echo "stand-in docker0 with $STANDIN_ADDR"
fi
before=$(docker0_state)
forward=$(cat /proc/sys/net/ipv4/ip_forward)
echo "docker0: $before"

start_private_dockerd "$T/d" "/run/mini-test-dockerd-bridge-$$.sock" || { echo "skip: dockerd did not come up"; exit 77; }
bridge=$DOCKERD_BRIDGE
expect_eq "$(docker0_state)" "$before" "docker0 once the private dockerd is up"
subnet=$(docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' bridge)
baddr=$(ip -o -4 addr show dev "$bridge" | awk '{print $4}')
echo "private bridge $bridge $baddr, docker's bridge network $subnet"
expect_eq "${baddr%.1/24}.0/24" "$subnet" "docker's bridge network is on $bridge"

import_busybox
mini save busybox:latest | docker load >/dev/null
caddr=$(docker run --rm busybox sh -c "ip -4 -o addr show eth0 | awk '{print \$4}'")
[[ $caddr == "${baddr%.1/24}."* ]] || fail "container address [$caddr] is not on $bridge ($baddr)"
docker rmi -f busybox:latest >/dev/null

stop_private_dockerd || fail "stop_private_dockerd reported a change"
ip link show dev "$bridge" >/dev/null 2>&1 && fail "the private bridge $bridge is left"
expect_eq "$(docker0_state)" "$before" "docker0 after the private dockerd"
expect_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$forward" "net.ipv4.ip_forward"
echo PASS
