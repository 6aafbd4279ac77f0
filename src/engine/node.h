// One node's protocol logic, with no system calls: handshakes, sessions,
// the data path's seal/open and the timers. Input arrives as method calls
// (a device packet, a UDP datagram, a clock tick); output leaves through
// the NodeOutput interface. The engine wires it to real sockets; unit tests
// wire several nodes to a fake network with a fake clock.
#pragma once

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "crypto/aead.h"
#include "crypto/noise.h"
#include "engine/cookie.h"
#include "engine/counters.h"
#include "engine/endpoint.h"
#include "engine/exchange.h"
#include "engine/forward.h"
#include "engine/link.h"
#include "engine/peer.h"
#include "engine/pool.h"
#include "engine/ratelimit.h"
#include "engine/route_table.h"
#include "engine/timers.h"
#include "engine/wire.h"
#include "identity/cert.h"
#include "identity/trust.h"

namespace braid::engine {

class RouterForwarder;

class NodeOutput {
 public:
  virtual ~NodeOutput() = default;
  // Sends over local link `link` (an index into NodeConfig::links; 0
  // without link sections). Takes the buffer; returns it to the pool once
  // sent.
  virtual void send_udp(uint8_t link, const Endpoint& to, PacketBuf* buf) = 0;
  // An inner packet for the device, at buf->data() with at least
  // kTransportHeaderLen bytes of headroom. Takes the buffer (the device
  // side may hold it to coalesce packets before writing).
  virtual void write_device(PacketBuf* buf) = 0;
  // A link went up (some path over it answers) or down (none does): the
  // parent runs the status hook.
  virtual void link_status(uint8_t /*link*/, bool /*up*/) {}
};

// Where device packets go (forward.h): to every peer, by a learnt
// Ethernet address table, or by the subnets peers claim.
enum class ForwardMode : uint8_t { kHub, kSwitch, kRouter };

struct NodeConfig {
  Magic magic{};
  crypto::TransportCipher cipher = crypto::TransportCipher::kChaCha20Poly1305;
  std::optional<std::array<uint8_t, 32>> psk;   // nullopt: no PSK (plain mode)
  std::array<uint8_t, 32> static_private{};
  uint32_t keepalive_s = 25;
  uint32_t peer_timeout_s = 300;
  ForwardMode forward = ForwardMode::kHub;
  uint32_t dst_timeout_s = 300;   // switch: learnt addresses live this long
  // Certificate networks: this node's certificate as encoded, and the CAs
  // (with their revocation lists) every peer's certificate must satisfy.
  // An empty certificate means a shared-key network: no certificates are
  // sent or asked for.
  std::vector<uint8_t> certificate;
  identity::TrustStore trust;
  // The device carries Ethernet frames (source MAC checked against a
  // certificate's MAC ranges) rather than IP packets (source address
  // checked against its addresses and claims).
  bool tap = false;
  // More valid-mac1 initiations than this in a second puts the node under
  // load: initiations then need a cookie (cookie.h).
  uint64_t under_load_inits_per_sec = kUnderLoadInitsPerSec;
  // The subnets this node claims (told to every peer; router mode).
  std::vector<identity::IpPrefix> claims;
  // Tell peers about each other and connect to the nodes they tell of.
  bool peer_exchange = true;
  // Take LAN beacons (beacon.h) of other nodes as hints to connect.
  bool lan_discovery = true;
  // Multi-link: the local links, by index (empty: one implicit link).
  std::vector<LinkConfig> links;
  // Paths carrying traffic are probed this often (path.h).
  uint64_t probe_interval_ns = 100 * kNsPerMs;
  // 2: priority-lane packets go over the two fastest paths (the receiver's
  // replay window drops the second copy).
  uint8_t priority_copies = 1;
  // Relaying and routing (route_table.h): forward other nodes' packets
  // and tell peers the routes we have (no: only our own, as an end node).
  bool relay = true;
  // Direct sessions kept at most (0: no bound); the rest are reached by
  // routing. Every tunnel_refresh the direct session carrying least
  // traffic makes way for one to a random node.
  uint32_t max_peers = 0;
  uint64_t tunnel_refresh_ns = 300 * kNsPerSec;
};

// A node we have heard of (from a peer, a LAN beacon or the state file)
// but hold no session with: contacted with backoff until a handshake with
// it succeeds, or forgotten once nobody has mentioned it for
// kCandidateTtlNs. Gossip alone never makes it a peer.
struct Candidate {
  static constexpr size_t kMaxEndpoints = 4;
  std::vector<Endpoint> endpoints;   // the latest heard first
  size_t next_endpoint = 0;
  uint64_t heard_ns = 0;
  uint64_t next_attempt_ns = 0;
  uint64_t last_attempt_ns = 0;
  uint64_t backoff_ns = 0;
  uint32_t pending_index = 0;        // initiation under way (0: none)
  uint32_t attempts = 0;             // direct attempts so far
  uint32_t relay_index = 0;          // an initiation through relays (0: none)
  uint64_t relay_next_ns = 0;
  // The peer that told us, which can introduce us (hole punching).
  std::optional<NodeId> via;
  uint64_t introduced_ns = 0;
};

// A peer named in the configuration: contacted until a session stands,
// with backoff, at the addresses the parent resolved for it.
struct Target {
  std::string name;
  // The link to reach it over (a [link] section's peer; -1: any, in turn).
  int link = -1;
  uint32_t attempts = 0;
  std::vector<Endpoint> addrs;
  size_t next_addr = 0;
  std::optional<NodeId> node;     // who answered last time
  uint64_t next_attempt_ns = 0;
  uint64_t backoff_ns = 0;
  uint32_t pending_index = 0;     // initiation under way (0: none)
  // Removed from the configuration by a reload: never contacted again,
  // its index kept so that the others' do not move.
  bool retired = false;
};

class Node {
 public:
  Node(const NodeConfig& cfg, const Clock& clock, BufferPool& pool, NodeOutput& out);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Headroom a device packet needs in its buffer for braid's headers
  // (a relayed packet's too).
  static constexpr size_t kHeadroom = kTransportHeaderLen + kRelayOverhead;

