#include "engine/local_addrs.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

namespace braid::engine {

std::vector<Endpoint> local_endpoints(const ifaddrs* list, uint16_t port) {
  std::vector<Endpoint> out;
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
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

std::vector<Endpoint> scan_local_endpoints(int fd, uint16_t port) {
  if (port == 0) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    port = ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                         : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  }
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return {};
  std::vector<Endpoint> out = local_endpoints(list, port);
  freeifaddrs(list);
  return out;
}

}  // namespace braid::engine
