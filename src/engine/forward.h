// Forwarding: which peers a packet read from the device goes to. Behind an
// interface so the modes (hub, switch; router later) plug in without
// touching the session code.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace braid::engine {

class Peer;

// One address a switch has learnt, for braidctl's table.
struct LearntAddress {
  uint16_t vlan = 0;
  uint64_t mac = 0;   // the 48-bit MAC in the low bits
  const Peer* peer = nullptr;
  uint64_t last_seen_ns = 0;
};

class Forwarder {
 public:
  virtual ~Forwarder() = default;
  // The peers a device packet goes to. The span stays valid until the next
  // call or peer change; computing it must not allocate.
  virtual std::span<Peer* const> destinations(std::span<const uint8_t> packet) = 0;
  virtual void peer_added(Peer* peer) = 0;
  virtual void peer_removed(Peer* peer) = 0;
  // An inner packet received from `from` (authenticated, authorised): a
  // switch learns its source address. Default: nothing.
  virtual void learn(std::span<const uint8_t> /*packet*/, Peer* /*from*/, uint64_t /*now_ns*/) {}
  // Called about once a second: forget what is older than the timeout.
  virtual void expire(uint64_t /*now_ns*/) {}
  // What it has learnt (switch mode); nothing in the other modes.
  virtual void learnt(std::vector<LearntAddress>* /*out*/) const {}
};

// Hub mode: every packet to every connected peer.
class HubForwarder final : public Forwarder {
 public:
  std::span<Peer* const> destinations(std::span<const uint8_t>) override { return peers_; }
  void peer_added(Peer* peer) override;
  void peer_removed(Peer* peer) override;

 private:
  std::vector<Peer*> peers_;
};

}  // namespace braid::engine
