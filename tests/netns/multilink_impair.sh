#!/bin/bash
# Multi-link over an impaired link: a and b joined by link one (50 Mbit/s,
# direct) and link two (25 Mbit/s) through namespace r, where only the
# impairment relay braid-impair carries it, with 30 ms delay and 1% loss
# each way (this kernel has no netem). Aggregation must still help: four
# iperf3 TCP streams over braid with both links must beat the same streams
# with link one alone (a config without link two). (Four, not one: a single
# stream over both links runs at the slow link's round trip, about 65 ms
# with the reorder hold, and meets its random loss there; its congestion
# window now and then never recovers in ten seconds, and the run says
# more about that one window than about the links. doc/performance.md,
# "Multi-link".) a reaches b over link
# two at the relay's address, its link's own peer; b sees a there at the
# relay's other address. Retried once on a miss.
#
#   a ml1 10.81.1.1 ------------------------------------------- 10.81.1.2 ml1 b
#   a ml2 10.81.2.1 --- 10.81.2.3 ra [r: relay] rb 10.81.3.3 --- 10.81.3.2 ml2 b
#
# Environment: ML_RATE1, ML_RATE2 (Mbit/s: 50 and 25), ML_SECONDS (10),
# ML_DELAY (ms, 30), ML_LOSS (percent, 1), ML_STREAMS (4).
# Measures throughput: runs alone (see netns_init).
NETNS_EXCLUSIVE=1
. "$(dirname "$0")/lib.sh"
netns_init

rate1=${ML_RATE1:-50}
rate2=${ML_RATE2:-25}
seconds=${ML_SECONDS:-10}
delay=${ML_DELAY:-30}
loss=${ML_LOSS:-1}
streams=${ML_STREAMS:-4}
netns_multilink a b "${rate1}mbit" "${rate2}mbit" r
relay_addr=$(ml_addr r a):$BRAID_PORT
relay() {
  impair_start r relay --listen "$relay_addr" --to "$(ml_peer b 2)" \
    --delay "$delay" --loss "$loss" --seed 5
}

# Nothing but the relay joins a and b over link two.
ping_dev() { nsx "$1" ping -n -c 1 -W 1 -I ml2 "$2" >/dev/null 2>&1; }
ping_dev a "$(ml_addr r a)" || fail "a does not reach the relay's namespace over link two"
ping_dev b "$(ml_addr r b)" || fail "b does not reach the relay's namespace over link two"
! ping_dev a "$(ml_addr b 2)" || fail "a reaches b's link two address past the relay"
! ping_dev b "$(ml_addr a 2)" || fail "b reaches a's link two address past the relay"

# The impaired path itself: datagrams a -> relay -> echo in b and back.
impair_start b echo --echo "$(ml_peer b 2)"
relay
probe=$(nsx a "$BRAID_IMPAIR" --probe "$relay_addr" --count 200 --interval 5) ||
  fail "braid-impair --probe through the relay failed"
impair_stop echo; impair_stop relay
field() { tr ' ' '\n' <<<"$probe" | awk -F= -v k="$1" '$1 == k { print $2 }'; }
log "RESULT impair_path rtt_median=$(field rtt_median_ms) ms rtt_min=$(field rtt_min_ms) ms" \
    "loss=$(field loss_pct)% (link two through the relay, UDP, both ways)"
at_least "$(field rtt_min_ms)" $((2 * delay)) || fail "the relay's path is faster than its delay"

# goodput LABEL: the streams over the overlay, retried once when they fail.
goodput() {
  local mbits
  mbits=$(ml_goodput "$1" a b "$(overlay4 b)" "$seconds" -P "$streams")
  at_least "$mbits" 1 || mbits=$(ml_goodput "$1" a b "$(overlay4 b)" "$seconds" -P "$streams")
  printf '%s' "$mbits"
}

ml_start a "one,ml1,${rate1}mbit" -- "$(ml_peer b 1)"
ml_start b "one,ml1,${rate1}mbit"
ml_up a b 20
one=$(goodput one)
log "RESULT impair_link_one goodput=$one mbit (braid, link one alone)"
at_least "$one" 1 || fail "no TCP over braid with link one alone"
braid_stop a; braid_stop b

relay
ml_start a "one,ml1,${rate1}mbit" "two,ml2,${rate2}mbit,$relay_addr" -- "$(ml_peer b 1)"
ml_start b "one,ml1,${rate1}mbit" "two,ml2,${rate2}mbit"
ml_up a b 20
wait_until 10 ml_hook_seen a link_up two ||
  log "a's status hook reported no link_up for link two within 10 s; measuring anyway"
both=$(goodput both)
if ! at_least "$both" "$(awk -v x="$one" 'BEGIN { print x + 0.1 }')"; then
  log "both links: $both Mbit/s, no more than link one's $one: once more"
  braid_alive a; braid_alive b
  again=$(goodput both)
  at_least "$both" "$again" || both=$again
fi
impair_report relay
sent=$(impair_counter relay forward bytes_out)
log "relay: $(grep -E ' (forward|backward) ' "$(impair_log relay)" | tail -n 2 | tr '\n' ' ')"
log "RESULT impair one=$one mbit both=$both mbit ratio=$(ratio "$both" "$one")" \
    "relay_forward_mbyte=$((sent / 1000000)) delay=$delay ms loss=$loss%"
at_least "$both" "$(awk -v x="$one" 'BEGIN { print x + 0.1 }')" ||
  fail "both links ($both Mbit/s) do no better than link one alone ($one Mbit/s)"
(( sent > 1000000 )) || fail "link two carried only $sent bytes through the relay"
braid_alive a; braid_alive b
log "PASS"
