#!/bin/bash
# Port forwarding: a node behind a home gateway (miniupnpd, nftables
# masquerade) asks it to forward its UDP port, first over NAT-PMP, then,
# with NAT-PMP switched off on the gateway, over UPnP IGD. Each time the
# gateway's DNAT rule exists while braid runs, a node on the "internet"
# side reaches the node through it, and the rule is gone a few seconds
# after braid stops. --no-port-forwarding asks nothing.
#
#   a (10.78.0.2) --- lan0 [gw: miniupnpd, masquerade] wan0 --- w
#
# miniupnpd refuses to forward when its external address is private or
# reserved (documentation ranges included), so the "internet" side uses
# 25.77.0.0/24. It exists only inside this test's namespaces, which have no
# route out of them.
. "$(dirname "$0")/lib.sh"
netns_init
command -v miniupnpd >/dev/null || skip "miniupnpd not installed (apt-get install miniupnpd-nftables)"
miniupnpd --version 2>&1 | grep -q nftables || skip "miniupnpd is not the nftables flavour"
command -v nft >/dev/null || skip "nft (nftables) not installed"

readonly LAN_GW=10.78.0.1 LAN_NODE=10.78.0.2
readonly WAN_GW=25.77.0.1 WAN_PEER=25.77.0.2
readonly KEY=port-forward-key
NODE_INDEX[a]=1
NODE_INDEX[w]=2

netns_add gw; netns_add a; netns_add w
ip -n "$(ns_name gw)" link add lan0 type veth peer name eth0 netns "$(ns_name a)"
ip -n "$(ns_name gw)" link add wan0 type veth peer name eth0 netns "$(ns_name w)"
ip -n "$(ns_name gw)" addr add "$LAN_GW/24" dev lan0
ip -n "$(ns_name gw)" addr add "$WAN_GW/24" dev wan0
ip -n "$(ns_name gw)" link set lan0 up
ip -n "$(ns_name gw)" link set wan0 up
nsx gw sysctl -qw net.ipv4.ip_forward=1
ip -n "$(ns_name a)" addr add "$LAN_NODE/24" dev eth0
ip -n "$(ns_name a)" link set eth0 up
ip -n "$(ns_name a)" route add default via "$LAN_GW"
ip -n "$(ns_name w)" addr add "$WAN_PEER/24" dev eth0
ip -n "$(ns_name w)" link set eth0 up

# The gateway's firewall: outgoing LAN traffic masqueraded, nothing
# incoming except what miniupnpd puts into its chains.
cat >"$NETNS_WORK/gw.nft" <<EOF
table inet braid_gw {
  chain upnp_forward { }
  chain upnp_prerouting { }
  chain upnp_postrouting { }
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "lan0" oifname "wan0" accept
    jump upnp_forward
  }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    jump upnp_prerouting
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump upnp_postrouting
    oifname "wan0" masquerade
  }
}
EOF
nsx gw nft -f "$NETNS_WORK/gw.nft" || fail "cannot load the gateway's nftables ruleset"

MINIUPNPD_PID=""

# miniupnpd_start NATPMP: the gateway's daemon, NAT-PMP on or off (UPnP
# always on), its configuration and log in the work directory.
miniupnpd_start() {
  local natpmp=$1 conf=$NETNS_WORK/miniupnpd-$1.conf
  cat >"$conf" <<EOF
ext_ifname=wan0
listening_ip=lan0
enable_natpmp=$natpmp
enable_upnp=yes
secure_mode=yes
uuid=6b1f0c52-8d3e-4a57-9c21-3e5f7a9d0b14
upnp_table_name=braid_gw
upnp_nat_table_name=braid_gw
upnp_forward_chain=upnp_forward
upnp_nat_chain=upnp_prerouting
upnp_nat_postrouting_chain=upnp_postrouting
allow 1024-65535 10.78.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF
  ip netns exec "$(ns_name gw)" miniupnpd -d -f "$conf" -P "$NETNS_WORK/miniupnpd.pid" \
    >"$NETNS_WORK/miniupnpd-$natpmp.log" 2>&1 &
  MINIUPNPD_PID=$!
  NETNS_PIDS+=("$MINIUPNPD_PID")
  wait_until 5 gw_listening || fail "miniupnpd did not start (log: $NETNS_WORK/miniupnpd-$natpmp.log)"
}

