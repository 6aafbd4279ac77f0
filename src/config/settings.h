// The daemon's configuration: what the file and the command line can set,
// how they are read and merged, checked, and printed back in check mode.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"

namespace braid::config {

enum class DeviceType : uint8_t { kTun, kTap };
enum class Mode : uint8_t { kNormal, kHub, kSwitch, kRouter };
enum class Crypto : uint8_t { kChaCha20, kAes256, kPlain };
enum class StatsFormat : uint8_t { kText, kJson, kPrometheus };

// A peer to connect to; host is a name (resolved later by the parent) or
// an address literal, stored without brackets.
struct PeerSpec {
  std::string host;
  uint16_t port = 0;
  bool operator==(const PeerSpec&) const = default;
};

// An IPv4 or IPv6 prefix with its host bits zero. An IPv4 address fills
// the first 4 bytes of addr; the rest stay zero.
struct Subnet {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> addr{};
  uint8_t prefix = 0;
  bool operator==(const Subnet&) const = default;
};

inline constexpr const char* kDefaultConfigFile = "/etc/braid/braid.conf";
// A node claims at most this many subnets, its own addresses included.
inline constexpr size_t kMaxSubnets = 64;

// Multi-link. Each link is a socket of its own and a share of the
// engine's per-path state with every peer: a handful covers every router
// with several uplinks.
inline constexpr size_t kMaxLinks = 8;
inline constexpr size_t kMaxLinkName = 15;  // fits an environment value and a log line
// bandwidth, in bytes per second: 8 kbit/s .. 100 gbit/s. Below, a single
// full-size packet would take over a second; above, no NIC pacing applies.
inline constexpr uint64_t kMinBandwidth = 1000;
inline constexpr uint64_t kMaxBandwidth = 12'500'000'000;
inline constexpr uint32_t kMaxLinkWeight = 1000;
inline constexpr uint32_t kMinProbeInterval = 20;  // ms
inline constexpr uint32_t kMaxProbeInterval = 10000;
inline constexpr uint32_t kMaxLatencyTolerance = 60000;  // ms
// Relaying and routing. More direct sessions than this would cost every
// node keepalives and probes to most of a large network: past it, routing
// is what reaches the rest.
inline constexpr uint32_t kMaxDirectPeers = 1000;
// tunnel_refresh, in seconds: from a churn a handshake every few seconds
// cannot outpace to once a day.
inline constexpr uint32_t kMinTunnelRefresh = 10;
inline constexpr uint32_t kMaxTunnelRefresh = 86400;
// stats_interval, in seconds: a file rewritten every second at most, and
// at least once a day.
inline constexpr uint32_t kMinStatsInterval = 1;
inline constexpr uint32_t kMaxStatsInterval = 86400;
// Where the control sockets live: one per instance, named after it.
inline constexpr const char* kControlSocketDir = "/run/braid";
inline constexpr size_t kMaxControlSocketPath = 107;

// A [link NAME] section: one uplink, opened by the parent as a UDP socket
// of its own (bound to `bind`, pinned to `device` with SO_BINDTODEVICE).
struct LinkSpec {
  std::string name;    // 1..15 of [A-Za-z0-9_.-]
  std::string bind;    // an IP address literal in canonical form; "" = any
  std::string device;  // an interface name; "" = none
  uint16_t port = 0;   // 0 = the [network] port
  std::vector<PeerSpec> peers;  // remote endpoints reached over this link
  uint64_t bandwidth = 0;       // upload, bytes per second; 0 = not paced
  uint32_t weight = 1;          // 1..kMaxLinkWeight: the share of an unpaced link
  bool fallback_only = false;   // used only when no other link is up
  int loss_tolerance = -1;      // percent; -1 = the [network] value
  int latency_tolerance_ms = -1;  // -1 = the [network] value, 0 = none
  bool operator==(const LinkSpec&) const = default;
};

struct Config {
  std::string config_file;  // "" when none was read

  // [device]
  DeviceType device_type = DeviceType::kTun;
  std::string device_name = "braid%d";
  std::string device_path = "/dev/net/tun";
  std::string ifup, ifdown;
  // Run (not waited for) when a link or the tunnel goes up or down.
  std::string status_hook;
  uint32_t mtu = 0;  // 0 = auto

