// The route table's rules (route_table.h): feasibility, selection with
// hysteresis, announcements that set the feasibility distance, and seqno
// requests when every route left is unfeasible.
#include "engine/route_table.h"

#include <algorithm>

namespace braid::engine {
namespace {

// Another route replaces the selected one only when it is better by this
// much (or an eighth, for long routes): round trips jitter, and each
// change of next hop costs the flows through it their order.
constexpr uint16_t kHysteresis = 16;
// A change of the selected metric this large (a quarter) is told at once;
// smaller ones wait for the next full announcement.
constexpr uint16_t kTellChangeDiv = 4;
// Destinations held at most: bounds what a member's announcements can
// make us keep.
constexpr size_t kMaxDestinations = 8192;

}  // namespace

RouteTable::RouteTable(const NodeId& self, uint16_t seqno) : self_(self), seqno_(seqno) {}

uint16_t RouteTable::cost(const NodeId& n) const {
  auto it = neighbours_.find(n);
  return it == neighbours_.end() ? kMetricInfinity : it->second.cost;
}

bool RouteTable::draining(const NodeId& n) const {
  auto it = neighbours_.find(n);
  return it != neighbours_.end() && it->second.draining;
}

bool RouteTable::feasible(const Dest& d, uint16_t seqno, uint16_t advertised) const {
  if (advertised == kMetricInfinity || !d.has_fd) return true;
  if (seqno_older(d.fd_seqno, seqno)) return true;
  return seqno == d.fd_seqno && advertised < d.fd_metric;
}

uint16_t RouteTable::route_metric(const Route& r) {
  if (r.advertised == kMetricInfinity || r.cost == kMetricInfinity) return kMetricInfinity;
  uint32_t m = uint32_t{r.advertised} + r.cost;
  return m >= kMetricInfinity ? kMetricInfinity : static_cast<uint16_t>(m);
}

void RouteTable::mark_changed(const NodeId& dest) {
  if (std::find(changed_.begin(), changed_.end(), dest) == changed_.end()) changed_.push_back(dest);
}

template <typename Fn>
void RouteTable::each_route_via(const NodeId& n, Fn fn) {
  for (auto& [dest, d] : dests_)
    for (Route& r : d.routes)
      if (r.via == n) {
        fn(dest, d, r);
        break;
      }
}

void RouteTable::select(const NodeId& dest, Dest& d, uint64_t now) {
  const Route* best = nullptr;
  const Route* cur = nullptr;
  uint16_t best_m = kMetricInfinity, cur_m = kMetricInfinity;
  // A finite route exists that is not feasible (through a neighbour in
  // service: one that a newer seqno would let us move to).
  bool starving = false, starving_in_service = false;
  for (const Route& r : d.routes) {
    uint16_t m = route_metric(r);
    if (m == kMetricInfinity) continue;
    if (!feasible(d, r.seqno, r.advertised)) {
      starving = true;
      starving_in_service |= !r.draining;
      continue;
    }
    if (d.selected && r.via == *d.selected) cur = &r, cur_m = m;
    // A draining neighbour's route only when there is nothing else.
    if (best == nullptr || (r.draining != best->draining ? !r.draining : m < best_m))
      best = &r, best_m = m;
  }
  if (cur && best != cur && cur->draining == best->draining &&
      uint32_t{best_m} + std::max<uint16_t>(kHysteresis, cur_m / 8) > cur_m) {
    best = cur;
    best_m = cur_m;
  }
  bool had = d.selected.has_value();
  std::optional<NodeId> via = best ? std::optional<NodeId>(best->via) : std::nullopt;
  uint16_t seqno = best ? best->seqno : d.seqno;
  uint16_t diff = best_m > d.metric ? best_m - d.metric : d.metric - best_m;
  bool tell = via != d.selected || seqno != d.seqno ||
              (best && diff > std::max<uint16_t>(1, d.metric / kTellChangeDiv));
  d.selected = via;
  d.metric = best_m;
  d.seqno = seqno;
  d.via_draining = best && best->draining;
  if (best) d.unreachable_ns = 0;
  else if (had || d.unreachable_ns == 0) d.unreachable_ns = now;
  if (tell) mark_changed(dest);
  // Routes remain but none is feasible: only a newer seqno from the
  // destination makes them so. Asked of the neighbours that have one.
  // Likewise while only a draining neighbour's route is feasible: the
  // tunnel it uses is about to go. (Through the draining neighbour too:
  // its route is the one sure to lead to the destination, when the others
  // lead back through us.)
  bool ask = (!best && starving) || (d.via_draining && starving_in_service);
  if (ask && d.has_fd && (d.requested_ns == 0 || now - d.requested_ns >= kRequestIntervalNs)) {
    d.requested_ns = now;
    for (const Route& r : d.routes)
      if (route_metric(r) != kMetricInfinity)
        requests_.push_back(Request{r.via, dest, static_cast<uint16_t>(d.fd_seqno + 1), kMaxHops});
  }
}

void RouteTable::set_neighbour(const NodeId& n, uint16_t cost, uint64_t now) {
  if (n == self_) return;
  if (cost != kMetricInfinity) cost = std::clamp<uint16_t>(cost, 1, kMaxNeighbourCost);
  Neighbour& nb = neighbours_[n];
  if (nb.cost == cost) return;
  nb.cost = cost;
  each_route_via(n, [&](const NodeId& dest, Dest& d, Route& r) {
    r.cost = cost;
    select(dest, d, now);
  });
}

void RouteTable::set_draining(const NodeId& n, bool draining, uint64_t now) {
  auto it = neighbours_.find(n);
  if (it == neighbours_.end() || it->second.draining == draining) return;
  it->second.draining = draining;
  each_route_via(n, [&](const NodeId& dest, Dest& d, Route& r) {
    r.draining = draining;
    select(dest, d, now);
  });
}

void RouteTable::remove_neighbour(const NodeId& n, uint64_t now) {
  if (neighbours_.erase(n) == 0) return;
  for (auto& [dest, d] : dests_) {
    size_t before = d.routes.size();
    std::erase_if(d.routes, [&](const Route& r) { return r.via == n; });
    if (d.routes.size() != before) select(dest, d, now);
  }
}

void RouteTable::on_update(const NodeId& from, const RouteEntry& e, uint64_t now) {
  auto nb = neighbours_.find(from);
  if (nb == neighbours_.end()) return;
  if (e.dest == self_) {
    // Someone holds a newer seqno of ours than we do (we restarted):
    // announce past it, or every route to us stays unfeasible.
    if (seqno_older(seqno_, e.seqno)) {
      seqno_ = static_cast<uint16_t>(e.seqno + 1);
      self_changed_ = true;
    }
    return;
  }
  auto it = dests_.find(e.dest);
  if (it == dests_.end()) {
    if (e.metric == kMetricInfinity || dests_.size() >= kMaxDestinations) return;
    it = dests_.emplace(e.dest, Dest{}).first;
  }
  Dest& d = it->second;
  auto r = std::find_if(d.routes.begin(), d.routes.end(), [&](const Route& x) { return x.via == from; });
  if (e.metric == kMetricInfinity) {
    if (r == d.routes.end()) return;
    d.routes.erase(r);
  } else {
    if (r == d.routes.end()) {
      d.routes.push_back(Route{from});
      r = d.routes.end() - 1;
    }
    r->seqno = e.seqno;
    r->advertised = e.metric;
    r->updated_ns = now;
    r->cost = nb->second.cost;
    r->draining = nb->second.draining;
  }
  select(e.dest, d, now);
}

RequestAction RouteTable::on_request(const NodeId& from, const NodeId& dest, uint16_t seqno,
                                     uint8_t hops, uint64_t now) {
  RequestAction a;
  if (dest == self_) {
    if (seqno_older(seqno_, seqno)) {
      seqno_ = seqno;
      self_changed_ = true;
      a.kind = RequestAction::kAnnounceSelf;
    } else {
      a.kind = RequestAction::kAnswer;
    }
    return a;
  }
  auto it = dests_.find(dest);
  if (it == dests_.end()) return a;
  Dest& d = it->second;
  if (d.selected && d.metric != kMetricInfinity && !seqno_older(d.seqno, seqno)) {
    a.kind = RequestAction::kAnswer;
    return a;
  }
  if (hops <= 1) return a;
  // Towards the destination: the selected route, else any finite one.
  std::optional<NodeId> next = d.selected;
  if (!next)
    for (const Route& r : d.routes)
      if (route_metric(r) != kMetricInfinity && r.via != from) {
        next = r.via;
        break;
      }
  if (!next || *next == from) return a;
  if (d.forwarded_ns != 0 && now - d.forwarded_ns < kRequestIntervalNs &&
      !seqno_older(d.forwarded_seqno, seqno))
    return a;   // passed on already
  d.forwarded_ns = now;
  d.forwarded_seqno = seqno;
  a.kind = RequestAction::kForward;
  a.next = *next;
  return a;
}

std::optional<NodeId> RouteTable::next_hop(const NodeId& dest) const {
  auto it = dests_.find(dest);
  if (it == dests_.end() || it->second.metric == kMetricInfinity) return std::nullopt;
  return it->second.selected;
}

bool RouteTable::has_route_avoiding(const NodeId& dest, const NodeId& via) const {
  auto it = dests_.find(dest);
  if (it == dests_.end()) return false;
  for (const Route& r : it->second.routes)
    if (r.via != via && route_metric(r) != kMetricInfinity) return true;
  return false;
}

uint16_t RouteTable::metric(const NodeId& dest) const {
  auto it = dests_.find(dest);
  return it == dests_.end() ? kMetricInfinity : it->second.metric;
}

std::optional<RouteEntry> RouteTable::announce(const NodeId& dest) {
  if (dest == self_) return RouteEntry{self_, seqno_, 0};
  auto it = dests_.find(dest);
  if (it == dests_.end()) return std::nullopt;
  Dest& d = it->second;
  if (d.selected && d.metric != kMetricInfinity) {
    bool fresh = !d.has_fd || seqno_older(d.fd_seqno, d.seqno);
    uint16_t m = d.metric;
    if (d.via_draining) m = std::max(m, fresh ? kDrainMetric : d.fd_metric);
    if (fresh) {
      d.has_fd = true;
      d.fd_seqno = d.seqno;
      d.fd_metric = m;
    } else if (d.seqno == d.fd_seqno && m < d.fd_metric) {
      d.fd_metric = m;
    }
    d.announced = true;
    return RouteEntry{dest, d.seqno, m};
  }
  // Neighbours that route through us must hear that we no longer can.
  if (d.announced) return RouteEntry{dest, d.has_fd ? d.fd_seqno : d.seqno, kMetricInfinity};
  return std::nullopt;
}

std::vector<NodeId> RouteTable::destinations() const {
  std::vector<NodeId> out;
  out.reserve(dests_.size() + 1);
  out.push_back(self_);
  for (const auto& [dest, d] : dests_)
    if ((d.selected && d.metric != kMetricInfinity) || d.announced) out.push_back(dest);
  return out;
}

std::vector<NodeId> RouteTable::take_changed() {
  std::vector<NodeId> out;
  out.swap(changed_);
  if (self_changed_) {
    self_changed_ = false;
    out.insert(out.begin(), self_);
  }
  return out;
}

std::vector<RouteTable::Request> RouteTable::take_requests() {
  std::vector<Request> out;
  out.swap(requests_);
  return out;
}

void RouteTable::expire(uint64_t now) {
  for (auto it = dests_.begin(); it != dests_.end();) {
    Dest& d = it->second;
    size_t before = d.routes.size();
    std::erase_if(d.routes, [&](const Route& r) { return now - r.updated_ns > kRouteHoldNs; });
    // (Selecting again also asks again for a newer seqno, while routes
    // remain and none is feasible, or only a draining neighbour's is: a
    // request may have been lost.)
    if (d.routes.size() != before || (!d.selected && !d.routes.empty()) || d.via_draining)
      select(it->first, d, now);
    // Long unreachable: its feasibility distance can go (by now every
    // route through us that relied on it has expired as well).
    if (d.routes.empty() && !d.selected && d.unreachable_ns != 0 &&
        now - d.unreachable_ns > kForgetNs) {
      std::erase(changed_, it->first);
      it = dests_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<RouteTable::Row> RouteTable::rows(uint64_t now) const {
  std::vector<Row> out;
  for (const auto& [dest, d] : dests_) {
    Row row;
    row.dest = dest;
    row.seqno = d.seqno;
    row.metric = d.metric;
    row.routes = d.routes.size();
    if (d.selected) {
      row.next_hop = *d.selected;
      for (const Route& r : d.routes)
        if (r.via == *d.selected) row.age_ns = now - r.updated_ns;
    }
    out.push_back(row);
  }
  std::sort(out.begin(), out.end(), [](const Row& a, const Row& b) { return a.dest < b.dest; });
  return out;
}

}  // namespace braid::engine
