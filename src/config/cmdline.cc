// The command line: getopt_long with VpnCloud's option names, merged over
// the configuration file. Scalar options replace the file's value; a list
// option (-c, -s) given at all replaces the file's whole list.
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>

#include <algorithm>
#include <set>
#include <utility>

#include "config/keys.h"
#include "config/settings.h"
#include "config/textfile.h"
#include "config/value.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

namespace braid::config {
namespace {

constexpr size_t kMaxConfigFile = 1 << 20;

// Codes of options without a short letter.
enum : int {
  kOptConfig = 256,
  kOptVersion,
  kOptDevicePath,
  kOptIfup,
  kOptIfdown,
  kOptMtu,
  kOptMagic,
  kOptPeerTimeout,
  kOptDstTimeout,
  kOptKeepalive,
  kOptNoPortForwarding,
  kOptNoAutoClaim,
  kOptNoLanDiscovery,
  kOptNoRelay,
  kOptMaxPeers,
  kOptTunnelRefresh,
  kOptCrypto,
  kOptSharedKey,
  kOptSharedKeyFile,
  kOptKey,
  kOptCertificate,
  kOptCa,
  kOptRevocationList,
  kOptUser,
  kOptGroup,
  kOptChroot,
  kOptStateDir,
  kOptPidFile,
  kOptLogFile,
  kOptStatsFile,
  kOptStatsInterval,
  kOptStatsFormat,
  kOptControlSocket,
  kOptDaemon,
};

struct OptionInfo {
  const char* name;
  int code;         // the short letter, or one of kOpt*
  const char* arg;  // nullptr for a flag
  const char* help;
};

const OptionInfo kOptions[] = {
    {"config", kOptConfig, "FILE", "read FILE instead of /etc/braid/braid.conf"},
    {"check-config", 'n', nullptr, "check the configuration, print it and exit"},
    {"help", 'h', nullptr, "show this help and exit"},
    {"version", kOptVersion, nullptr, "show the version and exit"},
    {"type", 't', "TYPE", "device type: tun or tap (tun)"},
    {"device", 'd', "NAME", "device name, %d picks a free number (braid%d)"},
    {"device-path", kOptDevicePath, "PATH", "tun/tap control device (/dev/net/tun)"},
    {"ifup", kOptIfup, "COMMAND", "run with sh -c once the device exists; $IFNAME is set"},
    {"ifdown", kOptIfdown, "COMMAND", "run with sh -c before the device goes away"},
    {"mtu", kOptMtu, "MTU", "auto, or 576..65535 (590..65535 for tap) (auto)"},
    {"listen", 'l', "[ADDR:]PORT", "UDP port, or one address and port to bind (3210)"},
    {"connect", 'c', "HOST:PORT", "a peer to connect to; repeatable"},
    {"mode", 'm', "MODE", "normal, hub, switch or router (normal)"},
    {"subnet", 's', "ADDR/PREFIX", "a subnet this node claims; repeatable"},
    {"magic", kOptMagic, "MAGIC", "network magic: 8 hex digits or hash:TEXT (hash:braid)"},
    {"peer-timeout", kOptPeerTimeout, "SECS", "drop a silent peer after SECS, 10..86400 (300)"},
    {"dst-timeout", kOptDstTimeout, "SECS", "forget learned addresses after SECS, 10..86400 (300)"},
    {"keepalive", kOptKeepalive, "SECS", "keepalive interval, 1..3600 (25)"},
    {"no-port-forwarding", kOptNoPortForwarding, nullptr,
     "do not ask the router to forward the port"},
    {"no-auto-claim", kOptNoAutoClaim, nullptr, "do not claim the device's own addresses"},
    {"no-lan-discovery", kOptNoLanDiscovery, nullptr,
     "send no LAN beacons and ignore those of others"},
    {"no-relay", kOptNoRelay, nullptr, "forward no packets for other nodes (an end node)"},
    {"max-peers", kOptMaxPeers, "N", "keep at most N direct sessions, 0..1000; 0: no bound (0)"},
    {"tunnel-refresh", kOptTunnelRefresh, "SECS",
     "with --max-peers, replace the idlest direct session every SECS, 10..86400 (300)"},
    {"crypto", kOptCrypto, "ALGO", "chacha20, aes256 or plain (chacha20)"},
    {"shared-key", kOptSharedKey, "KEY", "the network's shared key (shown by ps: prefer a file)"},
    {"shared-key-file", kOptSharedKeyFile, "FILE",
     "read the shared key from the first line of FILE (mode 600)"},
    {"key", kOptKey, "FILE", "this node's private key (braid keygen; mode 600)"},
    {"certificate", kOptCertificate, "FILE", "this node's certificate (braid ca sign)"},
    {"ca", kOptCa, "FILE", "trust the CA certificate(s) in FILE; repeatable"},
    {"revocation-list", kOptRevocationList, "FILE",
     "a CA's revocation list, re-read on SIGHUP; repeatable"},
    {"user", kOptUser, "USER", "run the engine as USER (braid if it exists, else nobody)"},
    {"group", kOptGroup, "GROUP", "run the engine with GROUP (USER's primary group)"},
    {"chroot", kOptChroot, "DIR", "empty root-owned directory for the engine (/run/braid/empty)"},
    {"state-dir", kOptStateDir, "DIR",
     "keep known peers in DIR/state/peers; the engine's chroot instead of --chroot"},
    {"pid-file", kOptPidFile, "FILE", "write the process id to FILE"},
    {"log-file", kOptLogFile, "FILE", "log to FILE"},
    {"stats-file", kOptStatsFile, "FILE", "write statistics to FILE"},
    {"stats-interval", kOptStatsInterval, "SECS", "rewrite the stats file every SECS (60)"},
    {"stats-format", kOptStatsFormat, "FORMAT", "text, json or prometheus (text)"},
    {"control-socket", kOptControlSocket, "PATH",
     "the control socket for braidctl, or none (/run/braid/NAME.sock)"},
    {"daemon", kOptDaemon, nullptr, "run in the background"},
    {"verbose", 'v', nullptr, "log more; repeatable"},
    {"quiet", 'q', nullptr, "log less; repeatable"},
};

const OptionInfo* option_by_code(int code) {
  for (const OptionInfo& info : kOptions)
    if (info.code == code) return &info;
  return nullptr;
}

std::string option_name(const OptionInfo& info) { return std::string("--") + info.name; }

struct Given {
  const OptionInfo* info;
  std::string value;
};

// The first pass: every option in order, without applying any, so that
// --help and --version work whatever the file holds.
bool scan(int argc, char** argv, std::vector<Given>* given, std::string* error) {
  std::vector<option> longopts;
  for (const OptionInfo& info : kOptions)
    longopts.push_back({info.name, info.arg ? required_argument : no_argument, nullptr, info.code});
  longopts.push_back({nullptr, 0, nullptr, 0});
  // '+': stop at the first non-option instead of reordering argv;
  // ':': report a missing value as ':' rather than printing to stderr.
  std::string shortopts = "+:";
  for (const OptionInfo& info : kOptions) {
    if (info.code >= 256) continue;
    shortopts.push_back(static_cast<char>(info.code));
    if (info.arg) shortopts.push_back(':');
  }
  optind = 0;  // glibc: start over, re-initialising all of getopt's state
  opterr = 0;
  for (;;) {
    int code = getopt_long(argc, argv, shortopts.c_str(), longopts.data(), nullptr);
    if (code == -1) break;
    if (code == ':') {
      const OptionInfo* info = option_by_code(optopt);
      *error = "option " + (info ? option_name(*info) : std::string("?")) + " needs a value";
      return false;
    }
    if (code == '?') {
      const OptionInfo* info = optopt ? option_by_code(optopt) : nullptr;
      if (info)
        *error = "option " + option_name(*info) + " takes no value";
      else if (optopt)
        *error = std::string("unknown option '-") + static_cast<char>(optopt) + "' (see --help)";
      else
        *error = "unknown or ambiguous option '" + std::string(argv[optind - 1]) + "' (see --help)";
      return false;
    }
    const OptionInfo* info = option_by_code(code);
    given->push_back({info, info->arg && optarg ? optarg : ""});
  }
  if (optind < argc) {
    *error = "unexpected argument '" + std::string(argv[optind]) + "' (see --help)";
    return false;
  }
  return true;
}

bool read_file(const std::string& path, bool named, Config* cfg, std::string* error) {
  TextFile file;
  std::string why;
  bool missing;
  if (!read_text_file(path, kMaxConfigFile, &file, &why, &missing)) {
    // Everything can come from the command line, so only a file that was
    // asked for must exist.
    if (missing && !named) return true;
    *error = path + ": cannot read: " + why;
    return false;
  }
  return parse_ini_text(file.text, path, cfg, error);
}

bool apply_value(const OptionInfo& info, const Key& key, std::string_view value, Config* cfg,
                 std::string* error) {
  ValueError err;
  if (key.set(value, cfg, &err)) return true;
  *error = "option " + option_name(info) + ": ";
  if (!err.message.empty())
    *error += err.message;
  else if (key.secret)
    *error += "bad value: " + err.expected;
  else
    *error += "bad value '" + std::string(value) + "': " + err.expected;
  return false;
}

// The second pass: the options over the file's values.
bool apply(const std::vector<Given>& given, Config* cfg, std::string* error) {
  std::set<const Key*> lists_started;
  const OptionInfo* key_source = nullptr;  // --shared-key or --shared-key-file
  int verbosity = static_cast<int>(cfg->verbosity);
  for (const Given& g : given) {
    switch (g.info->code) {
      case kOptConfig:
      case 'n':
      case 'h':
      case kOptVersion: continue;
      case kOptNoPortForwarding: cfg->port_forwarding = false; continue;
      case kOptNoAutoClaim: cfg->auto_claim = false; continue;
      case kOptNoLanDiscovery: cfg->lan_discovery = false; continue;
      case kOptNoRelay: cfg->relay = false; continue;
      case kOptDaemon: cfg->daemon = true; continue;
      case 'v': ++verbosity; continue;
      case 'q': --verbosity; continue;
      default: break;
    }
    const Key* key = find_option(g.info->name);
    if (g.info->code == kOptSharedKey || g.info->code == kOptSharedKeyFile) {
      if (key_source && key_source != g.info) {
        *error = "option " + option_name(*g.info) + ": cannot be combined with " +
                 option_name(*key_source);
        return false;
      }
      // Either option replaces the file's key, whichever way it was given.
      key_source = g.info;
      cfg->shared_key.clear();
      cfg->shared_key_file.clear();
    }
    if (key->kind == KeyKind::kScalar) {
      if (!apply_value(*g.info, *key, g.value, cfg, error)) return false;
      continue;
    }
    // A list option replaces the file's list; "-c ''" empties it.
    if (lists_started.insert(key).second) key->clear(cfg);
    for (std::string_view item : split_list(g.value)) {
      if (item.empty()) {
        *error = "option " + option_name(*g.info) + ": empty item in '" + g.value + "'";
        return false;
      }
      if (!apply_value(*g.info, *key, item, cfg, error)) return false;
    }
  }
  verbosity =
      std::clamp(verbosity, static_cast<int>(LogLevel::kError), static_cast<int>(LogLevel::kDebug));
  cfg->verbosity = static_cast<LogLevel>(verbosity);
  return true;
}

}  // namespace

bool load(int argc, char** argv, Invocation* out, std::string* error,
          std::string_view default_file) {
  *out = Invocation{};
  std::vector<Given> given;
  if (!scan(argc, argv, &given, error)) return false;
  std::string path(default_file);
  bool named = false;
  for (const Given& g : given) {
    switch (g.info->code) {
      case 'h':
      case kOptVersion:
        out->action = g.info->code == 'h' ? Invocation::kHelp : Invocation::kVersion;
        return true;
      case 'n': out->action = Invocation::kCheck; break;
      case kOptConfig:
        path = g.value;
        named = true;
        break;
      default: break;
    }
  }
  if (named && path.empty()) {
    *error = "option --config: bad value '': expected a file name";
    return false;
  }
  if (!path.empty() && !read_file(path, named, &out->config, error)) return false;
  return apply(given, &out->config, error) && validate(&out->config, error);
}

std::string usage() {
  std::string out =
      "usage: braid [OPTION]...\n"
      "A peer-to-peer mesh VPN node. Options override the configuration file;\n"
      "--connect and --subnet, when given at all, replace the file's whole list\n"
      "(each may be repeated or hold a comma-separated list).\n\n";
  constexpr size_t kHelpColumn = 32;
  for (const OptionInfo& info : kOptions) {
    std::string left = "  ";
    left += info.code < 256 ? std::string("-") + static_cast<char>(info.code) + ", " : "    ";
    left += option_name(info);
    if (info.arg) left += std::string(" ") + info.arg;
    if (left.size() + 2 > kHelpColumn)
      left += "\n" + std::string(kHelpColumn, ' ');
    else
      left.resize(kHelpColumn, ' ');
    out += left + info.help + "\n";
  }
  return out;
}

std::string version_text() { return "braid " PACKAGE_VERSION; }

}  // namespace braid::config
