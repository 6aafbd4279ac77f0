#!/bin/bash
# SIGTERM to the parent: clean exit (status 0), the ifdown hook ran, the
# engine is gone and so is the interface.
. "$(dirname "$0")/lib.sh"
netns_init

netns_switch
netns_node a 1 v4; netns_node b 2 v4
braid_start_mesh a tun shutdown-key "$(peer4 b)"
braid_start_mesh b tun shutdown-key "$(peer4 a)"
wait_ping a "$(overlay4 b)" 20

parent=${BRAID_PID[a]}
engine=$(engine_pid "$parent") || fail "no engine process under parent $parent"
nsx a ip link show dev "$BRAID_DEV" >/dev/null || fail "no $BRAID_DEV before shutdown"

kill -TERM "$parent"
wait_exit "$parent" 5 || fail "parent $parent still running 5 s after SIGTERM"
rc=0; wait "$parent" || rc=$?
unset 'BRAID_PID[a]'
[[ $rc -eq 0 ]] || fail "parent exited with status $rc after SIGTERM, expected 0"
log "parent exited with status 0"
[[ -e $(ifdown_marker a) ]] || fail "ifdown hook did not run"
log "ifdown hook ran"
if kill -0 "$engine" 2>/dev/null; then fail "engine $engine outlived the parent"; fi
if nsx a ip link show dev "$BRAID_DEV" >/dev/null 2>&1; then
  fail "$BRAID_DEV still exists after shutdown"
fi
log "interface removed"
braid_alive b
log "PASS"
