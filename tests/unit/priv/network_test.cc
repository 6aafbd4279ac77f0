// The parent's UDP socket and name resolution, on loopback only.
#include "priv/network.h"

#include <CppUTest/TestHarness.h>
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
