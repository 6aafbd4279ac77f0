// The receiver's reorder buffer: order restored within the hold, gaps
// given up on time, late and far-ahead packets, keepalive places, and a
// large RTT spread between two paths; every buffer back in the pool.
#include "engine/reorder.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "engine/pool.h"

// Last: its new/delete macros must not reach the standard headers.
#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;

namespace {

constexpr size_t kBuffers = 1024;
constexpr uint64_t kT0 = 10 * kNsPerSec;

// A reorder buffer on a real pool; each packet carries its counter, and
// the deliver callback records it and returns the buffer.
struct Harness {
  BufferPool pool{kBuffers, 64};
  std::vector<uint64_t> out;
  ReorderBuffer rb;

  Harness(size_t slots, uint64_t hold_ns)
      : rb(slots, pool, [this](PacketBuf* b) {
          out.push_back(get_be64(b->data()));
          pool.put(b);
        }) {
    rb.set_hold(hold_ns);
  }

  void push(uint64_t counter, uint64_t now_ns) {
    PacketBuf* b = pool.get(0);
    CHECK(b != nullptr);
    put_be64(b->data(), counter);
    b->len = 8;
    rb.push(counter, b, now_ns);
  }
  void keepalive(uint64_t counter, uint64_t now_ns) { rb.push(counter, nullptr, now_ns); }
  // Takes what was delivered since the last call.
  std::vector<uint64_t> take() {
    std::vector<uint64_t> r;
    r.swap(out);
    return r;
  }
};

std::vector<uint64_t> seq(uint64_t from, uint64_t to) {
  std::vector<uint64_t> r;
  for (uint64_t c = from; c <= to; ++c) r.push_back(c);
  return r;
}

void check_equal(const std::vector<uint64_t>& want, const std::vector<uint64_t>& got) {
  LONGS_EQUAL(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) UNSIGNED_LONGLONGS_EQUAL(want[i], got[i]);
}

struct Arrival {
  uint64_t at_ns;
  uint64_t counter;
  bool operator<(const Arrival& o) const {
    return at_ns != o.at_ns ? at_ns < o.at_ns : counter < o.counter;
  }
};

// What a run of arrivals gave: delivered counters and the checks made on
// the way.
struct RunResult {
  std::vector<uint64_t> out;
  ReorderBuffer::Stats stats;
  size_t max_held = 0;
};

// Plays arrivals (sorted by time) into a buffer as the node would: the
// timer fires at deadline(), packets are pushed as they come. After every
// call, held() and deadline() must match a model of what was pushed and
// not yet delivered: the deadline is the oldest arrival plus the hold, and
// nothing ever waits longer than the hold.
RunResult play(const std::vector<Arrival>& arrivals, size_t slots, uint64_t hold_ns) {
  BufferPool pool(kBuffers, 64);
  RunResult r;
  std::map<uint64_t, uint64_t> waiting;   // counter -> arrival
  uint64_t now = 0;
  ReorderBuffer rb(slots, pool, [&](PacketBuf* b) {
    uint64_t c = get_be64(b->data());
    auto it = waiting.find(c);
    CHECK(it != waiting.end());
    // Released no later than its hold.
    CHECK(now - it->second <= hold_ns);
    waiting.erase(it);
    r.out.push_back(c);
    pool.put(b);
  });
  rb.set_hold(hold_ns);
  auto check_model = [&]() {
    LONGS_EQUAL(waiting.size(), rb.held());
    r.max_held = std::max(r.max_held, rb.held());
    if (waiting.empty()) {
      UNSIGNED_LONGLONGS_EQUAL(UINT64_MAX, rb.deadline());
      return;
    }
    uint64_t oldest = UINT64_MAX;
    for (const auto& [c, at] : waiting) oldest = std::min(oldest, at);
    UNSIGNED_LONGLONGS_EQUAL(oldest + hold_ns, rb.deadline());
    CHECK(rb.deadline() > now);
  };
  auto run_timer_until = [&](uint64_t t) {
    while (rb.deadline() <= t) {
      now = rb.deadline();
      rb.poll(now);
      check_model();
    }
  };
  for (const Arrival& a : arrivals) {
    run_timer_until(a.at_ns);
    now = a.at_ns;
    PacketBuf* b = pool.get(0);
    CHECK(b != nullptr);
    put_be64(b->data(), a.counter);
    b->len = 8;
    waiting[a.counter] = now;
    rb.push(a.counter, b, now);
    check_model();
  }
  run_timer_until(UINT64_MAX - 1);
  LONGS_EQUAL(0, rb.held());
  CHECK(waiting.empty());
  LONGS_EQUAL(kBuffers, pool.available());
  r.stats = rb.stats();
  return r;
}

}  // namespace

