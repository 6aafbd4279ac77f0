# Helpers for the end-to-end tests: real braid daemons in network
# namespaces joined by veth pairs to a bridge, and a cleanup that removes
# everything a test made, whatever way it ends.
#
# A test sources this file, calls netns_init, then builds its network:
#
#   . "$(dirname "$0")/lib.sh"
#   netns_init
#   netns_switch
#   netns_node a 1 v4; netns_node b 2 v4
#   braid_start a -t tun -c 10.77.0.2:3210 --shared-key k --ifup "$(ifup_cmd 10.99.0.1/24)"
#
# Addresses exist only inside the namespaces: underlay 10.77.0.N/24 and
# fd77::N/64 on each node's eth0, overlay 10.99.0.N/24 on braid0.
#
# Environment: BRAID (the daemon), BRAID_SKIP_NETNS=1 (skip), BRAID_KEEP=1
# (keep the work directory of a failed test for inspection).

# shellcheck shell=bash
set -euo pipefail

NETNS_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Automake exports BRAID; by hand, look in the current build directory and
# then next to the sources (an in-tree build).
if [[ -z "${BRAID:-}" ]]; then
  if [[ -x "$PWD/src/frontend/braid" ]]; then
    BRAID=$PWD/src/frontend/braid
  else
    BRAID=$NETNS_LIBDIR/../../src/frontend/braid
  fi
fi
# braidctl sits next to braid.
BRAIDCTL=${BRAIDCTL:-$(dirname "$BRAID")/braidctl}

readonly UNDERLAY4=10.77.0
readonly UNDERLAY6=fd77:
readonly OVERLAY4=10.99.0
readonly BRAID_PORT=3210
readonly BRAID_DEV=braid0
readonly TEST_MAGIC=hash:braid-netns-test

NETNS_PREFIX=""
NETNS_WORK=""
NETNS_LIST=()           # every namespace this test made
NETNS_CHROOTS=()        # every chroot directory handed to braid
NETNS_PIDS=()           # every background process this test started
declare -A BRAID_PID=() # node -> pid of the braid parent
declare -A NODE_INDEX=()

log() { printf '%s: %s\n' "${0##*/}" "$*"; }
fail() { printf '%s: FAIL: %s\n' "${0##*/}" "$*" >&2; exit 1; }
skip() { printf '%s: SKIP: %s\n' "${0##*/}" "$*"; exit 77; }

