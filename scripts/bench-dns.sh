#!/usr/bin/env bash
# DNS benchmark: tandem dns against gdnsd and Knot DNS (Debian packages) in the
# same run, on the same zone (bench/dns/shop.example.zone plus the
# health-driven failover record www.shop.example A), one server thread each,
# measured with dnsperf and with dnsblast (bench/dnsblast.cc).
#
#   scripts/bench-dns.sh                          # install, build, full run
#   scripts/bench-dns.sh --no-install --no-build --duration 3 --rounds 1
#   TANDEM_BIN=build-x/tandem DNSBLAST_BIN=build-x/bench/dnsblast scripts/bench-dns.sh ...
#
# (a) Throughput: each server on 127.0.0.1 pinned to one CPU (taskset; the
#     load generator on the other), loaded with the same query file (~50 %
#     www.shop.example A, the rest static names and types, NODATA and
#     NXDOMAIN) for --duration s after 1 s of unmeasured warm-up, by each of
#     --generators in turn: dnsperf (one send and one recv system call per
#     query, ~9.5 µs of its CPU: its core saturates before the server's, so
#     its qps measures dnsperf) and dnsblast (the same packets, batched with
#     sendmmsg/recvmmsg and UDP GSO, ~3.5 µs per query against the servers'
#     ~5: the server's core saturates first, so its qps is the server's
#     capacity on one core). Servers alternate
#     (A B C A B C ...) for --rounds rounds, the report gives the median per
#     generator. The www answer is health-driven in tandem (failover record,
#     two HTTP_STR_MATCH checks every 1 s) and gdnsd (simplefo + http_status
#     checks every 2 s, its minimum) against two small local /health
#     endpoints on 127.0.0.1 and 127.0.0.2; Knot serves it as a static A (it
#     has no health checks); tandem-100ms is tandem with its checks every
#     100 ms. Recorded per run: qps, latency (dnsperf: avg/min/max; dnsblast:
#     avg and percentiles), lost, the load average before, the server's CPU
#     time per query (/proc), both CPUs' busy share (with dnsblast the
#     server's should be ~100 % and the generator's below), tandem's health
#     probes during the run. Before the runs every server answers each
#     distinct question once and the answers are compared.
# (b) Failover time: tandem dns with checks every 100 ms, failure_threshold 3;
#     the primary's endpoint is killed (and, separately, frozen with SIGSTOP)
#     and the answer polled over UDP every 1 ms until it flips; also gdnsd at
#     its fastest (2 s interval, down_thresh 3) for comparison.
# Prints a markdown report; one JSON line per measurement in OUT/results.jsonl.
# The binaries: TANDEM_BIN and DNSBLAST_BIN (default build-bench/tandem and
# build-bench/bench/dnsblast, which the build step makes; relative paths are
# from the repository root).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

INSTALL=1
BUILD=1
DURATION=10
ROUNDS=3
SERVERS="tandem gdnsd knot tandem-100ms"
CLIENTS=4
OUTSTANDING=200
SERVER_CPU=0
CLIENT_CPU=1
FAILOVER_REPEATS=5
FAILOVER_MODES="kill stop"
GDNSD_FAILOVER_REPEATS=3
PHASES="throughput failover"
GENERATORS="dnsperf dnsblast"
JOBS=1
OUT="$ROOT/build-bench/bench-dns"

