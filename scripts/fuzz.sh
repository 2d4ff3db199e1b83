#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz and
# runs each for a bounded time (seconds, default 30), starting from the seed
# corpora in fuzz/corpus. Exits non-zero on any crash.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-30}"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTANDEM_BUILD_TESTS=OFF -DTANDEM_BUILD_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target request_fuzz expression_fuzz item_codec_fuzz replication_fuzz dns_packet_fuzz
for target in request_fuzz expression_fuzz item_codec_fuzz replication_fuzz dns_packet_fuzz; do
  corpus="build-fuzz/corpus-${target%_fuzz}"
  mkdir -p "$corpus"
  cp -n fuzz/corpus/"${target%_fuzz}"/* "$corpus"/ 2>/dev/null || true
  echo "-- $target for ${SECONDS_PER_TARGET}s"
  log="build-fuzz/$target.log"
  status=0
  ASAN_OPTIONS=detect_leaks=0 "build-fuzz/fuzz/$target" -max_total_time="$SECONDS_PER_TARGET" \
    -max_len=8192 -timeout=10 -artifact_prefix=build-fuzz/ -rss_limit_mb=2048 -print_final_stats=1 "$corpus" >"$log" 2>&1 ||
    status=$?
  grep -E "^(stat::number_of_executed_units|SUMMARY)|ERROR:" "$log" || true
  if [ "$status" -ne 0 ]; then
    echo "$target failed (exit $status); see $log and the crash-* file it names" >&2
    tail -40 "$log" >&2
    exit 1
  fi
done
