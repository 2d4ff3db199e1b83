# Shared by the benchmark scripts (sourced): install the packages and build
# the Release binaries into build-bench.
#   bench_install_and_build INSTALL BUILD JOBS TARGET...
bench_install_and_build() {
  local install="$1" build="$2" jobs="$3"
  shift 3
  if [ "$install" = 1 ]; then
    log "installing packages (Debian) ..."
    TANDEM_WITH_BENCH=1 scripts/install-deps.sh
  fi
  if [ "$build" = 1 ]; then
    log "building into build-bench (Release, -j$jobs) ..."
    cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTANDEM_BUILD_BENCH=ON \
      -DTANDEM_BUILD_TESTS=OFF >/dev/null
    cmake --build build-bench -j"$jobs" --target "$@" >/dev/null
  fi
}
