#!/usr/bin/env bash
# README command 1: installs, builds and runs `tandem drill`: every
# disaster-recovery scenario on a fresh local two-region deployment (about 3
# minutes), then prints the summary table and where the report is
# (./drill-report/report.html, or $TANDEM_DRILL_REPORT). Extra arguments go to
# `tandem drill` (e.g. region-outage --quick). Run as root for the sandbox:
# a network namespace of its own, with nftables for the partitions.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec ./build/tandem drill --report "${TANDEM_DRILL_REPORT:-$PWD/drill-report}" "$@"