  void add_target(const std::string& name, int link = -1);
  void set_target_addresses(size_t target, std::vector<Endpoint> addrs);
  // A reload removed configured peer `target`: it is no longer contacted
  // or kept. A session with it stands as any other node's would (peer
  // exchange, its own configuration) until it times out or is trimmed.
  void retire_target(size_t target);
  // A reload's claims: every peer hears them at once.
  void set_claims(std::vector<identity::IpPrefix> claims);

  // A packet read from the device, in buf at offset >= kHeadroom with
  // kTagLen tailroom. Consumes buf.
  void on_device_packet(PacketBuf* buf);
  // A datagram from the network, received on local link `link`. Consumes
  // buf.
  void on_udp_packet(const Endpoint& from, PacketBuf* buf, uint8_t link = 0);
  // Sends what the link pacers now allow and releases reordered packets
  // whose wait is over; due at next_timer_ns() (UINT64_MAX: nothing
  // waits), which the event loop keeps a precise timer for.
  void on_timer();
  uint64_t next_timer_ns();
  // The addresses peers reach link `link` at (told to peers so that their
  // links find ours).
  void set_link_endpoints(size_t link, std::vector<Endpoint> endpoints);
  std::vector<Link>& links() { return links_; }
  const std::vector<Link>& links() const { return links_; }
  // Runs every timer that is due (see timers.cc); call every kTickMs.
  void on_tick();
  // Tells every peer we are leaving.
  void close_all();
  // A node heard of at an endpoint (peer exchange, LAN beacon, state
  // file): contacted unless it is us or already a peer. `via` is the peer
  // that told us; `urgent` sends at once, whatever the backoff (an
  // introduction: the other side is sending to us now).
  void learn_peer(const NodeId& id, const Endpoint& at, const NodeId* via, bool urgent);
  // A valid LAN beacon of node `id` from `from` (beacon.h).
  void on_beacon(const Endpoint& from, const NodeId& id);
  // Where packets to this node arrive: its interface addresses with its UDP
  // port. A peer that sees us elsewhere sees us through a NAT.
  // A new set is a new situation: whether packets reach us after a quiet
  // spell is learnt again.
  void set_local_endpoints(std::vector<Endpoint> endpoints) {
    if (endpoints != local_endpoints_) fw_ = {};
    local_endpoints_ = std::move(endpoints);
  }
  // A probe (timers.cc) has shown that packets reach us after an idle
  // interval of quiet, over IPv4 or IPv6 (tests may say so).
  bool inbound_open(bool v6 = false) const { return fw_[v6].open; }
  // A probe found that something filters what we do not ask for.
  bool firewall_found(bool v6 = false) const { return fw_[v6].failed; }
  void set_inbound_open(bool open) { fw_[0].open = fw_[1].open = open; }
  // The network's first mac1 key: beacons are keyed by it.
  const MacKey& network_mac_key() const { return network_mac_keys_.front(); }
  // Installs a CA's revocation list (certificate networks) and removes at
  // once every peer whose certificate it revokes. False with *why when
  // the list does not verify or is older than the one installed.
  bool add_revocation_list(std::span<const uint8_t> encoded, std::string* why);
  // Certificate networks: this node's certificate, renewed (a new
  // validity or new grants for the same key). Every session is renewed
  // at once, so that each peer sees it well before the old one expires
  // (a peer drops a node whose certificate has). False with *why, the
  // running one kept, when it is not a node certificate for this node's
  // key that the trusted CAs accept now.
  bool renew_certificate(std::span<const uint8_t> encoded, std::string* why);
  // Shared-key networks: the network's new PSK (stretched). Handshakes use
  // it from now on, and every session is renewed under it at once. False
  // with *why on a node without a shared key (the handshake pattern
  // differs: a restart).
  bool set_shared_key(const std::array<uint8_t, 32>& psk, std::string* why);
  // Certificate networks: the CAs trusted from now on (encoded CA
  // certificates). The revocation lists of the CAs that stay are kept;
  // every peer whose certificate the new set does not accept is removed
  // at once, and handshakes are keyed by the new CAs. False with *why,
  // the running set kept, when one does not load as a CA certificate.
  bool set_trusted_cas(std::span<const std::vector<uint8_t>> cas, std::string* why);

