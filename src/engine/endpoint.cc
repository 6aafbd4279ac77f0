// Conversions between endpoints and socket addresses.
#include "engine/endpoint.h"

#include <arpa/inet.h>

namespace braid::engine {

Endpoint Endpoint::from_sockaddr(const sockaddr* addr, socklen_t len) {
  Endpoint e;
  if (addr->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    memcpy(&e.sa, addr, sizeof e.sa);
    e.sa.sin6_flowinfo = 0;
  } else if (addr->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    e.sa.sin6_family = AF_INET6;
    e.sa.sin6_port = in->sin_port;
    e.sa.sin6_addr.s6_addr[10] = 0xff;
    e.sa.sin6_addr.s6_addr[11] = 0xff;
    memcpy(&e.sa.sin6_addr.s6_addr[12], &in->sin_addr, 4);
  }
  return e;
}

Endpoint Endpoint::from_bytes(int family, const uint8_t* addr, uint16_t port) {
  Endpoint e;
  e.sa.sin6_family = AF_INET6;
  e.sa.sin6_port = htons(port);
  if (family == 4) {
    e.sa.sin6_addr.s6_addr[10] = 0xff;
    e.sa.sin6_addr.s6_addr[11] = 0xff;
    memcpy(&e.sa.sin6_addr.s6_addr[12], addr, 4);
  } else {
    memcpy(&e.sa.sin6_addr, addr, 16);
  }
  return e;
}

bool Endpoint::is_v4() const { return IN6_IS_ADDR_V4MAPPED(&sa.sin6_addr); }

socklen_t Endpoint::to_sockaddr(int family, sockaddr_storage* out) const {
  if (family == AF_INET6) {
    memcpy(out, &sa, sizeof sa);
    return sizeof sa;
  }
  if (!is_v4()) return 0;
  auto* in = reinterpret_cast<sockaddr_in*>(out);
  memset(in, 0, sizeof *in);
  in->sin_family = AF_INET;
  in->sin_port = sa.sin6_port;
  memcpy(&in->sin_addr, &sa.sin6_addr.s6_addr[12], 4);
  return sizeof *in;
}

std::string Endpoint::str() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, &sa.sin6_addr.s6_addr[12], buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(sa.sin6_port));
  }
  inet_ntop(AF_INET6, &sa.sin6_addr, buf, sizeof buf);
  return "[" + std::string(buf) + "]:" + std::to_string(ntohs(sa.sin6_port));
}

}  // namespace braid::engine
