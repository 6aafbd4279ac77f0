#!/bin/bash
# A certificate network: three nodes certified by one CA (braid keygen, ca
# init, ca sign) form a tun mesh, ping every pair and carry iperf3. A
# fourth node is refused with a certificate from another CA, once its
# certificate has expired, and when it was revoked before it started; each
# time the refusing node's log gives the reason. A node whose certificate
# is about to expire gets a renewed one for the same key and SIGHUP: its
# peers keep it past the old end, and its engine goes on. Then a connected
# node is revoked: after SIGHUP makes the others re-read the list, its
# traffic stops within a second and stays stopped. Last, the network moves
# to a new CA in three reloads, without a restart, and a new key put in a
# key file is refused with a word in the log (it takes a restart).
. "$(dirname "$0")/lib.sh"
netns_init

netns_switch
for n in a:1 b:2 c:3 o:4 e:5 r:6 w:7; do netns_node "${n%:*}" "${n#*:}" v4; done

pki_ca net
pki_ca other
for n in a b c; do pki_node net "$n"; done
# Every node starts with a revocation list; the first names a certificate
# no node uses, so the file exists and is valid from the start.
pki_node net retired
pki_revoke net retired
pki_install_crl net a b c

# a and b also know the addresses of the nodes to be refused, o, e and r,
# so they initiate to them and check the certificate each one answers with.
braid_start_cert a net "$(peer4 b)" "$(peer4 c)" "$(peer4 o)" "$(peer4 e)" "$(peer4 r)"
braid_start_cert b net "$(peer4 a)" "$(peer4 c)" "$(peer4 o)" "$(peer4 e)" "$(peer4 r)"
braid_start_cert c net "$(peer4 a)" "$(peer4 b)"
for from in a b c; do
  for to in a b c; do
    [[ $from != "$to" ]] || continue
    braid_alive "$from"
    wait_ping "$from" "$(overlay4 "$to")" 20
  done
done
log "a, b and c ping every pair"
iperf_run a b -t 3
log "iperf3 a -> b: $(iperf_mbits a b) Mbit/s"

# refused NODE WHY: NODE never gets a ping through to a or b, and a or b
# logs "handshake from NODE's address refused: WHY".
refused() {
  local node=$1 why=$2 addr x
  addr=$(underlay4 "$node")
  # It has its peers' addresses; give its handshakes time to be refused.
  wait_log a 15 "handshake from $addr:[0-9]+ refused: $why" ||
    wait_log b 1 "handshake from $addr:[0-9]+ refused: $why" ||
    fail "neither a nor b logged 'handshake from $addr:PORT refused: $why'"
  for x in a b; do
    if ping_once "$node" "$(overlay4 "$x")" >/dev/null; then fail "node $node reached $x"; fi
    if ping_once "$x" "$(overlay4 "$node")" >/dev/null; then fail "$x reached node $node"; fi
  done
  braid_alive a; braid_alive b
}

# 1. A certificate from another CA. The node trusts its own CA (braid
# refuses to start with a certificate it cannot verify itself) and the
# network's, so it accepts a's and b's initiations and answers with its
# certificate, which they refuse. (Its own initiations carry the mac1 of
# its own CA and are dropped before any handshake.)
pki_node other o
braid_start_cert o net "$(peer4 a)" "$(peer4 b)" -- --ca "$(pki_ca_dir other)/ca.crt"
refused o "signed by an unknown CA"
braid_stop o
log "a certificate from another CA is refused"

# 2. A certificate that expires while its node is connected: first it
# connects, then a drops its session and refuses its new handshakes.
now=$(date +%s)
expiry=$((now + 15))
pki_node net e --not-before "@$((now - 60))" --not-after "@$expiry"
braid_start_cert e net "$(peer4 a)" "$(peer4 b)"
wait_ping e "$(overlay4 a)" 10
log "node e connects while its certificate is valid"
wait_log a $((expiry - $(date +%s) + 15)) "peer .* removed: certificate expired" ||
  fail "a did not remove e's session when e's certificate expired"
log "a removed e's session $(( $(date +%s) - expiry )) s after the certificate expired"
if ping_once e "$(overlay4 a)" >/dev/null; then fail "e still reaches a after its certificate expired"; fi
refused e "certificate expired"
braid_stop e
log "an expired certificate is refused"

