#!/bin/bash
# Live reload: braidctl reload and SIGHUP re-read the configuration file.
# A file that does not parse, or one that changes what takes a restart,
# is refused whole and the running daemon goes on untouched; a change it
# can take (here a stats file) is applied at once.
. "$(dirname "$0")/lib.sh"
netns_init

key=reload-test-key
netns_switch
netns_node a 1 v4; netns_node b 2 v4
conf=$NETNS_WORK/a.conf
stats=$NETNS_WORK/stats-a.txt
write_conf() {
  printf '[network]\npeers = %s\n%s\n' "$(peer4 b)" "$1" >"$conf"
}
write_conf ''
braid_start_mesh a tun "$key" -- --config "$conf"
braid_start_mesh b tun "$key" "$(peer4 a)"
wait_ping a "$(overlay4 b)" 20
parent=${BRAID_PID[a]}
engine=$(engine_pid "$parent") || fail "no engine under $parent"

# reload_and_expect WHAT REGEX: asks for a reload (braidctl or SIGHUP) and
# waits for the log line.
reload_and_expect() {
  local how=$1 re=$2 before
  before=$(grep -cE -- "$re" "$(braid_log a)" || true)
  if [[ $how == hup ]]; then
    kill -HUP "$parent"
  else
    braidctl_at a reload >/dev/null || fail "braidctl reload failed"
  fi
  more() { [[ $(grep -cE -- "$re" "$(braid_log a)" || true) -gt $before ]]; }
  wait_until 5 more || fail "no log line /$re/ after the reload"
}

# A file with a syntax error: refused, nothing changes.
printf '[network\npeers = %s\n' "$(peer4 b)" >"$conf"
reload_and_expect ctl 'reload refused: .*a\.conf:1: .*the running configuration stays'
# A change that takes a restart: refused whole, with the key named.
write_conf $'mode = hub\n[daemon]\nstats_file = '"$stats"
reload_and_expect hup 'reload refused: network.mode changed, which takes a restart'
sleep 1.5
[[ ! -e $stats ]] || fail "a refused reload applied its stats file"
ping_once a "$(overlay4 b)" || fail "no ping after the refused reloads"
[[ $(engine_pid "$parent") == "$engine" ]] || fail "the engine was replaced"

# A change it can take: the stats file appears, written every second.
write_conf $'[daemon]\nstats_file = '"$stats"$'\nstats_interval = 1'
reload_and_expect ctl 'reload: daemon.stats_file and daemon.stats_interval changed'
wait_until 5 grep -q '^peers      1 (1 direct' "$stats" || fail "no stats file after the reload"
ping_once a "$(overlay4 b)" || fail "no ping after the reload"
[[ $(engine_pid "$parent") == "$engine" ]] || fail "the engine was replaced"
reload_and_expect hup 'reload: the configuration is unchanged'
log "PASS"
