#!/usr/bin/env bash
# Whole-server benchmark: Tandem against dynalite and moto on this machine,
# same load generator, same workloads, same run. Results go to docs/BENCHMARKS.md
# by hand; this script prints the table.
#
#   scripts/bench.sh                     # install, build, tandem + dynalite + moto
#   scripts/bench.sh --no-install --servers tandem --duration 5
#   scripts/bench.sh --million           # also: RSS of tandem holding 1 M items
#   scripts/bench.sh --nginx             # also: nginx fixed body with wrk -c16 (ceiling)
#
# For each server: start it on a loopback port with its data on disk (tandem:
# synced WAL, the default; dynalite: --path), create the tables, preload
# --items 1 KB items for GetItem and --partitions x 100 small items for Query,
# then run GetItem, Query and PutItem at 16 and 64 keep-alive connections, each
# for --duration seconds after a 1 s warm-up. Peak RSS per configuration is the
# server's VmHWM, reset (/proc/PID/clear_refs) before each configuration.
# Raw results (one JSON line per configuration) land in OUT/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

INSTALL=1
SERVERS="tandem dynalite moto"
DURATION=10
WARMUP=1
CONNECTIONS="16 64"
WORKLOADS="get query put"
ITEMS=20000
PARTITIONS=100
THREADS=2
MILLION=0
MILLION_ITEMS=1000000
NGINX=0
MICRO=1
JOBS=1
BASE_PORT=18100
OUT="$ROOT/build-bench/bench-results"

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
  cat <<EOF
options:
  --no-install         skip apt-get / npm ci
  --servers "LIST"     subset of: tandem dynalite moto (default: all three)
  --workloads "LIST"   subset of: get query put (default: all)
  --connections "LIST" default "16 64"
  --duration S         seconds per configuration (default $DURATION)
  --items N            GetItem key space, preloaded (default $ITEMS)
  --partitions N       Query partitions of 100 items, preloaded (default $PARTITIONS)
  --threads N          load generator threads (default $THREADS)
  --million            also load $MILLION_ITEMS items into a fresh tandem and report RSS
  --million-items N    item count for --million
  --nginx              also measure nginx returning a fixed body (wrk -c16)
  --no-micro           skip the Google Benchmark micro-benchmarks
  --jobs N             build parallelism (default 1: the machine is shared)
  --port N             first loopback port to use (default $BASE_PORT)
  --out DIR            results directory (default build-bench/bench-results)
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --no-install) INSTALL=0 ;;
    --servers) SERVERS="$2"; shift ;;
    --workloads) WORKLOADS="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --items) ITEMS="$2"; shift ;;
    --partitions) PARTITIONS="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --million) MILLION=1 ;;
    --million-items) MILLION_ITEMS="$2"; shift ;;
    --nginx) NGINX=1 ;;
    --no-micro) MICRO=0 ;;
    --jobs) JOBS="$2"; shift ;;
    --port) BASE_PORT="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

log() { echo "[bench] $*" >&2; }

