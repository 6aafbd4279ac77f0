#!/bin/bash
# Relaying benchmark: the figures doc/performance.md reports for traffic
# through one relay against the direct way, on one underlay in one run.
#   tests/bench/relay_bench.sh [--runs N] [--time SECONDS]
# As root. Three nodes a, b, c on one bridge (tests/netns/lib.sh), router
# mode, default settings. Measures, each N times (3) and reports the
# median:
#   - iperf3 TCP a -> c over the bare underlay, through braid directly,
#     and through braid via b once nftables drops everything between a and
#     c (SECONDS each, default 10);
#   - ping round trips a -> c the same three ways (100 pings, -i 0.02;
#     their average and least);
#   - the cut under traffic: tests/netns/relay_triangle.sh (a stream a -> c
#     whose direct way is cut at 5 s and restored at 20 s), its longest
#     stall, the time a took to find the direct way lost and to find it
#     back, and what b carried while relaying and after the return.
# Prints every RESULT (and FAIL) line, then a markdown table of the medians.
# BRAID and BRAID_CAPTURE pick the programs, as for the end-to-end tests.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
NETNS_DIR=$BENCH_DIR/../netns
runs=3
secs=10
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --time) secs=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[0-9]+$ && $runs -gt 0 ]] || { echo "--runs needs a number" >&2; exit 2; }
[[ $secs =~ ^[0-9]+$ && $secs -gt 0 ]] || { echo "--time needs a number of seconds" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "needs root (network namespaces)" >&2; exit 77; }

results=$(mktemp)
# Throughput and round trips, in a script of their own so that lib.sh's
# cleanup runs for them as for any test.
paths=$(mktemp)
trap 'rm -f "$results" "$paths"' EXIT
cat >"$paths" <<'EOF'
NETNS_EXCLUSIVE=1
. "$NETNS_DIR/lib.sh"
netns_init
relay_nodes a b c
braid_start_mesh a tun relay-bench-key "$(peer4 b)" "$(peer4 c)" -- -m router
braid_start_mesh b tun relay-bench-key "$(peer4 a)" "$(peer4 c)" -- -m router
braid_start_mesh c tun relay-bench-key "$(peer4 a)" "$(peer4 b)" -- -m router
wait_until 20 full_mesh a b c || fail "no full mesh of direct sessions within 20 s"
idc=$(node_id c)
ida=$(node_id a)
wait_ping a "$(overlay4 c)" 10

# rtt LABEL ADDR: "rtt=AVG rtt_min=MIN" of 100 pings a -> ADDR, in ms.
rtt() {
  nsx a ping -n -q -c 100 -i 0.02 -W 1 "$2" >"$NETNS_WORK/ping-$1.log" 2>&1 || true
  sed -nE 's|.*= ([0-9.]+)/([0-9.]+)/.*|rtt=\2 rtt_min=\1|p' "$NETNS_WORK/ping-$1.log"
}
# tcp LABEL ADDR: one iperf3 run a -> ADDR (a server in c), Mbit/s.
tcp() { ml_goodput "$1" a c "$2" "$SECS"; }

for ((run = 1; run <= RUNS; ++run)); do
  log "RESULT raw run=$run tcp=$(tcp "raw$run" "$(underlay4 c)") mbit $(rtt "raw$run" "$(underlay4 c)") ms"
  log "RESULT direct run=$run tcp=$(tcp "direct$run" "$(overlay4 c)") mbit $(rtt "direct$run" "$(overlay4 c)") ms"
done
# The cut: traffic finds it (a ping every second until one gets through b).
relay_block a c
wait_ping a "$(overlay4 c)" 30
wait_log a 10 "peer $idc: direct way lost" || fail "a did not find the direct way to c lost"
wait_log c 10 "peer $ida: direct way lost" || log "c's log does not say the direct way to a is lost"
for ((run = 1; run <= RUNS; ++run)); do
  before=$(relay_dev_bytes b eth0)
  mbit=$(tcp "relayed$run" "$(overlay4 c)")
  moved=$(( $(relay_dev_bytes b eth0) - before ))
  log "RESULT relayed run=$run tcp=$mbit mbit $(rtt "relayed$run" "$(overlay4 c)") ms" \
      "b_underlay_bytes=$moved"
done
EOF

for ((run = 1; run <= runs; ++run)); do
  echo "run $run: the cut under traffic (relay_triangle.sh)" >&2
  bash "$NETNS_DIR/relay_triangle.sh" 2>&1 | grep -oE 'RESULT .*|FAIL: .*' | tee -a "$results"
done
echo "throughput and round trips, $runs runs of each" >&2
NETNS_DIR=$NETNS_DIR RUNS=$runs SECS=$secs bash "$paths" 2>&1 | grep -oE 'RESULT .*|FAIL: .*' |
  tee -a "$results"

# median KIND KEY: the median of KEY=value over the RESULT lines of KIND.
median() {
  grep "^RESULT $1 " "$results" | grep -o " $2=[0-9.-]*" | cut -d= -f2 | grep -v '^-*$' |
    sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}

cat <<EOF

| figure | median of $runs |
|---|---|
| TCP a -> c, bare underlay | $(median raw tcp) Mbit/s |
| TCP a -> c, braid direct | $(median direct tcp) Mbit/s |
| TCP a -> c, braid through b | $(median relayed tcp) Mbit/s |
| ping a -> c (avg of 100), bare / direct / through b | $(median raw rtt) / $(median direct rtt) / $(median relayed rtt) ms |
| ping a -> c (min of 100), bare / direct / through b | $(median raw rtt_min) / $(median direct rtt_min) / $(median relayed rtt_min) ms |
| cut under a TCP stream: a finds the direct way lost after | $(median relay_triangle lost_after) ms |
| cut under a TCP stream: longest stall of the stream | $(median relay_triangle longest_stall) s |
| way restored: a finds it answering after | $(median relay_triangle back_after) ms |
| b's underlay while relaying / after the return | $(median relay_triangle b_relaying) / $(median relay_triangle b_after_return) Mbit/s |
EOF