# 2b. A certificate renewed in place before it expires: w's file gets a
# new certificate for the same key, and SIGHUP hands it to w's engine,
# which renews its sessions; a sees it and keeps w past the old end.
now=$(date +%s)
expiry=$((now + 20))
pki_node net w --not-before "@$((now - 60))" --not-after "@$expiry"
braid_start_cert w net "$(peer4 a)"
wait_ping w "$(overlay4 a)" 10
w_engine=$(engine_pid "${BRAID_PID[w]}") || fail "no engine under w's parent"
"$BRAID" ca sign --name w --pubkey "$(pki_file w pub)" --ip "$(overlay4 w)/24" \
  --ca-dir "$(pki_ca_dir net)" --out "$(pki_file w crt).new" >/dev/null ||
  fail "braid ca sign of w's renewal failed"
mv -f "$(pki_file w crt).new" "$(pki_file w crt)"
kill -HUP "${BRAID_PID[w]}"
wait_log w 5 "certificate renewed" || fail "w's engine did not take the renewed certificate"
sleep $((expiry - $(date +%s) + 3))
wait_ping w "$(overlay4 a)" 3
[[ $(engine_pid "${BRAID_PID[w]}") == "$w_engine" ]] || fail "w's engine was replaced"
if grep -q "peer w .*removed: certificate expired" "$(braid_log a)"; then
  fail "a removed w's session although w renewed its certificate"
fi
braid_alive w; braid_alive a
log "w's certificate, renewed in place, kept w connected past the old end ($expiry)"
braid_stop w

# 3. A certificate revoked before its node starts; a and b learn of it
# through SIGHUP.
pki_node net r
pki_revoke net r
pki_install_crl net a b
kill -HUP "${BRAID_PID[a]}" "${BRAID_PID[b]}"
sleep 1
braid_start_cert r net "$(peer4 a)" "$(peer4 b)"
refused r "certificate revoked"
braid_stop r
log "a revoked certificate is refused"

# 4. Revoking a connected node: c's traffic stops within a second of the
# SIGHUP and stays stopped.
wait_ping c "$(overlay4 a)" 5
pki_revoke net c
pki_install_crl net a b
t0=$(date +%s%N)
kill -HUP "${BRAID_PID[a]}" "${BRAID_PID[b]}"
while nsx c ping -n -c 1 -W 0.2 "$(overlay4 a)" >/dev/null 2>&1; do
  (( ($(date +%s%N) - t0) / 1000000 < 3000 )) || break
  sleep 0.05
done
stopped_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "c's pings to a stopped ${stopped_ms} ms after SIGHUP"
(( stopped_ms <= 1000 )) || fail "c's pings to a went on for ${stopped_ms} ms after SIGHUP (limit 1000)"
wait_log a 2 "peer .* removed: certificate revoked" || fail "a did not log c's removal"
wait_log b 2 "peer .* removed: certificate revoked" || fail "b did not log c's removal"
for _ in 1 2 3 4 5; do
  if ping_once c "$(overlay4 a)" >/dev/null; then fail "c reached a again after its revocation"; fi
  if ping_once b "$(overlay4 c)" >/dev/null; then fail "b reached c after its revocation"; fi
done
wait_log a 5 "handshake from $(underlay4 c):[0-9]+ refused: certificate revoked" ||
  fail "a did not refuse c's new handshakes as revoked"
wait_ping a "$(overlay4 b)" 5
braid_alive a; braid_alive b
log "revoked node c is cut off; a and b still talk"

# 5. A CA rotation without a restart. o joins with a certificate of the
# old CA. Then, each step a SIGHUP to a and b: they trust the next CA
# beside the old; they are re-signed by it; they trust it alone (with its
# revocation list). a and b keep their session and engines throughout; o,
# left on the old CA, is dropped at the last step. Taking away the old CA
# before a's certificate moved is refused, and nothing changes.
ca_file="$(pki_ca_dir net)/ca.crt"
next_ca="$(pki_ca_dir next)/ca.crt"
pki_ca next
rm -f "$(pki_file o key)" "$(pki_file o pub)" "$(pki_file o crt)"   # o's of step 1
pki_node net o
pki_node next retired-next
pki_revoke next retired-next
braid_start_cert o net "$(peer4 a)" "$(peer4 b)"
wait_ping o "$(overlay4 a)" 10
a_engine=$(engine_pid "${BRAID_PID[a]}") || fail "no engine under a's parent"
b_engine=$(engine_pid "${BRAID_PID[b]}") || fail "no engine under b's parent"
# replace FILE CONTENT-FILE...: FILE becomes the files' concatenation, atomically.
replace() {
  local dst=$1; shift
  cat "$@" > "$dst.tmp" && mv -f "$dst.tmp" "$dst" || fail "cannot replace $dst"
}
saved_ca="$NETNS_WORK/ca-net-only.crt"
cp "$ca_file" "$saved_ca"

