// The effective configuration as INI text, for check mode: every key with
// its value after merging, in a form parse_ini_text reads back; the
// [link NAME] sections come last.
#include "config/keys.h"
#include "config/links.h"
#include "config/settings.h"
#include "config/value.h"

namespace braid::config {

std::string effective_config(const Config& cfg) {
  std::string out = "# braid effective configuration";
  if (cfg.config_file.empty()) {
    out += " (no configuration file read)";
  } else {
    std::string name = cfg.config_file;
    // The comment must stay on its line whatever the file is called.
    for (char& c : name)
      if (static_cast<unsigned char>(c) < ' ') c = '?';
    out += " (read from " + name + ")";
  }
  out += "\n";
  std::string_view section;
  for (const Key& key : keys()) {
    if (key.section != section) {
      section = key.section;
      out += "\n[" + std::string(section) + "]\n";
    }
    std::vector<std::string> values = key.get(cfg);
    // An empty list is printed as an empty value so that every key shows.
    if (values.empty() && key.kind == KeyKind::kList) values.emplace_back();
    for (const std::string& value : values) {
      out += std::string(key.name) + (value.empty() ? " =" : " = ") + encode_value(value) + "\n";
    }
  }
  return out + format_links(cfg);
}

}  // namespace braid::config
