#!/bin/bash
# Benchmark: braid against a raw veth pair and against wireguard-go, in one
# run on one machine, reported as a markdown table with ratios.
#   tests/bench/bench.sh [--time SECONDS] [--write-doc]
# As root. Two namespaces joined by one veth pair (MTU 1500); each VPN
# picks its own tunnel MTU. Per case: iperf3 TCP with one stream and with
# -P 4, CPU seconds of the VPN processes per gigabit moved, ping latency
# (200 pings, 10 ms apart) and the peak RSS of the VPN processes.
# --write-doc replaces the results section of doc/performance.md.
# BRAID=path picks the daemon, as for the end-to-end tests.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=$(cd "$BENCH_DIR/../.." && pwd)
COMMAND_LINE="tests/bench/bench.sh${*:+ $*}"
# shellcheck source=../netns/lib.sh
. "$BENCH_DIR/../netns/lib.sh"

duration=10
write_doc=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --time) duration=$2; shift 2 ;;
    --write-doc) write_doc=1; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ $duration =~ ^[0-9]+$ && $duration -gt 0 ]] || fail "--time needs a number of seconds"

# Progress goes to stderr; stdout carries only the results.
log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

command -v jq >/dev/null || skip "jq not installed (parses iperf3's JSON)"
netns_init

have_wg=0
if command -v wireguard-go >/dev/null && command -v wg >/dev/null; then have_wg=1; fi
have_aes=0
grep -qw aes /proc/cpuinfo && have_aes=1

clk_tck=$(getconf CLK_TCK)
CASES=()
declare -A R_TCP1 R_TCP4 R_CPU R_PING_AVG R_PING_P99 R_PING_LOSS R_RSS R_RSS_NOW R_MTU R_NOTE

# --- measuring ----------------------------------------------------------

CASE_PIDS=()   # the VPN processes of the running case (both nodes)

# Pids of the processes of each braid parent: itself and its children.
braid_tree() {
  local p
  for p in "$@"; do
    printf '%s\n' "$p"
    pgrep -P "$p" || true
  done
}

cpu_ticks() {
  local total=0 pid f
  for pid in "${CASE_PIDS[@]}"; do
    # Fields 14 and 15 (utime, stime) after the parenthesised command.
    f=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    read -r -a st <<<"$f"
    total=$(( total + st[11] + st[12] ))
  done
  printf '%s' "$total"
}

# rss_kb FIELD NODE...: FIELD (VmHWM: peak, VmRSS: now) in kB summed over
# one node's VPN processes, the larger of the nodes.
rss_kb() {
  local field=$1 best=0 node sum pid hwm; shift
  for node in "$@"; do
    sum=0
    for pid in $(node_pids "$node"); do
      hwm=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
      sum=$(( sum + ${hwm:-0} ))
    done
    (( sum > best )) && best=$sum
  done
  printf '%s' "$best"
}

declare -A NODE_ROOT_PID=()
node_pids() {
  local root=${NODE_ROOT_PID[$1]:-}
  [[ -n $root ]] || return 0
  braid_tree "$root"
}

