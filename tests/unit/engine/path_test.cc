// A path's probe state machine on a fake clock: up at the first answer,
// down within three probe intervals of silence, back by itself, degraded
// by loss counted on this path alone.
#include "engine/path.h"

#include "common/clock.h"

// Last: its new/delete macros must not reach the standard headers.
#include <CppUTest/TestHarness.h>

using namespace braid;
using namespace braid::engine;

namespace {

constexpr uint64_t kInterval = 100 * kNsPerMs;
constexpr uint64_t kRtt = 20 * kNsPerMs;

// Drives one monitor: probes every interval while `answering`, each
// answered one RTT later with the packets the other side counted.
struct Driver {
  PathMonitor m{kInterval, PathTolerance{100, 0}};
  uint64_t now = 10 * kNsPerSec;
  uint64_t tx = 0, rx = 0;
  bool answering = true;
  double delivered = 1.0;   // share of data packets that arrive
  double carry = 0;

  // One interval: `packets` data packets, then a probe (answered or not).
  void step(uint64_t packets = 0) {
    tx += packets;
    carry += static_cast<double>(packets) * delivered;
    uint64_t whole = static_cast<uint64_t>(carry);
    rx += whole;
    carry -= static_cast<double>(whole);
    uint64_t sent_at = now;
    uint32_t seq = m.on_sent(now, tx);
    ++tx;
    if (answering) {
      CHECK_TRUE(m.on_answer(seq, sent_at, rx, now + kRtt));
      ++rx;
    }
    now += kInterval;
    m.check(now);
  }
};

}  // namespace

TEST_GROUP(PathMonitor) {};

TEST(PathMonitor, APathIsDownUntilItsFirstProbeIsAnswered) {
  PathMonitor m(kInterval, PathTolerance{});
  CHECK(m.state() == PathState::kDown);
  CHECK_FALSE(m.ever_up());
  uint32_t seq = m.on_sent(kNsPerSec, 0);
  CHECK_TRUE(m.on_answer(seq, kNsPerSec, 0, kNsPerSec + kRtt));
  CHECK(m.state() == PathState::kUp);
  UNSIGNED_LONGLONGS_EQUAL(kRtt, m.srtt_ns());
  CHECK_TRUE(m.check(kNsPerSec + kRtt));    // the change is reported once
  CHECK_FALSE(m.check(kNsPerSec + kRtt));
}

TEST(PathMonitor, AnAnswerToNoProbeOfOursChangesNothing) {
  PathMonitor m(kInterval, PathTolerance{});
  uint32_t seq = m.on_sent(kNsPerSec, 0);
  CHECK_FALSE(m.on_answer(seq + 1, kNsPerSec, 0, kNsPerSec + kRtt));
  CHECK_FALSE(m.on_answer(seq, kNsPerSec + 1, 0, kNsPerSec + kRtt));   // wrong echo
  CHECK_FALSE(m.on_answer(0, 0, 0, kNsPerSec));
  CHECK(m.state() == PathState::kDown);
}

TEST(PathMonitor, SilenceTakesAPathDownWithinThreeProbeIntervals) {
  Driver d;
  for (int i = 0; i < 20; ++i) d.step(50);
  CHECK(d.m.state() == PathState::kUp);
  // The path dies just after a probe was answered.
  uint64_t died = d.now;
  d.answering = false;
  while (d.m.state() != PathState::kDown) {
    d.step(50);
    CHECK(d.now - died <= 3 * kInterval + 2 * kRtt + kInterval);
  }
  // Checked each interval; between checks it goes down no later than this.
  CHECK(d.m.last_change_ns() - died <= 4 * kInterval);
  CHECK(d.m.last_change_ns() - died > 2 * kInterval);
}

TEST(PathMonitor, TwoLostProbesDoNotTakeAPathDown) {
  Driver d;
  for (int i = 0; i < 20; ++i) d.step(50);
  d.answering = false;
  d.step(50);
  d.step(50);
  d.answering = true;
  for (int i = 0; i < 5; ++i) {
    d.step(50);
    CHECK(d.m.state() != PathState::kDown);
  }
}

TEST(PathMonitor, ADownPathComesBackAtItsNextAnsweredProbe) {
  Driver d;
  for (int i = 0; i < 10; ++i) d.step(50);
  d.answering = false;
  for (int i = 0; i < 10; ++i) d.step(50);
  CHECK(d.m.state() == PathState::kDown);
  d.answering = true;
  d.step(50);
  CHECK(d.m.usable());
}

