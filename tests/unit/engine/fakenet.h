// An in-process network for Node tests: every node gets an address
// 10.0.0.N:3210 and a fake device; datagrams wait in one queue until the
// test pumps it, and a per-test filter may drop, duplicate, hold back or
// alter them on the way. Time is a FakeClock the test moves.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "engine/node.h"

#include <CppUTest/Utest.h>

namespace braid::engine::test {

struct Datagram {
  Endpoint from;
  Endpoint to;
  std::vector<uint8_t> bytes;
  uint64_t sent_ns = 0;   // when it entered the network
  // The type byte, 0 when too short to carry one.
  uint8_t type() const { return bytes.size() > kMagicLen ? bytes[kMagicLen] : 0; }
  bool is(PacketType t) const { return type() == static_cast<uint8_t>(t); }
};

class FakeNet;

// One node on the network, with the device that records what it writes.
class Host final : public NodeOutput {
 public:
  Host(FakeNet& net, int n, const NodeConfig& cfg);
  ~Host() override;

  void send_udp(uint8_t link, const Endpoint& to, PacketBuf* buf) override;
  void write_device(PacketBuf* buf) override;

  Node& node() { return *node_; }
  const Node& node() const { return *node_; }
  const Endpoint& addr() const { return addr_; }
  // Multi-link: the address of each of its links (link 0's is addr();
  // link L's is 10.L.0.n). Datagrams carry the sending link's address and
  // reach the link whose address they are sent to.
  const std::vector<Endpoint>& link_addrs() const { return link_addrs_; }
  // Datagrams it sent over each link.
  std::vector<uint64_t> link_datagrams, link_bytes;
  // What the node reported with link_status (link -> up), in order.
  std::vector<std::pair<uint8_t, bool>> link_events;
  void link_status(uint8_t link, bool up) override { link_events.emplace_back(link, up); }
  // A packet read from the device, handed to the node in a pool buffer.
  void device_packet(const std::vector<uint8_t>& bytes);
  // Makes this node's first target the given host.
  void target(const Host& other);
  const Peer* peer_of(const Host& other) { return node_->find_peer(other.node().id()); }
  // The session keypair currently used to send to other (nullptr: none).
  const Keypair* keypair_to(const Host& other);

  std::vector<std::vector<uint8_t>> written;   // the fake device's writes
  uint64_t datagrams_sent = 0;

 private:
  FakeNet& net_;
  Endpoint addr_;
  std::vector<Endpoint> link_addrs_;
  std::unique_ptr<Node> node_;
};

class FakeNet {
 public:
  // Takes what enters the network and pushes what goes on (nothing: lost).
  using Filter = std::function<void(Datagram&, std::vector<Datagram>&)>;

  static constexpr size_t kBuffers = 512;
  static constexpr size_t kBufferSize = 2048;
  static constexpr uint16_t kPort = 3210;

  FakeNet();
  ~FakeNet();

  static Endpoint address(int n, uint16_t port = kPort);
  static NodeConfig config(int n);

  // Adds node number hosts+1 at 10.0.0.(hosts+1):3210.
  Host& add(const NodeConfig& cfg);
  Host& add() { return add(config(static_cast<int>(hosts_.size()) + 1)); }
  // Datagrams to e reach h as well (a second address or a NAT mapping).
  void alias(const Endpoint& e, Host& h);
  // Puts h behind a NAT with a port-restricted cone's behaviour: all it
  // sends leaves from `public_addr` (one mapping whatever the
  // destination), and a datagram to public_addr reaches h only from an
  // endpoint h has sent to before. h's own address is unreachable.
  void behind_nat(Host& h, const Endpoint& public_addr);
  // Puts h behind a stateful firewall without NAT (an IPv6 home
  // gateway's): h keeps its address, and a datagram reaches it only from
  // an endpoint it has sent to within `timeout_ns`.
  void behind_firewall(Host& h, uint64_t timeout_ns);
  // Drops everything h sends or is sent from now on (a crash, a cable
  // pulled), without telling its node.
  void cut_off(Host& h);

  // Puts a datagram on the network (the filter runs first).
  void send(Datagram d);
  // Puts a datagram in the queue as is, bypassing the filter.
  void inject(Datagram d) { queue_.push_back(std::move(d)); }
  // Delivers queued datagrams until none are left; returns how many.
  size_t pump();
  // One protocol tick on every node, then the queue delivered.
  void tick();
  // Moves the clock by ms in kTickMs steps, ticking at each.
  void run_ms(uint64_t ms);
  // Moves the clock by ms in steps of step_ms: every node's on_timer (its
  // pacers and reorder buffers) at each step, on_tick every kTickMs, and
  // datagrams delivered once `latency` says they are due.
  void run_fine_ms(uint64_t ms, uint64_t step_ms = 1);
  // Sends what link queues and reorder buffers hold and delivers what is
  // in flight (a second of quiet without timers).
  void settle();
  // One-way delay of a datagram (nullptr: none); used by run_fine_ms.
  std::function<uint64_t(const Datagram&)> latency;
  // The address of link `link` of node n (link 0: address(n)).
  static Endpoint link_address(int n, int link, uint16_t port = kPort);

  FakeClock clock;
  BufferPool pool;
  Filter filter;
  std::vector<Datagram> sent;   // everything that entered the network
  uint64_t undeliverable = 0;
  uint64_t nat_dropped = 0;     // unsolicited datagrams a NAT or firewall refused
  Host& host(size_t i) { return *hosts_[i]; }
  size_t size() const { return hosts_.size(); }

 private:
  Host* host_at(const Endpoint& e);
  struct Nat {
    Host* host;
    Endpoint public_addr;
    std::vector<Endpoint> opened;   // destinations it has sent to
  };
  std::vector<Nat> nats_;
  struct Firewall {
    Host* host;
    uint64_t timeout_ns;
    std::vector<std::pair<Endpoint, uint64_t>> last_out;   // destination, when
  };
  std::vector<Firewall> firewalls_;
  std::vector<Endpoint> cut_;

  std::vector<std::unique_ptr<Host>> hosts_;
  std::vector<std::pair<Endpoint, Host*>> routes_;
  std::deque<Datagram> queue_;
  // Datagrams in flight with a latency, and when each is due.
  std::vector<std::pair<uint64_t, Datagram>> delayed_;
  void deliver(Datagram d);
};

// A fake inner packet: a 4-byte sequence number, then `len - 4` bytes of a
// pattern derived from it.
std::vector<uint8_t> make_packet(uint32_t seq, size_t len = 60);
uint32_t packet_seq(const std::vector<uint8_t>& p);

// A handshake initiation a plain-mode node (no shared key, no CA) takes as
// valid: any 32 bytes are an ephemeral key, and mac1 is keyed by the
// network's magic alone.
std::vector<uint8_t> plain_initiation(const Magic& magic, uint32_t sender_index, uint8_t fill);

// Both nodes hold a usable session with each other.
bool connected(Host& a, Host& b);

// The fixture of every node test group (TEST_GROUP_BASE): a fresh network,
// logs quiet below errors, and at the end a check that every buffer went
// back to the pool.
class NetTest : public Utest {
 public:
  void setup() override;
  void teardown() override;

 protected:
  LogLevel saved_level_ = LogLevel::kInfo;
  std::unique_ptr<FakeNet> net;
};

}  // namespace braid::engine::test
