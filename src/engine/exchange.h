// The bodies of the peer-exchange control messages (wire.h ControlType),
// after their type byte:
//
//   kPeers:      flags u8, count u8, count x { node_id[32], family u8 (4|6),
//                address (4|16 bytes), port u16 }
//   kIntroduce:  node_id[32]
//   kSeen:       family u8 (4|6), address (4|16 bytes), port u16
//   kPathProbe:  flags u8 (bit 0: answer), seq u32, time u64, count u64
//   kLinks:      count u8, count x { flags u8, family u8 (4|6), address, port u16 }
//   kRoutes:     flags u8 (bit 0: routes wanted), seq u16, interval u16 (cs), time u32 (us),
//                echo u32 (us), held u32 (us), count u8,
//                count x { node_id[32], seqno u16, metric u16 }
//   kRouteRequest: node_id[32], seqno u16, hops u8
//
// A kPeers entry is where the sender sees that node: for a node behind a
// NAT, its public mapping, which is what a third node must send to. The
// introduction flag says the listed nodes are trying to reach the receiver
// right now, so it should send to them at once (both sides sending at the
// same time is what opens two NATs: hole punching).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "engine/endpoint.h"
#include "engine/peer.h"
#include "engine/route_table.h"

namespace braid::engine {

struct PeerEntry {
  NodeId id{};
  Endpoint endpoint;
};

constexpr uint8_t kPeersIntroduction = 1 << 0;
// Entries per message: 20 fill about 1 KiB, well inside any MTU.
constexpr size_t kMaxPeerEntries = 20;
constexpr size_t kIntroduceLen = 32;

// Only an endpoint another node could send to is worth telling: not
// unspecified, multicast, port 0, loopback (the teller's own host, which
// would turn a member's gossip into packets to the receiver's local
// services) or IPv6 link-local (its scope means nothing elsewhere).
bool shareable(const Endpoint& e);

// Appends a kPeers body; entries past kMaxPeerEntries and unshareable ones
// are left out. Returns the number written.
size_t write_peers(uint8_t flags, std::span<const PeerEntry> entries, ByteWriter& out);
// False with *why for unknown flags, a bad family, a truncated entry,
// trailing bytes or an unshareable endpoint.
bool parse_peers(std::span<const uint8_t> body, uint8_t* flags, std::vector<PeerEntry>* out,
                 std::string* why);

// A kSeen body: the endpoint the sender sees the receiver at.
void write_seen(const Endpoint& at, ByteWriter& out);
// False with *why for a bad family, a wrong length or an unshareable
// endpoint.
bool parse_seen(std::span<const uint8_t> body, Endpoint* at, std::string* why);

// Multi-link. A path probe asks for an answer on the same path: `time` is
// the asker's clock, echoed (its round-trip time, with no clocks to
// synchronise); `count` is, in the question, the packets the asker has
// sent on this path before it, and in the answer the packets the answerer
// has received on the path the question came over before it: the two
// give the path's own loss.
struct PathProbeMsg {
  bool answer = false;
  uint32_t seq = 0;
  uint64_t time_ns = 0;
  uint64_t count = 0;
};
constexpr size_t kPathProbeLen = 1 + 4 + 8 + 8;
constexpr uint8_t kPathProbeAnswer = 1 << 0;
void write_path_probe(const PathProbeMsg& m, ByteWriter& out);
// False with *why for a wrong length or unknown flags.
bool parse_path_probe(std::span<const uint8_t> body, PathProbeMsg* out, std::string* why);

// The endpoints of the sender's links, so that each of the receiver's links
// can try each of them: that is how paths over a second link are found. A
// fallback-only link's endpoint says so (flag bit 0): the receiver sends
// over it only when no other path is usable, as the sender does.
constexpr size_t kMaxLinkEndpoints = 16;
constexpr uint8_t kLinkFallback = 1 << 0;
struct LinkEndpoint {
  Endpoint endpoint;
  bool fallback = false;
  bool operator==(const LinkEndpoint&) const = default;
};
// Appends a kLinks body; unshareable endpoints and those past
// kMaxLinkEndpoints are left out. Returns the number written.
size_t write_links(std::span<const LinkEndpoint> endpoints, ByteWriter& out);
// False with *why for more than kMaxLinkEndpoints, unknown flags, a bad or
// unshareable endpoint, or trailing bytes.
bool parse_links(std::span<const uint8_t> body, std::vector<LinkEndpoint>* out,
                 std::string* why);

// Routing. Every kRoutes message is a hello too: `seq` counts the
// sender's messages to this neighbour (gaps are losses), `interval` is
// how often it sends them, `time` its clock, and `echo`/`held` the time
// of the last message it received from the receiver and how long ago
// that was: the receiver's round trip with no clocks to synchronise.
struct Hello {
  // The sender wants our routes: it has a peer or a node heard of that it
  // cannot reach directly (otherwise only our own entry is sent to it).
  bool routes_wanted = false;
  uint16_t seq = 0;
  uint16_t interval_cs = 0;   // centiseconds: up to 655 s
  uint32_t time_us = 0;
  uint32_t echo_us = 0;   // 0: nothing to echo yet
  uint32_t held_us = 0;
  bool operator==(const Hello&) const = default;
};
constexpr uint8_t kRoutesWanted = 1 << 0;
// Entries per message: 32 fill about 1.2 KiB, inside any MTU.
constexpr size_t kMaxRouteEntries = 32;
constexpr size_t kRoutesHeaderLen = 1 + 2 + 2 + 4 + 4 + 4 + 1;
constexpr size_t kRouteEntryLen = 32 + 2 + 2;
constexpr size_t kRouteRequestLen = 32 + 2 + 1;
// Appends a kRoutes body with up to kMaxRouteEntries entries; returns
// how many it wrote.
size_t write_routes(const Hello& hello, std::span<const RouteEntry> entries, ByteWriter& out);
// False with *why for unknown flags, a count past kMaxRouteEntries or a
// wrong length.
bool parse_routes(std::span<const uint8_t> body, Hello* hello, std::vector<RouteEntry>* out,
                  std::string* why);
struct RouteRequestMsg {
  NodeId dest{};
  uint16_t seqno = 0;
  uint8_t hops = 0;
  bool operator==(const RouteRequestMsg&) const = default;
};
void write_route_request(const RouteRequestMsg& m, ByteWriter& out);
// False with *why for a wrong length or a hop count of 0 or past kMaxHops.
bool parse_route_request(std::span<const uint8_t> body, RouteRequestMsg* out, std::string* why);

}  // namespace braid::engine
