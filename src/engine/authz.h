// Authorisation of what a certified peer sends: the source of each inner
// packet must lie inside what its certificate grants — its own overlay
// addresses and the subnets it may claim (tun), or its MAC ranges (tap; a
// certificate without MAC ranges allows any). Runs on every received
// packet: no allocation, a few compares.
#pragma once

#include <cstddef>
#include <cstdint>

#include "identity/cert.h"

namespace braid::engine {

bool source_allowed(const identity::Certificate& cert, bool tap, const uint8_t* pkt, size_t len);

}  // namespace braid::engine
