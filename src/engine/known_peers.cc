// Loading, offering and saving the peer state file (known_peers.h).
#include "engine/known_peers.h"

#include "common/log.h"

namespace braid::engine {

void KnownPeers::load(Node& node, uint64_t now_ns, uint64_t now_unix) {
  next_save_ns_ = now_ns + kFirstSaveNs;
  next_offer_ns_ = now_ns + kOfferIntervalNs;
  std::string text, why;
  if (!read_state_file(path_, &text, &why)) {
    if (!why.empty()) log_warnx("state file %s: %s; starting without it", path_.c_str(), why.c_str());
    return;
  }
  size_t bad = 0;
  if (!parse_state(text, &known_, &bad, &why)) {
    log_warnx("state file %s: %s; starting without it", path_.c_str(), why.c_str());
    known_.clear();
    return;
  }
  written_ = text;
  size_t before = known_.size();
  age_state(&known_, now_unix, kStateMaxAgeS);
  if (bad) log_warnx("state file %s: %zu malformed line(s) skipped", path_.c_str(), bad);
  log_info("state file %s: %zu known peer(s)%s", path_.c_str(), known_.size(),
           before > known_.size() ? " (older ones aged out)" : "");
  offer(node);
}

void KnownPeers::offer(Node& node) {
  for (const StatePeer& p : known_) {
    if (const Peer* peer = node.find_peer(p.id); peer && peer->current) continue;
    // Oldest endpoint first: each new one goes to the front of the
    // candidate's list, so the latest is tried first.
    for (auto e = p.endpoints.rbegin(); e != p.endpoints.rend(); ++e)
      node.learn_peer(p.id, *e, nullptr, false);
  }
}

void KnownPeers::tick(Node& node, uint64_t now_ns, uint64_t now_unix) {
  if (now_ns >= next_offer_ns_) {
    next_offer_ns_ = now_ns + kOfferIntervalNs;
    offer(node);
  }
  if (now_ns >= next_remember_ns_) {
    next_remember_ns_ = now_ns + kRememberIntervalNs;
    remember(node, now_unix);
  }
  if (now_ns >= next_save_ns_) {
    next_save_ns_ = now_ns + kSaveIntervalNs;
    save(node, now_unix);
  }
}

void KnownPeers::remember(const Node& node, uint64_t now_unix) {
  // The live peers after the remembered ones, each with its current
  // endpoint ahead of those remembered: of one id, age_state keeps the
  // latest seen, and of equals the one listed last.
  std::vector<StatePeer> merged = known_;
  for (const Peer* p : node.peers()) {
    if (!node.live(*p)) continue;
    StatePeer s;
    s.id = p->id();
    s.last_seen_unix = now_unix;
    s.endpoints.push_back(p->endpoint);
    for (const StatePeer& old : known_)
      if (old.id == s.id)
        for (const Endpoint& e : old.endpoints)
          if (e != p->endpoint && s.endpoints.size() < kMaxStateEndpoints) s.endpoints.push_back(e);
    merged.push_back(std::move(s));
  }
  age_state(&merged, now_unix, kStateMaxAgeS);
  known_ = std::move(merged);
}

void KnownPeers::save(const Node& node, uint64_t now_unix) {
  remember(node, now_unix);
  std::string text = format_state(known_);
  if (text == written_) return;
  std::string why;
  if (!write_state_file(path_, text, &why)) {
    if (!write_failed_) log_warnx("state file %s: %s", path_.c_str(), why.c_str());
    write_failed_ = true;
    return;
  }
  write_failed_ = false;
  written_ = std::move(text);
  log_debug("state file %s: %zu peer(s) written", path_.c_str(), known_.size());
}

}  // namespace braid::engine