TEST(PathMonitor, LossOnThePathOverToleranceDegradesItAndItsEndRestoresIt) {
  Driver d;
  for (int i = 0; i < 20; ++i) d.step(100);
  UNSIGNED_LONGS_EQUAL(0, d.m.loss_permille());
  d.delivered = 0.8;   // 20% of data lost, probes answered
  for (int i = 0; i < 20; ++i) d.step(100);
  CHECK(d.m.state() == PathState::kDegraded);
  CHECK(d.m.loss_permille() > 150 && d.m.loss_permille() < 250);
  d.delivered = 1.0;
  for (int i = 0; i < 20; ++i) d.step(100);
  CHECK(d.m.state() == PathState::kUp);
}

TEST(PathMonitor, LatencyOverToleranceDegrades) {
  PathMonitor m(kInterval, PathTolerance{100, 50 * kNsPerMs});
  uint64_t now = kNsPerSec;
  for (int i = 0; i < 10; ++i) {
    uint32_t s = m.on_sent(now, 0);
    m.on_answer(s, now, 0, now + 80 * kNsPerMs);
    now += kInterval;
  }
  CHECK(m.state() == PathState::kDegraded);
}

TEST(PathMonitor, TheOtherSideCountingAfreshIsNotLoss) {
  Driver d;
  for (int i = 0; i < 20; ++i) d.step(100);
  d.rx = 0;   // it restarted its count
  for (int i = 0; i < 3; ++i) d.step(100);
  UNSIGNED_LONGS_EQUAL(0, d.m.loss_permille());
  CHECK(d.m.state() == PathState::kUp);
}

TEST(PathMonitor, ProbesGoEveryIntervalWhileActiveAndRarelyWhenIdle) {
  Driver d;
  d.step();
  uint64_t last = d.now - kInterval;
  UNSIGNED_LONGLONGS_EQUAL(last + kInterval, d.m.next_probe_ns(true));
  UNSIGNED_LONGLONGS_EQUAL(last + kIdleProbeNs, d.m.next_probe_ns(false));
}

TEST(PathMonitor, APathThatNeverAnsweredBacksOffToTheMaximum) {
  PathMonitor m(kInterval, PathTolerance{});
  uint64_t now = kNsPerSec;
  UNSIGNED_LONGLONGS_EQUAL(0, m.next_probe_ns(true));
  uint64_t prev_wait = 0;
  for (int i = 0; i < 12; ++i) {
    m.on_sent(now, 0);
    uint64_t wait = m.next_probe_ns(true) - now;
    CHECK(wait >= prev_wait);
    CHECK(wait <= kMaxProbeBackoffNs);
    prev_wait = wait;
    now += wait;
  }
  UNSIGNED_LONGLONGS_EQUAL(kMaxProbeBackoffNs, prev_wait);
}

TEST(PathMonitor, SrttFollowsRfc6298) {
  PathMonitor m(kInterval, PathTolerance{});
  uint64_t now = kNsPerSec;
  uint32_t s = m.on_sent(now, 0);
  m.on_answer(s, now, 0, now + 100 * kNsPerMs);
  UNSIGNED_LONGLONGS_EQUAL(100 * kNsPerMs, m.srtt_ns());
  UNSIGNED_LONGLONGS_EQUAL(50 * kNsPerMs, m.rttvar_ns());
  now += kInterval;
  s = m.on_sent(now, 0);
  m.on_answer(s, now, 0, now + 20 * kNsPerMs);
  // rttvar = 3/4 * 50 + 1/4 * |100 - 20| = 57.5; srtt = 7/8 * 100 + 1/8 * 20 = 90
  UNSIGNED_LONGLONGS_EQUAL(57500 * 1000ull, m.rttvar_ns());
  UNSIGNED_LONGLONGS_EQUAL(90 * kNsPerMs, m.srtt_ns());
}

TEST(PathMonitor, TheLeastRoundTripIsForgottenAfterItsWindows) {
  PathMonitor m(kInterval, PathTolerance{});
  uint64_t now = kNsPerSec;
  auto probe = [&](uint64_t rtt) {
    uint32_t s = m.on_sent(now, 0);
    m.on_answer(s, now, 0, now + rtt);
    now += kInterval;
  };
  probe(5 * kNsPerMs);
  UNSIGNED_LONGLONGS_EQUAL(5 * kNsPerMs, m.min_rtt_ns());
  // The route gets longer for good: 25 ms from now on.
  for (int i = 0; i < 150; ++i) probe(25 * kNsPerMs);   // 15 s
  UNSIGNED_LONGLONGS_EQUAL(5 * kNsPerMs, m.min_rtt_ns());
  for (int i = 0; i < 100; ++i) probe(25 * kNsPerMs);   // 10 s more
  UNSIGNED_LONGLONGS_EQUAL(25 * kNsPerMs, m.min_rtt_ns());
}
