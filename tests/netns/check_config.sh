#!/bin/bash
# Check mode (braid -n): a good file prints the effective configuration
# and exits 0; a bad one names FILE:LINE and exits non-zero. Needs no root.
. "$(dirname "$0")/lib.sh"
[[ -x "$BRAID" ]] || fail "no braid binary at $BRAID (set BRAID=PATH)"

work=$(mktemp -d "${TMPDIR:-/tmp}/braid-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

cat >"$work/good.conf" <<'CONF'
; a two-node network
[device]
type = tap
name = braid%d
ifup = ip link set $IFNAME up

[network]
port = 3299
peers = 192.0.2.1:3210, [2001:db8::1]:3210
magic = hash:check-config

[security]
shared_key = not-printed-anywhere
CONF

rc=0; out=$("$BRAID" -n --config "$work/good.conf" 2>&1) || rc=$?
printf '%s\n' "$out"
[[ $rc -eq 0 ]] || fail "braid -n on a good file exited $rc"
for want in '[device]' '[network]' '[security]' tap 3299 192.0.2.1:3210 \
            '[2001:db8::1]:3210' hash:check-config; do
  grep -qF -- "$want" <<<"$out" || fail "effective config lacks '$want'"
done
if grep -qF not-printed-anywhere <<<"$out"; then
  fail "check mode printed the shared key"
fi
log "good file: effective configuration printed, key hidden"

# The command line wins over the file.
out=$("$BRAID" -n --config "$work/good.conf" -l 4000 2>&1) || fail "braid -n -l 4000 failed"
grep -q 4000 <<<"$out" || fail "-l 4000 did not override the file's port"
log "command line overrides the file"

check_bad() {  # LINE TEXT: a file whose error is on LINE
  local line=$1 text=$2 f=$work/bad-$1.conf rc=0 out
  printf '%s\n' "$text" >"$f"
  out=$("$BRAID" -n --config "$f" 2>&1) || rc=$?
  printf '%s\n' "$out"
  [[ $rc -ne 0 ]] || fail "braid -n accepted a bad file: $text"
  grep -qF -- "$f:$line:" <<<"$out" || fail "error does not name $f:$line"
}
check_bad 5 $'[device]\ntype = tun\n\n[network]\nprot = 3210\n[security]\nshared_key = k'
check_bad 2 $'[device]\ntype = tunn\n[security]\nshared_key = k'
check_bad 1 $'[nosuchsection]\n[security]\nshared_key = k'
# [link NAME] sections: a link without bind or device is reported at its
# header, a bad value at its line, a port two links cannot share at the
# second link's header.
check_bad 3 $'[security]\nshared_key = k\n[link lte]\nbandwidth = 20mbit'
check_bad 4 $'[security]\nshared_key = k\n[link lte]\ndevice = wwan0/1'
check_bad 6 $'[security]\nshared_key = k\n[link fibre]\nbind = 192.0.2.10\n\n[link lte]\ndevice = wwan0'
check_bad 2 $'[security]\n[link "bad name"]\nshared_key = k'
log "bad files: FILE:LINE named, non-zero exit"

# The issue's multi-link example reads back with its links last.
cat >"$work/links.conf" <<'CONF'
[security]
shared_key = k
[link "fibre"]
bind = 192.0.2.10
port = 3211
bandwidth = 100mbit
[link "lte"]
device = wwan0
bandwidth = 20000kbit
[link "backup"]
device = eth2
fallback_only = yes
CONF
out=$("$BRAID" -n --config "$work/links.conf" 2>&1) || fail "braid -n refused the links example: $out"
for want in '[link "fibre"]' 'bandwidth = 100mbit' '[link "lte"]' 'bandwidth = 20mbit' \
            '[link "backup"]' 'fallback_only = yes'; do
  grep -qF -- "$want" <<<"$out" || fail "effective config lacks '$want'"
done
log "link sections printed back"

rc=0; "$BRAID" -n --config "$work/does-not-exist.conf" >/dev/null 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "braid -n accepted a missing --config file"
log "missing file refused"
log "PASS"
