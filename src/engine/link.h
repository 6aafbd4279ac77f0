// A local link (multi-link): one of the node's uplinks with its own UDP
// socket, as a [link NAME] section configures it, and what the node keeps
// for it while running: the pacer that holds it to its upload rate and the
// queue of datagrams waiting for the pacer. Without link sections a node
// has one implicit link, "default", which is not paced.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "engine/endpoint.h"
#include "engine/pacer.h"
#include "engine/path.h"
#include "engine/pool.h"

namespace braid::engine {

struct LinkConfig {
  std::string name = "default";
  uint64_t bandwidth = 0;      // upload, bytes per second; 0: not paced
  uint32_t weight = 1;         // the share of an unpaced link
  bool fallback_only = false;  // used only when no other link is up
  PathTolerance tolerance;
  // The address families its socket can send to (a socket bound to an
  // IPv4 address reaches no IPv6 peer).
  bool v4 = true, v6 = true;
};

// What a datagram costs a link beyond its UDP payload: IP and UDP
// headers and the Ethernet header a provider's shaper counts too. Pacing
// the payload alone would overrun a link by 3-4% and fill its queue.
inline uint32_t wire_bytes(size_t payload, bool v4) {
  return static_cast<uint32_t>(payload + (v4 ? 20 : 40) + 8 + 14);
}

// Datagrams a paced link holds while its pacer waits: about this long at
// its rate, so that TCP meets a queue it can fill (and a drop when it
// overfills it) here rather than at the provider, where interactive
// traffic would wait behind it. A slow link holds more time's worth, up to
// kLinkQueueMaxNs or kLinkQueueMinBytes, whichever is less (a TCP flow
// needs a few packets of queue), and never less than four datagrams.
constexpr uint64_t kLinkQueueNs = 25 * kNsPerMs;
constexpr uint64_t kLinkQueueMaxNs = 100 * kNsPerMs;
constexpr size_t kLinkQueueMinBytes = 64 * 1024;
constexpr size_t kLinkQueueEntries = 4096;
// Queueing delay beyond a link that eases its rate (multi-link adapt()).
constexpr uint64_t kQueueDelayNs = 5 * kNsPerMs;
// Pacing bursts: a few milliseconds at the rate (the event loop's timers
// are that coarse), never less than two full datagrams.
constexpr uint64_t kPacerBurstNs = 3 * kNsPerMs;
constexpr uint64_t kPacerMinBurst = 3200;

class Link {
 public:
  explicit Link(const LinkConfig& cfg);
  Link(Link&&) = default;

  const LinkConfig& config() const { return cfg_; }
  // A reload's new bandwidth, weight, fallback and tolerances (the name
  // and families stay). Pacing starts over from the new bandwidth; a link
  // no longer paced sends what its queue holds at the next turn.
  void reconfigure(const LinkConfig& cfg);
  const std::string& name() const { return cfg_.name; }
  bool paced() const { return pacer_.has_value(); }
  // Bytes per second the scheduler shares out by: the rate it is paced
  // to, or for an unpaced link its weight in units of 1 Mbit/s.
  uint64_t share() const;
  // The rate it is paced to now (0: unpaced): at most its bandwidth, less
  // while its paths lose what it sends.
  uint64_t rate() const { return pacer_ ? pacer_->rate() : 0; }

  // Adapts the rate to what a path over it delivered between two probe
  // answers: `sent` packets, `received` of them. Loss over 3% (beyond what
  // chance explains: a few lost of a few dozen is judged together with the
  // next intervals) while the link is loaded means the link (or the way beyond it) carries less than
  // it is paced to — a bandwidth set too high, or an uplink that slowed
  // down: the rate drops to what got through (at most halving at once,
  // and once per two intervals, since the next answers still count what
  // was sent before). A queue building beyond the link — the round trip
  // `rtt` over the path's least `min_rtt` by more than kQueueDelayNs (or
  // half that least) — is the same news before any loss: the rate eases
  // by an eighth. While neither shows and the link's own queue fills, the
  // rate climbs back by a thirty-second per interval, up to the configured
  // bandwidth; an unpaced link is paced from its first loss on and climbs
  // without a ceiling. Loss that a cut does not lower is the link's own
  // (radio, a lossy way): the cut is undone and only loss beyond it cuts.
  void adapt(uint64_t sent, uint64_t received, uint64_t rtt_ns, uint64_t min_rtt_ns,
             uint64_t now_ns, uint64_t interval_ns);
  // Datagrams to `to` waiting in the queue (a path probe, which does not
  // wait, counts only what went before it).
  size_t queued_to(const Endpoint& to) const;

