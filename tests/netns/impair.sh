#!/bin/bash
# The impairment relay braid-impair on loopback, in a network namespace of
# its own: an echo server behind the relay, a prober in front, so that
# every figure is a round trip through the relay both ways. Checks that a
# delay is never shortened and is kept to within a few milliseconds, that
# loss, jitter and reordering come out as asked, that the blackhole toggles,
# that a full queue drops and counts, that the relay carries 50+ Mbit/s each
# way, and that it prints its counters when it stops. Needs no braid daemon;
# runs as root (unshare -n) or in a user namespace (unshare -rn).
. "$(dirname "$0")/lib.sh"

[[ "${BRAID_SKIP_NETNS:-0}" != 1 ]] || skip "BRAID_SKIP_NETNS=1"
if [[ -z "${IMPAIR_INNER:-}" ]]; then
  command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
  command -v ip >/dev/null || skip "ip (iproute2) not installed"
  [[ -x $BRAID_IMPAIR ]] || fail "no braid-impair at $BRAID_IMPAIR (set BRAID_IMPAIR=PATH)"
  ns=(-n)
  [[ $(id -u) -eq 0 ]] || ns=(-rn)
  unshare "${ns[@]}" true 2>/dev/null || skip "cannot make a network namespace (unshare ${ns[*]})"
  export BRAID_IMPAIR
  IMPAIR_INNER=1 exec unshare "${ns[@]}" bash "$0" "$@"
fi

# From here on, in the new namespace: only lo, and nothing of the host's.
NETNS_WORK=$(mktemp -d "${TMPDIR:-/tmp}/braid-impair.XXXXXX")
trap netns_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ip link set lo up

readonly RELAY=127.0.0.1:6000 ECHO=127.0.0.1:7000
impair_start - echo --echo "$ECHO"

# probe ARGS...: a probe through the relay; sets PROBE to its result line.
probe() {
  PROBE=$("$BRAID_IMPAIR" --probe "$RELAY" "$@") || fail "braid-impair --probe $* failed"
  log "$PROBE"
}
# field KEY: a value of the last probe.
field() { tr ' ' '\n' <<<"$PROBE" | awk -F= -v k="$1" '$1 == k { print $2 }'; }
# relay ARGS...: (re)starts the relay with ARGS.
relay() {
  [[ -z ${IMPAIR_PID[relay]:-} ]] || impair_stop relay
  impair_start - relay --listen "$RELAY" --to "$ECHO" "$@"
}
check() { awk "BEGIN { exit !($2) }" || fail "$1 ($2)"; }

relay
probe --count 200 --interval 1
check "plain relay loses nothing" "$(field lost) == 0"
check "plain relay adds under 5 ms (median)" "$(field rtt_median_ms) < 5"

relay --delay 30
probe --count 200 --interval 5
check "30 ms each way: no round trip under 60 ms" "$(field rtt_min_ms) >= 60"
check "30 ms each way: median within 5 ms of 60" "$(field rtt_median_ms) < 65"
check "30 ms each way: nothing lost" "$(field lost) == 0"
check "30 ms each way at 1 datagram/5 ms: order kept" "$(field reordered) == 0"

# 10% each way loses 1 - 0.9 * 0.9 = 19% of round trips.
relay --loss 10 --seed 7
probe --count 2000 --interval 0.5
check "10% loss each way: 19% of round trips lost, give or take 4" \
  "$(field loss_pct) >= 15 && $(field loss_pct) <= 23"
impair_report relay
check "the relay counts its losses" "$(impair_counter relay forward lost) > 100"

relay --delay 20 --jitter 10
probe --count 500 --interval 1
check "20 +- 10 ms each way: no round trip under 20 ms" "$(field rtt_min_ms) >= 20"
check "20 +- 10 ms each way: jitter spreads the round trips" \
  "$(field rtt_max_ms) - $(field rtt_min_ms) > 10"
check "jitter wider than the spacing reorders" "$(field reordered) > 0"

relay --delay 5 --reorder 20 --reorder-gap 5
probe --count 500 --interval 1
check "20% held 5 ms longer: reordered" "$(field reordered) > 20"
check "reordering loses nothing" "$(field lost) == 0"

relay --delay 1
kill -USR1 "${IMPAIR_PID[relay]}"
wait_until 3 grep -q 'blackhole on' "$(impair_log relay)" || fail "SIGUSR1 did not start the blackhole"
probe --count 50 --interval 2 --wait 200
check "the blackhole drops everything" "$(field received) == 0"
kill -USR1 "${IMPAIR_PID[relay]}"
wait_until 3 grep -q 'blackhole off' "$(impair_log relay)" || fail "SIGUSR1 did not end the blackhole"
probe --count 50 --interval 2
check "after the blackhole everything passes" "$(field lost) == 0"

# 1000 datagrams within 20 ms against a queue of 100 held 100 ms.
relay --delay 100 --limit 100
probe --count 1000 --interval 0.02 --wait 500
impair_report relay
check "a full queue drops" "$(impair_counter relay forward overflow) > 0"
check "a full queue still delivers what it holds" "$(field received) >= 50"

# 56 Mbit/s each way (1400 bytes every 0.2 ms) through 30 ms each way.
relay --delay 30
probe --count 25000 --interval 0.2 --size 1400
impair_stop relay
log "$(grep -E ' (forward|backward) ' "$(impair_log relay)" | tail -n 2)"
check "56 Mbit/s through the relay: under 1% lost" "$(field loss_pct) < 1"
check "56 Mbit/s through the relay: 50+ Mbit/s back" "$(field recv_mbit) >= 50"
check "the relay printed its counters at SIGTERM" \
  "$(impair_counter relay forward sent) >= 24750"

"$BRAID_IMPAIR" --listen "$RELAY" >/dev/null 2>&1 && fail "a relay without --to started"
"$BRAID_IMPAIR" --listen "$RELAY" --to "$ECHO" --loss 101 2>"$NETNS_WORK/err" &&
  fail "--loss 101 was accepted"
grep -q "option --loss: bad value '101'" "$NETNS_WORK/err" || fail "--loss 101: unclear error"
log "PASS"
