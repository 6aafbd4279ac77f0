// The ifup/ifdown hooks: shell commands from the parent's own
// configuration, run by the parent with IFNAME in the environment.
#pragma once

#include <string>

namespace braid::priv {

// Runs `command` with /bin/sh -c, environment IFNAME=ifname and
// BRAID_EVENT=event (plus PATH), and waits for it. Returns its exit status
// (0 for an empty command), or -1 when it could not run or was killed.
int run_hook(const std::string& command, const std::string& ifname, const char* event);

}  // namespace braid::priv