  static constexpr uint64_t kTickMs = 100;

  const NodeId& id() const { return id_; }
  const Counters& counters() const { return counters_; }
  const RouteTable& routes() const { return routes_; }
  // The CAs and revocation lists in force (certificate networks).
  const identity::TrustStore& trust() const { return cfg_.trust; }
  // Switch mode: the addresses learnt, by peer (empty in other modes).
  std::vector<LearntAddress> learnt_addresses() const;
  // Direct sessions (not through relays).
  size_t direct_peers() const;
  size_t peer_count() const { return peers_.size(); }
  const Peer* find_peer(const NodeId& id) const;
  // Peers with a usable session.
  std::vector<const Peer*> peers() const;
  const std::vector<Target>& targets() const { return targets_; }
  const std::unordered_map<NodeId, Candidate, NodeIdHash>& candidates() const {
    return candidates_;
  }
  // Peers heard from recently enough to be worth telling others about.
  bool live(const Peer& peer) const;
  // The peer sees us at one of our own addresses: no NAT between us needs
  // our keepalives (timers.h kIdleKeepaliveNs).
  bool direct_path(const Peer& peer) const;
  // The peer sees us at one of our own addresses (no NAT on our side).
  bool seen_at_own_address(const Peer& peer) const;
  // Of a pair, the node that renews the keys on time (timers.h).
  bool renews_first(const Peer& peer) const { return id_ < peer.id(); }
  // Of two crossed handshakes of a pair, the one both sides keep: started
  // by the node that renews first (`initiator`: we started it).
  bool prevails(const Peer& peer, bool initiator) const { return initiator == renews_first(peer); }

 private:
  // A handshake in progress. Initiations are ours (target >= 0 for a
  // configured peer, or peer set for a rekey); responses are for others.
  struct Handshake {
    crypto::HandshakeState hs;
    bool initiator = false;
    uint32_t remote_index = 0;
    Endpoint endpoint;
    uint64_t started_ns = 0;
    int target = -1;
    std::optional<NodeId> peer;
    // An initiation's mac1 and the key it used: a cookie reply is sealed
    // to them.
    MacKey mac_key;
    std::array<uint8_t, kMacLen> sent_mac1{};
    // The remote's certificate once checked (certificate networks).
    std::optional<identity::Certificate> cert;
    identity::Fingerprint fingerprint{};
    // A candidate's initiation: the node we expect to answer.
    std::optional<NodeId> candidate;
    // Not a renewal of a live session (its mac1 used the network's key):
    // the other side may have just started and needs our claims and peers.
    bool first_contact = true;
    // Started at an address a LAN beacon named for a known peer: the
    // answer proves nothing about the peer's own address.
    bool probe = false;
    // The local link it travels over.
    uint8_t link = 0;
    // It travels through relays, to or from this node (nullopt: direct),
    // and the neighbour it last came through (the way back without a
    // route).
    std::optional<NodeId> relay;
    std::optional<NodeId> relay_via;
  };
  // What a local index names: a keypair or a handshake.
  struct Slot {
    Keypair* keypair = nullptr;
    Handshake* handshake = nullptr;
  };

