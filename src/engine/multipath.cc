// Multi-link: the paths to each peer — every (local link, remote endpoint)
// pair that answers — their probes, the scheduler that spreads a peer's
// traffic over them, and the link queues that pace what it sends.
//
// Bulk traffic goes to the path whose link would send it soonest (its
// pacer's backlog): under load each link carries what its rate allows,
// which adds the links' rates up for a single flow; when every link has
// room, start-time fair queueing shares the bytes in proportion to the
// links' rates (or weights). Per-packet spreading reorders, which the
// receiver undoes (reorder.h) within a hold derived from the paths' round
// trips. Everything else — the priority lane (priority.h), control
// messages — takes the fastest path, ahead of the queues.
#include <algorithm>

#include "engine/exchange.h"
#include "engine/node.h"
#include "engine/priority.h"

namespace braid::engine {
namespace {

// Places a reorder buffer holds: at 1 Gbit/s about 10 ms of full-sized
// packets; beyond that the hold gives up early rather than grow.
constexpr size_t kReorderSlots = 1024;
// The hold beyond the paths' spread of round trips: timers and the event
// loop's own delays.
constexpr uint64_t kHoldMarginNs = 5 * kNsPerMs;
constexpr uint64_t kMaxHoldNs = 500 * kNsPerMs;
// A path that has been down this long (and is not the peer's own
// endpoint) is forgotten; it comes back if the peer's packets arrive over
// it or its endpoint is told again.
constexpr uint64_t kForgetPathNs = 120 * kNsPerSec;
// A path is not given up to make room for another before it has had this
// long to answer (several probes).
constexpr uint64_t kMinPathAgeNs = 2 * kNsPerSec;
// Link lists from one peer: at most one in this long (each may add paths
// that are then probed).
constexpr uint64_t kLinkListIntervalNs = 1 * kNsPerSec;
// Data within this long makes a peer's paths active: probed every interval.
constexpr uint64_t kActiveNs = 1 * kNsPerSec;
// A path that brought bulk data within this long is one the peer spreads
// its traffic over (note_bulk).
constexpr uint64_t kBulkPathActiveNs = 100 * kNsPerMs;
// Fixed-point scale of the fair-queueing tags (bytes x scale / share).
constexpr uint64_t kTagScale = 1000000;

bool reaches(const LinkConfig& l, const Endpoint& to) { return to.is_v4() ? l.v4 : l.v6; }

// Which paths serve bulk traffic, best first: up on a regular link, then
// degraded ones, then a fallback link's (used only when no other is).
int tier(const Path& p, const Link& l) {
  if (!p.monitor.usable()) return -1;
  if (l.config().fallback_only || p.remote_fallback) return 2;
  return p.monitor.state() == PathState::kUp ? 0 : 1;
}

}  // namespace

Path* Node::find_path(Peer& peer, uint8_t link, const Endpoint& to) {
  for (Path& p : peer.paths)
    if (p.link == link && p.remote == to) return &p;
  return nullptr;
}

// Pointers into peer.paths stay valid until the next add_path (which may
// make room) or timers_paths (which forgets old paths).
Path* Node::add_path(Peer& peer, uint8_t link, const Endpoint& to, uint64_t now) {
  if (link >= links_.size() || !reaches(links_[link].config(), to)) return nullptr;
  if (Path* p = find_path(peer, link, to)) return p;
  if (peer.paths.size() >= Peer::kMaxPaths) {
    // The path down longest makes room; a usable one never does, nor the
    // one handshakes go by, nor one too young to have been tried.
    auto since = [](const Path& p) { return std::max(p.monitor.last_change_ns(), p.created_ns); };
    auto victim = peer.paths.end();
    for (auto it = peer.paths.begin(); it != peer.paths.end(); ++it)
      if (!it->monitor.usable() && !(it->link == peer.link && it->remote == peer.endpoint) &&
          now - it->created_ns > kMinPathAgeNs &&
          (victim == peer.paths.end() || since(*it) < since(*victim)))
        victim = it;
    if (victim == peer.paths.end()) return nullptr;
    peer.paths.erase(victim);
  }
  if (peer.paths.empty()) peer.paths.reserve(Peer::kMaxPaths);
  peer.paths.emplace_back(link, to, cfg_.probe_interval_ns, links_[link].config().tolerance, now);
  Path& p = peer.paths.back();
  p.finish = peer.vclock;
  if (peer.paths.size() >= 2 && !peer.reorder)
    peer.reorder = std::make_unique<ReorderBuffer>(kReorderSlots, pool_,
                                                   [this](PacketBuf* b) { deliver(b); });
  log_debug("peer %s: path %s -> %s", peer.name().c_str(), links_[link].name().c_str(),
            to.str().c_str());
  return &p;
}

void Node::add_link_paths(Peer& peer, const Endpoint& to, uint64_t now) {
  for (size_t l = 0; l < links_.size(); ++l) add_path(peer, static_cast<uint8_t>(l), to, now);
}

Path* Node::note_path_rx(Peer& peer, uint8_t link, const Endpoint& from, size_t len,
                         uint64_t now) {
  Path* p = find_path(peer, link, from);
  if (p == nullptr && multilink(peer)) {
    // The way the session came first, then this new one.
    if (peer.paths.empty()) add_path(peer, peer.link, peer.endpoint, now);
    p = add_path(peer, link, from, now);
  }
  if (p == nullptr) return nullptr;
  ++p->rx_packets;
  p->rx_bytes += len;
  p->last_rx_ns = now;
  return p;
}

Path* Node::fastest_path(Peer& peer, const Path* other) {
  Path* best = nullptr;
  int best_tier = 3;
  for (Path& p : peer.paths) {
    int t = tier(p, links_[p.link]);
    if (t < 0 || &p == other) continue;
    if (best == nullptr || t < best_tier ||
        (t == best_tier && p.monitor.srtt_ns() < best->monitor.srtt_ns())) {
      best = &p;
      best_tier = t;
    }
  }
  return best;
}

Path* Node::choose_path(Peer& peer, bool bulk, uint32_t wire, uint64_t now) {
  if (!multipath(peer)) return nullptr;
  if (!bulk) return fastest_path(peer);
  for (int want = 0; want < 3; ++want) {
    Path* best = nullptr;
    uint64_t best_delay = 0, best_start = 0;
    for (Path& p : peer.paths) {
      Link& link = links_[p.link];
      if (tier(p, link) != want) continue;
      uint64_t delay = link.backlog_ns(wire, now);
      uint64_t start = std::max(p.finish, peer.vclock);
      if (best == nullptr || delay < best_delay || (delay == best_delay && start < best_start)) {
        best = &p;
        best_delay = delay;
        best_start = start;
      }
    }
    if (best) {
      peer.vclock = best_start;
      best->finish = best_start + uint64_t{wire} * kTagScale / links_[best->link].share();
      return best;
    }
  }
  return nullptr;
}

bool Node::send_on_link(uint8_t link, const Endpoint& to, PacketBuf* buf, LinkSend how,
                        uint64_t now) {
  if (link >= links_.size()) link = 0;
  Link& l = links_[link];
  uint32_t wire = wire_bytes(buf->len, to.is_v4());
  bool now_ok = false;
  switch (how) {
    case LinkSend::kUrgent:
      l.charge(wire, now);
      now_ok = true;
      break;
    case LinkSend::kBulk:
      now_ok = l.send_now(wire, now);
      if (!now_ok && !l.enqueue(to, buf, wire)) {
        ++counters_.drop_link_queue;
        pool_.put(buf);
        return false;
      }
      break;
  }
  if (now_ok) {
    l.count_sent(wire);
    ++counters_.tx_packets;
    out_.send_udp(link, to, buf);
  }
  return true;
}

void Node::on_timer() {
  uint64_t now = clock_.now_ns();
  for (size_t i = 0; i < links_.size(); ++i) {
    links_[i].drain(now, [&](const Endpoint& to, PacketBuf* b, uint32_t) {
      ++counters_.tx_packets;
      out_.send_udp(static_cast<uint8_t>(i), to, b);
    });
  }
  size_t kept = 0;
  for (Peer* p : reordering_) {
    p->reorder->poll(now);
    if (p->reorder->held() > 0) reordering_[kept++] = p;
  }
  reordering_.resize(kept);
}

uint64_t Node::next_timer_ns() {
  uint64_t now = clock_.now_ns();
  uint64_t next = UINT64_MAX;
  for (Link& l : links_) next = std::min(next, l.next_ready_ns(now));
  for (Peer* p : reordering_) next = std::min(next, p->reorder->deadline());
  return next;
}

void Node::on_path_probe(Peer& peer, std::span<const uint8_t> body, Path* path) {
  PathProbeMsg m;
  std::string why;
  if (!parse_path_probe(body, &m, &why) || path == nullptr) {
    ++counters_.drop_control;
    if (log_allowed())
      log_debug("peer %s: bad path probe (%s); dropped", peer.name().c_str(),
                path ? why.c_str() : "over no path");
    return;
  }
  if (!m.answer) {
    // What we counted on this path before the question (which counted too).
    send_path_probe(peer, *path, true, m.seq, m.time_ns, path->rx_packets - 1);
    return;
  }
  uint64_t now = clock_.now_ns();
  if (path->monitor.on_answer(m.seq, m.time_ns, m.count, now))
    links_[path->link].adapt(path->monitor.interval_tx(), path->monitor.interval_rx(),
                             path->monitor.last_rtt_ns(), path->monitor.min_rtt_ns(), now,
                             cfg_.probe_interval_ns);
}

void Node::on_links(Peer& peer, std::span<const uint8_t> body) {
  std::vector<LinkEndpoint> eps;
  std::string why;
  if (!parse_links(body, &eps, &why)) {
    ++counters_.drop_control;
    if (log_allowed())
      log_debug("peer %s: bad link list (%s); dropped", peer.name().c_str(), why.c_str());
    return;
  }
  uint64_t now = clock_.now_ns();
  if (peer.links_heard_ns != 0 && now - peer.links_heard_ns < kLinkListIntervalNs) {
    ++counters_.drop_control;
    return;
  }
  peer.links_heard_ns = now;
  peer.multilink = true;
  if (peer.paths.empty()) add_path(peer, peer.link, peer.endpoint, now);
  for (const LinkEndpoint& e : eps) {
    add_link_paths(peer, e.endpoint, now);
    for (Path& p : peer.paths)
      if (p.remote == e.endpoint) p.remote_fallback = e.fallback;
  }
}

void Node::set_link_endpoints(size_t link, std::vector<Endpoint> endpoints) {
  if (link >= links_.size() || links_[link].endpoints == endpoints) return;
  links_[link].endpoints = std::move(endpoints);
  // Peers learn the new addresses (only a node with several links tells).
  if (links_.size() < 2) return;
  for (auto& [id, p] : peers_)
    if (p->current) send_links(*p);
}

void Node::update_hold(Peer& peer) {
  if (!peer.reorder) return;
  uint64_t lo = UINT64_MAX, hi = 0, var = 0;
  size_t usable = 0;
  for (const Path& p : peer.paths) {
    if (!p.monitor.usable()) continue;
    ++usable;
    lo = std::min(lo, p.monitor.srtt_ns());
    hi = std::max(hi, p.monitor.srtt_ns());
    var = std::max(var, p.monitor.rttvar_ns());
  }
  uint64_t hold = usable < 2 ? kHoldMarginNs : hi - lo + 2 * var + kHoldMarginNs;
  peer.reorder->set_hold(std::min(hold + peer.reorder_extra_ns, kMaxHoldNs));
}

// Bulk data leaves the peer in counter order over each path (its link
// queues are FIFO, and so, nearly always, is the way): once every path
// that carries bulk has delivered a counter above a gap, the gap's packet
// is lost, not late, and waiting out the hold for it would only stall the
// session. Only while every path the peer may spread bulk over (the
// usable ones of the best kind) has brought some lately: a packet may be
// on its way over one that has not. (Urgent packets overtake queues, so
// only bulk counts here.)
void Node::note_bulk(Peer& peer, Path& path, uint64_t counter, uint64_t now) {
  path.bulk_max = std::max(path.bulk_max, counter);
  path.bulk_rx_ns = now;
  if (peer.reorder->held() == 0) return;
  int best = 3;
  for (const Path& p : peer.paths) {
    int t = tier(p, links_[p.link]);
    if (t >= 0) best = std::min(best, t);
  }
  // (Every path that brought bulk lately counts, whatever we think of
  // it: the peer spreads by its own view of the paths.)
  uint64_t lowest = UINT64_MAX;
  for (const Path& p : peer.paths) {
    bool recent = p.bulk_rx_ns != 0 && now - p.bulk_rx_ns <= kBulkPathActiveNs;
    if (recent)
      lowest = std::min(lowest, p.bulk_max);
    else if (tier(p, links_[p.link]) == best)
      return;
  }
  if (lowest != UINT64_MAX) peer.reorder->give_up_below(lowest);
}

// Our probes' round trips say how far apart our paths are, not how long
// the peer's packets wait in its queues and its providers' on the way
// here: a packet that arrives after its gap was given up says the hold
// was too short. The extra doubles then, and fades by 1/64 a tick.
void Node::adapt_hold(Peer& peer) {
  if (!peer.reorder) return;
  uint64_t late = peer.reorder->stats().late;
  if (late != peer.reorder_late) {
    peer.reorder_late = late;
    peer.reorder_extra_ns = std::min(std::max(2 * peer.reorder_extra_ns, 10 * kNsPerMs), kMaxHoldNs);
  } else {
    peer.reorder_extra_ns -= peer.reorder_extra_ns / 64;
  }
  update_hold(peer);
}

void Node::timers_paths(Peer& peer, uint64_t now) {
  if (!multipath(peer) || !peer.current) return;
  adapt_hold(peer);
  bool active = peer.last_data_ns != 0 && now - peer.last_data_ns < kActiveNs;
  bool changed = false;
  for (size_t i = 0; i < peer.paths.size(); ++i) {
    Path& p = peer.paths[i];
    if (now >= p.monitor.next_probe_ns(active)) {
      // The probe goes ahead of what waits for the link's pacer: it counts
      // only what went before it.
      uint64_t count = p.tx_packets - links_[p.link].queued_to(p.remote);
      uint32_t seq = p.monitor.on_sent(now, count);
      send_path_probe(peer, peer.paths[i], false, seq, now, count);
    }
    Path& q = peer.paths[i];
    if (q.monitor.check(now)) {
      changed = true;
      ++counters_.path_changes;
      q.finish = peer.vclock;
      log_info("peer %s: path %s -> %s %s (rtt %llu ms, loss %u.%u%%)", peer.name().c_str(),
               links_[q.link].name().c_str(), q.remote.str().c_str(),
               path_state_name(q.monitor.state()),
               static_cast<unsigned long long>(q.monitor.srtt_ns() / kNsPerMs),
               q.monitor.loss_permille() / 10, q.monitor.loss_permille() % 10);
    }
  }
  // Forget paths long down (never the way handshakes go).
  std::erase_if(peer.paths, [&](const Path& p) {
    return !p.monitor.usable() && now - std::max(p.monitor.last_change_ns(), p.created_ns) > kForgetPathNs &&
           !(p.link == peer.link && p.remote == peer.endpoint);
  });
  if (!changed) return;
  link_status_due_ = true;
  update_hold(peer);
  // Handshakes, keepalives and control go the best way.
  Path* best = fastest_path(peer);
  if (best && (best->link != peer.link || best->remote != peer.endpoint)) {
    Path* cur = find_path(peer, peer.link, peer.endpoint);
    if (cur == nullptr || !cur->monitor.usable() || cur->monitor.state() < best->monitor.state()) {
      peer.link = best->link;
      peer.endpoint = best->remote;
    }
  }
}

void Node::update_link_status() {
  if (!link_status_due_) return;
  link_status_due_ = false;
  std::vector<bool> up(links_.size(), false);
  for (auto& [id, p] : peers_) {
    if (!p->current || !live(*p)) continue;
    if (multipath(*p)) {
      for (const Path& path : p->paths)
        if (path.monitor.usable()) up[path.link] = true;
    } else if (p->link < up.size()) {
      up[p->link] = true;
    }
  }
  for (size_t i = 0; i < links_.size(); ++i) {
    if (links_[i].up == up[i]) continue;
    links_[i].up = up[i];
    log_info("link %s %s", links_[i].name().c_str(), up[i] ? "up" : "down");
    out_.link_status(static_cast<uint8_t>(i), up[i]);
  }
}

}  // namespace braid::engine
