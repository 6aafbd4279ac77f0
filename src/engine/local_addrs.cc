#include "engine/local_addrs.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace braid::engine {

std::vector<Endpoint> local_endpoints(const ifaddrs* list, uint16_t port, const char* ifname) {
  std::vector<Endpoint> out;
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    if (ifname && *ifname && (a->ifa_name == nullptr || strcmp(a->ifa_name, ifname) != 0)) continue;
    Endpoint e;
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      e = Endpoint::from_bytes(4, reinterpret_cast<const uint8_t*>(&sin->sin_addr), port);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      e = Endpoint::from_bytes(6, sin6->sin6_addr.s6_addr, port);
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  }
  return out;
}

std::vector<Endpoint> scan_local_endpoints(int fd, uint16_t port, const char* ifname) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  Endpoint bound = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  if (port == 0) port = ntohs(bound.sa.sin6_port);
  // A socket bound to one address is reached there and nowhere else.
  const in6_addr& a = bound.sa.sin6_addr;
  bool any = bound.is_v4() ? (a.s6_addr[12] | a.s6_addr[13] | a.s6_addr[14] | a.s6_addr[15]) == 0
                           : IN6_IS_ADDR_UNSPECIFIED(&a);
  if (bound.valid() && !any) {
    bound.sa.sin6_port = htons(port);
    return {bound};
  }
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return {};
  std::vector<Endpoint> out = local_endpoints(list, port, ifname);
  freeifaddrs(list);
  return out;
}

}  // namespace braid::engine
