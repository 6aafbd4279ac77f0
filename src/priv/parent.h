// The privileged parent: sets up the device, socket and sandbox, forks the
// engine, runs hooks, resolves peer names and supervises the engine.
#pragma once

#include <functional>

#include "common/fd.h"
#include "config/settings.h"

namespace braid::priv {

// The engine's entry point, run in the forked child inside its sandbox
// with its end of the IPC socketpair; returns the child's exit status.
using EngineMain = std::function<int(UniqueFd ipc)>;
// Reads the configuration again as at start (file and command line) for a
// reload; false with the message in *error when it does not validate.
using ConfigReader = std::function<bool(config::Config* out, std::string* error)>;

// Runs braid as configured; returns the process exit status (0 after a
// clean shutdown, 1 after a start-up error or the engine's failure).
int run_parent(const config::Config& cfg, const EngineMain& engine_main,
               const ConfigReader& reader = nullptr);

}  // namespace braid::priv
