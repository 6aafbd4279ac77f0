// Node set-up, configured peers and the public queries.
#include "engine/node.h"

#include <sodium.h>

#include "common/hex.h"
#include "engine/router.h"
#include "engine/switch.h"
#include "engine/timers.h"

namespace braid::engine {
namespace {

std::unique_ptr<Forwarder> make_forwarder(const NodeConfig& cfg) {
  if (cfg.forward == ForwardMode::kSwitch)
    return std::make_unique<SwitchForwarder>(uint64_t{cfg.dst_timeout_s} * kNsPerSec);
  if (cfg.forward == ForwardMode::kRouter) return std::make_unique<RouterForwarder>();
  return std::make_unique<HubForwarder>();
}

NodeId public_id(const std::array<uint8_t, 32>& static_private) {
  NodeId id;
  crypto_scalarmult_base(id.data(), static_private.data());
  return id;
}

}  // namespace

std::string short_id(const NodeId& id) {
  return to_hex(std::span<const uint8_t>(id.data(), 4));
}

Node::Node(const NodeConfig& cfg, const Clock& clock, BufferPool& pool, NodeOutput& out)
    : cfg_(cfg), clock_(clock), pool_(pool), out_(out),
      forwarder_(make_forwarder(cfg)), log_limiter_(10, 1000),
      cookie_checker_(cfg.under_load_inits_per_sec),
      // A random first seqno: a restarted node's announcements are not
      // taken for old ones (and any it lags behind are caught up on).
      routes_(public_id(cfg.static_private), static_cast<uint16_t>(randombytes_random())) {
  if (cfg_.forward == ForwardMode::kRouter) router_ = static_cast<RouterForwarder*>(forwarder_.get());
  crypto_scalarmult_base(id_.data(), cfg_.static_private.data());
  own_mac_key_ = derive_mac_key(cfg_.magic, id_);
  derive_network_mac_keys();
  const char* cipher =
      cfg_.cipher == crypto::TransportCipher::kAes256Gcm ? "AESGCM" : "ChaChaPoly";
  protocol_name_ = std::string("Noise_XX") + (cfg_.psk ? "psk0" : "") + "_25519_" + cipher +
                   "_BLAKE2b";
  // The prologue binds the handshake to this protocol version and network:
  // a node of another network fails authentication even with the same key.
  static const char kPrologue[] = "braid v1";
  prologue_.assign(kPrologue, kPrologue + sizeof kPrologue - 1);
  prologue_.insert(prologue_.end(), cfg_.magic.begin(), cfg_.magic.end());
  if (cfg_.links.empty()) cfg_.links.emplace_back();   // the implicit link
  for (const LinkConfig& l : cfg_.links) links_.emplace_back(l);
}

Node::~Node() {
  for (size_t i = 0; i < stashed_; ++i) pool_.put(stash_[i].buf);
  for (Link& l : links_) l.clear(pool_);
  // What waits for reordering goes out now: the buffers return to the pool.
  for (auto& [id, p] : peers_)
    if (p->reorder) p->reorder->flush();
}

void Node::add_target(const std::string& name, int link) {
  Target t;
  t.name = name;
  t.link = link >= 0 && static_cast<size_t>(link) < links_.size() ? link : -1;
  t.backoff_ns = kConnectBackoffMinNs;
  targets_.push_back(std::move(t));
}

void Node::set_target_addresses(size_t target, std::vector<Endpoint> addrs) {
  if (target >= targets_.size() || targets_[target].retired) return;
  Target& t = targets_[target];
  t.addrs = std::move(addrs);
  t.next_addr = 0;
  // New addresses are worth trying at once.
  t.next_attempt_ns = 0;
  t.backoff_ns = kConnectBackoffMinNs;
}

void Node::retire_target(size_t target) {
  if (target >= targets_.size()) return;
  Target& t = targets_[target];
  if (t.pending_index != 0) drop_handshake(t.pending_index);
  t.pending_index = 0;
  t.addrs.clear();
  t.node.reset();
  t.retired = true;
}

void Node::set_claims(std::vector<identity::IpPrefix> claims) {
  if (claims == cfg_.claims) return;
  cfg_.claims = std::move(claims);
  uint64_t now = clock_.now_ns();
  for (auto& [id, p] : peers_) {
    if (!p->current) continue;
    send_claims(*p);
    // Once more a little later, in case this copy is lost (an empty list
    // too: it withdraws what the peer holds).
    p->claims_resend_ns = now + kClaimsResendNs;
  }
}

const Peer* Node::find_peer(const NodeId& id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

std::vector<const Peer*> Node::peers() const {
  std::vector<const Peer*> out;
  for (const auto& [id, p] : peers_)
    if (p->current) out.push_back(p.get());
  return out;
}

bool Node::log_allowed() { return log_limiter_.allow(clock_.now_ms()); }

std::vector<LearntAddress> Node::learnt_addresses() const {
  std::vector<LearntAddress> out;
  forwarder_->learnt(&out);
  return out;
}

}  // namespace braid::engine
