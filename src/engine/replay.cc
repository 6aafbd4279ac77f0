// A ring of bitmap words indexed by counter / 64, as in WireGuard's
// counter validation: moving the window forward clears whole words.
#include "engine/replay.h"

namespace braid::engine {

bool ReplayWindow::accept(uint64_t counter) {
  if (counter >= UINT64_MAX - 1) return false;
  uint64_t index = counter / 64;
  if (counter >= top_) {
    uint64_t top_index = top_ == 0 ? 0 : (top_ - 1) / 64;
    uint64_t diff = top_ == 0 ? kWords : index - top_index;
    if (diff > kWords) diff = kWords;
    for (uint64_t i = 1; i <= diff; ++i) bits_[(top_index + i) % kWords] = 0;
    top_ = counter + 1;
  } else if (top_ - 1 - counter > kWindow) {
    return false;
  }
  uint64_t& word = bits_[index % kWords];
  uint64_t bit = 1ull << (counter % 64);
  if (word & bit) return false;
  word |= bit;
  return true;
}

void ReplayWindow::reset() {
  bits_.fill(0);
  top_ = 0;
}

}  // namespace braid::engine
