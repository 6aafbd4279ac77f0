#!/bin/bash
# Live reload of what a running mesh changes most: peers, a link's
# bandwidth and the claims. Node a is reloaded while b and c, whose
# configurations stay, carry a TCP stream that must not stall.
#
#   a  [link up] over eth0; peers b, then also d and a ghost address
#      (nothing there), then d only; bandwidth 10mbit, then 30mbit; then
#      claims 10.88.0.0/24 too
#   b, c  peers of each other: iperf3 b -> c throughout
#   d  no peers: only a reload of a's makes anyone contact it
# Measures throughput: runs alone (see netns_init).
NETNS_EXCLUSIVE=1
. "$(dirname "$0")/lib.sh"
netns_init

key=reload-live-key
netns_switch
netns_node a 1 v4; netns_node b 2 v4; netns_node c 3 v4; netns_node d 4 v4
conf=$NETNS_WORK/a.conf
ghost=$UNDERLAY4.99
claimed=10.88.0

# write_conf BANDWIDTH LINK PEER...: a's configuration file.
write_conf() {
  local bw=$1 link=$2 peer; shift 2
  {
    printf '[network]\n'
    for peer in "$@"; do printf 'peers = %s\n' "$peer"; done
    [[ -z ${SUBNETS:-} ]] || printf 'subnets = %s\n' "$SUBNETS"
    printf '[link %s]\ndevice = eth0\nbandwidth = %s\n' "$link" "$bw"
  } >"$conf"
}

# reload_and_expect REGEX: SIGHUP to a, then waits for the log line.
reload_and_expect() {
  local re=$1 before
  before=$(grep -cE -- "$re" "$(braid_log a)" || true)
  kill -HUP "${BRAID_PID[a]}"
  more() { [[ $(grep -cE -- "$re" "$(braid_log a)" || true) -gt $before ]]; }
  wait_until 5 more || fail "no log line /$re/ after the reload"
}

# Datagrams a has sent to the ghost address (an nftables counter in a's
# namespace, counted before the neighbour lookup that fails).
nsx a nft add table inet reload_live
nsx a nft add chain inet reload_live out '{ type filter hook output priority 0; }'
nsx a nft add rule inet reload_live out ip daddr "$ghost" udp dport "$BRAID_PORT" counter
ghost_sent() {
  nsx a nft list chain inet reload_live out |
    sed -nE 's/.*counter packets ([0-9]+) .*/\1/p'
}

braid_start_mesh b tun "$key" "$(peer4 c)"
braid_start_mesh c tun "$key" "$(peer4 b)"
braid_start_mesh d tun "$key"
write_conf 10mbit up "$(peer4 b)"
braid_start_mesh a tun "$key" -- --config "$conf"
wait_ping a "$(overlay4 b)" 20
wait_ping b "$(overlay4 c)" 20
parent=${BRAID_PID[a]}
engine=$(engine_pid "$parent") || fail "no engine under $parent"

# The stream between the untouched nodes, one report a second.
stream_log=$NETNS_WORK/iperf-stream.log
seconds=40
ip netns exec "$(ns_name c)" iperf3 -s -1 -B "$(overlay4 c)" >/dev/null 2>&1 &
NETNS_PIDS+=("$!")
wait_until 5 iperf_listening c || fail "iperf3 server in c did not start"
ip netns exec "$(ns_name b)" iperf3 -c "$(overlay4 c)" -t "$seconds" -i 1 -f m \
  --connect-timeout 5000 >"$stream_log" 2>&1 &
stream=$!
NETNS_PIDS+=("$stream")
sleep 1

slow=$(ml_goodput slow a b "$(overlay4 b)" 4)
log "RESULT reload_link_before goodput=$slow mbit (a -> b, link up at 10mbit)"
at_least "$slow" 1 || fail "no TCP from a to b before the reloads"

# One reload: d and the ghost added, the link three times as fast.
write_conf 30mbit up "$(peer4 b)" "$(peer4 d)" "$ghost:$BRAID_PORT"
reload_and_expect 'reload: network.peers and link up changed'
wait_log a 5 "peer $(peer4 d) added" || fail "a's engine did not add peer d"
wait_ping a "$(overlay4 d)" 15
ghost_contacted() { (( $(ghost_sent) > 0 )); }
wait_until 5 ghost_contacted || fail "a did not contact the ghost it was given"
fast=$(ml_goodput fast a b "$(overlay4 b)" 4)
log "RESULT reload_link_after goodput=$fast mbit (a -> b, link up at 30mbit) ratio=$(ratio "$fast" "$slow")"
at_least "$fast" "$(awk -v x="$slow" 'BEGIN { print 2 * x }')" ||
  fail "link up at 30mbit ($fast Mbit/s) is not twice as fast as at 10mbit ($slow Mbit/s)"

# Another: b and the ghost removed. Sessions stand; the ghost, due again
# within its backoff (16 s at most), is not contacted any more.
write_conf 30mbit up "$(peer4 d)"
reload_and_expect 'reload: network.peers changed'
wait_log a 5 "peer $ghost:$BRAID_PORT removed" || fail "a's engine did not remove the ghost"
sleep 0.5
ghosted=$(ghost_sent)
sleep 17
[[ $(ghost_sent) == "$ghosted" ]] || fail "a contacted the ghost after it was removed ($ghosted, then $(ghost_sent))"
ping_once a "$(overlay4 b)" >/dev/null || fail "a's session with b did not stand the removal"

# Claims: b routes 10.88.0.0/24 into the overlay; a claims it only after a
# reload, and then answers there.
nsx a ip addr add "$claimed.1/32" dev "$BRAID_DEV"
nsx b ip route add "$claimed.0/24" dev "$BRAID_DEV"
! ping_once b "$claimed.1" >/dev/null || fail "b reached $claimed.1 before a claimed it"
SUBNETS=$claimed.0/24 write_conf 30mbit up "$(peer4 d)"
reload_and_expect 'reload: network.subnets changed'
wait_ping b "$claimed.1" 5

# Renaming the link takes a restart: refused whole.
write_conf 10mbit down "$(peer4 d)"
reload_and_expect 'reload refused: link up and link down changed, which takes a restart'
[[ $(engine_pid "$parent") == "$engine" ]] || fail "a's engine was replaced"

# The stream: every second carried data.
wait_exit "$stream" $((seconds + 10)) || fail "iperf3 b -> c did not finish"
wait "$stream" || { cat "$stream_log" >&2; fail "iperf3 b -> c failed"; }
per_second=$(awk '/sec/ && !/sender|receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") print $(i - 1) }' "$stream_log")
n=$(wc -l <<<"$per_second")
least=$(sort -n <<<"$per_second" | head -n 1)
log "RESULT reload_stream seconds=$n least=$least mbit (b -> c while a reloaded)"
(( n >= seconds - 1 )) || fail "iperf3 b -> c reported $n seconds of $seconds"
at_least "$least" 1 || fail "the stream b -> c stalled: a second at $least Mbit/s"
braid_alive a; braid_alive b; braid_alive c; braid_alive d
log "PASS"
