// The replay window: each counter accepted once, a window of kWindow behind
// the highest counter seen, and the counters Noise reserves refused.
#include "engine/replay.h"

#include <CppUTest/TestHarness.h>

#include <cstdint>

using braid::engine::ReplayWindow;

namespace {
constexpr uint64_t kWindow = ReplayWindow::kWindow;
}

TEST_GROUP(ReplayWindow) {
  ReplayWindow w;
};

TEST(ReplayWindow, AcceptsCountersInOrder) {
  for (uint64_t c = 0; c < 3 * kWindow; ++c) CHECK(w.accept(c));
}

TEST(ReplayWindow, RefusesEveryDuplicate) {
  for (uint64_t c = 0; c < 200; ++c) CHECK(w.accept(c));
  for (uint64_t c = 0; c < 200; ++c) CHECK_FALSE(w.accept(c));
}

TEST(ReplayWindow, AcceptsCounterZeroOnceAsTheFirstPacket) {
  CHECK(w.accept(0));
  CHECK_FALSE(w.accept(0));
  CHECK(w.accept(1));
}

TEST(ReplayWindow, AcceptsCounterZeroArrivingAfterLaterOnes) {
  CHECK(w.accept(5));
  CHECK(w.accept(0));
  CHECK_FALSE(w.accept(0));
}

TEST(ReplayWindow, AcceptsOutOfOrderCountersWithinTheWindowOnce) {
  CHECK(w.accept(1000));
  for (uint64_t c = 999; c > 7; c -= 7) CHECK(w.accept(c));
  for (uint64_t c = 999; c > 7; c -= 7) CHECK_FALSE(w.accept(c));
  CHECK(w.accept(998));
  CHECK_FALSE(w.accept(1000));
}

TEST(ReplayWindow, AcceptsReverseOrderAcrossTheWholeWindow) {
  uint64_t top = 3 * kWindow + 17;
  CHECK(w.accept(top));
  for (uint64_t c = top - 1; c >= top - kWindow; --c) CHECK(w.accept(c));
  CHECK_FALSE(w.accept(top - kWindow - 1));
}

TEST(ReplayWindow, AcceptsExactlyAtTheWindowEdgeAndRefusesOnePast) {
  // Try the edge at every position inside a bitmap word.
  for (uint64_t top = 20000; top < 20000 + 130; ++top) {
    ReplayWindow r;
    CHECK(r.accept(top));
    CHECK_FALSE(r.accept(top - kWindow - 1));
    CHECK(r.accept(top - kWindow));
    CHECK_FALSE(r.accept(top - kWindow));
  }
}

TEST(ReplayWindow, RefusesCountersOlderThanTheWindowAfterAdvancing) {
  CHECK(w.accept(10));
  CHECK(w.accept(10 + kWindow + 1));
  CHECK_FALSE(w.accept(10));
  CHECK_FALSE(w.accept(9));
  CHECK(w.accept(11));
}

TEST(ReplayWindow, ForgetsOldBitsWhenTheWindowSlides) {
  // Counters that were seen long ago must not make new counters that map
  // to the same bitmap word look like duplicates.
  for (uint64_t c = 0; c < 64; ++c) CHECK(w.accept(c));
  uint64_t far = 8192;  // same ring position as 0
  for (uint64_t c = far; c < far + 64; ++c) CHECK(w.accept(c));
  for (uint64_t c = 2 * far; c < 2 * far + 64; ++c) CHECK(w.accept(c));
}

TEST(ReplayWindow, AcceptsHugeJumpsForwardAndRefusesTheOldCounters) {
  CHECK(w.accept(1));
  CHECK(w.accept(1ull << 40));
  CHECK_FALSE(w.accept(1));
  CHECK(w.accept((1ull << 40) - 1));
  CHECK(w.accept(1ull << 62));
  CHECK_FALSE(w.accept(1ull << 40));
  CHECK(w.accept((1ull << 62) - kWindow));
  CHECK_FALSE(w.accept(1ull << 62));
}

TEST(ReplayWindow, AcceptsAHugeFirstCounter) {
  CHECK(w.accept(UINT64_MAX - 2));
  CHECK_FALSE(w.accept(UINT64_MAX - 2));
  CHECK(w.accept(UINT64_MAX - 3));
}

TEST(ReplayWindow, RefusesTheCountersNoiseReserves) {
  CHECK_FALSE(w.accept(UINT64_MAX - 1));
  CHECK_FALSE(w.accept(UINT64_MAX));
  CHECK(w.accept(0));
  CHECK_FALSE(w.accept(UINT64_MAX - 1));
  CHECK_FALSE(w.accept(UINT64_MAX));
  // A refused counter does not move the window.
  CHECK(w.accept(1));
}

TEST(ReplayWindow, ResetForgetsEverything) {
  for (uint64_t c = 0; c < 100; ++c) CHECK(w.accept(c));
  CHECK(w.accept(50000));
  w.reset();
  for (uint64_t c = 0; c < 100; ++c) CHECK(w.accept(c));
  CHECK(w.accept(50000));
}