gw_listening() { nsx gw ss -Hltn | grep -q .; }

miniupnpd_stop() {
  kill -TERM "$MINIUPNPD_PID" 2>/dev/null
  wait_exit "$MINIUPNPD_PID" 5 || fail "miniupnpd did not stop"
}

# The gateway's DNAT rule for the node's port, as miniupnpd writes it.
forwarded() {
  nsx gw nft list chain inet braid_gw upnp_prerouting |
    grep -q "dport $BRAID_PORT dnat ip to $LAN_NODE:$BRAID_PORT"
}
not_forwarded() { ! forwarded; }

# check_method LABEL NATPMP: the node maps its port through the gateway
# with NAT-PMP on or off, is reachable through it, and removes it on exit.
check_method() {
  local label=$1 natpmp=$2
  miniupnpd_start "$natpmp"
  not_forwarded || fail "a rule for UDP $BRAID_PORT exists before braid starts"
  braid_start a -t tun --shared-key "$KEY" --ifup "$(ifup_cmd "$(overlay4 a)/24")"
  wait_log a 15 "port forwarding: gateway $LAN_GW forwards UDP $BRAID_PORT \\($label\\), external address $WAN_GW" ||
    fail "no '$label' mapping in the log of a"
  # miniupnpd may answer a moment before its nft transaction is visible.
  wait_until 5 forwarded || fail "braid logged a $label mapping but the gateway has no rule for it"
  log "$label: gateway forwards UDP $BRAID_PORT to $LAN_NODE"

  # w knows only the gateway's external address: a answers only through
  # the forwarded port.
  braid_start w -t tun --shared-key "$KEY" --no-port-forwarding \
    --ifup "$(ifup_cmd "$(overlay4 w)/24")" -c "$WAN_GW:$BRAID_PORT"
  wait_ping w "$(overlay4 a)" 20
  log "$label: w reaches a through the forwarded port"
  braid_stop w

  braid_stop a
  wait_until 5 not_forwarded || fail "$label: the rule for UDP $BRAID_PORT outlived braid by 5 s"
  grep -q "no longer forwarded" "$(braid_log a)" || fail "$label: a did not log the removal"
  log "$label: rule removed when braid stopped"
  miniupnpd_stop
}

check_method NAT-PMP yes
check_method UPnP no

# Nobody answers (miniupnpd stopped): one line says so.
braid_start a -t tun --shared-key "$KEY" --ifup "$(ifup_cmd "$(overlay4 a)/24")"
wait_log a 15 "port forwarding: no UPnP or NAT-PMP gateway found .*; not retried for 10 minutes" ||
  fail "a did not log that no gateway answered"
braid_stop a
log "no gateway: logged"

# A stop in the middle of UPnP discovery (NAT-PMP got its port-unreachable
# at once): the engine still exits by itself within the parent's 3 s grace
# period; one it had to kill would make the parent exit with status 1.
braid_start a -t tun --shared-key "$KEY" --ifup "$(ifup_cmd "$(overlay4 a)/24")"
wait_log a 10 "up on $BRAID_DEV" || fail "a did not come up"
sleep 0.5
pid=${BRAID_PID[a]}
t0=$(date +%s%N)
kill -TERM "$pid"
wait_exit "$pid" 5 || fail "braid did not stop within 5 s during discovery"
took=$(( ($(date +%s%N) - t0) / 1000000 ))
rc=0; wait "$pid" || rc=$?
unset 'BRAID_PID[a]'
[[ $rc -eq 0 ]] || fail "braid exited with status $rc when stopped during discovery"
log "stopped during discovery in $took ms"

# Off: nothing is asked of the gateway.
miniupnpd_start yes
braid_start a -t tun --shared-key "$KEY" --no-port-forwarding \
  --ifup "$(ifup_cmd "$(overlay4 a)/24")"
wait_log a 10 "up on $BRAID_DEV" || fail "a did not come up with --no-port-forwarding"
sleep 3
not_forwarded || fail "--no-port-forwarding: the gateway forwards UDP $BRAID_PORT anyway"
if grep -q "port forwarding" "$(braid_log a)"; then
  fail "--no-port-forwarding: a still talked to the gateway"
fi
log "--no-port-forwarding: nothing asked"
log "PASS"
