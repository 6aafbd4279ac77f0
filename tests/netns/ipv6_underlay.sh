#!/bin/bash
# Two braid nodes whose underlay has IPv6 addresses only: ping over the
# overlay, then UDP through iperf3.
. "$(dirname "$0")/lib.sh"
netns_init

netns_switch
netns_node a 1 v6; netns_node b 2 v6
if nsx a ip -4 addr show dev eth0 | grep -q inet; then
  fail "underlay must be IPv6 only"
fi

key=ipv6-underlay-key
braid_start_mesh a tun "$key" "$(peer6 b)"
braid_start_mesh b tun "$key" "$(peer6 a)"

braid_alive a; braid_alive b
wait_ping a "$(overlay4 b)" 20
wait_ping b "$(overlay4 a)" 5
log "ping over an IPv6 underlay ok"

iperf_run a b -u -b 100M -t 2
log "PASS"
