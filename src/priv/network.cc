// UDP socket set-up and peer name resolution.
#include "priv/network.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace braid::priv {
namespace {

// Socket buffers large enough for a few hundred full-size packets in
// flight: bursts from the device or the network are absorbed rather than
// dropped. Forced past the sysctl limits, which needs CAP_NET_ADMIN: one
// reason the parent opens the socket.
constexpr int kSocketBuffer = 4 << 20;

void size_buffers(int fd) {
  int size = kSocketBuffer;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

// The address to bind: `address` (an IP literal) or, when "", all
// addresses over IPv6. False when address is not an IP literal.
bool bind_address(const std::string& address, uint16_t port, sockaddr_storage* ss,
                  socklen_t* len) {
  *ss = sockaddr_storage{};
  auto* in6 = reinterpret_cast<sockaddr_in6*>(ss);
  auto* in = reinterpret_cast<sockaddr_in*>(ss);
  if (address.empty() || inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) == 1) {
    if (address.empty()) in6->sin6_addr = in6addr_any;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    *len = sizeof *in6;
    return true;
  }
  if (inet_pton(AF_INET, address.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    *len = sizeof *in;
    return true;
  }
  return false;
}

// A UDP socket of the family of *ss. Without IPv6 on the host, a wildcard
// address falls back to IPv4 only (and *ss, *len change with it).
UniqueFd make_socket(bool wildcard, uint16_t port, sockaddr_storage* ss, socklen_t* len) {
  UniqueFd fd(socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd && wildcard && errno == EAFNOSUPPORT) {
    *ss = sockaddr_storage{};
    auto* in = reinterpret_cast<sockaddr_in*>(ss);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_ANY);
    in->sin_port = htons(port);
    *len = sizeof *in;
    fd.reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  }
  if (fd && ss->ss_family == AF_INET6 && wildcard) {
    int off = 0;
    setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  if (fd) size_buffers(fd.get());
  return fd;
}

}  // namespace

UniqueFd open_udp_socket(const std::string& address, uint16_t port, int* family,
                         std::string* error) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (!bind_address(address, port, &ss, &len)) {
    *error = "listen address '" + address + "' is not an IP address";
    return UniqueFd();
  }
  UniqueFd fd = make_socket(address.empty(), port, &ss, &len);
  if (!fd) {
    *error = std::string("cannot create UDP socket: ") + strerror(errno);
    return UniqueFd();
  }
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    *error = "cannot listen on " + (address.empty() ? std::string("port") : address + " port") +
             " " + std::to_string(port) + ": " + strerror(errno);
    return UniqueFd();
  }
  *family = ss.ss_family;
  return fd;
}

UniqueFd open_link_socket(const config::LinkSpec& link, uint16_t port, int* family,
                          std::string* error) {
  std::string where = "link \"" + link.name + "\": ";
  sockaddr_storage ss;
  socklen_t len = 0;
  if (!bind_address(link.bind, port, &ss, &len)) {
    *error = where + "bind address '" + link.bind + "' is not an IP address";
    return UniqueFd();
  }
  UniqueFd fd = make_socket(link.bind.empty(), port, &ss, &len);
  if (!fd) {
    *error = where + "cannot create UDP socket: " + strerror(errno);
    return UniqueFd();
  }
  // Before bind, so the port is taken on that device only: links on
  // different devices may share a port.
  if (!link.device.empty() &&
      setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, link.device.c_str(),
                 static_cast<socklen_t>(link.device.size())) != 0) {
    *error = where + "device " + link.device + ": " + strerror(errno);
    return UniqueFd();
  }
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    std::string what = link.bind.empty() ? "port " + std::to_string(port)
                                         : config::format_peer({link.bind, port});
    *error = where + "cannot bind " + what + ": " + strerror(errno);
    return UniqueFd();
  }
  *family = ss.ss_family;
  return fd;
}

std::vector<ipc::PeerAddress> resolve_peer(const config::PeerSpec& peer, int family,
                                           bool v6_only) {
  addrinfo hints{};
  hints.ai_family = family == AF_INET ? AF_INET : v6_only ? AF_INET6 : AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(peer.port);
  int rc = getaddrinfo(peer.host.c_str(), port.c_str(), &hints, &res);
  std::vector<ipc::PeerAddress> out;
  if (rc != 0) {
    log_warnx("cannot resolve %s: %s", peer.host.c_str(), gai_strerror(rc));
    return out;
  }
  for (addrinfo* a = res; a && out.size() < ipc::kMaxPeerAddresses; a = a->ai_next) {
    ipc::PeerAddress pa;
    if (!ipc::from_sockaddr(a->ai_addr, a->ai_addrlen, &pa)) continue;
    bool dup = std::any_of(out.begin(), out.end(), [&](const ipc::PeerAddress& o) {
      return o.family == pa.family && o.addr == pa.addr && o.port == pa.port;
    });
    if (!dup) out.push_back(pa);
  }
  freeaddrinfo(res);
  return out;
}

ipc::ClaimsMsg node_claims(const config::Config& cfg, const std::string& ifname) {
  ipc::ClaimsMsg out;
  auto add = [&](const ipc::Claim& c) {
    for (const ipc::Claim& have : out.claims)
      if (have.family == c.family && have.len == c.len && have.addr == c.addr) return;
    if (out.claims.size() < ipc::kMaxClaims)
      out.claims.push_back(c);
    else
      log_warnx("auto_claim: more than %zu subnets and addresses; %s not claimed",
                ipc::kMaxClaims, ifname.c_str());
  };
  for (const config::Subnet& s : cfg.subnets) {
    ipc::Claim c;
    c.family = s.family == AF_INET ? 4 : 6;
    c.addr = s.addr;
    c.len = s.prefix;
    add(c);
  }
  if (!cfg.auto_claim) return out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    log_warn("auto_claim: cannot list the addresses of %s", ifname.c_str());
    return out;
  }
  for (ifaddrs* ifa = list; ifa; ifa = ifa->ifa_next) {
    if (!ifa->ifa_addr || ifname != ifa->ifa_name) continue;
    ipc::Claim c;
    if (ifa->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr);
      c.family = 4;
      c.len = 32;
      memcpy(c.addr.data(), &in->sin_addr, 4);
    } else if (ifa->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(ifa->ifa_addr);
      if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) continue;
      c.family = 6;
      c.len = 128;
      memcpy(c.addr.data(), &in6->sin6_addr, 16);
    } else {
      continue;
    }
    add(c);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace braid::priv
