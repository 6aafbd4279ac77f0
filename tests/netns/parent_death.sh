#!/bin/bash
# When the parent dies (SIGKILL, so it cannot say so), the engine notices
# the closed channel and exits within 5 s, and the interface goes with it.
. "$(dirname "$0")/lib.sh"
netns_init

netns_switch
netns_node a 1 v4; netns_node b 2 v4
braid_start_mesh a tun parent-death-key "$(peer4 b)"
braid_start_mesh b tun parent-death-key "$(peer4 a)"
wait_ping a "$(overlay4 b)" 20

parent=${BRAID_PID[a]}
engine=$(engine_pid "$parent") || fail "no engine process under parent $parent"
log "killing parent $parent of engine $engine"
disown "$parent"   # its death by SIGKILL is the point, not news for bash
kill -KILL "$parent"
wait_exit "$parent" 5 || fail "parent $parent survived SIGKILL"
unset 'BRAID_PID[a]'

# The engine is no child of this shell: once it exits, init reaps it.
engine_gone() { [[ ! -e /proc/$engine ]] || grep -q '^State:.*Z' "/proc/$engine/status"; }
if ! wait_until 5 engine_gone; then
  fail "engine $engine still running 5 s after its parent died"
fi
log "engine exited"
link_gone() { ! nsx a ip link show dev "$BRAID_DEV"; }
if ! wait_until 2 link_gone; then
  fail "$BRAID_DEV still exists after both processes are gone"
fi
log "interface removed"
braid_alive b
log "PASS"
