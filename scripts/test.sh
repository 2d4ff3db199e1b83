#!/usr/bin/env bash
# README command 2: installs, builds and runs every test: unit tests (ctest),
# black-box tests with the real clients (pytest: boto3 and the AWS CLI v2),
# and each fuzz target for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DTANDEM_BUILD_TESTS=ON
echo "== unit tests =="
(cd build && ctest --output-on-failure -j2 --timeout 300)
echo "== black-box tests =="
TANDEM_BIN="$PWD/build/tandem" /usr/bin/python3 -m pytest -q tests/blackbox
if [ "${TANDEM_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzzing (bounded) =="
  scripts/fuzz.sh "${TANDEM_FUZZ_SECONDS:-30}"
fi
