// The LAN beacon: nodes on one link find each other and talk directly
// instead of hairpinning through their NAT gateway. Every node sends, from
// its own UDP socket (so the source is its reachable LAN endpoint), a small
// datagram naming its node id to a link-local multicast group on each LAN
// interface; a node that hears one learns "node X is at this endpoint".
//
//   magic[4] type[1]=7 version u8 (=1) node_id[32] mac[16]    (54 bytes)
//
// mac = BLAKE2b-128 keyed with the network's mac1 key (cookie.h) over the
// first 38 bytes; the type byte keeps it apart from an initiation's mac1.
// It keeps other networks' beacons and junk out for the cost of one hash;
// it is no authentication (a beacon can be replayed, and in certificate
// and plain networks the key is public): the handshake that follows is.
//
// Groups: 239.255.11.29 (TTL 1) and ff02::b1d (hop limit 1), sent to the
// node's own UDP port, so only nodes that listen on the same port find
// each other. IPv4 goes through a dual-stack IPv6 socket as well
// (::ffff:239.255.11.29): Linux joins and sends IPv4 groups on it.
// doc/protocol.md ("LAN beacon") has the bytes.
#pragma once

#include <ifaddrs.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/cookie.h"
#include "engine/peer.h"
#include "engine/wire.h"

namespace braid::engine {

// The packet type; PacketType::kBeacon in wire.h stands for the same 7.
constexpr uint8_t kBeaconType = 7;
constexpr uint8_t kBeaconVersion = 1;
constexpr size_t kBeaconMacOffset = kPrefixLen + 1 + 32;      // 38
constexpr size_t kBeaconLen = kBeaconMacOffset + kMacLen;     // 54
// 239.255.0.0/16 is the IPv4 organisation-local scope; TTL 1 keeps the
// beacon on the link even where multicast routing exists.
constexpr std::array<uint8_t, 4> kBeaconGroup4 = {239, 255, 11, 29};
// ff02::/16 is link-local: routers never forward it.
constexpr std::array<uint8_t, 16> kBeaconGroup6 = {0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                                   0,    0,    0, 0, 0, 0, 0x0b, 0x1d};

// Builds a beacon into out (kBeaconLen bytes).
void write_beacon(const Magic& magic, const NodeId& id, const MacKey& key, uint8_t* out);

enum class BeaconCheck {
  kOk,
  kMalformed,   // length, magic, type or version: counted as malformed
  kBadMac,      // another network's key, or corrupted
};
// Checks length, magic, type and version, then the mac in constant time;
// *id is set only when the result is kOk.
BeaconCheck check_beacon(std::span<const uint8_t> pkt, const Magic& magic, const MacKey& key,
                         NodeId* id);
// True, with *id, when pkt is a well-formed beacon with a valid mac.
inline bool parse_beacon(std::span<const uint8_t> pkt, const Magic& magic, const MacKey& key,
                         NodeId* id) {
  return check_beacon(pkt, magic, key, id) == BeaconCheck::kOk;
}

// A LAN interface as an interface scan (getifaddrs) describes it.
struct LanInterface {
  std::string name;
  unsigned index = 0;    // 0 until resolved
  bool has_v4 = false;   // has an IPv4 address
  bool has_v6 = false;   // has an IPv6 address (a link-local one at least)
};
// The interfaces of a getifaddrs list a beacon goes out on: up,
// multicast-capable, not loopback, not the overlay device, with an IPv4
// or IPv6 address. Indexes come from the list where it has them (link
// addresses, IPv6 link-local scopes), else they stay 0.
std::vector<LanInterface> lan_interfaces(const ifaddrs* list, const std::string& overlay_ifname);

// Group membership and sending on the node's UDP socket (not owned; it
// must outlive this object). Nothing here is fatal: a failure is logged
// at debug once per interface and operation, and tried again next time.
class LanBeacon {
 public:
  // family: AF_INET6 (dual-stack, or bound to one IPv6 address) or
  // AF_INET. port: the node's UDP port, where beacons go; 0 reads it from
  // the socket.
  LanBeacon(int fd, int family, uint16_t port, std::string overlay_ifname);
  // Leaves the groups, so the socket stops receiving beacons.
  ~LanBeacon();
  LanBeacon(const LanBeacon&) = delete;
  LanBeacon& operator=(const LanBeacon&) = delete;

  // Re-scans the interfaces (getifaddrs: netlink, no files, so it works in
  // the chroot), joins the groups on new ones, leaves those of interfaces
  // gone, and sends `beacon` on each. Returns the number of interfaces
  // sent on (by at least one family).
  size_t send(std::span<const uint8_t> beacon);

  // What the last scan found, joined and sent on (tests, debugging).
  struct State {
    LanInterface iface;
    bool joined4 = false, joined6 = false;
    bool sent4 = false, sent6 = false;
    unsigned logged = 0;   // failures already logged (bits of Op)
  };
  const std::vector<State>& interfaces() const { return ifaces_; }
  // Which families this socket can carry: IPv4 needs an AF_INET socket or
  // a dual-stack one; IPv6 an AF_INET6 socket not bound to an IPv4 address.
  bool v4() const { return v4_; }
  bool v6() const { return v6_; }
  uint16_t port() const { return port_; }

 private:
  enum Op : unsigned { kJoin4 = 1, kJoin6 = 2, kSend4 = 4, kSend6 = 8 };
  void rescan();
  void join(State& s);
  void leave(const State& s);
  bool send_v4(State& s, std::span<const uint8_t> beacon);
  bool send_v6(State& s, std::span<const uint8_t> beacon);
  // Logs a failure of `op` on s at debug, once until the op succeeds.
  void note(State& s, Op op, bool ok, const char* what);

  int fd_;
  int family_;
  uint16_t port_;
  std::string overlay_;
  bool v4_ = false, v6_ = false;
  std::vector<State> ifaces_;
};

}  // namespace braid::engine
