#!/usr/bin/env bash
# Replication benchmark: two tandem nodes on loopback — us-east-1 (the origin)
# on 127.0.0.1 and eu-west-1 (the peer) on 127.0.0.2 — with their data on disk
# and the synced WAL (the defaults), one cluster secret, and each --peer URL
# pointing at a tandem-relay that holds each direction for RTT/2 (this kernel
# has no netem): origin -> relay -> peer, and peer -> relay -> origin.
#
#   scripts/bench-replication.sh                      # install, build, full run
#   scripts/bench-replication.sh --no-install --quick # a short look
#
# (a) PutItem 1 KB at the origin, 16 connections: replication off (a table
#     only the origin holds) vs on (a global table), alternating, same run.
#     With --pin (the default on 2+ cores) each region gets a core of its
#     own, as if on its own machine: the origin and its clients (loadgen) on
#     CPU 0, the peer and the relays on CPU 1. --no-pin lets all share all.
# (b) Replication lag at fixed write rates (open-loop PutItem, --rates) for
#     each RTT (--rtts): p50/p99 from the delta of the peer's
#     tandem_replication_latency_ms histogram over the measured run,
#     interpolated within buckets. With --pin the origin has CPU 0 to itself
#     and the clients share CPU 1 with the peer and the relays: the offered
#     rate then tests the origin, and the clients' cost lands on the peer.
# (c) Catch-up: the peer stopped while --catchup-items 1 KB items land at the
#     origin (BatchWriteItem), then started; the time until the origin's
#     tandem_replication_pending to the peer is 0, and both item counts match.
# Prints the tables; one JSON line per measurement in OUT/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

INSTALL=1
BUILD=1
DURATION=10
ROUNDS=2
CONNECTIONS=16
RATES="1000 5000"
RTTS="0 40"
# Open loop needs enough connections that the clients are not the limit: each
# holds one request, so at 5k w/s and a synced write of ~6-10 ms while the
# peer's syncs share the disk, 32 allowed at most ~4k w/s (Little's law).
RATE_CONNECTIONS=64
CATCHUP_ITEMS=1000000
CATCHUP_RTTS="0 40"
PHASES="throughput lag catchup"
PIN=$([ "$(nproc)" -ge 2 ] && echo 1 || echo 0)
JOBS=1
BASE_PORT=18300
OUT="$ROOT/build-bench/bench-replication"

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
  cat <<EOF
options:
  --no-install          skip apt-get (scripts/install-deps.sh)
  --no-build            use the binaries already in build-bench
  --quick               --duration 3 --rounds 1 --catchup-items 200000 --catchup-rtts 0
  --duration S          seconds per measured run (default $DURATION)
  --rounds N            off/on pairs for (a) (default $ROUNDS)
  --rates "LIST"        writes/s for (b) (default "$RATES")
  --rtts "LIST"         round trips in ms for (b) (default "$RTTS")
  --rate-connections N  open-loop client connections in (b) (default $RATE_CONNECTIONS)
  --catchup-items N     backlog for (c) (default $CATCHUP_ITEMS)
  --catchup-rtts "LIST" round trips in ms for (c) (default "$CATCHUP_RTTS")
  --phases "LIST"       subset of: throughput lag catchup (default all)
  --pin | --no-pin      a core per region in (a) and (b) (default: --pin on 2+ cores)
  --jobs N              build parallelism (default 1: the machine is shared)
  --port N              first of 4 loopback ports (default $BASE_PORT)
  --out DIR             results and data (default build-bench/bench-replication)
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --no-install) INSTALL=0 ;;
    --no-build) BUILD=0 ;;
    --quick) DURATION=3 ROUNDS=1 CATCHUP_ITEMS=200000 CATCHUP_RTTS=0 ;;
    --duration) DURATION="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --rates) RATES="$2"; shift ;;
    --rtts) RTTS="$2"; shift ;;
    --rate-connections) RATE_CONNECTIONS="$2"; shift ;;
    --catchup-items) CATCHUP_ITEMS="$2"; shift ;;
    --catchup-rtts) CATCHUP_RTTS="$2"; shift ;;
    --phases) PHASES="$2"; shift ;;
    --pin) PIN=1 ;;
    --no-pin) PIN=0 ;;
    --jobs) JOBS="$2"; shift ;;
    --port) BASE_PORT="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

log() { echo "[bench-repl $(date +%T)] $*" >&2; }
has_phase() { [[ " $PHASES " == *" $1 "* ]]; }

# --- install and build -------------------------------------------------------
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh
bench_install_and_build "$INSTALL" "$BUILD" "$JOBS" tandem loadgen tandem-relay
TANDEM="$ROOT/build-bench/tandem"
LOADGEN="$ROOT/build-bench/bench/loadgen"
RELAY="$ROOT/build-bench/bench/tandem-relay"
TOOL=(python3 "$ROOT/bench/repl_tool.py")

