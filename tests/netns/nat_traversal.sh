#!/bin/bash
# NAT traversal: nodes b and c sit behind two gateways that masquerade
# (nftables) and forward nothing unsolicited; each knows only the public
# node p. p introduces them and they punch through both NATs at once: b
# and c reach each other's overlay address, b's log shows c connected at
# c's gateway's WAN address, and an iperf3 run between them leaves p's
# underlay counters almost where they were (their traffic goes direct).
#
#            p 10.77.0.1
#                 |
#   br0 ----------+-------------------------------+
#       |                                         |
#   wan 10.77.0.2 [gb: masquerade]    wan 10.77.0.3 [gc: masquerade]
#   lan 192.168.2.1                   lan 192.168.3.1
#       |                                         |
#   b 192.168.2.2                     c 192.168.3.2
. "$(dirname "$0")/lib.sh"
netns_init
command -v nft >/dev/null || skip "nft (nftables) not installed"

readonly KEY=nat-traversal-key
netns_switch
netns_node p 1 v4

# gateway GW NODE WAN NET: namespace GW with "wan" on the switch at
# 10.77.0.WAN and "lan" at NET.1 to NODE at NET.2 (NODE's default route),
# forwarding and masquerading out of wan.
gateway() {
  local gw=$1 node=$2 wan=$3 net=$4 ns
  netns_add "$gw"
  netns_add "$node"
  ns=$(ns_name "$gw")
  ip -n "$(ns_name sw)" link add "p-$gw" type veth peer name wan netns "$ns"
  ip -n "$(ns_name sw)" link set "p-$gw" master br0 up
  ip -n "$ns" addr add "$UNDERLAY4.$wan/24" dev wan
  ip -n "$ns" link set wan up
  ip -n "$ns" link add lan type veth peer name eth0 netns "$(ns_name "$node")"
  ip -n "$ns" addr add "$net.1/24" dev lan
  ip -n "$ns" link set lan up
  ip -n "$(ns_name "$node")" addr add "$net.2/24" dev eth0
  ip -n "$(ns_name "$node")" link set eth0 up
  ip -n "$(ns_name "$node")" route add default via "$net.1"
  nsx "$gw" sysctl -qw net.ipv4.ip_forward=1
  # As on a home router, only replies come in, to the gateway itself too:
  # a datagram from the WAN side that no outgoing one opened the way for
  # is dropped. Were it delivered to the gateway's own (closed) port, its
  # conntrack entry would take the port, and the node's own datagrams to
  # that sender would then leave masqueraded from another, random port,
  # which no introduction can tell anyone (b's first initiation reaching
  # gc before c sent its own did exactly that).
  nsx "$gw" nft -f - <<EOF || fail "cannot load the nftables ruleset of $gw"
table ip nat {
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    oifname "wan" masquerade
  }
}
table ip filter {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    iifname != "wan" accept
  }
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" accept
  }
}
EOF
}
gateway gb b 2 192.168.2
gateway gc c 3 192.168.3
NODE_INDEX[b]=2
NODE_INDEX[c]=3

# b and c ask no gateway to forward a port: the NATs must be punched.
braid_start_mesh p tun "$KEY"
braid_start_mesh b tun "$KEY" "$(peer4 p)" -- --no-port-forwarding
braid_start_mesh c tun "$KEY" "$(peer4 p)" -- --no-port-forwarding
start=$(date +%s%N)
wait_ping b "$(overlay4 p)" 20
wait_ping c "$(overlay4 p)" 20
wait_ping b "$(overlay4 c)" 20
wait_ping c "$(overlay4 b)" 20
log "b and c reach each other through their NATs ($(ms_since "$start") ms)"

idc=$(node_id c)
idb=$(node_id b)
wait_log b 5 "peer $idc connected at $UNDERLAY4.3:[0-9]+\$" ||
  fail "b's log has no 'peer $idc connected at $UNDERLAY4.3:PORT' (c through gc's WAN address)"
wait_log c 5 "peer $idb connected at $UNDERLAY4.2:[0-9]+\$" ||
  fail "c's log has no 'peer $idb connected at $UNDERLAY4.2:PORT' (b through gb's WAN address)"
log "b connected to c $(( $(log_ms "peer $idc connected at" b) - $(log_ms ' up on ' b c) )) ms" \
  "after the later of the two came up"
log "b: $(grep -m1 -oE "peer $idc connected at .*" "$(braid_log b)")"
log "c: $(grep -m1 -oE "peer $idb connected at .*" "$(braid_log c)")"

# p's underlay bytes (both directions) against b's during a TCP run b -> c.
bytes() {
  nsx "$1" cat "/sys/class/net/$2/statistics/rx_bytes" "/sys/class/net/$2/statistics/tx_bytes" |
    awk '{ s += $1 } END { print s }'
}
p0=$(bytes p eth0); b0=$(bytes b eth0)
iperf_run b c -t 3
p1=$(bytes p eth0); b1=$(bytes b eth0)
moved=$((b1 - b0)) via_p=$((p1 - p0))
log "iperf3 b -> c: $(iperf_mbits b c) Mbit/s; $moved bytes on b's underlay, $via_p on p's"
(( moved > 4000000 )) || fail "only $moved bytes crossed b's underlay during iperf3"
(( via_p * 20 < moved )) ||
  fail "p's underlay carried $via_p bytes, 5% or more of the $moved b moved"
braid_alive p; braid_alive b; braid_alive c
log "PASS"
