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

// "a, b and c" for messages.
std::string join_keys(const std::vector<std::string>& keys);

}  // namespace braid::config
