#!/bin/bash
# A peer that goes away and comes back is found again: after a clean stop
# (it said goodbye), after a crash when it knows us, and after a crash
# when it does not (then only peer_timeout tells us it is gone).
. "$(dirname "$0")/lib.sh"
netns_init

netns_switch
netns_node a 1 v4; netns_node b 2 v4
key=peer-restart-key
# The shortest peer timeout, so the last case takes seconds, not minutes.
opts=(-- --peer-timeout 10 --keepalive 5)

braid_start_mesh a tun "$key" "$(peer4 b)" "${opts[@]}"
braid_start_mesh b tun "$key" "${opts[@]}"
wait_ping a "$(overlay4 b)" 20

# crash_b: SIGKILL both of b's processes; nothing reaches a.
crash_b() {
  local parent=${BRAID_PID[b]} engine
  engine=$(engine_pid "$parent") || fail "no engine under b's parent $parent"
  disown "$parent"
  kill -KILL "$engine" "$parent"
  wait_exit "$parent" 5 || fail "b's parent survived SIGKILL"
  unset 'BRAID_PID[b]'
}

# 1. Clean stop; b comes back knowing no peer: a's retries find it.
kill -TERM "${BRAID_PID[b]}"
wait_exit "${BRAID_PID[b]}" 5 || fail "b did not stop on SIGTERM"
unset 'BRAID_PID[b]'
start=$SECONDS
braid_start_mesh b tun "$key" "${opts[@]}"
wait_ping a "$(overlay4 b)" 20
log "after a clean stop: a reaches b again $(( SECONDS - start ))s after b restarted"

# 2. Crash; b comes back knowing a: its handshake replaces a's old session.
crash_b
start=$SECONDS
braid_start_mesh b tun "$key" "$(peer4 a)" "${opts[@]}"
wait_ping a "$(overlay4 b)" 20
log "after a crash (b knows a): a reaches b again $(( SECONDS - start ))s after b restarted"

# 3. Crash; b comes back knowing no peer: a must notice the silence
# (peer_timeout, 10 s here) and handshake again.
crash_b
start=$SECONDS
braid_start_mesh b tun "$key" "${opts[@]}"
wait_ping a "$(overlay4 b)" 25
log "after a crash (b knows nothing): a reaches b again $(( SECONDS - start ))s after b restarted"
braid_alive a
log "PASS"
