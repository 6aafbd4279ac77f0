#!/bin/bash
# Three braid nodes on a tap (Ethernet) overlay, each given the other two as peers,
# over an IPv4 underlay: every pair pings both ways, then TCP through iperf3.
. "$(dirname "$0")/lib.sh"
netns_init
mesh3_test tap
log "PASS"
