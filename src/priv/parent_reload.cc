// SIGHUP (and braidctl reload): the configuration, the CA files, the
// revocation lists and the certificate read again, checked, and what
// changed sent to the engine; what may not change live, or does not
// load, leaves the running state as it was.
#include <sodium.h>

#include <ctime>
#include <tuple>

#include "common/log.h"
#include "config/reload.h"
#include "priv/identity_files.h"
#include "priv/network.h"
#include "priv/notify.h"
#include "priv/parent_process.h"

namespace braid::priv {

// SIGHUP: in a certificate network the CA files, then the revocation
// lists, then the certificate file are read again, each checked against
// what the one before left in force, and sent to the engine, which drops
// the peers it no longer accepts. What does not load leaves that part as
// it was. A refused configuration leaves all of it as it was (the log is
// still reopened, for rotation).
void Parent::reload() {
  bool running = channel_->state() == ipc::parent_state::kRunning;
  if (running) notify_reloading();
  bool accepted = reload_config();
  reopen_log();
  if (!accepted) {
    if (running) notify_ready();
    return;
  }
  // Nothing takes a new key live; one put in the file is said so, rather
  // than silently left unused until some restart.
  std::string key_error = check_key_file(cfg_, node_id_);
  if (!key_error.empty())
    log_warnx("SIGHUP: %s; the running key stays: a new key takes a restart", key_error.c_str());
  reload_cas();
  reload_revocation_lists();
  reload_certificate();
  if (running) notify_ready();
}

// All or nothing: a configuration that does not validate, or changes what
// only a restart can, leaves the running one in force, and says why
// (false).
bool Parent::reload_config() {
  if (!reader_) return true;
  config::Config next;
  std::string error;
  if (!reader_(&next, &error)) {
    log_warnx("reload refused: %s; the running configuration stays", error.c_str());
    return false;
  }
  config::ReloadPlan plan = config::plan_reload(cfg_, next);
  if (!plan.accepted()) {
    log_warnx("reload refused: %s changed, which takes a restart; the running configuration "
              "stays", config::join_keys(plan.refused).c_str());
    return false;
  }
  if (!plan.changed()) {
    log_info("reload: the configuration is unchanged");
    return true;
  }
  // A new shared key is stretched before anything is sent: a failure
  // refuses the whole reload.
  ipc::SharedKeyMsg key;
  bool rekey = next.shared_key != cfg_.shared_key;
  if (rekey && channel_->state() != ipc::parent_state::kRunning) {
    log_warnx("reload refused: the engine is not running yet, so the shared key cannot change; "
              "the running configuration stays");
    return false;
  }
  if (rekey && !stretch_key(next.shared_key, &key.psk, &error)) {
    log_warnx("reload refused: %s; the running configuration stays", error.c_str());
    return false;
  }
  if (!reload_engine_share(next, &error)) {
    sodium_memzero(key.psk.data(), key.psk.size());
    log_warnx("reload refused: %s; the running configuration stays", error.c_str());
    return false;
  }
  if (rekey) {
    std::vector<uint8_t> buf;
    if (ipc::encode(key, &buf)) channel_->send(ipc::MsgType::kSharedKey, buf);
    sodium_memzero(buf.data(), buf.size());
    sodium_memzero(key.psk.data(), key.psk.size());
    cfg_.shared_key = next.shared_key;
    cfg_.shared_key_file = next.shared_key_file;
  }
  cfg_.ifup = next.ifup;
  cfg_.ifdown = next.ifdown;
  cfg_.status_hook = next.status_hook;
  if (status_hook_) status_hook_->set_command(next.status_hook);
  cfg_.log_file = next.log_file;
  cfg_.stats_file = next.stats_file;
  cfg_.stats_interval = next.stats_interval;
  cfg_.stats_format = next.stats_format;
  cfg_.verbosity = next.verbosity;
  cfg_.revocation_files = next.revocation_files;
  cfg_.ca_files = next.ca_files;
  cfg_.daemon = next.daemon;
  log_set_level(next.verbosity);
  ipc::Settings s;
  s.log_level = next.verbosity;
  s.stats_interval_s = next.stats_file.empty() ? 0 : next.stats_interval;
  s.stats_format = stats_format(next.stats_format);
  std::vector<uint8_t> buf;
  if (channel_->state() == ipc::parent_state::kRunning && ipc::encode(s, &buf))
    channel_->send(ipc::MsgType::kSettings, buf);
  log_info("reload: %s changed", config::join_keys(plan.live).c_str());
  return true;
}

// The peers a reload adds and removes, the links' new rates and the new
// claims go to the engine; cfg_ takes them. Checked whole before anything
// is sent, so that a refusal changes nothing.
bool Parent::reload_engine_share(const config::Config& next, std::string* error) {
  config::PeerChanges peers = config::diff_peers(peers_, config::configured_peers(next));
  std::vector<size_t> links = config::changed_links(cfg_, next);
  std::vector<uint8_t> claims;
  if (!ipc::encode(node_claims(next, ifname_), &claims)) {
    *error = "the claims do not fit the IPC message";
    return false;
  }
  bool claims_changed = claims != claims_sent_;
  // What plan_reload let through is ours now, sent or not (subnets in
  // another order claim the same; a link's peers are in `peers`).
  auto take = [&] {
    cfg_.peers = next.peers;
    cfg_.loss_tolerance = next.loss_tolerance;
    cfg_.latency_tolerance_ms = next.latency_tolerance_ms;
    for (size_t i = 0; i < cfg_.links.size(); ++i) cfg_.links[i] = next.links[i];
    cfg_.subnets = next.subnets;
    cfg_.auto_claim = next.auto_claim;
  };
  if (peers.empty() && links.empty() && !claims_changed) {
    take();
    return true;
  }
  if (channel_->state() != ipc::parent_state::kRunning) {
    *error = "the engine is not running yet, so peers, links and claims cannot change";
    return false;
  }
  // Retired peers keep their indices: many reloads that each add a peer
  // use them up, and only a restart numbers them afresh.
  if (peers_.size() + peers.added.size() > ipc::kMaxPeers) {
    *error = "more than " + std::to_string(ipc::kMaxPeers) +
             " peers added since braid started; a restart counts them afresh";
    return false;
  }
  std::vector<std::vector<uint8_t>> out;   // kPeerSet payloads, in order
  for (size_t i : peers.removed) {
    ipc::PeerSet m;
    m.index = static_cast<uint16_t>(i);
    m.op = ipc::PeerOp::kRemove;
    if (!ipc::encode(m, &out.emplace_back())) {
      *error = "peer removal does not fit the IPC message";
      return false;
    }
  }
  for (size_t k = 0; k < peers.added.size(); ++k) {
    const config::ConfiguredPeer& p = peers.added[k];
    ipc::PeerSet m;
    m.index = static_cast<uint16_t>(peers_.size() + k);
    m.op = ipc::PeerOp::kAdd;
    m.link = ipc_link(p);
    m.name = config::format_peer(p.spec);
    if (!ipc::encode(m, &out.emplace_back())) {
      *error = "peer " + m.name + " does not fit the IPC message";
      return false;
    }
  }
  for (const std::vector<uint8_t>& m : out) channel_->send(ipc::MsgType::kPeerSet, m);
  for (size_t i : peers.removed) {
    peers_[i].retired = true;
    if (i < resolved_.size()) resolved_[i].clear();
    log_info("reload: peer %s removed", config::format_peer(peers_[i].spec).c_str());
  }
  for (const config::ConfiguredPeer& p : peers.added) {
    peers_.push_back(p);
    log_info("reload: peer %s added", config::format_peer(p.spec).c_str());
  }
  // The sockets stay (plan_reload saw to it); what is paced and shared
  // changes.
  take();
  std::vector<uint8_t> buf;
  for (size_t i : links) {
    if (!ipc::encode(link_info(i), &buf)) fatalx("link \"%s\" does not fit the IPC message", cfg_.links[i].name.c_str());
    channel_->send(ipc::MsgType::kLinkSet, buf);
  }
  if (claims_changed) {
    channel_->send(ipc::MsgType::kClaims, claims);
    claims_sent_ = std::move(claims);
  }
  if (!peers.added.empty()) resolve_all(false);
  return true;
}

// Other CAs (one added, removed or re-issued) are checked whole, with the
// lists and the certificate file under them (reload_cas); the engine
// takes them before the lists and any renewed certificate that follow.
void Parent::reload_cas() {
  priv::CaReload next;
  std::string error;
  if (!priv::reload_cas(cfg_, cas_, trust_, own_certificate_, static_cast<uint64_t>(time(nullptr)),
                        &next, &error)) {
    log_warnx("SIGHUP: %s; the running CA certificates stay", error.c_str());
    return;
  }
  if (!next.changed) return;
  if (channel_->state() != ipc::parent_state::kRunning) {
    log_warnx("SIGHUP: the CA certificates changed, but the engine is not running yet; a reload "
              "once it is installs them");
    return;
  }
  ipc::TrustedCasMsg msg{next.cas};
  std::vector<uint8_t> buf;
  if (!ipc::encode(msg, &buf)) return;   // load_cas bounds them
  if (!channel_->send(ipc::MsgType::kTrustedCas, buf)) {
    log_warnx("SIGHUP: the engine's channel is full; the running CA certificates stay");
    return;
  }
  auto count_new = [](const auto& from, const auto& in) {
    return std::count_if(from.begin(), from.end(),
                         [&](const auto& ca) { return std::find(in.begin(), in.end(), ca) == in.end(); });
  };
  log_info("SIGHUP: %zu CA certificate(s) now trusted (%td new, %td no longer); the engine drops "
           "the peers they do not accept", next.cas.size(), count_new(next.cas, cas_),
           count_new(cas_, next.cas));
  cas_ = std::move(next.cas);
  trust_ = std::move(next.trust);
  revocation_lists_ = std::move(next.lists);
  // The certificate checked under them follows at once (one a new CA
  // signed, in the same reload), not read again later.
  send_renewed_certificate(std::move(next.certificate));
}

void Parent::reload_revocation_lists() {
  if (cfg_.revocation_files.empty()) return;
  auto state = channel_->state();
  // Before the engine's hello the lists are only loaded: send_setup sends
  // what is loaded then. While stopping, nothing matters any more.
  bool send = state == ipc::parent_state::kAwaitReady || state == ipc::parent_state::kRunning;
  if (!send && state != ipc::parent_state::kAwaitHello) return;
  identity::TrustStore trust = trust_;
  std::vector<std::vector<uint8_t>> lists;
  std::string error;
  if (!load_revocation_lists(cfg_, &trust, &lists, &error)) {
    log_warnx("SIGHUP: %s; keeping the revocation lists loaded before", error.c_str());
    return;
  }
  trust_ = std::move(trust);
  revocation_lists_ = std::move(lists);
  if (send)
    for (const auto& list : revocation_lists_) channel_->send(ipc::MsgType::kRevocationList, list);
  ipc::Identity own;
  own.certificate = own_certificate_;
  std::string own_error =
      check_own_certificate(cfg_, own, trust_, static_cast<uint64_t>(time(nullptr)));
  if (!own_error.empty()) log_warnx("%s: peers will refuse this node", own_error.c_str());
  log_info("SIGHUP: %zu revocation list(s) loaded", revocation_lists_.size());
}

// The same key only: a new key is a new node id, which takes a restart
// (and a certificate for the old key in the file refuses this one).
void Parent::reload_certificate() {
  std::vector<uint8_t> renewed;
  std::string error;
  if (!priv::reload_certificate(cfg_, own_certificate_, trust_, static_cast<uint64_t>(time(nullptr)),
                                &renewed, &error)) {
    log_warnx("SIGHUP: %s; the running certificate stays", error.c_str());
    return;
  }
  send_renewed_certificate(std::move(renewed));
}

// A certificate checked against trust_ goes to the engine when it is not
// the running one.
void Parent::send_renewed_certificate(std::vector<uint8_t> renewed) {
  if (renewed.empty() || renewed == own_certificate_) return;
  if (channel_->state() != ipc::parent_state::kRunning) {
    log_warnx("SIGHUP: certificate %s changed, but the engine is not running yet; a reload once "
              "it is installs it", cfg_.certificate_file.c_str());
    return;
  }
  ipc::CertificateMsg msg{renewed};
  std::vector<uint8_t> buf;
  if (!ipc::encode(msg, &buf)) return;   // load_certificate bounds it
  if (!channel_->send(ipc::MsgType::kCertificate, buf)) {
    log_warnx("SIGHUP: the engine's channel is full; certificate %s is not renewed yet",
              cfg_.certificate_file.c_str());
    return;
  }
  own_certificate_ = std::move(renewed);
  log_info("SIGHUP: certificate %s renewed; every session is renewed to show it",
           cfg_.certificate_file.c_str());
}

}  // namespace braid::priv