TEST_GROUP(ReorderBuffer) {};

TEST(ReorderBuffer, InOrderPacketsPassStraightThrough) {
  Harness h(64, 50 * kNsPerMs);
  for (uint64_t c = 100; c < 300; ++c) {
    h.push(c, kT0 + c * 1000);
    LONGS_EQUAL(0, h.rb.held());
    UNSIGNED_LONGLONGS_EQUAL(UINT64_MAX, h.rb.deadline());
  }
  check_equal(seq(100, 299), h.take());
  UNSIGNED_LONGLONGS_EQUAL(200, h.rb.stats().in_order);
  UNSIGNED_LONGLONGS_EQUAL(0, h.rb.stats().reordered);
  UNSIGNED_LONGLONGS_EQUAL(0, h.rb.stats().gaps_skipped);
  LONGS_EQUAL(kBuffers, h.pool.available());
}

TEST(ReorderBuffer, OneSwapIsRestored) {
  Harness h(16, 50 * kNsPerMs);
  h.push(0, kT0);
  h.push(2, kT0 + 1);
  check_equal({0}, h.take());
  LONGS_EQUAL(1, h.rb.held());
  h.push(1, kT0 + 2);
  h.push(3, kT0 + 3);
  check_equal({1, 2, 3}, h.take());
  LONGS_EQUAL(0, h.rb.held());
  UNSIGNED_LONGLONGS_EQUAL(3, h.rb.stats().in_order);
  UNSIGNED_LONGLONGS_EQUAL(1, h.rb.stats().reordered);
  UNSIGNED_LONGLONGS_EQUAL(0, h.rb.stats().gaps_skipped);
}

TEST(ReorderBuffer, ALossIsReleasedAfterExactlyTheHoldNotBefore) {
  const uint64_t hold = 10 * kNsPerMs;
  Harness h(16, hold);
  h.push(0, kT0);
  h.push(2, kT0 + kNsPerMs);       // 1 is lost
  h.push(3, kT0 + 2 * kNsPerMs);
  UNSIGNED_LONGLONGS_EQUAL(kT0 + kNsPerMs + hold, h.rb.deadline());
  h.rb.poll(kT0 + kNsPerMs + hold - 1);
  check_equal({0}, h.take());
  LONGS_EQUAL(2, h.rb.held());
  h.rb.poll(kT0 + kNsPerMs + hold);
  check_equal({2, 3}, h.take());
  LONGS_EQUAL(0, h.rb.held());
  UNSIGNED_LONGLONGS_EQUAL(UINT64_MAX, h.rb.deadline());
  UNSIGNED_LONGLONGS_EQUAL(1, h.rb.stats().gaps_skipped);
  UNSIGNED_LONGLONGS_EQUAL(2, h.rb.stats().reordered);
}

TEST(ReorderBuffer, SeveralGapsAreGivenUpEachWhenWhatFollowsItHasWaitedTheHold) {
  const uint64_t hold = 10 * kNsPerMs;
  Harness h(32, hold);
  h.push(0, kT0);
  h.push(2, kT0 + 1 * kNsPerMs);   // gap: 1
  h.push(3, kT0 + 1 * kNsPerMs);
  h.push(6, kT0 + 5 * kNsPerMs);   // gap: 4, 5
  h.push(9, kT0 + 7 * kNsPerMs);   // gap: 7, 8
  UNSIGNED_LONGLONGS_EQUAL(kT0 + 11 * kNsPerMs, h.rb.deadline());
  h.rb.poll(kT0 + 11 * kNsPerMs);
  check_equal({0, 2, 3}, h.take());
  // The next gap's hold runs from the arrival of what waits behind it.
  UNSIGNED_LONGLONGS_EQUAL(kT0 + 15 * kNsPerMs, h.rb.deadline());
  h.push(4, kT0 + 12 * kNsPerMs);  // 5 still missing
  check_equal({4}, h.take());
  h.rb.poll(kT0 + 15 * kNsPerMs);
  check_equal({6}, h.take());
  UNSIGNED_LONGLONGS_EQUAL(kT0 + 17 * kNsPerMs, h.rb.deadline());
  h.rb.poll(kT0 + 17 * kNsPerMs);
  check_equal({9}, h.take());
  UNSIGNED_LONGLONGS_EQUAL(3, h.rb.stats().gaps_skipped);
}