  // How long a datagram of `wire` bytes queued now would wait (0: it can
  // go at once).
  uint64_t backlog_ns(uint32_t wire, uint64_t now_ns);
  // Whether a datagram may go now without the queue: it is empty and the
  // pacer has the bytes (which it takes).
  bool send_now(uint32_t wire, uint64_t now_ns);
  // What must not wait (priority lane, control): counted against the rate.
  void charge(uint32_t wire, uint64_t now_ns);
  // Queues a datagram; false when the queue is full (the caller drops it).
  bool enqueue(const Endpoint& to, PacketBuf* buf, uint32_t wire);
  // Hands every queued datagram the pacer now allows to `send`, in order
  // (and counts it sent).
  template <class Send> void drain(uint64_t now_ns, Send send);
  // A datagram went out at once.
  void count_sent(uint32_t wire) {
    ++stats.tx_packets;
    stats.tx_bytes += wire;
  }
  // When the next queued datagram may go (UINT64_MAX: none queued).
  uint64_t next_ready_ns(uint64_t now_ns);
  // Returns every queued buffer to the pool.
  void clear(BufferPool& pool);
  size_t queued() const { return count_; }

  // Any path on it usable (for the status hook).
  bool up = false;
  struct Stats {
    uint64_t tx_packets = 0, tx_bytes = 0, rx_packets = 0, rx_bytes = 0;
    uint64_t drop_queue = 0;   // dropped: its queue was full
  } stats;
  // Where peers reach it: its addresses with its port (told to peers so
  // their links find this one).
  std::vector<Endpoint> endpoints;

 private:
  struct Item {
    PacketBuf* buf = nullptr;
    Endpoint to;
    uint32_t wire = 0;
  };
  void pace(uint64_t rate);
  // The pacer's take, for a datagram larger than its burst too (a jumbo
  // MTU on a slow link): it goes once the bucket is full, into debt.
  bool take(uint32_t wire, uint64_t now_ns);

  LinkConfig cfg_;
  std::optional<Pacer> pacer_;
  // Bulk had to wait for the pacer since the last adaptation: the rate,
  // not the traffic, was the limit.
  bool busy_ = false;
  uint64_t last_adapt_ns_ = 0;
  uint64_t last_cut_ns_ = 0;
  // The rate before the last cut, and the loss that made it.
  uint64_t pre_cut_rate_ = 0;
  uint64_t cut_loss_ = 0;
  // Loss per mille that the rate does not explain (see adapt()).
  uint64_t random_loss_ = 0;
  // What the answers since the last judgement counted (see adapt()).
  uint64_t judge_sent_ = 0, judge_lost_ = 0;
  uint64_t adapt_tx_bytes_ = 0;
  std::vector<Item> ring_;   // sized once; never grows on the data path
  size_t head_ = 0, count_ = 0;
  uint64_t queued_bytes_ = 0, max_queued_bytes_ = 0;
};

template <class Send>
void Link::drain(uint64_t now_ns, Send send) {
  while (count_ > 0) {
    Item& it = ring_[head_];
    if (pacer_ && !take(it.wire, now_ns)) return;
    Item out = it;
    it = Item{};
    head_ = (head_ + 1) % ring_.size();
    --count_;
    queued_bytes_ -= out.wire;
    count_sent(out.wire);
    send(out.to, out.buf, out.wire);
  }
}

}  // namespace braid::engine
