// The engine's sandbox: a root-owned chroot, empty or holding only the
// engine's state subdirectory, an unprivileged user and group, no
// capabilities, no-new-privs — entered right after fork and verified
// before the engine touches the network.
#pragma once

#include <sys/types.h>

#include <string>

namespace braid::priv {

struct SandboxSpec {
  std::string chroot_dir;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;   // for messages
};

// Resolves user and group names (user "" means "braid" if it exists, else
// "nobody"; group "" means the user's primary group). Refuses root. On
// error returns false with the reason.
bool resolve_identity(const std::string& user, const std::string& group, SandboxSpec* spec,
                      std::string* error);

// Parent, before fork: creates the chroot directory (mode 0755, owned by
// root) when missing, and checks that it is root-owned, not writable by
// group or others, and empty.
bool prepare_chroot_dir(const std::string& dir, std::string* error);

// The one subdirectory of a state directory, the only place the engine can
// write: its peer state file is /state/peers inside the chroot.
inline constexpr const char* kStateSubdir = "state";

// Parent, before fork, when a state directory replaces the chroot: like
// prepare_chroot_dir, except that the directory may hold kStateSubdir and
// nothing else, which is created when missing and made a directory owned
// by uid:gid, mode 0700. The root of the chroot stays root's, so the
// engine can only write inside kStateSubdir. The parent never reads what
// the engine wrote there.
bool prepare_state_dir(const std::string& dir, uid_t uid, gid_t gid, std::string* error);

// Engine, after fork: chroot, drop to the unprivileged identity, clear
// every capability set (bounding and ambient too), set no-new-privs, then
// verify all of it. Fatal on any failure: an engine that might still hold
// privilege must not run.
void enter_sandbox(const SandboxSpec& spec);

// Parent, once the device and socket are open and the engine forked:
// keeps only what its remaining duties need — CAP_NET_ADMIN and
// CAP_NET_RAW for the hooks, CAP_KILL to stop the engine (another user),
// CAP_DAC_OVERRIDE for hooks and the log and pid files — and limits the
// bounding set to the same, so hooks run with no more than that either.
void limit_parent_capabilities();

}  // namespace braid::priv