  // handshake.cc
  std::optional<crypto::HandshakeState> new_handshake_state(bool initiator);
  uint32_t new_index();
  // peer_key: mac1 keyed by the peer's node id (a renewal of a live
  // session) rather than by the network.
  // link -1: the peer's link, else the first.
  // relay_to: through relays to this node (to is then unused); without
  // it, a peer's renewal goes through relays when the peer's traffic does.
  uint32_t start_initiation(const Endpoint& to, int target, const NodeId* peer,
                            bool peer_key = false, int link = -1,
                            const NodeId* relay_to = nullptr);
  void send_initiation(Handshake& h, uint32_t index, const std::vector<uint8_t>& msg);
  const MacKey* find_mac1_key(std::span<const uint8_t> pkt) const;
  void on_cookie_reply(const Endpoint& from, PacketBuf* buf);
  bool accept_certificate(Handshake& h, std::span<const uint8_t> payload, const Endpoint& from);
  std::vector<uint8_t> own_payload() const;
  // relay_src: it came through relays from this node (nullptr: directly).
  void on_handshake_init(const Endpoint& from, PacketBuf* buf, uint8_t link,
                         const NodeId* relay_src = nullptr);
  void on_handshake_resp(const Endpoint& from, PacketBuf* buf, uint8_t link,
                         const NodeId* relay_src = nullptr);
  void on_handshake_final(const Endpoint& from, PacketBuf* buf, uint8_t link,
                          const NodeId* relay_src = nullptr);
  void install_keypair(Handshake& hs, uint32_t local_index, const Endpoint& from, uint8_t link,
                       bool relayed);
  void drop_handshake(uint32_t index);
  // Logs "peer ... connected" once.
  void announce(Peer& peer);
  // A pool buffer of len bytes starting with the magic and type, or
  // nullptr (counted) when none is free.
  PacketBuf* handshake_buffer(PacketType type, size_t len);
  bool send_handshake_message(uint8_t link, const Endpoint& to, PacketType type, uint32_t idx1,
                              uint32_t idx2, bool two_indexes, const std::vector<uint8_t>& msg,
                              const std::optional<NodeId>& relay,
                              const std::optional<NodeId>& relay_via = std::nullopt);

  // data.cc
  // `via`: the path to send on (probes); otherwise the scheduler picks.
  // `direct`: never through relays (hellos, which test the direct way).
  void send_transport(Peer& peer, PacketType type, PacketBuf* buf, Path* via = nullptr,
                      bool direct = false);
  void send_keepalive(Peer& peer);
  void send_close(Peer& peer);
  // Data waiting for a peer's new keys (kStash*): held, sent, expired.
  void stash(Peer& peer, PacketBuf* buf, uint64_t now);
  void send_stashed(Peer& peer);
  void expire_stash(uint64_t now);
  void drop_stash(size_t i);
  // True when it took the buffer.
  bool on_transport(const Endpoint& from, PacketBuf* buf, uint8_t link,
                    const NodeId* relay_src = nullptr);
  // An inner packet that passed every check, to the device.
  void deliver(PacketBuf* buf);
  // The peer has sent under kp (authenticated, not replayed): a renewed
  // keypair waiting in `next` takes over, and crossed handshakes settle.
  void keypair_used(Peer& peer, Keypair& kp);
  void remove_peer(const NodeId& id, const char* why);
  void retire_keypair(std::unique_ptr<Keypair>& kp);
  void demote_current(Peer& peer);
  Keypair* retire_front(Peer& peer, std::unique_ptr<Keypair> kp);
  void settle_crossed(Peer& peer, Keypair& kp);

