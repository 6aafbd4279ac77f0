#include "engine/path.h"

#include <algorithm>

namespace braid::engine {

const char* path_state_name(PathState s) {
  switch (s) {
    case PathState::kDown: return "down";
    case PathState::kDegraded: return "degraded";
    case PathState::kUp: return "up";
  }
  return "?";
}

uint64_t PathMonitor::next_probe_ns(bool active) const {
  if (last_sent_ns_ == 0) return 0;
  uint64_t wait;
  if (!ever_up_) {
    wait = std::min(interval_ns_ << std::min<uint32_t>(failures_, 16), kMaxProbeBackoffNs);
  } else if (active) {
    wait = interval_ns_;
  } else {
    // A path that went down while idle is tried more often than a healthy
    // one is checked: it is the one to know about when traffic starts.
    wait = state_ == PathState::kDown ? kMaxProbeBackoffNs : kIdleProbeNs;
  }
  return last_sent_ns_ + wait;
}

uint32_t PathMonitor::on_sent(uint64_t now_ns, uint64_t tx_packets) {
  uint32_t seq = next_seq_++;
  if (next_seq_ == 0) next_seq_ = 1;   // 0 never names a probe
  sent_[seq % kSentRing] = Sent{seq, now_ns, tx_packets};
  if (unanswered_++ == 0) first_unanswered_ns_ = now_ns;
  if (!ever_up_) ++failures_;
  last_sent_ns_ = now_ns;
  return seq;
}

bool PathMonitor::on_answer(uint32_t seq, uint64_t echoed_ns, uint64_t peer_rx_packets,
                            uint64_t now_ns) {
  const Sent& s = sent_[seq % kSentRing];
  if (seq == 0 || s.seq != seq || s.at_ns != echoed_ns || echoed_ns > now_ns) return false;
  uint64_t rtt = now_ns - echoed_ns;
  last_rtt_ns_ = rtt;
  if (min_window_ns_ == 0) {
    min_window_ns_ = now_ns;
  } else if (now_ns - min_window_ns_ >= kMinRttWindowNs) {
    prev_min_rtt_ns_ = min_rtt_ns_;
    min_rtt_ns_ = UINT64_MAX;
    min_window_ns_ = now_ns;
  }
  min_rtt_ns_ = std::min(min_rtt_ns_, rtt);
  if (srtt_ns_ == 0) {
    srtt_ns_ = std::max<uint64_t>(rtt, 1);
    rttvar_ns_ = rtt / 2;
  } else {
    uint64_t diff = srtt_ns_ > rtt ? srtt_ns_ - rtt : rtt - srtt_ns_;
    rttvar_ns_ = (3 * rttvar_ns_ + diff) / 4;
    srtt_ns_ = std::max<uint64_t>((7 * srtt_ns_ + rtt) / 8, 1);
  }
  // Probes answered out of order say nothing new about the later ones.
  if (static_cast<int32_t>(seq - last_answered_seq_) > 0) {
    last_answered_seq_ = seq;
    unanswered_ = next_seq_ - 1 - seq;
    if (unanswered_ > 0) first_unanswered_ns_ = sent_[(seq + 1) % kSentRing].at_ns;
    update_loss(s.tx_packets, peer_rx_packets);
  }
  last_answer_ns_ = now_ns;
  ever_up_ = true;
  failures_ = 0;
  PathState next = judged();
  if (next != state_) set_state(next, now_ns);
  return true;
}

void PathMonitor::update_loss(uint64_t tx, uint64_t rx) {
  interval_tx_ = interval_rx_ = 0;
  if (sample_count_ > 0) {
    const Sample& last = samples_[(sample_next_ + kLossWindow - 1) % kLossWindow];
    // The other side counts afresh (it restarted, or sees us at a new
    // address): the old samples compare with nothing.
    if (rx < last.rx || tx < last.tx) {
      sample_count_ = 0;
    } else {
      interval_tx_ = tx - last.tx;
      interval_rx_ = std::min(rx - last.rx, interval_tx_);
    }
  }
  samples_[sample_next_] = Sample{tx, rx};
  sample_next_ = (sample_next_ + 1) % kLossWindow;
  sample_count_ = std::min(sample_count_ + 1, kLossWindow);
  if (sample_count_ < 2) return;
  const Sample& oldest = samples_[(sample_next_ + kLossWindow - sample_count_) % kLossWindow];
  uint64_t dtx = tx - oldest.tx;
  uint64_t drx = rx >= oldest.rx ? rx - oldest.rx : 0;
  if (dtx >= kMinLossSample) {
    loss_permille_ = drx >= dtx ? 0 : static_cast<uint32_t>((dtx - drx) * 1000 / dtx);
  } else {
    // Too few packets to judge: what was measured fades.
    loss_permille_ /= 2;
  }
}

PathState PathMonitor::judged() const {
  // Back from degraded only well inside the tolerance: no flapping at
  // its edge.
  bool degraded = state_ == PathState::kDegraded;
  uint64_t loss_limit = degraded ? tol_.loss_permille / 2 : tol_.loss_permille;
  uint64_t latency_limit = degraded ? tol_.latency_ns * 9 / 10 : tol_.latency_ns;
  if (loss_permille_ > loss_limit) return PathState::kDegraded;
  if (tol_.latency_ns != 0 && srtt_ns_ > latency_limit) return PathState::kDegraded;
  return PathState::kUp;
}

bool PathMonitor::check(uint64_t now_ns) {
  if (state_ != PathState::kDown && unanswered_ >= kDownProbes) {
    // Down once kDownProbes probes in a row are overdue: unanswered for
    // longer than a round trip (and its variation) should take. Checked at
    // each probe, that is within about three intervals of the silence.
    uint64_t timeout = std::max<uint64_t>(srtt_ns_ + 4 * rttvar_ns_, 10 * kNsPerMs);
    uint32_t overdue = 0;
    uint32_t n = std::min<uint32_t>(unanswered_, kSentRing);
    for (uint32_t i = 1; i <= n; ++i) {
      const Sent& s = sent_[(next_seq_ - i) % kSentRing];
      if (now_ns - s.at_ns > timeout) ++overdue;
    }
    if (overdue >= kDownProbes) set_state(PathState::kDown, now_ns);
  }
  bool c = changed_;
  changed_ = false;
  return c;
}

void PathMonitor::set_state(PathState s, uint64_t now_ns) {
  state_ = s;
  last_change_ns_ = now_ns;
  changed_ = true;
  if (s == PathState::kDown) {
    sample_count_ = 0;
    min_rtt_ns_ = prev_min_rtt_ns_ = UINT64_MAX;   // it may come back another way
    min_window_ns_ = 0;
  }
}

}  // namespace braid::engine
