// The packet buffer pool: a fixed set of buffers, handed out and returned.
#include "engine/pool.h"

#include <cstring>
#include <set>
#include <vector>

#include <CppUTest/TestHarness.h>

using namespace braid::engine;

TEST_GROUP(BufferPool) {};

TEST(BufferPool, HandsOutDistinctBuffersWithTheAskedHeadroom) {
  BufferPool pool(4, 256);
  LONGS_EQUAL(4, pool.available());
  LONGS_EQUAL(256, pool.buffer_size());
  std::set<uint8_t*> seen;
  std::vector<PacketBuf*> got;
  for (int i = 0; i < 4; ++i) {
    PacketBuf* b = pool.get(17);
    CHECK(b != nullptr);
    LONGS_EQUAL(17, b->head);
    LONGS_EQUAL(0, b->len);
    LONGS_EQUAL(256, b->capacity);
    LONGS_EQUAL(256 - 17, b->tailroom());
    POINTERS_EQUAL(b->base + 17, b->data());
    CHECK(seen.insert(b->base).second);
    got.push_back(b);
  }
  // The buffers do not overlap.
  for (PacketBuf* b : got) memset(b->base, 0, b->capacity);
  for (size_t i = 0; i < got.size(); ++i) memset(got[i]->base, static_cast<int>(i + 1), 256);
  for (size_t i = 0; i < got.size(); ++i)
    for (size_t j = 0; j < 256; ++j) LONGS_EQUAL(i + 1, got[i]->base[j]);
  for (PacketBuf* b : got) pool.put(b);
  LONGS_EQUAL(4, pool.available());
}

TEST(BufferPool, ExhaustionReturnsNullptr) {
  BufferPool pool(2, 64);
  PacketBuf* a = pool.get(0);
  PacketBuf* b = pool.get(0);
  CHECK(a != nullptr);
  CHECK(b != nullptr);
  LONGS_EQUAL(0, pool.available());
  POINTERS_EQUAL(nullptr, pool.get(0));
  POINTERS_EQUAL(nullptr, pool.get(0));
  pool.put(a);
  POINTERS_EQUAL(a, pool.get(0));
  pool.put(a);
  pool.put(b);
}

TEST(BufferPool, AReturnedBufferIsResetWhenHandedOutAgain) {
  BufferPool pool(1, 128);
  PacketBuf* b = pool.get(10);
  b->head = 3;
  b->len = 99;
  pool.put(b);
  PacketBuf* c = pool.get(40);
  POINTERS_EQUAL(b, c);
  LONGS_EQUAL(40, c->head);
  LONGS_EQUAL(0, c->len);
  pool.put(c);
}
