#!/bin/bash
# Rerouting around a cut: a, b and c all reach each other, and a 30 s
# iperf3 TCP stream goes a -> c directly. At 5 s nftables in a's and c's
# namespaces start dropping everything between them: a finds the direct
# way lost within 3 s (hellos go every 300 ms under traffic, and four
# missed ones make it lost: 1.2 s, more on a busy machine) and the stream
# goes on through b. Its longest stall, from the receiver's 0.5 s reports,
# must stay under 6 s: TCP retransmits 1, 3, 7, 15 and 31 retransmission
# timeouts after the cut (200 ms at least), so a reroute in 1.2 s lets the
# retransmission at 1.4 s through b, and one that misses it the one at
# 3 s; 6 s means two were missed. b's underlay must carry the stream then.
# At 20 s the block goes: a finds the direct way answering again and the
# stream leaves b (b's underlay moves less than a tenth of what it moved
# while relaying). Prints the stall, the times a took to find the way lost
# and to find it back, and b's rates.
#
#   a 10.77.0.1 ---- b 10.77.0.2 ---- c 10.77.0.3,  a ---- c cut at 5 s,
#   restored at 20 s
# Measures rates against each other: runs alone (see netns_init).
NETNS_EXCLUSIVE=1
. "$(dirname "$0")/lib.sh"
netns_init

readonly KEY=relay-triangle-key
relay_nodes a b c
braid_start_mesh a tun "$KEY" "$(peer4 b)" "$(peer4 c)" -- -m router
braid_start_mesh b tun "$KEY" "$(peer4 a)" "$(peer4 c)" -- -m router
braid_start_mesh c tun "$KEY" "$(peer4 a)" "$(peer4 b)" -- -m router
wait_until 20 full_mesh a b c || fail "no full mesh of direct sessions within 20 s"
idc=$(node_id c)
wait_ping a "$(overlay4 c)" 10
wait_log a 5 "peer $idc connected at $(peer4 c)\$" ||
  fail "a has no direct session with c (no 'peer $idc connected at $(peer4 c)')"

relay_stream_start tri a c 30
t0=$(date +%s%N)
relay_sleep_until "$t0" 5
# The times are taken as the rules start to change: the first packets may
# pass (or stop) before the command returns.
cut_ms=$(tod_ms)
relay_block a c
log "5 s: a <-/-> c blocked"
relay_sleep_until "$t0" 14
r14=$(relay_dev_bytes b eth0)
relay_sleep_until "$t0" 19
r19=$(relay_dev_bytes b eth0)
relay_sleep_until "$t0" 20
log "20 s: a <-> c open again ($(relay_dropped a) and $(relay_dropped c) packets dropped in a and c)"
open_ms=$(tod_ms)
relay_unblock a c
relay_sleep_until "$t0" 24
d24=$(relay_dev_bytes b eth0)
relay_sleep_until "$t0" 29
d29=$(relay_dev_bytes b eth0)
rc=0
relay_stream_wait tri || rc=$?
stall=$(relay_stall "$(ml_iperf_log tri-server)")
lost_at=$(log_ms_after "peer $idc: direct way lost" "$cut_ms" a)
back_at=$(log_ms_after "peer $idc: direct way answers" "$open_ms" a)
lost_ms=-; [[ -z $lost_at ]] || lost_ms=$((lost_at - cut_ms))
back_ms=-; [[ -z $back_at ]] || back_ms=$((back_at - open_ms))
relaying=$(( (r19 - r14) * 8 / 5 / 1000000 ))
after=$(( (d29 - d24) * 8 / 5 / 1000000 ))
log "RESULT relay_triangle longest_stall=$stall s lost_after=$lost_ms ms back_after=$back_ms ms" \
  "b_relaying=$relaying mbit b_after_return=$after mbit goodput=$(ml_mbits tri || echo 0) mbit"
[[ $rc == 0 ]] || fail "the iperf3 stream a -> c broke (status $rc)"
[[ -n $lost_at ]] ||
  fail "a's log has no 'peer $idc: direct way lost; its traffic goes through relays' after the cut"
(( lost_ms <= 3000 )) || fail "a found the direct way to c lost only $lost_ms ms after the cut"
at_least 6 "$stall" || fail "the stream stalled for $stall s after the cut (6 s allowed)"
[[ -n $back_at ]] || fail "a's log has no 'peer $idc: direct way answers' after the block went"
# b carried the stream while the cut lasted, and leaves it after.
(( relaying >= 10 )) || fail "b's underlay moved only $relaying Mbit/s while a <-/-> c was cut"
(( after * 10 < relaying )) ||
  fail "b's underlay still moves $after Mbit/s after the direct way returned ($relaying while relaying)"
braid_alive a; braid_alive b; braid_alive c
log "PASS"
