// One path's health (multi-link). A path is (local link, remote endpoint);
// each is probed on its own: timestamped probes give its round-trip time
// (SRTT/RTTVAR as RFC 6298 computes them), and the packets each side has
// counted on this path alone give its loss — never a sequence shared with
// other paths, where one slow path would read as loss on all. From those
// it is up, degraded (loss or latency over tolerance: used only when no
// path is up) or down (probes unanswered: not used). No system calls; the
// node feeds it times.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "common/clock.h"

namespace braid::engine {

enum class PathState : uint8_t { kDown = 0, kDegraded = 1, kUp = 2 };
const char* path_state_name(PathState s);

struct PathTolerance {
  uint32_t loss_permille = 100;   // loss above this: degraded
  uint64_t latency_ns = 0;        // SRTT above this: degraded (0: no limit)
};

// An idle path is probed this often: enough to know it when traffic
// starts (then probes go every interval at once), cheap when nothing flows.
constexpr uint64_t kIdleProbeNs = 15 * kNsPerSec;
// A path that has never answered is retried with backoff up to this: it
// may lead nowhere (an address of the peer's other link that this link
// cannot reach).
constexpr uint64_t kMaxProbeBackoffNs = 5 * kNsPerSec;
// Unanswered probes in a row before a path is down.
constexpr uint32_t kDownProbes = 3;
// Loss is judged over this many answers (about a second while active) and
// only once that many packets were sent in them: a lost probe among ten
// is not 10% loss of a path carrying thousands.
constexpr size_t kLossWindow = 10;
constexpr uint64_t kMinLossSample = 20;
// The least round trip is kept over two windows of this length.
constexpr uint64_t kMinRttWindowNs = 10 * kNsPerSec;

class PathMonitor {
 public:
  PathMonitor(uint64_t interval_ns, PathTolerance tolerance)
      : interval_ns_(interval_ns), tol_(tolerance) {}

  // When the next probe is due: every interval while traffic flows
  // (`active`), every kIdleProbeNs otherwise, with backoff while the path
  // has never answered.
  uint64_t next_probe_ns(bool active) const;
  // A probe is sent now; tx_packets counts what this path carried before
  // it. Returns the probe's sequence number.
  uint32_t on_sent(uint64_t now_ns, uint64_t tx_packets);
  // The answer to probe `seq`, which echoes the time it was sent, with the
  // packets the other side has counted on this path. False (and nothing
  // changes) for an answer to no probe of ours.
  bool on_answer(uint32_t seq, uint64_t echoed_ns, uint64_t peer_rx_packets, uint64_t now_ns);
  // Declares the path down once kDownProbes probes in a row are
  // unanswered for longer than they should take. True when the state
  // changed (here or in on_answer since the last call).
  bool check(uint64_t now_ns);

  PathState state() const { return state_; }
  bool usable() const { return state_ != PathState::kDown; }
  bool ever_up() const { return ever_up_; }
  uint64_t srtt_ns() const { return srtt_ns_; }
  // The latest round trip, and the least of the last 10 to 20 s: their
  // difference is what queues on the way add now. (Windowed: a route that
  // got longer for good is not a queue for ever.)
  uint64_t last_rtt_ns() const { return last_rtt_ns_; }
  uint64_t min_rtt_ns() const { return std::min(min_rtt_ns_, prev_min_rtt_ns_); }
  uint64_t rttvar_ns() const { return rttvar_ns_; }
  uint32_t loss_permille() const { return loss_permille_; }
  uint64_t last_change_ns() const { return last_change_ns_; }
  uint64_t last_answer_ns() const { return last_answer_ns_; }
  uint32_t unanswered() const { return unanswered_; }
  // Packets sent over the path and received by the other side between the
  // two latest answers (0, 0 when the latest starts a new count): what
  // the link's rate adapts to.
  uint64_t interval_tx() const { return interval_tx_; }
  uint64_t interval_rx() const { return interval_rx_; }
  void set_interval(uint64_t interval_ns) { interval_ns_ = interval_ns; }

 private:
  void set_state(PathState s, uint64_t now_ns);
  void update_loss(uint64_t tx, uint64_t rx);
  PathState judged() const;

  uint64_t interval_ns_;
  PathTolerance tol_;
  PathState state_ = PathState::kDown;
  bool ever_up_ = false;
  bool changed_ = false;
  uint64_t last_change_ns_ = 0;

  struct Sent {
    uint32_t seq = 0;
    uint64_t at_ns = 0;
    uint64_t tx_packets = 0;
  };
  static constexpr size_t kSentRing = 16;
  std::array<Sent, kSentRing> sent_{};
  uint32_t next_seq_ = 1;
  uint64_t last_sent_ns_ = 0;
  uint32_t last_answered_seq_ = 0;
  uint64_t last_answer_ns_ = 0;
  // Probes sent since the last answer, and when the first of them went.
  uint32_t unanswered_ = 0;
  uint64_t first_unanswered_ns_ = 0;
  // Consecutive unanswered probes of a path never up: the backoff.
  uint32_t failures_ = 0;

  uint64_t srtt_ns_ = 0;
  uint64_t rttvar_ns_ = 0;
  uint64_t last_rtt_ns_ = 0;
  uint64_t min_rtt_ns_ = UINT64_MAX;       // this window's least
  uint64_t prev_min_rtt_ns_ = UINT64_MAX;  // the window before's
  uint64_t min_window_ns_ = 0;             // when this window began

  // (tx at probe, rx the other side counted at it) of the latest answers.
  struct Sample {
    uint64_t tx = 0, rx = 0;
  };
  std::array<Sample, kLossWindow> samples_{};
  size_t sample_count_ = 0, sample_next_ = 0;
  uint32_t loss_permille_ = 0;
  uint64_t interval_tx_ = 0, interval_rx_ = 0;
};

}  // namespace braid::engine
