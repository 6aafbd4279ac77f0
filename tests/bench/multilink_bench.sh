#!/bin/bash
# Multi-link benchmark: the figures doc/performance.md reports for two
# nodes joined by two links shaped with tc tbf to 50 and 25 Mbit/s.
#   tests/bench/multilink_bench.sh [--runs N]
# As root. Runs each multi-link end-to-end test N times (3) and collects
# its RESULT lines — aggregation against the raw links, wrong weights,
# failover stalls, ping under load, a delayed and lossy second link — and
# measures once more per run what the tests do not assert: the bandwidths
# set the wrong way round (50 Mbit/s configured on the 25 Mbit/s link and
# the other way), and braid over link one alone. Prints every RESULT line,
# then the median of each figure as a markdown table.
# BRAID and BRAID_IMPAIR pick the programs, as for the end-to-end tests.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
NETNS_DIR=$BENCH_DIR/../netns
runs=3
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ $runs =~ ^[0-9]+$ && $runs -gt 0 ]] || { echo "--runs needs a number" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "needs root (network namespaces)" >&2; exit 77; }

results=$(mktemp)
# The swapped bandwidths and link one alone, in a script of their own so
# that lib.sh's cleanup runs for them as for any test.
extra=$(mktemp)
trap 'rm -f "$results" "$extra"' EXIT
cat >"$extra" <<'EOF'
. "$NETNS_DIR/lib.sh"
netns_init
netns_multilink a b 50mbit 25mbit
ml_start a "one,ml1,50mbit" -- "$(ml_peer b 1)"
ml_start b "one,ml1,50mbit"
ml_up a b 20
log "RESULT link_one_alone goodput=$(ml_goodput one a b "$(overlay4 b)" 10) mbit"
braid_stop a; braid_stop b
ml_start a "one,ml1,25mbit" "two,ml2,50mbit" -- "$(ml_peer b 1)"
ml_start b "one,ml1,25mbit" "two,ml2,50mbit"
ml_up a b 20
sleep 2
log "RESULT swapped_bandwidths goodput=$(ml_goodput swapped a b "$(overlay4 b)" 10) mbit"
EOF

for ((run = 1; run <= runs; ++run)); do
  for t in multilink_aggregate multilink_failover multilink_priority multilink_impair; do
    echo "run $run: $t" >&2
    bash "$NETNS_DIR/$t.sh" 2>&1 | grep -o 'RESULT .*' | tee -a "$results"
  done
  echo "run $run: swapped bandwidths, link one alone" >&2
  NETNS_DIR=$NETNS_DIR bash "$extra" 2>&1 | grep -o 'RESULT .*' | tee -a "$results"
done

# median KIND KEY: the median of KEY=value over the RESULT lines of KIND.
median() {
  grep "^RESULT $1 " "$results" | grep -o "$2=[0-9.]*" | cut -d= -f2 | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'
}

cat <<EOF

| figure | median of $runs |
|---|---|
| raw TCP, link one (tbf 50 Mbit/s) | $(median raw link1) Mbit/s |
| raw TCP, link two (tbf 25 Mbit/s) | $(median raw link2) Mbit/s |
| braid, link one alone | $(median link_one_alone goodput) Mbit/s |
| braid, both links | $(median aggregate goodput) Mbit/s ($(median aggregate ratio) of the raw sum, $(median aggregate ratio_nominal) of 75) |
| braid, unpaced links weighted 1 and 4 the wrong way | $(median wrong_weight goodput) Mbit/s |
| braid, bandwidths swapped (25 set on the 50 link, 50 on the 25) | $(median swapped_bandwidths goodput) Mbit/s |
| failover: longest stall, link two pulled mid-stream | $(median failover longest_stall) s |
| failover: goodput over the 20 s | $(median failover goodput) Mbit/s |
| ping beside a saturating stream, idle / loaded median | $(median priority idle_median) / $(median priority loaded_median) ms |
| raw link one: ping idle / loaded median | $(median priority_raw idle_median) / $(median priority_raw loaded_median) ms |
| link two through 30 ms, 1% loss: link one alone / both | $(median impair one) / $(median impair both) Mbit/s |
EOF
