#!/bin/bash
# Multi-link failover: a 20 s iperf3 TCP stream over braid between a and b,
# joined by two links (50 and 25 Mbit/s); at 6 s a's end of link two goes
# down (ip link set ml2 down: a pulled cable, see ml_link in lib.sh), at 13 s
# it comes back. Passes when the stream ends normally (no reset), its
# longest stall at the receiver (consecutive 0.1 s intervals without data)
# is under one second, link two carries traffic again in the last seconds
# (its byte counters), and a's status hook reported link_down and then
# link_up for link two. The run is retried once when a measurement misses.
#
# Environment: ML_RATE1, ML_RATE2 (Mbit/s: 50 and 25).
# Measures throughput: runs alone (see netns_init).
NETNS_EXCLUSIVE=1
. "$(dirname "$0")/lib.sh"
netns_init

rate1=${ML_RATE1:-50}
rate2=${ML_RATE2:-25}
netns_multilink a b "${rate1}mbit" "${rate2}mbit"
ml_start a "one,ml1,${rate1}mbit" "two,ml2,${rate2}mbit" -- "$(ml_peer b 1)"
ml_start b "one,ml1,${rate1}mbit" "two,ml2,${rate2}mbit"
ml_up a b 20
wait_until 10 ml_hook_seen a link_up two ||
  log "a's status hook reported no link_up for link two within 10 s; going on"

# sleep_until T0 SECONDS: sleeps until SECONDS after T0 (a date +%s%N).
sleep_until() {
  local left=$(( $1 / 1000000 + $2 * 1000 - $(date +%s%N) / 1000000 ))
  (( left <= 0 )) || sleep "$(awk -v ms="$left" 'BEGIN { printf "%.3f", ms / 1000 }')"
}

# longest_stall LOG: the longest run of consecutive intervals without a
# byte in an iperf3 log, in seconds (its summary lines left out).
longest_stall() {
  awk '$4 == "sec" && $3 ~ /^[0-9.]+-[0-9.]+$/ {
         split($3, t, "-"); d = t[2] - t[1]
         if (d > 0.5) next
         if ($5 + 0 == 0) { run += d; if (run > max) max = run } else run = 0
       }
       END { printf "%.1f", max + 0 }' "$1"
}

# failover N: one run; sets STALL, AFTER (bytes link two carried from 15 to
# 19 s) and OK (1 when every measurement passed).
failover() {
  local n=$1 srv cli rc=0 t0 b15 b19 addr
  addr=$(overlay4 b)
  ip netns exec "$(ns_name b)" iperf3 -s -1 -B "$addr" -i 0.1 -f m \
    >"$(ml_iperf_log "failover$n-server")" 2>&1 &
  srv=$!
  NETNS_PIDS+=("$srv")
  wait_until 5 iperf_listening b || fail "iperf3 server in b did not start"
  ip netns exec "$(ns_name a)" iperf3 -c "$addr" -t 20 -i 0.1 -f m --connect-timeout 5000 \
    >"$(ml_iperf_log "failover$n")" 2>&1 &
  cli=$!
  NETNS_PIDS+=("$cli")
  t0=$(date +%s%N)
  sleep_until "$t0" 6
  ml_link a ml2 down
  log "run $n: 6 s: link two down"
  sleep_until "$t0" 13
  ml_link a ml2 up
  log "run $n: 13 s: link two up"
  sleep_until "$t0" 15
  b15=$(ml_dev_bytes a ml2)
  sleep_until "$t0" 19
  b19=$(ml_dev_bytes a ml2)
  wait "$cli" || rc=$?
  wait_exit "$srv" 5 || kill -KILL "$srv" 2>/dev/null
  STALL=$(longest_stall "$(ml_iperf_log "failover$n-server")")
  AFTER=$((b19 - b15))
  log "RESULT failover run=$n iperf3_status=$rc longest_stall=$STALL s" \
      "link2_bytes_15_19s=$AFTER goodput=$(ml_mbits "failover$n" || echo 0) mbit"
  OK=1
  if [[ $rc -ne 0 ]]; then
    tail -n 5 "$(ml_iperf_log "failover$n")" >&2
    log "run $n: iperf3 exited with status $rc (a reset connection?)"
    OK=0
  fi
  at_least 0.95 "$STALL" || { log "run $n: the stream stalled for $STALL s"; OK=0; }
  # A fifth of what link two can carry in those 4 s: used, not just probed.
  (( AFTER >= rate2 * 1000000 * 4 / 8 / 5 )) ||
    { log "run $n: link two carried only $AFTER bytes from 15 to 19 s"; OK=0; }
}

failover 1
if [[ $OK != 1 ]]; then
  braid_alive a; braid_alive b
  log "once more"
  failover 2
fi
[[ $OK == 1 ]] || fail "failover: stall $STALL s, link two carried $AFTER bytes after recovery"

# link_down two, then a later link_up two, in a's hook log.
down_then_up() {
  awk '$0 == "link_down two" { down = 1 } down && $0 == "link_up two" { ok = 1 }
       END { exit !ok }' "$(ml_hooks a)" 2>/dev/null
}
wait_until 5 down_then_up ||
  fail "a's status hook did not report link_down two and then link_up two" \
       "(it reported: $(tr '\n' ';' <"$(ml_hooks a)" 2>/dev/null))"
log "a's status hook: $(tr '\n' ';' <"$(ml_hooks a)")"
log "b's status hook: $(tr '\n' ';' <"$(ml_hooks b)" 2>/dev/null || true)"
braid_alive a; braid_alive b
log "PASS"
