// IP prefixes and MAC ranges: parsing, formatting and membership tests.
#include "identity/prefix.h"

namespace braid::identity {

bool parse_prefix(std::string_view, bool, IpPrefix*, std::string* why) {
  *why = "not implemented";
  return false;
}
std::string format_prefix(const IpPrefix&) { return {}; }
bool prefix_contains(const IpPrefix&, uint8_t, std::span<const uint8_t>) { return false; }
bool prefix_covers(const IpPrefix&, const IpPrefix&) { return false; }
bool parse_mac_range(std::string_view, MacRange*, std::string* why) {
  *why = "not implemented";
  return false;
}
std::string format_mac_range(const MacRange&) { return {}; }
bool mac_range_contains(const MacRange&, std::span<const uint8_t, 6>) { return false; }

}  // namespace braid::identity
