// The log rate limiter that guards messages remote parties can trigger.
#include "common/log.h"

#include <CppUTest/TestHarness.h>

using namespace braid;

TEST_GROUP(LogLimiter) {};

TEST(LogLimiter, AllowsBurstThenSuppresses) {
  LogLimiter lim(3, 1000);
  uint64_t t = 5000;
  CHECK(lim.allow(t));
  CHECK(lim.allow(t));
  CHECK(lim.allow(t));
  CHECK_FALSE(lim.allow(t));
  CHECK_FALSE(lim.allow(t + 999));
  LONGS_EQUAL(2, lim.suppressed());
}

TEST(LogLimiter, RefillsOnePerInterval) {
  LogLimiter lim(2, 100);
  uint64_t t = 10000;
  CHECK(lim.allow(t));
  CHECK(lim.allow(t));
  CHECK_FALSE(lim.allow(t));
  CHECK(lim.allow(t + 100));
  CHECK_FALSE(lim.allow(t + 150));
  CHECK(lim.allow(t + 1000));
  CHECK(lim.allow(t + 1000));
  CHECK_FALSE(lim.allow(t + 1000));
}
