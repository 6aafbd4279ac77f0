// A remote UDP address. Held as IPv6 (IPv4 as v4-mapped) so one dual-stack
// socket serves both families; the UDP layer converts for an IPv4-only
// socket. An endpoint is an attribute of a peer, never its identity.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace braid::engine {

struct Endpoint {
  sockaddr_in6 sa{};

  static Endpoint from_sockaddr(const sockaddr* sa, socklen_t len);
  // family 4 or 6; addr holds 4 or 16 bytes.
  static Endpoint from_bytes(int family, const uint8_t* addr, uint16_t port);
  bool valid() const { return sa.sin6_family == AF_INET6; }
  bool is_v4() const;
  // Writes the socket address for a socket of the given family; returns its
  // length, 0 when the endpoint cannot be reached from that family.
  socklen_t to_sockaddr(int family, sockaddr_storage* out) const;
  std::string str() const;

  bool operator==(const Endpoint& o) const {
    return sa.sin6_port == o.sa.sin6_port &&
           memcmp(&sa.sin6_addr, &o.sa.sin6_addr, sizeof sa.sin6_addr) == 0 &&
           sa.sin6_scope_id == o.sa.sin6_scope_id;
  }
  bool operator!=(const Endpoint& o) const { return !(*this == o); }
};

}  // namespace braid::engine
