#!/bin/bash
# LAN discovery at the daemon level: three nodes on one bridge, no peer
# configured at all, find each other by their multicast beacons (one at
# start, then every 30 s) and ping every pair. Then x starts with
# --no-lan-discovery, and after it y with discovery on: y's start beacon
# brings it into the mesh, while x, which sends none and ignores y's,
# stays alone. (tests/netns/lan_beacon_probe.sh covers the beacons
# themselves on the wire.)
. "$(dirname "$0")/lib.sh"
netns_init

readonly KEY=lan-discovery-key
netns_switch
netns_node a 1 v4; netns_node b 2 v4; netns_node c 3 v4
netns_node x 4 v4; netns_node y 5 v4

start=$(date +%s%N)
for node in a b c; do braid_start_mesh "$node" tun "$KEY"; done
wait_until 40 full_mesh a b c || fail "a, b and c did not all connect within 40 s"
log "a, b and c connected $(ms_since "$start") ms after the first start," \
  "$(( $(log_ms ' connected at ' a b c) - $(log_ms ' up on ' a b c) )) ms after the last came up"
ping_all a b c
log "every pair of a, b and c pings ($(ms_since "$start") ms)"

# Counts the IPv4 beacons that reach x's namespace (prerouting: before
# the kernel decides whether anyone there listens to the group).
beacons_at_x() {
  nsx x nft list chain ip braid_test beacons | sed -nE 's/.* packets ([0-9]+) .*/\1/p'
}
if command -v nft >/dev/null; then
  nsx x nft -f - <<EOF || fail "cannot load x's beacon counter"
table ip braid_test {
  chain beacons {
    type filter hook prerouting priority 0; policy accept;
    ip daddr 239.255.11.29 udp dport $BRAID_PORT counter
  }
}
EOF
fi
braid_start_mesh x tun "$KEY" -- --no-lan-discovery
wait_log x 10 " up on $BRAID_DEV" || fail "x did not come up"
braid_start_mesh y tun "$KEY"
wait_log y 10 " up on $BRAID_DEV" || fail "y did not come up"
start=$(date +%s%N)
ping_all a b c y
log "y joined a, b and c by its beacon ($(ms_since "$start") ms after it came up)"
# Give x as long again to connect to anyone; it must not.
sleep 3
for node in a b c y; do
  if ping_once x "$(overlay4 "$node")" >/dev/null; then fail "x reaches $node"; fi
  if ping_once "$node" "$(overlay4 x)" >/dev/null; then fail "$node reaches x"; fi
  at_x=$(grep "$(underlay4 x):$BRAID_PORT\$" "$(braid_log "$node")" || true)
  [[ -z $at_x ]] || fail "$node's log mentions x's address: $at_x"
done
at_x=$(grep ' connected at ' "$(braid_log x)" || true)
[[ -z $at_x ]] || fail "x connected: $at_x"
if command -v nft >/dev/null; then
  n=$(beacons_at_x)
  (( n > 0 )) || fail "no beacon reached x's namespace, so its staying alone proves nothing"
  log "$n beacon(s) reached x's namespace"
fi
log "x (--no-lan-discovery) stays alone: no session, no ping either way"
braid_alive x; braid_alive y
log "PASS"
