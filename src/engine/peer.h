// What a node knows about one other node: its identity (the static public
// key), where it was last heard from, its session keypairs and the state
// the timers read. Peers are found by node id or by keypair index, never
// by address.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/aead.h"
#include "engine/endpoint.h"
#include "engine/path.h"
#include "engine/reorder.h"
#include "engine/replay.h"
#include "identity/cert.h"
#include "identity/prefix.h"

namespace braid::engine {

using NodeId = std::array<uint8_t, 32>;

// Short printable form for logs: the first 8 hex digits.
std::string short_id(const NodeId& id);

// Node ids are public keys, uniformly random: their first bytes hash well.
struct NodeIdHash {
  size_t operator()(const NodeId& id) const {
    size_t h;
    static_assert(sizeof h <= sizeof(NodeId));
    __builtin_memcpy(&h, id.data(), sizeof h);
    return h;
  }
};

class Peer;

// One session's keys in both directions. Received packets name the
// keypair by our local index.
struct Keypair {
  uint32_t local_index = 0;
  uint32_t remote_index = 0;
  crypto::TransportKey send;
  crypto::TransportKey recv;
  uint64_t send_counter = 0;
  ReplayWindow replay;
  uint64_t created_ns = 0;
  bool initiator = false;   // we started the handshake that made it
  // The other side has used it: for the initiator, proof that the final
  // handshake message arrived. The responder's keypairs start confirmed.
  bool confirmed = false;
  // Data (not only keepalives and control messages) went either way under
  // it: such keys are renewed on time; an idle pair's are left to age.
  bool carried_data = false;
  Peer* peer = nullptr;
};

struct PeerStats {
  uint64_t rx_packets = 0, rx_bytes = 0;
  uint64_t tx_packets = 0, tx_bytes = 0;
  uint64_t handshakes = 0;
  // Of those, what went or came through relays.
  uint64_t relayed_tx = 0, relayed_rx = 0;
  // Other nodes' packets we relayed to it or from it.
  uint64_t forwarded = 0;
};

// A direct neighbour's hellos (routing.cc): its round trip, the loss of
// its hellos, and when ours are due.
struct HelloState {
  uint16_t tx_seq = 0;
  // Its last hello's seq and time, and when it arrived (0: none yet).
  uint16_t rx_seq = 0;
  uint32_t rx_time_us = 0;
  uint64_t rx_ns = 0;
  // Which of its last 16 hellos arrived (bit 0: the latest).
  uint16_t rx_window = 0;
  uint32_t rx_total = 0;   // hellos received, counted up to 16
  // How often it says it sends them.
  uint64_t interval_ns = 0;
  // When its direct way was found lost (0: it answers): it stays lost
  // until a packet comes directly after that.
  uint64_t lost_ns = 0;
  // It wants our routes (its last hello said so).
  bool routes_wanted = false;
  uint64_t srtt_ns = 0;
  // The cost the route table has for it (kMetricInfinity: unreachable).
  uint16_t cost = 0xFFFF;
  uint64_t next_hello_ns = 0;
  uint64_t next_dump_ns = 0;
  // Hellos go every 300 ms while traffic flows (since this time).
  bool active = false;
  uint64_t active_since_ns = 0;
};

// A way to the peer (multi-link): one of our links and one of its
// endpoints, probed on its own (path.h).
struct Path {
  Path(uint8_t link_index, const Endpoint& to, uint64_t interval_ns, PathTolerance tol,
       uint64_t now_ns)
      : link(link_index), remote(to), monitor(interval_ns, tol), created_ns(now_ns) {}
  uint8_t link;
  Endpoint remote;
  PathMonitor monitor;
  uint64_t created_ns;
  uint64_t tx_packets = 0, tx_bytes = 0;
  uint64_t rx_packets = 0, rx_bytes = 0;
  uint64_t last_rx_ns = 0;
  // The peer's end of it is a fallback-only link (its link list said so).
  bool remote_fallback = false;
  // The highest counter of bulk data (which the peer's link queue keeps
  // in order) of the sequenced session received over it, and when.
  uint64_t bulk_max = 0;
  uint64_t bulk_rx_ns = 0;
  // The scheduler's fair-queueing finish tag: bytes sent over its share.
  uint64_t finish = 0;
};

class Peer {
 public:
  explicit Peer(const NodeId& id) : id_(id) {}

  const NodeId& id() const { return id_; }
  // The short id, with the certificate's name in certificate networks.
  std::string name() const { return cert ? cert->name + " (" + short_id(id_) + ")" : short_id(id_); }

  // Certificate networks: what the peer presented in its last handshake,
  // which bounds the addresses it may send from.
  std::optional<identity::Certificate> cert;
  identity::Fingerprint fingerprint{};

