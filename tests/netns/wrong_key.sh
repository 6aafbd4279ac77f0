#!/bin/bash
# A node holding another shared key gets no traffic through, while the two
# nodes with the right key still talk.
. "$(dirname "$0")/lib.sh"
netns_init

netns_switch
netns_node a 1 v4; netns_node b 2 v4; netns_node c 3 v4

braid_start_mesh a tun right-key "$(peer4 b)" "$(peer4 c)"
braid_start_mesh b tun right-key "$(peer4 a)" "$(peer4 c)"
braid_start_mesh c tun wrong-key "$(peer4 a)" "$(peer4 b)"

wait_ping a "$(overlay4 b)" 20
wait_ping b "$(overlay4 a)" 5
log "the right-key pair talks"

# c has had as long as a and b needed; give it a few more seconds.
for _ in 1 2 3; do
  if ping_once c "$(overlay4 a)" >/dev/null; then fail "wrong-key node c reached a"; fi
  if ping_once a "$(overlay4 c)" >/dev/null; then fail "a reached wrong-key node c"; fi
  if ping_once b "$(overlay4 c)" >/dev/null; then fail "b reached wrong-key node c"; fi
done
log "wrong-key node c gets nothing through"
braid_alive a; braid_alive b; braid_alive c
log "PASS"
