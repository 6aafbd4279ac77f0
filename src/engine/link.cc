#include "engine/link.h"

#include <algorithm>
#include <cmath>

#include "common/log.h"

namespace braid::engine {

namespace {

// Below this a link is not worth pacing down further (64 kbit/s).
constexpr uint64_t kMinRate = 8000;
// Loss over this share of an interval's packets cuts the rate; climbing
// back needs less than the second. In between, it holds.
constexpr uint64_t kCutLossPermille = 30;
constexpr uint64_t kClimbLossPermille = 10;
// Packets an interval must carry for its loss to mean anything.
constexpr uint64_t kMinAdaptPackets = 10;
// Loss over the cut mark in one interval's packets may be chance: a path
// losing 1% at random loses 4% of some hundred-packet interval several
// times a minute, and a slow link, with fewer packets an interval, more
// often still; cutting on each would walk a sound link down to nothing.
// Such loss is judged over the following intervals too, until it is
// beyond chance (kChanceSigmas standard deviations over what the link's
// own loss plus kChanceMarginPermille would lose) or this many packets
// have said it is not.
constexpr uint64_t kMaxJudgePackets = 1000;
constexpr double kChanceSigmas = 4;
constexpr uint64_t kChanceMarginPermille = 10;

// Whether `lost` of `sent` is more than a link that loses `own` per mille
// (and a little more, unmeasured) would lose by chance: Poisson's
// deviation around its expected loss.
bool beyond_chance(uint64_t sent, uint64_t lost, uint64_t own_permille) {
  double expected = static_cast<double>(sent) * static_cast<double>(own_permille + kChanceMarginPermille) / 1000;
  return static_cast<double>(lost) >= expected + kChanceSigmas * std::sqrt(expected) + 1;
}

uint64_t at_rate(uint64_t rate, uint64_t ns) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(rate) * ns / kNsPerSec);
}

}  // namespace

Link::Link(const LinkConfig& cfg) : cfg_(cfg) {
  if (cfg_.bandwidth != 0) pace(cfg_.bandwidth);   // else unpaced: nothing waits
}

// Sizes only grow (the ring is allocated once per size, never per packet).
void Link::pace(uint64_t rate) {
  uint64_t burst = std::max(at_rate(rate, kPacerBurstNs), kPacerMinBurst);
  if (pacer_)
    pacer_->set_rate(rate, burst);
  else
    pacer_.emplace(rate, burst);
  max_queued_bytes_ = std::max({at_rate(rate, kLinkQueueNs),
                                 std::min<uint64_t>(at_rate(rate, kLinkQueueMaxNs), kLinkQueueMinBytes),
                                 uint64_t{4 * 1600}});
  // Once, when pacing starts: entries for many small datagrams (ACKs).
  if (ring_.empty()) ring_.assign(kLinkQueueEntries, Item{});
}

void Link::reconfigure(const LinkConfig& cfg) {
  std::string name = cfg_.name;
  bool v4 = cfg_.v4, v6 = cfg_.v6;
  cfg_ = cfg;
  cfg_.name = std::move(name);
  cfg_.v4 = v4;
  cfg_.v6 = v6;
  // What was learnt of the old rate says nothing of the new one; the
  // path's own loss (random_loss_) stays what it was.
  last_cut_ns_ = 0;
  pre_cut_rate_ = cut_loss_ = 0;
  judge_sent_ = judge_lost_ = 0;
  if (cfg_.bandwidth != 0)
    pace(cfg_.bandwidth);
  else
    pacer_.reset();
}

bool Link::take(uint32_t wire, uint64_t now_ns) {
  if (wire <= pacer_->burst()) return pacer_->take(wire, now_ns);
  if (pacer_->available(now_ns) < pacer_->burst()) return false;
  pacer_->charge(wire, now_ns);
  return true;
}

uint64_t Link::share() const {
  return pacer_ ? pacer_->rate() : uint64_t{cfg_.weight} * 125000;
}

