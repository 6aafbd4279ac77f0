// The engine process: after the sandbox is in place, it talks to the
// parent over the IPC channel, receives its device and socket, and runs the
// node on libevent until told to stop or the parent goes away.
#pragma once

#include "common/fd.h"

namespace braid::engine {

// Runs the engine on the given end of the IPC socketpair. Returns the
// process exit status: 0 after a requested shutdown or the parent's exit,
// 1 after an IPC violation.
int run_engine(UniqueFd ipc);

}  // namespace braid::engine
