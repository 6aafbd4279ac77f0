// This node's own endpoints: every address of its interfaces with its UDP
// port. A peer that reports seeing us elsewhere (ControlType::kSeen) sees
// us through a NAT, whose mapping our keepalives must hold open.
#pragma once

#include <ifaddrs.h>

#include <cstdint>
#include <vector>

#include "engine/endpoint.h"

namespace braid::engine {

// The IPv4 and IPv6 addresses of a getifaddrs list, each with `port`;
// only those of interface `ifname` when one is given.
std::vector<Endpoint> local_endpoints(const ifaddrs* list, uint16_t port,
                                      const char* ifname = nullptr);

// Scans the interfaces now (getifaddrs: netlink, no files, so it works in
// the chroot); `port` 0 is read from the socket fd. Empty when the scan
// fails, which makes every path count as NATed: keepalives then go at the
// shorter interval, the safe choice. A socket bound to one address
// (a link's `bind`) gives that address alone; otherwise `ifname` (a
// link's `device`) limits the scan to that interface.
std::vector<Endpoint> scan_local_endpoints(int fd, uint16_t port, const char* ifname = nullptr);

}  // namespace braid::engine
