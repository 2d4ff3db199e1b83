#!/usr/bin/env bash
# README command 1: installs, builds and runs `tandem up`: two regions on this
# machine (nodes on 127.0.0.1:8000 and 127.0.0.2:8000 with replication, a
# tandem probe and a tandem dns per region), printing the seed's AWS CLI
# commands ready to paste. Ctrl-C stops everything; the state stays in
# ./tandem-up (or $TANDEM_UP_DIR) for the next start. Extra arguments go to
# `tandem up` (e.g. --regions 3).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec ./build/tandem up --dir "${TANDEM_UP_DIR:-$PWD/tandem-up}" "$@"
