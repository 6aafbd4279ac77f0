// The LAN beacon's bytes and its multicast groups; see beacon.h.
#include "engine/beacon.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace braid::engine {
namespace {

void beacon_mac(const uint8_t* pkt, const MacKey& key, uint8_t* out) {
  crypto_generichash(out, kMacLen, pkt, kBeaconMacOffset, key.mac1.data(), key.mac1.size());
}

LanInterface* find_name(std::vector<LanInterface>& v, const char* name) {
  for (auto& i : v)
    if (i.name == name) return &i;
  return nullptr;
}

}  // namespace

void write_beacon(const Magic& magic, const NodeId& id, const MacKey& key, uint8_t* out) {
  memcpy(out, magic.data(), kMagicLen);
  out[kMagicLen] = kBeaconType;
  out[kPrefixLen] = kBeaconVersion;
  memcpy(out + kPrefixLen + 1, id.data(), id.size());
  beacon_mac(out, key, out + kBeaconMacOffset);
}

BeaconCheck check_beacon(std::span<const uint8_t> pkt, const Magic& magic, const MacKey& key,
                         NodeId* id) {
  // Another version may be longer; it is not ours to read.
  if (pkt.size() != kBeaconLen || classify(pkt, magic) != kBeaconType ||
      pkt[kPrefixLen] != kBeaconVersion)
    return BeaconCheck::kMalformed;
  uint8_t expect[kMacLen];
  beacon_mac(pkt.data(), key, expect);
  if (sodium_memcmp(expect, pkt.data() + kBeaconMacOffset, kMacLen) != 0)
    return BeaconCheck::kBadMac;
  memcpy(id->data(), pkt.data() + kPrefixLen + 1, id->size());
  return BeaconCheck::kOk;
}

std::vector<LanInterface> lan_interfaces(const ifaddrs* list, const std::string& overlay_ifname) {
  std::vector<LanInterface> out;
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_name == nullptr || overlay_ifname == a->ifa_name) continue;
    const unsigned want = IFF_UP | IFF_MULTICAST;
    if ((a->ifa_flags & want) != want || (a->ifa_flags & IFF_LOOPBACK)) continue;
    LanInterface* i = find_name(out, a->ifa_name);
    if (i == nullptr) {
      out.push_back(LanInterface{a->ifa_name});
      i = &out.back();
    }
    if (a->ifa_addr == nullptr) continue;
    switch (a->ifa_addr->sa_family) {
      case AF_INET:
        i->has_v4 = true;
        break;
      case AF_INET6: {
        i->has_v6 = true;
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
        if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr) && in6->sin6_scope_id != 0)
          i->index = in6->sin6_scope_id;
        break;
      }
      case AF_PACKET: {
        const auto* ll = reinterpret_cast<const sockaddr_ll*>(a->ifa_addr);
        i->index = static_cast<unsigned>(ll->sll_ifindex);
        break;
      }
      default:
        break;
    }
  }
  std::erase_if(out, [](const LanInterface& i) { return !i.has_v4 && !i.has_v6; });
  return out;
}

LanBeacon::LanBeacon(int fd, int family, uint16_t port, std::string overlay_ifname)
    : fd_(fd), family_(family), port_(port), overlay_(std::move(overlay_ifname)) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  bool bound = getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0;
  if (family_ == AF_INET) {
    v4_ = true;
    if (port_ == 0 && bound && ss.ss_family == AF_INET)
      port_ = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  } else {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    int v6only = 0;
    socklen_t olen = sizeof v6only;
    getsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen);
    bool any = !bound || IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
    bool mapped = bound && IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr);
    v4_ = !v6only && (any || mapped);
    v6_ = !mapped;
    if (port_ == 0 && bound && ss.ss_family == AF_INET6) port_ = ntohs(in6->sin6_port);
  }
  // Our own beacons are of no use to us. On an AF_INET6 socket the IPv6
  // options also govern IPv4 groups; set both.
  const int off = 0, hops = 1;
  const unsigned char ttl = 1, loop = 0;
  if (v4_) {
    setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
    setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
  }
  if (family_ == AF_INET6) {
    setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
    setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof off);
  }
}

LanBeacon::~LanBeacon() {
  for (const State& s : ifaces_) leave(s);
}

void LanBeacon::note(State& s, Op op, bool ok, const char* what) {
  if (ok) {
    s.logged &= ~static_cast<unsigned>(op);
    return;
  }
  if (s.logged & op) return;
  s.logged |= op;
  log_debug("LAN beacon: %s on %s: %s", what, s.iface.name.c_str(), strerror(errno));
}

