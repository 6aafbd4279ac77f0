// IP prefixes and MAC ranges: their text forms and the membership tests
// (bit comparisons on fixed arrays, no allocation: the data path runs them).
#include "identity/prefix.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

namespace braid::identity {
namespace {

// True when the first `bits` bits of a and b agree.
bool same_leading_bits(const uint8_t* a, const uint8_t* b, unsigned bits) {
  const unsigned whole = bits / 8;
  if (memcmp(a, b, whole) != 0) return false;
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return ((a[whole] ^ b[whole]) & mask) == 0;
}

// True when every bit from `bits` on (of `total` bits) is zero.
bool zero_past(const uint8_t* p, unsigned bits, unsigned total) {
  for (unsigned i = bits; i < total; ++i)
    if (p[i / 8] & (0x80 >> (i % 8))) return false;
  return true;
}

// A decimal number of 1..3 digits, at most `max`.
bool parse_len(std::string_view s, unsigned max, uint8_t* out) {
  if (s.empty() || s.size() > 3) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  // "032" is refused: one spelling per length.
  if (s.size() > 1 && s[0] == '0') return false;
  if (v > max) return false;
  *out = static_cast<uint8_t>(v);
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool parse_prefix(std::string_view text, bool host_bits_zero, IpPrefix* out, std::string* why) {
  const std::string quoted = "'" + std::string(text.substr(0, 64)) + "'";
  std::string_view addr_text = text;
  std::string_view len_text;
  const size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    addr_text = text.substr(0, slash);
    len_text = text.substr(slash + 1);
  }
  IpPrefix p;
  p.family = addr_text.find(':') != std::string_view::npos ? 6 : 4;
  const unsigned max_len = p.family == 4 ? 32 : 128;
  char buf[INET6_ADDRSTRLEN + 1];
  if (addr_text.empty() || addr_text.size() >= sizeof buf) {
    *why = quoted + " is not an IP address";
    return false;
  }
  memcpy(buf, addr_text.data(), addr_text.size());
  buf[addr_text.size()] = '\0';
  if (inet_pton(p.family == 4 ? AF_INET : AF_INET6, buf, p.addr.data()) != 1) {
    *why = quoted + " is not an " + (p.family == 4 ? "IPv4" : "IPv6") + " address";
    return false;
  }
  if (slash == std::string_view::npos) {
    p.len = static_cast<uint8_t>(max_len);
  } else if (!parse_len(len_text, max_len, &p.len)) {
    *why = quoted + ": prefix length must be 0.." + std::to_string(max_len);
    return false;
  }
  if (host_bits_zero && !zero_past(p.addr.data(), p.len, max_len)) {
    IpPrefix network = p;
    for (unsigned i = p.len; i < max_len; ++i)
      network.addr[i / 8] &= static_cast<uint8_t>(~(0x80 >> (i % 8)));
    *why = quoted + " has bits set past the prefix length (the network is " +
           format_prefix(network) + ")";
    return false;
  }
  *out = p;
  return true;
}

std::string format_prefix(const IpPrefix& p) {
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(p.family == 4 ? AF_INET : AF_INET6, p.addr.data(), buf, sizeof buf))
    return "?";
  return std::string(buf) + "/" + std::to_string(p.len);
}

bool prefix_contains(const IpPrefix& p, uint8_t family, std::span<const uint8_t> address) {
  if (family != p.family || address.size() != p.addr_len()) return false;
  if (p.len > p.addr_len() * 8) return false;
  return same_leading_bits(p.addr.data(), address.data(), p.len);
}

bool prefix_covers(const IpPrefix& outer, const IpPrefix& inner) {
  if (outer.family != inner.family || inner.len < outer.len) return false;
  if (outer.len > outer.addr_len() * 8) return false;
  return same_leading_bits(outer.addr.data(), inner.addr.data(), outer.len);
}

bool parse_mac_range(std::string_view text, MacRange* out, std::string* why) {
  const std::string quoted = "'" + std::string(text.substr(0, 64)) + "'";
  std::string_view mac_text = text;
  MacRange r;
  const size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    mac_text = text.substr(0, slash);
    if (!parse_len(text.substr(slash + 1), 48, &r.len)) {
      *why = quoted + ": MAC range length must be 0..48";
      return false;
    }
  }
  // Six pairs of hex digits separated by colons: 17 characters.
  bool ok = mac_text.size() == 17;
  for (size_t i = 0; ok && i < 6; ++i) {
    const int hi = hex_digit(mac_text[3 * i]);
    const int lo = hex_digit(mac_text[3 * i + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && mac_text[3 * i + 2] != ':')) ok = false;
    else r.mac[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  if (!ok) {
    *why = quoted + " is not a MAC address (six hex pairs separated by ':')";
    return false;
  }
  if (!zero_past(r.mac.data(), r.len, 48)) {
    *why = quoted + " has bits set past the range length";
    return false;
  }
  *out = r;
  return true;
}

std::string format_mac_range(const MacRange& r) {
  char buf[32];
  snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x/%u", r.mac[0], r.mac[1], r.mac[2],
           r.mac[3], r.mac[4], r.mac[5], static_cast<unsigned>(r.len));
  return buf;
}

bool mac_range_contains(const MacRange& r, std::span<const uint8_t, 6> mac) {
  if (r.len > 48) return false;
  return same_leading_bits(r.mac.data(), mac.data(), r.len);
}

}  // namespace braid::identity
