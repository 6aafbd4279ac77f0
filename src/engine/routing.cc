// Routing's side of the node: hellos and route announcements to direct
// neighbours, whether each neighbour still answers directly and at what
// cost, triggered announcements and seqno requests. The rules that keep
// routes loop-free are the route table's (route_table.h).
//
// A neighbour sends us all its routes only while we want them: while we
// have a peer, or a node heard of, that we cannot reach directly (and
// always with max_peers, which makes such peers). Otherwise its messages
// carry only its own entry, which is all a full mesh needs until a
// direct way fails: an idle full mesh then says little more than its
// keepalives, however many nodes it has.
//
// Every kRoutes message is a hello: it goes directly (never through a
// relay, since it tests the direct way), carries timestamps for the
// round trip and a sequence number for loss, and counts as the
// keepalive of an idle pair. Hellos go every kHelloActiveNs while traffic
// flows to or through a neighbour, so that a direct way that dies under
// traffic is found within kNeighbourDeadNs and its traffic rerouted;
// idle neighbours are judged by the keepalives they owe anyway.
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "engine/exchange.h"
#include "engine/node.h"
#include "engine/timers.h"

namespace braid::engine {
namespace {

// Hellos while traffic flows to or through a neighbour, and traffic this
// recent makes it so. (Three a second: a TCP stream's retransmission
// timer doubles while its way is dead, so the sooner it is rerouted the
// sooner the stream resumes.)
constexpr uint64_t kHelloActiveNs = 300 * kNsPerMs;
constexpr uint64_t kActiveWindowNs = 2 * kNsPerSec;
// A neighbour under traffic that has sent nothing directly for this long
// is unreachable directly: four hellos missed.
constexpr uint64_t kNeighbourDeadNs = 1200 * kNsPerMs;
// An unreachable neighbour gets a hello this often, to find it back.
constexpr uint64_t kDeadHelloNs = 2 * kNsPerSec;
// Full announcements to a neighbour: every kDumpActiveNs under traffic,
// every kDumpIdleNs otherwise (triggered ones tell changes at once; these
// repair what was lost, and keep routes from expiring: the route table's
// hold outlasts three). Only a neighbour that wants routes gets them
// all; the others get our own entry.
constexpr uint64_t kDumpActiveNs = 16 * kNsPerSec;
constexpr uint64_t kDumpIdleNs = 300 * kNsPerSec;
static_assert(RouteTable::kRouteHoldNs >= 3 * kDumpIdleNs);
// A hop costs this plus its round trip in quarter milliseconds: on a LAN
// the hop count decides, across continents the round trip does.
constexpr uint32_t kHopCost = 64;
constexpr uint64_t kCostPerNs = 250 * 1000;
// A relayed peer's exchanged address is tried directly with this backoff.
constexpr uint64_t kDirectBackoffMinNs = 2 * kNsPerSec;
constexpr uint64_t kDirectBackoffMaxNs = 64 * kNsPerSec;

uint32_t micros(uint64_t ns) { return static_cast<uint32_t>(ns / 1000); }   // wraps: differences only

uint64_t jitter(uint64_t range_ns) {
  return randombytes_uniform(static_cast<uint32_t>(range_ns / kNsPerMs)) * kNsPerMs;
}

}  // namespace

// The idle neighbour's keepalive (timers.cc): a hello, with every route
// when they are due.
void Node::send_idle_hello(Peer& peer) {
  if (clock_.now_ns() >= peer.hello.next_dump_ns)
    send_route_dump(peer);
  else
    send_hello(peer);
}

size_t Node::direct_peers() const {
  uint64_t now = clock_.now_ns();
  size_t n = 0;
  for (const auto& [id, p] : peers_)
    if (p->current && p->direct() && p->drain_until_ns == 0 && !tunnel_dead(*p, now)) ++n;
  return n;
}

bool Node::neighbour_alive(const Peer& peer, uint64_t now) const {
  if (!peer.current || !peer.direct() || peer.direct_rx_ns == 0) return false;
  // Found lost: back only when something comes directly. (Not when the
  // traffic that found it lost goes idle, which the rule for idle
  // neighbours below would take for an answer.)
  if (peer.hello.lost_ns != 0 && peer.direct_rx_ns <= peer.hello.lost_ns) return false;
  if (peer.hello.active) {
    uint64_t since = std::max(peer.direct_rx_ns, peer.hello.active_since_ns);
    return now - since <= kNeighbourDeadNs;
  }
  // Idle: it owes us a keepalive (or hello) at least every idle interval.
  return now - peer.direct_rx_ns <=
         idle_keepalive_ns() + uint64_t{cfg_.keepalive_s} * kNsPerSec + kSilenceGraceNs;
}

uint16_t Node::neighbour_cost(const Peer& peer) const {
  uint64_t rtt = peer.hello.srtt_ns;
  // Several paths: the fastest one's measurement is the better one.
  for (const Path& p : peer.paths)
    if (p.monitor.usable() && p.monitor.srtt_ns() > 0) rtt = rtt ? std::min(rtt, p.monitor.srtt_ns()) : p.monitor.srtt_ns();
  uint64_t cost = kHopCost + std::min<uint64_t>(rtt / kCostPerNs, 2000);
  // Lost hellos (once there are enough to judge) raise it, as ETX does.
  if (peer.hello.rx_total >= 16) {
    int got = __builtin_popcount(peer.hello.rx_window);
    cost = cost * 16 / static_cast<uint64_t>(std::max(got, 1));
  }
  return static_cast<uint16_t>(std::min<uint64_t>(cost, kMaxNeighbourCost));
}

void Node::update_neighbour(Peer& peer, uint64_t now) {
  bool alive = neighbour_alive(peer, now);
  uint16_t cost = alive ? neighbour_cost(peer) : kMetricInfinity;
  uint16_t old = peer.hello.cost;
  bool was = old != kMetricInfinity;
  // Round trips jitter: only a change of a quarter is worth recomputing
  // routes for.
  if (was == alive && (!alive || (cost > old ? cost - old : old - cost) <= old / 4)) return;
  peer.hello.cost = cost;
  peer.hello.lost_ns = alive ? 0 : now;
  routes_.set_neighbour(peer.id(), cost, now);
  // Back from unreachable: what it announced before may be stale (a
  // seqno it has since moved past). Both sides see it come back, and
  // each tells the other everything at once.
  if (alive && !was) peer.hello.next_dump_ns = 0;
  if (was != alive && peer.announced)
    log_info("peer %s: direct way %s", peer.name().c_str(),
             alive ? "answers" : "lost; its traffic goes through relays");
}

void Node::direct_lost(Peer& peer, uint64_t now) {
  peer.hello.cost = kMetricInfinity;
  peer.hello.lost_ns = now;
  routes_.set_neighbour(peer.id(), kMetricInfinity, now);
  log_info("peer %s: direct way lost (it sends through relays); its traffic goes through relays",
           peer.name().c_str());
}

std::vector<RouteEntry> Node::announcements(std::span<const NodeId> dests) {
  std::vector<RouteEntry> out;
  for (const NodeId& d : dests) {
    // An end node (relay = no) announces only itself.
    if (!cfg_.relay && d != id_) continue;
    // A node that wants no routes hears no changes of routes beyond its
    // neighbours: it announces only those, which it keeps up itself.
    if (!want_routes_ && d != id_ && routes_.next_hop(d) != d && routes_.metric(d) != kMetricInfinity)
      continue;
    if (auto e = routes_.announce(d)) out.push_back(*e);
  }
  return out;
}

void Node::send_routes(Peer& peer, std::span<const RouteEntry> entries) {
  uint64_t now = clock_.now_ns();
  // Every message carries our own entry: how neighbours know us as a
  // destination they can announce.
  std::vector<RouteEntry> own;
  if (entries.empty()) {
    own = announcements({&id_, 1});
    entries = own;
  }
  do {
    Hello h;
    h.routes_wanted = want_routes_;
    h.seq = ++peer.hello.tx_seq;
    uint64_t interval = peer.hello.active ? kHelloActiveNs : idle_keepalive_ns();
    h.interval_cs = static_cast<uint16_t>(std::min<uint64_t>(interval / (10 * kNsPerMs), 0xFFFF));
    h.time_us = micros(now);
    if (peer.hello.rx_ns != 0) {
      h.echo_us = peer.hello.rx_time_us;
      h.held_us = micros(now - peer.hello.rx_ns);
    }
    auto chunk = entries.first(std::min(entries.size(), kMaxRouteEntries));
    entries = entries.subspan(chunk.size());
    std::array<uint8_t, 1 + kRoutesHeaderLen + kMaxRouteEntries * kRouteEntryLen> msg;
    ByteWriter w(msg);
    w.u8(static_cast<uint8_t>(ControlType::kRoutes));
    write_routes(h, chunk, w);
    send_control_msg(peer, {msg.data(), w.size()}, true);
  } while (!entries.empty());
}

void Node::send_route_dump(Peer& peer) {
  uint64_t now = clock_.now_ns();
  std::vector<NodeId> dests =
      peer.hello.routes_wanted ? routes_.destinations() : std::vector<NodeId>{id_};
  std::vector<RouteEntry> entries = announcements(dests);
  send_routes(peer, entries);
  uint64_t every = peer.hello.active ? kDumpActiveNs : kDumpIdleNs;
  peer.hello.next_dump_ns = now + every - every / 10 + jitter(every / 5);
}

void Node::on_routes(Peer& peer, std::span<const uint8_t> body) {
  Hello h;
  std::vector<RouteEntry> entries;
  std::string why;
  if (!parse_routes(body, &h, &entries, &why)) {
    ++counters_.drop_control;
    if (log_allowed()) log_debug("peer %s: bad routes (%s); dropped", peer.name().c_str(), why.c_str());
    return;
  }
  uint64_t now = clock_.now_ns();
  HelloState& st = peer.hello;
  if (st.rx_ns == 0) {
    st.rx_window = 1;
  } else {
    uint16_t gap = static_cast<uint16_t>(h.seq - st.rx_seq);
    if (gap == 0 || gap >= 0x8000) gap = 0;   // a duplicate or an old one: no news
    if (gap) st.rx_window = static_cast<uint16_t>((gap >= 16 ? 0 : st.rx_window << gap) | 1);
  }
  if (st.rx_total < 16) ++st.rx_total;
  st.rx_seq = h.seq;
  st.rx_time_us = h.time_us;
  st.rx_ns = now;
  st.interval_ns = uint64_t{h.interval_cs} * 10 * kNsPerMs;
  // It wants our routes now: all of them at once.
  if (h.routes_wanted && !st.routes_wanted) st.next_dump_ns = 0;
  st.routes_wanted = h.routes_wanted;
  if (h.echo_us != 0) {
    uint32_t rtt_us = micros(now) - h.echo_us - h.held_us;
    if (rtt_us < 10 * 1000 * 1000) {   // else a clock step or a forgery: ignored
      uint64_t sample = uint64_t{rtt_us} * 1000;
      st.srtt_ns = st.srtt_ns ? (7 * st.srtt_ns + sample) / 8 : sample;
    }
  }
  update_neighbour(peer, now);
  for (const RouteEntry& e : entries) routes_.on_update(peer.id(), e, now);
}

void Node::send_route_request(Peer& peer, const RouteRequestMsg& m) {
  std::array<uint8_t, 1 + kRouteRequestLen> msg;
  ByteWriter w(msg);
  w.u8(static_cast<uint8_t>(ControlType::kRouteRequest));
  write_route_request(m, w);
  send_control_msg(peer, {msg.data(), w.size()}, true);
}

void Node::on_route_request(Peer& peer, std::span<const uint8_t> body) {
  RouteRequestMsg m;
  std::string why;
  if (!parse_route_request(body, &m, &why)) {
    ++counters_.drop_control;
    return;
  }
  RequestAction a = routes_.on_request(peer.id(), m.dest, m.seqno, m.hops, clock_.now_ns());
  switch (a.kind) {
    case RequestAction::kAnswer: {
      std::vector<RouteEntry> e = announcements({&m.dest, 1});
      if (!e.empty()) send_routes(peer, e);
      break;
    }
    case RequestAction::kForward: {
      auto it = peers_.find(a.next);
      if (it == peers_.end() || !it->second->current || !it->second->direct()) break;
      m.hops = static_cast<uint8_t>(m.hops - 1);
      send_route_request(*it->second, m);
      break;
    }
    case RequestAction::kAnnounceSelf:   // the triggered announcement tells everyone
    case RequestAction::kNone:
      break;
  }
}

void Node::timers_routes(uint64_t now) {
  // Each neighbour's state and cost first: whether we want routes
  // depends on them.
  for (auto& [id, p] : peers_) {
    Peer& peer = *p;
    if (!peer.current || !peer.direct()) {
      if (peer.hello.cost != kMetricInfinity) {
        peer.hello.cost = kMetricInfinity;
        routes_.set_neighbour(id, kMetricInfinity, now);
      }
      continue;
    }
    HelloState& st = peer.hello;
    bool active = (peer.last_data_ns != 0 && now - peer.last_data_ns < kActiveWindowNs) ||
                  (peer.relay_ns != 0 && now - peer.relay_ns < kActiveWindowNs);
    if (active && !st.active) {
      st.active = true;
      st.active_since_ns = now;
      st.next_hello_ns = now;
    }
    if (!active) st.active = false;
    update_neighbour(peer, now);
  }
  bool want = cfg_.max_peers != 0;
  for (auto& [id, p] : peers_)
    if (p->current && (!p->direct() || p->hello.cost == kMetricInfinity)) want = true;
  for (auto& [id, c] : candidates_)
    if (c.attempts >= kRelayAfterAttempts) want = true;
  bool ask = want && !want_routes_;
  want_routes_ = want;
  for (auto& [id, p] : peers_) {
    Peer& peer = *p;
    if (!peer.current || !peer.direct()) continue;
    HelloState& st = peer.hello;
    bool dead = st.cost == kMetricInfinity;
    // (A firewall probe's quiet is broken by what routing has to say:
    // the probe finds that out and asks again later, timers.cc.)
    // We want routes now: every neighbour hears so at once.
    if (ask && !dead) {
      send_hello(peer);
      continue;
    }
    if (!st.active && !dead) {
      // Idle and answering: hellos and full announcements ride on the
      // keepalives (timers.cc); a new neighbour hears all we know now.
      if (st.next_dump_ns == 0) send_route_dump(peer);
      continue;
    }
    uint64_t interval = st.active ? kHelloActiveNs : kDeadHelloNs;
    if (now < st.next_hello_ns) continue;
    st.next_hello_ns = now + interval;
    if (!dead && now >= st.next_dump_ns)
      send_route_dump(peer);
    else
      send_hello(peer);
  }
  // What changed is told to every neighbour that answers.
  std::vector<NodeId> changed = routes_.take_changed();
  if (!changed.empty()) {
    counters_.route_changes += changed.size();
    std::vector<RouteEntry> entries = announcements(changed);
    // (Our own entry goes to every neighbour; the rest to those that
    // want routes.)
    std::vector<RouteEntry> own;
    for (const RouteEntry& e : entries)
      if (e.dest == id_) own.push_back(e);
    for (auto& [id, p] : peers_) {
      if (!p->current || !p->direct() || p->hello.cost == kMetricInfinity) continue;
      if (p->hello.routes_wanted && !entries.empty())
        send_routes(*p, entries);
      else if (!own.empty())
        send_routes(*p, own);
    }
  }
  for (const RouteTable::Request& r : routes_.take_requests()) {
    auto it = peers_.find(r.to);
    if (it == peers_.end() || !it->second->current || !it->second->direct()) continue;
    send_route_request(*it->second, RouteRequestMsg{r.dest, r.seqno, r.hops});
  }
  if (now - last_route_expire_ns_ >= kNsPerSec) {
    last_route_expire_ns_ = now;
    routes_.expire(now);
  }
}

// A peer reached through relays whose address exchange told us is tried
// directly, with backoff: when that works (a NAT that lets it through, a
// link that came back), the handshake's answer makes the way direct.
void Node::timers_direct(Peer& peer, uint64_t now, bool refresh) {
  if (peer.direct() || !peer.direct_hint || !peer.current || now < peer.direct_next_ns ||
      unlinked(peer, now))
    return;
  if (!refresh && direct_full()) return;
  if (peer.direct_index) drop_handshake(peer.direct_index);
  else ++direct_count_;
  NodeId id = peer.id();
  peer.direct_index = start_initiation(*peer.direct_hint, -1, &id, true);
  // An answer from another node at that address says nothing of this one.
  if (peer.direct_index) handshakes_[peer.direct_index]->probe = true;
  peer.direct_backoff_ns = std::clamp(peer.direct_backoff_ns * 2, kDirectBackoffMinNs, kDirectBackoffMaxNs);
  peer.direct_next_ns = now + peer.direct_backoff_ns + jitter(kRetryJitterNs);
  // Behind a NAT it drops our attempt unless it sends to us at the same
  // time: the relay next to us, which sees where we are, tells it so.
  bool unreachable = false;
  Peer* hop = relay_hop(peer, &unreachable);
  if (hop && cfg_.peer_exchange &&
      (peer.direct_intro_ns == 0 || now - peer.direct_intro_ns >= kIntroduceIntervalNs)) {
    peer.direct_intro_ns = now;
    std::array<uint8_t, 1 + kIntroduceLen> msg;
    msg[0] = static_cast<uint8_t>(ControlType::kIntroduce);
    memcpy(msg.data() + 1, id.data(), kIntroduceLen);
    send_control_msg(*hop, msg, false);
  }
}

}  // namespace braid::engine
