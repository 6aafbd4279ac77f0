// Checks of the merged configuration: what involves several keys, what a
// Config built in code could get wrong, and reading the shared key file.
#include <sys/stat.h>

#include "config/links.h"
#include "config/settings.h"
#include "config/textfile.h"
#include "config/value.h"

namespace braid::config {
namespace {

// Longer values could not be printed back as one line of the file.
constexpr size_t kMaxValue = 4096;
constexpr size_t kMaxKeyFile = 4096;
constexpr size_t kMaxInterfaceName = 15;  // IFNAMSIZ - 1

// Only the key is named, never the value: it may be the shared key.
bool check_string(std::string_view name, const std::string& value, std::string* error) {
  const char* what = nullptr;
  if (value.find('\0') != std::string::npos)
    what = "a NUL character";
  else if (value.find('\n') != std::string::npos)
    what = "a newline";
  else if (value.find('\r') != std::string::npos)
    what = "a carriage return";
  if (what) {
    *error = std::string(name) + " contains " + what + ", which is not allowed";
    return false;
  }
  if (value.size() > kMaxValue) {
    *error = std::string(name) + " is longer than " + std::to_string(kMaxValue) + " characters";
    return false;
  }
  return true;
}

bool check_strings(const Config& c, std::string* error) {
  const std::pair<std::string_view, const std::string*> fields[] = {
      {"name", &c.device_name},
      {"path", &c.device_path},
      {"ifup", &c.ifup},
      {"ifdown", &c.ifdown},
      {"status_hook", &c.status_hook},
      {"magic", &c.magic_text},
      {"shared_key", &c.shared_key},
      {"shared_key_file", &c.shared_key_file},
      {"key", &c.key_file},
      {"certificate", &c.certificate_file},
      {"user", &c.user},
      {"group", &c.group},
      {"chroot", &c.chroot_dir},
      {"state_dir", &c.state_dir},
      {"pid_file", &c.pid_file},
      {"log_file", &c.log_file},
      {"stats_file", &c.stats_file},
      {"control_socket", &c.control_socket},
  };
  for (const auto& [name, value] : fields)
    if (!check_string(name, *value, error)) return false;
  for (const std::string& f : c.ca_files)
    if (!check_string("ca", f, error)) return false;
  for (const std::string& f : c.revocation_files)
    if (!check_string("revocation_list", f, error)) return false;
  for (const LinkSpec& link : c.links) {
    for (const std::string* s : {&link.name, &link.bind, &link.device})
      if (!check_string("link", *s, error)) return false;
    for (const PeerSpec& peer : link.peers)
      if (!check_string("peers", peer.host, error)) return false;
  }
  for (const PeerSpec& peer : c.peers) {
    if (!check_string("peers", peer.host, error)) return false;
    if (!valid_host(peer.host) || peer.port == 0) {
      *error = "bad value '" + format_peer(peer) + "' for peers: expected HOST:PORT with a " +
               "port number between 1 and 65535";
      return false;
    }
  }
  return true;
}

bool check_device(const Config& c, std::string* error) {
  const std::string& name = c.device_name;
  size_t percent = name.find('%');
  bool ok = !name.empty() && name.size() <= kMaxInterfaceName && name != "." && name != ".." &&
            (percent == std::string::npos || (name.compare(percent, 2, "%d") == 0 &&
                                              name.find('%', percent + 1) == std::string::npos));
  for (char ch : name)
    if (ch == '/' || ch == ':' || static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f) ok = false;
  if (!ok) {
    *error = "bad value '" + name + "' for name: expected an interface name of at most " +
             std::to_string(kMaxInterfaceName) +
             " characters without '/', ':' or spaces, where %d picks a free number";
    return false;
  }
  if (c.device_path.empty() || c.device_path[0] != '/') {
    *error = "bad value '" + c.device_path + "' for path: expected an absolute path";
    return false;
  }
  if (c.mtu != 0) {
    uint32_t min = c.device_type == DeviceType::kTap ? kMinTapMtu : kMinMtu;
    if (c.mtu < min || c.mtu > kMaxMtu) {
      *error = "mtu " + std::to_string(c.mtu) +
               " does not fit type = " + std::string(device_type_name(c.device_type)) +
               ": expected auto or a number between " + std::to_string(min) + " and " +
               std::to_string(kMaxMtu);
      return false;
    }
  }
  return true;
}

// The [network] keys of multi-link and the [link NAME] sections.
bool check_multilink(const Config& c, std::string* error) {
  if (c.probe_interval_ms < kMinProbeInterval || c.probe_interval_ms > kMaxProbeInterval) {
    *error = "probe_interval " + std::to_string(c.probe_interval_ms) +
             " is out of range: expected " + std::to_string(kMinProbeInterval) + " to " +
             std::to_string(kMaxProbeInterval) + " ms";
    return false;
  }
  if (c.loss_tolerance > 100) {
    *error = "loss_tolerance " + std::to_string(c.loss_tolerance) +
             " is out of range: expected 0 to 100 percent";
    return false;
  }
  if (c.latency_tolerance_ms > kMaxLatencyTolerance) {
    *error = "latency_tolerance " + std::to_string(c.latency_tolerance_ms) +
             " is out of range: expected 0 to " + std::to_string(kMaxLatencyTolerance) + " ms";
    return false;
  }
  if (c.priority_copies < 1 || c.priority_copies > 2) {
    *error = "priority_copies " + std::to_string(c.priority_copies) +
             " is out of range: expected 1 or 2";
    return false;
  }
  size_t at;
  *error = check_links(c, &at);
  if (!error->empty()) return false;
  // Each link binds its own socket; the main socket's address has no use.
  if (!c.links.empty() && !c.listen_address.empty()) {
    *error = "port = " + format_peer({c.listen_address, c.port}) +
             " names an address, which [link] sections replace: give the address as a link's "
             "bind, and port only a number";
    return false;
  }
  return true;
}

// The [network] keys of relaying and routing.
bool check_routing(const Config& c, std::string* error) {
  if (c.max_peers > kMaxDirectPeers) {
    *error = "max_peers " + std::to_string(c.max_peers) + " is out of range: expected 0 (no " +
             "bound) to " + std::to_string(kMaxDirectPeers);
    return false;
  }
  if (c.tunnel_refresh < kMinTunnelRefresh || c.tunnel_refresh > kMaxTunnelRefresh) {
    *error = "tunnel_refresh " + std::to_string(c.tunnel_refresh) +
             " is out of range: expected " + std::to_string(kMinTunnelRefresh) + " to " +
             std::to_string(kMaxTunnelRefresh) + " seconds";
    return false;
  }
  return true;
}

bool check_network(Config* c, std::string* error) {
  if (c->mode == Mode::kSwitch && c->device_type != DeviceType::kTap) {
    *error = "mode = switch forwards Ethernet frames by their addresses: it needs type = tap";
    return false;
  }
  if (c->mode == Mode::kRouter && c->device_type != DeviceType::kTun) {
    *error = "mode = router forwards IP packets by the subnets nodes claim: it needs type = tun";
    return false;
  }
  if (c->port == 0 || (!c->listen_address.empty() && !valid_ip_literal(c->listen_address))) {
    *error = "bad listen address '" + c->listen_address + "' or port " + std::to_string(c->port);
    return false;
  }
  // What one claims message carries (peers ignore the rest).
  if (c->subnets.size() > kMaxSubnets) {
    *error = "too many subnets (" + std::to_string(c->subnets.size()) + "): at most " +
             std::to_string(kMaxSubnets) + " can be claimed";
    return false;
  }
  for (const Subnet& s : c->subnets) {
    if (!valid_subnet(s)) {
      *error = "bad value '" + format_subnet(s) +
               "' for subnets: expected ADDRESS/PREFIX with the host bits zero";
      return false;
    }
  }
  ValueError err;
  if (!parse_magic(c->magic_text, &c->magic, &err)) {
    *error = "bad value '" + c->magic_text + "' for magic: " + err.expected;
    return false;
  }
  const std::pair<const char*, uint32_t> ranges[] = {{"peer_timeout", c->peer_timeout},
                                                     {"dst_timeout", c->dst_timeout}};
  for (const auto& [name, value] : ranges) {
    if (value < 10 || value > 86400) {
      *error = std::string(name) + " " + std::to_string(value) +
               " is out of range: expected a number between 10 and 86400";
      return false;
    }
  }
  if (c->keepalive < 1 || c->keepalive > 3600) {
    *error = "keepalive " + std::to_string(c->keepalive) +
             " is out of range: expected a number between 1 and 3600";
    return false;
  }
  // A peer that hears nothing for peer_timeout drops us; keepalives must
  // come more often than that.
  if (c->keepalive >= c->peer_timeout) {
    *error = "keepalive (" + std::to_string(c->keepalive) +
             ") must be shorter than peer_timeout (" + std::to_string(c->peer_timeout) + ")";
    return false;
  }
  return check_multilink(*c, error) && check_routing(*c, error);
}

bool read_key_file(Config* c, std::string* error) {
  const std::string& path = c->shared_key_file;
  TextFile file;
  std::string why;
  bool missing;
  if (!read_text_file(path, kMaxKeyFile, &file, &why, &missing)) {
    *error = "shared_key_file " + path + ": " + why;
    return false;
  }
  if (file.mode & (S_IRGRP | S_IROTH)) {
    char mode[16];
    snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(file.mode & 07777));
    *error = "shared_key_file " + path + " is readable by group or others (mode " + mode +
             "): make it private with chmod 600 " + path;
    return false;
  }
  std::string_view text = file.text;
  std::string_view key = text.substr(0, text.find('\n'));
  if (!key.empty() && key.back() == '\r') key.remove_suffix(1);
  if (key.empty()) {
    *error = "shared_key_file " + path + ": the first line is empty, expected the key";
    return false;
  }
  if (key.find('\0') != std::string_view::npos) {
    *error = "shared_key_file " + path + ": the key contains a NUL character";
    return false;
  }
  c->shared_key = key;
  return true;
}

bool check_security(Config* c, std::string* error) {
  if (!c->shared_key_file.empty() && !read_key_file(c, error)) return false;
  bool keyed = !c->shared_key.empty();
  bool certified = !c->certificate_file.empty();
  if (certified && (c->key_file.empty() || c->ca_files.empty())) {
    *error = std::string("certificate is set but ") +
             (c->key_file.empty() ? "key (the node's private key)" : "ca (the CA certificate)") +
             " is not: a certificate network needs key, certificate and ca";
    return false;
  }
  if (!certified && !c->ca_files.empty()) {
    *error = "ca is set but certificate is not: a certificate network needs key, certificate "
             "and ca";
    return false;
  }
  if (!c->revocation_files.empty() && c->ca_files.empty()) {
    *error = "revocation_list is set but ca is not: a revocation list belongs to a CA";
    return false;
  }
  if (c->crypto == Crypto::kPlain && keyed) {
    *error = std::string("crypto = plain contradicts the shared key that is set (") +
             (c->shared_key_file.empty() ? "shared_key" : "shared_key_file") +
             "): remove the key, or choose crypto = chacha20 or aes256";
    return false;
  }
  if (c->crypto == Crypto::kPlain && certified) {
    *error = "crypto = plain contradicts the certificate that is set: certificate networks "
             "encrypt; choose crypto = chacha20 or aes256";
    return false;
  }
  if (c->crypto != Crypto::kPlain && !keyed && !certified) {
    *error =
        "no shared_key and no certificate: set shared_key (or --shared-key), or key, "
        "certificate and ca, or crypto = plain to run without encryption";
    return false;
  }
  return true;
}

bool check_daemon(const Config& c, std::string* error) {
  if (c.chroot_dir.empty() || c.chroot_dir[0] != '/') {
    *error = "bad value '" + c.chroot_dir + "' for chroot: expected an absolute path";
    return false;
  }
  // The parent writes it beside itself in its directory, which must be
  // named.
  if (!c.stats_file.empty() && c.stats_file[0] != '/') {
    *error = "bad value '" + c.stats_file + "' for stats_file: expected an absolute path";
    return false;
  }
  if (!c.state_dir.empty() && c.state_dir[0] != '/') {
    *error = "bad value '" + c.state_dir + "' for state_dir: expected an absolute path";
    return false;
  }
  for (const std::string* name : {&c.user, &c.group}) {
    if (name->find_first_of(" \t:/") != std::string::npos) {
      *error = "bad value '" + *name + "' for " + (name == &c.user ? "user" : "group") +
               ": expected a user or group name";
      return false;
    }
  }
  return true;
}

// The control socket's path: absolute, and short enough for a Unix
// socket's address (sun_path holds 108 bytes with its terminator).
bool check_control_socket(const Config& c, std::string* error) {
  std::string path = control_socket_path(c);
  if (c.control_socket == "none") return true;
  if (path.empty() || path[0] != '/') {
    *error = "bad value '" + c.control_socket + "' for control_socket: expected an absolute " +
             "path or none";
    return false;
  }
  if (path.size() > kMaxControlSocketPath) {
    *error = "control_socket " + path + " is too long for a Unix socket: at most " +
             std::to_string(kMaxControlSocketPath) + " bytes";
    return false;
  }
  return true;
}

}  // namespace

bool validate(Config* cfg, std::string* error) {
  return check_strings(*cfg, error) && check_device(*cfg, error) && check_network(cfg, error) &&
         check_security(cfg, error) && check_daemon(*cfg, error) &&
         check_control_socket(*cfg, error);
}

std::string instance_name(const Config& cfg) {
  if (cfg.config_file.empty()) return "braid";
  std::string name = cfg.config_file.substr(cfg.config_file.rfind('/') + 1);
  if (name.size() > 5 && name.ends_with(".conf")) name.resize(name.size() - 5);
  return name;
}

std::string default_control_socket(std::string_view name) {
  return std::string(kControlSocketDir) + "/" + std::string(name) + ".sock";
}

std::string control_socket_path(const Config& cfg) {
  if (cfg.control_socket == "none") return "";
  if (!cfg.control_socket.empty()) return cfg.control_socket;
  return default_control_socket(instance_name(cfg));
}

}  // namespace braid::config
