#!/bin/bash
# A tour of braid on one machine: three nodes, each in its own network
# namespace, form an encrypted tun mesh; every pair pings, then a short
# TCP throughput run. Everything is removed at the end. Needs root.
#   sudo tests/netns/demo.sh            (BRAID=path/to/braid to pick a binary)
. "$(dirname "$0")/lib.sh"

say() { printf '\n== %s\n' "$*"; }

netns_init
say "Setting up: three namespaces (nodes a, b, c) plugged into a bridge"
netns_switch
netns_node a 1 v4; netns_node b 2 v4; netns_node c 3 v4
for n in a b c; do
  printf '   node %s: underlay %s on eth0, overlay %s on %s\n' \
    "$n" "$(underlay4 "$n")" "$(overlay4 "$n")" "$BRAID_DEV"
done

key=demo-shared-key
say "Starting braid on each node (shared key '$key'): a knows nobody, b knows a, c knows b"
# LAN discovery off, so that what connects c to a is peer exchange.
braid_start_mesh a tun "$key" -- --no-lan-discovery
braid_start_mesh b tun "$key" "$(peer4 a)" -- --no-lan-discovery
braid_start_mesh c tun "$key" "$(peer4 b)" -- --no-lan-discovery
printf '   e.g. on node c:\n   %s -t tun -d %s -l %s -c %s --no-lan-discovery \\\n' \
  "${BRAID##*/}" "$BRAID_DEV" "$BRAID_PORT" "$(peer4 b)"
printf "     --shared-key %s --ifup '%s'\n" "$key" "$(ifup_cmd "$(overlay4 c)/24")"

say "Waiting for the tunnels (at most 20 s)"
for n in b c; do wait_ping a "$(overlay4 "$n")" 20; braid_alive "$n"; done
printf '   mesh is up; node c learnt of node a from node b:\n'
grep -h "connected at" "$(braid_log c)" | sed 's/^/   c: /'

say "What node c's braidctl shows (its peers and its routes)"
printf '   braidctl --socket %s peers (and routes):\n' "$(control_socket c)"
braidctl_at c peers | sed 's/^/   /'
braidctl_at c routes | sed 's/^/   /'

say "Ping between every pair, over the encrypted overlay"
for from in a b c; do
  for to in a b c; do
    [[ $from != "$to" ]] || continue
    wait_ping "$from" "$(overlay4 "$to")" 10
    # ping's own summary, condensed to one line per pair.
    nsx "$from" ping -n -c 3 -i 0.2 -W 1 "$(overlay4 "$to")" |
      awk -v pair="$from -> $to ($(overlay4 "$to"))" '
        /packets transmitted/ { sent = $1; got = $4 }
        /^rtt/ { split($4, t, "/"); rtt = "rtt min/avg/max " t[1] "/" t[2] "/" t[3] " ms" }
        END { printf "   %-20s %s/%s replies  %s\n", pair, got, sent, rtt }'
  done
done

say "TCP throughput a -> b through the tunnel (iperf3, 3 s)"
iperf_run a b -t 3 | sed 's/^/   /'
printf '   (tunnel MTU %s)\n' "$(nsx a cat /sys/class/net/"$BRAID_DEV"/mtu)"

say "Done: stopping braid and removing the namespaces"
