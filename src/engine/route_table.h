// Routing: which neighbour leads to each node of the network, by a
// distance-vector protocol with Babel's loop-freedom (RFC 8966 semantics;
// the messages are braid's own, doc/protocol.md "Routing").
//
// Every node announces itself with a sequence number; each neighbour (a
// peer with a direct session) passes on the routes it has selected with
// their metric, and a route's metric here is that plus the cost of the
// neighbour (from its measured round trip and loss). A node remembers,
// for every destination, the best (seqno, metric) it has announced: its
// feasibility distance. It selects only routes that are feasible — a
// newer seqno, or the same seqno with a strictly smaller metric than that
// distance — which no route through itself can be, so no loop forms at
// any time, even while updates are in flight. When a destination has
// routes but none feasible, the node asks (a seqno request, passed
// towards the destination) for a newer seqno, which makes every route
// feasible again.
//
// No system calls and no clock of its own: the node feeds it updates and
// times, sends what it asks, and reads next hops from it.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "engine/peer.h"

namespace braid::engine {

// A metric this large is no route (a retraction).
constexpr uint16_t kMetricInfinity = 0xFFFF;
// A neighbour's cost is at most this, so a route of kMaxHops hops stays
// finite.
constexpr uint16_t kMaxNeighbourCost = 4000;
// A route through a draining neighbour is announced at no less than this
// from its next seqno on (RouteTable::announce).
constexpr uint16_t kDrainMetric = 0x8000;
// A relayed packet's hop limit (and a seqno request's): longer routes are
// not used.
constexpr uint8_t kMaxHops = 16;

// Babel's sequence numbers wrap: a is older than b when b is ahead by
// less than half the space.
inline bool seqno_older(uint16_t a, uint16_t b) {
  return a != b && static_cast<uint16_t>(b - a) < 0x8000;
}

// One route as a message carries it.
struct RouteEntry {
  NodeId dest{};
  uint16_t seqno = 0;
  uint16_t metric = kMetricInfinity;
  bool operator==(const RouteEntry&) const = default;
};

// What a seqno request asks of its receiver (RouteTable::on_request).
struct RequestAction {
  enum Kind : uint8_t { kNone, kAnnounceSelf, kAnswer, kForward } kind = kNone;
  NodeId next{};   // kForward: the neighbour to pass it to
};

class RouteTable {
 public:
  explicit RouteTable(const NodeId& self, uint16_t seqno);

  const NodeId& self() const { return self_; }
  uint16_t seqno() const { return seqno_; }

  // A neighbour reached directly at this cost (kMetricInfinity: not
  // reachable now). Routes through it are selected again.
  void set_neighbour(const NodeId& n, uint16_t cost, uint64_t now);
  // A neighbour whose direct tunnel is about to go (make before break):
  // its routes are kept, but used only while no other feasible route
  // exists, and where the others are not yet feasible they are asked for
  // a newer seqno, so traffic moves off it before the tunnel goes rather
  // than starving after. Routes through it stay as they are otherwise;
  // set_neighbour keeps the mark.
  void set_draining(const NodeId& n, bool draining, uint64_t now);
  bool draining(const NodeId& n) const;
  // The session with it is gone: its routes go too.
  void remove_neighbour(const NodeId& n, uint64_t now);
  // kMetricInfinity when not a reachable neighbour.
  uint16_t cost(const NodeId& n) const;
  bool reachable(const NodeId& n) const { return cost(n) != kMetricInfinity; }

  // A route a neighbour announced (the metric as it sent it).
  void on_update(const NodeId& from, const RouteEntry& e, uint64_t now);
  // A seqno request from neighbour `from` for `dest` with `seqno` that has
  // `hops` hops left.
  RequestAction on_request(const NodeId& from, const NodeId& dest, uint16_t seqno, uint8_t hops,
                           uint64_t now);

  // The neighbour to send towards dest through (nullopt: no route).
  std::optional<NodeId> next_hop(const NodeId& dest) const;
  // Some neighbour other than `via` announces a finite route to dest.
  bool has_route_avoiding(const NodeId& dest, const NodeId& via) const;
  // The selected route's metric (kMetricInfinity: none).
  uint16_t metric(const NodeId& dest) const;