replace "$ca_file" "$saved_ca" "$next_ca"
kill -HUP "${BRAID_PID[a]}" "${BRAID_PID[b]}"
for n in a b; do
  wait_log "$n" 5 "2 CA certificate\(s\) now trusted \(1 new, 0 no longer\)" ||
    fail "$n did not take the next CA beside the old one"
done

# Too early: a's certificate and revocation list are still the old CA's.
replace "$ca_file" "$next_ca"
kill -HUP "${BRAID_PID[a]}"
wait_log a 5 "unknown CA.*; the running CA certificates stay" ||
  fail "a took a CA set that its certificate and list do not verify under"
replace "$ca_file" "$saved_ca" "$next_ca"
wait_ping o "$(overlay4 a)" 3

for n in a b; do
  "$BRAID" ca sign --name "$n" --pubkey "$(pki_file "$n" pub)" --ip "$(overlay4 "$n")/24" \
    --ca-dir "$(pki_ca_dir next)" --out "$(pki_file "$n" crt).new" >/dev/null ||
    fail "braid ca sign of $n by the next CA failed"
  mv -f "$(pki_file "$n" crt).new" "$(pki_file "$n" crt)"
done
kill -HUP "${BRAID_PID[a]}" "${BRAID_PID[b]}"
for n in a b; do wait_log "$n" 5 "certificate renewed" || fail "$n did not take its next-CA certificate"; done
# An operator waits until every peer shows its new certificate (braidctl
# peers --json) before the old CA goes: until then it is the old CA's.
shows_ca() {   # shows_ca NODE PEER CA: NODE's view of PEER's certificate
  [[ $(braidctl_at "$1" peers --json |
       jq -r --arg p "$2" '.[] | select(.name == $p) | .certificate.ca') == "$3" ]]
}
wait_until 5 shows_ca a b test-next || fail "a does not see b's next-CA certificate"
wait_until 5 shows_ca b a test-next || fail "b does not see a's next-CA certificate"
shows_ca a o test-net || fail "a does not see o's certificate as the old CA's"
wait_ping a "$(overlay4 b)" 3
wait_ping o "$(overlay4 a)" 3

replace "$ca_file" "$next_ca"
pki_install_crl next a b
kill -HUP "${BRAID_PID[a]}" "${BRAID_PID[b]}"
for n in a b; do
  wait_log "$n" 5 "1 CA certificate\(s\) now trusted \(0 new, 1 no longer\)" ||
    fail "$n did not give up the old CA"
  wait_log "$n" 2 "peer o .*removed: its CA is no longer trusted" || fail "$n kept o, of the old CA"
done
wait_ping a "$(overlay4 b)" 3
for _ in 1 2 3; do
  if ping_once o "$(overlay4 a)" >/dev/null; then fail "o, of the old CA, still reaches a"; fi
done
if grep -qE "peer b .*removed|peer a .*removed" "$(braid_log a)" "$(braid_log b)"; then
  fail "a and b lost each other during the rotation"
fi
[[ $(engine_pid "${BRAID_PID[a]}") == "$a_engine" && $(engine_pid "${BRAID_PID[b]}") == "$b_engine" ]] ||
  fail "an engine was replaced during the rotation"
braid_alive a; braid_alive b
log "a CA rotation in three reloads kept a and b together and dropped o, of the old CA"

# 6. A new key in a's key file is a new node id: SIGHUP says so and keeps
# the running key, and a and b still talk.
"$BRAID" keygen --out "$NETNS_WORK/a-new.key" >/dev/null || fail "braid keygen failed"
mv -f "$NETNS_WORK/a-new.key" "$(pki_file a key)"
kill -HUP "${BRAID_PID[a]}"
wait_log a 5 "holds another key than the running one .*the running key stays" ||
  fail "a did not say that its key file holds another key"
wait_ping a "$(overlay4 b)" 3
braid_alive a
log "PASS"
