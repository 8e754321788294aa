#!/bin/bash
# Installs every package myrixen needs to build, test and demo on Debian 12.
# Idempotent; run as root (sudo is used only when present and needed).  Nothing is fetched outside apt.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
PKGS=(
  build-essential cmake pkg-config git
  libev-dev libnl-3-dev libnl-route-3-dev libsystemd-dev   # daemon
  libxen-dev                                              # Xen transport
  clang libclang-rt-14-dev                                # libFuzzer, sanitizers
  iproute2 nftables tcpdump                               # wire tests (namespaces)
  systemd man-db                                          # systemd-analyze verify, man pages
  python3                                                 # test helpers
  qemu-system-x86 xen-utils-4.17 linux-headers-amd64 busybox-static cpio bc time  # Xen under QEMU
  libfabric-dev libfabric-bin openmpi-bin libopenmpi-dev netpipe-openmpi  # MPI over libfabric
  tshark                                                  # MXoE dissector test
  gnuplot-nox linux-perf strace valgrind                  # benchmarks: plots and counts
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all ${#PKGS[@]} packages present"