TEST(ReorderBuffer, NoPacketWaitsLongerThanTheHoldEvenBehindAGapFilledLater) {
  // 9 came first on the fast path, 2 later on a slow one: when 9 has
  // waited the hold, both gaps in front of it are given up at once.
  const uint64_t hold = 10 * kNsPerMs;
  Harness h(32, hold);
  h.push(0, kT0);
  h.push(9, kT0 + 1 * kNsPerMs);
  h.push(2, kT0 + 6 * kNsPerMs);
  UNSIGNED_LONGLONGS_EQUAL(kT0 + 11 * kNsPerMs, h.rb.deadline());
  h.rb.poll(kT0 + 11 * kNsPerMs - 1);
  check_equal({0}, h.take());
  h.rb.poll(kT0 + 11 * kNsPerMs);
  check_equal({2, 9}, h.take());
  UNSIGNED_LONGLONGS_EQUAL(2, h.rb.stats().gaps_skipped);
}

TEST(ReorderBuffer, KeepalivePlacesFillGapsAndDeliverNothing) {
  Harness h(16, 50 * kNsPerMs);
  h.push(0, kT0);
  h.push(2, kT0 + 1);
  h.keepalive(1, kT0 + 2);          // fills the gap in front of 2
  check_equal({0, 2}, h.take());
  h.keepalive(4, kT0 + 3);          // held place, behind a gap at 3
  h.push(5, kT0 + 4);
  LONGS_EQUAL(2, h.rb.held());
  check_equal({}, h.take());
  h.push(3, kT0 + 5);
  check_equal({3, 5}, h.take());
  LONGS_EQUAL(0, h.rb.held());
  UNSIGNED_LONGLONGS_EQUAL(0, h.rb.stats().gaps_skipped);
  // A keepalive is all a gap is waiting behind: the gap is still given up
  // after the hold, and nothing is delivered for it.
  h.keepalive(7, kT0 + kNsPerMs);
  UNSIGNED_LONGLONGS_EQUAL(kT0 + 51 * kNsPerMs, h.rb.deadline());
  h.rb.poll(kT0 + 51 * kNsPerMs);
  check_equal({}, h.take());
  LONGS_EQUAL(0, h.rb.held());
  h.push(8, kT0 + 52 * kNsPerMs);
  check_equal({8}, h.take());
  LONGS_EQUAL(kBuffers, h.pool.available());
}

TEST(ReorderBuffer, LatePacketsAreDeliveredAtOnceAndCounted) {
  const uint64_t hold = 5 * kNsPerMs;
  Harness h(16, hold);
  h.push(0, kT0);
  h.push(3, kT0);
  h.rb.poll(kT0 + hold);
  check_equal({0, 3}, h.take());
  h.push(1, kT0 + hold + 1);
  check_equal({1}, h.take());
  h.keepalive(2, kT0 + hold + 2);   // late and carrying nothing: nothing
  check_equal({}, h.take());
  h.push(4, kT0 + hold + 3);
  check_equal({4}, h.take());
  UNSIGNED_LONGLONGS_EQUAL(1, h.rb.stats().late);
  UNSIGNED_LONGLONGS_EQUAL(2, h.rb.stats().in_order);
  LONGS_EQUAL(kBuffers, h.pool.available());
}

TEST(ReorderBuffer, APacketMoreThanSlotsAheadGivesUpTheOldestPlaces) {
  Harness h(16, kNsPerSec);
  h.push(0, kT0);
  for (uint64_t c = 2; c <= 10; ++c) h.push(c, kT0 + c);   // 1 is missing
  check_equal({0}, h.take());
  // 20 fits only once the next expected counter is past 4: 2..4 are
  // released early, and 5..10 follow in a row.
  h.push(20, kT0 + 100);
  check_equal(seq(2, 10), h.take());
  LONGS_EQUAL(1, h.rb.held());
  UNSIGNED_LONGLONGS_EQUAL(1, h.rb.stats().overflow);
  for (uint64_t c = 11; c < 20; ++c) h.push(c, kT0 + 200);
  check_equal(seq(11, 20), h.take());
  // Far, far ahead: nothing to walk over, the sequence jumps.
  h.push(25, kT0 + 300);
  h.push(1ull << 40, kT0 + 400);
  check_equal({25}, h.take());
  UNSIGNED_LONGLONGS_EQUAL(2, h.rb.stats().overflow);
  h.push((1ull << 40) - 16, kT0 + 500);  // its place is given up: late
  check_equal({(1ull << 40) - 16}, h.take());
  UNSIGNED_LONGLONGS_EQUAL(1, h.rb.stats().late);
  h.rb.flush();
  check_equal({1ull << 40}, h.take());
  LONGS_EQUAL(kBuffers, h.pool.available());
}

