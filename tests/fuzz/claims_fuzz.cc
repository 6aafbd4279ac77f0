// Fuzz target for the claims message: any body must parse or be refused
// without a crash, whatever parses must re-encode to exactly the same
// bytes (one encoding per list), and the parsed claims must load into a
// router that then answers lookups.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "engine/claims.h"
#include "engine/peer.h"
#include "engine/router.h"
#include "identity/prefix.h"

using namespace braid;
using namespace braid::engine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  std::vector<identity::IpPrefix> claims;
  std::string why;
  if (!parse_claims(in, &claims, &why)) {
    if (why.empty()) abort();
    return 0;
  }

  std::array<uint8_t, kMaxClaimsBodyLen> buf;
  ByteWriter w(buf);
  if (write_claims(claims, w) != claims.size() || !w.ok()) abort();
  if (w.size() != size || !std::equal(buf.begin(), buf.begin() + w.size(), in.begin())) abort();

  // Two peers claim the list, the second only its first half (later, so
  // it wins where both claim the same prefix). Each claim's first address
  // must route as a plain scan of the claims says.
  Peer a(NodeId{1}), b(NodeId{2});
  RouterForwarder router;
  router.peer_added(&a);
  router.peer_added(&b);
  if (router.set_claims(&a, claims) > claims.size()) abort();
  const auto half = std::span<const identity::IpPrefix>(claims).first(claims.size() / 2);
  router.set_claims(&b, half);
  const auto expected = [&](const identity::IpPrefix& dst) -> Peer* {
    const std::span<const uint8_t> addr(dst.addr.data(), dst.addr_len());
    int best_len = -1;
    Peer* best = nullptr;
    for (const auto& q : claims) {
      if (identity::prefix_contains(q, dst.family, addr) && q.len > best_len) {
        best_len = q.len;
        best = &a;
      }
    }
    // Of equal length and both containing dst: the same prefix.
    for (const auto& q : half)
      if (identity::prefix_contains(q, dst.family, addr) && q.len >= best_len) {
        best_len = q.len;
        best = &b;
      }
    return best;
  };
  for (const identity::IpPrefix& p : claims) {
    Peer* want = expected(p);
    if (want == nullptr) abort();
    if (router.route(p.family, {p.addr.data(), p.addr_len()}) != want) abort();
    // The same address as a packet's destination.
    std::vector<uint8_t> packet(p.family == 4 ? 20 : 40);
    packet[0] = p.family == 4 ? 0x45 : 0x60;
    std::copy(p.addr.begin(), p.addr.begin() + static_cast<std::ptrdiff_t>(p.addr_len()),
              packet.begin() + (p.family == 4 ? 16 : 24));
    const auto d = router.destinations(packet);
    const bool broadcast = p.family == 4 && p.addr[0] == 0xff && p.addr[1] == 0xff &&
                           p.addr[2] == 0xff && p.addr[3] == 0xff;
    const bool group = broadcast || (p.family == 4 ? (p.addr[0] & 0xf0) == 0xe0
                                                   : p.addr[0] == 0xff);
    if (d.size() > 1 || (d.size() == 1 && d[0] != want) || (d.empty() && !group)) abort();
  }
  // The fuzzer's bytes as packets of each family.
  (void)router.destinations(in);
  router.peer_removed(&b);
  router.peer_removed(&a);
  if (router.size() != 0) abort();
  if (router.route(4, std::array<uint8_t, 4>{}) != nullptr) abort();
  return 0;
}
