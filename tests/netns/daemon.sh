#!/bin/bash
# --daemon: the command returns once the engine runs, with status 0; the
# pid file names the running parent; SIGHUP reopens the log file (after a
# rotation both processes write to the new file); SIGTERM stops it, runs
# ifdown and removes the pid file.
. "$(dirname "$0")/lib.sh"
netns_init

netns_switch
netns_node a 1 v4; netns_node b 2 v4
braid_start_mesh b tun daemon-key "$(peer4 a)"

pidfile=$NETNS_WORK/braid-a.pid
logfile=$NETNS_WORK/braid-a-daemon.log
NETNS_CHROOTS+=("$(chroot_dir a)")
rc=0
timeout 30 ip netns exec "$(ns_name a)" "$BRAID" -t tun -d "$BRAID_DEV" -l "$BRAID_PORT" \
  --magic "$TEST_MAGIC" --user nobody --chroot "$(chroot_dir a)" \
  --shared-key daemon-key -c "$(peer4 b)" --ifup "$(ifup_cmd "$(overlay4 a)/24")" \
  --ifdown "touch $(ifdown_marker a)" --control-socket "$(control_socket a)" \
  --daemon --pid-file "$pidfile" --log-file "$logfile" || rc=$?
[[ $rc -eq 0 ]] || fail "braid --daemon exited with status $rc (log: $logfile)"
[[ -s $pidfile ]] || fail "no pid file after --daemon returned"
parent=$(cat "$pidfile")
NETNS_PIDS+=("$parent")
kill -0 "$parent" 2>/dev/null || fail "pid file names $parent, which is not running"
engine=$(engine_pid "$parent") || fail "no engine under the daemon $parent"
log "daemon $parent (engine $engine) running; the command returned 0"

wait_ping a "$(overlay4 b)" 20
log "traffic passes"

mv "$logfile" "$logfile.1"
kill -HUP "$parent"
wait_until 5 grep -q "reopened" "$logfile" || fail "SIGHUP did not reopen the log file"
log "SIGHUP reopened the log file"

kill -TERM "$parent"
deadline=$((SECONDS + 5))
while kill -0 "$parent" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "daemon still running 5 s after SIGTERM"
  sleep 0.1
done
[[ ! -e $pidfile ]] || fail "pid file left behind"
[[ -e $(ifdown_marker a) ]] || fail "ifdown hook did not run"
grep -q "engine\]: info: shutting down" "$logfile" ||
  fail "the engine did not write to the reopened log file"
grep -q "stopped" "$logfile" || fail "no 'stopped' in the reopened log file"
log "SIGTERM: stopped, ifdown ran, pid file removed, both processes logged to the new file"
log "PASS"