TEST(ReorderBuffer, FlushDeliversInOrderAndStartsANewSequence) {
  Harness h(16, kNsPerSec);
  h.push(5, kT0);
  h.push(9, kT0 + 1);
  h.keepalive(8, kT0 + 2);
  h.push(7, kT0 + 3);
  check_equal({5}, h.take());
  LONGS_EQUAL(3, h.rb.held());
  h.rb.flush();
  check_equal({7, 9}, h.take());
  LONGS_EQUAL(0, h.rb.held());
  UNSIGNED_LONGLONGS_EQUAL(UINT64_MAX, h.rb.deadline());
  // A new keypair starts again from its own first counter.
  h.push(0, kT0 + 10);
  h.push(1, kT0 + 11);
  check_equal({0, 1}, h.take());
  UNSIGNED_LONGLONGS_EQUAL(0, h.rb.stats().late);
  LONGS_EQUAL(kBuffers, h.pool.available());
}

TEST(ReorderBuffer, HoldZeroHoldsNothing) {
  Harness h(16, 0);
  h.push(0, kT0);
  h.push(3, kT0);
  h.push(1, kT0);
  h.push(2, kT0);
  h.keepalive(4, kT0);
  h.push(6, kT0);
  h.push(100, kT0);
  check_equal({0, 3, 1, 2, 6, 100}, h.take());
  LONGS_EQUAL(0, h.rb.held());
  UNSIGNED_LONGLONGS_EQUAL(3, h.rb.stats().gaps_skipped);
  UNSIGNED_LONGLONGS_EQUAL(2, h.rb.stats().late);
  UNSIGNED_LONGLONGS_EQUAL(0, h.rb.stats().overflow);
}

TEST(ReorderBuffer, ALoweredHoldAppliesToWhatIsAlreadyHeld) {
  Harness h(16, kNsPerSec);
  h.push(0, kT0);
  h.push(2, kT0);
  h.push(3, kT0);
  h.rb.set_hold(0);
  h.push(5, kT0 + 1);
  check_equal({0, 2, 3, 5}, h.take());
  LONGS_EQUAL(0, h.rb.held());
}

TEST(ReorderBuffer, ASecondCopyOfAHeldCounterGoesBackToThePool) {
  Harness h(16, kNsPerSec);
  h.push(0, kT0);
  h.push(2, kT0);
  h.push(2, kT0 + 1);
  UNSIGNED_LONGLONGS_EQUAL(1, h.rb.stats().duplicates);
  LONGS_EQUAL(1, h.rb.held());
  LONGS_EQUAL(kBuffers - 1, h.pool.available());
  h.push(1, kT0 + 2);
  check_equal({0, 1, 2}, h.take());
  LONGS_EQUAL(kBuffers, h.pool.available());
}

TEST(ReorderBuffer, ASecondCopyOfAHeldCounterUnderHoldZeroIsNotDeliveredTwice) {
  Harness h(16, kNsPerSec);
  h.push(0, kT0);
  h.push(2, kT0);
  h.rb.set_hold(0);
  h.push(2, kT0 + 1);
  check_equal({0, 2}, h.take());
  UNSIGNED_LONGLONGS_EQUAL(1, h.rb.stats().duplicates);
  LONGS_EQUAL(0, h.rb.held());
  h.push(3, kT0 + 2);
  check_equal({3}, h.take());
  LONGS_EQUAL(kBuffers, h.pool.available());
}

TEST(ReorderBuffer, SlotsAreAPowerOfTwoOfAtLeastSixteen) {
  BufferPool pool(4, 64);
  auto none = [](PacketBuf*) {};
  LONGS_EQUAL(16, ReorderBuffer(0, pool, none).slots());
  LONGS_EQUAL(16, ReorderBuffer(16, pool, none).slots());
  LONGS_EQUAL(128, ReorderBuffer(100, pool, none).slots());
}

TEST(ReorderBuffer, TwoPathsFortyMillisecondsApartComeOutInOrderWithNothingSkipped) {
  // 5000 packets/s spread over two paths, every other packet on each; the
  // second path is 40 ms slower. The hold (60 ms) covers the spread.
  const uint64_t spacing = kNsPerSec / 5000;
  const uint64_t n = 5 * 5000;
  std::vector<Arrival> arrivals;
  for (uint64_t c = 0; c < n; ++c) {
    uint64_t delay = (c % 2 == 0 ? 5 : 45) * kNsPerMs;
    arrivals.push_back({kT0 + c * spacing + delay, c});
  }
  std::sort(arrivals.begin(), arrivals.end());
  RunResult r = play(arrivals, 256, 60 * kNsPerMs);
  check_equal(seq(0, n - 1), r.out);
  UNSIGNED_LONGLONGS_EQUAL(0, r.stats.gaps_skipped);
  UNSIGNED_LONGLONGS_EQUAL(0, r.stats.late);
  UNSIGNED_LONGLONGS_EQUAL(0, r.stats.overflow);
  // 40 ms at 5000 packets/s: the fast path is about 100 packets ahead.
  CHECK(r.max_held >= 95 && r.max_held <= 105);
  CHECK(r.stats.reordered > n / 2 - 200);
}

