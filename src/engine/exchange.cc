// Peer-exchange message bodies: exact encoders and strict parsers.
#include "engine/exchange.h"

#include <algorithm>
#include <cstring>

namespace braid::engine {
namespace {

bool fail(std::string* why, const char* what) {
  if (why) *why = what;
  return false;
}

void write_endpoint(const Endpoint& e, ByteWriter& out) {
  const uint8_t* a = e.sa.sin6_addr.s6_addr;
  if (e.is_v4()) {
    out.u8(4);
    out.bytes({a + 12, 4});
  } else {
    out.u8(6);
    out.bytes({a, 16});
  }
  out.u16(ntohs(e.sa.sin6_port));
}

// Reads what write_endpoint wrote; false with *why unless it is an
// endpoint a node could send to, in its one encoding.
bool read_endpoint(ByteReader& r, Endpoint* e, std::string* why) {
  uint8_t family = r.u8();
  if (!r.ok()) return fail(why, "truncated entry");
  if (family != 4 && family != 6) return fail(why, "address family is not 4 or 6");
  auto addr = r.bytes(family == 4 ? 4 : 16);
  uint16_t port = r.u16();
  if (!r.ok()) return fail(why, "truncated entry");
  *e = Endpoint::from_bytes(family, addr.data(), port);
  // One encoding per address: an IPv4 one travels as family 4.
  if (family == 6 && e->is_v4()) return fail(why, "IPv4-mapped address as family 6");
  if (!shareable(*e)) return fail(why, "an address no node can send to");
  return true;
}

}  // namespace

bool shareable(const Endpoint& e) {
  const in6_addr& a = e.sa.sin6_addr;
  if (!e.valid() || e.sa.sin6_port == 0) return false;
  if (e.is_v4()) {
    uint8_t first = a.s6_addr[12];
    bool zero = first == 0 && a.s6_addr[13] == 0 && a.s6_addr[14] == 0 && a.s6_addr[15] == 0;
    // Not 0.0.0.0, loopback, multicast or reserved.
    return !zero && first != 127 && first < 224;
  }
  return !IN6_IS_ADDR_UNSPECIFIED(&a) && !IN6_IS_ADDR_LOOPBACK(&a) &&
         !IN6_IS_ADDR_MULTICAST(&a) && !IN6_IS_ADDR_LINKLOCAL(&a);
}

size_t write_peers(uint8_t flags, std::span<const PeerEntry> entries, ByteWriter& out) {
  size_t n = 0;
  for (const PeerEntry& e : entries)
    if (shareable(e.endpoint) && n < kMaxPeerEntries) ++n;
  out.u8(flags);
  out.u8(static_cast<uint8_t>(n));
  size_t written = 0;
  for (const PeerEntry& e : entries) {
    if (written == n) break;
    if (!shareable(e.endpoint)) continue;
    out.bytes(e.id);
    write_endpoint(e.endpoint, out);
    ++written;
  }
  return written;
}

bool parse_peers(std::span<const uint8_t> body, uint8_t* flags, std::vector<PeerEntry>* out,
                 std::string* why) {
  ByteReader r(body);
  *flags = r.u8();
  uint8_t count = r.u8();
  if (!r.ok()) return fail(why, "truncated header");
  if (*flags & ~kPeersIntroduction) return fail(why, "unknown flags");
  out->clear();
  for (uint8_t i = 0; i < count; ++i) {
    PeerEntry e;
    auto id = r.bytes(e.id.size());
    if (!r.ok()) return fail(why, "truncated entry");
    memcpy(e.id.data(), id.data(), e.id.size());
    if (!read_endpoint(r, &e.endpoint, why)) return false;
    out->push_back(e);
  }
  if (!r.done()) return fail(why, "trailing bytes");
  return true;
}

void write_seen(const Endpoint& at, ByteWriter& out) { write_endpoint(at, out); }

bool parse_seen(std::span<const uint8_t> body, Endpoint* at, std::string* why) {
  ByteReader r(body);
  if (!read_endpoint(r, at, why)) return false;
  if (!r.done()) return fail(why, "trailing bytes");
  return true;
}

void write_path_probe(const PathProbeMsg& m, ByteWriter& out) {
  out.u8(m.answer ? kPathProbeAnswer : 0);
  out.u32(m.seq);
  out.u64(m.time_ns);
  out.u64(m.count);
}

bool parse_path_probe(std::span<const uint8_t> body, PathProbeMsg* out, std::string* why) {
  if (body.size() != kPathProbeLen) return fail(why, "wrong length");
  ByteReader r(body);
  uint8_t flags = r.u8();
  if (flags & ~kPathProbeAnswer) return fail(why, "unknown flags");
  out->answer = flags & kPathProbeAnswer;
  out->seq = r.u32();
  out->time_ns = r.u64();
  out->count = r.u64();
  if (out->seq == 0) return fail(why, "sequence number 0");
  return true;
}

size_t write_links(std::span<const LinkEndpoint> endpoints, ByteWriter& out) {
  size_t n = 0;
  for (const LinkEndpoint& e : endpoints)
    if (shareable(e.endpoint) && n < kMaxLinkEndpoints) ++n;
  out.u8(static_cast<uint8_t>(n));
  size_t written = 0;
  for (const LinkEndpoint& e : endpoints) {
    if (written == n) break;
    if (!shareable(e.endpoint)) continue;
    out.u8(e.fallback ? kLinkFallback : 0);
    write_endpoint(e.endpoint, out);
    ++written;
  }
  return written;
}

bool parse_links(std::span<const uint8_t> body, std::vector<LinkEndpoint>* out,
                 std::string* why) {
  ByteReader r(body);
  uint8_t count = r.u8();
  if (!r.ok()) return fail(why, "truncated header");
  if (count > kMaxLinkEndpoints) return fail(why, "too many endpoints");
  out->clear();
  for (uint8_t i = 0; i < count; ++i) {
    LinkEndpoint e;
    uint8_t flags = r.u8();
    if (!r.ok()) return fail(why, "truncated entry");
    if (flags & ~kLinkFallback) return fail(why, "unknown flags");
    e.fallback = flags & kLinkFallback;
    if (!read_endpoint(r, &e.endpoint, why)) return false;
    out->push_back(e);
  }
  if (!r.done()) return fail(why, "trailing bytes");
  return true;
}

size_t write_routes(const Hello& hello, std::span<const RouteEntry> entries, ByteWriter& out) {
  size_t n = std::min(entries.size(), kMaxRouteEntries);
  out.u8(hello.routes_wanted ? kRoutesWanted : 0);
  out.u16(hello.seq);
  out.u16(hello.interval_cs);
  out.u32(hello.time_us);
  out.u32(hello.echo_us);
  out.u32(hello.held_us);
  out.u8(static_cast<uint8_t>(n));
  for (size_t i = 0; i < n; ++i) {
    out.bytes(entries[i].dest);
    out.u16(entries[i].seqno);
    out.u16(entries[i].metric);
  }
  return n;
}

bool parse_routes(std::span<const uint8_t> body, Hello* hello, std::vector<RouteEntry>* out,
                  std::string* why) {
  out->clear();
  ByteReader r(body);
  uint8_t flags = r.u8();
  hello->seq = r.u16();
  hello->interval_cs = r.u16();
  hello->time_us = r.u32();
  hello->echo_us = r.u32();
  hello->held_us = r.u32();
  uint8_t count = r.u8();
  if (!r.ok()) return fail(why, "truncated header");
  if ((flags & ~kRoutesWanted) != 0) return fail(why, "unknown flags");
  hello->routes_wanted = flags & kRoutesWanted;
  if (count > kMaxRouteEntries) return fail(why, "too many entries");
  if (body.size() != kRoutesHeaderLen + count * kRouteEntryLen) return fail(why, "wrong length");
  out->resize(count);
  for (RouteEntry& e : *out) {
    auto id = r.bytes(e.dest.size());
    memcpy(e.dest.data(), id.data(), e.dest.size());
    e.seqno = r.u16();
    e.metric = r.u16();
  }
  return r.ok() && r.done();
}

void write_route_request(const RouteRequestMsg& m, ByteWriter& out) {
  out.bytes(m.dest);
  out.u16(m.seqno);
  out.u8(m.hops);
}

bool parse_route_request(std::span<const uint8_t> body, RouteRequestMsg* out, std::string* why) {
  if (body.size() != kRouteRequestLen) return fail(why, "wrong length");
  ByteReader r(body);
  auto id = r.bytes(out->dest.size());
  memcpy(out->dest.data(), id.data(), out->dest.size());
  out->seqno = r.u16();
  out->hops = r.u8();
  if (out->hops == 0 || out->hops > kMaxHops) return fail(why, "bad hop count");
  return r.ok() && r.done();
}

}  // namespace braid::engine
