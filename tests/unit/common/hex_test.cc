// Hex text round trips and rejects.
#include "common/hex.h"

#include <CppUTest/TestHarness.h>

using namespace braid;

TEST_GROUP(Hex) {};

TEST(Hex, RoundTrips) {
  const std::vector<uint8_t> bytes = {0x00, 0x7f, 0x80, 0xff, 0x12};
  STRCMP_EQUAL("007f80ff12", to_hex(bytes).c_str());
  auto back = from_hex("007F80ff12");
  CHECK(back.has_value());
  CHECK(*back == bytes);
}

TEST(Hex, RejectsOddLength) { CHECK_FALSE(from_hex("abc").has_value()); }

TEST(Hex, RejectsNonHexDigit) { CHECK_FALSE(from_hex("0g").has_value()); }

TEST(Hex, EmptyIsEmpty) {
  auto v = from_hex("");
  CHECK(v.has_value());
  CHECK(v->empty());
}
