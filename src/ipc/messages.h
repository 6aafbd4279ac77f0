// Typed payloads of the IPC messages and their exact encoders and
// decoders. A decoder accepts only a payload it consumes completely and
// whose every field is in range; an encoder refuses what the decoder on
// the other side would refuse, so a bad value is caught where it is made.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/log.h"
#include "ipc/proto.h"

namespace braid::ipc {

constexpr size_t kMagicLen = 4;
constexpr size_t kPskLen = 32;
constexpr size_t kMaxPeers = 1024;
constexpr size_t kMaxPeerNameLen = 300;  // "host:port"
constexpr size_t kMaxIfnameLen = 15;     // IFNAMSIZ - 1
constexpr size_t kMaxPeerAddresses = 16;
// The smallest MTU IPv4 allows (RFC 791); anything below is a bug.
constexpr uint16_t kMinMtu = 68;

// Certificates and CA certificates as the identity library limits them;
// a revocation list fills at most one payload.
constexpr size_t kMaxCertificateLen = 1024;
constexpr size_t kMaxTrustedCas = 8;
constexpr size_t kStaticKeyLen = 32;

// Fixed sizes of the payloads, used by the rule table.
constexpr uint32_t kHelloLen = 4;
constexpr uint32_t kConfigMinLen =
    kMagicLen + 1 + 1 + kPskLen + 1 + 1 + 4 + 4 + 4 + 1 + 4 + 1 + 2 + 4 + 4 + 1 + 2;
constexpr uint32_t kDeviceMinLen = 1 + 2 + 2 + 1;
constexpr uint32_t kDeviceMaxLen = 1 + 2 + 2 + kMaxIfnameLen;
constexpr uint32_t kUdpSocketLen = 1 + 2;
constexpr uint32_t kPeerAddressLen = 1 + 16 + 2;
constexpr uint32_t kPeerAddressesMinLen = 2 + 2;
constexpr uint32_t kPeerAddressesMaxLen = kPeerAddressesMinLen + kMaxPeerAddresses * kPeerAddressLen;
constexpr uint32_t kIdentityMinLen = kStaticKeyLen + 2 + 1;
constexpr uint32_t kIdentityMaxLen =
    kIdentityMinLen + kMaxCertificateLen + kMaxTrustedCas * (2 + kMaxCertificateLen);
constexpr uint32_t kRevocationListMinLen = 1;
constexpr uint32_t kCertificateMinLen = 1;
constexpr uint32_t kCertificateMaxLen = kMaxCertificateLen;
constexpr uint32_t kSharedKeyLen = 32;
constexpr uint32_t kTrustedCasMinLen = 1 + 2 + 1;
constexpr uint32_t kTrustedCasMaxLen = 1 + kMaxTrustedCas * (2 + kMaxCertificateLen);
constexpr size_t kMaxClaims = 64;   // as many as one claims message between nodes carries
constexpr uint32_t kClaimLen = 1 + 1 + 16;
constexpr uint32_t kClaimsMinLen = 1;
constexpr uint32_t kClaimsMaxLen = 1 + kMaxClaims * kClaimLen;

// Multi-link.
constexpr size_t kMaxLinks = 8;
constexpr uint8_t kAnyLink = 255;  // a configured peer reached over whichever link
constexpr size_t kMaxLinkNameLen = 15;
constexpr uint32_t kMinProbeIntervalMs = 20;
constexpr uint32_t kMaxProbeIntervalMs = 10000;
constexpr uint64_t kMinBandwidth = 1000;            // bytes/s: 8 kbit/s
constexpr uint64_t kMaxBandwidth = 12'500'000'000;  // bytes/s: 100 gbit/s
constexpr uint16_t kMaxLinkWeight = 1000;
constexpr uint16_t kMaxLossPermille = 1000;
constexpr uint32_t kMaxLatencyToleranceMs = 60000;
constexpr uint32_t kLinkMinLen = 1 + (2 + 1) + 1 + 2 + 8 + 2 + 1 + 2 + 4 + 2;  // a 1-byte name
constexpr uint32_t kLinkMaxLen = kLinkMinLen - 1 + kMaxLinkNameLen + kMaxIfnameLen;
constexpr uint32_t kLinkStatusLen = 2;

// Relaying and routing.
constexpr uint16_t kMaxDirectPeers = 1000;
constexpr uint32_t kMinTunnelRefreshS = 10;
constexpr uint32_t kMaxTunnelRefreshS = 86400;

// The stats file (operations): rewritten by the parent from the engine's
// kStats text this often.
constexpr uint32_t kMinStatsIntervalS = 1;
constexpr uint32_t kMaxStatsIntervalS = 86400;
enum class StatsFormat : uint8_t { kText = 0, kJson = 1, kPrometheus = 2 };
// kStats: u8 piece (kStatsMore, or kStatsLast for the file's last piece),
// then text. The whole file is at most kMaxStatsFile bytes.
constexpr uint8_t kStatsMore = 0;
constexpr uint8_t kStatsLast = 1;
constexpr size_t kMaxStatsFile = 4u << 20;

// kSettings: after a reload, the engine's share of what changed.
struct Settings {
  LogLevel log_level = LogLevel::kInfo;
  uint32_t stats_interval_s = 0;   // as EngineConfig's
  StatsFormat stats_format = StatsFormat::kText;
};
constexpr uint32_t kSettingsLen = 1 + 4 + 1;

// kPeerSet: after a reload, one configured peer added or removed. Peers
// keep their indices for as long as the engine runs: an added peer takes
// the next index (the count so far), a removed one stays as a retired
// index that nothing refers to again, so kPeerAddresses for the others
// never changes meaning.
enum class PeerOp : uint8_t { kAdd = 0, kRemove = 1 };
struct PeerSet {
  uint16_t index = 0;   // < kMaxPeers
  PeerOp op = PeerOp::kAdd;
  uint8_t link = kAnyLink;  // as EngineConfig::peer_links; kAnyLink for a removal
  std::string name;         // as EngineConfig::peers; "" for a removal
};
constexpr uint32_t kPeerSetMinLen = 2 + 1 + 1 + 2;
constexpr uint32_t kPeerSetMaxLen = kPeerSetMinLen + kMaxPeerNameLen;

// kHello
struct Hello {
  uint32_t pid = 0;
};

enum class CryptoKind : uint8_t { kChaCha20 = 0, kAes256 = 1, kPlain = 2 };
enum class EngineMode : uint8_t { kNormal = 0, kHub = 1, kSwitch = 2, kRouter = 3 };

// kConfig: what the engine needs to know of the configuration. Nothing in
// it names a path, command or device that root acts upon.
struct EngineConfig {
  std::array<uint8_t, kMagicLen> magic{};
  CryptoKind crypto = CryptoKind::kChaCha20;
  bool has_psk = false;
  std::array<uint8_t, kPskLen> psk{};  // all zero unless has_psk
  EngineMode mode = EngineMode::kNormal;
  LogLevel log_level = LogLevel::kInfo;
  uint32_t peer_timeout_s = 0;
  uint32_t keepalive_s = 0;
  uint32_t dst_timeout_s = 0;   // switch: learnt addresses are forgotten after this
  // Ask the gateway to forward the UDP port (UPnP IGD, NAT-PMP).
  bool port_forwarding = false;
  // The chroot holds a writable /state directory for the peer state file.
  bool state_file = false;
  // Send and answer link-local multicast beacons to find nodes on the LAN.
  bool lan_discovery = false;
  // Display names ("host:port") of the configured peers; kPeerAddresses
  // refers to them by index. [network] peers come first, then each link's.
  std::vector<std::string> peers;
  // Per peer (same length as peers): the index of the link it is reached
  // over (< kMaxLinks), or kAnyLink for a [network] peer.
  std::vector<uint8_t> peer_links;
  // How often each path is probed (kMinProbeIntervalMs..kMaxProbeIntervalMs).
  uint32_t probe_interval_ms = 100;
  // On how many paths a priority-lane packet is sent: 1 or 2.
  uint8_t priority_copies = 1;
  // Forward other nodes' packets and announce our routes (false: an end
  // node only).
  bool relay = true;
  // Direct sessions kept at most (0: no bound, ..kMaxDirectPeers), and how
  // often the one carrying least traffic is replaced
  // (kMinTunnelRefreshS..kMaxTunnelRefreshS).
  uint16_t max_peers = 0;
  uint32_t tunnel_refresh_s = 300;
  // Send the stats file's text (kStats) this often (0: no stats file,
  // else kMinStatsIntervalS..kMaxStatsIntervalS), in this format.
  uint32_t stats_interval_s = 0;
  StatsFormat stats_format = StatsFormat::kText;
};

enum class DeviceType : uint8_t { kTun = 0, kTap = 1 };

// kDevice (the tun/tap fd travels with it)
struct DeviceInfo {
  DeviceType type = DeviceType::kTun;
  uint16_t mtu = 0;
  std::string ifname;  // 1..15 bytes, a valid Linux interface name
};

// kUdpSocket (the bound socket travels with it)
struct UdpSocketInfo {
  uint8_t family = 4;  // 4 or 6
  uint16_t port = 0;
};

// kLink (the link's bound UDP socket travels with it): one [link NAME]
// section, with the values it inherits from [network] filled in. Sent in
// index order, 0 first, instead of kUdpSocket.
struct LinkInfo {
  uint8_t index = 0;     // < kMaxLinks
  std::string name;      // 1..15 of [A-Za-z0-9_.-], for logs and stats
  uint8_t family = 6;    // 4 or 6: the socket's family (6 may be dual-stack)
  uint16_t port = 0;     // the bound port, 1..65535
  uint64_t bandwidth = 0;  // bytes/s to pace to; 0 = unpaced, else kMinBandwidth..kMaxBandwidth
  uint16_t weight = 1;     // 1..kMaxLinkWeight: the share of an unpaced link
  bool fallback_only = false;  // used only when no other link is up
  uint16_t loss_tolerance_permille = 100;  // 0..1000
  uint32_t latency_tolerance_ms = 0;       // 0 = none, ..kMaxLatencyToleranceMs
  std::string ifname;  // the device the socket is bound to (0..15 bytes); "" = none
};

// kLinkSet: after a reload, link `index` with new values for what may
// change live (bandwidth, weight, fallback_only, the tolerances); the
// payload is LinkInfo's, and the name, family, port and device must be the
// running link's. No fd travels with it.

// kLinkStatus (engine -> parent): link `index` (0 when there are no link
// sections: the implicit link) went up or down. All the parent acts on is
// its own configuration's entry for that index.
struct LinkStatus {
  uint8_t index = 0;
  uint8_t up = 0;  // 0 or 1
};

struct PeerAddress {
  uint8_t family = 4;  // 4 or 6
  std::array<uint8_t, 16> addr{};  // IPv4 in the first 4 bytes, the rest zero
  uint16_t port = 0;
};

// kPeerAddresses: the current addresses of configured peer `peer_index`
// (an index into EngineConfig::peers; the engine checks the bound, since
// only it knows the count). An empty list means the name did not resolve.
struct PeerAddresses {
  uint16_t peer_index = 0;
  std::vector<PeerAddress> addresses;
};

// kIdentity: the node's static private key (from its key file, or fresh
// for a shared-key node without one), its certificate and the CA
// certificates it trusts, as their files hold them (decoded). No
// certificate and no CA: a shared-key network. The engine parses and
// checks the certificates itself; here only the framing is checked.
struct Identity {
  std::array<uint8_t, kStaticKeyLen> static_private{};
  std::vector<uint8_t> certificate;
  std::vector<std::vector<uint8_t>> cas;
};

// kRevocationList: one CA's signed revocation list, at start and again
// after each SIGHUP; the engine verifies it and replaces that CA's list.
struct RevocationListMsg {
  std::vector<uint8_t> encoded;  // 1..kMaxPayload bytes
};

// kCertificate: the node's certificate as its file now holds it, when a
// SIGHUP finds the file changed (renewed for the same key). The parent
// checked it; the engine checks it again before its handshakes show it.
struct CertificateMsg {
  std::vector<uint8_t> encoded;  // 1..kMaxCertificateLen bytes
};

// kTrustedCas: every CA certificate the node now trusts, when a SIGHUP
// finds the `ca` files changed (a CA added, removed or re-issued). The
// parent checked that they load and that the node's certificate is valid
// under them; the engine checks them again, keeps the revocation lists of
// the CAs that stay, and drops the peers the new set does not accept.
// The parent sends the node's certificate (when a new CA signed it) and
// the revocation lists right after.
struct TrustedCasMsg {
  std::vector<std::vector<uint8_t>> cas;  // 1..kMaxTrustedCas, each 1..kMaxCertificateLen bytes
};

// kSharedKey: the network's new PSK, stretched by the parent, when a
// reload changes `shared_key` (or its file) of a node that has one. New
// handshakes use it; every session is renewed under it at once.
struct SharedKeyMsg {
  std::array<uint8_t, kSharedKeyLen> psk{};   // never all zero
};

// kClaims: the subnets this node claims (router mode forwards by them):
// the configured ones and, with auto_claim, the device's own addresses as
// host prefixes, read by the parent after ifup. Sent before Start.
struct Claim {
  uint8_t family = 4;               // 4 or 6
  std::array<uint8_t, 16> addr{};   // IPv4 in the first 4 bytes, the rest zero
  uint8_t len = 0;                  // 0..32 or 0..128; the bits past it zero
};
struct ClaimsMsg {
  std::vector<Claim> claims;
};

// Each encoder clears *out and returns false (nothing sent) when a value is
// out of range. Each decoder returns false with the reason in *why (may be
// nullptr) and leaves *out unspecified.
bool encode(const Hello& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, Hello* out, std::string* why);
bool encode(const EngineConfig& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, EngineConfig* out, std::string* why);
bool encode(const DeviceInfo& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, DeviceInfo* out, std::string* why);
bool encode(const UdpSocketInfo& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, UdpSocketInfo* out, std::string* why);
bool encode(const PeerAddresses& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, PeerAddresses* out, std::string* why);
bool encode(const Identity& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, Identity* out, std::string* why);
bool encode(const RevocationListMsg& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, RevocationListMsg* out, std::string* why);
bool encode(const CertificateMsg& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, CertificateMsg* out, std::string* why);
bool encode(const TrustedCasMsg& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, TrustedCasMsg* out, std::string* why);
bool encode(const SharedKeyMsg& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, SharedKeyMsg* out, std::string* why);
bool encode(const ClaimsMsg& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, ClaimsMsg* out, std::string* why);
bool encode(const LinkInfo& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, LinkInfo* out, std::string* why);
bool encode(const LinkStatus& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, LinkStatus* out, std::string* why);
bool encode(const Settings& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, Settings* out, std::string* why);
bool encode(const PeerSet& in, std::vector<uint8_t>* out);
bool decode(std::span<const uint8_t> payload, PeerSet* out, std::string* why);
// kReady, kStart, kLogFd and kShutdown carry nothing.
bool decode_empty(std::span<const uint8_t> payload, std::string* why);

// Runs the decoder of `type` over `payload`: "" when it is well formed,
// else the reason. The channel applies it to every frame both ways, so an
// owner never sees a payload its decoder would refuse.
std::string check_payload(MsgType type, std::span<const uint8_t> payload);

// Conversions between PeerAddress and socket addresses; false for a family
// other than AF_INET/AF_INET6 (or 4/6).
bool to_sockaddr(const PeerAddress& in, sockaddr_storage* out, socklen_t* len);
bool from_sockaddr(const sockaddr* in, socklen_t len, PeerAddress* out);

}  // namespace braid::ipc
