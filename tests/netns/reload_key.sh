#!/bin/bash
# A shared key changed without a restart. a and b read the key from a
# file; both files get a new key and SIGHUP: the session between them is
# renewed under it (its handshake count grows), pings go on all along and
# the engines stay the same processes. Then c, started with the old key,
# never gets in, and started again with the new one, does.
. "$(dirname "$0")/lib.sh"
netns_init

netns_switch
for n in a:1 b:2 c:3; do netns_node "${n%:*}" "${n#*:}" v4; done
key_file() { printf '%s/key-%s' "$NETNS_WORK" "$1"; }
set_key() {   # set_key NODE KEY: NODE's key file holds KEY, mode 0600
  (umask 077 && printf '%s\n' "$2" >"$(key_file "$1").tmp") && mv -f "$(key_file "$1").tmp" "$(key_file "$1")" ||
    fail "cannot write $1's key file"
}
start() {     # start NODE PEER...
  local node=$1; shift
  local args=(-t tun --shared-key-file "$(key_file "$node")" --ifup "$(ifup_cmd "$(overlay4 "$node")/24")")
  for p in "$@"; do args+=(-c "$p"); done
  braid_start "$node" "${args[@]}"
}
handshakes() {   # handshakes NODE PEER-NODE-ID-PREFIX: with that peer, so far
  braidctl_at "$1" peers --json | jq -r --arg id "$2" '.[] | select(.node | startswith($id)) | .handshakes'
}

for n in a b c; do set_key "$n" "reload-key-before"; done
start a "$(peer4 b)"
start b "$(peer4 a)"
wait_ping a "$(overlay4 b)" 20
a_engine=$(engine_pid "${BRAID_PID[a]}") || fail "no engine under a's parent"
b_engine=$(engine_pid "${BRAID_PID[b]}") || fail "no engine under b's parent"
b_id=$(braidctl_at b status --json | jq -r .node)
[[ $(handshakes a "$b_id") =~ ^[0-9]+$ ]] || fail "a does not list b as a peer"
last_handshake() {   # seconds since a's last handshake with b
  braidctl_at a peers --json | jq -r --arg id "$b_id" '.[] | select(.node | startswith($id)) | .last_handshake_s'
}
drop_mac() { braidctl_at a stats --json | jq -r .drop_mac; }
sleep 3   # the handshakes of the start are over: the next one is the key change's

# 60 pings, one every 0.1 s, through the change: at most 2 may be lost.
nsx a ping -n -c 60 -i 0.1 -W 1 "$(overlay4 b)" >"$NETNS_WORK/ping.log" 2>&1 &
ping_pid=$!
sleep 1
for n in a b; do set_key "$n" "reload-key-after"; done
hup_at=$(date +%s)
kill -HUP "${BRAID_PID[a]}" "${BRAID_PID[b]}"
for n in a b; do
  wait_log "$n" 10 "reload: security.shared_key changed" || fail "$n did not take the new key"
  wait_log "$n" 5 "shared key changed; renewing 1 session" || fail "$n's engine did not renew its session"
done
# A handshake since the SIGHUP (the last one before it was 3 s or more
# earlier): the session was renewed, under the new key.
renewed() { (( $(last_handshake) <= $(date +%s) - hup_at )); }
wait_until 10 renewed || fail "the session of a and b was not renewed under the new key"
wait "$ping_pid" || true
sent=$(awk '/packets transmitted/ { print $1 }' "$NETNS_WORK/ping.log")
got=$(awk '/packets transmitted/ { print $4 }' "$NETNS_WORK/ping.log")
log "pings through the key change: $got of $sent answered"
(( sent == 60 && sent - got <= 2 )) || fail "$((sent - got)) of $sent pings lost through the key change"
[[ $(engine_pid "${BRAID_PID[a]}") == "$a_engine" && $(engine_pid "${BRAID_PID[b]}") == "$b_engine" ]] ||
  fail "an engine was replaced"

# c with the old key: shut out, its initiations dropped by a at mac1.
macs=$(drop_mac)
start c "$(peer4 a)"
more_macs() { (( $(drop_mac) > macs )); }
wait_until 5 more_macs || fail "a did not drop c's initiations, made with the old key"
if ping_once c "$(overlay4 a)" >/dev/null; then fail "c, with the old key, reached a"; fi
braid_stop c
set_key c "reload-key-after"
start c "$(peer4 a)"
wait_ping c "$(overlay4 a)" 20
braid_alive a; braid_alive b
log "a shared key changed live keeps a and b together; the old key is shut out, the new one let in"
log "PASS"