# --- install ---------------------------------------------------------------
if [ "$INSTALL" = 1 ]; then
  log "installing packages (Debian) ..."
  TANDEM_WITH_BENCH=1 scripts/install-deps.sh
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  EXTRA=(libbenchmark-dev nodejs npm wrk)
  if [ "$NGINX" = 1 ]; then EXTRA+=(nginx-light); fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${EXTRA[@]}" >/dev/null
  if [[ " $SERVERS " == *" dynalite "* ]]; then
    log "npm ci (dynalite) ..."
    (cd bench && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [[ " $SERVERS " == *" moto "* ]] && ! python3 -c 'import moto.server' 2>/dev/null; then
    log "moto is not in this python3; installing moto[server] with pip ..."
    python3 -m pip install --quiet 'moto[server]'
  fi
fi

# --- build -----------------------------------------------------------------
log "building into build-bench (Release, -j$JOBS) ..."
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DTANDEM_BUILD_BENCH=ON \
  -DTANDEM_BUILD_TESTS=OFF >/dev/null
TARGETS=(tandem loadgen)
if [ "$MICRO" = 1 ]; then TARGETS+=(codec_bench); fi
cmake --build build-bench -j"$JOBS" --target "${TARGETS[@]}" >/dev/null
TANDEM="$ROOT/build-bench/tandem"
LOADGEN="$ROOT/build-bench/bench/loadgen"

mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
KEY=AKIDBENCHMARK00000001
SECRET=benchmark-secret-key-not-for-production
CREDS="$OUT/credentials"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$KEY" "$SECRET" >"$CREDS"

SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

wait_port() {  # wait_port PORT PID
  for _ in $(seq 1 200); do
    if ! kill -0 "$2" 2>/dev/null; then return 1; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# start_server NAME PORT: starts it in the background, sets SERVER_PID.
start_server() {
  local name=$1 port=$2 dir="$OUT/data-$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  case "$name" in
    tandem*)
      "$TANDEM" node --region us-east-1 --listen "127.0.0.1:$port" --data-dir "$dir" \
        --credentials "$CREDS" >"$OUT/$name.log" 2>&1 &
      ;;
    dynalite)
      node "$ROOT/bench/node_modules/dynalite/cli.js" --port "$port" --path "$dir" \
        >"$OUT/$name.log" 2>&1 &
      ;;
    moto)
      python3 -m moto.server -H 127.0.0.1 -p "$port" >"$OUT/$name.log" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  if ! wait_port "$port" "$SERVER_PID"; then
    log "$name did not start; its log:"
    cat "$OUT/$name.log" >&2
    exit 1
  fi
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)

# run_lg SERVER PORT WORKLOAD CONNECTIONS [extra loadgen args]: one configuration,
# appended to results.jsonl with the server's peak RSS and CPU time.
run_lg() {
  local server=$1 port=$2 workload=$3 conns=$4
  shift 4
  echo 5 >"/proc/$SERVER_PID/clear_refs" 2>/dev/null || true  # reset VmHWM
  local t0 line t1 hwm rss rc=0
  t0=$(cpu_ticks "$SERVER_PID")
  line=$("$LOADGEN" --endpoint "127.0.0.1:$port" --workload "$workload" --connections "$conns" \
    --threads "$THREADS" --key "$KEY" --secret "$SECRET" --items "$ITEMS" \
    --partitions "$PARTITIONS" --label "$server" "$@") || rc=$?
  t1=$(cpu_ticks "$SERVER_PID")
  hwm=$(status_kb "$SERVER_PID" VmHWM)
  rss=$(status_kb "$SERVER_PID" VmRSS)
  local cpu
  cpu=$(awk -v a="$t0" -v b="$t1" -v t="$TICKS" 'BEGIN {printf "%.2f", (b - a) / t}')
  echo "{\"server\":\"$server\",\"server_hwm_kb\":$hwm,\"server_rss_kb\":$rss,\"server_cpu_s\":$cpu,\"result\":$line}" \
    >>"$RESULTS"
  log "$server $workload c=$conns: $line (server peak RSS ${hwm} kB, cpu ${cpu}s)"
  if [ "$rc" != 0 ]; then log "WARNING: $server $workload c=$conns had errors: invalid result"; fi
}

port=$BASE_PORT
for server in $SERVERS; do
  port=$((port + 1))
  log "=== $server on 127.0.0.1:$port ==="
  start_server "$server" "$port"
  run_lg "$server" "$port" setup 1
  run_lg "$server" "$port" load 16
  run_lg "$server" "$port" load-q 16
  for workload in $WORKLOADS; do
    for c in $CONNECTIONS; do
      run_lg "$server" "$port" "$workload" "$c" --duration "$DURATION" --warmup "$WARMUP"
    done
  done
  stop_server
done