  // [network]
  std::string listen_address;  // "" = all addresses, IPv4 and IPv6
  uint16_t port = 3210;
  std::vector<PeerSpec> peers;
  Mode mode = Mode::kNormal;
  std::vector<Subnet> subnets;
  // The first 4 bytes of SHA-256("braid"), matching magic_text; validate()
  // derives magic from magic_text again, so magic_text is what counts.
  std::array<uint8_t, 4> magic = {0x84, 0xc8, 0x54, 0xc0};
  std::string magic_text = "hash:braid";
  uint32_t peer_timeout = 300, dst_timeout = 300, keepalive = 25;
  bool port_forwarding = true;
  // Claim the device's own addresses (read after ifup) besides `subnets`.
  bool auto_claim = true;
  // Find nodes on the same LAN by link-local multicast beacons.
  bool lan_discovery = true;
  // Multi-link: how often each path is probed, what loss (percent) and
  // extra latency (ms, 0 = any) make a path degraded, and on how many
  // paths a priority packet is sent (1 or 2).
  uint32_t probe_interval_ms = 100;
  uint32_t loss_tolerance = 10;
  uint32_t latency_tolerance_ms = 0;
  uint32_t priority_copies = 1;
  // Relaying and routing: forward other nodes' packets and announce the
  // routes we have (no: an end node, reachable through others only);
  // keep at most max_peers direct sessions (0: no bound), replacing the
  // one carrying least traffic every tunnel_refresh seconds.
  bool relay = true;
  uint32_t max_peers = 0;
  uint32_t tunnel_refresh = 300;

  // [link NAME] sections, in file order (a link's index is its place
  // here). None: one implicit link, the [network] port's socket.
  std::vector<LinkSpec> links;

  // [security]
  Crypto crypto = Crypto::kChaCha20;
  // Set directly, or by validate() from the first line of shared_key_file.
  std::string shared_key;
  std::string shared_key_file;
  // Certificate networks: this node's static key, its certificate, the
  // CA certificates it trusts and their revocation lists (files read by
  // the parent at start; revocation lists again on SIGHUP). `key` alone
  // gives a shared-key node a stable node id.
  std::string key_file, certificate_file;
  std::vector<std::string> ca_files, revocation_files;

  // [daemon]
  std::string user;   // "" = the caller picks "braid" if it exists, else "nobody"
  std::string group;  // "" = the user's primary group
  std::string chroot_dir = "/run/braid/empty";
  // When set, the engine's chroot instead of chroot_dir, and where it keeps
  // its peer state file ("" = no state file): see priv/sandbox.h.
  std::string state_dir;
  std::string pid_file, log_file, stats_file;
  // The stats file is rewritten this often, in this format.
  uint32_t stats_interval = 60;
  StatsFormat stats_format = StatsFormat::kText;
  // The control socket's path: "" for the instance's default
  // (control_socket_path), "none" for no control socket.
  std::string control_socket;
  bool daemon = false;
  braid::LogLevel verbosity = braid::LogLevel::kInfo;

  bool operator==(const Config&) const = default;
};

struct Invocation {
  enum Action { kRun, kCheck, kHelp, kVersion };
  Action action = kRun;
  Config config;
};

// Parses argv (argv[0] is the program name), reads the file named with
// --config or else default_file (a missing default file is not an error),
// merges the command line over it and validates the result. For kHelp and
// kVersion nothing is read. On error returns false and sets *error to the
// full message ("FILE:LINE: ..." or "option --NAME: ..."). Resets getopt's
// state, so it may be called repeatedly; not thread-safe (getopt and
// inih's settings are process-wide).
bool load(int argc, char** argv, Invocation* out, std::string* error,
          std::string_view default_file = kDefaultConfigFile);

// Parses the text of a configuration file over *cfg (whose values are the
// defaults or earlier settings); filename is used in messages and stored
// in cfg->config_file. Does not validate cross-key constraints, except
// that the [link NAME] sections are checked together (by the rules of
// validate) so their errors name a line. The file's link sections, when
// it has any, replace cfg->links.
bool parse_ini_text(std::string_view text, std::string_view filename, Config* cfg,
                    std::string* error);

// Checks everything that involves several keys or could not be checked
// while parsing, reads shared_key_file into shared_key and derives magic
// from magic_text. Idempotent.
bool validate(Config* cfg, std::string* error);

// INI text that parse_ini_text turns back into the same Config, with one
// exception: a shared_key set directly is printed as "(hidden)" (a key
// read from shared_key_file is printed as that file's path).
std::string effective_config(const Config& cfg);

// The --help text, listing every option.
std::string usage();
// "braid VERSION", for --version.
std::string version_text();

// The instance's name: the configuration file's name without ".conf"
// (braid@NAME reads /etc/braid/NAME.conf), or "braid" without one.
std::string instance_name(const Config& cfg);
// The control socket of instance NAME: /run/braid/NAME.sock.
std::string default_control_socket(std::string_view name);
// The control socket this configuration opens ("" for none).
std::string control_socket_path(const Config& cfg);

// "host:port", or "[v6]:port" for an IPv6 literal.
std::string format_peer(const PeerSpec& peer);
// "10.0.1.0/24", "fd00::/64".
std::string format_subnet(const Subnet& subnet);
// A rate in bytes per second as the file writes it: "100mbit", "8kbit",
// "1001bit"; parses back to the same value.
std::string format_bandwidth(uint64_t bytes_per_second);
// The socket family of a link: AF_INET or AF_INET6 by its bind address,
// AF_INET6 (dual-stack) without one.
int link_family(const LinkSpec& link);

}  // namespace braid::config
