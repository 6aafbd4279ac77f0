// Management traffic of an idle mesh, and routing at scale
// (doc/performance.md, "Management traffic" and "Routing at scale"): N
// nodes — the engine's own Node, with its handshakes, timers, peer
// exchange and routing — on an in-process network with a simulated clock.
// Each node is configured with one earlier node only; peer exchange has
// to join them. Every datagram each node sends is counted by kind:
// keepalives (empty data packets), handshakes (messages 1, 2, 3 and
// cookie replies) and control messages (claims, peer lists,
// introductions, routes...; their type read with the session's own
// keys), with 28 bytes of IPv4 and UDP header each. libsodium's
// randomness comes from --seed, so a seed repeats a run exactly.
//
// Idle mesh: `make bench-mesh` or tests/bench/mesh_bench [N...]
// [--window SECS] [--tick MS] [--settle SECS] [--form-limit SECS]
// [--seed N]. Defaults: 10, 100 and 1000 nodes; ticks of 100 ms (1 s from
// 500 nodes); the window opens 360 s after the mesh is complete and lasts
// three idle keepalive periods.
//
// Routing: `make bench-routing` or tests/bench/mesh_bench N --max-peers N
// [--tunnel-refresh SECS] [--kill PCT] [--reconverge-limit SECS] [--after SECS] and the
// options above (window 120 s). Bounded tunnels converge, stay idle for
// the window, carry test packets between every pair, then PCT% of the
// nodes are knocked out and the survivors' test packets must get through
// again; next hops are followed for loops every simulated second. Exits
// non-zero on a loop, or when a pair the remaining tunnels connect never
// delivers. MESH_TRACE=1 prints routing traffic every 10 simulated
// seconds; MESH_DEBUG=1 names missing routes, the nodes of the pairs each
// failed round missed, and lost pairs.
#include <arpa/inet.h>
#include <sodium.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/log.h"
#include "crypto/sodium.h"
#include "engine/endpoint.h"
#include "engine/node.h"
#include "engine/pool.h"
#include "engine/timers.h"
#include "engine/wire.h"

namespace {

namespace engine = braid::engine;
using braid::kNsPerMs;
using braid::kNsPerSec;

constexpr uint16_t kPort = 3210;
// IPv4 (20) and UDP (8) headers: what each datagram costs on the wire
// beyond what braid writes.
constexpr uint64_t kHeaderBytes = 28;
// Node k starts ticking k * kStaggerMs after node 0, so that a thousand
// first initiations do not all land in one tick.
constexpr uint64_t kStaggerMs = 20;
// Every datagram is copied out of its pool buffer as soon as it is sent,
// so a node holds at most a few buffers at once.
constexpr size_t kBuffers = 256;
constexpr size_t kBufferSize = 2048;

[[noreturn]] void die(const std::string& what) {
  fprintf(stderr, "mesh_bench: %s\n", what.c_str());
  exit(1);
}

double wall_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

// What a datagram is, for the figures: a node's own keepalives (empty
// data packets), handshakes and control messages, directly or through
// relays; its own data (the routing run's test packets); and other nodes'
// packets it relays on.
enum Kind : size_t { kKeepalive, kHandshake, kControl, kData, kForwarded, kOther, kKinds };

// Control message types (wire.h ControlType) have numbers below this.
constexpr size_t kControlTypes = 16;

struct Tally {
  std::array<uint64_t, kKinds> bytes{};
  std::array<uint64_t, kKinds> packets{};
  // kControl by the sealed message's type (0: not found out).
  std::array<uint64_t, kControlTypes> control_bytes{};
  uint64_t inits = 0;   // handshake initiations among the handshake packets
  uint64_t total_bytes() const {
    uint64_t t = 0;
    for (uint64_t b : bytes) t += b;
    return t;
  }
};

// Node i (from 0) is at 10.a.b.c:3210 with a.b.c = i + 1: the address
// names the node, so delivery needs no table.
engine::Endpoint address(uint32_t index) {
  uint32_t n = index + 1;
  const uint8_t a[4] = {10, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                        static_cast<uint8_t>(n)};
  return engine::Endpoint::from_bytes(4, a, kPort);
}

// The node at e, or UINT32_MAX when no node is there.
uint32_t index_of(const engine::Endpoint& e, size_t nodes) {
  const uint8_t* a = e.sa.sin6_addr.s6_addr + 12;
  if (!e.is_v4() || a[0] != 10 || ntohs(e.sa.sin6_port) != kPort) return UINT32_MAX;
  uint32_t n = (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) | a[3];
  return n >= 1 && n <= nodes ? n - 1 : UINT32_MAX;
}

struct Datagram {
  engine::Endpoint from;
  uint32_t from_index = 0;
  uint32_t to = 0;
  std::vector<uint8_t> bytes;
};

// Every node shares the network's magic and key.
constexpr engine::Magic kMagic = {0x62, 0x72, 0x64, 0x01};

struct Options {
  std::vector<size_t> sizes;
  double window_s = 0;       // 0: three idle keepalive periods (120 s routing)
  // Past the formation's own traffic (its greetings, resent claims and
  // half-done handshakes), the two keepalive intervals after which a pair
  // counts as idle, and the probes by which each node finds out that
  // unsolicited packets reach it (no firewall): until then it keeps the
  // short keepalive, and a probe takes up to two idle intervals.
  double settle_s = 360;
  double form_limit_s = 0;   // 0: 600 s (300 s routing)
  uint64_t tick_ms = 0;      // 0: kTickMs below kCoarseFrom nodes, 1 s from there
  uint32_t seed = 1;
  // Routing (run_routing): bounded tunnels, and the share of nodes
  // knocked out once the mesh has converged.
  uint32_t max_peers = 0;
  double tunnel_refresh_s = 60;
  double kill_pct = 0;
  double reconverge_limit_s = 300;
  uint32_t after_rounds = 20;
  bool routing() const { return max_peers != 0 || kill_pct > 0; }
};

class Mesh;

// One node and what it sent.
class Host final : public engine::NodeOutput {
 public:
  Host(Mesh& mesh, uint32_t index, const engine::NodeConfig& cfg);
  void send_udp(uint8_t link, const engine::Endpoint& to, engine::PacketBuf* buf) override;
  void write_device(engine::PacketBuf* buf) override;
  engine::Node& node() { return *node_; }
  const engine::Node& node() const { return *node_; }
  Tally sent;

 private:
  Mesh& mesh_;
  uint32_t index_;
  std::unique_ptr<engine::Node> node_;
};

// Sessions held across the mesh at one moment.
struct Census {
  size_t nodes_complete = 0;   // nodes with a session to every other
  size_t min_sessions = SIZE_MAX;
  uint64_t sessions = 0;       // summed over nodes (each pair twice)
  size_t nodes_live = 0;       // nodes that see every other as live
};

// The routing run's test packets: an inner packet naming its sender and
// its round, which the receiving host notes (Mesh::delivered).
constexpr uint32_t kTestPacketTag = 0x62726474;
constexpr size_t kTestPacketLen = 60;

// The network: one clock, one pool, one FIFO of datagrams delivered in
// order and without loss after every tick. Nodes knocked out stop
// ticking, and every datagram to or from them is lost.
class Mesh {
 public:
  Mesh(size_t nodes, const Options& o);

