// Device arithmetic that needs no privilege: overhead and the underlay
// MTU estimate.
#include "priv/device.h"

#include <CppUTest/TestHarness.h>

using namespace braid::priv;

TEST_GROUP(Device) {};

TEST(Device, OverheadIsIpv6UdpHeaderAndTag) {
  LONGS_EQUAL(81, tunnel_overhead(false));
  LONGS_EQUAL(95, tunnel_overhead(true));
}

TEST(Device, UnderlayMtuIsAtLeastTheIpv6Minimum) {
  uint32_t mtu = underlay_mtu("");
  CHECK(mtu >= 1280);
}

TEST(Device, OverlongNameIsRefusedBeforeOpening) {
  std::string ifname, error;
  auto fd = open_device("/dev/null", false, "a-name-much-too-long", &ifname, &error);
  CHECK_FALSE(fd.valid());
  CHECK(error.find("1 to 15 characters") != std::string::npos);
}

TEST(Device, MissingDevicePathIsAClearError) {
  std::string ifname, error;
  auto fd = open_device("/nonexistent/tun", false, "braid%d", &ifname, &error);
  CHECK_FALSE(fd.valid());
  CHECK(error.find("/nonexistent/tun") != std::string::npos);
}
