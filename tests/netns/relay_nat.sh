#!/bin/bash
# Two nodes behind symmetric NATs: a and c each sit behind a gateway that
# masquerades with fully random ports (nftables `masquerade random,
# fully-random`: every new destination gets a new, unpredictable source
# port, so no introduction can tell the other side where to send) and lets
# in only replies; both know only the public node b. a and c reach each
# other anyway: they ping each other's overlay address and a short iperf3
# run a -> c goes through. Whether they got there directly or through b
# is printed (with fully random ports it is through b, but either passes).
#
#                    b 10.77.0.2
#                         |
#   br0 ------------------+------------------------+
#       |                                          |
#   wan 10.77.0.1 [ga: masquerade, random ports]   wan 10.77.0.3 [gc: same]
#   lan 192.168.1.1                                lan 192.168.3.1
#       |                                          |
#   a 192.168.1.2 (overlay 10.99.0.1)              c 192.168.3.2 (10.99.0.3)
. "$(dirname "$0")/lib.sh"
netns_init
command -v nft >/dev/null || skip "nft (nftables) not installed"

readonly KEY=relay-nat-key
netns_switch
netns_node b 2 v4
netns_no_ipv6 b

# symmetric_nat GW NODE WAN NET: namespace GW with "wan" on the switch at
# 10.77.0.WAN and "lan" at NET.1 to NODE at NET.2 (NODE's default route),
# forwarding and masquerading out of wan with fully random source ports.
symmetric_nat() {
  local gw=$1 node=$2 wan=$3 net=$4 ns
  netns_add "$gw"
  netns_add "$node"
  netns_no_ipv6 "$gw" "$node"
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
  # Only replies come in, to the gateway itself too (see nat_traversal.sh
  # for why its own closed port must not take a mapping either).
  nsx "$gw" nft -f - <<EOF || fail "cannot load the nftables ruleset of $gw"
table ip nat {
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    oifname "wan" masquerade random,fully-random
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
symmetric_nat ga a 1 192.168.1
symmetric_nat gc c 3 192.168.3
NODE_INDEX[a]=1
NODE_INDEX[c]=3

start=$(date +%s%N)
braid_start_mesh b tun "$KEY" -- -m router
braid_start_mesh a tun "$KEY" "$(peer4 b)" -- -m router --no-port-forwarding
braid_start_mesh c tun "$KEY" "$(peer4 b)" -- -m router --no-port-forwarding
wait_ping a "$(overlay4 b)" 20
wait_ping c "$(overlay4 b)" 20
wait_ping a "$(overlay4 c)" 40
wait_ping c "$(overlay4 a)" 20
log "a and c reach each other through their NATs ($(ms_since "$start") ms after the start)"

ida=$(node_id a)
idc=$(node_id c)
wait_log a 5 "peer $idc connected (at|through)" || fail "a's log has no 'peer $idc connected'"
wait_log c 5 "peer $ida connected (at|through)" || fail "c's log has no 'peer $ida connected'"
log "a: $(grep -m1 -oE "peer $idc connected .*" "$(braid_log a)")"
log "c: $(grep -m1 -oE "peer $ida connected .*" "$(braid_log c)")"
# Relayed unless a direct session came first or a later direct attempt
# got through ("direct way answers").
way=direct
if grep -q "peer $idc connected through relays" "$(braid_log a)" &&
   ! grep -q "peer $idc: direct way answers" "$(braid_log a)"; then
  way=relayed
fi

b0=$(relay_dev_bytes b eth0)
iperf_run a c -t 3
b1=$(relay_dev_bytes b eth0)
rate=$(iperf_mbits a c)
log "RESULT relay_nat way=$way iperf3_a_to_c=$rate mbit b_underlay_bytes=$((b1 - b0))"
log "a and c talk $way (b's underlay moved $((b1 - b0)) bytes during the run)"
at_least "$rate" 5 || fail "iperf3 a -> c reached only $rate Mbit/s ($way)"
braid_alive a; braid_alive b; braid_alive c
log "PASS"
