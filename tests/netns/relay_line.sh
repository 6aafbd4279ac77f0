#!/bin/bash
# Relaying on a line: a, b and c share the switch, but nftables in a's and
# c's namespaces drop every packet between a's and c's underlay addresses,
# both ways; a and c know only b. Peer exchange tells them of each other,
# their direct attempts fail, and the handshake and then their traffic go
# through b: a and c ping each other's overlay address, both logs say
# "connected through relays", and iperf3 a -> c runs through b (its rate
# printed, at least 20 Mbit/s, and b's underlay moves it twice). b relays
# what it cannot read: pings carrying a known 16-byte pattern (ping -p)
# cross b's underlay, yet no frame there holds the pattern (nor on a's),
# nor does any on b's braid device, while c's braid device shows it in
# every echo request and reply (so the check can fail).
#
#   a 10.77.0.1 ---- b 10.77.0.2 ---- c 10.77.0.3     (a <-/-> c dropped)
#   overlay 10.99.0.1, .2, .3; router mode, each claims its own /32
. "$(dirname "$0")/lib.sh"
netns_init

readonly KEY=relay-line-key PINGS=20
relay_nodes a b c
relay_block a c

start=$(date +%s%N)
braid_start_mesh b tun "$KEY" -- -m router
braid_start_mesh a tun "$KEY" "$(peer4 b)" -- -m router
braid_start_mesh c tun "$KEY" "$(peer4 b)" -- -m router
ida=$(node_id a)
idc=$(node_id c)
wait_ping a "$(overlay4 b)" 20
wait_ping c "$(overlay4 b)" 20
wait_ping a "$(overlay4 c)" 40
wait_ping c "$(overlay4 a)" 20
log "a and c reach each other ($(ms_since "$start") ms after the start)"
wait_log a 5 "peer $idc connected through relays" ||
  fail "a's log has no 'peer $idc connected through relays'"
wait_log c 5 "peer $ida connected through relays" ||
  fail "c's log has no 'peer $ida connected through relays'"
log "a: $(grep -m1 -oE "peer $idc connected through relays.*" "$(braid_log a)")"
log "c: $(grep -m1 -oE "peer $ida connected through relays.*" "$(braid_log c)")"
! grep -qE "peer $idc connected at" "$(braid_log a)" ||
  fail "a has a direct session with c through the block: $(grep -m1 "peer $idc connected at" "$(braid_log a)")"

# The plaintext: a's pings to c, with the pattern, seen on four devices.
capture_start b eth0 b-underlay "$RELAY_PATTERN"
capture_start b "$BRAID_DEV" b-device "$RELAY_PATTERN"
capture_start c "$BRAID_DEV" c-device "$RELAY_PATTERN"
capture_start a eth0 a-underlay "$RELAY_PATTERN"
nsx a ping -n -q -c "$PINGS" -i 0.05 -W 2 -s 200 -p "$RELAY_PATTERN" "$(overlay4 c)" \
  >"$NETNS_WORK/ping-pattern.log" 2>&1 ||
  { cat "$NETNS_WORK/ping-pattern.log" >&2; fail "pings with the pattern from a to c failed"; }
for cap in b-underlay b-device c-device a-underlay; do capture_stop "$cap"; done
for cap in b-underlay b-device c-device a-underlay; do
  log "$cap: $(grep '^frames=' "$(capture_log "$cap")")"
done
got=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' "$NETNS_WORK/ping-pattern.log")
log "pings with the pattern: $PINGS sent, ${got:-0} answered"
(( ${got:-0} * 4 >= PINGS * 3 )) || fail "only ${got:-0} of $PINGS pings from a to c were answered"
# Each echo request and reply crosses b's underlay twice (in and out), and
# both hold the pattern on c's device.
(( $(capture_field b-underlay frames) >= 4 * got )) ||
  fail "b's underlay carried only $(capture_field b-underlay frames) frames for $got answered pings"
(( $(capture_field c-device matches) >= 2 * got )) ||
  fail "c's braid device shows the pattern in only $(capture_field c-device matches) frames" \
    "($got echo requests and replies carry it)"
for cap in b-underlay b-device a-underlay; do
  [[ $(capture_field "$cap" drops) == 0 ]] ||
    fail "capture $cap lost $(capture_field "$cap" drops) frames: it proves nothing"
  [[ $(capture_field "$cap" matches) == 0 ]] ||
    fail "the plaintext pattern appears in $(capture_field "$cap" matches) frames of $cap"
done
log "the pattern: in $(capture_field c-device matches) frames on c's device," \
  "none of b's $(capture_field b-underlay frames) underlay frames, none on b's device"

# TCP through b; b's underlay moves it twice (in from a, out to c).
b0=$(relay_dev_bytes b eth0)
iperf_run a c -t 5
b1=$(relay_dev_bytes b eth0)
rate=$(iperf_mbits a c)
log "RESULT relay_line iperf3_a_to_c=$rate mbit b_underlay_bytes=$((b1 - b0))"
at_least "$rate" 20 || fail "iperf3 a -> c through b reached only $rate Mbit/s"
(( (b1 - b0) * 8 / 2 / 5 >= ${rate%.*} * 1000000 * 9 / 10 )) ||
  fail "b's underlay moved $((b1 - b0)) bytes: not the stream of $rate Mbit/s twice"
log "a <-/-> c packets dropped by nftables: $(relay_dropped a) in a, $(relay_dropped c) in c"
(( $(relay_dropped a) > 0 && $(relay_dropped c) > 0 )) ||
  fail "nftables dropped nothing between a and c: were direct attempts made at all?"
braid_alive a; braid_alive b; braid_alive c
log "PASS"
