// Address ranges a certificate grants: IP prefixes (IPv4 and IPv6) and MAC
// address ranges, with their text forms and the membership tests the data
// path runs on every received packet (no allocation).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace braid::identity {

// An IPv4 or IPv6 address with a prefix length. For a node's own overlay
// address ("10.7.0.1/16") addr is the host address and len the length of
// the network it sits in; for a claim ("10.7.1.0/24") the bits past len
// are zero.
struct IpPrefix {
  uint8_t family = 4;                // 4 or 6
  std::array<uint8_t, 16> addr{};    // IPv4 in the first 4 bytes, the rest zero
  uint8_t len = 0;                   // 0..32 or 0..128

  size_t addr_len() const { return family == 4 ? 4 : 16; }
  bool operator==(const IpPrefix&) const = default;
};

// Parses "A.B.C.D/N", "A.B.C.D" (/32), "X:Y::Z/N" or "X:Y::Z" (/128).
// When `host_bits_zero` is true the bits past the prefix must be zero (a
// claim); otherwise any host address inside the prefix is accepted (a node
// address). False with *why set on any error.
bool parse_prefix(std::string_view text, bool host_bits_zero, IpPrefix* out, std::string* why);
std::string format_prefix(const IpPrefix& p);
// True when the address (4 bytes for family 4, 16 for family 6) lies inside
// the first `len` bits of p.
bool prefix_contains(const IpPrefix& p, uint8_t family, std::span<const uint8_t> address);
// True when every address of inner lies inside outer.
bool prefix_covers(const IpPrefix& outer, const IpPrefix& inner);

// A range of MAC addresses: the first `len` bits (0..48) fixed.
struct MacRange {
  std::array<uint8_t, 6> mac{};
  uint8_t len = 48;
  bool operator==(const MacRange&) const = default;
};

// Parses "02:00:00:00:00:00/24" or a single address "02:11:22:33:44:55"
// (/48); bits past len must be zero.
bool parse_mac_range(std::string_view text, MacRange* out, std::string* why);
std::string format_mac_range(const MacRange& r);
bool mac_range_contains(const MacRange& r, std::span<const uint8_t, 6> mac);

}  // namespace braid::identity
