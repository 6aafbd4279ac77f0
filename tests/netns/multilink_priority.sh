#!/bin/bash
# Multi-link priority lane: ping over braid between a and b, joined by two
# links (50 and 25 Mbit/s), idle (20 pings 0.05 s apart) and then beside a
# saturating iperf3 TCP stream a -> b. ICMP goes in the priority lane, ahead
# of the bulk traffic and on the fastest path, so the loaded median must
# stay within 5 ms of the idle one. The raw links give the comparison: the
# same pings beside a raw stream over link one. Retried once on a miss.
#
# Environment: ML_RATE1, ML_RATE2 (Mbit/s: 50 and 25), ML_PRIO_MS (5).
# Measures throughput: runs alone (see netns_init).
NETNS_EXCLUSIVE=1
. "$(dirname "$0")/lib.sh"
netns_init

rate1=${ML_RATE1:-50}
rate2=${ML_RATE2:-25}
margin=${ML_PRIO_MS:-5}
netns_multilink a b "${rate1}mbit" "${rate2}mbit"

# median_ping LABEL ADDR: median RTT (ms) of 20 pings from a to ADDR.
median_ping() {
  nsx a ping -n -c 20 -i 0.05 -W 1 "$2" >"$NETNS_WORK/ping-$1.log" 2>&1 || true
  sed -nE 's/.* time=([0-9.]+) ms.*/\1/p' "$NETNS_WORK/ping-$1.log" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "none"; exit }
           printf "%.3f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# loaded LABEL ADDR SERVER: median ping RTT to ADDR while a TCP stream runs
# from a to SERVER (an iperf3 server address in b), one second into it.
loaded() {
  local label=$1 addr=$2 server=$3 pid median
  ml_iperf "$label-load" a b "$server" 4 >/dev/null &
  pid=$!
  sleep 1.5
  median=$(median_ping "$label" "$addr")
  wait "$pid" || log "$label: the iperf3 stream beside the pings failed" >&2
  printf '%s' "$median"
}

raw_idle=$(median_ping raw-idle "$(ml_addr b 1)")
raw_loaded=$(loaded raw-loaded "$(ml_addr b 1)" "$(ml_addr b 1)")
log "RESULT priority_raw idle_median=$raw_idle ms loaded_median=$raw_loaded ms (link one, no braid)"

ml_start a "one,ml1,${rate1}mbit" "two,ml2,${rate2}mbit" -- "$(ml_peer b 1)"
ml_start b "one,ml1,${rate1}mbit" "two,ml2,${rate2}mbit"
ml_up a b 20
wait_until 10 ml_hook_seen a link_up two ||
  log "a's status hook reported no link_up for link two within 10 s; going on"

measure() {
  IDLE=$(median_ping "idle$1" "$(overlay4 b)")
  LOADED=$(loaded "loaded$1" "$(overlay4 b)" "$(overlay4 b)")
  log "RESULT priority run=$1 idle_median=$IDLE ms loaded_median=$LOADED ms" \
      "goodput=$(ml_mbits "loaded$1-load" || echo 0) mbit"
  [[ $IDLE != none && $LOADED != none ]] &&
    at_least "$(awk -v i="$IDLE" -v m="$margin" 'BEGIN { print i + m }')" "$LOADED"
}
if ! measure 1; then
  braid_alive a; braid_alive b
  log "once more"
  measure 2 || fail "ping under load: median $LOADED ms, idle $IDLE ms (allowed: $margin ms more)"
fi
braid_alive a; braid_alive b
log "PASS"
