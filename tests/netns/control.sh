#!/bin/bash
# braidctl against a three-node mesh: every command answers in text and in
# JSON (checked with jq), stats in Prometheus text, the stats file is
# written (text and JSON), reload reaches the parent, a user outside the
# engine's group is refused, bad commands and a missing daemon give their
# exit status, and the socket goes when braid stops.
. "$(dirname "$0")/lib.sh"
netns_init
command -v jq >/dev/null || skip "jq is not installed"
command -v setpriv >/dev/null || skip "setpriv is not installed"

key=control-test-key
netns_switch
netns_node a 1 v4; netns_node b 2 v4; netns_node c 3 v4
stats_a=$NETNS_WORK/stats-a.txt
stats_b=$NETNS_WORK/stats-b.json
braid_start_mesh a tun "$key" "$(peer4 b)" "$(peer4 c)" -- \
  --stats-file "$stats_a" --stats-interval 1
braid_start_mesh b tun "$key" "$(peer4 a)" "$(peer4 c)" -- \
  --stats-file "$stats_b" --stats-interval 1 --stats-format json
braid_start_mesh c tun "$key" "$(peer4 a)" "$(peer4 b)"
wait_ping a "$(overlay4 b)" 20
wait_ping a "$(overlay4 c)" 20
wait_ping b "$(overlay4 c)" 20

sock=$(control_socket a)
[[ -S $sock ]] || fail "no control socket at $sock"
perm=$(stat -c '%a %U' "$sock")
[[ $perm == "660 root" ]] || fail "control socket is '$perm', expected mode 660 owned by root"

# Text: the status names the node and the interface; peers lists two
# direct peers.
out=$(braidctl_at a status) || fail "braidctl status failed"
grep -q "^interface  $BRAID_DEV (tun" <<<"$out" || fail "status without the interface: $out"
grep -qE '^node       [0-9a-f]{64}$' <<<"$out" || fail "status without the node id: $out"
grep -q '^peers      2 (2 direct' <<<"$out" || fail "status does not count two direct peers: $out"
out=$(braidctl_at a peers) || fail "braidctl peers failed"
[[ $(grep -c ' direct ' <<<"$out") -eq 2 ]] || fail "peers does not list two direct peers: $out"
for cmd in links paths routes table stats; do
  braidctl_at a "$cmd" >"$NETNS_WORK/ctl-$cmd.txt" || fail "braidctl $cmd failed"
  [[ -s $NETNS_WORK/ctl-$cmd.txt ]] || fail "braidctl $cmd printed nothing"
done
grep -qE '^rx_packets +[1-9]' "$NETNS_WORK/ctl-stats.txt" || fail "stats without rx_packets"
log "text: $(head -n 3 <<<"$out" | tr -s ' ' | tr '\n' ';')"

# JSON: every command parses, and the facts agree with the text.
for cmd in status peers links paths routes table stats; do
  braidctl_at a --json "$cmd" >"$NETNS_WORK/ctl-$cmd.json" || fail "braidctl --json $cmd failed"
  jq -e . "$NETNS_WORK/ctl-$cmd.json" >/dev/null || fail "braidctl --json $cmd is not JSON"
done
jq -e '.peers == 2 and .direct_peers == 2 and .device == "tun"' "$NETNS_WORK/ctl-status.json" \
  >/dev/null || fail "status JSON: $(cat "$NETNS_WORK/ctl-status.json")"
jq -e 'length == 2 and all(.[]; .direct and .rx_bytes > 0 and (.node | length) == 64)' \
  "$NETNS_WORK/ctl-peers.json" >/dev/null || fail "peers JSON: $(cat "$NETNS_WORK/ctl-peers.json")"
jq -e 'length == 2 and all(.[]; .metric != null)' "$NETNS_WORK/ctl-routes.json" >/dev/null ||
  fail "routes JSON: $(cat "$NETNS_WORK/ctl-routes.json")"
jq -e '.mode == "router"' "$NETNS_WORK/ctl-table.json" >/dev/null ||
  fail "table JSON: $(cat "$NETNS_WORK/ctl-table.json")"
jq -e '.rx_packets > 0 and .handshake_ok >= 1' "$NETNS_WORK/ctl-stats.json" >/dev/null ||
  fail "stats JSON: $(cat "$NETNS_WORK/ctl-stats.json")"
log "JSON: every command parses"

# Prometheus: HELP and TYPE lines, samples of the form name{labels} value.
braidctl_at a --prometheus stats >"$NETNS_WORK/ctl-stats.prom" || fail "--prometheus stats failed"
grep -qE '^braid_rx_packets_total\{node="[0-9a-f]{64}",interface="[^"]+"\} [1-9][0-9]*$' \
  "$NETNS_WORK/ctl-stats.prom" || fail "no braid_rx_packets_total sample"
bad=$(grep -vE '^# (HELP|TYPE) braid_[a-z_]+ |^braid_[a-z_]+\{[^}]*\} [0-9]+$' \
  "$NETNS_WORK/ctl-stats.prom" || true)
[[ -z $bad ]] || fail "lines that are not Prometheus text: $bad"

# The stats files: text on a, JSON on b, rewritten every second.
wait_until 10 grep -q '^peers      2' "$stats_a" || fail "stats file $stats_a without two peers"
wait_until 10 jq -e '.status.peers == 2 and (.peers | length) == 2' "$stats_b" >/dev/null ||
  fail "stats file $stats_b is not the JSON expected"
# Each rewrite is a new file renamed over the old one: a new inode.
before=$(stat -c %i "$stats_a")
replaced() { [[ $(stat -c %i "$stats_a") != "$before" ]]; }
wait_until 5 replaced || fail "stats file not rewritten"
log "stats files written"

# Reload goes to the parent.
out=$(braidctl_at a reload) || fail "braidctl reload failed"
wait_log a 5 'reload asked for on the control socket' || fail "the parent did not reload"

# Exit status: usage errors 2, a daemon that is not there 3.
rc=0; braidctl_at a bogus >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "an unknown command exited $rc, expected 2"
rc=0; braidctl_at a --prometheus peers >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "--prometheus peers exited $rc, expected 2"
rc=0; "$BRAIDCTL" --socket "$NETNS_WORK/none.sock" status >/dev/null 2>&1 || rc=$?
[[ $rc -eq 3 ]] || fail "a missing socket exited $rc, expected 3"

# Access: the socket's group is the engine's (nogroup for user nobody).
# A user outside it is refused; a member may ask.
rc=0
err=$(setpriv --reuid=40123 --regid=40123 --clear-groups "$BRAIDCTL" --socket "$sock" status \
  2>&1 >/dev/null) || rc=$?
[[ $rc -eq 3 ]] || fail "a user outside the group got exit $rc, expected 3"
grep -q 'permission denied' <<<"$err" || fail "refusal without a reason: $err"
group=$(stat -c %g "$sock")
setpriv --reuid=40123 --regid=40123 --groups="$group" "$BRAIDCTL" --socket "$sock" status \
  >/dev/null || fail "a member of the socket's group was refused"
log "access: outsiders refused, group members served"

braid_stop a
[[ ! -e $sock ]] || fail "control socket left behind after braid stopped"
log "PASS"
