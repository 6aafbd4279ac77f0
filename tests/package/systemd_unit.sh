#!/bin/bash
# braid@.service under a real systemd: a minimal Debian 12 (debootstrap)
# boots in a container (systemd-nspawn, its own network namespace), the
# package is installed in it, and two instances, a and b (b in a network
# namespace of its own, joined to a's by a veth pair), form a certificate
# network with every hardening option of the unit in force. Checked:
#   - both start and are active only once the engine runs (Type=notify:
#     the status line says "running on DEVICE"), and a pings b through
#     the tunnel;
#   - `systemctl reload` reloads without a new main process;
#   - a main process killed with SIGKILL is restarted (Restart=on-failure)
#     and the tunnel comes back;
#   - a user outside group braid cannot use the control socket, root can;
#   - `systemctl stop` stops cleanly (inactive, not failed) and removes
#     the device.
# systemd-analyze security's exposure score is printed for the record.
#
# Usage: tests/package/systemd_unit.sh BRAID_DEB
# Needs root, debootstrap, systemd-container and a Debian mirror (the one
# apt uses); exits 77 when it cannot run here. Everything it makes (the
# root file system under /var/tmp, the container and its namespaces) is
# gone when it exits, on failure too.
set -euo pipefail

deb=${1:?usage: $0 BRAID_DEB}
skip() { echo "systemd_unit.sh: SKIP: $*"; exit 77; }
fail() { echo "systemd_unit.sh: FAIL: $*"; exit 1; }
log() { echo "systemd_unit.sh: $*"; }

[[ $(id -u) -eq 0 ]] || skip "needs root"
command -v debootstrap >/dev/null || skip "needs debootstrap"
command -v systemd-nspawn >/dev/null || skip "needs systemd-nspawn (systemd-container)"
[[ -c /dev/net/tun ]] || skip "needs /dev/net/tun"
[[ -f $deb ]] || fail "no package $deb"
deb=$(realpath "$deb")

# The mirror apt uses, so that this works wherever apt-get does.
mirror=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[[ -n $mirror ]] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[[ -n $mirror ]] || mirror=http://deb.debian.org/debian

# nspawn refuses a root under /tmp on some systems; /var/tmp is a disk.
work=$(mktemp -d /var/tmp/braid-systemd.XXXXXX)
root=$work/root
nspawn_pid=
init=
cleanup() {
  local status=$?
  if [[ -n $nspawn_pid ]] && kill -0 "$nspawn_pid" 2>/dev/null; then
    # SIGTERM asks nspawn to power the container off; if that takes too
    # long, killing the container's PID 1 ends every process in it.
    kill -TERM "$nspawn_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
    [[ -z $init ]] || kill -KILL "$init" 2>/dev/null || true
    kill -KILL "$nspawn_pid" 2>/dev/null || true
    wait "$nspawn_pid" 2>/dev/null || true
  fi
  # debootstrap mounts /proc and /sys in the root while it works.
  for m in $(findmnt -rn -o TARGET | grep "^$root/" | sort -r); do umount -l "$m" || true; done
  rm -rf --one-file-system "$work"
  exit "$status"
}
trap cleanup EXIT