  // mesh.cc
  // Control messages: build the body into a pool buffer and seal it.
  // `via`: the path to send on (path probes); otherwise the fastest.
  template <class Write>
  void send_control(Peer& peer, Write write, Path* via = nullptr, bool direct = false);
  // A control message built elsewhere (type byte first).
  void send_control_msg(Peer& peer, std::span<const uint8_t> msg, bool direct);
  // `path`: the one it arrived over (nullptr: a single-path peer);
  // `relayed`: it came through relays.
  void on_control(Peer& peer, std::span<const uint8_t> msg, Path* path, bool relayed);
  void on_claims(Peer& peer, std::span<const uint8_t> body);
  void on_peers(Peer& peer, std::span<const uint8_t> body);
  void on_introduce(Peer& peer, std::span<const uint8_t> body);
  void on_probe(Peer& peer, std::span<const uint8_t> body);
  void send_probe(Peer& peer, uint16_t secs);
  void send_claims(Peer& peer);
  // Up to kMaxPeerEntries live peers other than `to` (a random choice when
  // there are more).
  void send_peer_list(Peer& to);
  // A new session: the peer gets our claims and the peers we know.
  void greet(Peer& peer);
  void timers_mesh(uint64_t now);
  void timers_candidates(uint64_t now);
  void exchange_round(uint64_t now);
  void send_seen(Peer& peer);

  // multipath.cc
  Path* find_path(Peer& peer, uint8_t link, const Endpoint& to);
  Path* add_path(Peer& peer, uint8_t link, const Endpoint& to, uint64_t now);
  // A packet authenticated from (link, from): counted on its path; a new
  // way to a multi-link peer becomes a path; false when it is neither (a
  // single-path peer that moved: roaming).
  Path* note_path_rx(Peer& peer, uint8_t link, const Endpoint& from, size_t len, uint64_t now);
  // The path for a packet of `wire` bytes: bulk spread over the usable
  // paths by their links' rates, everything else on the fastest.
  Path* choose_path(Peer& peer, bool bulk, uint32_t wire, uint64_t now);
  Path* fastest_path(Peer& peer, const Path* other = nullptr);
  // Hands a sealed datagram to the link: bulk goes at once or waits in
  // the link's queue for its pacer (dropped when that is full); urgent
  // goes at once, counted against the rate.
  enum class LinkSend : uint8_t { kBulk, kUrgent };
  // False when it was dropped (and the buffer returned).
  bool send_on_link(uint8_t link, const Endpoint& to, PacketBuf* buf, LinkSend how, uint64_t now);
  void send_path_probe(Peer& peer, Path& path, bool answer, uint32_t seq, uint64_t time_ns,
                       uint64_t count);
  void on_path_probe(Peer& peer, std::span<const uint8_t> body, Path* path);
  void send_links(Peer& peer);
  void on_links(Peer& peer, std::span<const uint8_t> body);
  // Every link's other paths to a new peer, or to its newly told endpoints.
  void add_link_paths(Peer& peer, const Endpoint& to, uint64_t now);
  void timers_paths(Peer& peer, uint64_t now);
  void update_link_status();
  // Sets the reorder buffer's hold from the usable paths' round trips,
  // plus what late arrivals have shown the peer's queues add.
  void update_hold(Peer& peer);
  void adapt_hold(Peer& peer);
  // Bulk data `counter` arrived over `path`: gaps below what every path
  // in use has passed are losses, given up at once.
  void note_bulk(Peer& peer, Path& path, uint64_t counter, uint64_t now);
  // Its reorder buffer holds something: on_timer polls it.
  void note_held(Peer& peer) {
    if (peer.reorder->held() > 0 &&
        std::find(reordering_.begin(), reordering_.end(), &peer) == reordering_.end())
      reordering_.push_back(&peer);
  }
  bool multipath(const Peer& peer) const { return peer.paths.size() >= 2; }
  // Either side has several links: every way between them is a path of
  // its own (a new source is a new path, not a move).
  bool multilink(const Peer& peer) const { return links_.size() > 1 || peer.multilink; }

