#!/bin/bash
# When the engine dies (SIGKILL), the parent notices, runs the ifdown hook
# and exits with a non-zero status within 5 s.
. "$(dirname "$0")/lib.sh"
netns_init

netns_switch
netns_node a 1 v4; netns_node b 2 v4
braid_start_mesh a tun death-key "$(peer4 b)"
braid_start_mesh b tun death-key "$(peer4 a)"
wait_ping a "$(overlay4 b)" 20

parent=${BRAID_PID[a]}
engine=$(engine_pid "$parent") || fail "no engine process under parent $parent"
log "killing engine $engine of parent $parent"
kill -KILL "$engine"

wait_exit "$parent" 5 || fail "parent $parent still running 5 s after the engine died"
rc=0; wait "$parent" || rc=$?
unset 'BRAID_PID[a]'
[[ $rc -ne 0 ]] || fail "parent exited with status 0 after the engine was killed"
log "parent exited with status $rc"
[[ -e $(ifdown_marker a) ]] || fail "ifdown hook did not run"
log "ifdown hook ran"
log "PASS"
