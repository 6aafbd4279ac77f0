// Fuzz target for the peer-exchange bodies (peer lists, address reports,
// path probes, link lists, routes and route requests): any bytes through any parser must never
// crash; whatever parses must re-encode to exactly the same bytes (one
// encoding per body), and every endpoint parsed must be one the encoder
// would send.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "engine/exchange.h"

using namespace braid;
using namespace braid::engine;

namespace {

void seen(std::span<const uint8_t> in) {
  Endpoint at;
  std::string why;
  if (!parse_seen(in, &at, &why)) return;
  if (!shareable(at)) abort();
  std::vector<uint8_t> out(64);
  ByteWriter w(out);
  write_seen(at, w);
  if (!w.ok() || w.size() != in.size() || memcmp(out.data(), in.data(), in.size()) != 0) abort();
}

void path_probe(std::span<const uint8_t> in) {
  PathProbeMsg m;
  std::string why;
  if (!parse_path_probe(in, &m, &why)) return;
  std::vector<uint8_t> out(64);
  ByteWriter w(out);
  write_path_probe(m, w);
  if (!w.ok() || w.size() != in.size() || memcmp(out.data(), in.data(), in.size()) != 0) abort();
}

void links(std::span<const uint8_t> in) {
  std::vector<LinkEndpoint> eps;
  std::string why;
  if (!parse_links(in, &eps, &why)) return;
  if (eps.size() > kMaxLinkEndpoints) abort();
  std::vector<uint8_t> out(1024);
  ByteWriter w(out);
  if (write_links(eps, w) != eps.size() || !w.ok()) abort();
  if (w.size() != in.size() || memcmp(out.data(), in.data(), in.size()) != 0) abort();
}

void routes(std::span<const uint8_t> in) {
  Hello h;
  std::vector<RouteEntry> entries;
  std::string why;
  if (!parse_routes(in, &h, &entries, &why)) return;
  if (entries.size() > kMaxRouteEntries) abort();
  std::vector<uint8_t> out(kRoutesHeaderLen + kMaxRouteEntries * kRouteEntryLen);
  ByteWriter w(out);
  if (write_routes(h, entries, w) != entries.size() || !w.ok()) abort();
  if (w.size() != in.size() || memcmp(out.data(), in.data(), in.size()) != 0) abort();
}

void route_request(std::span<const uint8_t> in) {
  RouteRequestMsg m;
  std::string why;
  if (!parse_route_request(in, &m, &why)) return;
  if (m.hops == 0 || m.hops > kMaxHops) abort();
  std::vector<uint8_t> out(kRouteRequestLen);
  ByteWriter w(out);
  write_route_request(m, w);
  if (!w.ok() || w.size() != in.size() || memcmp(out.data(), in.data(), in.size()) != 0) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  seen(in);
  path_probe(in);
  links(in);
  routes(in);
  route_request(in);
  uint8_t flags = 0;
  std::vector<PeerEntry> entries;
  std::string why;
  if (!parse_peers(in, &flags, &entries, &why)) return 0;
  for (const PeerEntry& e : entries)
    if (!shareable(e.endpoint)) abort();
  // Lists longer than the encoder writes are accepted (a later version may
  // send more); only those within its bound can round-trip.
  if (entries.size() > kMaxPeerEntries) return 0;
  std::vector<uint8_t> out(2048);
  ByteWriter w(out);
  if (write_peers(flags, entries, w) != entries.size() || !w.ok()) abort();
  if (w.size() != size || memcmp(out.data(), data, size) != 0) abort();
  return 0;
}
