// A getifaddrs list made by hand, for the code that reads one (LAN
// beacons, local addresses).
#pragma once

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <deque>

namespace braid::engine::test {

// A getifaddrs list made by hand; the nodes live as long as the builder.
class IfList {
 public:
  void link(const char* name, unsigned flags, int index) {
    auto& sa = ll_.emplace_back();
    sa.sll_family = AF_PACKET;
    sa.sll_ifindex = index;
    add(name, flags, reinterpret_cast<sockaddr*>(&sa));
  }
  void v4(const char* name, unsigned flags, const char* addr) {
    auto& sa = in_.emplace_back();
    sa.sin_family = AF_INET;
    inet_pton(AF_INET, addr, &sa.sin_addr);
    add(name, flags, reinterpret_cast<sockaddr*>(&sa));
  }
  void v6(const char* name, unsigned flags, const char* addr, unsigned scope) {
    auto& sa = in6_.emplace_back();
    sa.sin6_family = AF_INET6;
    inet_pton(AF_INET6, addr, &sa.sin6_addr);
    sa.sin6_scope_id = scope;
    add(name, flags, reinterpret_cast<sockaddr*>(&sa));
  }
  const ifaddrs* head() const { return nodes_.empty() ? nullptr : &nodes_.front(); }

 private:
  void add(const char* name, unsigned flags, sockaddr* addr) {
    ifaddrs& n = nodes_.emplace_back();
    n.ifa_name = const_cast<char*>(name);
    n.ifa_flags = flags;
    n.ifa_addr = addr;
    if (nodes_.size() > 1) nodes_[nodes_.size() - 2].ifa_next = &n;
  }
  // deques: appending keeps earlier elements where they are.
  std::deque<ifaddrs> nodes_;
  std::deque<sockaddr_ll> ll_;
  std::deque<sockaddr_in> in_;
  std::deque<sockaddr_in6> in6_;
};

}  // namespace braid::engine::test