# iperf3 JSON run from node A to ADDR in node B; echoes "bits bytes".
iperf_json() {
  local a=$1 b=$2 addr=$3; shift 3
  local srv out
  ip netns exec "$(ns_name "$b")" iperf3 -s -1 -B "$addr" >/dev/null 2>&1 &
  srv=$!
  NETNS_PIDS+=("$srv")
  wait_until 5 iperf_listening "$b" || fail "iperf3 server in $b did not start"
  out=$NETNS_WORK/iperf-$a-$*.json
  out=${out// /_}
  if ! timeout $(( duration + 30 )) ip netns exec "$(ns_name "$a")" \
      iperf3 -c "$addr" --connect-timeout 5000 -J -t "$duration" "$@" >"$out" 2>&1; then
    wait_exit "$srv" 5 || kill -KILL "$srv" 2>/dev/null || true
    echo "0 0"
    return 0
  fi
  wait_exit "$srv" 5 || true
  jq -r '"\(.end.sum_received.bits_per_second) \(.end.sum_received.bytes)"' "$out"
}

# ping statistics from node A to ADDR: "avg p99 loss%".
ping_stats() {
  local a=$1 addr=$2
  nsx "$a" ping -n -q -c 1 -W 2 "$addr" >/dev/null 2>&1 || true
  nsx "$a" ping -n -c 200 -i 0.01 -W 1 "$addr" 2>/dev/null |
    sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -g |
    awk '{ t[NR] = $1; s += $1 }
         END {
           if (NR == 0) { print "- - 100"; exit }
           i = int(0.99 * NR + 0.999999)
           printf "%.3f %.3f %.1f\n", s / NR, t[i], (200 - NR) / 2
         }'
}

# measure CASE A B ADDR: the whole measurement set over ADDR (in B).
measure() {
  local name=$1 a=$2 b=$3 addr=$4
  local t0 t1 r1 r4 bits1 bytes1 bits4 bytes4 gbit
  log "$name: TCP, one stream, ${duration}s"
  t0=$(cpu_ticks)
  r1=$(iperf_json "$a" "$b" "$addr")
  log "$name: TCP, four streams, ${duration}s"
  r4=$(iperf_json "$a" "$b" "$addr" -P 4)
  t1=$(cpu_ticks)
  read -r bits1 bytes1 <<<"$r1"
  read -r bits4 bytes4 <<<"$r4"
  R_TCP1[$name]=$(awk -v b="$bits1" 'BEGIN { printf "%.0f", b / 1e6 }')
  R_TCP4[$name]=$(awk -v b="$bits4" 'BEGIN { printf "%.0f", b / 1e6 }')
  gbit=$(awk -v x="$bytes1" -v y="$bytes4" 'BEGIN { printf "%.6f", (x + y) * 8 / 1e9 }')
  if [[ ${#CASE_PIDS[@]} -gt 0 ]]; then
    R_CPU[$name]=$(awk -v t=$(( t1 - t0 )) -v hz="$clk_tck" -v g="$gbit" \
      'BEGIN { if (g > 0) printf "%.2f", t / hz / g; else print "-" }')
  else
    R_CPU[$name]="-"
  fi
  log "$name: ping, 200 x 10 ms"
  read -r "R_PING_AVG[$name]" "R_PING_P99[$name]" "R_PING_LOSS[$name]" <<<"$(ping_stats "$a" "$addr")"
  CASES+=("$name")
  log "$name: ${R_TCP1[$name]} / ${R_TCP4[$name]} Mbit/s, ${R_CPU[$name]} CPU s/Gbit," \
      "ping ${R_PING_AVG[$name]}/${R_PING_P99[$name]} ms"
}

# Stops the VPN processes of a case so the next one has the CPUs alone.
stop_case() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do wait_exit "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true; done
  CASE_PIDS=()
  NODE_ROOT_PID=()
}

record_rss() {
  local name=$1; shift
  R_RSS[$name]=$(awk -v k="$(rss_kb VmHWM "$@")" 'BEGIN { printf "%.1f", k / 1024 }')
  R_RSS_NOW[$name]=$(awk -v k="$(rss_kb VmRSS "$@")" 'BEGIN { printf "%.1f", k / 1024 }')
}

# --- the cases ----------------------------------------------------------

bench_veth() {
  netns_pair va vb
  wait_until 5 ping_once va "$(underlay4 vb)" || fail "veth pair does not ping"
  R_MTU[veth]=$(nsx va cat /sys/class/net/eth0/mtu)
  R_RSS[veth]="-"; R_RSS_NOW[veth]="-"
  CASE_PIDS=()
  measure veth va vb "$(underlay4 vb)"
}

# bench_braid NAME CRYPTO
bench_braid() {
  local name=$1 crypto=$2 a=${3:-ba} b=${4:-bb}
  local sec=(--crypto "$crypto")
  [[ $crypto == plain ]] || sec+=(--shared-key bench-key)
  netns_pair "$a" "$b"
  braid_start "$a" -t tun "${sec[@]}" -c "$(peer4 "$b")" \
    --ifup "$(ifup_cmd "$(overlay4 "$a")/24")"
  braid_start "$b" -t tun "${sec[@]}" -c "$(peer4 "$a")" \
    --ifup "$(ifup_cmd "$(overlay4 "$b")/24")"
  if ! wait_until 20 ping_once "$a" "$(overlay4 "$b")"; then
    R_NOTE[$name]="did not come up"
    log "$name: tunnel did not come up; skipped"
    stop_case "${BRAID_PID[$a]}" "${BRAID_PID[$b]}"
    return 0
  fi
  NODE_ROOT_PID[$a]=${BRAID_PID[$a]}
  NODE_ROOT_PID[$b]=${BRAID_PID[$b]}
  mapfile -t CASE_PIDS < <(braid_tree "${BRAID_PID[$a]}" "${BRAID_PID[$b]}")
  log "$name: measuring processes ${CASE_PIDS[*]}"
  R_MTU[$name]=$(nsx "$a" cat "/sys/class/net/$BRAID_DEV/mtu")
  measure "$name" "$a" "$b" "$(overlay4 "$b")"
  record_rss "$name" "$a" "$b"
  stop_case "${BRAID_PID[$a]}" "${BRAID_PID[$b]}"
  unset "BRAID_PID[$a]" "BRAID_PID[$b]"
}

# wireguard-go: the userspace WireGuard, configured with wg(8). Each
# instance gets its own interface name because its control socket lives
# in /var/run/wireguard, shared by all namespaces.
bench_wg() {
  local name=wireguard-go a=wa b=wb n ka kb pa pb
  netns_pair "$a" "$b"
  ka=$(wg genkey); kb=$(wg genkey)
  pa=$(wg pubkey <<<"$ka"); pb=$(wg pubkey <<<"$kb")
  declare -A dev=([$a]="wg$$a" [$b]="wg$$b")
  declare -A pid=()
  for n in "$a" "$b"; do
    ip netns exec "$(ns_name "$n")" env WG_PROCESS_FOREGROUND=1 \
      wireguard-go "${dev[$n]}" >"$NETNS_WORK/wg-$n.log" 2>&1 &
    pid[$n]=$!
    NETNS_PIDS+=("$!")
    wait_until 5 nsx "$n" ip link show dev "${dev[$n]}" ||
      fail "wireguard-go did not create ${dev[$n]}"
  done
  nsx "$a" wg set "${dev[$a]}" private-key <(echo "$ka") listen-port 51820 \
    peer "$pb" allowed-ips "$(overlay4 "$b")/32" endpoint "$(underlay4 "$b"):51820"
  nsx "$b" wg set "${dev[$b]}" private-key <(echo "$kb") listen-port 51820 \
    peer "$pa" allowed-ips "$(overlay4 "$a")/32" endpoint "$(underlay4 "$a"):51820"
  for n in "$a" "$b"; do
    nsx "$n" ip addr add "$(overlay4 "$n")/24" dev "${dev[$n]}"
    nsx "$n" ip link set "${dev[$n]}" up
  done
  wait_until 20 ping_once "$a" "$(overlay4 "$b")" || fail "wireguard-go tunnel does not ping"
  NODE_ROOT_PID[$a]=${pid[$a]}
  NODE_ROOT_PID[$b]=${pid[$b]}
  CASE_PIDS=("${pid[$a]}" "${pid[$b]}")
  R_MTU[$name]=$(nsx "$a" cat "/sys/class/net/${dev[$a]}/mtu")
  measure "$name" "$a" "$b" "$(overlay4 "$b")"
  record_rss "$name" "$a" "$b"
  stop_case "${pid[$a]}" "${pid[$b]}"
}

# --- report ---------------------------------------------------------------

ratio() {  # ratio X Y: X / Y to two decimals, or "-"
  awk -v x="$1" -v y="$2" 'BEGIN {
    if (x == "-" || y == "-" || x == "" || y == "" || y + 0 == 0) print "-";
    else printf "%.2f", x / y }'
}

report() {
  local c ref=wireguard-go
  echo "- Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPU(s):" \
       "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
       "Linux $(uname -r); load average before the run: $LOAD_BEFORE."
  echo "- braid $("$BRAID" --version 2>/dev/null | head -n 1 | sed 's/^braid //')," \
       "$(wireguard-go --version 2>/dev/null | head -n 1 || echo 'wireguard-go absent')," \
       "$(iperf3 --version | head -n 1 | cut -d' ' -f1,2)."
  echo "- Command: \`$COMMAND_LINE\` (as root; ${duration} s per iperf3 run)."
  echo
  echo "| case | tunnel MTU | TCP 1 stream (Mbit/s) | TCP 4 streams (Mbit/s) | CPU s per Gbit | ping avg (ms) | ping p99 (ms) | ping loss (%) | peak RSS (MiB) | RSS after (MiB) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in "${CASES[@]}"; do
    echo "| $c | ${R_MTU[$c]} | ${R_TCP1[$c]} | ${R_TCP4[$c]} | ${R_CPU[$c]} |" \
         "${R_PING_AVG[$c]} | ${R_PING_P99[$c]} | ${R_PING_LOSS[$c]} | ${R_RSS[$c]} | ${R_RSS_NOW[$c]} |"
  done
  for c in "${!R_NOTE[@]}"; do echo; echo "$c: ${R_NOTE[$c]}."; done
  if [[ -n "${R_TCP1[$ref]:-}" ]]; then
    echo
    echo "Ratios braid / wireguard-go (throughput: higher is better; CPU, latency, RSS: lower is better):"
    echo
    echo "| case | TCP 1 stream | TCP 4 streams | CPU s per Gbit | ping avg | ping p99 | peak RSS | RSS after |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    for c in "${CASES[@]}"; do
      [[ $c == braid-* ]] || continue
      echo "| $c | $(ratio "${R_TCP1[$c]}" "${R_TCP1[$ref]}") |" \
           "$(ratio "${R_TCP4[$c]}" "${R_TCP4[$ref]}") |" \
           "$(ratio "${R_CPU[$c]}" "${R_CPU[$ref]}") |" \
           "$(ratio "${R_PING_AVG[$c]}" "${R_PING_AVG[$ref]}") |" \
           "$(ratio "${R_PING_P99[$c]}" "${R_PING_P99[$ref]}") |" \
           "$(ratio "${R_RSS[$c]}" "${R_RSS[$ref]}") |" \
           "$(ratio "${R_RSS_NOW[$c]}" "${R_RSS_NOW[$ref]}") |"
    done
  fi
  echo
  if ip link add "brdwg$$" type wireguard 2>/dev/null; then
    ip link del "brdwg$$"
    echo "Kernel WireGuard exists on this host but is not measured here."
  else
    echo "Kernel WireGuard: not available in this kernel (no wireguard module), so not measured."
  fi
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
bench_veth
bench_braid braid-chacha20 chacha20 ca cb
if [[ $have_aes == 1 ]]; then
  bench_braid braid-aes256 aes256 aa ab
else
  R_NOTE[braid-aes256]="not run: this CPU has no AES-NI"
fi
bench_braid braid-plain plain pa pb
if [[ $have_wg == 1 ]]; then
  bench_wg
else
  R_NOTE[wireguard-go]="not run: wireguard-go or wg (wireguard-tools) not installed"
fi

results=$NETNS_WORK/results.md
report >"$results"
echo
cat "$results"

if [[ $write_doc == 1 ]]; then
  doc=$SRC_DIR/doc/performance.md
  begin='<!-- results:begin (tests/bench/bench.sh --write-doc rewrites this section) -->'
  end='<!-- results:end -->'
  if ! { [[ -f $doc ]] && grep -qF -- "$begin" "$doc" && grep -qF -- "$end" "$doc"; }; then
    fail "$doc lacks the results markers"
  fi
  awk -v b="$begin" -v e="$end" -v f="$results" '
    $0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
    $0 == e { skip = 0 }
    !skip { print }' "$doc" >"$NETNS_WORK/performance.md"
  cat "$NETNS_WORK/performance.md" >"$doc"
  log "results written to $doc"
fi
