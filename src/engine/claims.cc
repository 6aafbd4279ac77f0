// The claims message body: writer and strict parser (the bytes come from
// an authenticated peer, but a peer is not trusted to be well-formed).
#include "engine/claims.h"

#include <algorithm>
#include <array>

namespace braid::engine {

namespace {

bool valid(const identity::IpPrefix& p) {
  return (p.family == 4 || p.family == 6) && p.len <= p.addr_len() * 8;
}

bool bit_set(const std::array<uint8_t, 16>& addr, size_t i) {
  return (addr[i / 8] & (0x80u >> (i % 8))) != 0;
}

}  // namespace

size_t write_claims(std::span<const identity::IpPrefix> claims, ByteWriter& out) {
  size_t n = 0;
  for (const identity::IpPrefix& p : claims)
    if (valid(p) && n < kMaxClaims) ++n;
  out.u8(static_cast<uint8_t>(n));
  size_t written = 0;
  for (const identity::IpPrefix& p : claims) {
    if (written == n) break;
    if (!valid(p)) continue;
    out.u8(p.family);
    out.u8(p.len);
    for (size_t i = 0; i < p.addr_len(); ++i) {
      uint8_t b = p.addr[i];
      // Clear the bits of this byte past the length.
      if (p.len <= i * 8)
        b = 0;
      else if (p.len < (i + 1) * 8)
        b &= static_cast<uint8_t>(0xff00u >> (p.len - i * 8));
      out.u8(b);
    }
    ++written;
  }
  return written;
}

bool parse_claims(std::span<const uint8_t> body, std::vector<identity::IpPrefix>* out,
                  std::string* why) {
  ByteReader in(body);
  const uint8_t count = in.u8();
  if (!in.ok()) {
    *why = "claims message is empty";
    return false;
  }
  if (count > kMaxClaims) {
    *why = "claims message has " + std::to_string(count) + " entries, more than " +
           std::to_string(kMaxClaims);
    return false;
  }
  out->clear();
  out->reserve(count);
  for (size_t n = 0; n < count; ++n) {
    // Built only for an error: a good message costs no string.
    const auto entry = [n] { return "claim " + std::to_string(n + 1) + ": "; };
    identity::IpPrefix p;
    p.family = in.u8();
    p.len = in.u8();
    if (!in.ok()) {
      *why = entry() + "truncated";
      return false;
    }
    if (p.family != 4 && p.family != 6) {
      *why = entry() + "unknown address family " + std::to_string(p.family);
      return false;
    }
    const size_t bits = p.addr_len() * 8;
    if (p.len > bits) {
      *why = entry() + "prefix length " + std::to_string(p.len) + " is past " +
             std::to_string(bits);
      return false;
    }
    const auto addr = in.bytes(p.addr_len());
    if (!in.ok()) {
      *why = entry() + "truncated";
      return false;
    }
    std::copy(addr.begin(), addr.end(), p.addr.begin());
    for (size_t i = p.len; i < bits; ++i) {
      if (bit_set(p.addr, i)) {
        *why = entry() + identity::format_prefix(p) + " has bits set past the prefix length";
        return false;
      }
    }
    out->push_back(p);
  }
  if (!in.done()) {
    *why = "claims message has " + std::to_string(in.remaining()) + " bytes after its entries";
    return false;
  }
  return true;
}

}  // namespace braid::engine
