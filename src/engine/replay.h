// The receive side's replay window: accepts each counter at most once and
// refuses counters more than kWindow behind the highest seen. The window is
// large (8192) because multi-link paths reorder packets by whole bursts.
#pragma once

#include <array>
#include <cstdint>

namespace braid::engine {

class ReplayWindow {
 public:
  // Counters older than the highest seen minus kWindow are refused.
  static constexpr uint64_t kWindow = 8192 - 64;

  // Checks and records a counter; call only after the packet authenticated,
  // so forged packets cannot move the window.
  bool accept(uint64_t counter);
  // Forgets everything (a new keypair).
  void reset();

 private:
  static constexpr unsigned kWords = 8192 / 64;
  std::array<uint64_t, kWords> bits_{};
  uint64_t top_ = 0;      // highest counter seen + 1 (0: none yet)
};

}  // namespace braid::engine