usage() {
  awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"
  cat <<EOF
options:
  --no-install            skip apt-get (TANDEM_WITH_BENCH=1 scripts/install-deps.sh)
  --no-build              use the binaries as they are (see TANDEM_BIN, DNSBLAST_BIN)
  --duration S            seconds per measured load run (default $DURATION)
  --rounds N              rounds of alternating runs (default $ROUNDS)
  --servers "LIST"        of: tandem tandem-100ms gdnsd knot (default "$SERVERS");
                          tandem-100ms is tandem with its checks every 100 ms
  --generators "LIST"     load generators, each measures every server run in turn:
                          dnsperf dnsblast (default "$GENERATORS")
  --clients N             sockets: dnsperf -c, dnsblast -c (default $CLIENTS)
  --outstanding N         queries in flight: dnsperf -q, dnsblast -q (default $OUTSTANDING)
  --server-cpu N          CPU for the servers (default $SERVER_CPU)
  --client-cpu N          CPU for the load generator, the endpoints and pollers (default $CLIENT_CPU)
  --failover-repeats N    tandem failover measurements per mode (default $FAILOVER_REPEATS)
  --failover-modes "LIST" kill (refused) and/or stop (SIGSTOP: timeouts) (default "$FAILOVER_MODES")
  --gdnsd-failover-repeats N   the same for gdnsd, kill only; 0 skips (default $GDNSD_FAILOVER_REPEATS)
  --phases "LIST"         subset of: throughput failover (default all)
  --jobs N                build parallelism (default 1: the machine is shared)
  --out DIR               results, configs and logs (default build-bench/bench-dns)
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --no-install) INSTALL=0 ;;
    --no-build) BUILD=0 ;;
    --duration) DURATION="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --servers) SERVERS="$2"; shift ;;
    --clients) CLIENTS="$2"; shift ;;
    --outstanding) OUTSTANDING="$2"; shift ;;
    --server-cpu) SERVER_CPU="$2"; shift ;;
    --client-cpu) CLIENT_CPU="$2"; shift ;;
    --failover-repeats) FAILOVER_REPEATS="$2"; shift ;;
    --failover-modes) FAILOVER_MODES="$2"; shift ;;
    --gdnsd-failover-repeats) GDNSD_FAILOVER_REPEATS="$2"; shift ;;
    --phases) PHASES="$2"; shift ;;
    --generators) GENERATORS="$2"; shift ;;
    --jobs) JOBS="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

log() { echo "[bench-dns $(date +%T)] $*" >&2; }
has_phase() { [[ " $PHASES " == *" $1 "* ]]; }
has_generator() { [[ " $GENERATORS " == *" $1 "* ]]; }

# --- install and build ---------------------------------------------------------
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh
targets=(tandem)
has_generator dnsblast && targets+=(dnsblast)
bench_install_and_build "$INSTALL" "$BUILD" "$JOBS" "${targets[@]}"
TANDEM=$(realpath -m "${TANDEM_BIN:-$ROOT/build-bench/tandem}")
DNSBLAST=$(realpath -m "${DNSBLAST_BIN:-$ROOT/build-bench/bench/dnsblast}")
PY=/usr/bin/python3  # Debian's, with python3-dnspython
TOOL=("$PY" "$ROOT/bench/dns_tool.py")
needed=(gdnsd knotd taskset "$TANDEM")
for g in $GENERATORS; do
  case "$g" in
    dnsperf) needed+=(dnsperf) ;;
    dnsblast) needed+=("$DNSBLAST") ;;
    *) log "unknown generator $g"; exit 2 ;;
  esac
done
for tool in "${needed[@]}"; do
  command -v "$tool" >/dev/null || { log "missing $tool (drop --no-install or --no-build)"; exit 1; }
done
"$PY" -c 'import dns.message' 2>/dev/null || { log "missing python3-dnspython"; exit 1; }

