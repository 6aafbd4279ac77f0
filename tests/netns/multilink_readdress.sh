#!/bin/bash
# Multi-link: a link whose address changes (a new DHCP lease, a NAT that
# rebinds) recovers by itself. a and b are joined by two links; during an
# 8 s TCP stream a's end of link two moves from 10.81.2.1 to 10.81.2.7.
# a's socket for the link is bound to its device, so it sends from the new
# address at once; b sees packets from a new address, takes it for a new
# path, probes it and uses it, and forgets the old one. Passes when the
# stream ends normally and link two carries traffic again in its last 3 s.
#
# Environment: ML_RATE1, ML_RATE2 (Mbit/s: 50 and 25).
# Measures traffic on a link: runs alone (see netns_init).
NETNS_EXCLUSIVE=1
. "$(dirname "$0")/lib.sh"
netns_init

rate1=${ML_RATE1:-50}
rate2=${ML_RATE2:-25}
netns_multilink a b "${rate1}mbit" "${rate2}mbit"
ml_start a "one,ml1,${rate1}mbit" "two,ml2,${rate2}mbit" -- "$(ml_peer b 1)"
ml_start b "one,ml1,${rate1}mbit" "two,ml2,${rate2}mbit"
ml_up a b 20
wait_until 10 ml_hook_seen a link_up two || fail "a's link two did not come up"

addr=$(overlay4 b)
ip netns exec "$(ns_name b)" iperf3 -s -1 -B "$addr" -f m \
  >"$(ml_iperf_log readdress-server)" 2>&1 &
srv=$!
NETNS_PIDS+=("$srv")
wait_until 5 iperf_listening b || fail "iperf3 server in b did not start"
ip netns exec "$(ns_name a)" iperf3 -c "$addr" -t 8 -f m --connect-timeout 5000 \
  >"$(ml_iperf_log readdress)" 2>&1 &
cli=$!
NETNS_PIDS+=("$cli")
sleep 3
nsx a ip addr del 10.81.2.1/24 dev ml2
nsx a ip addr add 10.81.2.7/24 dev ml2
log "3 s: a's link two moved to 10.81.2.7"
sleep 2
before=$(ml_dev_bytes a ml2)
sleep 3
after=$(ml_dev_bytes a ml2)
rc=0
wait "$cli" || rc=$?
wait_exit "$srv" 5 || kill -KILL "$srv" 2>/dev/null
carried=$((after - before))
log "RESULT readdress iperf3_status=$rc link2_bytes_last_3s=$carried goodput=$(ml_mbits readdress || echo 0) mbit"
[[ $rc -eq 0 ]] || fail "iperf3 exited with status $rc across the address change"
# A fifth of what link two can carry in those 3 s: used, not just probed.
(( carried >= rate2 * 1000000 * 3 / 8 / 5 )) ||
  fail "link two carried only $carried bytes in the 3 s after its address changed"
grep -q "two -> 10.81.2.7:$BRAID_PORT" "$NETNS_WORK/braid-b.log" ||
  log "(b's log names no path to the new address; -v -v would show it)"
braid_alive a; braid_alive b
log "PASS"