# Skips (exit 77) when the test cannot run here rather than failing.
netns_require() {
  [[ "${BRAID_SKIP_NETNS:-0}" != 1 ]] || skip "BRAID_SKIP_NETNS=1"
  [[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces)"
  command -v ip >/dev/null || skip "ip (iproute2) not installed"
  ip netns list >/dev/null 2>&1 || skip "'ip netns' does not work here"
  [[ -c /dev/net/tun ]] || skip "/dev/net/tun missing"
  command -v iperf3 >/dev/null || skip "iperf3 not installed"
  command -v ping >/dev/null || skip "ping not installed"
  [[ -x "$BRAID" ]] || fail "no braid binary at $BRAID (set BRAID=PATH)"
}

# Checks the host, then sets up this test's names (brd-PID-NODE), its work
# directory and the cleanup trap.
netns_init() {
  netns_require
  # `make -j check` runs tests side by side. Those that measure throughput
  # against a baseline taken in the same run (NETNS_EXCLUSIVE=1) run alone:
  # they hold this lock exclusively, every other test shares it.
  exec {NETNS_LOCK_FD}>"${TMPDIR:-/tmp}/braid-netns.lock"
  if [[ ${NETNS_EXCLUSIVE:-0} == 1 ]]; then
    flock -x "$NETNS_LOCK_FD"
  else
    flock -s "$NETNS_LOCK_FD"
  fi
  NETNS_PREFIX="brd-$$"
  NETNS_WORK=$(mktemp -d "${TMPDIR:-/tmp}/braid-netns.XXXXXX")
  trap netns_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mkdir -p /run/braid
  log "work directory $NETNS_WORK, namespaces $NETNS_PREFIX-*"
}

ns_name() { printf '%s-%s' "$NETNS_PREFIX" "$1"; }

# nsx NODE CMD...: run CMD inside the node's namespace.
nsx() {
  local node=$1; shift
  ip netns exec "$(ns_name "$node")" "$@"
}

netns_add() {
  local ns
  ns=$(ns_name "$1")
  ip netns add "$ns"
  NETNS_LIST+=("$ns")
  ip -n "$ns" link set lo up
}

# The "switch": a namespace holding one bridge every node is plugged into.
netns_switch() {
  netns_add sw
  ip -n "$(ns_name sw)" link add br0 type bridge
  ip -n "$(ns_name sw)" link set br0 up
}

# netns_node NODE INDEX FAMILIES: a namespace with eth0 on the switch and
# underlay addresses for FAMILIES (v4, v6 or v4v6).
netns_node() {
  local node=$1 idx=$2 fam=${3:-v4} ns sw
  ns=$(ns_name "$node")
  sw=$(ns_name sw)
  netns_add "$node"
  NODE_INDEX[$node]=$idx
  ip -n "$sw" link add "p-$node" type veth peer name eth0 netns "$ns"
  ip -n "$sw" link set "p-$node" master br0 up
  if [[ $fam == *v4* ]]; then
    ip -n "$ns" addr add "$UNDERLAY4.$idx/24" dev eth0
  fi
  if [[ $fam == *v6* ]]; then
    # nodad: the address is usable at once instead of after duplicate
    # address detection.
    ip -n "$ns" addr add "${UNDERLAY6}:$idx/64" dev eth0 nodad
  fi
  ip -n "$ns" link set eth0 up
}

# netns_pair A B: two namespaces joined directly by a veth pair, no switch
# (for the benchmark: the shortest possible underlay path).
netns_pair() {
  local a=$1 b=$2
  netns_add "$a"; netns_add "$b"
  NODE_INDEX[$a]=1; NODE_INDEX[$b]=2
  ip -n "$(ns_name "$a")" link add eth0 type veth peer name eth0 netns "$(ns_name "$b")"
  ip -n "$(ns_name "$a")" addr add "$UNDERLAY4.1/24" dev eth0
  ip -n "$(ns_name "$b")" addr add "$UNDERLAY4.2/24" dev eth0
  ip -n "$(ns_name "$a")" link set eth0 up
  ip -n "$(ns_name "$b")" link set eth0 up
}

underlay4() { printf '%s.%s' "$UNDERLAY4" "${NODE_INDEX[$1]}"; }
underlay6() { printf '%s:%s' "$UNDERLAY6" "${NODE_INDEX[$1]}"; }
overlay4() { printf '%s.%s' "$OVERLAY4" "${NODE_INDEX[$1]}"; }
peer4() { printf '%s:%s' "$(underlay4 "$1")" "$BRAID_PORT"; }
peer6() { printf '[%s]:%s' "$(underlay6 "$1")" "$BRAID_PORT"; }

# The ifup hook: $IFNAME stays literal, braid sets it when running the hook.
ifup_cmd() {
  printf 'ip addr add %s dev $IFNAME && ip link set $IFNAME up' "$1"
}

braid_log() { printf '%s/braid-%s.log' "$NETNS_WORK" "$1"; }
ifdown_marker() { printf '%s/ifdown-%s' "$NETNS_WORK" "$1"; }
chroot_dir() { printf '/run/braid/test-%s-%s' "$NETNS_PREFIX" "$1"; }
# Each node's control socket: the nodes share one file system, so the
# default (/run/braid/braid.sock) would be one for all of them.
control_socket() { printf '/run/braid/test-%s-%s.sock' "$NETNS_PREFIX" "$1"; }
# braidctl_at NODE ARGS...: braidctl on NODE's control socket.
braidctl_at() {
  local node=$1; shift
  "$BRAIDCTL" --socket "$(control_socket "$node")" "$@"
}

# braid_start NODE ARGS...: start braid in the node's namespace with the
# settings every test shares (device, port, magic, user, chroot, an ifdown
# hook that leaves a marker file) plus ARGS. Its log: braid_log NODE.
braid_start() {
  local node=$1; shift
  local chroot
  chroot=$(chroot_dir "$node")
  NETNS_CHROOTS+=("$chroot")
  rm -f "$(ifdown_marker "$node")"
  ip netns exec "$(ns_name "$node")" "$BRAID" \
    -d "$BRAID_DEV" -l "$BRAID_PORT" --magic "$TEST_MAGIC" \
    --user nobody --chroot "$chroot" -v \
    --control-socket "$(control_socket "$node")" \
    --ifdown "touch $(ifdown_marker "$node")" \
    "$@" >"$(braid_log "$node")" 2>&1 &
  BRAID_PID[$node]=$!
  NETNS_PIDS+=("$!")
}

# braid_start_mesh NODE TYPE KEY PEER... [-- ARGS...]: the common case, a
# node of a shared-key mesh with its overlay address from its index; ARGS
# after "--" go to braid as they are.
braid_start_mesh() {
  local node=$1 type=$2 key=$3; shift 3
  local args=(-t "$type" --shared-key "$key" --ifup "$(ifup_cmd "$(overlay4 "$node")/24")")
  while [[ $# -gt 0 && $1 != -- ]]; do args+=(-c "$1"); shift; done
  [[ $# -eq 0 ]] || shift
  braid_start "$node" "${args[@]}" "$@"
}

# mesh3_test TYPE: three nodes on a TYPE (tun or tap) overlay over an IPv4
# underlay, each given the other two as peers; every pair pings both ways,
# then TCP through iperf3.
mesh3_test() {
  local type=$1 key="$1-mesh-key" from to
  netns_switch
  netns_node a 1 v4; netns_node b 2 v4; netns_node c 3 v4
  braid_start_mesh a "$type" "$key" "$(peer4 b)" "$(peer4 c)"
  braid_start_mesh b "$type" "$key" "$(peer4 a)" "$(peer4 c)"
  braid_start_mesh c "$type" "$key" "$(peer4 a)" "$(peer4 b)"
  for from in a b c; do
    for to in a b c; do
      [[ $from != "$to" ]] || continue
      braid_alive "$from"
      wait_ping "$from" "$(overlay4 "$to")" 20
      log "ping $from -> $to ok"
    done
  done
  iperf_run a b -t 3
}

# The braid parent must still be running: a daemon that exits at start-up
# fails the test at once with its log instead of after a ping timeout.
braid_alive() {
  local node=$1
  kill -0 "${BRAID_PID[$node]}" 2>/dev/null ||
    fail "braid on node $node exited early (log: $(braid_log "$node"))"
}

# wait_until SECONDS CMD...: poll CMD until it succeeds; false on timeout.
wait_until() {
  local limit=$1; shift
  local deadline=$(( $(date +%s%N) / 1000000 + limit * 1000 ))
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s%N) / 1000000 < deadline )) || return 1
    sleep 0.2
  done
}

# wait_exit PID SECONDS: true once PID (a child of this shell) has exited.
wait_exit() {
  local pid=$1 limit=$2
  local deadline=$(( $(date +%s%N) / 1000000 + limit * 1000 ))
  while kill -0 "$pid" 2>/dev/null; do
    (( $(date +%s%N) / 1000000 < deadline )) || return 1
    sleep 0.1
  done
}

ping_once() { nsx "$1" ping -n -c 1 -W 1 "$2"; }

# wait_ping FROM ADDR [SECONDS]: fails the test if ADDR never answers.
wait_ping() {
  local from=$1 addr=$2 limit=${3:-20}
  if ! wait_until "$limit" ping_once "$from" "$addr"; then
    fail "no ping reply from $addr in namespace of $from within ${limit}s"
  fi
}

# The pid of the engine: the braid parent's child that is not root (the
# parent may also have short-lived hook children).
engine_pid() {
  local parent=$1 pid
  for pid in $(pgrep -P "$parent" || true); do
    if [[ -r /proc/$pid/status ]] &&
       awk '/^Uid:/ { exit ($2 == 0) }' "/proc/$pid/status"; then
      printf '%s' "$pid"
      return 0
    fi
  done
  return 1
}

# iperf_run FROM TO ARGS...: an iperf3 server (one test) on TO's overlay
# address, a client in FROM; prints iperf3's summary lines.
iperf_run() {
  local from=$1 to=$2; shift 2
  local addr out srv
  addr=$(overlay4 "$to")
  out=$NETNS_WORK/iperf-$from-$to.log
  # Started directly, not through nsx, so that $! is iperf3 itself.
  ip netns exec "$(ns_name "$to")" iperf3 -s -1 -B "$addr" \
    >"$NETNS_WORK/iperf-server-$to.log" 2>&1 &
  srv=$!
  NETNS_PIDS+=("$srv")
  wait_until 5 iperf_listening "$to" || fail "iperf3 server in $to did not start"
  if ! timeout 30 ip netns exec "$(ns_name "$from")" \
      iperf3 -c "$addr" --connect-timeout 5000 -f m "$@" >"$out" 2>&1; then
    cat "$out" >&2
    fail "iperf3 $from -> $to ($*) failed"
  fi
  grep -E 'sender|receiver' "$out" || true
  wait_exit "$srv" 5 || true
}

iperf_listening() { nsx "$1" ss -Hltn 'sport = :5201' | grep -q .; }

netns_cleanup() {
  local rc=$? pid ns node i
  # A background subshell that ends while the test exits may run this trap
  # too; only the test's own shell cleans up.
  [[ $BASHPID == "$$" ]] || exit "$rc"
  trap - EXIT INT TERM
  set +e
  # Bash reports every job killed below, even at exit; that is expected,
  # not news, so stderr stays quiet from here on and messages go to fd 3.
  exec 3>&2 2>/dev/null
  # braid first with SIGTERM, so its own shutdown path runs.
  for node in "${!BRAID_PID[@]}"; do
    kill -TERM "${BRAID_PID[$node]}" 2>/dev/null
  done
  for node in "${!BRAID_PID[@]}"; do
    wait_exit "${BRAID_PID[$node]}" 3 || kill -KILL "${BRAID_PID[$node]}" 2>/dev/null
  done
  for pid in "${NETNS_PIDS[@]}"; do
    kill -KILL "$pid" 2>/dev/null
  done
  # Whatever else still runs inside the test's namespaces (engines, hooks)
  # was started by this test.
  for ns in "${NETNS_LIST[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null
    done
  done
  wait
  for ns in "${NETNS_LIST[@]}"; do
    for i in 1 2 3 4 5; do
      ip netns del "$ns" 2>/dev/null && break
      sleep 0.2
    done
  done
  for i in "${NETNS_CHROOTS[@]}"; do
    rmdir "$i" 2>/dev/null
    # A daemon killed outright leaves its control socket behind.
    rm -f "$i.sock"
  done
  # A sanitizer build reports into the daemon's log; any report fails the
  # test even when the traffic passed.
  if [[ $rc -eq 0 && -n "$NETNS_WORK" ]] &&
     grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$NETNS_WORK"/braid-*.log; then
    echo "${0##*/}: FAIL: sanitizer report in a braid log" >&3
    grep -hE -A 20 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$NETNS_WORK"/braid-*.log >&3
    rc=1
  fi
  if [[ $rc -ne 0 && $rc -ne 77 && -n "$NETNS_WORK" ]]; then
    for i in "$NETNS_WORK"/braid-*.log; do
      [[ -e $i ]] || continue
      i=${i##*/braid-}
      echo "----- braid log of node ${i%.log} (last 40 lines) -----" >&3
      tail -n 40 "$(braid_log "${i%.log}")" >&3
    done
  fi
  if [[ -n "$NETNS_WORK" ]]; then
    if [[ $rc -ne 0 && $rc -ne 77 && "${BRAID_KEEP:-0}" == 1 ]]; then
      echo "work directory kept: $NETNS_WORK" >&3
    else
      rm -rf "$NETNS_WORK"
    fi
  fi
  exit "$rc"
}

# --- certificate networks ------------------------------------------------
#
# A test makes a CA and certified nodes with braid's own commands, in the
# work directory, and starts them without a shared key:
#
#   pki_ca net                       # $NETNS_WORK/ca-net/{ca.key,ca.crt}
#   pki_node net a                   # $NETNS_WORK/a.{key,pub,crt}
#   braid_start_cert a net "$(peer4 b)"

pki_ca_dir() { printf '%s/ca-%s' "$NETNS_WORK" "$1"; }
pki_file() { printf '%s/%s.%s' "$NETNS_WORK" "$1" "$2"; }
# The revocation list file a node reads (--revocation-list), its own copy.
pki_crl_file() { printf '%s/%s-crl.pem' "$NETNS_WORK" "$1"; }

# pki_ca NAME: a CA named NAME with its key and certificate in pki_ca_dir.
pki_ca() {
  local dir
  dir=$(pki_ca_dir "$1")
  mkdir -p "$dir"
  "$BRAID" ca init --name "test-$1" --dir "$dir" >/dev/null ||
    fail "braid ca init --name test-$1 failed"
}

# pki_node CA NODE [SIGN-ARGS...]: a key pair for NODE and a certificate
# from CA, for its overlay address when NODE has a namespace; SIGN-ARGS go
# to `braid ca sign` (e.g. a validity).
pki_node() {
  local ca=$1 node=$2; shift 2
  local ip=()
  [[ -z ${NODE_INDEX[$node]:-} ]] || ip=(--ip "$(overlay4 "$node")/24")
  "$BRAID" keygen --out "$(pki_file "$node" key)" >/dev/null ||
    fail "braid keygen for $node failed"
  "$BRAID" ca sign --name "$node" --pubkey "$(pki_file "$node" pub)" "${ip[@]}" \
    --ca-dir "$(pki_ca_dir "$ca")" --out "$(pki_file "$node" crt)" "$@" >/dev/null ||
    fail "braid ca sign for $node failed"
}

# pki_revoke CA NODE: adds NODE's certificate to CA's revocation list
# (pki_ca_dir/ca.crl).
pki_revoke() {
  "$BRAID" ca revoke --cert "$(pki_file "$2" crt)" --ca-dir "$(pki_ca_dir "$1")" >/dev/null ||
    fail "braid ca revoke of $2 failed"
}

# pki_install_crl CA NODE...: copies CA's current revocation list to each
# node's --revocation-list file, atomically (a reload never sees half).
pki_install_crl() {
  local ca=$1 node dst; shift
  for node in "$@"; do
    dst=$(pki_crl_file "$node")
    if ! cp "$(pki_ca_dir "$ca")/ca.crl" "$dst.tmp" || ! mv -f "$dst.tmp" "$dst"; then
      fail "cannot install the revocation list for $node"
    fi
  done
}

# braid_start_cert NODE CA PEER... [-- ARGS...]: a tun node of CA's
# network with its overlay address from its index; it trusts CA (the
# certificate in pki_ca_dir, or the file given with --ca in ARGS too) and
# reads pki_crl_file NODE when that exists.
braid_start_cert() {
  local node=$1 ca=$2; shift 2
  local args=(-t tun --key "$(pki_file "$node" key)" --certificate "$(pki_file "$node" crt)"
              --ca "$(pki_ca_dir "$ca")/ca.crt"
              --ifup "$(ifup_cmd "$(overlay4 "$node")/24")")
  [[ ! -e $(pki_crl_file "$node") ]] || args+=(--revocation-list "$(pki_crl_file "$node")")
  while [[ $# -gt 0 && $1 != -- ]]; do args+=(-c "$1"); shift; done
  [[ $# -eq 0 ]] || shift
  braid_start "$node" "${args[@]}" "$@"
}

# braid_stop NODE: SIGTERM and wait; fails the test if it does not stop.
braid_stop() {
  local node=$1
  kill -TERM "${BRAID_PID[$node]}" 2>/dev/null
  wait_exit "${BRAID_PID[$node]}" 5 || fail "braid on node $node did not stop on SIGTERM"
  unset "BRAID_PID[$node]"
}

# wait_log NODE SECONDS REGEX: true once the node's log has a line matching
# REGEX (grep -E).
wait_log() {
  local node=$1 limit=$2 re=$3
  wait_until "$limit" grep -qE -- "$re" "$(braid_log "$node")"
}

# iperf_mbits FROM TO: the receiver's Mbit/s of the last iperf_run FROM TO.
iperf_mbits() {
  awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") v = $(i - 1) }
       END { if (v == "") exit 1; print v }' "$NETNS_WORK/iperf-$1-$2.log"
}

# --- meshes made by peer exchange -----------------------------------------

# ping_all NODE...: every ordered pair of NODEs pings (each within 30 s).
ping_all() {
  local from to
  for from in "$@"; do
    braid_alive "$from"
    for to in "$@"; do
      [[ $from != "$to" ]] || continue
      wait_ping "$from" "$(overlay4 "$to")" 30
    done
  done
}

# node_id NODE: the short node id the node's log gives for itself.
node_id() {
  wait_log "$1" 10 "node [0-9a-f]+ up on " || fail "node $1 did not come up"
  sed -nE 's/.*node ([0-9a-f]+) up on .*/\1/p' "$(braid_log "$1")" | tail -n 1
}

# full_mesh NODE...: true once each NODE's log shows sessions with as many
# distinct peers as there are other NODEs.
full_mesh() {
  local node n
  for node in "$@"; do
    n=$(sed -nE 's/.* peer ([0-9a-f]+) connected at .*/\1/p' "$(braid_log "$node")" |
        sort -u | wc -l)
    (( n >= $# - 1 )) || return 1
  done
}

# ms_since START: milliseconds since START (a `date +%s%N` value).
ms_since() { printf '%s' $(( ($(date +%s%N) - $1) / 1000000 )); }

# log_ms REGEX NODE...: the time of day, in ms, of the last line matching
# REGEX in the logs of NODEs (their HH:MM:SS.mmm stamps).
log_ms() {
  local re=$1 node; shift
  for node in "$@"; do cat "$(braid_log "$node")"; done | grep -E -- "$re" |
    awk '{ split($2, t, /[:.]/); ms = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]
           if (ms > last) last = ms } END { print last + 0 }'
}

# --- two nodes joined by several links (multi-link) -------------------------
#
#   netns_multilink a b 50mbit 25mbit          # two direct links
#   ml_start a one,ml1,50mbit two,ml2,25mbit -- "$(ml_peer b 1)"
#   ml_start b one,ml1,50mbit two,ml2,25mbit
#
# Link N joins a's mlN (10.81.N.1/24) to b's mlN (10.81.N.2/24), a veth pair
# shaped with tc tbf to its rate at both ends. With a third namespace given
# (netns_multilink a b 50mbit 25mbit r), link two crosses r instead, where
# nothing is forwarded, so only a relay in r (impair_start) carries it:
#
#   a ml1 10.81.1.1 ------------------------------------------- 10.81.1.2 ml1 b
#   a ml2 10.81.2.1 --- 10.81.2.3 ra [r] rb 10.81.3.3 --- 10.81.3.2 ml2 b
#
# The tbf numbers: burst 32 KiB is about 5 ms of tokens at 50 mbit, enough
# that a wake-up late by a few milliseconds on a busy two-core machine costs
# no rate, and small enough that no 100 ms carries more than 5% over the
# rate; latency 20 ms sets the queue limit (rate x 20 ms + burst: 157 KB at
# 50 mbit), enough for one TCP stream to keep the link full, while a full
# queue delays a packet by at most 20 ms. Measured: raw iperf3 TCP reaches
# 47.7 of 50 and 23.9 of 25 Mbit/s, all the link can carry (1448 payload
# bytes per 1514-byte frame is 95.6%); a ping beside it sees about 5 ms.
#
# Each node answers ARP only for addresses of the interface asked on
# (arp_ignore=1), as two separate provider networks would: otherwise a
# socket bound to ml1 that sends to the other node's ml2 address (Linux
# assumes the destination on-link when a device-bound socket has no route)
# would be answered over ml1, and link one would silently carry a path
# meant for link two. IPv6 is off in these namespaces, so that the links'
# IPv4 addresses above are all there is: no link-local address for LAN
# discovery to find a third path by.

readonly ML_NET=10.81
readonly ML_TBF_BURST=32k
readonly ML_TBF_LATENCY=20ms
declare -A ML_ADDR=()   # "node link" -> the node's address on that link

# ml_shape NODE DEV RATE: tbf on the egress of DEV in NODE's namespace.
ml_shape() {
  nsx "$1" tc qdisc replace dev "$2" root tbf rate "$3" \
    burst "$ML_TBF_BURST" latency "$ML_TBF_LATENCY" ||
    fail "cannot shape $2 in $1 to $3 with tc tbf"
}

# ml_veth NS1 DEV1 ADDR1 NS2 DEV2 ADDR2: a veth pair, addresses /24, up.
ml_veth() {
  ip -n "$(ns_name "$1")" link add "$2" type veth peer name "$5" netns "$(ns_name "$4")"
  ip -n "$(ns_name "$1")" addr add "$3/24" dev "$2"
  ip -n "$(ns_name "$4")" addr add "$6/24" dev "$5"
  ip -n "$(ns_name "$1")" link set "$2" up
  ip -n "$(ns_name "$4")" link set "$5" up
}

# netns_multilink A B RATE1 RATE2 [R]: see above. A and B get the node
# indexes 1 and 2 (their overlay addresses 10.99.0.1 and 10.99.0.2).
netns_multilink() {
  local a=$1 b=$2 rate1=$3 rate2=$4 r=${5:-} node
  command -v tc >/dev/null || skip "tc (iproute2) not installed"
  netns_add "$a"; netns_add "$b"
  [[ -z $r ]] || netns_add "$r"
  NODE_INDEX[$a]=1; NODE_INDEX[$b]=2
  for node in "$a" "$b" ${r:+"$r"}; do
    nsx "$node" sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
      net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  ml_veth "$a" ml1 "$ML_NET.1.1" "$b" ml1 "$ML_NET.1.2"
  ML_ADDR["$a 1"]=$ML_NET.1.1; ML_ADDR["$b 1"]=$ML_NET.1.2
  if [[ -z $r ]]; then
    ml_veth "$a" ml2 "$ML_NET.2.1" "$b" ml2 "$ML_NET.2.2"
    ML_ADDR["$a 2"]=$ML_NET.2.1; ML_ADDR["$b 2"]=$ML_NET.2.2
  else
    ml_veth "$a" ml2 "$ML_NET.2.1" "$r" ra "$ML_NET.2.3"
    ml_veth "$r" rb "$ML_NET.3.3" "$b" ml2 "$ML_NET.3.2"
    ML_ADDR["$a 2"]=$ML_NET.2.1; ML_ADDR["$b 2"]=$ML_NET.3.2
    ML_ADDR["$r a"]=$ML_NET.2.3; ML_ADDR["$r b"]=$ML_NET.3.3
    nsx "$r" sysctl -qw net.ipv4.ip_forward=0
  fi
  ml_shape "$a" ml1 "$rate1"; ml_shape "$b" ml1 "$rate1"
  ml_shape "$a" ml2 "$rate2"; ml_shape "$b" ml2 "$rate2"
}

# ml_addr NODE LINK: NODE's address on link LINK (1 or 2); for the relay's
# namespace R, LINK a or b: its address on a's or b's side.
ml_addr() {
  [[ -n ${ML_ADDR["$1 $2"]:-} ]] || fail "no address of $1 on link $2"
  printf '%s' "${ML_ADDR["$1 $2"]}"
}
ml_peer() { printf '%s:%s' "$(ml_addr "$1" "$2")" "$BRAID_PORT"; }

# ml_link NODE DEV up|down: sets NODE's end of a link up or down, as when a
# node's own uplink cable is pulled: NODE's kernel sees its interface go
# down (its routes over it vanish, its sends fail), while the other end only
# loses carrier, with its address and routes in place, and can learn of the
# failure from nothing but missing answers. Both halves are what a daemon
# meets when a real cable is pulled, one on each node.
ml_link() {
  ip -n "$(ns_name "$1")" link set "$2" "$3" || fail "cannot set $2 $3 in $1"
}

# ml_dev_bytes NODE DEV: bytes DEV has sent and received so far.
ml_dev_bytes() {
  nsx "$1" cat "/sys/class/net/$2/statistics/tx_bytes" "/sys/class/net/$2/statistics/rx_bytes" |
    awk '{ s += $1 } END { print s + 0 }'
}

ml_conf() { printf '%s/braid-%s.conf' "$NETNS_WORK" "$1"; }
# The status hook of NODE appends "EVENT LINK" lines to this file.
ml_hooks() { printf '%s/hooks-%s.log' "$NETNS_WORK" "$1"; }

# ml_start NODE LINK... [-- PEER...]: braid on NODE, a tun node of the
# shared-key test network with its overlay address from its index, from a
# config file (ml_conf NODE) with a [link NAME] section for each LINK,
# written NAME,DEVICE,BANDWIDTH[,PEER] (BANDWIDTH wN: unpaced, weight N; PEER: that link's own remote
# endpoint), and PEERs as [network] peers. Probes every 100 ms; the status
# hook writes to ml_hooks NODE.
ml_start() {
  local node=$1 spec name dev bw peer conf peers=(); shift
  local links=()
  while [[ $# -gt 0 && $1 != -- ]]; do links+=("$1"); shift; done
  [[ $# -eq 0 ]] || { shift; peers=("$@"); }
  conf=$(ml_conf "$node")
  {
    printf '[device]\n'
    printf 'status_hook = echo "$BRAID_EVENT $BRAID_LINK" >> %s\n' "$(ml_hooks "$node")"
    printf '[network]\nprobe_interval = 100\n'
    for peer in "${peers[@]}"; do printf 'peers = %s\n' "$peer"; done
    for spec in "${links[@]}"; do
      IFS=, read -r name dev bw peer <<<"$spec"
      printf '[link %s]\ndevice = %s\n' "$name" "$dev"
      # BW is a bandwidth (50mbit), or wN for an unpaced link of weight N.
      if [[ $bw == w* ]]; then
        printf 'weight = %s\n' "${bw#w}"
      else
        printf 'bandwidth = %s\n' "$bw"
      fi
      [[ -z $peer ]] || printf 'peers = %s\n' "$peer"
    done
  } >"$conf"
  braid_start "$node" -t tun --shared-key multilink-test-key \
    --ifup "$(ifup_cmd "$(overlay4 "$node")/24")" --config "$conf"
}

# ml_up A B [SECONDS]: waits until A reaches B's overlay address; fails the
# test (with the daemons' logs) if it does not within SECONDS (20), or at
# once when either daemon exits (a config it refuses, say).
ml_up() {
  local a=$1 b=$2 limit=${3:-20}
  local deadline=$(( $(date +%s%N) / 1000000 + limit * 1000 ))
  until ping_once "$a" "$(overlay4 "$b")" >/dev/null 2>&1; do
    braid_alive "$a"; braid_alive "$b"
    (( $(date +%s%N) / 1000000 < deadline )) ||
      fail "no ping reply from $(overlay4 "$b") in namespace of $a within ${limit}s"
    sleep 0.2
  done
}

# ml_hook_seen NODE EVENT LINK: NODE's status hook has reported EVENT LINK.
ml_hook_seen() { grep -qx -- "$2 $3" "$(ml_hooks "$1")" 2>/dev/null; }

# ml_iperf LABEL FROM TO ADDR SECONDS [ARGS...]: one iperf3 TCP stream from
# FROM to a server on ADDR in TO's namespace. Output: ml_iperf_log LABEL
# (client) and ml_iperf_log LABEL-server. Returns false when iperf3 fails,
# so that the caller may retry; ml_mbits LABEL gives the received rate.
ml_iperf_log() { printf '%s/iperf-%s.log' "$NETNS_WORK" "$1"; }
ml_iperf() {
  local label=$1 from=$2 to=$3 addr=$4 seconds=$5 srv rc=0; shift 5
  ip netns exec "$(ns_name "$to")" iperf3 -s -1 -B "$addr" -f m \
    >"$(ml_iperf_log "$label-server")" 2>&1 &
  srv=$!
  NETNS_PIDS+=("$srv")
  wait_until 5 iperf_listening "$to" || fail "iperf3 server in $to did not start"
  timeout $((seconds + 15)) ip netns exec "$(ns_name "$from")" \
    iperf3 -c "$addr" -t "$seconds" --connect-timeout 5000 -f m "$@" \
    >"$(ml_iperf_log "$label")" 2>&1 || rc=$?
  # A server whose client never came keeps listening; the next run needs
  # the port.
  wait_exit "$srv" 3 || { kill -KILL "$srv" 2>/dev/null; wait_exit "$srv" 3 || true; }
  if [[ $rc -ne 0 ]]; then
    log "iperf3 $label ($from -> $addr) failed (status $rc):" >&2
    tail -n 5 "$(ml_iperf_log "$label")" >&2
  fi
  return "$rc"
}
ml_mbits() {
  awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") v = $(i - 1) }
       END { if (v == "") exit 1; print v }' "$(ml_iperf_log "$1")"
}

# ml_goodput LABEL FROM TO ADDR SECONDS [ARGS...]: ml_iperf and then
# ml_mbits, "0" when the run failed.
ml_goodput() {
  if ml_iperf "$@" >/dev/null; then ml_mbits "$1" || echo 0; else echo 0; fi
}

# ratio X Y: X / Y with two decimals (0 when Y is 0).
ratio() { awk -v x="$1" -v y="$2" 'BEGIN { printf "%.2f", (y > 0 ? x / y : 0) }'; }
# at_least X Y: true when X >= Y (decimals allowed).
at_least() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x >= y) }'; }

# --- the impairment relay (braid-impair, impair.cc) -------------------------

if [[ -z "${BRAID_IMPAIR:-}" ]]; then
  if [[ -x "$PWD/tests/netns/braid-impair" ]]; then
    BRAID_IMPAIR=$PWD/tests/netns/braid-impair
  else
    BRAID_IMPAIR=$NETNS_LIBDIR/braid-impair
  fi
fi

impair_log() { printf '%s/impair-%s.log' "$NETNS_WORK" "$1"; }
declare -A IMPAIR_PID=()

# impair_start NODE NAME ARGS...: braid-impair ARGS in NODE's namespace
# (NODE "-": this shell's), known as NAME (its log: impair_log NAME);
# returns once it relays (or echoes).
impair_start() {
  local node=$1 name=$2; shift 2
  [[ -x $BRAID_IMPAIR ]] || fail "no braid-impair at $BRAID_IMPAIR (set BRAID_IMPAIR=PATH)"
  if [[ $node == - ]]; then
    "$BRAID_IMPAIR" "$@" >"$(impair_log "$name")" 2>&1 &
  else
    ip netns exec "$(ns_name "$node")" "$BRAID_IMPAIR" "$@" >"$(impair_log "$name")" 2>&1 &
  fi
  IMPAIR_PID[$name]=$!
  NETNS_PIDS+=("$!")
  wait_until 5 grep -qE '(relaying|echoing) ' "$(impair_log "$name")" ||
    { cat "$(impair_log "$name")" >&2; fail "braid-impair $name did not start"; }
}

# impair_stop NAME: SIGTERM, so that it prints its counters, and wait.
impair_stop() {
  kill -TERM "${IMPAIR_PID[$1]}" 2>/dev/null
  wait_exit "${IMPAIR_PID[$1]}" 5 || fail "braid-impair $1 did not stop on SIGTERM"
  unset "IMPAIR_PID[$1]"
}

# impair_counter NAME DIRECTION KEY: the last value of KEY (e.g. sent) for
# DIRECTION (forward or backward) the relay NAME printed.
impair_counter() {
  awk -v dir="$2" -v key="$3" '$2 == dir { for (i = 3; i <= NF; i++) { split($i, kv, "=")
    if (kv[1] == key) v = kv[2] } } END { print v + 0 }' "$(impair_log "$1")"
}

# impair_report NAME: has the relay print its counters now (SIGUSR2).
impair_report() {
  local n
  n=$(grep -c ' forward ' "$(impair_log "$1")" || true)
  kill -USR2 "${IMPAIR_PID[$1]}"
  wait_until 3 impair_reported "$1" "$n" || fail "braid-impair $1 printed no counters"
}
impair_reported() { (( $(grep -c ' forward ' "$(impair_log "$1")" || true) > $2 )); }

# --- relaying: blocked pairs, captures, stalls (relay_*.sh) -----------------
#
#   relay_nodes a b c                 # a b c on the switch, IPv4 only
#   relay_block a c                   # nothing between a and c any more
#   capture_start b eth0 b-under "$RELAY_PATTERN"
#   ...; capture_stop b-under; capture_field b-under matches
#
# The namespaces run without IPv6, so that the underlay addresses blocked
# are all two nodes have: no link-local address to reach each other by.

if [[ -z "${BRAID_CAPTURE:-}" ]]; then
  if [[ -x "$PWD/tests/netns/braid-capture" ]]; then
    BRAID_CAPTURE=$PWD/tests/netns/braid-capture
  else
    BRAID_CAPTURE=$NETNS_LIBDIR/braid-capture
  fi
fi

# 16 bytes that ping -p repeats through each payload: a sealed packet holds
# them only by a chance of 2^-128.
readonly RELAY_PATTERN=62726169642d72656c61792d74657374

# netns_no_ipv6 NODE...: IPv6 off on every device of each NODE, present and
# future (braid0).
netns_no_ipv6() {
  local node
  for node in "$@"; do
    nsx "$node" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
      net.ipv6.conf.default.disable_ipv6=1 || fail "cannot turn IPv6 off in $node"
  done
}

# relay_nodes NODE...: NODEs on the switch with indexes 1, 2, ... in the
# order given, IPv4 only.
relay_nodes() {
  local node i=0
  command -v nft >/dev/null || skip "nft (nftables) not installed"
  netns_switch
  for node in "$@"; do
    i=$((i + 1))
    netns_node "$node" "$i" v4
    netns_no_ipv6 "$node"
  done
}

# relay_block A B: NODE A's and B's namespaces drop (and count) every
# packet between their two underlay addresses, both ways, as a firewall on
# each would. relay_unblock A B removes the rules; relay_dropped NODE: the
# packets NODE's rules dropped since they were added.
relay_block() {
  relay_block_one "$1" "$(underlay4 "$2")"
  relay_block_one "$2" "$(underlay4 "$1")"
}
relay_block_one() {
  nsx "$1" nft -f - <<EOT || fail "cannot block $2 in $1 with nftables"
table inet relay_block {
  chain input {
    type filter hook input priority -10; policy accept;
    ip saddr $2 counter drop
  }
  chain output {
    type filter hook output priority -10; policy accept;
    ip daddr $2 counter drop
  }
}
EOT
}
relay_unblock() {
  local node
  for node in "$1" "$2"; do
    nsx "$node" nft delete table inet relay_block || fail "cannot unblock $node"
  done
}
relay_dropped() {
  nsx "$1" nft list table inet relay_block 2>/dev/null |
    awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) }
         END { printf "%.0f\n", s }'
}

# relay_dev_bytes NODE DEV: bytes DEV has sent and received so far (as an
# integer, however large).
relay_dev_bytes() {
  nsx "$1" cat "/sys/class/net/$2/statistics/tx_bytes" "/sys/class/net/$2/statistics/rx_bytes" |
    awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# --- braid-capture (capture.cc)

capture_log() { printf '%s/capture-%s.log' "$NETNS_WORK" "$1"; }
declare -A CAPTURE_PID=()

# capture_start NODE DEV NAME HEXPATTERN: counts DEV's frames, and those
# holding HEXPATTERN, from now until capture_stop NAME.
capture_start() {
  local node=$1 dev=$2 name=$3
  [[ -x $BRAID_CAPTURE ]] || fail "no braid-capture at $BRAID_CAPTURE (set BRAID_CAPTURE=PATH)"
  ip netns exec "$(ns_name "$node")" "$BRAID_CAPTURE" "$dev" "$4" >"$(capture_log "$name")" 2>&1 &
  CAPTURE_PID[$name]=$!
  NETNS_PIDS+=("$!")
  wait_until 5 grep -q '^capturing on ' "$(capture_log "$name")" ||
    { cat "$(capture_log "$name")" >&2; fail "braid-capture $name did not start"; }
}

# capture_stop NAME: ends the capture; its counts are then read with
# capture_field NAME frames|bytes|matches|drops.
capture_stop() {
  kill -TERM "${CAPTURE_PID[$1]}" 2>/dev/null
  wait_exit "${CAPTURE_PID[$1]}" 5 || fail "braid-capture $1 did not stop on SIGTERM"
  unset "CAPTURE_PID[$1]"
  grep -q '^frames=' "$(capture_log "$1")" ||
    { cat "$(capture_log "$1")" >&2; fail "braid-capture $1 printed no counts"; }
}
capture_field() {
  grep '^frames=' "$(capture_log "$1")" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# --- iperf3 streams in the background, judged by their interval reports

# relay_stream_start LABEL FROM TO SECONDS [ARGS...]: an iperf3 stream from FROM
# to TO's overlay address reporting every 0.5 s at both ends; returns at
# once. Logs: ml_iperf_log LABEL (client) and LABEL-server.
# relay_stream_wait LABEL: waits for it; false when the client failed.
declare -A RELAY_STREAM_PID=()
declare -A RELAY_STREAM_SRV=()
relay_stream_start() {
  local label=$1 from=$2 to=$3 seconds=$4 addr; shift 4
  addr=$(overlay4 "$to")
  ip netns exec "$(ns_name "$to")" iperf3 -s -1 -B "$addr" -i 0.5 -f m \
    >"$(ml_iperf_log "$label-server")" 2>&1 &
  RELAY_STREAM_SRV[$label]=$!
  NETNS_PIDS+=("$!")
  wait_until 5 iperf_listening "$to" || fail "iperf3 server in $to did not start"
  ip netns exec "$(ns_name "$from")" iperf3 -c "$addr" -t "$seconds" -i 0.5 -f m \
    --connect-timeout 5000 "$@" >"$(ml_iperf_log "$label")" 2>&1 &
  RELAY_STREAM_PID[$label]=$!
  NETNS_PIDS+=("$!")
}
relay_stream_wait() {
  local label=$1 rc=0
  wait "${RELAY_STREAM_PID[$label]}" || rc=$?
  wait_exit "${RELAY_STREAM_SRV[$label]}" 5 || kill -KILL "${RELAY_STREAM_SRV[$label]}" 2>/dev/null
  if [[ $rc -ne 0 ]]; then
    log "iperf3 $label failed (status $rc):" >&2
    tail -n 5 "$(ml_iperf_log "$label")" >&2
  fi
  return "$rc"
}

# relay_stall LOG: the longest run of consecutive report intervals in
# which an iperf3 log shows no byte moved, in seconds (summary lines, whose
# interval is the whole run, left out).
relay_stall() {
  awk '{ for (i = 1; i < NF - 2; i++) if ($i ~ /^[0-9.]+-[0-9.]+$/ && $(i + 1) == "sec") break
         if (i >= NF - 2) next
         split($i, t, "-"); d = t[2] - t[1]
         if (d > 1 || d <= 0) next
         if ($(i + 2) + 0 == 0) { run += d; if (run > max) max = run } else run = 0 }
       END { printf "%.1f", max + 0 }' "$1"
}

# relay_sleep_until T0 SECONDS: sleeps until SECONDS (decimals allowed) after T0
# (a `date +%s%N` value).
relay_sleep_until() {
  local left
  left=$(awk -v t0="$1" -v s="$2" -v now="$(date +%s%N)" \
    'BEGIN { printf "%.3f", (t0 + s * 1e9 - now) / 1e9 }')
  at_least 0 "$left" || sleep "$left"
}

# tod_ms: the time of day now in ms, as log_ms reads the logs' stamps.
tod_ms() {
  date +%H:%M:%S.%3N | awk '{ split($1, t, /[:.]/); print ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4] }'
}

# log_ms_after REGEX MS NODE: the time of day, in ms, of the first line of
# NODE's log matching REGEX stamped at MS or later (empty when none).
log_ms_after() {
  grep -E -- "$1" "$(braid_log "$3")" |
    awk -v after="$2" '{ split($2, t, /[:.]/); ms = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]
                         if (ms >= after) { print ms; exit } }'
}