namespace {

// Counters sent every 100 us, 5% lost, each delayed by 0..3 ms at random:
// the order within a few dozen packets is shuffled.
std::vector<Arrival> jittered_with_loss(uint64_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Arrival> arrivals;
  // The first packet comes first and defines the sequence.
  arrivals.push_back({kT0, 0});
  for (uint64_t c = 1; c < n; ++c) {
    if (rng() % 100 < 5) continue;
    arrivals.push_back({kT0 + c * 100'000 + rng() % (3 * kNsPerMs), c});
  }
  std::sort(arrivals.begin(), arrivals.end());
  return arrivals;
}

// How many delivered counters were not above every one delivered before.
uint64_t out_of_order(const std::vector<uint64_t>& out) {
  uint64_t count = 0, top = 0;
  bool any = false;
  for (uint64_t c : out) {
    if (any && c <= top) ++count;
    else top = c;
    any = true;
  }
  return count;
}

}  // namespace

TEST(ReorderBuffer, ShuffledPacketsWithLossComeOutInOrderWhenTheHoldCoversTheShuffle) {
  std::vector<Arrival> arrivals = jittered_with_loss(20000, 1);
  RunResult r = play(arrivals, 128, 4 * kNsPerMs);
  LONGS_EQUAL(arrivals.size(), r.out.size());
  UNSIGNED_LONGLONGS_EQUAL(0, out_of_order(r.out));
  UNSIGNED_LONGLONGS_EQUAL(0, r.stats.late);
  UNSIGNED_LONGLONGS_EQUAL(0, r.stats.overflow);
  // Every loss is a gap given up (neighbouring losses make one gap).
  CHECK(r.stats.gaps_skipped > 800 && r.stats.gaps_skipped <= 20000 - arrivals.size());
}

TEST(ReorderBuffer, ShuffledPacketsWithLossAreOutOfOrderOnlyWhenCountedLate) {
  // A hold shorter than the shuffle: some packets come after their place
  // was given up.
  for (uint32_t seed = 2; seed < 6; ++seed) {
    std::vector<Arrival> arrivals = jittered_with_loss(20000, seed);
    RunResult r = play(arrivals, 64, 1 * kNsPerMs);
    LONGS_EQUAL(arrivals.size(), r.out.size());
    CHECK(r.stats.late > 0);
    UNSIGNED_LONGLONGS_EQUAL(r.stats.late, out_of_order(r.out));
    UNSIGNED_LONGLONGS_EQUAL(arrivals.size(),
                             r.stats.in_order + r.stats.reordered + r.stats.late);
  }
}

TEST(ReorderBuffer, GapsBelowWhatEveryPathHasPassedAreGivenUpAtOnce) {
  Harness h(64, 100 * kNsPerMs);
  h.push(0, kT0);
  h.push(2, kT0);   // 1 missing
  h.push(3, kT0);
  h.push(5, kT0);   // 4 missing
  check_equal({0}, h.take());
  // Every path is past 4: 1 and 4 are lost, well before the hold.
  h.rb.give_up_below(5);
  check_equal({2, 3, 5}, h.take());
  UNSIGNED_LONGLONGS_EQUAL(2, h.rb.stats().gaps_lost);
  LONGS_EQUAL(0, h.rb.held());
  // Below what was released, or with nothing held: nothing happens.
  h.rb.give_up_below(3);
  h.rb.give_up_below(100);
  h.push(6, kT0);
  check_equal({6}, h.take());
  // A late one is still delivered.
  h.push(4, kT0);
  check_equal({4}, h.take());
  LONGS_EQUAL(kBuffers, h.pool.available());
}

TEST(ReorderBuffer, GivingUpBelowAGapStillHoldsWhatIsPastIt) {
  Harness h(64, 100 * kNsPerMs);
  h.push(0, kT0);
  h.push(2, kT0);
  h.push(5, kT0);
  h.rb.give_up_below(3);   // 1 lost; 3 and 4 may still come
  check_equal({0, 2}, h.take());
  LONGS_EQUAL(1, h.rb.held());
  h.push(3, kT0);
  h.push(4, kT0);
  check_equal({3, 4, 5}, h.take());
}
