#!/bin/bash
# Three braid nodes on a tun overlay, each given the other two as peers,
# over an IPv4 underlay: every pair pings both ways, then TCP through iperf3.
. "$(dirname "$0")/lib.sh"
netns_init

netns_switch
netns_node a 1 v4; netns_node b 2 v4; netns_node c 3 v4

key=tun-mesh-key
braid_start_mesh a tun "$key" "$(peer4 b)" "$(peer4 c)"
braid_start_mesh b tun "$key" "$(peer4 a)" "$(peer4 c)"
braid_start_mesh c tun "$key" "$(peer4 a)" "$(peer4 b)"

for from in a b c; do
  for to in a b c; do
    [[ $from != "$to" ]] || continue
    braid_alive "$from"
    wait_ping "$from" "$(overlay4 "$to")" 20
    log "ping $from -> $to ok"
  done
done

iperf_run a b -t 3
log "PASS"
