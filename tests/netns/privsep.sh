#!/bin/bash
# The process split as seen from /proc: the parent stays root; its child,
# the engine, runs as an unprivileged user, with every capability set
# empty, no_new_privs and the chroot directory as its root.
. "$(dirname "$0")/lib.sh"
netns_init

netns_switch
netns_node a 1 v4; netns_node b 2 v4
braid_start_mesh a tun privsep-key "$(peer4 b)"
braid_start_mesh b tun privsep-key "$(peer4 a)"
wait_ping a "$(overlay4 b)" 20

parent=${BRAID_PID[a]}
engine=""
find_engine() { engine=$(engine_pid "$parent"); }
wait_until 5 find_engine || fail "no unprivileged child of braid parent $parent"
find_engine
status=/proc/$engine/status
log "parent $parent, engine $engine"

field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$2"; }

[[ $(field Uid "/proc/$parent/status" | awk '{print $1}') == 0 ]] ||
  fail "the parent is not root"

read -r ruid euid suid fsuid <<<"$(field Uid "$status")"
for u in "$ruid" "$euid" "$suid" "$fsuid"; do
  [[ $u != 0 ]] || fail "engine has uid 0 among real/effective/saved/fs: $ruid $euid $suid $fsuid"
done
read -r rgid egid sgid fsgid <<<"$(field Gid "$status")"
for g in "$rgid" "$egid" "$sgid" "$fsgid"; do
  [[ $g != 0 ]] || fail "engine has gid 0 among real/effective/saved/fs: $rgid $egid $sgid $fsgid"
done
for g in $(field Groups "$status"); do
  [[ $g != 0 ]] || fail "engine is in supplementary group 0"
done
log "engine uid $euid gid $egid, groups '$(field Groups "$status")'"

for set in CapInh CapPrm CapEff CapBnd CapAmb; do
  v=$(field "$set" "$status")
  [[ $v =~ ^0+$ ]] || fail "engine $set is $v, expected all zero"
done
log "engine capability sets all zero"

[[ $(field NoNewPrivs "$status") == 1 ]] || fail "engine NoNewPrivs is not 1"
log "engine has no_new_privs"

# The same directory, compared by device and inode: the path /proc prints
# depends on where the reader's own root is (a test run inside a chroot).
root=$(readlink "/proc/$engine/root")
[[ $(stat -L -c %d:%i "/proc/$engine/root") == $(stat -c %d:%i "$(chroot_dir a)") ]] ||
  fail "engine root is '$root', expected $(chroot_dir a)"
log "engine chrooted to $root"

# The parent keeps only what its remaining duties need: CAP_DAC_OVERRIDE,
# CAP_KILL, CAP_NET_ADMIN, CAP_NET_RAW (bits 1, 5, 12, 13).
allowed=$(( (1 << 1) | (1 << 5) | (1 << 12) | (1 << 13) ))
peff=$(( 16#$(field CapEff "/proc/$parent/status") ))
if (( peff & ~allowed )); then
  fail "parent keeps capabilities beyond DAC_OVERRIDE, KILL, NET_ADMIN, NET_RAW: CapEff $(printf '%016x' "$peff")"
fi
log "parent CapEff $(printf '%016x' "$peff")"
log "PASS"
