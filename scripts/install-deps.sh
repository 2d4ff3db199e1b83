#!/usr/bin/env bash
# Installs every package Tandem needs to build, test and benchmark, from
# Debian's archive only. Safe to run again. Needs root (or sudo).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git
  # libraries (DESIGN.md, "Dependencies")
  libboost1.81-dev libboost-json1.81-dev librocksdb-dev libssl-dev
  libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev zlib1g-dev
  libknot-dev  # Knot's zone-file scanner (libzscanner) for tandem dns
  # unit tests, fuzzing
  libgtest-dev libgmock-dev clang libclang-rt-14-dev
  # black-box tests: the real clients
  python3 python3-pytest python3-boto3 awscli curl
  # black-box fault tests: partitions in a network namespace, clock skew
  iproute2 nftables faketime
  # DNS tests: dig, kdig, dnspython; Knot DNS for the differential test
  bind9-dnsutils knot-dnsutils python3-dnspython knot
  # tandem control: leader election through etcd's v3 JSON gateway (tested
  # with a real etcd started by the tests)
  etcd-server
)
if [ "${TANDEM_WITH_BENCH:-0}" = 1 ]; then
  PACKAGES+=(libbenchmark-dev wrk dnsperf gdnsd)
  # dynalite (npm ci): Debian's node and npm, unless a node with npm is
  # already installed (Debian's npm conflicts with NodeSource's nodejs).
  if ! command -v npm >/dev/null 2>&1; then
    PACKAGES+=(nodejs npm)
  fi
fi
$SUDO apt-get update -qq
# Packaged servers (knot, gdnsd) must not start system-wide daemons: tests and
# benchmarks start their own on loopback. Debian's policy-rc.d convention
# (exit 101: "action forbidden") stops invoke-rc.d for this install only.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  trap '$SUDO rm -f "$POLICY"' EXIT
fi
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
