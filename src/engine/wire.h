// The wire format: packet types, header layouts and limits, in one place.
// doc/protocol.md describes the same bytes; keep the two in step.
//
// Every packet: magic[4] type[1] ...
//   kHandshakeInit  (1): sender_index u32, noise message 1
//   kHandshakeResp  (2): sender_index u32, receiver_index u32, noise message 2
//   kHandshakeFinal (3): receiver_index u32, noise message 3
//   kData           (4): receiver_index u32, counter u64, sealed inner packet, tag
//   kControl        (5): receiver_index u32, counter u64, sealed control message, tag
//   kCookieReply    (6): receiver_index u32, nonce[24], sealed cookie (16 + tag)
//   kBeacon         (7): version u8, node_id[32], mac[16] (beacon.h)
//   kRelay          (8): receiver_index u32, counter u64 (the neighbour
//                        session's), hops u8, dst node_id[32], src
//                        node_id[32], hop tag[16], then a packet of types
//                        1-5 from its type byte (its magic is the outer
//                        one): relaying (relay.cc)
// An initiation ends with mac1[16] mac2[16] (cookie.h).
// The header of kData/kControl (17 bytes) is the AEAD's associated data,
// so the type, index and counter cannot be altered undetected.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/aead.h"

namespace braid::engine {

using Magic = std::array<uint8_t, 4>;

enum class PacketType : uint8_t {
  kHandshakeInit = 1,
  kHandshakeResp = 2,
  kHandshakeFinal = 3,
  kData = 4,
  kControl = 5,
  kCookieReply = 6,
  kBeacon = 7,
  kRelay = 8,
};

enum class ControlType : uint8_t {
  // The sender is shutting down: forget its sessions now rather than after
  // peer_timeout.
  kClose = 1,
  // The subnets the sender claims (claims.h): router mode forwards by them.
  kClaims = 2,
  // Other nodes the sender has sessions with, and where it sees them
  // (exchange.h): peer exchange, and introductions for hole punching.
  kPeers = 3,
  // "I am trying to reach this node: tell it where you see me" (exchange.h).
  kIntroduce = 4,
  // "I see you at this address" (exchange.h): tells the receiver whether
  // a NAT is between us, which decides how often it must send keepalives.
  kSeen = 5,
  // "Send me nothing for this many seconds, then one packet": the
  // receiver's way to learn whether its firewall forgets it (timers.cc).
  kProbe = 6,
  // Multi-link: "answer this on the path it came over" and its answer
  // (exchange.h): a path's round-trip time, loss and liveness.
  kPathProbe = 7,
  // Multi-link: the endpoints of the sender's links (exchange.h), which
  // the receiver's links then probe.
  kLinks = 8,
  // Routing (route_table.h): a hello (round trip and liveness of a
  // neighbour) with the routes the sender has selected.
  kRoutes = 9,
  // "Pass this towards the node: I need a newer seqno of its route".
  kRouteRequest = 10,
  // "Let us stop using the direct way between us (the session goes on
  // through relays)": a bounded node's tunnel refresh (tunnels.cc).
  kUnlink = 11,
};

constexpr size_t kMagicLen = 4;
constexpr size_t kPrefixLen = kMagicLen + 1;
constexpr size_t kIndexLen = 4;
constexpr size_t kCounterLen = 8;
constexpr size_t kTagLen = 16;
// magic + type + receiver index + counter
constexpr size_t kTransportHeaderLen = kPrefixLen + kIndexLen + kCounterLen;  // 17
constexpr size_t kTransportOverhead = kTransportHeaderLen + kTagLen;        // 33
constexpr size_t kInitHeaderLen = kPrefixLen + kIndexLen;                   // 9
constexpr size_t kRespHeaderLen = kPrefixLen + 2 * kIndexLen;               // 13
constexpr size_t kFinalHeaderLen = kPrefixLen + kIndexLen;                  // 9
// Noise XX message sizes (25519, 16-byte tags):
//   1: e(32) + payload tag(16, present once a PSK has set a key), then the
//      initiation's mac1 and mac2 (16 each)
//   2: e(32) + s(32+16) + payload + tag(16)
//   3: s(32+16) + payload + tag(16)
// Payloads of messages 2 and 3 carry the sender's certificate in
// certificate networks (handshake payload fields, below). Longer messages
// are refused before any cryptography, which bounds what a stranger can
// make us hash; an initiation carries no payload at all.
constexpr size_t kInitMacsLen = 32;
constexpr size_t kMinInitLen = kInitHeaderLen + 32 + kInitMacsLen;        // 73
constexpr size_t kMaxInitLen = kInitHeaderLen + 48 + kInitMacsLen;        // 89
// Room for a certificate of the largest size a CA signs (1024 bytes).
constexpr size_t kMaxHandshakeLen = 1280;

// Handshake payload: fields of type u8, length u16, value. Unknown types
// are skipped, so later versions can add fields.
enum class PayloadField : uint8_t {
  kCertificate = 1,
};
// Finds the certificate field (empty span when absent). False when the
// payload is malformed: a truncated field or a second certificate.
bool parse_handshake_payload(std::span<const uint8_t> payload,
                             std::span<const uint8_t>* certificate);
// Appends the payload for a certificate (nothing for an empty one).
void write_handshake_payload(std::span<const uint8_t> certificate, std::vector<uint8_t>* out);
// IPv6 + UDP: the worst-case underlay header, for MTU arithmetic.
constexpr size_t kUnderlayHeaderLen = 40 + 8;
constexpr size_t kEthernetHeaderLen = 14;

// A relayed packet: the relay header takes the inner packet's magic's
// place, so it is 94 bytes longer than sent directly. The header is a
// transport header of the session between the two neighbours it travels
// between (receiver index and counter, as in kData), the routing fields,
// and a hop tag: that session's AEAD sealing an empty plaintext with the
// header's bytes before the tag as associated data and the counter as
// nonce. The inner packet is sealed end to end and not covered again.
// In plain mode the tag's bytes are zero and not checked.
constexpr size_t kNodeIdLen = 32;
constexpr size_t kRelayHopsOffset = kTransportHeaderLen;                 // 17
constexpr size_t kRelayDstOffset = kRelayHopsOffset + 1;                 // 18
constexpr size_t kRelaySrcOffset = kRelayDstOffset + kNodeIdLen;         // 50
constexpr size_t kRelayTagOffset = kRelaySrcOffset + kNodeIdLen;         // 82
constexpr size_t kRelayHeaderLen = kRelayTagOffset + kTagLen;            // 98
constexpr size_t kRelayOverhead = kRelayHeaderLen - kMagicLen;           // 94
struct RelayHeader {
  uint32_t receiver_index = 0;
  uint64_t counter = 0;
  uint8_t hops = 0;
  std::array<uint8_t, kNodeIdLen> dst{};
  std::array<uint8_t, kNodeIdLen> src{};
};
// Writes the header at out[0..98) with a zero tag: the inner packet's
// type byte follows.
void write_relay_header(uint8_t* out, const Magic& magic, const RelayHeader& h);
// The next hop's fields of a header already in place (forwarding rewrites
// only these, and then the tag).
void set_relay_hop(uint8_t* header, uint32_t receiver_index, uint64_t counter, uint8_t hops);
// Writes the hop tag of the header at header[0..98) under the neighbour
// session's send key, with the counter the header carries.
void seal_relay_hop(uint8_t* header, const crypto::TransportKey& key);
// Checks the hop tag under the neighbour session's receive key.
bool open_relay_hop(const uint8_t* header, const crypto::TransportKey& key);
// False when the packet is too short to hold a header and an inner type.
bool parse_relay_header(std::span<const uint8_t> pkt, RelayHeader* out);

// Counters stop short of 2^64 - 1 so a nonce is never reused; a keypair
// that gets near is retired by the rekey timers long before.
constexpr uint64_t kMaxCounter = UINT64_MAX - 1;

struct TransportHeader {
  PacketType type;
  uint32_t receiver_index;
  uint64_t counter;
};

// The type of a packet of our network, or 0 when it is too short or carries
// another network's magic. Costs a 4-byte compare: runs before any crypto.
inline uint8_t classify(std::span<const uint8_t> pkt, const Magic& magic) {
  if (pkt.size() < kPrefixLen) return 0;
  if (pkt[0] != magic[0] || pkt[1] != magic[1] || pkt[2] != magic[2] || pkt[3] != magic[3])
    return 0;
  return pkt[4];
}

// Writes a transport header at out[0..17).
void write_transport_header(uint8_t* out, const Magic& magic, PacketType type,
                            uint32_t receiver_index, uint64_t counter);
// Parses a data or control packet's header; false when too short to hold a
// header or when the type is not a transport type.
bool parse_transport_header(std::span<const uint8_t> pkt, TransportHeader* out);

}  // namespace braid::engine
