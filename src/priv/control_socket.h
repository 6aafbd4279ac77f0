// The control socket's listening end and the stats file: both are paths
// root acts upon, so the parent makes them from its own configuration and
// the engine only gets a descriptor (the socket) or sends text (the stats).
#pragma once

#include <sys/types.h>

#include <span>
#include <string>

#include "common/fd.h"

namespace braid::priv {

// Binds and listens on the Unix socket `path`, mode 0660, owned by root
// and group `gid` (the engine's), so that members of that group may use
// braidctl. Creates /run/braid when it is the socket's directory and is
// missing. A stale socket (nobody answers) is replaced; a live one means
// another instance uses the path, which is an error naming it.
UniqueFd open_control_socket(const std::string& path, gid_t gid, std::string* error);

// Replaces `path` with `text` at once: readers see the old file or the
// new one, never a part (a temporary file beside it, renamed over it).
// Mode 0644: counters are not secret, and monitoring reads them.
bool write_file_atomically(const std::string& path, std::span<const uint8_t> text,
                           std::string* error);

}  // namespace braid::priv
