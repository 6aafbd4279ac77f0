// The parent's UDP socket and name resolution, on loopback only.
#include "priv/network.h"

#include <CppUTest/TestHarness.h>
#include <arpa/inet.h>
#include <sys/socket.h>

using namespace braid;
using namespace braid::priv;

TEST_GROUP(Network) {};

TEST(Network, BindsLoopbackIpv4) {
  int family = 0;
  std::string error;
  UniqueFd fd = open_udp_socket("127.0.0.1", 0, &family, &error);
  CHECK_TRUE_TEXT(fd.valid(), error.c_str());
  LONGS_EQUAL(AF_INET, family);
}

TEST(Network, RejectsAListenAddressThatIsNotAnAddress) {
  int family = 0;
  std::string error;
  UniqueFd fd = open_udp_socket("example", 0, &family, &error);
  CHECK_FALSE(fd.valid());
  CHECK(error.find("not an IP address") != std::string::npos);
}

namespace {

config::LinkSpec link(std::string name, std::string bind, std::string device = "") {
  config::LinkSpec l;
  l.name = std::move(name);
  l.bind = std::move(bind);
  l.device = std::move(device);
  return l;
}

uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

}  // namespace

TEST(Network, LinkSocketTakesTheFamilyOfItsBindAddress) {
  int family = 0;
  std::string error;
  UniqueFd v4 = open_link_socket(link("a", "127.0.0.1"), 0, &family, &error);
  CHECK_TRUE_TEXT(v4.valid(), error.c_str());
  LONGS_EQUAL(AF_INET, family);
  UniqueFd v6 = open_link_socket(link("b", "::1"), 0, &family, &error);
  if (v6.valid()) LONGS_EQUAL(AF_INET6, family);  // hosts without IPv6 aside
}

TEST(Network, LinkSocketErrorsNameTheLink) {
  int family = 0;
  std::string error;
  UniqueFd first = open_link_socket(link("fibre", "127.0.0.1"), 0, &family, &error);
  CHECK_TRUE_TEXT(first.valid(), error.c_str());
  uint16_t port = bound_port(first.get());
  UniqueFd second = open_link_socket(link("lte", "127.0.0.1"), port, &family, &error);
  CHECK_FALSE(second.valid());
  STRCMP_EQUAL(("link \"lte\": cannot bind 127.0.0.1:" + std::to_string(port) +
                ": Address already in use")
                   .c_str(),
               error.c_str());
  UniqueFd nodev = open_link_socket(link("lte", "127.0.0.1", "nosuchdev9"), 0, &family, &error);
  CHECK_FALSE(nodev.valid());
  // No such device, or not permitted where binding to a device needs privilege.
  STRCMP_CONTAINS("link \"lte\": device nosuchdev9: ", error.c_str());
}

TEST(Network, LinkSocketIsPinnedToItsDevice) {
  int family = 0;
  std::string error;
  UniqueFd fd = open_link_socket(link("lo", "", "lo"), 0, &family, &error);
  if (!fd.valid()) {
    // Binding to a device needs CAP_NET_RAW on older kernels.
    STRCMP_CONTAINS("device lo: Operation not permitted", error.c_str());
    return;
  }
  char name[16] = {};
  socklen_t len = sizeof name;
  CHECK(getsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, name, &len) == 0);
  STRCMP_EQUAL("lo", name);
  int v6only = 1;
  len = sizeof v6only;
  if (family == AF_INET6) {
    // Dual-stack, as the main socket.
    CHECK(getsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len) == 0);
    LONGS_EQUAL(0, v6only);
  }
}

TEST(Network, ResolvesAnAddressLiteral) {
  config::PeerSpec p{"127.0.0.1", 3210};
  auto addrs = resolve_peer(p, AF_INET6);
  LONGS_EQUAL(1, addrs.size());
  LONGS_EQUAL(4, addrs[0].family);
  LONGS_EQUAL(3210, addrs[0].port);
  LONGS_EQUAL(127, addrs[0].addr[0]);
}

TEST(Network, Ipv6ResultsAreLeftOutForAnIpv4Socket) {
  config::PeerSpec p{"::1", 3210};
  auto addrs = resolve_peer(p, AF_INET);
  LONGS_EQUAL(0, addrs.size());
}

TEST(Network, Ipv4ResultsAreLeftOutForASocketBoundToAnIpv6Address) {
  config::PeerSpec p{"127.0.0.1", 3210};
  LONGS_EQUAL(0, resolve_peer(p, AF_INET6, true).size());
  LONGS_EQUAL(1, resolve_peer(p, AF_INET6, false).size());
}
