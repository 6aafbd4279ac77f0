// Management traffic of an idle mesh (doc/performance.md, "Management
// traffic"): N nodes — the engine's own Node, with its handshakes, timers
// and peer exchange — on an in-process network with a simulated clock.
// Each node is configured with one earlier node only; peer exchange has
// to join them into a full mesh. Once it has, the mesh is left idle and
// every datagram each node sends is counted by kind: keepalives (empty
// data packets), handshakes (messages 1, 2, 3 and cookie replies) and
// control messages (claims, peer lists, introductions), with 28 bytes of
// IPv4 and UDP header each.
// Run by hand: `make bench-mesh` or tests/bench/mesh_bench [N...]
// [--window SECS] [--tick MS] [--settle SECS] [--form-limit SECS]
// [--seed N]. Defaults: 10, 100 and 1000 nodes; ticks of 100 ms (1 s from
// 500 nodes); the window opens 360 s after the mesh is complete and lasts
// three idle keepalive periods.
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

// What a datagram is, for the figures.
enum Kind : size_t { kKeepalive, kHandshake, kControl, kOther, kKinds };

Kind kind_of(const uint8_t* p, size_t len) {
  uint8_t type = len > engine::kMagicLen ? p[engine::kMagicLen] : 0;
  switch (static_cast<engine::PacketType>(type)) {
    case engine::PacketType::kData:
      return len == engine::kTransportOverhead ? kKeepalive : kOther;
    case engine::PacketType::kHandshakeInit:
    case engine::PacketType::kHandshakeResp:
    case engine::PacketType::kHandshakeFinal:
    case engine::PacketType::kCookieReply:
      return kHandshake;
    case engine::PacketType::kControl:
      return kControl;
    default:
      return kOther;
  }
}

struct Tally {
  std::array<uint64_t, kKinds> bytes{};
  std::array<uint64_t, kKinds> packets{};
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
  uint32_t to = 0;
  std::vector<uint8_t> bytes;
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

// The network: one clock, one pool, one FIFO of datagrams delivered in
// order and without loss after every tick.
class Mesh {
 public:
  Mesh(size_t nodes, uint32_t seed);

  // Moves the clock by tick_ms, ticks every node that has started, then
  // delivers everything queued (and whatever that sends in turn).
  void step(uint64_t tick_ms);
  Census census(bool check_live) const;
  void enqueue(Datagram d) { queue_.push_back(std::move(d)); }
  size_t size() const { return hosts_.size(); }
  size_t started() const { return started_; }
  uint64_t elapsed_ns() const { return clock.now_ns() - start_ns_; }
  const Host& host(size_t i) const { return *hosts_[i]; }
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

  braid::FakeClock clock;
  engine::BufferPool pool{kBuffers, kBufferSize};
  uint64_t undeliverable = 0;
  uint64_t device_writes = 0;

 private:
  std::vector<std::unique_ptr<Host>> hosts_;
  std::deque<Datagram> queue_;
  std::vector<uint8_t> inits_;
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
  Kind k = kind_of(buf->data(), buf->len);
  sent.bytes[k] += buf->len + kHeaderBytes;
  ++sent.packets[k];
  uint32_t dest = index_of(to, mesh_.size());
  if (buf->len > engine::kMagicLen &&
      buf->data()[engine::kMagicLen] == static_cast<uint8_t>(engine::PacketType::kHandshakeInit)) {
    ++sent.inits;
    mesh_.count_initiation(index_, dest);
  }
  Datagram d{address(index_), dest,
             std::vector<uint8_t>(buf->data(), buf->data() + buf->len)};
  mesh_.pool.put(buf);
  mesh_.enqueue(std::move(d));
}

void Host::write_device(engine::PacketBuf* buf) {
  // An idle mesh carries no inner packets: counted, to show there were none.
  ++mesh_.device_writes;
  mesh_.pool.put(buf);
}

// A shared-key network as the unit tests' FakeNet::config sets it up, with
// a random static key per node: peer exchange on, hub forwarding, no
// claims, no LAN discovery (there is no LAN here).
engine::NodeConfig node_config() {
  engine::NodeConfig cfg;
  cfg.magic = {0x62, 0x72, 0x64, 0x01};
  std::array<uint8_t, 32> psk;
  psk.fill(0x42);
  cfg.psk = psk;
  randombytes_buf(cfg.static_private.data(), cfg.static_private.size());
  cfg.forward = engine::ForwardMode::kHub;
  cfg.peer_exchange = true;
  cfg.lan_discovery = false;
  return cfg;
}

Mesh::Mesh(size_t nodes, uint32_t seed) {
  start_ns_ = clock.now_ns();
  std::mt19937 rng(seed);
  hosts_.reserve(nodes);
  for (size_t k = 0; k < nodes; ++k) {
    hosts_.push_back(std::make_unique<Host>(*this, static_cast<uint32_t>(k), node_config()));
    if (k == 0) continue;
    // One configured peer: a random earlier node.
    uint32_t target = std::uniform_int_distribution<uint32_t>(0, static_cast<uint32_t>(k - 1))(rng);
    engine::Node& node = hosts_.back()->node();
    node.add_target("node" + std::to_string(target));
    node.set_target_addresses(0, {address(target)});
  }
}

void Mesh::step(uint64_t tick_ms) {
  clock.advance_ms(tick_ms);
  while (started_ < hosts_.size() && elapsed_ns() >= started_ * kStaggerMs * kNsPerMs) ++started_;
  for (size_t i = 0; i < started_; ++i) hosts_[i]->node().on_tick();
  while (!queue_.empty()) {
    Datagram d = std::move(queue_.front());
    queue_.pop_front();
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

struct Options {
  std::vector<size_t> sizes;
  double window_s = 0;       // 0: three idle keepalive periods
  // Past the formation's own traffic (its greetings, resent claims and
  // half-done handshakes), the two keepalive intervals after which a pair
  // counts as idle, and the probes by which each node finds out that
  // unsolicited packets reach it (no firewall): until then it keeps the
  // short keepalive, and a probe takes up to two idle intervals.
  double settle_s = 360;
  double form_limit_s = 600;
  uint64_t tick_ms = 0;      // 0: kTickMs below kCoarseFrom nodes, 1 s from there
  uint32_t seed = 1;
};

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
  Mesh mesh(n, o.seed);
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
  run_for(mesh, tick_ms, o.form_limit_s, "formation", [&] {
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
          static_cast<unsigned long long>(sum.packets[kOther]),
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
    } else if (!a.empty() && a[0] != '-') {
      double n = positive("a node count", argv[i]);
      if (n < 2 || n > 60000) die("node counts go from 2 to 60000");
      o.sizes.push_back(static_cast<size_t>(n));
    } else {
      fprintf(stderr,
              "usage: mesh_bench [N...] [--window SECS] [--tick MS] [--settle SECS] "
              "[--form-limit SECS] [--seed N]\n");
      return 2;
    }
  }
  if (o.sizes.empty()) o.sizes = {10, 100, 1000};
  braid::crypto::init();
  braid::log_set_level(braid::LogLevel::kError);

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
