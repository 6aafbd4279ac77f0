#!/bin/bash
# A handshake flood does not take a certificate network down: two certified
# nodes a and b carry iperf3 a -> b without a flood, then while braid-flood
# floods b with initiations from many spoofed sources in namespace f, once
# with random MACs (dropped after one hash) and once with a valid mac1
# (answered with cookie replies, no Diffie-Hellman). The session must
# survive and the throughput under flood stay above a floor.
#
# Environment: FLOOD_SECONDS (iperf3 run length, default 5),
# FLOOD_FLOOR_PERCENT (the floor, percent of the unflooded throughput,
# default 20), FLOOD_RATE (initiations per second, default 20000: 200 times
# what puts a node under load, yet leaving a busy 2-CPU machine enough CPU
# that the figure measures braid rather than the flooder's share of the
# machine; 0 = as fast as the tool can), BRAID_FLOOD (the tool; automake
# sets it). doc/performance.md ("Handshakes and floods") has figures.
. "$(dirname "$0")/lib.sh"

if [[ -z "${BRAID_FLOOD:-}" ]]; then
  if [[ -x "$PWD/tests/netns/braid-flood" ]]; then
    BRAID_FLOOD=$PWD/tests/netns/braid-flood
  else
    BRAID_FLOOD=$NETNS_LIBDIR/braid-flood
  fi
fi
seconds=${FLOOD_SECONDS:-5}
floor=${FLOOD_FLOOR_PERCENT:-20}
rate=${FLOOD_RATE:-20000}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || fail "FLOOD_SECONDS must be a number of seconds"
[[ $floor =~ ^[0-9]+$ ]] || fail "FLOOD_FLOOR_PERCENT must be a number"
[[ $rate =~ ^[0-9]+$ ]] || fail "FLOOD_RATE must be a number of packets/s (0: no limit)"

netns_init
[[ -x $BRAID_FLOOD ]] || fail "no braid-flood at $BRAID_FLOOD (set BRAID_FLOOD=PATH)"

# Spoofed sources. b routes them (its replies to them) to f, where they
# are dropped: f does not forward and owns none of these addresses.
readonly SOURCES=10.200.0.0/16

netns_switch
netns_node a 1 v4; netns_node b 2 v4; netns_node f 9 v4
nsx b ip route add "$SOURCES" via "$(underlay4 f)"

pki_ca net
pki_node net a
pki_node net b
braid_start_cert a net "$(peer4 b)"
braid_start_cert b net "$(peer4 a)"
wait_ping a "$(overlay4 b)" 20
wait_ping b "$(overlay4 a)" 5
log "a and b connected"

iperf_run a b -t "$seconds" >/dev/null
base=$(iperf_mbits a b) || fail "no iperf3 result without flood"
log "without flood: iperf3 a -> b $base Mbit/s"

f_rx_packets() { nsx f cat /sys/class/net/eth0/statistics/rx_packets; }
f_rx_bytes() { nsx f cat /sys/class/net/eth0/statistics/rx_bytes; }
# Datagrams b's kernel dropped because braid's socket buffer was full.
b_rcvbuf_errors() {
  nsx b cat /proc/net/snmp |
    awk '$1 == "Udp:" { if (!n) { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") n = i }
                        else if (!done) { print $n; done = 1 } }'
}
# b's engine logs its counters every 10 s (at -v): how many lines so far,
# and the value of counter NAME in the last one.
b_counter_lines() { grep -c 'counters:' "$(braid_log b)" || true; }
b_counters_after() { (( $(b_counter_lines) > $1 )); }
b_counter() {
  awk -v name="$1" '/counters:/ { last = $0 }
    END {
      v = 0
      if (match(last, "[ :;]" name " [0-9]+")) { n = split(substr(last, RSTART, RLENGTH), w, " "); v = w[n] }
      print v + 0
    }' "$(braid_log b)"
}

# flooded LABEL FLOOD-ARGS...: iperf3 a -> b while f floods b; checks the
# session survived and the throughput floor; prints what b answered.
flooded() {
  local label=$1; shift
  local out=$NETNS_WORK/flood-$label.log pid mbits pct p0 b0 replies bytes
  local k0 mac0 ck0 lines
  local args=(--target "$(peer4 b)" --magic "$TEST_MAGIC" --sources "$SOURCES"
              --seconds $((seconds + 2)) "$@")
  [[ $rate -eq 0 ]] || args+=(--rate "$rate")
  p0=$(f_rx_packets); b0=$(f_rx_bytes); k0=$(b_rcvbuf_errors)
  mac0=$(b_counter mac); ck0=$(b_counter "cookies sent")
  ip netns exec "$(ns_name f)" "$BRAID_FLOOD" "${args[@]}" >"$out" 2>&1 &
  pid=$!
  NETNS_PIDS+=("$pid")
  # Let the flood build up before measuring.
  sleep 1
  kill -0 "$pid" 2>/dev/null || { cat "$out" >&2; fail "braid-flood ($label) exited early"; }
  iperf_run a b -t "$seconds" >/dev/null
  mbits=$(iperf_mbits a b) || fail "no iperf3 result under flood ($label)"
  wait "$pid" || { cat "$out" >&2; fail "braid-flood ($label) failed"; }
  replies=$(( $(f_rx_packets) - p0 )); bytes=$(( $(f_rx_bytes) - b0 ))
  log "flood with $label: $(tail -n 1 "$out")"
  log "flood with $label: b's kernel dropped $(( $(b_rcvbuf_errors) - k0 )) datagrams" \
      "(socket buffer full)"
  # Wait for the engine's first counters after the flood.
  lines=$(b_counter_lines)
  wait_until 12 b_counters_after "$lines" || fail "b logged no counters for 12 s"
  FLOOD_MAC_DROPS=$(( $(b_counter mac) - mac0 ))
  FLOOD_COOKIES=$(( $(b_counter "cookies sent") - ck0 ))
  log "flood with $label: b's engine dropped $FLOOD_MAC_DROPS initiations for a bad mac1" \
      "and sent $FLOOD_COOKIES cookie replies"
  log "flood with $label: b sent $replies packets toward the spoofed sources" \
      "($(( replies > 0 ? bytes / replies : 0 )) bytes each on average, Ethernet header included)"
  pct=$(awk -v m="$mbits" -v b="$base" 'BEGIN { printf "%.0f", (b > 0 ? 100 * m / b : 0) }')
  log "flood with $label: iperf3 a -> b $mbits Mbit/s = $pct% of $base (floor $floor%)"
  braid_alive a; braid_alive b
  wait_ping a "$(overlay4 b)" 5
  (( pct >= floor )) || fail "throughput under flood ($label) fell to $pct% of the unflooded figure"
  FLOOD_REPLIES=$replies
}

flooded "random MACs"
# Initiations that fail mac1 cost one hash each and are never answered.
(( FLOOD_MAC_DROPS > 0 )) || fail "b counted no initiation dropped for its mac1"
(( FLOOD_REPLIES < 100 )) || fail "b answered $FLOOD_REPLIES initiations whose mac1 was wrong"
flooded "valid mac1" --ca "$(pki_ca_dir net)/ca.crt"
# Under load, a valid mac1 without mac2 gets a cookie reply, not a handshake.
(( FLOOD_COOKIES > 0 )) || fail "b sent no cookie reply under a flood of valid initiations"
log "the session survived both floods"
log "PASS"
