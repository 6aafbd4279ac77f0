// The network's credentials while the node runs: its shared key, or in a
// certificate network the revocation lists, the node's own certificate
// and the trusted CAs, each of which a SIGHUP may change (the parent reads
// and checks the files; doc/ipc.md). Whatever changes, the peers the new
// state does not accept lose their sessions, and those it does keep
// theirs.
#include "engine/node.h"

namespace braid::engine {

// The network's mac1 keys: the PSK when there is one (a secret of the
// members), else each trusted CA's public key, our issuer's first (the
// likeliest to be shared: first contacts use it), else the magic alone
// (plain mode).
void Node::derive_network_mac_keys() {
  network_mac_keys_.clear();
  if (cfg_.psk) {
    network_mac_keys_.push_back(derive_mac_key(cfg_.magic, *cfg_.psk));
  } else if (!cfg_.trust.empty()) {
    identity::Certificate own;
    std::string why;
    identity::decode(cfg_.certificate, &own, &why);
    for (const auto& ca : cfg_.trust.cas()) {
      MacKey k = derive_mac_key(cfg_.magic, ca.cert.public_key);
      if (ca.id == own.issuer)
        network_mac_keys_.insert(network_mac_keys_.begin(), k);
      else
        network_mac_keys_.push_back(k);
    }
  }
  if (network_mac_keys_.empty()) network_mac_keys_.push_back(derive_mac_key(cfg_.magic, {}));
}

// Marks every session for renewal on the next tick; how many there are.
size_t Node::renew_every_session() {
  size_t sessions = 0;
  for (auto& [id, p] : peers_)
    if (p->current) {
      p->renew_now = true;
      ++sessions;
    }
  return sessions;
}

bool Node::set_shared_key(const std::array<uint8_t, 32>& psk, std::string* why) {
  if (!cfg_.psk) {
    *why = "this node runs without a shared key";
    return false;
  }
  cfg_.psk = psk;
  derive_network_mac_keys();
  // Each session is renewed under the new key at once: a peer that knows
  // it keeps its session, one that does not (yet) fails the renewal and
  // keeps the old session only until it expires (kRejectAfterTimeNs), so a
  // node that lost the key is cut off within minutes.
  log_info("shared key changed; renewing %zu session(s) under it", renew_every_session());
  return true;
}

bool Node::add_revocation_list(std::span<const uint8_t> encoded, std::string* why) {
  if (!cfg_.trust.add_revocation_list(encoded, why)) return false;
  check_certificates();
  return true;
}

bool Node::renew_certificate(std::span<const uint8_t> encoded, std::string* why) {
  if (cfg_.certificate.empty()) {
    *why = "this node runs without certificates";
    return false;
  }
  identity::Certificate cert;
  identity::Verdict v = cfg_.trust.verify(encoded, clock_.unix_s(), &cert);
  if (v != identity::Verdict::kOk) {
    *why = identity::verdict_text(v);
    return false;
  }
  if (cert.public_key != id_) {   // (verify took only a node certificate)
    *why = "not a certificate for this node's key";
    return false;
  }
  cfg_.certificate.assign(encoded.begin(), encoded.end());
  // Another CA may have signed it: first contacts go keyed by that one.
  derive_network_mac_keys();
  log_info("certificate renewed (valid until unix time %llu); renewing %zu session(s) to show it",
           static_cast<unsigned long long>(cert.not_after), renew_every_session());
  return true;
}

bool Node::set_trusted_cas(std::span<const std::vector<uint8_t>> cas, std::string* why) {
  if (cfg_.certificate.empty()) {
    *why = "this node runs without certificates";
    return false;
  }
  identity::TrustStore next;
  for (const auto& ca : cas)
    if (!next.add_ca(ca, why)) return false;
  next.keep_lists_of(cfg_.trust);
  cfg_.trust = std::move(next);
  derive_network_mac_keys();
  log_info("trusting %zu CA certificate(s); checking every peer's certificate against them",
           cfg_.trust.cas().size());
  check_certificates();
  return true;
}

// Every peer's certificate checked again after a list (revocation) or
// after the CAs changed (a peer of a CA no longer trusted, or a CA
// re-issued with another validity). Its signature was checked in the
// handshake under the CA whose key id it names, and a key id names one
// key, so that is not done again (it would cost a verification per peer).
// The reasons name the usual cases; any other verdict is given as it is.
void Node::check_certificates() {
  if (cfg_.certificate.empty()) return;
  uint64_t now_s = clock_.unix_s();
  std::vector<std::pair<NodeId, std::string>> gone;
  for (auto& [id, p] : peers_) {
    if (!p->cert) continue;
    identity::Verdict v = cfg_.trust.verify(*p->cert, p->fingerprint, now_s, false);
    if (v == identity::Verdict::kOk) continue;
    const char* why = v == identity::Verdict::kUnknownCa ? "its CA is no longer trusted"
                                                        : identity::verdict_text(v);
    gone.emplace_back(id, std::string("removed: ") + why);
  }
  for (auto& [id, why] : gone) remove_peer(id, why.c_str());
}

}  // namespace braid::engine