  // Where it is reached directly; not valid for a peer reached only
  // through relays (its session was made through them).
  Endpoint endpoint;
  bool direct() const { return endpoint.valid(); }
  // Routing (routing.cc): the last authenticated packet that came
  // directly, not through a relay; its hellos.
  uint64_t direct_rx_ns = 0;
  HelloState hello;
  // Other nodes' packets relayed through it, last at: keeps hellos
  // frequent, so that a failure under that traffic is found fast.
  uint64_t relay_ns = 0;
  // The neighbour its relayed packets last came through: the way back
  // while we have no route to it yet (a node that wants no routes learns
  // them only once it needs them).
  std::optional<NodeId> relayed_via;
  // A peer reached through relays: an address exchange gave for it, tried
  // directly with backoff (direct first).
  std::optional<Endpoint> direct_hint;
  uint64_t direct_next_ns = 0;
  uint64_t direct_backoff_ns = 0;
  uint32_t direct_index = 0;   // that attempt's handshake (0: none)
  // Bounded tunnels (tunnels.cc): its direct way was given up to keep
  // within max_peers, and is not taken again before this time.
  uint64_t unlinked_until_ns = 0;
  // Its direct tunnel is being given up (tunnels.cc): routes move off it
  // until this time, then it goes (0: not draining).
  uint64_t drain_until_ns = 0;
  // Its bytes both ways at the last tunnel refresh: the direct tunnel
  // that carried least since then makes way.
  uint64_t refresh_bytes = 0;
  // When we last asked the relay next to us to introduce us to it (its
  // NAT may drop our attempts until it sends to us too).
  uint64_t direct_intro_ns = 0;
  // The link `endpoint` is reached over: handshakes, keepalives and
  // control messages go this way (the best path, with several).
  uint8_t link = 0;
  // Multi-link: every way to the peer. Empty (or one) while both sides
  // have one link: then `endpoint` is the only path, followed as it roams,
  // and nothing is probed. Several: each probed, traffic spread over the
  // usable ones (multipath.cc).
  static constexpr size_t kMaxPaths = 16;
  std::vector<Path> paths;
  // The peer has told us its links' endpoints (it has several): a packet
  // from a new address is a new path, not a move.
  bool multilink = false;
  uint64_t links_heard_ns = 0;   // its last link list (bounded: one a second)
  // The scheduler's virtual time (start tag of the last packet placed).
  uint64_t vclock = 0;
  // Restores the order that several paths' delays disturb; created with
  // the second path. It sequences the counters of the keypair with this
  // local index (an index, not a pointer: keypairs come and go).
  std::unique_ptr<ReorderBuffer> reorder;
  uint32_t reorder_index = 0;
  // Hold beyond the paths' spread that late arrivals have asked for, and
  // the buffer's count of them when last looked at (multipath.cc).
  uint64_t reorder_extra_ns = 0;
  uint64_t reorder_late = 0;
  // The keypair used for sending, and those it replaced, kept for receiving
  // only: the other side may still send under one of them for a while —
  // when both sides initiated at once, or until it sees our new keys
  // confirmed — and dropping them early would lose that traffic.
  static constexpr size_t kRetired = 3;
  std::unique_ptr<Keypair> current;
  std::array<std::unique_ptr<Keypair>, kRetired> retired;
  // A renewed keypair we initiated, used for sending only once the other
  // side has sent on it: if our final handshake message was lost, traffic
  // keeps flowing under the old keys.
  std::unique_ptr<Keypair> next;

  uint64_t connected_ns = 0;
  // "connected" has been logged: at once by a responder, by an initiator
  // only once the other side has used the session (it may still refuse
  // our certificate after our final message).
  bool announced = false;
  bool unconfirmed_warned = false;
  uint64_t last_sent_ns = 0;
  uint64_t last_received_ns = 0;
  uint64_t last_handshake_ns = 0;
  // Last data packet sent or received (0: none yet): a pair without data
  // for a while is idle and keeps quiet (timers.h kIdleKeepaliveNs).
  uint64_t last_data_ns = 0;
  // When we sent the first data packet since we last heard from the peer
  // (0: we have heard from it since): it answers within `keepalive`.
  uint64_t awaiting_reply_ns = 0;
  // Data waits for new keys (ours are too old): start a renewal now.
  bool renew_now = false;
  // Where the peer sees us, as it last told us: when that is not one of
  // our own addresses a NAT is on the path (nullopt: not told yet).
  std::optional<Endpoint> seen_us_at;
  // It asked us to keep quiet towards it until then and to send one
  // packet at that time (its firewall probe; 0: not asked).
  uint64_t quiet_until_ns = 0;
  // Our last handshake initiation to it (which does not count as sending
  // for keepalives, but opens a firewall's state all the same).
  uint64_t last_initiation_ns = 0;
  // Local index of a handshake we started to renew the keys (0: none).
  uint32_t rekey_index = 0;
  uint64_t rekey_retry_at_ns = 0;   // when to try again if it has no answer
  // When the current run of renewal attempts began (0: none): they are
  // given up after kRekeyAttemptNs.
  uint64_t rekey_first_ns = 0;
  PeerStats stats;

  // Peer exchange (mesh.cc). The subnets it claims, as accepted.
  std::vector<identity::IpPrefix> claims;
  // Our claims go out again at this time (0: not due), in case the first
  // copy was lost.
  uint64_t claims_resend_ns = 0;
  // Greet it (claims and peers) once it uses our new keys: it restarted.
  bool greet_due = false;
  // Introductions it asked of us in the current second: bounded, since
  // each one makes us send to a third node.
  uint64_t introduce_window_ns = 0;
  uint32_t introduce_count = 0;

 private:
  NodeId id_;
};

}  // namespace braid::engine
