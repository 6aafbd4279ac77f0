// The key table and the setters behind it.
#include "config/keys.h"

namespace braid::config {
namespace {

template <std::string Config::*kField>
bool set_string(std::string_view value, Config* cfg, ValueError*) {
  cfg->*kField = value;
  return true;
}

template <uint32_t Config::*kField, uint32_t kMin, uint32_t kMax>
bool set_number(std::string_view value, Config* cfg, ValueError* err) {
  return parse_number(value, kMin, kMax, &(cfg->*kField), err);
}

template <uint32_t Config::*kField, uint32_t kMin, uint32_t kMax>
bool set_millis(std::string_view value, Config* cfg, ValueError* err) {
  return parse_millis(value, kMin, kMax, &(cfg->*kField), err);
}

template <uint32_t Config::*kField, uint32_t kMin, uint32_t kMax>
bool set_seconds(std::string_view value, Config* cfg, ValueError* err) {
  return parse_seconds(value, kMin, kMax, &(cfg->*kField), err);
}

template <uint32_t Config::*kField>
bool set_percent(std::string_view value, Config* cfg, ValueError* err) {
  return parse_percent(value, 0, 100, &(cfg->*kField), err);
}

template <bool Config::*kField>
bool set_bool(std::string_view value, Config* cfg, ValueError* err) {
  return parse_bool(value, &(cfg->*kField), err);
}

bool set_type(std::string_view value, Config* cfg, ValueError* err) {
  if (iequals(value, "tun")) {
    cfg->device_type = DeviceType::kTun;
  } else if (iequals(value, "tap")) {
    cfg->device_type = DeviceType::kTap;
  } else {
    err->expected = "expected tun or tap";
    return false;
  }
  return true;
}

bool set_mtu(std::string_view value, Config* cfg, ValueError* err) {
  return parse_mtu(value, &cfg->mtu, err);
}

bool set_listen(std::string_view value, Config* cfg, ValueError* err) {
  return parse_listen(value, &cfg->listen_address, &cfg->port, err);
}

bool add_peer(std::string_view value, Config* cfg, ValueError* err) {
  PeerSpec peer;
  if (!parse_peer(value, &peer, err)) return false;
  cfg->peers.push_back(std::move(peer));
  return true;
}

bool set_mode(std::string_view value, Config* cfg, ValueError* err) {
  if (iequals(value, "normal")) {
    cfg->mode = Mode::kNormal;
  } else if (iequals(value, "hub")) {
    cfg->mode = Mode::kHub;
  } else if (iequals(value, "switch")) {
    cfg->mode = Mode::kSwitch;
  } else if (iequals(value, "router")) {
    cfg->mode = Mode::kRouter;
  } else {
    err->expected = "expected normal, hub, switch or router";
    return false;
  }
  return true;
}

bool add_subnet(std::string_view value, Config* cfg, ValueError* err) {
  Subnet subnet;
  if (!parse_subnet(value, &subnet, err)) return false;
  cfg->subnets.push_back(subnet);
  return true;
}

bool set_magic(std::string_view value, Config* cfg, ValueError* err) {
  if (!parse_magic(value, &cfg->magic, err)) return false;
  cfg->magic_text = value;
  return true;
}

bool set_crypto(std::string_view value, Config* cfg, ValueError* err) {
  if (iequals(value, "chacha20")) {
    cfg->crypto = Crypto::kChaCha20;
  } else if (iequals(value, "aes256")) {
    cfg->crypto = Crypto::kAes256;
  } else if (iequals(value, "plain")) {
    cfg->crypto = Crypto::kPlain;
  } else {
    err->expected = "expected chacha20, aes256 or plain";
    return false;
  }
  return true;
}

bool set_stats_format(std::string_view value, Config* cfg, ValueError* err) {
  if (iequals(value, "text")) {
    cfg->stats_format = StatsFormat::kText;
  } else if (iequals(value, "json")) {
    cfg->stats_format = StatsFormat::kJson;
  } else if (iequals(value, "prometheus")) {
    cfg->stats_format = StatsFormat::kPrometheus;
  } else {
    err->expected = "expected text, json or prometheus";
    return false;
  }
  return true;
}

bool set_verbosity(std::string_view value, Config* cfg, ValueError* err) {
  for (auto level : {LogLevel::kError, LogLevel::kWarn, LogLevel::kInfo, LogLevel::kDebug}) {
    if (iequals(value, log_level_name(level))) {
      cfg->verbosity = level;
      return true;
    }
  }
  if (iequals(value, "warn")) {
    cfg->verbosity = LogLevel::kWarn;
    return true;
  }
  err->expected = "expected error, warning, info or debug";
  return false;
}

using Values = std::vector<std::string>;

template <std::string Config::*kField>
Values get_string(const Config& cfg) {
  return {cfg.*kField};
}

template <uint32_t Config::*kField>
Values get_number(const Config& cfg) {
  return {std::to_string(cfg.*kField)};
}

template <uint32_t Config::*kField>
Values get_millis(const Config& cfg) {
  return {std::to_string(cfg.*kField) + "ms"};
}

template <uint32_t Config::*kField>
Values get_seconds(const Config& cfg) {
  return {std::to_string(cfg.*kField) + "s"};
}

template <uint32_t Config::*kField>
Values get_percent(const Config& cfg) {
  return {std::to_string(cfg.*kField) + "%"};
}

template <bool Config::*kField>
Values get_bool(const Config& cfg) {
  return {cfg.*kField ? "yes" : "no"};
}

Values get_type(const Config& cfg) { return {std::string(device_type_name(cfg.device_type))}; }
Values get_mtu(const Config& cfg) { return {cfg.mtu == 0 ? "auto" : std::to_string(cfg.mtu)}; }
Values get_mode(const Config& cfg) { return {std::string(mode_name(cfg.mode))}; }
Values get_crypto(const Config& cfg) { return {std::string(crypto_name(cfg.crypto))}; }
Values get_stats_format(const Config& cfg) {
  switch (cfg.stats_format) {
    case StatsFormat::kJson: return {"json"};
    case StatsFormat::kPrometheus: return {"prometheus"};
    case StatsFormat::kText: break;
  }
  return {"text"};
}
Values get_verbosity(const Config& cfg) { return {std::string(log_level_name(cfg.verbosity))}; }

Values get_listen(const Config& cfg) {
  if (cfg.listen_address.empty()) return {std::to_string(cfg.port)};
  return {format_peer({cfg.listen_address, cfg.port})};
}

Values get_peers(const Config& cfg) {
  Values out;
  for (const PeerSpec& peer : cfg.peers) out.push_back(format_peer(peer));
  return out;
}

Values get_subnets(const Config& cfg) {
  Values out;
  for (const Subnet& subnet : cfg.subnets) out.push_back(format_subnet(subnet));
  return out;
}

// Only one of shared_key and shared_key_file is printed, since the file
// may not set both; the key itself never is.
Values get_shared_key(const Config& cfg) {
  if (!cfg.shared_key_file.empty()) return {};
  return {cfg.shared_key.empty() ? "" : "(hidden)"};
}

Values get_shared_key_file(const Config& cfg) {
  if (cfg.shared_key_file.empty()) return {};
  return {cfg.shared_key_file};
}

template <std::vector<std::string> Config::*kField>
bool add_string(std::string_view value, Config* cfg, ValueError*) {
  (cfg->*kField).emplace_back(value);
  return true;
}

template <std::vector<std::string> Config::*kField>
Values get_strings(const Config& cfg) {
  return cfg.*kField;
}

template <std::vector<std::string> Config::*kField>
void clear_strings(Config* cfg) {
  (cfg->*kField).clear();
}

void clear_peers(Config* cfg) { cfg->peers.clear(); }
void clear_subnets(Config* cfg) { cfg->subnets.clear(); }

constexpr KeyKind S = KeyKind::kScalar;
constexpr KeyKind L = KeyKind::kList;

// In the order effective_config prints them.
const Key kKeys[] = {
    {"device", "type", S, "type", set_type, nullptr, get_type, false},
    {"device", "name", S, "device", set_string<&Config::device_name>, nullptr,
     get_string<&Config::device_name>, false},
    {"device", "path", S, "device-path", set_string<&Config::device_path>, nullptr,
     get_string<&Config::device_path>, false},
    {"device", "ifup", S, "ifup", set_string<&Config::ifup>, nullptr, get_string<&Config::ifup>,
     false},
    {"device", "ifdown", S, "ifdown", set_string<&Config::ifdown>, nullptr,
     get_string<&Config::ifdown>, false},
    {"device", "status_hook", S, "", set_string<&Config::status_hook>, nullptr,
     get_string<&Config::status_hook>, false},
    {"device", "mtu", S, "mtu", set_mtu, nullptr, get_mtu, false},
    {"network", "port", S, "listen", set_listen, nullptr, get_listen, false},
    {"network", "peers", L, "connect", add_peer, clear_peers, get_peers, false},
    {"network", "mode", S, "mode", set_mode, nullptr, get_mode, false},
    {"network", "subnets", L, "subnet", add_subnet, clear_subnets, get_subnets, false},
    {"network", "magic", S, "magic", set_magic, nullptr, get_string<&Config::magic_text>, false},
    {"network", "peer_timeout", S, "peer-timeout", set_number<&Config::peer_timeout, 10, 86400>,
     nullptr, get_number<&Config::peer_timeout>, false},
    {"network", "dst_timeout", S, "dst-timeout", set_number<&Config::dst_timeout, 10, 86400>,
     nullptr, get_number<&Config::dst_timeout>, false},
    {"network", "keepalive", S, "keepalive", set_number<&Config::keepalive, 1, 3600>, nullptr,
     get_number<&Config::keepalive>, false},
    // The command line can only turn it off: --no-port-forwarding.
    {"network", "port_forwarding", S, "", set_bool<&Config::port_forwarding>, nullptr,
     get_bool<&Config::port_forwarding>, false},
    // Command-line flags turn them off: --no-auto-claim, --no-lan-discovery.
    {"network", "auto_claim", S, "", set_bool<&Config::auto_claim>, nullptr,
     get_bool<&Config::auto_claim>, false},
    {"network", "lan_discovery", S, "", set_bool<&Config::lan_discovery>, nullptr,
     get_bool<&Config::lan_discovery>, false},
    // Multi-link: they matter once [link] sections are given.
    {"network", "probe_interval", S, "",
     set_millis<&Config::probe_interval_ms, kMinProbeInterval, kMaxProbeInterval>, nullptr,
     get_millis<&Config::probe_interval_ms>, false},
    {"network", "loss_tolerance", S, "", set_percent<&Config::loss_tolerance>, nullptr,
     get_percent<&Config::loss_tolerance>, false},
    {"network", "latency_tolerance", S, "",
     set_millis<&Config::latency_tolerance_ms, 0, kMaxLatencyTolerance>, nullptr,
     get_millis<&Config::latency_tolerance_ms>, false},
    {"network", "priority_copies", S, "", set_number<&Config::priority_copies, 1, 2>, nullptr,
     get_number<&Config::priority_copies>, false},
    // Relaying and routing. The command line turns relaying off: --no-relay.
    {"network", "relay", S, "", set_bool<&Config::relay>, nullptr, get_bool<&Config::relay>,
     false},
    {"network", "max_peers", S, "max-peers", set_number<&Config::max_peers, 0, kMaxDirectPeers>,
     nullptr, get_number<&Config::max_peers>, false},
    {"network", "tunnel_refresh", S, "tunnel-refresh",
     set_seconds<&Config::tunnel_refresh, kMinTunnelRefresh, kMaxTunnelRefresh>, nullptr,
     get_seconds<&Config::tunnel_refresh>, false},
    {"security", "crypto", S, "crypto", set_crypto, nullptr, get_crypto, false},
    {"security", "shared_key", S, "shared-key", set_string<&Config::shared_key>, nullptr,
     get_shared_key, true},
    {"security", "shared_key_file", S, "shared-key-file", set_string<&Config::shared_key_file>,
     nullptr, get_shared_key_file, false},
    {"security", "key", S, "key", set_string<&Config::key_file>, nullptr,
     get_string<&Config::key_file>, false},
    {"security", "certificate", S, "certificate", set_string<&Config::certificate_file>, nullptr,
     get_string<&Config::certificate_file>, false},
    {"security", "ca", L, "ca", add_string<&Config::ca_files>,
     clear_strings<&Config::ca_files>, get_strings<&Config::ca_files>, false},
    {"security", "revocation_list", L, "revocation-list", add_string<&Config::revocation_files>,
     clear_strings<&Config::revocation_files>, get_strings<&Config::revocation_files>, false},
    {"daemon", "user", S, "user", set_string<&Config::user>, nullptr, get_string<&Config::user>,
     false},
    {"daemon", "group", S, "group", set_string<&Config::group>, nullptr, get_string<&Config::group>,
     false},
    {"daemon", "chroot", S, "chroot", set_string<&Config::chroot_dir>, nullptr,
     get_string<&Config::chroot_dir>, false},
    {"daemon", "state_dir", S, "state-dir", set_string<&Config::state_dir>, nullptr,
     get_string<&Config::state_dir>, false},
    {"daemon", "pid_file", S, "pid-file", set_string<&Config::pid_file>, nullptr,
     get_string<&Config::pid_file>, false},
    {"daemon", "log_file", S, "log-file", set_string<&Config::log_file>, nullptr,
     get_string<&Config::log_file>, false},
    {"daemon", "stats_file", S, "stats-file", set_string<&Config::stats_file>, nullptr,
     get_string<&Config::stats_file>, false},
    {"daemon", "stats_interval", S, "stats-interval",
     set_seconds<&Config::stats_interval, kMinStatsInterval, kMaxStatsInterval>, nullptr,
     get_seconds<&Config::stats_interval>, false},
    {"daemon", "stats_format", S, "stats-format", set_stats_format, nullptr, get_stats_format,
     false},
    {"daemon", "control_socket", S, "control-socket", set_string<&Config::control_socket>,
     nullptr, get_string<&Config::control_socket>, false},
    // A flag on the command line: --daemon.
    {"daemon", "daemon", S, "", set_bool<&Config::daemon>, nullptr, get_bool<&Config::daemon>,
     false},
    // -v and -q move it up and down from the file's value.
    {"daemon", "verbosity", S, "", set_verbosity, nullptr, get_verbosity, false},
};

}  // namespace

std::span<const Key> keys() { return kKeys; }

const Key* find_key(std::string_view section, std::string_view name) {
  for (const Key& key : kKeys)
    if (key.section == section && key.name == name) return &key;
  return nullptr;
}

const Key* find_option(std::string_view option) {
  if (option.empty()) return nullptr;
  for (const Key& key : kKeys)
    if (key.option == option) return &key;
  return nullptr;
}

bool known_section(std::string_view section) {
  for (const Key& key : kKeys)
    if (key.section == section) return true;
  return false;
}

}  // namespace braid::config