  // Moves the clock by tick_ms, ticks every node that has started, then
  // delivers everything queued (and whatever that sends in turn).
  void step(uint64_t tick_ms);
  void deliver();
  Census census(bool check_live) const;
  void enqueue(Datagram d) { queue_.push_back(std::move(d)); }
  size_t size() const { return hosts_.size(); }
  size_t started() const { return started_; }
  uint64_t elapsed_ns() const { return clock.now_ns() - start_ns_; }
  const Host& host(size_t i) const { return *hosts_[i]; }
  Host& host(size_t i) { return *hosts_[i]; }
  size_t index(const engine::NodeId& id) const { return index_.at(id); }
  bool alive(size_t i) const { return alive_[i]; }
  void kill(size_t i) { alive_[i] = false; }
  // What node `from` sends to node `to` (UINT32_MAX: nobody) and, for a
  // control message, its type: the session's own keys open a copy.
  Kind classify(uint32_t from, uint32_t to, std::span<const uint8_t> pkt, uint8_t* control);
  // Initiations from one node to another since the last reset: n * n
  // counters, a few MiB at 1000 nodes.
  void count_initiation(uint32_t from, uint32_t to) {
    if (to < hosts_.size() && !inits_.empty()) {
      uint8_t& c = inits_[size_t{from} * hosts_.size() + to];
      if (c < UINT8_MAX) ++c;
    }
  }
  void reset_initiations() { inits_.assign(hosts_.size() * hosts_.size(), 0); }
  uint8_t initiations(size_t from, size_t to) const { return inits_[from * hosts_.size() + to]; }
  // Test packets: node `to` got the one node `from` sent in `round`; the
  // latest round each node got from each other.
  void note_delivery(uint32_t from, uint32_t to, uint32_t round) {
    if (got_.empty()) got_.assign(hosts_.size() * hosts_.size(), 0);
    if (from < hosts_.size()) got_[size_t{to} * hosts_.size() + from] = round;
  }
  uint32_t delivered(size_t from, size_t to) const {
    return got_.empty() ? 0 : got_[to * hosts_.size() + from];
  }
  // Every live node sends a test packet of this round (hub mode: to every
  // peer), and the network delivers them.
  void send_round(uint32_t round);

  braid::FakeClock clock;
  engine::BufferPool pool;
  uint64_t undeliverable = 0;
  uint64_t device_writes = 0;
  uint64_t lost_dead = 0;   // datagrams to or from a node knocked out

