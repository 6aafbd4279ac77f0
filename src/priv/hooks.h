// The hooks: shell commands from the parent's own configuration, run by
// the parent with an environment it builds from scratch (IFNAME,
// BRAID_EVENT, ... and PATH), so nothing the engine could influence
// reaches the shell.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace braid::priv {

// Starts `command` with /bin/sh -c and an environment of exactly `env`
// ("NAME=value" strings) plus PATH, with default signal handling and no
// signal blocked; with own_group, in a process group of its own, so a
// Ctrl-C or a supervisor's signal to braid's group does not cut it short.
// Returns the child's pid, or -1 when it could not fork.
pid_t spawn_hook(const std::string& command, const std::vector<std::string>& env,
                 bool own_group = false);

// Logs how the hook `what` ended by its wait status; returns its exit
// status, or -1 when it was killed.
int hook_result(const char* what, int status);

// Runs `command` with IFNAME=ifname and BRAID_EVENT=event and waits for
// it (ifup, ifdown). Returns its exit status (0 for an empty command), or
// -1 when it could not run or was killed.
int run_hook(const std::string& command, const std::string& ifname, const char* event);

}  // namespace braid::priv
