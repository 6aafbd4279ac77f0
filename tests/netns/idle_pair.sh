#!/bin/bash
# An idle pair keeps quiet and wakes at once: a and b ping, then exchange
# nothing for 200 s, past the age at which their keys may carry data. The
# firewall probe (one asks the other to keep quiet for 2 minutes, then to
# send) finds nothing that forgets them, so b sends a keepalive only every
# 2 minutes; a's first ping afterwards waits for new keys and is answered,
# nothing lost. Slow (four minutes), so it runs only with
# BRAID_SLOW_TESTS=1.
. "$(dirname "$0")/lib.sh"
[[ "${BRAID_SLOW_TESTS:-0}" == 1 ]] || skip "slow: set BRAID_SLOW_TESTS=1"
command -v nft >/dev/null || skip "nft not installed"
netns_init

netns_switch
netns_node a 1 v4; netns_node b 2 v4
KEY=idle-pair-key

# Counts what reaches a from b's braid port.
nsx a nft -f - <<NFT || fail "cannot load a's counter"
table ip braid_test {
  chain from_b {
    type filter hook input priority 0; policy accept;
    ip saddr $(underlay4 b) udp sport $BRAID_PORT counter
  }
}
NFT
from_b() { nsx a nft list chain ip braid_test from_b | sed -nE 's/.* packets ([0-9]+) .*/\1/p'; }

braid_start_mesh b tun "$KEY" -- --no-lan-discovery
braid_start_mesh a tun "$KEY" "$(peer4 b)" -- --no-lan-discovery
wait_ping a "$(overlay4 b)" 20
wait_ping b "$(overlay4 a)" 5
log "a and b ping; now idle for 200 s"

# Past the two keepalive intervals after which the pair is idle.
sleep 60
before=$(from_b)
sleep 140
quiet=$(( $(from_b) - before ))
log "b sent a $quiet packet(s) in 140 idle seconds (every 25 s would be 5 or 6)"
[[ $quiet -le 3 ]] || fail "b kept sending every keepalive interval to an idle peer"

start=$(date +%s%N)
nsx a ping -n -c 3 -i 0.2 -W 2 "$(overlay4 b)" >"$NETNS_WORK/ping" ||
  { cat "$NETNS_WORK/ping"; fail "no answer after 200 s of quiet"; }
grep -q ' 0% packet loss' "$NETNS_WORK/ping" || { cat "$NETNS_WORK/ping"; fail "pings lost"; }
log "three pings after the quiet, none lost, in $(( ($(date +%s%N) - start) / 1000000 )) ms"
grep -q 'new session keys' "$(braid_log a)" "$(braid_log b)" || log "(no renewal logged at -v)"
braid_alive a; braid_alive b
log "PASS"
