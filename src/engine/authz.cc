// Source checks against a peer's certificate; see authz.h.
#include "engine/authz.h"

#include <span>

namespace braid::engine {
namespace {

// A node's own address is a host address: only that one, not its network.
bool host_matches(const identity::IpPrefix& p, uint8_t family, const uint8_t* addr) {
  if (p.family != family) return false;
  for (size_t i = 0; i < p.addr_len(); ++i)
    if (p.addr[i] != addr[i]) return false;
  return true;
}

bool ip_allowed(const identity::Certificate& cert, uint8_t family, const uint8_t* addr) {
  for (const auto& a : cert.addresses)
    if (host_matches(a, family, addr)) return true;
  std::span<const uint8_t> bytes(addr, family == 4 ? 4 : 16);
  for (const auto& c : cert.claims)
    if (identity::prefix_contains(c, family, bytes)) return true;
  return false;
}

}  // namespace

bool source_allowed(const identity::Certificate& cert, bool tap, const uint8_t* pkt, size_t len) {
  if (tap) {
    if (len < 12) return false;
    if (cert.macs.empty()) return true;
    std::span<const uint8_t, 6> src(pkt + 6, 6);
    for (const auto& r : cert.macs)
      if (identity::mac_range_contains(r, src)) return true;
    return false;
  }
  if (len < 1) return false;
  uint8_t version = pkt[0] >> 4;
  if (version == 4 && len >= 20) return ip_allowed(cert, 4, pkt + 12);
  if (version == 6 && len >= 40) return ip_allowed(cert, 6, pkt + 8);
  return false;
}

}  // namespace braid::engine
