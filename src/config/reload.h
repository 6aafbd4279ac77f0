// Live reload (SIGHUP, braidctl reload): what a newly read configuration
// changes against the running one, and whether braid can take each change
// without a restart. A reload is all or nothing: one change that needs a
// restart refuses the whole new configuration, and the running one stays.
#pragma once

#include <string>
#include <vector>

#include "config/settings.h"

namespace braid::config {

struct ReloadPlan {
  // Keys ("section.name", or "link NAME") whose value changed and which
  // the running daemon takes as they are.
  std::vector<std::string> live;
  // Changed keys that need a restart: device, sockets, identity,
  // sandbox, and what this version cannot yet change live.
  std::vector<std::string> refused;
  bool accepted() const { return refused.empty(); }
  bool changed() const { return !live.empty() || !refused.empty(); }
};

ReloadPlan plan_reload(const Config& running, const Config& next);

// A peer the configuration names, and the link it is reached over: a
// [network] peer (link -1, any link) or a [link NAME] section's (its
// index). The engine knows each by its index in configured_peers(),
// which a reload never reorders (see diff_peers).
struct ConfiguredPeer {
  PeerSpec spec;
  int link = -1;
  bool retired = false;   // removed by a reload; its index stays
  bool operator==(const ConfiguredPeer&) const = default;
};
// [network] peers first, then each link's, in section order.
std::vector<ConfiguredPeer> configured_peers(const Config& cfg);

// What a reload does to the running peers: the indices it retires and the
// peers it appends (a peer named twice counts twice). A peer that stays,
// on the same link, keeps its index and its session.
struct PeerChanges {
  std::vector<size_t> removed;
  std::vector<ConfiguredPeer> added;
  bool empty() const { return removed.empty() && added.empty(); }
};
PeerChanges diff_peers(const std::vector<ConfiguredPeer>& running,
                       const std::vector<ConfiguredPeer>& next);

// The links whose live values (bandwidth, weight, fallback_only and the
// tolerances, inherited ones included) a reload changes, by index.
std::vector<size_t> changed_links(const Config& running, const Config& next);

// "a, b and c" for messages.
std::string join_keys(const std::vector<std::string>& keys);

}  // namespace braid::config