mkdir -p "$OUT"
rm -rf "$OUT"/tandem "$OUT"/gdnsd "$OUT"/knot "$OUT"/*.log "$OUT"/dnsperf-*.txt \
  "$OUT"/dnsblast-*.json
OUT=$(cd "$OUT" && pwd)
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"

# --- ports, zone, queries, configurations --------------------------------------
read -r DNS_PORT ADMIN_PORT FAST_PORT FAST_ADMIN_PORT HEALTH_PORT GDNSD_PORT KNOT_PORT \
  <<<"$("${TOOL[@]}" ports 7)"
PRIMARY=127.0.0.1    # us-east-1: its /health on PRIMARY:HEALTH_PORT
SECONDARY=127.0.0.2  # eu-west-1: its /health on SECONDARY:HEALTH_PORT
ZONE="$ROOT/bench/dns/shop.example.zone"
QUERIES="$OUT/queries.txt"
QUERY_STATS=$("${TOOL[@]}" queries "$QUERIES")

"$PY" -c 'import os; print(os.urandom(32).hex())' >"$OUT/secret"
tandem_config() {  # tandem_config FILE INTERVAL TIMEOUT PORT ADMIN_PORT: like examples/dns.toml
  mkdir -p "$OUT/tandem"
  cp "$ZONE" "$OUT/tandem/shop.example.zone"
  cat >"$1" <<EOF
[cluster]
secret_file = "$OUT/secret"

[dns]
state_dir = "$OUT/tandem/state-$(basename "$1" .toml)"

[[dns.server]]
name = "ns1"
listen = "127.0.0.1:$4"
admin = "127.0.0.1:$5"

[[dns.zone]]
origin = "shop.example."
file = "$OUT/tandem/shop.example.zone"

[[health_check]]
name = "us-east-1"
type = "HTTP_STR_MATCH"
ip = "$PRIMARY"
port = $HEALTH_PORT
path = "/health"
search_string = "ok"
interval = "$2"
timeout = "$3"
failure_threshold = 3

[[health_check]]
name = "eu-west-1"
type = "HTTP_STR_MATCH"
ip = "$SECONDARY"
port = $HEALTH_PORT
path = "/health"
search_string = "ok"
interval = "$2"
timeout = "$3"
failure_threshold = 3

[[record]]
name = "www.shop.example."
type = "A"
ttl = 5
routing = "failover"
answers = [
  { set = "us-east-1", failover = "PRIMARY", value = "$PRIMARY", health_check = "us-east-1" },
  { set = "eu-west-1", failover = "SECONDARY", value = "$SECONDARY", health_check = "eu-west-1" },
]
EOF
}
tandem_config "$OUT/tandem/dns.toml" 1s 500ms "$DNS_PORT" "$ADMIN_PORT"
tandem_config "$OUT/tandem/dns-100ms.toml" 100ms 50ms "$FAST_PORT" "$FAST_ADMIN_PORT"

# Batching, for fairness with tandem (recvmmsg/sendmmsg of up to 64): gdnsd 3
# (Debian has 3.8) took udp_recv_width out of its config (only a warning now)
# and always receives up to 16 datagrams per recvmmsg (its VERSION3.md); gdnsd
# 2 had the option, range 1..64, default 8. So there is nothing to set here.
gdnsd_config() {  # gdnsd_config DIR: simplefo over http_status checks, every 2 s (its minimum)
  mkdir -p "$1/zones" "$1/run" "$1/state"
  cat >"$1/config" <<EOF
options => {
  listen => [ 127.0.0.1:$GDNSD_PORT ]
  udp_threads => 1
  tcp_threads => 1
  zones_default_ttl => 300
  run_dir => $1/run
  state_dir => $1/state
}
service_types => {
  region_up => {
    plugin => http_status
    port => $HEALTH_PORT
    url_path => /health
    interval => 2
    timeout => 1
    up_thresh => 3
    down_thresh => 3
    ok_thresh => 3
  }
}
plugins => {
  simplefo => {
    www => { primary => $PRIMARY, secondary => $SECONDARY, service_types => region_up }
  }
}
EOF
  { cat "$ZONE"; echo "www     5 DYNA simplefo!www"; } >"$1/zones/shop.example"
}
gdnsd_config "$OUT/gdnsd"

# Knot has no batch option either: its UDP workers use recvmmsg with a
# compile-time batch of 10 (RECVMMSG_BATCHLEN); udp-max-payload is the EDNS
# size, and XDP needs a NIC, not loopback. Left at its defaults.
mkdir -p "$OUT/knot/run" "$OUT/knot/db"
{ cat "$ZONE"; echo "www     5 IN A $PRIMARY"; } >"$OUT/knot/shop.example.zone"
cat >"$OUT/knot/knot.conf" <<EOF
server:
    rundir: "$OUT/knot/run"
    listen: 127.0.0.1@$KNOT_PORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$OUT/knot/db"
log:
  - target: stderr
    any: info
zone:
  - domain: shop.example.
    file: "$OUT/knot/shop.example.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
EOF

# --- processes -------------------------------------------------------------------
declare -A PIDS=()  # name -> pid of what this script started
cleanup() {
  for name in "${!PIDS[@]}"; do
    kill -CONT "${PIDS[$name]}" 2>/dev/null || true
    kill -TERM "${PIDS[$name]}" 2>/dev/null || true
  done
  for name in "${!PIDS[@]}"; do wait "${PIDS[$name]}" 2>/dev/null || true; done
}
trap cleanup EXIT

stop() {  # stop NAME: SIGTERM, then SIGKILL after 10 s
  local pid=${PIDS[$1]:-}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "PIDS[$1]"
}

start_endpoint() {  # start_endpoint NAME HOST: the region's /health, pinned with the client
  taskset -c "$CLIENT_CPU" "${TOOL[@]}" health-server "$2" "$HEALTH_PORT" >>"$OUT/$1.log" 2>&1 &
  PIDS[$1]=$!
  for _ in $(seq 1 100); do
    if curl -sf -o /dev/null "http://$2:$HEALTH_PORT/health"; then return 0; fi
    sleep 0.1
  done
  log "endpoint $1 did not start"
  exit 1
}

admin_of() {  # admin_of SERVER: tandem's admin API, empty for the peers
  case "$1" in
    tandem) echo "127.0.0.1:$ADMIN_PORT" ;;
    tandem-100ms) echo "127.0.0.1:$FAST_ADMIN_PORT" ;;
  esac
}
probes() {  # probes SERVER: tandem's probe counters as JSON, null for the peers
  local admin
  admin=$(admin_of "$1")
  if [ -n "$admin" ]; then "${TOOL[@]}" probes "$admin" || echo null; else echo null; fi
}

port_of() {  # port_of SERVER
  case "$1" in
    tandem) echo "$DNS_PORT" ;;
    tandem-100ms) echo "$FAST_PORT" ;;
    gdnsd) echo "$GDNSD_PORT" ;;
    knot) echo "$KNOT_PORT" ;;
  esac
}

start_server() {  # start_server SERVER [EXPECTED_WWW]: pinned to SERVER_CPU, waits for www A
  local s=$1 expect=${2:-$PRIMARY} cmd
  case "$s" in
    tandem) cmd=("$TANDEM" dns --config "$OUT/tandem/dns.toml" --server ns1) ;;
    tandem-100ms) cmd=("$TANDEM" dns --config "$OUT/tandem/dns-100ms.toml" --server ns1) ;;
    gdnsd) cmd=(gdnsd -c "$OUT/gdnsd" start) ;;
    knot) cmd=(knotd -c "$OUT/knot/knot.conf") ;;
    *) log "unknown server $s"; exit 2 ;;
  esac
  taskset -c "$SERVER_CPU" "${cmd[@]}" >>"$OUT/$s.log" 2>&1 &
  PIDS[$s]=$!
  if ! "${TOOL[@]}" wait-answer "127.0.0.1:$(port_of "$s")" www.shop.example. "$expect" \
      --timeout 60; then
    log "$s did not answer www.shop.example A = $expect; its log:"
    tail -20 "$OUT/$s.log" >&2
    exit 1
  fi
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
user_ticks() { awk '{print $14}' "/proc/$1/stat" 2>/dev/null || echo 0; }
cpu_busy() {  # cpu_busy N: "busy total" jiffies of CPU N from /proc/stat
  awk -v c="cpu$1" '$1 == c {t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t}' /proc/stat
}
pct() {  # pct "BUSY0 TOTAL0" "BUSY1 TOTAL1"
  awk -v a="$1" -v b="$2" 'BEGIN {split(a, x, " "); split(b, y, " ");
    d = y[2] - x[2]; printf "%.1f", (d > 0 ? 100 * (y[1] - x[1]) / d : 0)}'
}
TICKS=$(getconf CLK_TCK)
DNSPERF_ARGS="-c $CLIENTS -q $OUTSTANDING -T 1 -t 2"
DNSBLAST_ARGS="-c $CLIENTS -q $OUTSTANDING -t 2 -b 64"
load_run() {  # load_run GENERATOR PORT SECONDS OUT: one run on CLIENT_CPU, its report in OUT
  case "$1" in
    dnsperf)
      taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$2" -d "$QUERIES" -l "$3" \
        $DNSPERF_ARGS >"$4" 2>&1 ;;
    dnsblast)  # JSON on stdout; complaints go to the log
      taskset -c "$CLIENT_CPU" "$DNSBLAST" -s 127.0.0.1 -p "$2" -d "$QUERIES" -l "$3" \
        $DNSBLAST_ARGS >"$4" 2>>"$OUT/dnsblast.log" ;;
  esac
}

# --- start -----------------------------------------------------------------------
versions=$(printf '%s; %s; %s' "$(knotd -V 2>&1 | head -1)" \
  "$(dpkg-query -W -f='gdnsd ${Version}' gdnsd 2>/dev/null)" \
  "$(dpkg-query -W -f='dnsperf ${Version}' dnsperf 2>/dev/null)")
log "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $versions"
echo "{\"phase\":\"meta\",\"date\":\"$(date -u +%FT%TZ)\",\"commit\":\"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\",\"dirty\":$(GIT_OPTIONAL_LOCKS=0 git status --porcelain 2>/dev/null | grep -q . && echo true || echo false),\"tandem_mtime\":\"$(date -u -r "$TANDEM" +%FT%TZ)\",\"nproc\":$(nproc),\"loadavg_start\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"duration_s\":$DURATION,\"rounds\":$ROUNDS,\"server_cpu\":$SERVER_CPU,\"client_cpu\":$CLIENT_CPU,\"generators\":\"$GENERATORS\",\"dnsperf_args\":\"$DNSPERF_ARGS\",\"dnsblast_args\":\"$DNSBLAST_ARGS\",\"versions\":\"$versions\",\"queries\":$QUERY_STATS}" >>"$RESULTS"
start_endpoint endpoint-us-east-1 "$PRIMARY"
start_endpoint endpoint-eu-west-1 "$SECONDARY"

# --- (a) throughput ----------------------------------------------------------------
if has_phase throughput; then
  # Same answers? Every distinct question once, all servers up together.
  specs=()
  for s in $SERVERS; do
    start_server "$s"
    specs+=("$s=127.0.0.1:$(port_of "$s")")
  done
  verify=$("${TOOL[@]}" verify "$QUERIES" "${specs[@]}")
  echo "{\"phase\":\"verify\",\"servers\":[$(printf '"%s",' $SERVERS | sed 's/,$//')],${verify#\{}" >>"$RESULTS"
  log "answers compared: $(echo "$verify" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["questions"], "questions,", len(d["differences"]), "differ; mean response bytes", d["mean_response_bytes"])')"
  for s in $SERVERS; do stop "$s"; done

  for round in $(seq 1 "$ROUNDS"); do
    for s in $SERVERS; do
      start_server "$s"
      port=$(port_of "$s")
      health=true
      [ "$s" = knot ] && health=false
      for g in $GENERATORS; do
        load_run "$g" "$port" 1 /dev/null || true  # warm-up, not measured
        load=$(cut -d' ' -f1 /proc/loadavg)
        p0=$(probes "$s")
        u0=$(user_ticks "${PIDS[$s]}") t0=$(cpu_ticks "${PIDS[$s]}") c0=$(cpu_busy "$SERVER_CPU") d0=$(cpu_busy "$CLIENT_CPU")
        raw="$OUT/$g-$s-$round.$([ "$g" = dnsperf ] && echo txt || echo json)"
        load_run "$g" "$port" "$DURATION" "$raw" || log "WARNING: $g exited $?"
        u1=$(user_ticks "${PIDS[$s]}") t1=$(cpu_ticks "${PIDS[$s]}") c1=$(cpu_busy "$SERVER_CPU") d1=$(cpu_busy "$CLIENT_CPU")
        p1=$(probes "$s")
        # Still health-driven and still on the primary after the run?
        www=$("${TOOL[@]}" wait-answer "127.0.0.1:$port" www.shop.example. "$PRIMARY" --timeout 2 \
          >/dev/null 2>&1 && echo primary || echo CHANGED)
        perf=$("${TOOL[@]}" "$g" "$raw")
        cpu_s=$(awk -v a="$t0" -v b="$t1" -v t="$TICKS" 'BEGIN {printf "%.2f", (b - a) / t}')
        user_s=$(awk -v a="$u0" -v b="$u1" -v t="$TICKS" 'BEGIN {printf "%.2f", (b - a) / t}')
        cpu_pct=$(awk -v c="$cpu_s" -v d="$DURATION" 'BEGIN {printf "%.1f", 100 * c / d}')
        busy_server=$(pct "$c0" "$c1") busy_client=$(pct "$d0" "$d1")
        echo "{\"phase\":\"throughput\",\"round\":$round,\"server\":\"$s\",\"generator\":\"$g\",\"health_driven\":$health,\"loadavg_before\":$load,\"server_cpu_s\":$cpu_s,\"server_user_s\":$user_s,\"server_cpu_pct\":$cpu_pct,\"cpu_busy_pct\":{\"server\":$busy_server,\"client\":$busy_client},\"www_after\":\"$www\",\"probes_before\":$p0,\"probes_after\":$p1,\"$g\":$perf}" >>"$RESULTS"
        log "(a) round $round $s, $g: $("${TOOL[@]}" summary "$g" "$perf"), server CPU $cpu_pct %, CPU busy: server $busy_server %, $g $busy_client %, load before $load, www after: $www"
      done
      stop "$s"
    done
  done
fi

# --- (b) failover time ---------------------------------------------------------------
if has_phase failover; then
  # The tool runs the primary's endpoint itself (it kills and restarts it).
  stop endpoint-us-east-1
  start_server tandem-100ms "$SECONDARY"  # the primary's endpoint is down at start
  for mode in $FAILOVER_MODES; do
    log "(b) tandem, checks every 100 ms, threshold 3: primary endpoint $mode x $FAILOVER_REPEATS"
    taskset -c "$CLIENT_CPU" "${TOOL[@]}" failover --dns "127.0.0.1:$FAST_PORT" \
      --endpoint "$PRIMARY:$HEALTH_PORT" --mode "$mode" --repeats "$FAILOVER_REPEATS" \
      --settle 0.5 --phase 0.2 --label tandem \
      --extra '{"checks":"interval 100 ms, timeout 50 ms, failure_threshold 3"}' | tee -a "$RESULTS" >&2
  done
  stop tandem-100ms
  if [ "$GDNSD_FAILOVER_REPEATS" -gt 0 ] && [[ " $SERVERS " == *" gdnsd "* ]]; then
    log "(b) gdnsd, http_status every 2 s, down_thresh 3: primary endpoint kill x $GDNSD_FAILOVER_REPEATS"
    start_server gdnsd "$SECONDARY"
    taskset -c "$CLIENT_CPU" "${TOOL[@]}" failover --dns "127.0.0.1:$GDNSD_PORT" \
      --endpoint "$PRIMARY:$HEALTH_PORT" --mode kill --repeats "$GDNSD_FAILOVER_REPEATS" \
      --settle 2 --phase 2 --label gdnsd --timeout 120 \
      --extra '{"checks":"interval 2 s, timeout 1 s, down_thresh 3, up_thresh 3"}' | tee -a "$RESULTS" >&2
    stop gdnsd
  fi
fi

echo "{\"phase\":\"meta-end\",\"loadavg_end\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >>"$RESULTS"
"${TOOL[@]}" report "$RESULTS" | tee "$OUT/report.md"
