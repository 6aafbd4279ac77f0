// The link pacer: a byte token bucket, exact over long runs.
#include "engine/pacer.h"

#include "common/clock.h"

// Last: its new/delete macros must not reach the standard headers.
#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;

TEST_GROUP(Pacer) {};

TEST(Pacer, AFullBurstGoesAtOnceThenNothingUntilTheRateRefillsIt) {
  Pacer p(1000, 3000);
  const uint64_t t0 = 5 * kNsPerSec;
  CHECK(p.take(3000, t0));
  CHECK_FALSE(p.take(1, t0));
  // 1000 B/s: 100 bytes take 100 ms, not a nanosecond less.
  UNSIGNED_LONGLONGS_EQUAL(t0 + 100 * kNsPerMs, p.ready_at(100, t0));
  CHECK_FALSE(p.take(100, t0 + 100 * kNsPerMs - 1));
  CHECK(p.take(100, t0 + 100 * kNsPerMs));
  // Never more than the burst, however long the quiet.
  UNSIGNED_LONGLONGS_EQUAL(3000, p.available(t0 + 3600 * kNsPerSec));
  UNSIGNED_LONGLONGS_EQUAL(UINT64_MAX, p.ready_at(3001, t0 + 3600 * kNsPerSec));
}

TEST(Pacer, ARateThatIsNotAWholeNumberOfBytesPerNanosecondLosesNothing) {
  // 7 B/s refilled every millisecond: each step is 0.007 bytes; a pacer
  // that rounded each step would never refill at all.
  Pacer p(7, 1000);
  uint64_t t = kNsPerSec;
  CHECK(p.take(1000, t));
  for (int i = 0; i < 10000; ++i) {
    t += kNsPerMs;
    p.available(t);
  }
  UNSIGNED_LONGLONGS_EQUAL(70, p.available(t));
}

TEST(Pacer, PacketsSentWhenReadyAddUpToTheRate) {
  // 100 Mbit/s, 1400-byte packets, each sent the moment it may go, for 60
  // simulated seconds: the bytes sent are the rate's, within one burst.
  const uint64_t rate = 100'000'000 / 8, burst = 16 * 1400;
  Pacer p(rate, burst);
  uint64_t t = 0, sent = 0;
  const uint64_t end = 60 * kNsPerSec;
  while (true) {
    uint64_t at = p.ready_at(1400, t);
    if (at > end) break;
    t = at;
    CHECK(p.take(1400, t));
    sent += 1400;
  }
  CHECK(sent <= rate * 60 + burst);
  CHECK(sent + 1400 >= rate * 60);
}

TEST(Pacer, ANewRateKeepsWhatTheBucketHoldsUpToTheNewBurst) {
  Pacer p(1000, 5000);
  CHECK(p.take(1000, kNsPerSec));   // 4000 left
  p.set_rate(2000, 2500);
  UNSIGNED_LONGLONGS_EQUAL(2500, p.available(kNsPerSec));
  CHECK(p.take(2500, kNsPerSec));
  UNSIGNED_LONGLONGS_EQUAL(kNsPerSec + 500 * kNsPerMs, p.ready_at(1000, kNsPerSec));
}

TEST(Pacer, AClockThatGoesBackAddsNothing) {
  Pacer p(1000, 1000);
  CHECK(p.take(1000, 10 * kNsPerSec));
  UNSIGNED_LONGLONGS_EQUAL(0, p.available(9 * kNsPerSec));
  UNSIGNED_LONGLONGS_EQUAL(0, p.available(10 * kNsPerSec));
  UNSIGNED_LONGLONGS_EQUAL(500, p.available(10 * kNsPerSec + 500 * kNsPerMs));
}

TEST(Pacer, TenGigabitsForAnHourDoesNotOverflow) {
  Pacer p(10'000'000'000ull / 8, 1'000'000);
  CHECK(p.take(1'000'000, 0));
  UNSIGNED_LONGLONGS_EQUAL(1'000'000, p.available(3600 * kNsPerSec));
}

TEST(Pacer, ChargedBytesBeyondTheBucketAreADebtThatDelaysTheNext) {
  Pacer p(1000, 1500);   // 1000 bytes/s
  const uint64_t kT0 = 5 * kNsPerSec;
  CHECK_TRUE(p.take(1500, kT0));
  p.charge(500, kT0);    // a priority packet on an empty bucket
  // The debt is paid first: 500 bytes after 0.5 s, then 100 more.
  UNSIGNED_LONGLONGS_EQUAL(kT0 + 600 * kNsPerMs, p.ready_at(100, kT0));
  CHECK_FALSE(p.take(100, kT0 + 599 * kNsPerMs));
  CHECK_TRUE(p.take(100, kT0 + 600 * kNsPerMs));
  UNSIGNED_LONGLONGS_EQUAL(0, p.available(kT0 + 600 * kNsPerMs));
}
