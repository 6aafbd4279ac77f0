#!/bin/bash
# A node holding another shared key gets no traffic through, nor does a
# node of another network (same key, other magic), while the two nodes
# with the right key and magic still talk.
. "$(dirname "$0")/lib.sh"
netns_init

netns_switch
netns_node a 1 v4; netns_node b 2 v4; netns_node c 3 v4; netns_node d 4 v4

braid_start_mesh a tun right-key "$(peer4 b)" "$(peer4 c)" "$(peer4 d)"
braid_start_mesh b tun right-key "$(peer4 a)" "$(peer4 c)" "$(peer4 d)"
braid_start_mesh c tun wrong-key "$(peer4 a)" "$(peer4 b)"
# The command line's last --magic wins over the one every test node gets.
braid_start_mesh d tun right-key "$(peer4 a)" "$(peer4 b)" -- --magic hash:another-network

wait_ping a "$(overlay4 b)" 20
wait_ping b "$(overlay4 a)" 5
log "the right-key pair talks"

# c and d have had as long as a and b needed; give them a few more seconds.
for _ in 1 2; do
  for x in c d; do
    if ping_once "$x" "$(overlay4 a)" >/dev/null; then fail "node $x reached a"; fi
    if ping_once a "$(overlay4 "$x")" >/dev/null; then fail "a reached node $x"; fi
    if ping_once b "$(overlay4 "$x")" >/dev/null; then fail "b reached node $x"; fi
  done
done
log "wrong-key node c and other-network node d get nothing through"
# The refusing side says why (d's packets carry another magic: not even
# that far).
wait_log a 5 "handshake initiation from $(underlay4 c):[0-9]+ dropped: not keyed for this network" ||
  fail "a's log does not say why c was refused"
braid_alive a; braid_alive b; braid_alive c; braid_alive d
log "PASS"
