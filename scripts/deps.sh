#!/usr/bin/env bash
# Installs everything mini needs to build and test on Debian 12 (run as root).
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config
  clang libclang-rt-14-dev
  libarchive-dev libssl-dev nlohmann-json3-dev libcurl4-openssl-dev libcli11-dev libgtest-dev
  libzstd-dev zlib1g-dev libseccomp-dev libisal-dev libdeflate-dev libnftables-dev libsystemd-dev
  busybox-static iproute2 attr nftables iptables git python3
  uidmap slirp4netns
  skopeo umoci docker.io
  docker-registry apache2-utils openssl
  qemu-system-x86  # tests/vm: the kernel .deb itself is only downloaded (apt-get download), never installed
  debootstrap  # tests/vm: the systemd guest's root image (integration.vm_systemd), cached in /var/cache/mini-test
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
