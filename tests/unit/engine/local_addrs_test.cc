// This node's own endpoints, from an interface list made by hand and from
// a real scan.
#include "engine/local_addrs.h"

#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>

#include "common/fd.h"
#include "iflist.h"

// Last: its new/delete macros must not reach the standard headers.
#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;
using braid::engine::test::IfList;

namespace {

Endpoint ep(int family, const char* text, uint16_t port) {
  uint8_t a[16];
  inet_pton(family == 4 ? AF_INET : AF_INET6, text, a);
  return Endpoint::from_bytes(family, a, port);
}

bool has(const std::vector<Endpoint>& v, const Endpoint& e) {
  return std::find(v.begin(), v.end(), e) != v.end();
}

}  // namespace

TEST_GROUP(LocalAddrs) {};

TEST(LocalAddrs, EveryInterfaceAddressWithThePortOnceAndNothingElse) {
  IfList l;
  l.link("eth0", IFF_UP, 2);
  l.v4("eth0", IFF_UP, "192.168.1.10");
  l.v6("eth0", IFF_UP, "2001:db8::10", 0);
  l.v4("lo", IFF_UP | IFF_LOOPBACK, "127.0.0.1");
  l.v4("eth0:1", IFF_UP, "192.168.1.10");   // the same address twice
  std::vector<Endpoint> v = local_endpoints(l.head(), 3210);
  LONGS_EQUAL(3, v.size());
  CHECK(has(v, ep(4, "192.168.1.10", 3210)));
  CHECK(has(v, ep(6, "2001:db8::10", 3210)));
  CHECK(has(v, ep(4, "127.0.0.1", 3210)));
  CHECK(!has(v, ep(4, "192.168.1.10", 3211)));
  LONGS_EQUAL(0, local_endpoints(nullptr, 3210).size());
}

TEST(LocalAddrs, AScanReadsThePortFromTheSocketAndFindsLoopback) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  CHECK(fd.get() >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  socklen_t len = sizeof sa;
  CHECK(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) == 0);
  std::vector<Endpoint> v = scan_local_endpoints(fd.get(), 0);
  CHECK(has(v, ep(4, "127.0.0.1", ntohs(sa.sin_port))));
}

TEST(LocalAddrs, ALinksDeviceLimitsTheAddressesToThatInterface) {
  IfList l;
  l.v4("eth0", IFF_UP, "192.168.1.10");
  l.v4("wwan0", IFF_UP, "100.64.3.7");
  l.v6("wwan0", IFF_UP, "2001:db8:77::7", 0);
  std::vector<Endpoint> v = local_endpoints(l.head(), 3210, "wwan0");
  LONGS_EQUAL(2, v.size());
  CHECK(has(v, ep(4, "100.64.3.7", 3210)));
  CHECK(has(v, ep(6, "2001:db8:77::7", 3210)));
  LONGS_EQUAL(0, local_endpoints(l.head(), 3210, "eth9").size());
  LONGS_EQUAL(3, local_endpoints(l.head(), 3210, "").size());
}

TEST(LocalAddrs, ASocketBoundToOneAddressIsReachedThereAlone) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  std::vector<Endpoint> v = scan_local_endpoints(fd.get(), 4000);
  LONGS_EQUAL(1, v.size());
  CHECK(has(v, ep(4, "127.0.0.1", 4000)));
}