void LanBeacon::join(State& s) {
  if (v4_ && s.iface.has_v4 && !s.joined4) {
    ip_mreqn m{};
    memcpy(&m.imr_multiaddr, kBeaconGroup4.data(), 4);
    m.imr_ifindex = static_cast<int>(s.iface.index);
    // EADDRINUSE: this socket is in the group there already.
    s.joined4 = setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) == 0 ||
                errno == EADDRINUSE;
    note(s, kJoin4, s.joined4, "cannot join the IPv4 group");
  }
  if (v6_ && s.iface.has_v6 && !s.joined6) {
    ipv6_mreq m{};
    memcpy(&m.ipv6mr_multiaddr, kBeaconGroup6.data(), 16);
    m.ipv6mr_interface = s.iface.index;
    s.joined6 = setsockopt(fd_, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m) == 0 ||
                errno == EADDRINUSE;
    note(s, kJoin6, s.joined6, "cannot join the IPv6 group");
  }
}

// Best effort and silent: the interface may be gone, and the kernel finds
// the membership by index even then.
void LanBeacon::leave(const State& s) {
  if (s.joined4) {
    ip_mreqn m{};
    memcpy(&m.imr_multiaddr, kBeaconGroup4.data(), 4);
    m.imr_ifindex = static_cast<int>(s.iface.index);
    setsockopt(fd_, IPPROTO_IP, IP_DROP_MEMBERSHIP, &m, sizeof m);
  }
  if (s.joined6) {
    ipv6_mreq m{};
    memcpy(&m.ipv6mr_multiaddr, kBeaconGroup6.data(), 16);
    m.ipv6mr_interface = s.iface.index;
    setsockopt(fd_, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &m, sizeof m);
  }
}

void LanBeacon::rescan() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    // Keep the interfaces we knew; the next scan may work.
    log_debug("LAN beacon: cannot list interfaces: %s", strerror(errno));
    return;
  }
  std::vector<LanInterface> now = lan_interfaces(list, overlay_);
  freeifaddrs(list);
  for (LanInterface& i : now) {
    if (i.index != 0) continue;
    // An interface without a link address (a tun device) or an IPv6
    // link-local one: ask the kernel, through our own socket.
    ifreq ifr{};
    if (i.name.size() >= sizeof ifr.ifr_name) continue;
    memcpy(ifr.ifr_name, i.name.c_str(), i.name.size() + 1);
    if (ioctl(fd_, SIOCGIFINDEX, &ifr) == 0) i.index = static_cast<unsigned>(ifr.ifr_ifindex);
  }
  std::erase_if(now, [](const LanInterface& i) { return i.index == 0; });

  std::vector<State> next;
  next.reserve(now.size());
  for (LanInterface& i : now) {
    // Known by index: an interface removed and made again under the same
    // name has another index and starts afresh.
    auto old = std::find_if(ifaces_.begin(), ifaces_.end(),
                            [&](const State& s) { return s.iface.index == i.index; });
    State s;
    if (old != ifaces_.end()) {
      s = *old;
      ifaces_.erase(old);
    }
    s.iface = std::move(i);
    join(s);
    next.push_back(std::move(s));
  }
  for (const State& gone : ifaces_) leave(gone);
  ifaces_ = std::move(next);
}

bool LanBeacon::send_v4(State& s, std::span<const uint8_t> beacon) {
  ip_mreqn m{};
  m.imr_ifindex = static_cast<int>(s.iface.index);
  bool ok = setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) == 0;
  if (ok) {
    sockaddr_storage ss{};
    socklen_t len;
    if (family_ == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&ss);
      in->sin_family = AF_INET;
      in->sin_port = htons(port_);
      memcpy(&in->sin_addr, kBeaconGroup4.data(), 4);
      len = sizeof *in;
    } else {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(port_);
      in6->sin6_addr.s6_addr[10] = 0xff;
      in6->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&in6->sin6_addr.s6_addr[12], kBeaconGroup4.data(), 4);
      len = sizeof *in6;
    }
    ok = sendto(fd_, beacon.data(), beacon.size(), MSG_DONTWAIT,
                reinterpret_cast<sockaddr*>(&ss), len) == static_cast<ssize_t>(beacon.size());
  }
  note(s, kSend4, ok, "cannot send the IPv4 beacon");
  return ok;
}

bool LanBeacon::send_v6(State& s, std::span<const uint8_t> beacon) {
  const unsigned index = s.iface.index;
  bool ok = setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) == 0;
  if (ok) {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port_);
    memcpy(&in6.sin6_addr, kBeaconGroup6.data(), 16);
    in6.sin6_scope_id = index;   // a link-local group names its link
    ok = sendto(fd_, beacon.data(), beacon.size(), MSG_DONTWAIT,
                reinterpret_cast<sockaddr*>(&in6), sizeof in6) ==
         static_cast<ssize_t>(beacon.size());
  }
  note(s, kSend6, ok, "cannot send the IPv6 beacon");
  return ok;
}

size_t LanBeacon::send(std::span<const uint8_t> beacon) {
  rescan();
  size_t sent_on = 0;
  for (State& s : ifaces_) {
    s.sent4 = v4_ && s.iface.has_v4 && send_v4(s, beacon);
    s.sent6 = v6_ && s.iface.has_v6 && send_v6(s, beacon);
    if (s.sent4 || s.sent6) ++sent_on;
  }
  return sent_on;
}

}  // namespace braid::engine
