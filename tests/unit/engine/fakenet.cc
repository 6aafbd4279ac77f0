// The fake network of the Node tests.
#include "fakenet.h"

#include <algorithm>
#include <cstring>

#include "common/bytes.h"
#include "crypto/sodium.h"

// Last: its new/delete macros must not reach the standard headers.
#include <CppUTest/TestHarness.h>

namespace braid::engine::test {

Host::Host(FakeNet& net, int n, const NodeConfig& cfg)
    : net_(net), addr_(FakeNet::address(n)),
      node_(std::make_unique<Node>(cfg, net.clock, net.pool, *this)) {
  size_t links = std::max<size_t>(cfg.links.size(), 1);
  for (size_t l = 0; l < links; ++l) {
    link_addrs_.push_back(FakeNet::link_address(n, static_cast<int>(l)));
    node_->set_link_endpoints(l, {link_addrs_.back()});
  }
  link_datagrams.assign(links, 0);
  link_bytes.assign(links, 0);
  // As the engine's interface scan would: packets to its addresses reach it.
  node_->set_local_endpoints(link_addrs_);
}

Host::~Host() = default;

void Host::send_udp(uint8_t link, const Endpoint& to, PacketBuf* buf) {
  if (link >= link_addrs_.size()) link = 0;
  ++link_datagrams[link];
  link_bytes[link] += buf->len;
  Datagram d{link_addrs_[link], to, std::vector<uint8_t>(buf->data(), buf->data() + buf->len)};
  net_.pool.put(buf);
  ++datagrams_sent;
  net_.send(std::move(d));
}

void Host::write_device(PacketBuf* buf) {
  written.emplace_back(buf->data(), buf->data() + buf->len);
  net_.pool.put(buf);
}

void Host::device_packet(const std::vector<uint8_t>& bytes) {
  PacketBuf* b = net_.pool.get(Node::kHeadroom);
  if (b == nullptr) return;
  memcpy(b->data(), bytes.data(), bytes.size());
  b->len = bytes.size();
  node_->on_device_packet(b);
}

void Host::target(const Host& other) {
  node_->add_target("host" + other.addr().str());
  node_->set_target_addresses(node_->targets().size() - 1, {other.addr()});
}

const Keypair* Host::keypair_to(const Host& other) {
  const Peer* p = peer_of(other);
  return p ? p->current.get() : nullptr;
}

FakeNet::FakeNet() : pool(kBuffers, kBufferSize) {}

FakeNet::~FakeNet() = default;

Endpoint FakeNet::address(int n, uint16_t port) { return link_address(n, 0, port); }

Endpoint FakeNet::link_address(int n, int link, uint16_t port) {
  const uint8_t a[4] = {10, static_cast<uint8_t>(link), 0, static_cast<uint8_t>(n)};
  return Endpoint::from_bytes(4, a, port);
}

NodeConfig FakeNet::config(int n) {
  NodeConfig cfg;
  cfg.magic = {0x62, 0x72, 0x64, 0x01};
  std::array<uint8_t, 32> psk;
  psk.fill(0x42);
  cfg.psk = psk;
  for (size_t i = 0; i < cfg.static_private.size(); ++i)
    cfg.static_private[i] = static_cast<uint8_t>(n * 31 + i * 7 + 1);
  return cfg;
}

Host& FakeNet::add(const NodeConfig& cfg) {
  int n = static_cast<int>(hosts_.size()) + 1;
  hosts_.push_back(std::make_unique<Host>(*this, n, cfg));
  Host& h = *hosts_.back();
  for (const Endpoint& e : h.link_addrs()) routes_.emplace_back(e, &h);
  return h;
}

void FakeNet::alias(const Endpoint& e, Host& h) { routes_.emplace_back(e, &h); }

void FakeNet::behind_nat(Host& h, const Endpoint& public_addr) {
  for (auto& r : routes_)
    if (r.first == h.addr()) r.second = nullptr;
  routes_.emplace_back(public_addr, &h);
  nats_.push_back(Nat{&h, public_addr, {}});
}

void FakeNet::behind_firewall(Host& h, uint64_t timeout_ns) {
  firewalls_.push_back(Firewall{&h, timeout_ns, {}});
}

void FakeNet::cut_off(Host& h) {
  cut_.push_back(h.addr());
  for (const Nat& n : nats_)
    if (n.host == &h) cut_.push_back(n.public_addr);
}

Host* FakeNet::host_at(const Endpoint& e) {
  for (auto& [addr, h] : routes_)
    if (addr == e) return h;
  return nullptr;
}

void FakeNet::send(Datagram d) {
  d.sent_ns = clock.now_ns();
  for (const Endpoint& e : cut_)
    if (d.from == e) return;
  for (Nat& n : nats_) {
    if (d.from != n.host->addr()) continue;
    d.from = n.public_addr;
    if (std::find(n.opened.begin(), n.opened.end(), d.to) == n.opened.end())
      n.opened.push_back(d.to);
  }
  for (Firewall& f : firewalls_) {
    if (d.from != f.host->addr()) continue;
    auto it = std::find_if(f.last_out.begin(), f.last_out.end(),
                           [&](const auto& o) { return o.first == d.to; });
    if (it == f.last_out.end())
      f.last_out.emplace_back(d.to, d.sent_ns);
    else
      it->second = d.sent_ns;
  }
  sent.push_back(d);
  if (!filter) {
    queue_.push_back(std::move(d));
    return;
  }
  std::vector<Datagram> out;
  filter(d, out);
  for (auto& o : out) queue_.push_back(std::move(o));
}

size_t FakeNet::pump() {
  size_t n = 0;
  while (!queue_.empty()) {
    Datagram d = std::move(queue_.front());
    queue_.pop_front();
    if (latency) {
      uint64_t due = d.sent_ns + latency(d);
      if (due > clock.now_ns()) {
        delayed_.emplace_back(due, std::move(d));
        continue;
      }
    }
    deliver(std::move(d));
    ++n;
  }
  return n;
}

void FakeNet::deliver(Datagram d) {
  {
    Host* h = host_at(d.to);
    for (const Endpoint& e : cut_)
      if (d.to == e) h = nullptr;
    for (const Nat& nat : nats_)
      if (h && d.to == nat.public_addr &&
          std::find(nat.opened.begin(), nat.opened.end(), d.from) == nat.opened.end()) {
        ++nat_dropped;
        h = nullptr;
      }
    for (const Firewall& f : firewalls_) {
      if (h != f.host || d.to != f.host->addr()) continue;
      auto it = std::find_if(f.last_out.begin(), f.last_out.end(),
                             [&](const auto& o) { return o.first == d.from; });
      if (it == f.last_out.end() || clock.now_ns() - it->second > f.timeout_ns) {
        ++nat_dropped;
        h = nullptr;
      }
    }
    PacketBuf* b = h ? pool.get(0) : nullptr;
    if (b == nullptr || d.bytes.size() > b->capacity) {
      if (b) pool.put(b);
      ++undeliverable;
      return;
    }
    if (!d.bytes.empty()) memcpy(b->data(), d.bytes.data(), d.bytes.size());
    b->len = d.bytes.size();
    uint8_t link = 0;
    for (size_t l = 0; l < h->link_addrs().size(); ++l)
      if (h->link_addrs()[l] == d.to) link = static_cast<uint8_t>(l);
    h->node().on_udp_packet(d.from, b, link);
  }
}

void FakeNet::settle() {
  for (int i = 0; i < 20; ++i) {
    clock.advance_ms(50);
    for (auto& [due, d] : delayed_) deliver(std::move(d));
    delayed_.clear();
    for (auto& h : hosts_) h->node().on_timer();
    pump();
  }
}

void FakeNet::run_fine_ms(uint64_t ms, uint64_t step_ms) {
  for (uint64_t t = 0; t < ms; t += step_ms) {
    clock.advance_ms(step_ms);
    uint64_t now = clock.now_ns();
    // Due datagrams in the order they fell due.
    std::stable_sort(delayed_.begin(), delayed_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    size_t i = 0;
    for (; i < delayed_.size() && delayed_[i].first <= now; ++i) deliver(std::move(delayed_[i].second));
    delayed_.erase(delayed_.begin(), delayed_.begin() + static_cast<ptrdiff_t>(i));
    for (auto& h : hosts_) h->node().on_timer();
    if (now / (Node::kTickMs * kNsPerMs) != (now - step_ms * kNsPerMs) / (Node::kTickMs * kNsPerMs))
      for (auto& h : hosts_) h->node().on_tick();
    pump();
  }
}

void FakeNet::tick() {
  for (auto& h : hosts_) h->node().on_tick();
  pump();
}

void FakeNet::run_ms(uint64_t ms) {
  for (uint64_t t = 0; t < ms; t += Node::kTickMs) {
    clock.advance_ms(Node::kTickMs);
    tick();
  }
}

std::vector<uint8_t> make_packet(uint32_t seq, size_t len) {
  std::vector<uint8_t> p(len < 4 ? 4 : len);
  put_be32(p.data(), seq);
  for (size_t i = 4; i < p.size(); ++i) p[i] = static_cast<uint8_t>(seq * 13 + i);
  return p;
}

uint32_t packet_seq(const std::vector<uint8_t>& p) { return p.size() < 4 ? 0 : get_be32(p.data()); }

std::vector<uint8_t> plain_initiation(const Magic& magic, uint32_t sender_index, uint8_t fill) {
  std::vector<uint8_t> g(kInitHeaderLen + 32 + kInitMacsLen, fill);
  memcpy(g.data(), magic.data(), kMagicLen);
  g[kMagicLen] = static_cast<uint8_t>(PacketType::kHandshakeInit);
  put_be32(g.data() + kPrefixLen, sender_index);
  write_mac1(g, derive_mac_key(magic, {}));
  return g;
}

bool connected(Host& a, Host& b) {
  const Peer* p = a.peer_of(b);
  const Peer* q = b.peer_of(a);
  return p && q && p->current && q->current;
}

void NetTest::setup() {
  crypto::init();
  saved_level_ = log_level();
  log_set_level(LogLevel::kError);
  net = std::make_unique<FakeNet>();
}

void NetTest::teardown() {
  net->filter = nullptr;
  net->pump();
  // What waits in link queues and reorder buffers goes out first.
  net->settle();
  LONGS_EQUAL(FakeNet::kBuffers, net->pool.available());
  net.reset();
  log_set_level(saved_level_);
}

}  // namespace braid::engine::test