  // relay.cc
  // The peer to send through to reach `peer` (nullptr: directly). Sets
  // *unreachable when there is neither a direct way nor a route.
  Peer* relay_hop(Peer& peer, bool* unreachable);
  // Wraps a complete packet (at buf->data(), kRelayOverhead of headroom)
  // for node `dst` and sends it to the next hop. Consumes buf; false
  // when it was dropped (no route).
  // Without a route, `via` (the neighbour dst's packets came through) is
  // the way back.
  bool send_relayed(const NodeId& dst, PacketBuf* buf, LinkSend how, Peer* hop = nullptr,
                    const std::optional<NodeId>& via = std::nullopt);
  // A direct, usable peer of that id (nullptr: none).
  Peer* neighbour(const std::optional<NodeId>& id);
  // A relayed packet: for us (unwrapped and handled as if direct, but
  // for its way) or passed on. True when it took the buffer.
  bool on_relay(const Endpoint& from, PacketBuf* buf, uint8_t link);
  // Takes a counter of the neighbour's current keypair for the header at
  // `header` (its index, that counter, `hops`) and writes the hop tag.
  // False (counted) when it has no keys to send with.
  bool tag_hop(Peer& hop, uint8_t* header, uint8_t hops);
  // The neighbour a relayed packet came from, proved by its hop tag and
  // fresh in its keypair's replay window; nullptr (counted) otherwise.
  // Only members with a session relay to us; their address is not asked.
  Peer* relay_sender(const RelayHeader& h, const uint8_t* header, const Endpoint& from);

  // routing.cc
  void timers_routes(uint64_t now);
  // A hello to the neighbour with these routes (none: only the hello).
  void send_routes(Peer& peer, std::span<const RouteEntry> entries);
  void send_hello(Peer& peer) { send_routes(peer, {}); }
  void send_idle_hello(Peer& peer);
  // Every route we announce, in as many messages as it takes.
  void send_route_dump(Peer& peer);
  void on_routes(Peer& peer, std::span<const uint8_t> body);
  void on_route_request(Peer& peer, std::span<const uint8_t> body);
  void send_route_request(Peer& peer, const RouteRequestMsg& m);
  bool neighbour_alive(const Peer& peer, uint64_t now) const;
  // Tells the route table the neighbour's cost when it changed enough.
  void update_neighbour(Peer& peer, uint64_t now);
  // Its direct way is lost until a packet comes from it directly.
  void direct_lost(Peer& peer, uint64_t now);
  uint16_t neighbour_cost(const Peer& peer) const;
  // The route entries this node announces for these destinations.
  std::vector<RouteEntry> announcements(std::span<const NodeId> dests);
  // Relayed peers: their exchanged address is tried directly now and then.
  // `refresh`: a tunnel refresh's attempt, past the max_peers bound.
  void timers_direct(Peer& peer, uint64_t now, bool refresh = false);

  // tunnels.cc
  // Begins to give up the direct tunnel to the peer (telling it first
  // when `tell`): routes move off it for kDrainNs, then unlink().
  void drain(Peer& peer, bool tell, uint64_t now);
  // Drops the direct way to the peer; the session goes on through relays.
  void unlink(Peer& peer, const char* why, uint64_t now);
  bool unlinked(const Peer& peer, uint64_t now) const { return now < peer.unlinked_until_ns; }
  void timers_tunnels(uint64_t now);
  // Gives up the direct tunnels that carried least until at most
  // max_peers remain.
  void trim_tunnels(uint64_t now);
  // Its neighbour has not answered for kDeadTunnelNs.
  bool tunnel_dead(const Peer& peer, uint64_t now) const;
  // Sets direct_count_.
  void count_direct();
  // No direct tunnel answers: opens some (tunnels.cc).
  void relink_if_cut_off(uint64_t now);

  // timers.cc
  uint64_t idle_keepalive_ns() const;
  void timers_targets(uint64_t now);
  void timers_peer(Peer& peer, uint64_t now);
  void timers_handshakes(uint64_t now);

  // credentials.cc
  void derive_network_mac_keys();
  size_t renew_every_session();
  // Removes the peers whose certificate the trust store no longer
  // accepts (revoked, or its CA no longer trusted).
  void check_certificates();

  bool log_allowed();