# --- the topology ------------------------------------------------------------
ORIGIN=us-east-1
PEER=eu-west-1
ORIGIN_HOST=127.0.0.1
PEER_HOST=127.0.0.2
ORIGIN_PORT=$((BASE_PORT + 1))
PEER_PORT=$((BASE_PORT + 2))
TO_PEER_PORT=$((BASE_PORT + 3))    # relay on the peer's address, forwarding to the peer
TO_ORIGIN_PORT=$((BASE_PORT + 4))  # relay on the origin's address, forwarding to the origin
ORIGIN_URL="http://$ORIGIN_HOST:$ORIGIN_PORT"
PEER_URL="http://$PEER_HOST:$PEER_PORT"

rm -rf "$OUT"/data-* "$OUT"/*.log
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
KEY=AKIDBENCHMARK00000001
SECRET=benchmark-secret-key-not-for-production
CREDS="$OUT/credentials"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$KEY" "$SECRET" >"$CREDS"
CLUSTER_SECRET="$OUT/cluster-secret"
python3 -c 'import os; print(os.urandom(32).hex())' >"$CLUSTER_SECRET"

declare -A PIDS=()  # name -> pid of what this script started
cleanup() {
  for name in "${!PIDS[@]}"; do
    local pid=${PIDS[$name]}
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for name in "${!PIDS[@]}"; do wait "${PIDS[$name]}" 2>/dev/null || true; done
}
trap cleanup EXIT

stop() {  # stop NAME: SIGTERM, then SIGKILL after 30 s
  local pid=${PIDS[$1]:-}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "PIDS[$1]"
}

wait_port() {  # wait_port HOST PORT PID
  for _ in $(seq 1 300); do
    kill -0 "$3" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

start_node() {  # start_node REGION
  local region=$1 host port peer peer_url
  if [ "$region" = "$ORIGIN" ]; then
    host=$ORIGIN_HOST port=$ORIGIN_PORT peer=$PEER peer_url="http://$PEER_HOST:$TO_PEER_PORT"
  else
    host=$PEER_HOST port=$PEER_PORT peer=$ORIGIN peer_url="http://$ORIGIN_HOST:$TO_ORIGIN_PORT"
  fi
  mkdir -p "$OUT/data-$region"
  "$TANDEM" node --region "$region" --listen "$host:$port" --data-dir "$OUT/data-$region" \
    --credentials "$CREDS" --peer "$peer=$peer_url" --cluster-secret "$CLUSTER_SECRET" \
    >>"$OUT/$region.log" 2>&1 &
  PIDS[$region]=$!
  if ! wait_port "$host" "$port" "${PIDS[$region]}"; then
    log "$region did not start; its log:"
    tail -20 "$OUT/$region.log" >&2
    exit 1
  fi
}

wait_healthy() {  # wait_healthy URL
  for _ in $(seq 1 600); do
    if curl -sf -o /dev/null "$1/health"; then return 0; fi
    sleep 0.1
  done
  log "$1/health never answered 200"
  return 1
}

start_relays() {  # start_relays RTT_MS: each direction gets RTT/2
  local half_us=$(($1 * 500))
  stop relay-to-peer
  stop relay-to-origin
  "$RELAY" --listen "$PEER_HOST:$TO_PEER_PORT" --to "$PEER_HOST:$PEER_PORT" \
    --delay "${half_us}us" >>"$OUT/relay-to-peer.log" 2>&1 &
  PIDS[relay-to-peer]=$!
  "$RELAY" --listen "$ORIGIN_HOST:$TO_ORIGIN_PORT" --to "$ORIGIN_HOST:$ORIGIN_PORT" \
    --delay "${half_us}us" >>"$OUT/relay-to-origin.log" 2>&1 &
  PIDS[relay-to-origin]=$!
  wait_port "$PEER_HOST" "$TO_PEER_PORT" "${PIDS[relay-to-peer]}"
  wait_port "$ORIGIN_HOST" "$TO_ORIGIN_PORT" "${PIDS[relay-to-origin]}"
  log "relays up: RTT $1 ms ($half_us us each way)"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
relay_ticks() { echo $(($(cpu_ticks "${PIDS[relay-to-peer]}") + $(cpu_ticks "${PIDS[relay-to-origin]}"))); }
TICKS=$(getconf CLK_TCK)
secs() { awk -v a="$1" -v b="$2" -v t="$TICKS" 'BEGIN {printf "%.2f", (b - a) / t}'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }

LG_CPUS=""  # set: loadgen runs on these CPUs only
lg() {  # lg ARGS...: one loadgen run against the origin, its JSON line on stdout
  # Pinned to one CPU, a second thread would only add context switches.
  local threads=2
  if [ -n "$LG_CPUS" ] && [[ "$LG_CPUS" != *[,-]* ]]; then threads=1; fi
  ${LG_CPUS:+taskset -c "$LG_CPUS"} "$LOADGEN" --endpoint "$ORIGIN_HOST:$ORIGIN_PORT" --region "$ORIGIN" --key "$KEY" \
    --secret "$SECRET" --threads "$threads" "$@"
}

drain() {  # drain: wait until the origin has nothing pending for the peer; seconds waited
  "${TOOL[@]}" wait-pending "$ORIGIN_URL" "$PEER" --timeout 300
}

# --- start -------------------------------------------------------------------
log "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "{\"phase\":\"meta\",\"pinned\":$PIN,\"commit\":\"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\",\"dirty\":$(git status --porcelain 2>/dev/null | grep -q . && echo true || echo false),\"nproc\":$(nproc),\"loadavg_start\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"duration_s\":$DURATION}" >>"$RESULTS"
start_relays 0
start_node "$ORIGIN"
start_node "$PEER"
wait_healthy "$ORIGIN_URL"
wait_healthy "$PEER_URL"
GLOBALS=(--global bench_kv)
for rtt in $CATCHUP_RTTS; do GLOBALS+=(--global "bench_catchup_$rtt"); done
"${TOOL[@]}" setup --creds "$CREDS" --node "$ORIGIN=$ORIGIN_URL" --node "$PEER=$PEER_URL" \
  "${GLOBALS[@]}" --local bench_local >/dev/null
log "nodes up, tables ready: bench_local (origin only), bench_kv and bench_catchup_* (global)"

pin() {  # pin CPUS NAME...: move every thread of the named processes to CPUS
  local cpus=$1 name
  shift
  for name in "$@"; do taskset -a -p -c "$cpus" "${PIDS[$name]}" >/dev/null; done
}

# --- (a) throughput, replication off vs on ------------------------------------
if has_phase throughput; then
  start_relays 0
  if [ "$PIN" = 1 ]; then
    pin 0 "$ORIGIN"
    pin 1 "$PEER" relay-to-peer relay-to-origin
    LG_CPUS=0
    log "(a) pinned: $ORIGIN and loadgen on CPU 0, $PEER and relays on CPU 1"
  fi
  for round in $(seq 1 "$ROUNDS"); do
    for mode in off on; do
      table=bench_local
      if [ "$mode" = on ]; then table=bench_kv; fi
      o0=$(cpu_ticks "${PIDS[$ORIGIN]}") p0=$(cpu_ticks "${PIDS[$PEER]}") r0=$(relay_ticks)
      line=$(lg --workload put --table "$table" --connections "$CONNECTIONS" \
        --duration "$DURATION" --warmup 1 --label "put-$mode") || log "WARNING: errors in $line"
      o1=$(cpu_ticks "${PIDS[$ORIGIN]}") p1=$(cpu_ticks "${PIDS[$PEER]}") r1=$(relay_ticks)
      backlog=$("${TOOL[@]}" pending "$ORIGIN_URL" "$PEER")
      drain_s=$(drain)
      echo "{\"phase\":\"throughput\",\"round\":$round,\"mode\":\"$mode\",\"table\":\"$table\",\"origin_cpu_s\":$(secs "$o0" "$o1"),\"peer_cpu_s\":$(secs "$p0" "$p1"),\"relay_cpu_s\":$(secs "$r0" "$r1"),\"pending_at_end\":$backlog,\"drain_s\":$drain_s,\"result\":$line}" >>"$RESULTS"
      log "(a) round $round replication $mode: $line; pending at end $backlog, drained in ${drain_s}s"
    done
  done
  if [ "$PIN" = 1 ]; then
    all="0-$(($(nproc) - 1))"
    pin "$all" "$ORIGIN" "$PEER" relay-to-peer relay-to-origin
    LG_CPUS=""
  fi
fi

# --- (b) lag at fixed rates and RTTs ------------------------------------------
if has_phase lag; then
  for rtt in $RTTS; do
    start_relays "$rtt"
    if [ "$PIN" = 1 ]; then
      # The origin gets a core to itself, as on its own machine; its clients
      # (customers, elsewhere) share the other core with the peer and the
      # relays, so they cost the peer's apply time, not the origin's.
      pin 0 "$ORIGIN"
      pin 1 "$PEER" relay-to-peer relay-to-origin
      LG_CPUS=1
      log "(b) pinned: $ORIGIN on CPU 0; $PEER, relays and loadgen on CPU 1"
    fi
    for rate in $RATES; do
      # Warm the connections through the new relays at the same rate; not measured.
      lg --workload put --table bench_kv --rate "$rate" --connections "$RATE_CONNECTIONS" \
        --duration 1 --warmup 0 --label warm >/dev/null || true
      drain >/dev/null
      "${TOOL[@]}" metrics "$PEER_URL" >"$OUT/metrics-before.txt"
      o0=$(cpu_ticks "${PIDS[$ORIGIN]}") p0=$(cpu_ticks "${PIDS[$PEER]}") t0=$(now)
      line=$(lg --workload put --table bench_kv --rate "$rate" --connections "$RATE_CONNECTIONS" \
        --duration "$DURATION" --warmup 0 --label "rate-$rate-rtt-$rtt") ||
        log "WARNING: errors in $line"
      o1=$(cpu_ticks "${PIDS[$ORIGIN]}") p1=$(cpu_ticks "${PIDS[$PEER]}") t1=$(now)
      drain_s=$(drain)
      "${TOOL[@]}" metrics "$PEER_URL" >"$OUT/metrics-after.txt"
      lag=$("${TOOL[@]}" lag "$OUT/metrics-before.txt" "$OUT/metrics-after.txt" \
        --source "$ORIGIN" --destination "$PEER")
      echo "{\"phase\":\"lag\",\"pinned\":$PIN,\"rtt_ms\":$rtt,\"rate\":$rate,\"drain_s\":$drain_s,\"wall_s\":$(elapsed "$t0" "$t1"),\"origin_cpu_s\":$(secs "$o0" "$o1"),\"peer_cpu_s\":$(secs "$p0" "$p1"),\"loadavg\":\"$(cut -d' ' -f1 /proc/loadavg)\",\"lag\":$lag,\"result\":$line}" >>"$RESULTS"
      log "(b) RTT $rtt ms, $rate w/s: lag $(echo "$lag" | python3 -c 'import json,sys; d=json.load(sys.stdin); print({k: d.get(k) for k in ("count","p50_ms","p99_ms","max_le_ms")})')"
    done
  done
  if [ "$PIN" = 1 ]; then
    pin "0-$(($(nproc) - 1))" "$ORIGIN" "$PEER" relay-to-peer relay-to-origin
    LG_CPUS=""
  fi
fi

# --- (c) catch-up after a backlog ---------------------------------------------
if has_phase catchup; then
  for rtt in $CATCHUP_RTTS; do
    start_relays "$rtt"
    table="bench_catchup_$rtt"
    drain >/dev/null
    log "(c) RTT $rtt ms: stopping $PEER, writing $CATCHUP_ITEMS items at $ORIGIN ..."
    stop "$PEER"
    t0=$(now)
    load=$(lg --workload load --table "$table" --items "$CATCHUP_ITEMS" --connections 16 \
      --label "catchup-load-$rtt") || log "WARNING: errors in $load"
    load_s=$(elapsed "$t0" "$(now)")
    backlog=$("${TOOL[@]}" pending "$ORIGIN_URL" "$PEER")
    log "(c) loaded in ${load_s}s; pending for $PEER: $backlog; starting $PEER"
    since=$(now)
    start_node "$PEER"
    catchup=$("${TOOL[@]}" catchup "$ORIGIN_URL" "$PEER" "$PEER_URL" --since "$since" \
      --timeout 900)
    wait_healthy "$PEER_URL"
    origin_count=$("${TOOL[@]}" count --creds "$CREDS" --node "$ORIGIN=$ORIGIN_URL" --table "$table")
    peer_count=$("${TOOL[@]}" count --creds "$CREDS" --node "$PEER=$PEER_URL" --table "$table")
    echo "{\"phase\":\"catchup\",\"rtt_ms\":$rtt,\"items\":$CATCHUP_ITEMS,\"load_s\":$load_s,\"pending_at_restart\":$backlog,\"origin_count\":$origin_count,\"peer_count\":$peer_count,\"catchup\":$catchup,\"load\":$load}" >>"$RESULTS"
    log "(c) RTT $rtt ms: $catchup; items origin $origin_count, peer $peer_count"
  done
fi

"${TOOL[@]}" metrics "$ORIGIN_URL" >"$OUT/metrics-$ORIGIN-end.txt" || true
"${TOOL[@]}" metrics "$PEER_URL" >"$OUT/metrics-$PEER-end.txt" || true
echo "{\"phase\":\"meta-end\",\"loadavg_end\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"data_du\":\"$(du -sh "$OUT" | cut -f1)\"}" >>"$RESULTS"
"${TOOL[@]}" report "$RESULTS" | tee "$OUT/report.md"
