#!/bin/bash
# Six tap nodes in switch mode, each told of only the node before it
# (n1 <- n2 <- ... <- n6), LAN discovery off: peer exchange makes a full
# mesh, every pair pings (ARP through the learning switch: each node's
# neighbour table then holds the others), and iperf3 runs between the two
# ends of the chain over their direct session.
. "$(dirname "$0")/lib.sh"
netns_init

readonly KEY=mesh-switch-key NODES=6
netns_switch
all=()
for i in $(seq 1 $NODES); do
  netns_node "n$i" "$i" v4
  all+=("n$i")
done

start=$(date +%s%N)
braid_start_mesh n1 tap "$KEY" -- -m switch --no-lan-discovery
for i in $(seq 2 $NODES); do
  braid_start_mesh "n$i" tap "$KEY" "$(peer4 "n$((i - 1))")" -- -m switch --no-lan-discovery
done
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

# Each node resolved every other overlay address over the tap device.
for node in "${all[@]}"; do
  n=$(nsx "$node" ip -4 neigh show dev "$BRAID_DEV" |
      grep -cE 'REACHABLE|STALE|DELAY|PROBE' || true)
  (( n >= NODES - 1 )) || {
    nsx "$node" ip -4 neigh show dev "$BRAID_DEV" >&2
    fail "$node's neighbour table on $BRAID_DEV holds $n resolved entries, expected $((NODES - 1))"
  }
done
log "every node's neighbour table on $BRAID_DEV holds the other $((NODES - 1))"

id6=$(node_id n6)
wait_log n1 5 "peer $id6 connected at $(peer4 n6)\$" ||
  fail "n1 has no direct session with n6 (no 'peer $id6 connected at $(peer4 n6)' in its log)"
iperf_run n1 n6 -t 3
log "iperf3 n1 -> n6 (ends of the chain): $(iperf_mbits n1 n6) Mbit/s"
braid_alive n1; braid_alive n6
log "PASS"
