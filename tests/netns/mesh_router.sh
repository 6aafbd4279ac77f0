#!/bin/bash
# Six tun nodes in router mode (normal on tun), each told of only the node
# before it (n1 <- n2 <- ... <- n6): peer exchange makes a full mesh in
# which every node pings every other, and n6 connects to n1 directly. LAN
# discovery is off, so the chain is all they know. Then n3 stops (its
# state file is written at exit), n2, its only configured peer, stops too,
# and n3 starts again with the same arguments: it rejoins n1, n4, n5 and n6
# from its state file alone. Last, a packet to an overlay address no node
# claims is dropped at its sender instead of going out on the underlay.
. "$(dirname "$0")/lib.sh"
netns_init

readonly KEY=mesh-router-key NODES=6
netns_switch
for i in $(seq 1 $NODES); do netns_node "n$i" "$i" v4; done

# start_node I: node nI, its only peer n(I-1), its state in state-I.
start_node() {
  local i=$1 peers=()
  (( i == 1 )) || peers=("$(peer4 "n$((i - 1))")")
  braid_start_mesh "n$i" tun "$KEY" "${peers[@]}" -- -m router --no-lan-discovery \
    --state-dir "$NETNS_WORK/state-$i"
}

start=$(date +%s%N)
for i in $(seq 1 $NODES); do start_node "$i"; done
all=(); for i in $(seq 1 $NODES); do all+=("n$i"); done
for node in "${all[@]}"; do
  wait_log "$node" 30 " up on $BRAID_DEV" || fail "$node did not come up within 30 s"
done
wait_until 10 full_mesh "${all[@]}" ||
  fail "no full mesh of direct sessions within 10 s of the last node coming up"
after_up=$(( $(log_ms ' connected at ' "${all[@]}") - $(log_ms ' up on ' "${all[@]}") ))
log "every node has a session with every other $(ms_since "$start") ms after the first" \
  "start, $after_up ms after the last node came up"
ping_all "${all[@]}"
log "all $((NODES * (NODES - 1))) ordered pairs ping ($(ms_since "$start") ms)"

id1=$(node_id n1)
wait_log n6 5 "peer $id1 connected at $(peer4 n1)\$" ||
  fail "n6 has no direct session with n1 (no 'peer $id1 connected at $(peer4 n1)' in its log)"
log "n6: $(grep -m1 "peer $id1 connected at" "$(braid_log n6)" | sed 's/^.*\(peer \)/\1/')"

# n3 stops first, so its state file lists everyone; then its bootstrap n2.
braid_stop n3
grep -q "^peer " "$NETNS_WORK/state-3/state/peers" ||
  fail "n3 wrote no peers into its state file at exit"
log "n3's state file holds $(grep -c '^peer ' "$NETNS_WORK/state-3/state/peers") peer(s)"
braid_stop n2
mv "$(braid_log n3)" "$NETNS_WORK/braid-n3-first.log.old"
start=$(date +%s%N)
start_node 3
wait_log n3 10 "state file .*: [0-9]+ known peer\\(s\\)" || fail "n3 did not load its state file"
log "n3: $(grep -m1 -oE 'state file .*: [0-9]+ known peer\(s\).*' "$(braid_log n3)")"
ping_all n1 n3 n4 n5 n6
log "n3 rejoined n1, n4, n5 and n6 without n2" \
  "(pings done $(ms_since "$start") ms after its restart)"

# 10.99.0.200 is inside the /24 the ifup hook routes into braid0, but no
# node claims it: n1's engine drops those packets, so hardly anything
# leaves its underlay interface while 200 of them are sent. The same 200
# pings to n4 show what the count looks like when they do go out. (Bytes,
# not packets: veth counts a GSO batch as one packet.)
tx_bytes() { nsx n1 cat /sys/class/net/eth0/statistics/tx_bytes; }
# pings_out ADDR: n1's underlay bytes sent during 200 pings to ADDR.
pings_out() {
  local before
  before=$(tx_bytes)
  nsx n1 ping -n -q -c 200 -i 0.01 -W 1 "$1" >/dev/null 2>&1 || true
  printf '%s' $(( $(tx_bytes) - before ))
}
claimed=$(pings_out "$(overlay4 n4)")
(( claimed >= 200 * 84 )) || fail "200 pings to n4 sent only $claimed underlay bytes"
unclaimed=$(pings_out "$OVERLAY4.200")
(( unclaimed * 10 < claimed )) ||
  fail "n1 sent $unclaimed underlay bytes while pinging an unclaimed address 200 times" \
    "($claimed for 200 pings to n4)"
log "200 pings: to n4 $claimed underlay bytes, to unclaimed $OVERLAY4.200 $unclaimed"
braid_alive n1
log "PASS"