  NodeConfig cfg_;
  const Clock& clock_;
  BufferPool& pool_;
  NodeOutput& out_;
  NodeId id_{};
  std::string protocol_name_;
  std::vector<uint8_t> prologue_;
  std::vector<Target> targets_;
  std::unordered_map<NodeId, std::unique_ptr<Peer>, NodeIdHash> peers_;
  std::unordered_map<uint32_t, Slot> index_;
  std::unordered_map<uint32_t, std::unique_ptr<Handshake>> handshakes_;
  std::unordered_map<NodeId, Candidate, NodeIdHash> candidates_;
  uint64_t next_exchange_ns_ = 0;
  uint64_t beacon_window_ns_ = 0;
  uint32_t beacon_count_ = 0;
  // Scratch for choosing peers at random without allocating each round.
  std::vector<Peer*> scratch_;
  std::unique_ptr<Forwarder> forwarder_;
  RouterForwarder* router_ = nullptr;   // forwarder_, in router mode
  Counters counters_;
  LogLimiter log_limiter_;
  LogLimiter mac_log_limiter_{1, 10000};
  uint64_t last_expire_ns_ = 0;
  std::vector<Endpoint> local_endpoints_;
  // Whether a firewall (or NAT) forgets us when we keep quiet, per address
  // family (0: IPv4, 1: IPv6), as a probe found (timers.cc): we ask a
  // peer to keep quiet towards us for an idle interval and then send; if
  // that reaches us, our idle keepalives will do.
  struct FirewallProbe {
    bool open = false;        // the peer's packet reached us: quiet is safe
    bool failed = false;      // it did not, and the peer was alive: filtered
    std::optional<NodeId> peer;   // the probe under way, with this peer
    uint64_t started_ns = 0;  // when we asked it
    bool asked = false;       // we sent a handshake to see whether it is alive
    uint64_t asked_ns = 0;
    uint64_t retry_after_ns = 0;  // inconclusive: not again before this
  };
  std::array<FirewallProbe, 2> fw_{};
  static int family(const Endpoint& e) { return e.is_v4() ? 0 : 1; }
  // The proof: a packet from a peer after an idle interval in which
  // neither side sent the other anything.
  void note_inbound(Peer& peer, uint64_t now);
  void timers_probe(Peer& peer, uint64_t now, bool idle);
  bool probing(const Peer& p) const { return fw_[0].peer == p.id() || fw_[1].peer == p.id(); }
  void end_probe(FirewallProbe& fw, uint64_t now, bool retry_later);
  // Data held for peers renewing their keys, oldest first.
  struct Stashed {
    NodeId peer{};
    PacketBuf* buf = nullptr;
    uint64_t at_ns = 0;
  };
  std::array<Stashed, kStashMax> stash_{};
  size_t stashed_ = 0;
  // Bounds what a flood of initiations can cost, per source and in all.
  InitiationLimiter init_limiter_;
  // mac1 keys: ours (by our node id) and the network's (by its PSK, each
  // trusted CA, or only the magic in plain mode), the first of which our
  // initiations use.
  MacKey own_mac_key_;
  std::vector<MacKey> network_mac_keys_;
  CookieChecker cookie_checker_;
  CookieJar cookie_jar_;
  std::vector<Link> links_;
  RouteTable routes_;
  uint64_t last_route_expire_ns_ = 0;
  // We have a peer or a node heard of that we cannot reach directly:
  // neighbours send us their routes (otherwise only their own entry).
  bool want_routes_ = false;
  // The neighbour the relayed packet being handled came through.
  std::optional<NodeId> relay_prev_;
  // Tunnel refresh (tunnels.cc): when the next is due, and the tunnel
  // made (before one is broken) that the last one is waiting for.
  uint64_t next_refresh_ns_ = 0;
  uint64_t trim_due_ns_ = 0;
  // Direct tunnels up or being attempted, with max_peers: counted once a
  // tick, and one more for each attempt the tick starts. (A trim leaves
  // max_peers, and a drain or a dead tunnel counted none already.) Counting is a walk over every peer, too dear
  // for each peer and candidate a tick visits.
  size_t direct_count_ = 0;
  bool direct_full() const { return cfg_.max_peers != 0 && direct_count_ >= cfg_.max_peers; }
  // Cut off (relink_if_cut_off): when tunnels may be opened again.
  uint64_t next_relink_ns_ = 0;
  // Peers whose reorder buffer holds packets (on_timer polls them).
  std::vector<Peer*> reordering_;
  // A path changed state: links' up/down is worked out again.
  bool link_status_due_ = false;
  uint64_t last_link_check_s_ = 0;
};

}  // namespace braid::engine