void Link::adapt(uint64_t sent, uint64_t received, uint64_t rtt_ns, uint64_t min_rtt_ns,
                 uint64_t now_ns, uint64_t interval_ns) {
  // Several peers' paths answer over one link: once per interval.
  if (last_adapt_ns_ != 0 && now_ns - last_adapt_ns_ < interval_ns / 2) return;
  // The rate sent is measured from one answer to the next, quiet ones
  // included, or a stretch of quiet would read as a slow link.
  uint64_t elapsed = last_adapt_ns_ ? now_ns - last_adapt_ns_ : 0;
  uint64_t bytes = stats.tx_bytes - adapt_tx_bytes_;
  last_adapt_ns_ = now_ns;
  adapt_tx_bytes_ = stats.tx_bytes;
  bool busy = busy_;
  busy_ = false;
  if (elapsed == 0 || sent < kMinAdaptPackets) return;
  judge_sent_ += sent;
  judge_lost_ += sent - std::min(received, sent);
  uint64_t loss = judge_lost_ * 1000 / judge_sent_;
  bool high = loss > random_loss_ + kCutLossPermille;
  bool beyond = high && beyond_chance(judge_sent_, judge_lost_, random_loss_);
  if (high && !beyond && judge_sent_ < kMaxJudgePackets) return;   // more packets will tell
  judge_sent_ = judge_lost_ = 0;
  uint64_t sent_rate =
      static_cast<uint64_t>(static_cast<unsigned __int128>(bytes) * kNsPerSec / elapsed);
  // The answers after a cut still count packets sent before it: one cut
  // per two intervals, or a single overload would cut again and again.
  bool settling = last_cut_ns_ != 0 && now_ns - last_cut_ns_ < 2 * interval_ns;
  uint64_t queue_limit = std::max(kQueueDelayNs, min_rtt_ns / 2);
  uint64_t queueing = min_rtt_ns != UINT64_MAX && rtt_ns > min_rtt_ns ? rtt_ns - min_rtt_ns : 0;
  // Loss that a cut did not lower does not come from the rate (a radio
  // link's, a lossy path's): it is taken as the link's own and only loss
  // beyond it cuts. It fades as lower loss is measured.
  if (loss < random_loss_) random_loss_ -= (random_loss_ - loss + 15) / 16;
  if (beyond) {
    if (settling) return;
    if (last_cut_ns_ != 0 && now_ns - last_cut_ns_ < 4 * interval_ns && loss * 10 >= cut_loss_ * 7) {
      random_loss_ = loss;
      pace(pre_cut_rate_);
      last_cut_ns_ = 0;
      log_debug("link %s: loss %llu.%llu%% does not follow its rate; back to %llu kbit/s",
                name().c_str(), static_cast<unsigned long long>(loss / 10),
                static_cast<unsigned long long>(loss % 10),
                static_cast<unsigned long long>(rate() * 8 / 1000));
      return;
    }
    pre_cut_rate_ = rate() ? rate() : std::max(sent_rate, kMinRate);
    cut_loss_ = loss;
    // What got through, a little under, so that the queue beyond drains;
    // never less than half the rate at once (the rate measured over a
    // stretch that was partly idle says little).
    uint64_t delivered = sent_rate * (1000 - loss) / 1000 * 95 / 100;
    uint64_t now_rate = rate() ? std::clamp(delivered, rate() / 2, rate())
                               : std::max(delivered, sent_rate / 2);
    pace(std::max(now_rate, kMinRate));
    last_cut_ns_ = now_ns;
    log_debug("link %s: %llu kbit/s (loss %llu.%llu%%)", name().c_str(),
              static_cast<unsigned long long>(rate() * 8 / 1000),
              static_cast<unsigned long long>(loss / 10), static_cast<unsigned long long>(loss % 10));
  } else if (queueing > queue_limit && pacer_) {
    if (settling || !busy) return;
    pace(std::max(rate() - rate() / 8, kMinRate));
    last_cut_ns_ = now_ns;
    log_debug("link %s: %llu kbit/s (queueing %llu ms)", name().c_str(),
              static_cast<unsigned long long>(rate() * 8 / 1000),
              static_cast<unsigned long long>(queueing / kNsPerMs));
  } else if (loss < kClimbLossPermille && queueing < queue_limit / 4 && pacer_ &&
             (busy || !cfg_.bandwidth || sent_rate >= rate() / 2)) {
    // (A link paced only since its loss climbs while loss-free even when
    // an unpaced sibling takes the traffic: nothing else would ever
    // lift it.)
    // Back towards the bandwidth by a thirty-second per interval.
    uint64_t next = rate() + std::max<uint64_t>(rate() / 32, kMinRate);
    if (cfg_.bandwidth) next = std::min(next, cfg_.bandwidth);
    if (next != rate()) pace(next);
  }
}

uint64_t Link::backlog_ns(uint32_t wire, uint64_t now_ns) {
  if (!pacer_) return 0;
  uint64_t need = queued_bytes_ + wire;
  uint64_t have = pacer_->available(now_ns);
  if (need <= have) return 0;
  return static_cast<uint64_t>(static_cast<unsigned __int128>(need - have) * kNsPerSec /
                               pacer_->rate());
}

bool Link::send_now(uint32_t wire, uint64_t now_ns) {
  if (!pacer_) return true;
  if (count_ == 0 && take(wire, now_ns)) return true;
  busy_ = true;
  return false;
}

void Link::charge(uint32_t wire, uint64_t now_ns) {
  if (pacer_) pacer_->charge(wire, now_ns);
}

bool Link::enqueue(const Endpoint& to, PacketBuf* buf, uint32_t wire) {
  if (ring_.empty() || count_ == ring_.size() ||
      queued_bytes_ + wire > max_queued_bytes_) {
    ++stats.drop_queue;
    return false;
  }
  ring_[(head_ + count_) % ring_.size()] = Item{buf, to, wire};
  ++count_;
  queued_bytes_ += wire;
  return true;
}

size_t Link::queued_to(const Endpoint& to) const {
  size_t n = 0;
  for (size_t i = 0; i < count_; ++i)
    if (ring_[(head_ + i) % ring_.size()].to == to) ++n;
  return n;
}

uint64_t Link::next_ready_ns(uint64_t now_ns) {
  if (count_ == 0) return UINT64_MAX;
  if (!pacer_) return now_ns;   // queued while paced, before a reload

  return pacer_->ready_at(std::min<uint64_t>(ring_[head_].wire, pacer_->burst()), now_ns);
}

void Link::clear(BufferPool& pool) {
  while (count_ > 0) {
    pool.put(ring_[head_].buf);
    ring_[head_] = Item{};
    head_ = (head_ + 1) % ring_.size();
    --count_;
  }
  queued_bytes_ = 0;
}

}  // namespace braid::engine
