// What a reload may change (reload.h).
#include "config/reload.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "config/keys.h"

namespace braid::config {
namespace {

// The keys a running daemon takes at once. The parent owns the hooks, the
// log and the stats file's path and re-reads the CA files and revocation
// lists; the engine is told the log level, the stats file's interval and
// format, the peers added and removed, the claims, the links' rates and
// the CAs. A shared key may change too (plan_reload). Everything else
// (the device, the sockets, the key and certificate paths, the sandbox)
// needs a restart in this version.
constexpr std::array<std::string_view, 16> kLiveKeys = {
    "device.ifup",          "device.ifdown",          "device.status_hook",
    "daemon.log_file",      "daemon.stats_file",      "daemon.stats_interval",
    "daemon.stats_format",  "daemon.verbosity",       "security.revocation_list",
    "daemon.daemon",        "network.peers",          "network.subnets",
    "network.auto_claim",   "network.loss_tolerance", "network.latency_tolerance",
    "security.ca",
};

bool is_live(std::string_view key) {
  return std::find(kLiveKeys.begin(), kLiveKeys.end(), key) != kLiveKeys.end();
}

}  // namespace

ReloadPlan plan_reload(const Config& running, const Config& next) {
  ReloadPlan plan;
  for (const Key& key : keys()) {
    std::string name = std::string(key.section) + "." + std::string(key.name);
    // A secret's getter hides its value: compare the value itself.
    bool differs = key.name == "shared_key" ? running.shared_key != next.shared_key
                                            : key.get(running) != key.get(next);
    if (!differs) continue;
    // Logging goes on to a file once it did: back to stderr or syslog
    // takes a restart.
    bool live = is_live(name) && !(name == "daemon.log_file" && next.log_file.empty());
    // A shared key may change (new handshakes use it); one turned on or
    // off changes the handshake pattern, which takes a restart.
    if (name == "security.shared_key" || name == "security.shared_key_file")
      live = !running.shared_key.empty() && !next.shared_key.empty();
    (live ? plan.live : plan.refused).push_back(name);
  }
  // [link NAME] sections: each socket is the parent's to open, so a link
  // may not come, go or move; its peers and rate may change.
  auto socket_of = [](LinkSpec l) {
    l.peers.clear();
    l.bandwidth = 0;
    l.weight = 1;
    l.fallback_only = false;
    l.loss_tolerance = l.latency_tolerance_ms = -1;
    return l;
  };
  for (size_t i = 0; i < std::max(running.links.size(), next.links.size()); ++i) {
    const LinkSpec* was = i < running.links.size() ? &running.links[i] : nullptr;
    const LinkSpec* now = i < next.links.size() ? &next.links[i] : nullptr;
    if (was && now && was->name == now->name && socket_of(*was) == socket_of(*now)) {
      if (!(*was == *now)) plan.live.push_back("link " + now->name);
      continue;
    }
    for (const LinkSpec* l : {was, now}) {
      if (l == nullptr) continue;
      std::string key = "link " + l->name;
      if (std::find(plan.refused.begin(), plan.refused.end(), key) == plan.refused.end())
        plan.refused.push_back(key);
    }
  }
  return plan;
}

std::vector<ConfiguredPeer> configured_peers(const Config& cfg) {
  std::vector<ConfiguredPeer> out;
  for (const PeerSpec& p : cfg.peers) out.push_back({p, -1, false});
  for (size_t i = 0; i < cfg.links.size(); ++i)
    for (const PeerSpec& p : cfg.links[i].peers) out.push_back({p, static_cast<int>(i), false});
  return out;
}

PeerChanges diff_peers(const std::vector<ConfiguredPeer>& running,
                       const std::vector<ConfiguredPeer>& next) {
  PeerChanges out;
  std::vector<bool> taken(next.size(), false);
  for (size_t i = 0; i < running.size(); ++i) {
    if (running[i].retired) continue;
    bool kept = false;
    for (size_t j = 0; j < next.size() && !kept; ++j) {
      if (taken[j] || next[j].spec != running[i].spec || next[j].link != running[i].link) continue;
      taken[j] = kept = true;
    }
    if (!kept) out.removed.push_back(i);
  }
  for (size_t j = 0; j < next.size(); ++j)
    if (!taken[j]) out.added.push_back(next[j]);
  return out;
}

std::vector<size_t> changed_links(const Config& running, const Config& next) {
  std::vector<size_t> out;
  bool inherited = running.loss_tolerance != next.loss_tolerance ||
                   running.latency_tolerance_ms != next.latency_tolerance_ms;
  // plan_reload let through only links whose sockets stay: what else
  // differs, but for the peers (diff_peers' business), is the rate.
  auto without_peers = [](LinkSpec l) {
    l.peers.clear();
    return l;
  };
  for (size_t i = 0; i < std::min(running.links.size(), next.links.size()); ++i)
    if (inherited || without_peers(running.links[i]) != without_peers(next.links[i]))
      out.push_back(i);
  return out;
}

std::string join_keys(const std::vector<std::string>& keys) {
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) out += i + 1 == keys.size() ? " and " : ", ";
    out += keys[i];
  }
  return out;
}

}  // namespace braid::config