# The package's dependencies, without versions: debootstrap installs them.
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/[(|].*//; s/ //g' | grep -v '^$' | paste -sd,)
log "debootstrap bookworm from $mirror"
start=$SECONDS
debootstrap --variant=minbase --include="systemd,systemd-sysv,dbus,iproute2,iputils-ping,$deps" \
  bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log"; fail "debootstrap failed"; }
log "root file system ready in $((SECONDS - start)) s"
cp "$deb" "$root/root/braid.deb"
echo braid-systemd >"$root/etc/hostname"

# The checks, run inside the container once it has booted.
cat >"$root/root/check.sh" <<'CHECK'
set -euo pipefail
fail() { echo "systemd_unit.sh: FAIL: $*"; journalctl --no-pager -n 60 -o short-precise || true; exit 1; }
log() { echo "systemd_unit.sh: $*"; }
dpkg -i /root/braid.deb >/dev/null || fail "the package does not install"
getent passwd braid >/dev/null || fail "no braid user"

# b lives in network namespace nsb; a veth pair joins it to a's.
ip netns add nsb
ip link add veth-a type veth peer name veth-b netns nsb
ip addr add 192.168.77.1/24 dev veth-a
ip link set veth-a up
ip -n nsb addr add 192.168.77.2/24 dev veth-b
ip -n nsb link set veth-b up
ip -n nsb link set lo up
braid ca init --name systemd-test --dir /etc/braid/ca >/dev/null
for n in a:1:2 b:2:1; do
  IFS=: read -r name me other <<<"$n"
  braid keygen --out "/etc/braid/$name.key" >/dev/null
  braid ca sign --name "$name" --pubkey "/etc/braid/$name.pub" --ip "10.9.0.$me/24" \
    --ca-dir /etc/braid/ca --out "/etc/braid/$name.crt" >/dev/null
  cat >"/etc/braid/$name.conf" <<CONF
[device]
type = tun
name = braid$name
ifup = ip addr add 10.9.0.$me/24 dev \$IFNAME && ip link set \$IFNAME up
[network]
port = 7000
peers = 192.168.77.$other:7000
lan_discovery = no
port_forwarding = no
[security]
key = /etc/braid/$name.key
certificate = /etc/braid/$name.crt
ca = /etc/braid/ca/ca.crt
CONF
done
mkdir -p /etc/systemd/system/braid@b.service.d
printf '[Service]\nNetworkNamespacePath=/run/netns/nsb\n' >/etc/systemd/system/braid@b.service.d/netns.conf
systemctl daemon-reload

main_pid() { systemctl show -p MainPID --value "braid@$1"; }
wait_ping() {
  for _ in $(seq 50); do ping -n -c 1 -W 0.2 10.9.0.2 >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# Type=notify: start returns once READY=1 came, with the status line.
systemctl start braid@a braid@b || fail "the instances do not start"
for n in a b; do
  [[ $(systemctl is-active "braid@$n") == active ]] || fail "braid@$n is not active"
  [[ $(systemctl show -p StatusText --value "braid@$n") == "running on braid$n" ]] ||
    fail "braid@$n's status is '$(systemctl show -p StatusText --value "braid@$n")'"
done
wait_ping || fail "a does not reach b through the tunnel"
log "braid@a and braid@b are active under systemd; a pings b through the tunnel"

pid=$(main_pid a)
systemctl reload braid@a || fail "systemctl reload braid@a failed"
[[ $(main_pid a) == "$pid" ]] || fail "reload replaced braid@a's main process"
# systemd 252 returns once the kill is sent: braid logs a moment later.
reloaded() { journalctl -u braid@a --no-pager -o cat | grep "reload: the configuration is unchanged" >/dev/null; }
for _ in $(seq 50); do reloaded && break; sleep 0.1; done
reloaded || fail "braid@a did not log the reload"
log "systemctl reload re-reads the configuration in the same process"

kill -KILL "$pid"
for _ in $(seq 100); do
  new=$(main_pid a)
  [[ $new != 0 && $new != "$pid" && $(systemctl is-active braid@a) == active ]] && break
  sleep 0.1
done
[[ $(systemctl is-active braid@a) == active && $(main_pid a) != "$pid" ]] ||
  fail "braid@a was not restarted after SIGKILL"
[[ $(systemctl show -p NRestarts --value braid@a) == 1 ]] || fail "NRestarts is not 1"
wait_ping || fail "the tunnel did not come back after the restart"
log "braid@a killed with SIGKILL was restarted, and the tunnel came back"

useradd --no-create-home --shell /usr/sbin/nologin outsider
if out=$(setpriv --reuid=outsider --regid=outsider --init-groups braidctl -n a status 2>&1); then
  fail "a user outside group braid used the control socket"
fi
grep -q "permission denied" <<<"$out" || fail "braidctl said '$out' to a user outside group braid"
braidctl -n a peers | grep -q " b " || fail "root's braidctl -n a peers does not list b"
log "the control socket refuses a user outside group braid and answers root"

systemctl stop braid@a braid@b
for n in a b; do
  [[ $(systemctl is-active "braid@$n") == inactive ]] || fail "braid@$n is $(systemctl is-active "braid@$n") after stop"
done
if ip link show braida >/dev/null 2>&1; then fail "braida is still there after stop"; fi
log "systemctl stop leaves both inactive and removes the device"
log "$(systemd-analyze security braid@a.service --no-pager 2>/dev/null | grep 'Overall exposure' || true)"
CHECK

log "booting the container"
systemd-nspawn -D "$root" --boot --console=passive --keep-unit --register=no --private-network \
  --machine="braid-systemd-$$" --bind=/dev/net/tun >"$work/nspawn.log" 2>&1 &
nspawn_pid=$!
for _ in $(seq 300); do
  init=$(pgrep -P "$nspawn_pid" -x systemd || true)
  if [[ -n $init ]]; then
    state=$(nsenter -t "$init" -a systemctl is-system-running 2>/dev/null || true)
    [[ $state == running || $state == degraded ]] && break
  fi
  kill -0 "$nspawn_pid" 2>/dev/null || { cat "$work/nspawn.log"; fail "the container did not boot"; }
  sleep 0.1
done
[[ ${state:-} == running || ${state:-} == degraded ]] ||
  { cat "$work/nspawn.log"; fail "systemd in the container is '${state:-}' after 30 s"; }
log "systemd runs in the container ($state)"
nsenter -t "$init" -a bash /root/check.sh
log "PASS"