  // What to announce for dest now: the selected route, or a retraction;
  // announcing a route lowers the feasibility distance. nullopt: nothing
  // (a destination we never announced and cannot reach).
  //
  // A route through a draining neighbour is announced, from the first
  // seqno that reaches us after the drain began, at kDrainMetric or more
  // (and at that seqno never lower): every node then prefers any other
  // way, ourselves included, since a route announced at less than that
  // is feasible against it, so the whole network moves off the tunnel
  // before it goes. Announcing more than a route's metric keeps
  // loop-freedom: it is still more than the neighbour announced. (At the
  // seqno already announced the metric stays: raising it there would make
  // the routes through us unfeasible, which is what draining avoids.)
  std::optional<RouteEntry> announce(const NodeId& dest);
  // Every destination worth a full announcement (ourself first).
  std::vector<NodeId> destinations() const;
  // Destinations whose selected route changed enough to tell neighbours
  // at once (triggered updates), cleared as they are taken.
  std::vector<NodeId> take_changed();
  // Seqno requests to send: (neighbour, dest, seqno), cleared as taken.
  struct Request {
    NodeId to{};
    NodeId dest{};
    uint16_t seqno = 0;
    uint8_t hops = kMaxHops;
  };
  std::vector<Request> take_requests();

  // Forgets routes not refreshed in time and destinations unreachable
  // long enough that their feasibility distance can go. Call each second.
  void expire(uint64_t now);

  // The table, for logs and the control socket.
  struct Row {
    NodeId dest{};
    NodeId next_hop{};
    uint16_t seqno = 0;
    uint16_t metric = kMetricInfinity;
    uint64_t age_ns = 0;   // since the selected route was last updated
    size_t routes = 0;     // neighbours announcing it
  };
  std::vector<Row> rows(uint64_t now) const;
  size_t size() const { return dests_.size(); }

  // A route's announcement lasts this long unrefreshed (three and a half
  // idle full announcements), and an unreachable destination is
  // forgotten after kForgetNs: only once every neighbour's route through
  // us, which our distance guarded, has expired too.
  static constexpr uint64_t kRouteHoldNs = 1050 * kNsPerSec;
  static constexpr uint64_t kForgetNs = kRouteHoldNs + 60 * kNsPerSec;
  // Seqno requests for one destination at most this often.
  static constexpr uint64_t kRequestIntervalNs = 500 * kNsPerMs;

 private:
  struct Neighbour {
    uint16_t cost = kMetricInfinity;
    bool draining = false;
  };
  struct Route {
    NodeId via{};
    uint16_t seqno = 0;
    uint16_t advertised = kMetricInfinity;
    uint64_t updated_ns = 0;
    // The neighbour's, copied here: selection runs for every update
    // received, and a lookup per route per update was most of its time.
    uint16_t cost = kMetricInfinity;
    bool draining = false;
  };
  struct Dest {
    std::vector<Route> routes;
    std::optional<NodeId> selected;   // the `via` of the selected route
    uint16_t metric = kMetricInfinity;   // the selected route's metric
    uint16_t seqno = 0;                  // and its seqno
    bool via_draining = false;           // through a draining neighbour
    // Feasibility distance: the best (seqno, metric) we have announced.
    bool has_fd = false;
    uint16_t fd_seqno = 0;
    uint16_t fd_metric = kMetricInfinity;
    // We announced a finite route for it (so a retraction is owed).
    bool announced = false;
    uint64_t unreachable_ns = 0;   // when it last lost its route (0: has one)
    uint64_t requested_ns = 0;     // our last seqno request for it
    uint16_t forwarded_seqno = 0;  // the last request passed on, and when
    uint64_t forwarded_ns = 0;
  };

  bool feasible(const Dest& d, uint16_t seqno, uint16_t advertised) const;
  static uint16_t route_metric(const Route& r);
  // Calls fn(dest, d, route) for every route through n.
  template <typename Fn>
  void each_route_via(const NodeId& n, Fn fn);
  // Picks the best feasible route (with hysteresis) and notes changes.
  void select(const NodeId& dest, Dest& d, uint64_t now);
  void mark_changed(const NodeId& dest);

  NodeId self_;
  uint16_t seqno_;
  std::unordered_map<NodeId, Neighbour, NodeIdHash> neighbours_;
  std::unordered_map<NodeId, Dest, NodeIdHash> dests_;
  std::vector<NodeId> changed_;
  std::vector<Request> requests_;
  bool self_changed_ = false;
};

}  // namespace braid::engine
