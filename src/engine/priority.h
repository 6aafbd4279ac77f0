// The priority lane's classifier (multi-link): which inner packets are
// interactive and go first, on the lowest-latency path, never queued
// behind bulk traffic. As MLVPN does, and as DiffServ marks them:
//
//   - IPv4 with the TOS low-delay bit (0x10), or DSCP EF (46) or CS6 (48);
//   - IPv6 with DSCP EF or CS6 in its traffic class;
//   - ICMP and ICMPv6 (ping, path MTU discovery, neighbour discovery);
//
// on a tap device, the same inside an Ethernet frame, after up to two
// VLAN tags. Anything shorter than its headers, or of another kind, is
// bulk. Reads only: no allocation, any bytes are safe.
#pragma once

#include <cstdint>
#include <span>

namespace braid::engine {

constexpr uint8_t kDscpEf = 46;
constexpr uint8_t kDscpCs6 = 48;
constexpr uint8_t kTosLowDelay = 0x10;

// An IP packet (tun) or an Ethernet frame (tap).
bool is_priority(std::span<const uint8_t> packet, bool tap);

}  // namespace braid::engine