 private:
  std::vector<std::unique_ptr<Host>> hosts_;
  std::unordered_map<engine::NodeId, size_t, engine::NodeIdHash> index_;
  std::vector<bool> alive_;
  std::deque<Datagram> queue_;
  std::vector<uint8_t> inits_;
  std::vector<uint32_t> got_;
  std::vector<uint8_t> scratch_;
  size_t started_ = 0;
  uint64_t start_ns_ = 0;
};

Host::Host(Mesh& mesh, uint32_t index, const engine::NodeConfig& cfg)
    : mesh_(mesh), index_(index),
      node_(std::make_unique<engine::Node>(cfg, mesh.clock, mesh.pool, *this)) {
  // As the engine's interface scan would: there is no NAT here, and each
  // node learns so from its peers' address reports.
  node_->set_local_endpoints({address(index)});
}

void Host::send_udp(uint8_t /*link*/, const engine::Endpoint& to, engine::PacketBuf* buf) {
  uint32_t dest = index_of(to, mesh_.size());
  uint8_t control = 0;
  Kind k = mesh_.classify(index_, dest, {buf->data(), buf->len}, &control);
  sent.bytes[k] += buf->len + kHeaderBytes;
  ++sent.packets[k];
  if (k == kControl) sent.control_bytes[control] += buf->len + kHeaderBytes;
  if (buf->len > engine::kMagicLen &&
      buf->data()[engine::kMagicLen] == static_cast<uint8_t>(engine::PacketType::kHandshakeInit)) {
    ++sent.inits;
    mesh_.count_initiation(index_, dest);
  }
  Datagram d{address(index_), index_, dest,
             std::vector<uint8_t>(buf->data(), buf->data() + buf->len)};
  mesh_.pool.put(buf);
  mesh_.enqueue(std::move(d));
}

void Host::write_device(engine::PacketBuf* buf) {
  // An idle mesh carries no inner packets: counted, to show there were
  // none. The routing run's test packets say who sent them.
  const uint8_t* p = buf->data();
  if (buf->len == kTestPacketLen && braid::get_be32(p) == kTestPacketTag)
    mesh_.note_delivery(braid::get_be32(p + 4), index_, braid::get_be32(p + 8));
  else
    ++mesh_.device_writes;
  mesh_.pool.put(buf);
}

// A shared-key network as the unit tests' FakeNet::config sets it up, with
// a random static key per node: peer exchange on, hub forwarding, no
// claims, no LAN discovery (there is no LAN here).
engine::NodeConfig node_config(const Options& o) {
  engine::NodeConfig cfg;
  cfg.magic = kMagic;
  std::array<uint8_t, 32> psk;
  psk.fill(0x42);
  cfg.psk = psk;
  randombytes_buf(cfg.static_private.data(), cfg.static_private.size());
  cfg.forward = engine::ForwardMode::kHub;
  cfg.peer_exchange = true;
  cfg.lan_discovery = false;
  cfg.max_peers = o.max_peers;
  cfg.tunnel_refresh_ns = static_cast<uint64_t>(o.tunnel_refresh_s * 1e9);
  return cfg;
}

// Every datagram is copied out of its pool buffer as soon as it is sent,
// so an idle node holds at most a few buffers at once; with test packets,
// each node may hold up to kStashMax of them while keys are renewed.
size_t pool_buffers(size_t nodes, const Options& o) {
  return o.routing() ? kBuffers + nodes * engine::kStashMax : kBuffers;
}

Mesh::Mesh(size_t nodes, const Options& o) : pool(pool_buffers(nodes, o), kBufferSize) {
  start_ns_ = clock.now_ns();
  std::mt19937 rng(o.seed);
  hosts_.reserve(nodes);
  for (size_t k = 0; k < nodes; ++k) {
    hosts_.push_back(std::make_unique<Host>(*this, static_cast<uint32_t>(k), node_config(o)));
    index_[hosts_.back()->node().id()] = k;
    if (k == 0) continue;
    // One configured peer: a random earlier node.
    uint32_t target = std::uniform_int_distribution<uint32_t>(0, static_cast<uint32_t>(k - 1))(rng);
    engine::Node& node = hosts_.back()->node();
    node.add_target("node" + std::to_string(target));
    node.set_target_addresses(0, {address(target)});
  }
  alive_.assign(nodes, true);
}

void Mesh::step(uint64_t tick_ms) {
  clock.advance_ms(tick_ms);
  while (started_ < hosts_.size() && elapsed_ns() >= started_ * kStaggerMs * kNsPerMs) ++started_;
  for (size_t i = 0; i < started_; ++i)
    if (alive_[i]) hosts_[i]->node().on_tick();
  deliver();
}

void Mesh::deliver() {
  while (!queue_.empty()) {
    Datagram d = std::move(queue_.front());
    queue_.pop_front();
    if (!alive_[d.from_index] || (d.to != UINT32_MAX && !alive_[d.to])) {
      ++lost_dead;
      continue;
    }
    engine::PacketBuf* b = d.to == UINT32_MAX ? nullptr : pool.get(0);
    if (b == nullptr || d.bytes.size() > b->capacity) {
      if (b) pool.put(b);
      ++undeliverable;
      continue;
    }
    memcpy(b->data(), d.bytes.data(), d.bytes.size());
    b->len = d.bytes.size();
    hosts_[d.to]->node().on_udp_packet(d.from, b);
  }
}

void Mesh::send_round(uint32_t round) {
  for (size_t i = 0; i < hosts_.size(); ++i) {
    if (!alive_[i]) continue;
    engine::PacketBuf* b = pool.get(engine::Node::kHeadroom);
    if (b == nullptr) die("the buffer pool ran dry sending test packets");
    uint8_t* p = b->data();
    memset(p, 0, kTestPacketLen);
    braid::put_be32(p, kTestPacketTag);
    braid::put_be32(p + 4, static_cast<uint32_t>(i));
    braid::put_be32(p + 8, round);
    b->len = kTestPacketLen;
    hosts_[i]->node().on_device_packet(b);
    deliver();
  }
}

Kind Mesh::classify(uint32_t from, uint32_t to, std::span<const uint8_t> pkt, uint8_t* control) {
  *control = 0;
  if (pkt.size() <= engine::kMagicLen) return kOther;
  const engine::Node& self = hosts_[from]->node();
  engine::NodeId peer{};
  bool known = to < hosts_.size();
  if (known) peer = hosts_[to]->node().id();
  std::span<const uint8_t> inner = pkt;
  auto type = static_cast<engine::PacketType>(pkt[engine::kMagicLen]);
  if (type == engine::PacketType::kRelay) {
    // Ours through relays (counted by what it carries), or another
    // node's that we pass on.
    engine::RelayHeader h;
    if (!engine::parse_relay_header(pkt, &h)) return kOther;
    if (h.src != self.id()) return kForwarded;
    peer = h.dst;
    known = true;
    inner = pkt.subspan(engine::kRelayOverhead);
    type = static_cast<engine::PacketType>(inner[engine::kMagicLen]);
  }
  switch (type) {
    case engine::PacketType::kData:
      return inner.size() == engine::kTransportOverhead ? kKeepalive : kData;
    case engine::PacketType::kHandshakeInit:
    case engine::PacketType::kHandshakeResp:
    case engine::PacketType::kHandshakeFinal:
    case engine::PacketType::kCookieReply:
      return kHandshake;
    case engine::PacketType::kControl:
      break;
    default:
      return kOther;
  }
  // A control message: opened with the sender's own sending key (the
  // same key seals and opens) to learn its type.
  engine::TransportHeader th;
  const engine::Peer* p = known ? self.find_peer(peer) : nullptr;
  if (p == nullptr || !engine::parse_transport_header(inner, &th) ||
      inner.size() < engine::kTransportOverhead + 1)
    return kControl;
  const engine::Keypair* kp = nullptr;
  for (const engine::Keypair* k : {p->current.get(), p->next.get(), p->retired[0].get(),
                                   p->retired[1].get(), p->retired[2].get()})
    if (k && k->remote_index == th.receiver_index) kp = k;
  if (kp == nullptr) return kControl;
  scratch_.assign(inner.begin(), inner.end());
  memcpy(scratch_.data(), kMagic.data(), engine::kMagicLen);
  uint8_t* body = scratch_.data() + engine::kTransportHeaderLen;
  size_t len = scratch_.size() - engine::kTransportHeaderLen - kp->send.tag_len();
  if (kp->send.open(th.counter, {scratch_.data(), engine::kTransportHeaderLen}, body, len,
                    body + len) &&
      body[0] < kControlTypes)
    *control = body[0];
  return kControl;
}

Census Mesh::census(bool check_live) const {
  Census c;
  size_t others = hosts_.size() - 1;
  for (const auto& h : hosts_) {
    const engine::Node& node = h->node();
    size_t sessions = node.peers().size();
    c.sessions += sessions;
    c.min_sessions = std::min(c.min_sessions, sessions);
    if (sessions == others) ++c.nodes_complete;
    if (check_live) {
      size_t live = 0;
      for (const engine::Peer* p : node.peers()) live += node.live(*p);
      if (live == others) ++c.nodes_live;
    }
  }
  return c;
}

// Who renewed each pair's keys during the window. An idle pair renews
// nothing (its keys carry no data); were that to break, this says how
// (from one end or from both).
struct Renewers {
  uint64_t pairs = 0;
  uint64_t one_end = 0;    // initiations from one node only
  uint64_t both_ends = 0;  // from both
  uint64_t max_inits = 0;  // the most initiations one node sent to one peer
  // At the end: pairs whose two nodes send under different keypairs.
  uint64_t unsettled = 0;
};

Renewers renewers(const Mesh& mesh) {
  std::unordered_map<engine::NodeId, size_t, engine::NodeIdHash> index;
  for (size_t i = 0; i < mesh.size(); ++i) index[mesh.host(i).node().id()] = i;
  Renewers r;
  for (size_t i = 0; i < mesh.size(); ++i) {
    for (size_t j = i + 1; j < mesh.size(); ++j) {
      uint8_t a = mesh.initiations(i, j), b = mesh.initiations(j, i);
      ++r.pairs;
      r.both_ends += a && b;
      r.one_end += (a != 0) != (b != 0);
      r.max_inits = std::max<uint64_t>(r.max_inits, std::max(a, b));
    }
    const engine::Node& node = mesh.host(i).node();
    for (const engine::Peer* p : node.peers()) {
      auto j = index.find(p->id());
      if (j == index.end() || j->second < i) continue;
      const engine::Peer* q = mesh.host(j->second).node().find_peer(node.id());
      r.unsettled += q && q->current && p->current->remote_index != q->current->local_index;
    }
  }
  return r;
}


// A tick of 100 ms costs a million peer timers per tick at 1000 nodes;
// the timers tolerate 1 s ticks (each fires up to a tick late).
constexpr size_t kCoarseFrom = 500;

// Runs the mesh for `seconds` of simulated time; calls each_step() after
// every tick (false stops early), and says how far it got every minute of
// wall time.
template <typename F>
void run_for(Mesh& mesh, uint64_t tick_ms, double seconds, const char* what, F each_step) {
  uint64_t start = mesh.elapsed_ns();
  uint64_t end = start + static_cast<uint64_t>(seconds * 1e9);
  double w0 = wall_s(), last_report = w0;
  while (mesh.elapsed_ns() < end) {
    mesh.step(tick_ms);
    if (!each_step()) return;
    if (wall_s() - last_report >= 60) {
      last_report = wall_s();
      fprintf(stderr,
              "  %zu nodes, %s: %.0f of %.0f s simulated (%.0f s wall, %.0f MiB peak RSS)\n",
              mesh.size(), what, static_cast<double>(mesh.elapsed_ns() - start) / 1e9, seconds,
              last_report - w0, peak_rss_mib());
    }
  }
}

void run(size_t n, const Options& o) {
  double w0 = wall_s(), c0 = cpu_s();
  Mesh mesh(n, o);
  size_t others = n - 1;
  uint64_t tick_ms = o.tick_ms ? o.tick_ms : n < kCoarseFrom ? engine::Node::kTickMs : 1000;
  // An idle keepalive goes at the first tick after kIdleKeepaliveNs of
  // silence, one tick past it when the tick divides it: whole periods count
  // each pair's keepalives exactly, whatever their phase.
  double period_s = static_cast<double>(engine::kIdleKeepaliveNs / kNsPerMs + tick_ms) / 1000;
  double window_s = o.window_s > 0 ? o.window_s : 3 * period_s;

  // Formation: until every node holds a session with every other.
  bool formed = false;
  Census last;
  double last_report = w0;
  run_for(mesh, tick_ms, o.form_limit_s > 0 ? o.form_limit_s : 600, "formation", [&] {
    last = mesh.census(false);
    formed = mesh.started() == n && last.nodes_complete == n;
    if (formed || wall_s() - last_report >= 30) {
      last_report = wall_s();
      fprintf(stderr,
              "  %zu nodes, %.0f s simulated: %zu/%zu started, %zu complete, sessions per node "
              "min %zu mean %.1f of %zu (%.0f s wall, %.0f s CPU, %.0f MiB peak RSS)\n",
              n, static_cast<double>(mesh.elapsed_ns()) / 1e9, mesh.started(), n,
              last.nodes_complete, last.min_sessions,
              static_cast<double>(last.sessions) / static_cast<double>(n), others,
              wall_s() - w0, cpu_s() - c0, peak_rss_mib());
    }
    return !formed;
  });
  double formed_sim_s = static_cast<double>(mesh.elapsed_ns()) / 1e9;
  double formed_wall_s = wall_s() - w0, formed_cpu_s = cpu_s() - c0;
  if (!formed) {
    printf("| %zu | %llu | not formed after %.0f s: %zu of %zu nodes complete, sessions per node "
           "min %zu mean %.1f of %zu (%.0f s wall) | | | | | | | | | |\n",
           n, static_cast<unsigned long long>(tick_ms), formed_sim_s, last.nodes_complete, n,
           last.min_sessions, static_cast<double>(last.sessions) / static_cast<double>(n), others,
           formed_wall_s);
    fflush(stdout);
    return;
  }

  run_for(mesh, tick_ms, o.settle_s, "settling", [] { return true; });

  // The window: every node's sends counted from here, the mesh checked
  // after every tick.
  std::vector<Tally> before(n);
  for (size_t i = 0; i < n; ++i) before[i] = mesh.host(i).sent;
  double w1 = wall_s(), c1 = cpu_s();
  size_t min_sessions = SIZE_MAX;
  mesh.reset_initiations();
  run_for(mesh, tick_ms, window_s, "window", [&] {
    min_sessions = std::min(min_sessions, mesh.census(false).min_sessions);
    return true;
  });
  Census end = mesh.census(true);
  size_t open = 0;
  for (size_t i = 0; i < n; ++i) open += mesh.host(i).node().inbound_open();
  Renewers ren = renewers(mesh);
  double window_wall_s = wall_s() - w1, window_cpu_s = cpu_s() - c1;

  Tally sum;
  double busiest = 0;
  for (size_t i = 0; i < n; ++i) {
    const Tally& a = mesh.host(i).sent;
    for (size_t k = 0; k < kKinds; ++k) {
      sum.bytes[k] += a.bytes[k] - before[i].bytes[k];
      sum.packets[k] += a.packets[k] - before[i].packets[k];
    }
    sum.inits += a.inits - before[i].inits;
    busiest = std::max(busiest, static_cast<double>(a.total_bytes() - before[i].total_bytes()));
  }
  double per_node = static_cast<double>(n) * window_s;
  double total = static_cast<double>(sum.total_bytes()) / per_node;
  bool whole = end.nodes_complete == n && end.nodes_live == n && min_sessions == others;
  printf("| %zu | %llu | %.1f | %.1f | %.0f | %.1f | %.1f | %.1f | %.1f | %.2f | %.1f | %s |\n", n,
         static_cast<unsigned long long>(tick_ms), window_s, formed_sim_s, formed_wall_s,
         static_cast<double>(sum.bytes[kKeepalive]) / per_node,
         static_cast<double>(sum.bytes[kHandshake]) / per_node,
         static_cast<double>(sum.bytes[kControl]) / per_node, total,
         total / static_cast<double>(others), busiest / window_s,
         whole ? "yes" : "NO");
  // What the figures are made of: datagrams per session (a pair of nodes)
  // per minute, both directions.
  double sessions_minutes = static_cast<double>(n) * static_cast<double>(others) / 2 *
                            (window_s / 60);
  fprintf(stderr,
          "  %zu nodes: per session and minute %.2f keepalives, %.2f handshake initiations "
          "(%.2f handshake datagrams), %.2f control messages; other datagrams %llu, device "
          "writes %llu, undeliverable %llu\n",
          n, static_cast<double>(sum.packets[kKeepalive]) / sessions_minutes,
          static_cast<double>(sum.inits) / sessions_minutes,
          static_cast<double>(sum.packets[kHandshake]) / sessions_minutes,
          static_cast<double>(sum.packets[kControl]) / sessions_minutes,
          static_cast<unsigned long long>(sum.packets[kOther] + sum.packets[kData] +
                                          sum.packets[kForwarded]),
          static_cast<unsigned long long>(mesh.device_writes),
          static_cast<unsigned long long>(mesh.undeliverable));
  fprintf(stderr,
          "  %zu nodes: handshake initiations in the window %llu (0 by design: idle keys are not "
          "renewed); pairs renewed from both ends: %llu of %llu, from one end: %llu; most "
          "initiations to one peer: %llu; pairs whose nodes send under different keypairs at "
          "the end: %llu\n",
          n, static_cast<unsigned long long>(sum.inits),
          static_cast<unsigned long long>(ren.both_ends), static_cast<unsigned long long>(ren.pairs),
          static_cast<unsigned long long>(ren.one_end), static_cast<unsigned long long>(ren.max_inits),
          static_cast<unsigned long long>(ren.unsettled));
  fprintf(stderr,
          "  %zu nodes: formed in %.1f s simulated (%.0f s wall, %.0f s CPU); window %.0f s "
          "simulated in %.0f s wall, %.0f s CPU; at the end %zu/%zu nodes complete, %zu live, "
          "fewest sessions seen %zu of %zu, %zu found no firewall; peak RSS "
          "%.0f MiB\n",
          n, formed_sim_s, formed_wall_s, formed_cpu_s, window_s, window_wall_s, window_cpu_s,
          end.nodes_complete, n, end.nodes_live, min_sessions, others, open, peak_rss_mib());
  fflush(stdout);
}

// Routing at scale (doc/performance.md, "Routing at scale"): nodes with
// bounded tunnels, converged, then a share of them knocked out at once.

// Live nodes joined by direct tunnels both ends use: a component number
// per node (-1: knocked out).
std::vector<int> components(const Mesh& mesh) {
  std::vector<int> comp(mesh.size(), -1);
  int next = 0;
  for (size_t s = 0; s < mesh.size(); ++s) {
    if (!mesh.alive(s) || comp[s] >= 0) continue;
    std::vector<size_t> todo{s};
    comp[s] = next;
    while (!todo.empty()) {
      size_t a = todo.back();
      todo.pop_back();
      const engine::Node& node = mesh.host(a).node();
      for (const engine::Peer* p : node.peers()) {
        size_t b = mesh.index(p->id());
        if (!mesh.alive(b) || comp[b] >= 0 || !p->direct()) continue;
        const engine::Peer* back = mesh.host(b).node().find_peer(node.id());
        if (back == nullptr || !back->direct()) continue;
        comp[b] = next;
        todo.push_back(b);
      }
    }
    ++next;
  }
  return comp;
}

size_t count_components(const std::vector<int>& comp) {
  int most = -1;
  for (int c : comp) most = std::max(most, c);
  return static_cast<size_t>(most + 1);
}

// Direct tunnels per live node.
struct Tunnels {
  size_t min = SIZE_MAX, max = 0;
  double mean = 0;
};

Tunnels tunnels(const Mesh& mesh) {
  Tunnels t;
  size_t sum = 0, live = 0;
  for (size_t i = 0; i < mesh.size(); ++i) {
    if (!mesh.alive(i)) continue;
    size_t d = mesh.host(i).node().direct_peers();
    t.min = std::min(t.min, d);
    t.max = std::max(t.max, d);
    sum += d;
    ++live;
  }
  t.mean = live ? static_cast<double>(sum) / static_cast<double>(live) : 0;
  return t;
}

// Next hops followed from every live node to every other through the
// route tables, as a relayed packet would be: a node met twice is a
// loop, which ends the run with the loop named.
struct Walks {
  uint64_t checks = 0;      // times every pair was walked
  uint64_t walks = 0;
  uint64_t unrouted = 0;    // walks that met a node without a route
  uint64_t to_dead = 0;     // walks that met a next hop knocked out
  uint64_t hops = 0;        // hops of the walks that arrived
  uint64_t arrived = 0;
  size_t max_hops = 0;
};

void check_loops(const Mesh& mesh, uint32_t seed, Walks* w) {
  static std::vector<uint32_t> mark;
  static uint32_t stamp = 0;
  mark.resize(mesh.size());
  std::vector<size_t> path;
  ++w->checks;
  for (size_t d = 0; d < mesh.size(); ++d) {
    if (!mesh.alive(d)) continue;
    const engine::NodeId& dest = mesh.host(d).node().id();
    for (size_t s = 0; s < mesh.size(); ++s) {
      if (s == d || !mesh.alive(s)) continue;
      ++w->walks;
      if (++stamp == 0) std::fill(mark.begin(), mark.end(), 0), stamp = 1;
      path.clear();
      size_t at = s;
      while (at != d) {
        if (mark[at] == stamp) {
          path.push_back(at);
          std::string what = "routing loop at " +
                             std::to_string(static_cast<double>(mesh.elapsed_ns()) / 1e9) +
                             " s simulated (seed " + std::to_string(seed) + ") from node " +
                             std::to_string(s) + " towards node " + std::to_string(d) + ":";
          for (size_t k = 0; k < path.size(); ++k) {
            const engine::RouteTable& rt = mesh.host(path[k]).node().routes();
            what += std::string(k ? " ->" : "") + " " + std::to_string(path[k]) + " (metric " +
                    std::to_string(rt.metric(dest)) + ")";
          }
          die(what);
        }
        mark[at] = stamp;
        path.push_back(at);
        auto nh = mesh.host(at).node().routes().next_hop(dest);
        if (!nh) {
          ++w->unrouted;
          break;
        }
        at = mesh.index(*nh);
        if (!mesh.alive(at)) {
          ++w->to_dead;
          break;
        }
      }
      if (at == d) {
        ++w->arrived;
        w->hops += path.size();
        w->max_hops = std::max(w->max_hops, path.size());
      }
    }
  }
}

// Live nodes with a route, or a direct session, to every live node of
// their component (comp; nullptr: to every live node).
size_t routed_nodes(const Mesh& mesh, const std::vector<int>* comp) {
  size_t complete = 0;
  for (size_t i = 0; i < mesh.size(); ++i) {
    if (!mesh.alive(i)) continue;
    const engine::Node& node = mesh.host(i).node();
    bool all = true;
    for (size_t j = 0; j < mesh.size() && all; ++j) {
      if (j == i || !mesh.alive(j) || (comp && (*comp)[i] != (*comp)[j])) continue;
      // (A next hop knocked out is no route.)
      const engine::NodeId& id = mesh.host(j).node().id();
      if (auto nh = node.routes().next_hop(id); nh && mesh.alive(mesh.index(*nh))) continue;
      const engine::Peer* p = node.find_peer(id);
      all = p != nullptr && p->direct();
    }
    complete += all;
  }
  return complete;
}

void debug_routes(const Mesh& mesh) {
  size_t missing = 0, shown = 0;
  for (size_t i = 0; i < mesh.size(); ++i) {
    if (!mesh.alive(i)) continue;
    const engine::Node& node = mesh.host(i).node();
    for (size_t j = 0; j < mesh.size(); ++j) {
      if (j == i || !mesh.alive(j)) continue;
      const engine::NodeId& id = mesh.host(j).node().id();
      if (node.routes().next_hop(id)) continue;
      const engine::Peer* p = node.find_peer(id);
      if (p && p->direct()) continue;
      ++missing;
      if (shown++ < 3)
        fprintf(stderr, "    %.1f: %zu has no route to %zu: metric %u, peer %d direct %d, routes rows %zu, j direct peers %zu\n",
                static_cast<double>(mesh.elapsed_ns()) / 1e9, i, j, node.routes().metric(id), p != nullptr,
                p && p->direct(), node.routes().size(), mesh.host(j).node().direct_peers());
      if (shown <= 3 && getenv("MESH_DEBUG2")) {
        for (const auto& row : node.routes().rows(mesh.elapsed_ns() + 1000000000ull))
          if (row.dest == id) fprintf(stderr, "      row: seqno %u metric %u routes %zu\n", row.seqno, row.metric, row.routes);
        for (const engine::Peer* q : node.peers()) {
          if (!q->direct()) continue;
          size_t k = mesh.index(q->id());
          const engine::RouteTable& rt = mesh.host(k).node().routes();
          uint16_t seq = 0;
          for (const auto& row : rt.rows(mesh.elapsed_ns() + 1000000000ull)) if (row.dest == id) seq = row.seqno;
          auto nh = rt.next_hop(id);
          fprintf(stderr, "      nb %zu cost %u draining %d drain_until %.1f: its metric %u seqno %u nh %zd\n", k, node.routes().cost(q->id()),
                  node.routes().draining(q->id()), q->drain_until_ns / 1e9, rt.metric(id), seq, nh ? (ssize_t)mesh.index(*nh) : -1);
        }
      }
    }
  }
  fprintf(stderr, "    %.1f: %zu missing\n", static_cast<double>(mesh.elapsed_ns()) / 1e9, missing);
}

// Which nodes the pairs that missed a round come from and go to: one
// node cut off, or routes lost all over.
void debug_round(const Mesh& mesh, const std::vector<int>& comp, uint32_t round) {
  std::vector<int> from(mesh.size()), to(mesh.size());
  for (size_t s = 0; s < mesh.size(); ++s)
    for (size_t d = 0; d < mesh.size(); ++d)
      if (s != d && mesh.alive(s) && mesh.alive(d) && comp[s] == comp[d] && mesh.delivered(s, d) != round) {
        ++from[s];
        ++to[d];
      }
  for (const auto* side : {&from, &to}) {
    fprintf(stderr, "    missed %s:", side == &from ? "from" : "to");
    for (size_t i = 0; i < mesh.size(); ++i)
      if ((*side)[i]) fprintf(stderr, " %zu(%d)", i, (*side)[i]);
    fprintf(stderr, "\n");
  }
}

void debug_end(const Mesh& mesh, const std::vector<int>& comp, const std::vector<int>& comp_end, uint32_t round) {
  for (size_t i = 0; i < mesh.size(); ++i) {
    if (!mesh.alive(i) || comp_end[i] == 0) continue;
    const engine::Node& node = mesh.host(i).node();
    fprintf(stderr, "    node %zu in end component %d, direct peers %zu:", i, comp_end[i], node.direct_peers());
    for (const engine::Peer* p : node.peers()) {
      size_t j = mesh.index(p->id());
      const engine::Peer* back = mesh.host(j).node().find_peer(node.id());
      if (p->direct() || (back && back->direct()))
        fprintf(stderr, " %zu%s(%d/%d)", j, mesh.alive(j) ? "" : "X", p->direct(), back && back->direct());
    }
    fprintf(stderr, "\n");
  }
  size_t shown = 0;
  for (size_t d = 0; d < mesh.size() && shown < 6; ++d)
    for (size_t s = 0; s < mesh.size() && shown < 6; ++s) {
      if (s == d || !mesh.alive(s) || !mesh.alive(d) || comp[s] != comp[d] || mesh.delivered(s, d) == round) continue;
      ++shown;
      const engine::NodeId& dest = mesh.host(d).node().id();
      fprintf(stderr, "    %zu -> %zu lost (last got round %u of %u):", s, d, mesh.delivered(s, d), round);
      size_t at = s;
      for (int k = 0; k < 20 && at != d; ++k) {
        const engine::Node& n = mesh.host(at).node();
        const engine::Peer* p = n.find_peer(dest);
        auto nh = n.routes().next_hop(dest);
        fprintf(stderr, " [%zu: peer %d direct %d reachable %d metric %u nh %ld]", at, p != nullptr, p && p->direct(),
                n.routes().reachable(dest), n.routes().metric(dest), nh ? static_cast<long>(mesh.index(*nh)) : -1L);
        if (p && p->direct() && n.routes().reachable(dest)) break;
        if (!nh) break;
        at = mesh.index(*nh);
      }
      fprintf(stderr, "\n");
    }
}

// Live nodes holding a session with every other live node.
size_t session_complete_nodes(const Mesh& mesh) {
  size_t live = 0, complete = 0;
  for (size_t i = 0; i < mesh.size(); ++i) live += mesh.alive(i);
  for (size_t i = 0; i < mesh.size(); ++i) {
    if (!mesh.alive(i)) continue;
    size_t sessions = 0;
    for (const engine::Peer* p : mesh.host(i).node().peers()) sessions += mesh.alive(mesh.index(p->id()));
    complete += sessions == live - 1;
  }
  return complete;
}

Tally sum_sent(const Mesh& mesh) {
  Tally t;
  for (size_t i = 0; i < mesh.size(); ++i) {
    const Tally& a = mesh.host(i).sent;
    for (size_t k = 0; k < kKinds; ++k) {
      t.bytes[k] += a.bytes[k];
      t.packets[k] += a.packets[k];
    }
    for (size_t k = 0; k < kControlTypes; ++k) t.control_bytes[k] += a.control_bytes[k];
    t.inits += a.inits;
  }
  return t;
}

Tally minus(const Tally& a, const Tally& b) {
  Tally t;
  for (size_t k = 0; k < kKinds; ++k) {
    t.bytes[k] = a.bytes[k] - b.bytes[k];
    t.packets[k] = a.packets[k] - b.packets[k];
  }
  for (size_t k = 0; k < kControlTypes; ++k) t.control_bytes[k] = a.control_bytes[k] - b.control_bytes[k];
  t.inits = a.inits - b.inits;
  return t;
}

// Routing's own control messages: routes (hellos), route requests and
// unlinks (wire.h ControlType 9, 10, 11).
uint64_t routing_bytes(const Tally& t) {
  return t.control_bytes[static_cast<size_t>(engine::ControlType::kRoutes)] +
         t.control_bytes[static_cast<size_t>(engine::ControlType::kRouteRequest)] +
         t.control_bytes[static_cast<size_t>(engine::ControlType::kUnlink)];
}

// One row of the traffic table: bytes per second per live node.
void print_phase(const char* name, const Tally& t, size_t nodes, double seconds) {
  double per = static_cast<double>(nodes) * std::max(seconds, 1e-9);
  auto rate = [&](uint64_t b) { return static_cast<double>(b) / per; };
  uint64_t routing = routing_bytes(t);
  uint64_t mgmt = t.bytes[kKeepalive] + t.bytes[kHandshake] + t.bytes[kControl];
  printf("| %s | %.1f | %zu | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n", name, seconds,
         nodes, rate(t.bytes[kKeepalive]), rate(t.bytes[kHandshake]), rate(routing),
         rate(t.bytes[kControl] - routing), rate(mgmt), rate(t.bytes[kForwarded]),
         rate(t.bytes[kData]));
  std::string types;
  for (size_t k = 0; k < kControlTypes; ++k)
    if (t.control_bytes[k])
      types += " " + std::to_string(k) + ": " + std::to_string(rate(t.control_bytes[k])).substr(0, 6);
  fprintf(stderr, "  %s: control B/s per node by type (0: not opened):%s; other datagrams %llu\n",
          name, types.c_str(), static_cast<unsigned long long>(t.packets[kOther]));
}

// Test-packet rounds, one a second: every live node sends one (to every
// peer: hub mode), then the mesh runs a second. Counts the ordered pairs
// (from, to) whose packet of this round arrived, among all live pairs and
// among those `comp` puts in one component.
struct Round {
  uint64_t pairs = 0, delivered = 0;
  uint64_t required = 0, required_delivered = 0;
};

template <typename Each>
Round test_round(Mesh& mesh, uint32_t round, uint64_t tick_ms, const std::vector<int>& comp,
                 Each each_step) {
  mesh.send_round(round);
  uint64_t end = mesh.elapsed_ns() + kNsPerSec;
  while (mesh.elapsed_ns() < end) {
    mesh.step(tick_ms);
    each_step();
  }
  Round r;
  for (size_t d = 0; d < mesh.size(); ++d) {
    if (!mesh.alive(d)) continue;
    for (size_t s = 0; s < mesh.size(); ++s) {
      if (s == d || !mesh.alive(s)) continue;
      bool got = mesh.delivered(s, d) == round;
      ++r.pairs;
      r.delivered += got;
      if (comp[s] == comp[d]) {
        ++r.required;
        r.required_delivered += got;
      }
    }
  }
  return r;
}

// Engine counters summed over live nodes, for what went wrong.
void print_counters(const Mesh& mesh) {
  engine::Counters c;
  for (size_t i = 0; i < mesh.size(); ++i) {
    if (!mesh.alive(i)) continue;
    const engine::Counters& a = mesh.host(i).node().counters();
    c.drop_no_route += a.drop_no_route;
    c.drop_no_peer += a.drop_no_peer;
    c.drop_hop_limit += a.drop_hop_limit;
    c.drop_relay += a.drop_relay;
    c.drop_no_buffer += a.drop_no_buffer;
    c.drop_stash += a.drop_stash;
    c.drop_replay += a.drop_replay;
    c.drop_unknown_index += a.drop_unknown_index;
    c.forwarded += a.forwarded;
    c.route_changes += a.route_changes;
  }
  fprintf(stderr,
          "  survivors' counters: forwarded %llu, route changes %llu, drops: no route %llu, no "
          "peer %llu, hop limit %llu, relay %llu, no buffer %llu, stash %llu, replay %llu, "
          "unknown index %llu; datagrams lost to or from knocked-out nodes %llu, undeliverable "
          "%llu\n",
          static_cast<unsigned long long>(c.forwarded), static_cast<unsigned long long>(c.route_changes),
          static_cast<unsigned long long>(c.drop_no_route), static_cast<unsigned long long>(c.drop_no_peer),
          static_cast<unsigned long long>(c.drop_hop_limit), static_cast<unsigned long long>(c.drop_relay),
          static_cast<unsigned long long>(c.drop_no_buffer), static_cast<unsigned long long>(c.drop_stash),
          static_cast<unsigned long long>(c.drop_replay),
          static_cast<unsigned long long>(c.drop_unknown_index),
          static_cast<unsigned long long>(mesh.lost_dead),
          static_cast<unsigned long long>(mesh.undeliverable));
}

// Formation, an idle window, test packets, the knock-out and the
// reconvergence; the exit status says whether it all held.
int run_routing(size_t n, const Options& o) {
  double w0 = wall_s(), c0 = cpu_s();
  Mesh mesh(n, o);
  uint64_t tick_ms = o.tick_ms ? o.tick_ms : engine::Node::kTickMs;
  double window_s = o.window_s > 0 ? o.window_s : 120;
  auto sim_s = [&] { return static_cast<double>(mesh.elapsed_ns()) / 1e9; };
  Walks walks;
  uint64_t next_check_ns = kNsPerSec;
  // MESH_TRACE=1: the routing traffic of every 10 simulated seconds.
  bool trace = getenv("MESH_TRACE") != nullptr;
  Tally trace_last;
  // The loop check, every simulated second.
  auto check = [&] {
    if (mesh.elapsed_ns() < next_check_ns) return;
    next_check_ns = mesh.elapsed_ns() - mesh.elapsed_ns() % kNsPerSec + kNsPerSec;
    check_loops(mesh, o.seed, &walks);
    if (trace && walks.checks % 10 == 0) {
      Tally now = sum_sent(mesh), d = minus(now, trace_last);
      trace_last = now;
      double per = static_cast<double>(n) * 10;
      Tunnels t = tunnels(mesh);
      fprintf(stderr, "    %.0f s: routes %.0f B/s, requests %.0f, handshakes %.0f, forwarded %.0f per node; tunnels max %zu mean %.1f; %.0f s wall\n",
              sim_s(), static_cast<double>(d.control_bytes[9]) / per, static_cast<double>(d.control_bytes[10]) / per,
              static_cast<double>(d.bytes[kHandshake]) / per, static_cast<double>(d.bytes[kForwarded]) / per, t.max, t.mean, wall_s() - w0);
    }
  };
  printf("Routing: %zu nodes, max_peers %u, tunnel_refresh %.0f s, seed %u, ticks of %llu ms\n\n",
         n, o.max_peers, o.tunnel_refresh_s, o.seed, static_cast<unsigned long long>(tick_ms));

  // Formation: until every node has a route (or a direct session) to
  // every other, and a session with every other.
  double t_routes = -1, t_sessions = -1, last_report = w0;
  run_for(mesh, tick_ms, o.form_limit_s > 0 ? o.form_limit_s : 300, "formation", [&] {
    check();
    if (mesh.started() < n) return true;
    if (t_sessions < 0 && session_complete_nodes(mesh) == n) t_sessions = sim_s();
    if (t_routes < 0 && routed_nodes(mesh, nullptr) == n) t_routes = sim_s();
    if (wall_s() - last_report >= 30) {
      last_report = wall_s();
      Tunnels t = tunnels(mesh);
      fprintf(stderr, "  %.0f s simulated: %zu nodes routed, %zu with every session, direct tunnels max %zu mean %.1f (%.0f s wall)\n",
              sim_s(), routed_nodes(mesh, nullptr), session_complete_nodes(mesh), t.max, t.mean,
              wall_s() - w0);
    }
    return t_routes < 0 || t_sessions < 0;
  });
  double formed_s = sim_s(), formed_wall_s = wall_s() - w0;
  Tunnels formed_tunnels = tunnels(mesh);
  Tally t_formed = sum_sent(mesh);
  size_t formed_sessions = session_complete_nodes(mesh);
  if (t_routes < 0) {
    printf("not converged after %.0f s simulated: %zu of %zu nodes routed, %zu hold every session\n",
           formed_s, routed_nodes(mesh, nullptr), n, formed_sessions);
    return 1;
  }
  // Every node routed but not every pair in session: a finding of its
  // own, reported; the rest of the run goes on.
  int status = t_sessions < 0 ? 1 : 0;

  run_for(mesh, tick_ms, o.settle_s, "settling", [&] { check(); return true; });

  // The idle window: traffic counted, routes and sessions checked every
  // second.
  Tally t_window0 = sum_sent(mesh);
  size_t min_routed = n, min_sessions = n;
  run_for(mesh, tick_ms, window_s, "window", [&] {
    uint64_t before = walks.checks;
    check();
    if (walks.checks != before) {
      min_routed = std::min(min_routed, routed_nodes(mesh, nullptr));
      if (getenv("MESH_DEBUG")) debug_routes(mesh);
      min_sessions = std::min(min_sessions, session_complete_nodes(mesh));
    }
    return true;
  });
  Tally t_window1 = sum_sent(mesh);
  Tunnels steady_tunnels = tunnels(mesh);
  std::vector<int> comp_steady = components(mesh);

  // Test packets between every pair, until one round gets through whole.
  std::vector<int> one(n, 0);
  uint32_t round = 0;
  Round r;
  double warm_start = sim_s();
  do {
    r = test_round(mesh, ++round, tick_ms, one, check);
    fprintf(stderr, "  before the kill, round %u: %llu of %llu pairs delivered\n", round,
            static_cast<unsigned long long>(r.delivered), static_cast<unsigned long long>(r.pairs));
  } while (r.delivered < r.pairs && round < 10);
  uint32_t warm_rounds = round;
  bool warm_ok = r.delivered == r.pairs;
  double warm_s = sim_s() - warm_start;
  Tally t_warm = sum_sent(mesh);

  printf("| | |\n|---|---|\n");
  printf("| converged: every node routes to every other | %.1f s simulated |\n", t_routes);
  if (t_sessions >= 0)
    printf("| converged: every pair holds a session | %.1f s simulated |\n", t_sessions);
  else
    printf("| converged: every pair holds a session | NO: %zu of %zu nodes held every session at %.0f s |\n",
           formed_sessions, n, formed_s);
  printf("| formation, simulating | %.0f s wall |\n", formed_wall_s);
  printf("| direct tunnels per node at convergence | max %zu, mean %.1f, min %zu |\n",
         formed_tunnels.max, formed_tunnels.mean, formed_tunnels.min);
  printf("| direct tunnels per node after the idle window | max %zu, mean %.1f, min %zu; %zu component(s) |\n",
         steady_tunnels.max, steady_tunnels.mean, steady_tunnels.min, count_components(comp_steady));
  printf("| idle window (%.0f s): fewest nodes routed to all / holding every session | %zu / %zu of %zu |\n",
         window_s, min_routed, min_sessions, n);
  printf("| test packets before the kill | %s in round %u (%llu pairs) |\n",
         warm_ok ? "all delivered" : "NOT all delivered", warm_rounds,
         static_cast<unsigned long long>(r.pairs));
  fflush(stdout);
  if (!warm_ok) status = 1;

  Tally t_kill = t_warm, t_reconverged = t_warm, t_end = t_warm;
  double reconverge_s = -1, confirm_s = 0, after_s = 0, reroute_s = -1;
  size_t survivors = n;
  uint64_t required = 0, total_pairs = 0, failed_rounds_after = 0;
  Round last{};
  std::vector<int> comp_end;
  if (o.kill_pct > 0) {
    // Knock out a random share at once.
    std::mt19937 rng(o.seed * 7919 + 30);
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    size_t killed = static_cast<size_t>(static_cast<double>(n) * o.kill_pct / 100 + 0.5);
    for (size_t i = 0; i < killed; ++i) mesh.kill(order[i]);
    survivors = n - killed;
    double kill_at = sim_s();
    std::vector<int> comp = components(mesh);
    fprintf(stderr, "  knocked out %zu of %zu nodes at %.1f s; the survivors' direct tunnels form %zu component(s)\n",
            killed, n, kill_at, count_components(comp));
    // Rounds until every pair the remaining tunnels connect delivers,
    // then --after more (20) to see that it holds.
    uint32_t confirm = 0;
    double routes_at = -1;
    uint64_t end_ns = mesh.elapsed_ns() + static_cast<uint64_t>(o.reconverge_limit_s * 1e9);
    while (mesh.elapsed_ns() < end_ns) {
      double sent_at = sim_s() - kill_at;
      last = test_round(mesh, ++round, tick_ms, comp, [&] {
        check();
        if (routes_at < 0 && routed_nodes(mesh, &comp) == survivors) routes_at = sim_s() - kill_at;
      });
      required = last.required;
      total_pairs = last.pairs;
      bool whole = last.required_delivered == last.required;
      if (reconverge_s < 0 || !whole)
        fprintf(stderr, "  +%.0f s: %llu of %llu connected pairs delivered (%llu of %llu survivor pairs)\n",
                sent_at, static_cast<unsigned long long>(last.required_delivered),
                static_cast<unsigned long long>(last.required),
                static_cast<unsigned long long>(last.delivered),
                static_cast<unsigned long long>(last.pairs));
      if (!whole && getenv("MESH_DEBUG")) debug_round(mesh, comp, round);
      if (reconverge_s < 0) {
        if (whole) {
          reconverge_s = sent_at;
          confirm_s = sim_s() - kill_at;
          t_reconverged = sum_sent(mesh);
        }
        continue;
      }
      failed_rounds_after += !whole;
      if (++confirm >= o.after_rounds) break;
    }
    reroute_s = routes_at;
    after_s = sim_s() - kill_at - confirm_s;
    t_end = sum_sent(mesh);
    comp_end = components(mesh);
    if (getenv("MESH_DEBUG")) debug_end(mesh, comp, comp_end, round);
    if (reconverge_s < 0 || failed_rounds_after) status = 1;
  }
  Tunnels end_tunnels = tunnels(mesh);

  if (o.kill_pct > 0) {
    printf("| knocked out | %.0f%%: %zu of %zu nodes |\n", o.kill_pct, n - survivors, n);
    printf("| survivor pairs connected by the remaining tunnels (checked) | %llu of %llu ordered pairs |\n",
           static_cast<unsigned long long>(required), static_cast<unsigned long long>(total_pairs));
    if (reconverge_s >= 0)
      printf("| reconverged: every connected pair delivers | round sent %.0f s after the kill |\n", reconverge_s);
    else
      printf("| reconverged | NO: %llu of %llu connected pairs delivered %.0f s after the kill |\n",
             static_cast<unsigned long long>(last.required_delivered),
             static_cast<unsigned long long>(last.required), o.reconverge_limit_s);
    printf("| routes again from every survivor to every connected one | %s |\n",
           reroute_s >= 0 ? (std::to_string(static_cast<int>(reroute_s * 10 + 0.5) / 10.0).substr(0, 5) + " s after the kill").c_str() : "not within the run");
    printf("| rounds after that in which a connected pair failed | %llu |\n",
           static_cast<unsigned long long>(failed_rounds_after));
    printf("| last round: survivor pairs delivered | %llu of %llu |\n",
           static_cast<unsigned long long>(last.delivered), static_cast<unsigned long long>(last.pairs));
    printf("| survivors' components at the end | %zu |\n", count_components(comp_end));
  }
  printf("| direct tunnels per live node at the end | max %zu, mean %.1f, min %zu |\n",
         end_tunnels.max, end_tunnels.mean, end_tunnels.min);
  printf("| loop checks | %llu, each following next hops from every live node to every other: no loop |\n",
         static_cast<unsigned long long>(walks.checks));
  printf("| hops of routed walks | mean %.2f, max %zu |\n",
         walks.arrived ? static_cast<double>(walks.hops) / static_cast<double>(walks.arrived) : 0.0,
         walks.max_hops);
  printf("| whole run | %.0f s simulated, %.0f s wall, %.0f s CPU, %.0f MiB peak RSS |\n\n",
         sim_s(), wall_s() - w0, cpu_s() - c0, peak_rss_mib());

  printf("Bytes sent per second per live node, UDP+IPv4 headers (28 B) included; routing = "
         "control types 9-11 (routes, route requests, unlinks)\n\n");
  printf("| phase | length (s) | nodes | keepalives | handshakes | routing | other control | "
         "management total | relayed for others | test packets |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  print_phase("formation", t_formed, n, formed_s);
  print_phase("idle window", minus(t_window1, t_window0), n, window_s);
  print_phase("test packets, before the kill", minus(t_warm, t_window1), n, warm_s);
  if (o.kill_pct > 0) {
    print_phase("reconvergence", minus(t_reconverged, t_kill), survivors, confirm_s);
    print_phase("after, test packets", minus(t_end, t_reconverged), survivors, after_s);
  }
  print_counters(mesh);
  fprintf(stderr, "  walks: %llu, without a route %llu, into a knocked-out next hop %llu\n",
          static_cast<unsigned long long>(walks.walks), static_cast<unsigned long long>(walks.unrouted),
          static_cast<unsigned long long>(walks.to_dead));
  fflush(stdout);
  return status;
}

// libsodium's randomness (static keys, ephemeral keys, timer jitter,
// tunnel refresh picks) drawn from --seed instead of the system, so that
// one seed is one run, step for step. A simulation only: nothing here
// protects a real key.
std::mt19937_64 sim_random;
const char* sim_random_name() { return "mesh_bench"; }
uint32_t sim_random_u32() { return static_cast<uint32_t>(sim_random() >> 32); }
void sim_random_buf(void* const buf, const size_t size) {
  auto* p = static_cast<uint8_t*>(buf);
  for (size_t i = 0; i < size; i += 8) {
    uint64_t v = sim_random();
    memcpy(p + i, &v, std::min<size_t>(8, size - i));
  }
}
randombytes_implementation sim_random_impl = {sim_random_name, sim_random_u32, nullptr, nullptr,
                                              sim_random_buf, nullptr};

double positive(const char* flag, const char* text) {
  char* endp = nullptr;
  double v = strtod(text, &endp);
  if (endp == text || *endp != '\0' || !(v > 0)) die(std::string(flag) + " needs a positive number");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--window" && has_value) {
      o.window_s = positive("--window", argv[++i]);
    } else if (a == "--settle" && has_value) {
      o.settle_s = atof(argv[++i]);
    } else if (a == "--form-limit" && has_value) {
      o.form_limit_s = positive("--form-limit", argv[++i]);
    } else if (a == "--tick" && has_value) {
      o.tick_ms = static_cast<uint64_t>(positive("--tick", argv[++i]));
    } else if (a == "--seed" && has_value) {
      o.seed = static_cast<uint32_t>(strtoul(argv[++i], nullptr, 10));
    } else if (a == "--max-peers" && has_value) {
      double v = positive("--max-peers", argv[++i]);
      if (v > 1000) die("--max-peers goes from 1 to 1000");
      o.max_peers = static_cast<uint32_t>(v);
    } else if (a == "--tunnel-refresh" && has_value) {
      o.tunnel_refresh_s = positive("--tunnel-refresh", argv[++i]);
      if (o.tunnel_refresh_s < 10) die("--tunnel-refresh goes from 10 s");
    } else if (a == "--kill" && has_value) {
      o.kill_pct = positive("--kill", argv[++i]);
      if (o.kill_pct >= 100) die("--kill takes a percentage below 100");
    } else if (a == "--after" && has_value) {
      o.after_rounds = static_cast<uint32_t>(positive("--after", argv[++i]));
    } else if (a == "--reconverge-limit" && has_value) {
      o.reconverge_limit_s = positive("--reconverge-limit", argv[++i]);
    } else if (!a.empty() && a[0] != '-') {
      double n = positive("a node count", argv[i]);
      if (n < 2 || n > 60000) die("node counts go from 2 to 60000");
      o.sizes.push_back(static_cast<size_t>(n));
    } else {
      fprintf(stderr,
              "usage: mesh_bench [N...] [--window SECS] [--tick MS] [--settle SECS] "
              "[--form-limit SECS] [--seed N]\n"
              "       mesh_bench N --max-peers N [--tunnel-refresh SECS] [--kill PCT] "
              "[--reconverge-limit SECS] [--after SECS] [the options above]\n");
      return 2;
    }
  }
  sim_random.seed(o.seed);
  randombytes_set_implementation(&sim_random_impl);
  braid::crypto::init();
  braid::log_set_level(braid::LogLevel::kError);
  if (o.routing()) {
    if (o.sizes.size() != 1) die("the routing run takes one node count");
    return run_routing(o.sizes[0], o);
  }
  if (o.sizes.empty()) o.sizes = {10, 100, 1000};

  printf("Idle shared-key mesh, hub mode, peer exchange on; the window opens %.0f s after the "
         "mesh is complete; bytes sent per second, UDP+IPv4 headers (28 B) included\n\n",
         o.settle_s);
  printf("| nodes | tick (ms) | window (s) | formed in (s simulated) | formation (s wall) | keepalives "
         "(B/s per node) | handshakes (B/s per node) | control (B/s per node) | total (B/s "
         "per node) | total per peer (B/s) | busiest node (B/s) | mesh whole at the end |\n");
  printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  fflush(stdout);
  for (size_t n : o.sizes) run(n, o);
  return 0;
}
