#!/bin/bash
# LAN beacons cross a real link. Probes (braid-beacon-probe: the engine's
# LanBeacon on a UDP socket of its own, no daemon) in namespaces on one
# bridge must hear each other over IPv4 and IPv6 from a dual-stack socket,
# and over IPv4 from an IPv4-only one; a beacon must go out on every LAN
# interface but never on the overlay device, never come back to its
# sender, and one keyed for another network must be dropped at its mac.
#
# Environment: BRAID_BEACON_PROBE (the probe; automake sets it),
# BEACON_SECONDS (how long the probes run, default 6).
. "$(dirname "$0")/lib.sh"

if [[ -z "${BRAID_BEACON_PROBE:-}" ]]; then
  if [[ -x "$PWD/tests/netns/braid-beacon-probe" ]]; then
    BRAID_BEACON_PROBE=$PWD/tests/netns/braid-beacon-probe
  else
    BRAID_BEACON_PROBE=$NETNS_LIBDIR/braid-beacon-probe
  fi
fi
seconds=${BEACON_SECONDS:-6}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || fail "BEACON_SECONDS must be a number of seconds"

netns_init
[[ -x $BRAID_BEACON_PROBE ]] ||
  fail "no braid-beacon-probe at $BRAID_BEACON_PROBE (set BRAID_BEACON_PROBE=PATH)"

node_id() { printf "$1%.0s" {1..32}; }
readonly ID_A=$(node_id a1) ID_B=$(node_id b2) ID_C=$(node_id c3) ID_D=$(node_id d4)
readonly KEY=lan-beacon-key

netns_switch
netns_node a 1 v4v6; netns_node b 2 v4v6; netns_node c 3 v4v6; netns_node d 4 v4
# a has an overlay device (a tun device under braid's name) and a second
# LAN interface, lan1, a veth to namespace e: beacons go out on eth0 and
# lan1, never on braid0.
nsx a ip tuntap add "$BRAID_DEV" mode tun
nsx a ip addr add "$OVERLAY4.1/24" dev "$BRAID_DEV"
nsx a ip link set "$BRAID_DEV" up
netns_add e
ip -n "$(ns_name a)" link add lan1 type veth peer name eth0 netns "$(ns_name e)"
ip -n "$(ns_name a)" addr add 10.88.0.1/24 dev lan1
ip -n "$(ns_name a)" link set lan1 up
ip -n "$(ns_name e)" link set eth0 up

# Named like a daemon's log, so lib.sh checks it for sanitizer reports and
# shows it when the test fails.
probe_log() { braid_log "probe-$1"; }
declare -A PROBE_PID=()
# probe NODE ARGS...: a probe on the test's port and magic in NODE.
probe() {
  local node=$1; shift
  ip netns exec "$(ns_name "$node")" "$BRAID_BEACON_PROBE" --port "$BRAID_PORT" \
    --magic "$TEST_MAGIC" --overlay "$BRAID_DEV" --seconds "$seconds" "$@" \
    >"$(probe_log "$node")" 2>&1 &
  PROBE_PID[$node]=$!
  NETNS_PIDS+=("$!")
}

probe a --key "$KEY" --id "$ID_A" --expect "$ID_B/v4v6" --expect "$ID_D/v4"
probe b --key "$KEY" --id "$ID_B" --expect "$ID_A/v4v6" --expect "$ID_D/v4"
probe c --key other-network --id "$ID_C"
probe d --key "$KEY" --id "$ID_D" --family 4 --expect "$ID_A/v4" --expect "$ID_B/v4"

status=0
for node in a b c d; do
  if ! wait "${PROBE_PID[$node]}"; then
    printf '%s: probe in %s failed; its log:\n' "${0##*/}" "$node" >&2
    cat "$(probe_log "$node")" >&2
    status=1
  fi
done
[[ $status -eq 0 ]] || fail "a probe did not hear what it expected"
log "a, b and d heard each other (a and b over IPv4 and IPv6, d over IPv4)"

has() { grep -qE -- "$2" "$(probe_log "$1")"; }
has b "^beacon $ID_A from $(underlay4 a):$BRAID_PORT v4\$" ||
  fail "b did not see a's beacon come from a's IPv4 LAN endpoint"
has b "^beacon $ID_A from \[fe80::[0-9a-f:]+\]:$BRAID_PORT%eth0 v6\$" ||
  fail "b did not see a's beacon come from a's IPv6 link-local endpoint on eth0"
has a "^sent on 2: (eth0/v4/v6 lan1/v4/v6|lan1/v4/v6 eth0/v4/v6)\$" ||
  fail "a did not send on eth0 and lan1 over both families"
! has a "^sent on .*$BRAID_DEV" || fail "a sent a beacon on its overlay device"
has d "^sent on 1: eth0/v4\$" || fail "d (IPv4-only socket) did not send over IPv4 on eth0"
log "beacons leave on every LAN interface, not on the overlay device"

for node in a b d; do
  has "$node" "^drop bad-mac from $(underlay4 c):$BRAID_PORT\$" ||
    fail "$node did not drop c's beacon (another network key) at its mac"
  ! has "$node" "^beacon $ID_C " || fail "$node accepted a beacon of another network key"
done
has c "^drop bad-mac from " || fail "c did not drop the beacons of the other network"
log "beacons of another network key are dropped at their mac"