if [ "$NGINX" = 1 ]; then
  port=$((port + 1))
  log "=== nginx (fixed body) on 127.0.0.1:$port, wrk -t2 -c16 ==="
  NG="$OUT/nginx"
  rm -rf "$NG" && mkdir -p "$NG/tmp"
  sed "s/NGINX_PORT/$port/" bench/nginx.conf >"$NG/nginx.conf"
  nginx -p "$NG" -c "$NG/nginx.conf" -g 'daemon off;' >"$OUT/nginx.log" 2>&1 &
  SERVER_PID=$!
  wait_port "$port" "$SERVER_PID"
  wrk -t2 -c16 -d"${DURATION}s" --latency "http://127.0.0.1:$port/" | tee "$OUT/nginx-wrk.txt" >&2
  stop_server
fi

if [ "$MILLION" = 1 ]; then
  port=$((port + 1))
  log "=== tandem holding $MILLION_ITEMS 1 KB items (BatchWriteItem load) ==="
  start_server tandem-1m "$port"
  dir="$OUT/data-tandem-1m"
  run_lg tandem-1m "$port" setup 1
  start_s=$(date +%s)
  ITEMS_SAVED=$ITEMS
  ITEMS=$MILLION_ITEMS
  run_lg tandem-1m "$port" load 16
  log "loaded $MILLION_ITEMS items in $(($(date +%s) - start_s)) s"
  # Reads over the whole key space fill the block cache: RSS while serving.
  run_lg tandem-1m "$port" get 16 --duration "$DURATION" --warmup "$WARMUP"
  ITEMS=$ITEMS_SAVED
  log "tandem holding $MILLION_ITEMS items: VmRSS $(status_kb "$SERVER_PID" VmRSS) kB," \
    "VmHWM since the GetItem run $(status_kb "$SERVER_PID" VmHWM) kB," \
    "data dir $(du -sh "$dir" | cut -f1)"
  stop_server
fi

if [ "$MICRO" = 1 ]; then
  log "=== micro-benchmarks (Google Benchmark) ==="
  "$ROOT/build-bench/bench/codec_bench" --benchmark_min_time=0.2 2>/dev/null \
    | tee "$OUT/codec_bench.txt" >&2
fi

# --- the table -------------------------------------------------------------
python3 - "$RESULTS" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    res = r["result"]
    if res["workload"] in ("setup",):
        continue
    by[(r["server"], res["workload"], res["connections"])] = r
names = {"get": "GetItem", "query": "Query (100 items)", "put": "PutItem 1 KB",
         "load": "preload BatchWriteItem (items/s)", "load-q": "preload Query table (items/s)"}
servers = [s for s in ("tandem", "dynalite", "moto", "tandem-1m") if any(k[0] == s for k in by)]
print()
print("| workload | conns | server | ops/s | p50 ms | p99 ms | errors | peak RSS MB | server CPU s | vs dynalite | vs moto |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
order = ["get", "query", "put", "load", "load-q"]
keys = sorted({(k[1], k[2]) for k in by}, key=lambda k: (order.index(k[0]) if k[0] in order else 9, k[1]))
for wl, c in keys:
    for s in servers:
        r = by.get((s, wl, c))
        if not r:
            continue
        res = r["result"]
        def ratio(other):
            o = by.get((other, wl, c))
            if s != "tandem" or not o or not o["result"]["ops_per_s"]:
                return ""
            return "%.1fx" % (res["ops_per_s"] / o["result"]["ops_per_s"])
        print("| %s | %d | %s | %d | %.2f | %.2f | %d | %.0f | %.1f | %s | %s |" % (
            names.get(wl, wl), c, s, res["ops_per_s"], res["p50_ms"], res["p99_ms"],
            res["errors"], r["server_hwm_kb"] / 1024, r["server_cpu_s"],
            ratio("dynalite"), ratio("moto")))
bad = [k for k, r in by.items() if r["result"]["errors"]]
if bad:
    print("\nINVALID (errors > 0):", bad)
EOF
