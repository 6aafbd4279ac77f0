// Fuzz target for the receiver's reorder buffer: the input bytes are a
// script of pushes (near a moving base, some behind it, some far ahead,
// keepalive places, repeated counters), polls, flushes and hold changes.
// Asserts that within a sequence only packets counted late come out of
// order, that every buffer is delivered once or returned to the pool, that
// nothing outlives a flush, and that deadline() is after the last poll.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>

#include "common/bytes.h"
#include "engine/pool.h"
#include "engine/reorder.h"

using braid::engine::BufferPool;
using braid::engine::PacketBuf;
using braid::engine::ReorderBuffer;

namespace {

constexpr size_t kBuffers = 512;

void check(bool ok) {
  if (!ok) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t pos = 0;
  auto next = [&]() -> uint8_t { return pos < size ? data[pos++] : 0; };

  BufferPool pool(kBuffers, 16);
  std::set<PacketBuf*> outstanding;   // pushed, neither delivered nor returned
  uint64_t top = 0;                   // highest counter delivered in this sequence
  bool any = false;
  uint64_t out_of_order = 0;
  ReorderBuffer rb(16u << (next() % 4), pool, [&](PacketBuf* b) {
    check(outstanding.erase(b) == 1);
    uint64_t c = braid::get_be64(b->data());
    if (any && c <= top) ++out_of_order;
    else top = c;
    any = true;
    pool.put(b);
  });
  rb.set_hold(next() * 100'000ull);

  uint64_t base = 0, now = 1'000'000'000;
  while (pos < size) {
    uint8_t op = next();
    uint8_t arg = next();
    now += (op >> 4) * 50'000ull;
    uint64_t late_before = rb.stats().late;
    uint64_t ooo_before = out_of_order;
    switch (op % 10) {
      case 0: case 1: case 2: case 3: case 4: {
        // Around the base, a little behind it to far ahead of it.
        uint64_t counter = base + arg >= 32 ? base + arg - 32 : 0;
        if (op % 10 == 4) counter += static_cast<uint64_t>(arg) << 8;
        PacketBuf* b = pool.get(0);
        check(b != nullptr);
        braid::put_be64(b->data(), counter);
        b->len = 8;
        outstanding.insert(b);
        uint64_t dups = rb.stats().duplicates;
        rb.push(counter, b, now);
        // A repeated counter goes straight back to the pool.
        if (rb.stats().duplicates != dups) check(outstanding.erase(b) == 1);
        check(out_of_order - ooo_before <= rb.stats().late - late_before);
        break;
      }
      case 5:
        rb.push(base + arg >= 32 ? base + arg - 32 : 0, nullptr, now);
        check(out_of_order == ooo_before);
        break;
      case 6:
        base += arg % 64;
        break;
      case 7:
        now += arg * 100'000ull;
        rb.poll(now);
        check(out_of_order == ooo_before);
        check(rb.held() == 0 ? rb.deadline() == UINT64_MAX : rb.deadline() > now);
        break;
      case 8:
        rb.flush();
        check(out_of_order == ooo_before);
        check(rb.held() == 0 && rb.deadline() == UINT64_MAX);
        check(outstanding.empty());
        any = false;
        // A new keypair may start anywhere, also near the end of the counters.
        base = arg == 255 ? UINT64_MAX - 300 : arg * 1000ull;
        break;
      case 9:
        rb.set_hold(arg * 50'000ull);
        break;
    }
    check(rb.held() <= rb.slots());
    check(out_of_order <= rb.stats().late);
  }
  rb.flush();
  check(outstanding.empty());
  check(pool.available() == kBuffers);
  return 0;
}
