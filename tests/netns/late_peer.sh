#!/bin/bash
# Node A is told about B before B runs; B starts 5 s later and knows no
# peer. A's retries must find B: ping within 20 s of B's start.
. "$(dirname "$0")/lib.sh"
netns_init

netns_switch
netns_node a 1 v4; netns_node b 2 v4

key=late-peer-key
braid_start_mesh a tun "$key" "$(peer4 b)"
sleep 5   # the scenario itself: B is down for A's first attempts
braid_alive a
start=$SECONDS
braid_start_mesh b tun "$key"
wait_ping a "$(overlay4 b)" 20
log "a reaches b $(( SECONDS - start ))s after b started"
wait_ping b "$(overlay4 a)" 5
log "PASS"
