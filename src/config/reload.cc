// What a reload may change (reload.h).
#include "config/reload.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "config/keys.h"

namespace braid::config {
namespace {

// The keys a running daemon takes at once. The parent owns the hooks, the
// log and the stats file's path and re-reads the revocation lists; the
// engine is told the log level and the stats file's interval and format.
// Everything else (the device, the sockets, the keys and certificates, the
// peers and links, the sandbox) needs a restart in this version.
constexpr std::array<std::string_view, 10> kLiveKeys = {
    "device.ifup",          "device.ifdown",        "device.status_hook",
    "daemon.log_file",      "daemon.stats_file",    "daemon.stats_interval",
    "daemon.stats_format",  "daemon.verbosity",     "security.revocation_list",
    "daemon.daemon",
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
    (live ? plan.live : plan.refused).push_back(name);
  }
  // [link NAME] sections: each socket is the parent's to open.
  for (const LinkSpec& l : next.links) {
    auto old = std::find_if(running.links.begin(), running.links.end(),
                            [&](const LinkSpec& o) { return o.name == l.name; });
    if (old == running.links.end() || !(*old == l)) plan.refused.push_back("link " + l.name);
  }
  for (const LinkSpec& l : running.links) {
    bool kept = std::any_of(next.links.begin(), next.links.end(),
                            [&](const LinkSpec& n) { return n.name == l.name; });
    if (!kept) plan.refused.push_back("link " + l.name);
  }
  return plan;
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
