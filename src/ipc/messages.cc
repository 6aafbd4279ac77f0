// Encoders and decoders of the IPC payloads, field by field in network
// byte order. Validation is shared by both directions so the parent cannot
// produce what the engine would reject.
#include "ipc/messages.h"

#include <cstring>

#include "common/bytes.h"

namespace braid::ipc {
namespace {

// EngineConfig's flags byte.
constexpr uint8_t kFlagPortForwarding = 1 << 0;
constexpr uint8_t kFlagStateFile = 1 << 1;
constexpr uint8_t kFlagLanDiscovery = 1 << 2;
constexpr uint8_t kFlagRelay = 1 << 3;
constexpr uint8_t kKnownFlags =
    kFlagPortForwarding | kFlagStateFile | kFlagLanDiscovery | kFlagRelay;

bool fail(std::string* why, const char* reason) {
  if (why != nullptr) *why = reason;
  return false;
}

// Peer names end up in log lines and the stats file: no control bytes, so
// a name cannot forge a line.
bool valid_peer_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxPeerNameLen) return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// The kernel's own rule for interface names (dev_valid_name), tightened to
// refuse control bytes.
bool valid_ifname(std::string_view name) {
  if (name.empty() || name.size() > kMaxIfnameLen || name == "." || name == "..") return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c == 0x7f || c == '/' || c == ':') return false;
  }
  return true;
}

bool all_zero(std::span<const uint8_t> bytes) {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

bool validate(const Hello& m, std::string* why) {
  if (m.pid == 0 || m.pid > 0x7fffffffu) return fail(why, "Hello: pid out of range");
  return true;
}

bool validate(const EngineConfig& m, std::string* why) {
  if (static_cast<uint8_t>(m.crypto) > static_cast<uint8_t>(CryptoKind::kPlain)) {
    return fail(why, "Config: unknown crypto");
  }
  if (!m.has_psk && !all_zero(m.psk)) return fail(why, "Config: psk set without has_psk");
  if (static_cast<uint8_t>(m.mode) > static_cast<uint8_t>(EngineMode::kRouter)) {
    return fail(why, "Config: unknown mode");
  }
  int level = static_cast<int>(m.log_level);
  if (level < 0 || level > static_cast<int>(LogLevel::kDebug)) return fail(why, "Config: unknown log level");
  if (m.peers.size() > kMaxPeers) return fail(why, "Config: too many peers");
  for (const std::string& name : m.peers) {
    if (!valid_peer_name(name)) return fail(why, "Config: invalid peer name");
  }
  if (m.peer_links.size() != m.peers.size()) return fail(why, "Config: one link per peer expected");
  for (uint8_t link : m.peer_links) {
    if (link >= kMaxLinks && link != kAnyLink) return fail(why, "Config: peer link out of range");
  }
  if (m.probe_interval_ms < kMinProbeIntervalMs || m.probe_interval_ms > kMaxProbeIntervalMs)
    return fail(why, "Config: probe interval out of range");
  if (m.priority_copies != 1 && m.priority_copies != 2)
    return fail(why, "Config: priority copies is not 1 or 2");
  if (m.max_peers > kMaxDirectPeers) return fail(why, "Config: max peers out of range");
  if (m.tunnel_refresh_s < kMinTunnelRefreshS || m.tunnel_refresh_s > kMaxTunnelRefreshS)
    return fail(why, "Config: tunnel refresh out of range");
  if (m.stats_interval_s != 0 &&
      (m.stats_interval_s < kMinStatsIntervalS || m.stats_interval_s > kMaxStatsIntervalS))
    return fail(why, "Config: stats interval out of range");
  if (static_cast<uint8_t>(m.stats_format) > static_cast<uint8_t>(StatsFormat::kPrometheus))
    return fail(why, "Config: unknown stats format");
  return true;
}

// A link name is shown in logs and handed to the status hook by the
// parent (from its own configuration): the config's rule, exactly.
bool valid_link_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxLinkNameLen) return false;
  for (unsigned char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool validate(const DeviceInfo& m, std::string* why) {
  if (static_cast<uint8_t>(m.type) > static_cast<uint8_t>(DeviceType::kTap)) {
    return fail(why, "Device: unknown device type");
  }
  if (m.mtu < kMinMtu) return fail(why, "Device: mtu too small");
  if (!valid_ifname(m.ifname)) return fail(why, "Device: invalid interface name");
  return true;
}

bool validate(const LinkInfo& m, std::string* why) {
  if (m.index >= kMaxLinks) return fail(why, "Link: index out of range");
  if (!valid_link_name(m.name)) return fail(why, "Link: invalid name");
  if (m.family != 4 && m.family != 6) return fail(why, "Link: family is not 4 or 6");
  if (m.port == 0) return fail(why, "Link: port 0");
  if (m.bandwidth != 0 && (m.bandwidth < kMinBandwidth || m.bandwidth > kMaxBandwidth))
    return fail(why, "Link: bandwidth out of range");
  if (m.weight < 1 || m.weight > kMaxLinkWeight) return fail(why, "Link: weight out of range");
  if (m.loss_tolerance_permille > kMaxLossPermille)
    return fail(why, "Link: loss tolerance out of range");
  if (m.latency_tolerance_ms > kMaxLatencyToleranceMs)
    return fail(why, "Link: latency tolerance out of range");
  if (!m.ifname.empty() && !valid_ifname(m.ifname)) return fail(why, "Link: invalid interface name");
  return true;
}

bool validate(const LinkStatus& m, std::string* why) {
  if (m.index >= kMaxLinks) return fail(why, "LinkStatus: index out of range");
  if (m.up > 1) return fail(why, "LinkStatus: up is not 0 or 1");
  return true;
}

bool validate(const UdpSocketInfo& m, std::string* why) {
  if (m.family != 4 && m.family != 6) return fail(why, "UdpSocket: family is not 4 or 6");
  return true;
}

bool validate(const PeerAddress& a, std::string* why) {
  if (a.family != 4 && a.family != 6) return fail(why, "PeerAddresses: family is not 4 or 6");
  if (a.family == 4 && !all_zero(std::span(a.addr).subspan(4))) {
    return fail(why, "PeerAddresses: IPv4 address with non-zero padding");
  }
  return true;
}

bool validate(const PeerAddresses& m, std::string* why) {
  if (m.addresses.size() > kMaxPeerAddresses) return fail(why, "PeerAddresses: too many addresses");
  for (const PeerAddress& a : m.addresses) {
    if (!validate(a, why)) return false;
  }
  return true;
}

// Runs `write` into a buffer of exactly `size` bytes; the writer must fill it.
template <typename Write>
bool emit(size_t size, std::vector<uint8_t>* out, Write write) {
  out->assign(size, 0);
  ByteWriter w(*out);
  write(w);
  if (!w.ok() || w.size() != size) {
    out->clear();
    return false;
  }
  return true;
}

bool finish(const ByteReader& r, std::string* why, const char* what) {
  if (!r.done()) {
    if (why != nullptr) *why = std::string(what) + (r.ok() ? ": trailing bytes" : ": truncated");
    return false;
  }
  return true;
}

}  // namespace

bool encode(const Hello& in, std::vector<uint8_t>* out) {
  out->clear();
  if (!validate(in, nullptr)) return false;
  return emit(kHelloLen, out, [&](ByteWriter& w) { w.u32(in.pid); });
}

bool decode(std::span<const uint8_t> payload, Hello* out, std::string* why) {
  ByteReader r(payload);
  out->pid = r.u32();
  return finish(r, why, "Hello") && validate(*out, why);
}

bool encode(const EngineConfig& in, std::vector<uint8_t>* out) {
  out->clear();
  if (!validate(in, nullptr)) return false;
  size_t size = kConfigMinLen;
  for (const std::string& name : in.peers) size += 2 + name.size() + 1;
  if (size > kMaxPayload) return false;
  return emit(size, out, [&](ByteWriter& w) {
    w.bytes(in.magic);
    w.u8(static_cast<uint8_t>(in.crypto));
    w.u8(in.has_psk ? 1 : 0);
    w.bytes(in.psk);
    w.u8(static_cast<uint8_t>(in.mode));
    w.u8(static_cast<uint8_t>(in.log_level));
    w.u32(in.peer_timeout_s);
    w.u32(in.keepalive_s);
    w.u32(in.dst_timeout_s);
    w.u8(static_cast<uint8_t>((in.port_forwarding ? kFlagPortForwarding : 0) |
                              (in.state_file ? kFlagStateFile : 0) |
                              (in.lan_discovery ? kFlagLanDiscovery : 0) |
                              (in.relay ? kFlagRelay : 0)));
    w.u32(in.probe_interval_ms);
    w.u8(in.priority_copies);
    w.u16(in.max_peers);
    w.u32(in.tunnel_refresh_s);
    w.u32(in.stats_interval_s);
    w.u8(static_cast<uint8_t>(in.stats_format));
    w.u16(static_cast<uint16_t>(in.peers.size()));
    for (size_t i = 0; i < in.peers.size(); ++i) {
      w.str16(in.peers[i]);
      w.u8(in.peer_links[i]);
    }
  });
}

bool decode(std::span<const uint8_t> payload, EngineConfig* out, std::string* why) {
  ByteReader r(payload);
  auto magic = r.bytes(kMagicLen);
  if (r.ok()) memcpy(out->magic.data(), magic.data(), kMagicLen);
  uint8_t crypto = r.u8();
  uint8_t has_psk = r.u8();
  auto psk = r.bytes(kPskLen);
  if (r.ok()) memcpy(out->psk.data(), psk.data(), kPskLen);
  uint8_t mode = r.u8();
  uint8_t level = r.u8();
  out->peer_timeout_s = r.u32();
  out->keepalive_s = r.u32();
  out->dst_timeout_s = r.u32();
  uint8_t flags = r.u8();
  out->probe_interval_ms = r.u32();
  out->priority_copies = r.u8();
  out->max_peers = r.u16();
  out->tunnel_refresh_s = r.u32();
  out->stats_interval_s = r.u32();
  uint8_t stats_format = r.u8();
  uint16_t count = r.u16();
  if (!r.ok()) return fail(why, "Config: truncated");
  // Range checks come before the casts so no out-of-range value is ever
  // held in an enum.
  if (crypto > static_cast<uint8_t>(CryptoKind::kPlain)) return fail(why, "Config: unknown crypto");
  if (has_psk > 1) return fail(why, "Config: has_psk is not 0 or 1");
  if (mode > static_cast<uint8_t>(EngineMode::kRouter)) return fail(why, "Config: unknown mode");
  if (flags & ~kKnownFlags) return fail(why, "Config: unknown flags");
  if (level > static_cast<uint8_t>(LogLevel::kDebug)) return fail(why, "Config: unknown log level");
  if (count > kMaxPeers) return fail(why, "Config: too many peers");
  if (stats_format > static_cast<uint8_t>(StatsFormat::kPrometheus))
    return fail(why, "Config: unknown stats format");
  out->stats_format = static_cast<StatsFormat>(stats_format);
  out->crypto = static_cast<CryptoKind>(crypto);
  out->has_psk = has_psk == 1;
  out->mode = static_cast<EngineMode>(mode);
  out->log_level = static_cast<LogLevel>(level);
  out->port_forwarding = flags & kFlagPortForwarding;
  out->state_file = flags & kFlagStateFile;
  out->lan_discovery = flags & kFlagLanDiscovery;
  out->relay = flags & kFlagRelay;
  out->peers.clear();
  out->peer_links.clear();
  for (uint16_t i = 0; i < count && r.ok(); ++i) {
    std::string_view name = r.str16();
    uint8_t link = r.u8();
    if (!r.ok()) break;
    out->peers.emplace_back(name);
    out->peer_links.push_back(link);
  }
  return finish(r, why, "Config") && validate(*out, why);
}

bool encode(const DeviceInfo& in, std::vector<uint8_t>* out) {
  out->clear();
  if (!validate(in, nullptr)) return false;
  return emit(kDeviceMinLen - 1 + in.ifname.size(), out, [&](ByteWriter& w) {
    w.u8(static_cast<uint8_t>(in.type));
    w.u16(in.mtu);
    w.str16(in.ifname);
  });
}

bool decode(std::span<const uint8_t> payload, DeviceInfo* out, std::string* why) {
  ByteReader r(payload);
  uint8_t type = r.u8();
  out->mtu = r.u16();
  std::string_view name = r.str16();
  if (!finish(r, why, "Device")) return false;
  if (type > static_cast<uint8_t>(DeviceType::kTap)) return fail(why, "Device: unknown device type");
  out->type = static_cast<DeviceType>(type);
  out->ifname.assign(name);
  return validate(*out, why);
}

bool encode(const UdpSocketInfo& in, std::vector<uint8_t>* out) {
  out->clear();
  if (!validate(in, nullptr)) return false;
  return emit(kUdpSocketLen, out, [&](ByteWriter& w) {
    w.u8(in.family);
    w.u16(in.port);
  });
}

bool decode(std::span<const uint8_t> payload, UdpSocketInfo* out, std::string* why) {
  ByteReader r(payload);
  out->family = r.u8();
  out->port = r.u16();
  return finish(r, why, "UdpSocket") && validate(*out, why);
}

bool encode(const LinkInfo& in, std::vector<uint8_t>* out) {
  out->clear();
  if (!validate(in, nullptr)) return false;
  return emit(kLinkMinLen - 1 + in.name.size() + in.ifname.size(), out, [&](ByteWriter& w) {
    w.u8(in.index);
    w.str16(in.name);
    w.u8(in.family);
    w.u16(in.port);
    w.u64(in.bandwidth);
    w.u16(in.weight);
    w.u8(in.fallback_only ? 1 : 0);
    w.u16(in.loss_tolerance_permille);
    w.u32(in.latency_tolerance_ms);
    w.str16(in.ifname);
  });
}

bool decode(std::span<const uint8_t> payload, LinkInfo* out, std::string* why) {
  ByteReader r(payload);
  out->index = r.u8();
  std::string_view name = r.str16();
  if (r.ok() && name.size() > kMaxLinkNameLen) return fail(why, "Link: invalid name");
  out->name.assign(name);
  out->family = r.u8();
  out->port = r.u16();
  out->bandwidth = r.u64();
  out->weight = r.u16();
  uint8_t fallback_only = r.u8();
  out->loss_tolerance_permille = r.u16();
  out->latency_tolerance_ms = r.u32();
  std::string_view ifname = r.str16();
  if (!finish(r, why, "Link")) return false;
  if (fallback_only > 1) return fail(why, "Link: fallback_only is not 0 or 1");
  out->fallback_only = fallback_only == 1;
  out->ifname.assign(ifname);
  return validate(*out, why);
}

bool encode(const LinkStatus& in, std::vector<uint8_t>* out) {
  out->clear();
  if (!validate(in, nullptr)) return false;
  return emit(kLinkStatusLen, out, [&](ByteWriter& w) {
    w.u8(in.index);
    w.u8(in.up);
  });
}

bool decode(std::span<const uint8_t> payload, LinkStatus* out, std::string* why) {
  ByteReader r(payload);
  out->index = r.u8();
  out->up = r.u8();
  return finish(r, why, "LinkStatus") && validate(*out, why);
}

// The same ranges as EngineConfig's fields of the same names.
bool validate(const Settings& m, std::string* why) {
  int level = static_cast<int>(m.log_level);
  if (level < 0 || level > static_cast<int>(LogLevel::kDebug))
    return fail(why, "Settings: unknown log level");
  if (m.stats_interval_s != 0 &&
      (m.stats_interval_s < kMinStatsIntervalS || m.stats_interval_s > kMaxStatsIntervalS))
    return fail(why, "Settings: stats interval out of range");
  return true;
}

bool encode(const Settings& in, std::vector<uint8_t>* out) {
  out->clear();
  if (!validate(in, nullptr)) return false;
  return emit(kSettingsLen, out, [&](ByteWriter& w) {
    w.u8(static_cast<uint8_t>(in.log_level));
    w.u32(in.stats_interval_s);
    w.u8(static_cast<uint8_t>(in.stats_format));
  });
}

bool decode(std::span<const uint8_t> payload, Settings* out, std::string* why) {
  ByteReader r(payload);
  uint8_t level = r.u8();
  out->stats_interval_s = r.u32();
  uint8_t format = r.u8();
  if (!finish(r, why, "Settings")) return false;
  if (level > static_cast<uint8_t>(LogLevel::kDebug)) return fail(why, "Settings: unknown log level");
  if (format > static_cast<uint8_t>(StatsFormat::kPrometheus))
    return fail(why, "Settings: unknown stats format");
  out->log_level = static_cast<LogLevel>(level);
  out->stats_format = static_cast<StatsFormat>(format);
  return validate(*out, why);
}

// An addition names its peer as EngineConfig does; a removal names
// nothing, so that one message means one thing.
bool validate(const PeerSet& m, std::string* why) {
  if (m.index >= kMaxPeers) return fail(why, "PeerSet: index out of range");
  switch (m.op) {
    case PeerOp::kAdd:
      if (!valid_peer_name(m.name)) return fail(why, "PeerSet: invalid peer name");
      if (m.link >= kMaxLinks && m.link != kAnyLink) return fail(why, "PeerSet: link out of range");
      return true;
    case PeerOp::kRemove:
      if (!m.name.empty() || m.link != kAnyLink) return fail(why, "PeerSet: a removal names no peer");
      return true;
  }
  return fail(why, "PeerSet: unknown operation");
}

bool encode(const PeerSet& in, std::vector<uint8_t>* out) {
  out->clear();
  if (!validate(in, nullptr)) return false;
  return emit(kPeerSetMinLen + in.name.size(), out, [&](ByteWriter& w) {
    w.u16(in.index);
    w.u8(static_cast<uint8_t>(in.op));
    w.u8(in.link);
    w.str16(in.name);
  });
}

bool decode(std::span<const uint8_t> payload, PeerSet* out, std::string* why) {
  ByteReader r(payload);
  out->index = r.u16();
  uint8_t op = r.u8();
  out->link = r.u8();
  out->name = std::string(r.str16());
  if (!finish(r, why, "PeerSet")) return false;
  if (op > static_cast<uint8_t>(PeerOp::kRemove)) return fail(why, "PeerSet: unknown operation");
  out->op = static_cast<PeerOp>(op);
  return validate(*out, why);
}

bool encode(const PeerAddresses& in, std::vector<uint8_t>* out) {
  out->clear();
  if (!validate(in, nullptr)) return false;
  return emit(kPeerAddressesMinLen + in.addresses.size() * kPeerAddressLen, out, [&](ByteWriter& w) {
    w.u16(in.peer_index);
    w.u16(static_cast<uint16_t>(in.addresses.size()));
    for (const PeerAddress& a : in.addresses) {
      w.u8(a.family);
      w.bytes(a.addr);
      w.u16(a.port);
    }
  });
}

bool decode(std::span<const uint8_t> payload, PeerAddresses* out, std::string* why) {
  ByteReader r(payload);
  out->peer_index = r.u16();
  uint16_t count = r.u16();
  if (!r.ok()) return fail(why, "PeerAddresses: truncated");
  if (count > kMaxPeerAddresses) return fail(why, "PeerAddresses: too many addresses");
  out->addresses.assign(count, PeerAddress{});
  for (PeerAddress& a : out->addresses) {
    a.family = r.u8();
    auto addr = r.bytes(a.addr.size());
    if (r.ok()) memcpy(a.addr.data(), addr.data(), a.addr.size());
    a.port = r.u16();
  }
  return finish(r, why, "PeerAddresses") && validate(*out, why);
}

namespace {

// A list of CA certificates, as Identity and TrustedCas carry it: u8
// count, then each as u16 length and its bytes. `msg` names the message
// in errors.
using CaList = std::vector<std::vector<uint8_t>>;

bool validate_cas(const CaList& cas, const char* msg, std::string* why) {
  if (cas.size() > kMaxTrustedCas)
    return fail(why, (std::string(msg) + ": too many CA certificates").c_str());
  for (const auto& ca : cas)
    if (ca.empty() || ca.size() > kMaxCertificateLen)
      return fail(why, (std::string(msg) + ": CA certificate empty or too long").c_str());
  return true;
}

size_t cas_size(const CaList& cas) {
  size_t size = 1;
  for (const auto& ca : cas) size += 2 + ca.size();
  return size;
}

void write_cas(ByteWriter& w, const CaList& cas) {
  w.u8(static_cast<uint8_t>(cas.size()));
  for (const auto& ca : cas) {
    w.u16(static_cast<uint16_t>(ca.size()));
    w.bytes(ca);
  }
}

bool read_cas(ByteReader& r, CaList* out, const char* msg, std::string* why) {
  uint8_t count = r.u8();
  if (!r.ok()) return fail(why, (std::string(msg) + ": truncated").c_str());
  if (count > kMaxTrustedCas)
    return fail(why, (std::string(msg) + ": too many CA certificates").c_str());
  out->clear();
  for (uint8_t i = 0; i < count && r.ok(); ++i) {
    uint16_t len = r.u16();
    if (r.ok() && len > kMaxCertificateLen)
      return fail(why, (std::string(msg) + ": CA certificate too long").c_str());
    auto ca = r.bytes(len);
    if (r.ok()) out->emplace_back(ca.begin(), ca.end());
  }
  return true;
}

bool validate(const Identity& m, std::string* why) {
  if (all_zero(m.static_private)) return fail(why, "Identity: static key is all zero");
  if (m.certificate.size() > kMaxCertificateLen) return fail(why, "Identity: certificate too long");
  if (!validate_cas(m.cas, "Identity", why)) return false;
  // Both or neither: a certificate network needs each.
  if (m.certificate.empty() != m.cas.empty())
    return fail(why, "Identity: a certificate needs CA certificates and the reverse");
  return true;
}

}  // namespace

bool encode(const Identity& in, std::vector<uint8_t>* out) {
  out->clear();
  if (!validate(in, nullptr)) return false;
  size_t size = kStaticKeyLen + 2 + in.certificate.size() + cas_size(in.cas);
  return emit(size, out, [&](ByteWriter& w) {
    w.bytes(in.static_private);
    w.u16(static_cast<uint16_t>(in.certificate.size()));
    w.bytes(in.certificate);
    write_cas(w, in.cas);
  });
}

bool decode(std::span<const uint8_t> payload, Identity* out, std::string* why) {
  ByteReader r(payload);
  auto key = r.bytes(kStaticKeyLen);
  if (r.ok()) memcpy(out->static_private.data(), key.data(), kStaticKeyLen);
  uint16_t cert_len = r.u16();
  if (r.ok() && cert_len > kMaxCertificateLen) return fail(why, "Identity: certificate too long");
  auto cert = r.bytes(cert_len);
  out->certificate.assign(cert.begin(), cert.end());
  if (!read_cas(r, &out->cas, "Identity", why)) return false;
  return finish(r, why, "Identity") && validate(*out, why);
}

bool encode(const RevocationListMsg& in, std::vector<uint8_t>* out) {
  out->clear();
  if (in.encoded.empty() || in.encoded.size() > kMaxPayload) return false;
  *out = in.encoded;
  return true;
}

bool decode(std::span<const uint8_t> payload, RevocationListMsg* out, std::string* why) {
  if (payload.empty()) return fail(why, "RevocationList: empty");
  out->encoded.assign(payload.begin(), payload.end());
  return true;
}

bool encode(const CertificateMsg& in, std::vector<uint8_t>* out) {
  out->clear();
  if (in.encoded.empty() || in.encoded.size() > kMaxCertificateLen) return false;
  *out = in.encoded;
  return true;
}

bool decode(std::span<const uint8_t> payload, CertificateMsg* out, std::string* why) {
  if (payload.empty()) return fail(why, "Certificate: empty");
  if (payload.size() > kMaxCertificateLen) return fail(why, "Certificate: too long");
  out->encoded.assign(payload.begin(), payload.end());
  return true;
}

namespace {

bool validate(const TrustedCasMsg& m, std::string* why) {
  if (m.cas.empty()) return fail(why, "TrustedCas: no CA certificate");
  return validate_cas(m.cas, "TrustedCas", why);
}

}  // namespace

bool encode(const TrustedCasMsg& in, std::vector<uint8_t>* out) {
  out->clear();
  if (!validate(in, nullptr)) return false;
  return emit(cas_size(in.cas), out, [&](ByteWriter& w) { write_cas(w, in.cas); });
}

bool decode(std::span<const uint8_t> payload, TrustedCasMsg* out, std::string* why) {
  ByteReader r(payload);
  if (!read_cas(r, &out->cas, "TrustedCas", why)) return false;
  return finish(r, why, "TrustedCas") && validate(*out, why);
}

bool encode(const SharedKeyMsg& in, std::vector<uint8_t>* out) {
  out->clear();
  if (all_zero(in.psk)) return false;
  out->assign(in.psk.begin(), in.psk.end());
  return true;
}

bool decode(std::span<const uint8_t> payload, SharedKeyMsg* out, std::string* why) {
  if (payload.size() != kSharedKeyLen) return fail(why, "SharedKey: not 32 bytes");
  if (all_zero(payload)) return fail(why, "SharedKey: all zero");
  std::copy(payload.begin(), payload.end(), out->psk.begin());
  return true;
}

namespace {

bool validate(const Claim& c, std::string* why) {
  if (c.family != 4 && c.family != 6) return fail(why, "Claims: family is not 4 or 6");
  if (c.len > (c.family == 4 ? 32 : 128)) return fail(why, "Claims: prefix length out of range");
  // Every bit past the length is zero: the host bits, and an IPv4
  // address's padding (past bit 32 >= len).
  for (size_t i = 0; i < 16; ++i) {
    size_t first = i * 8;
    uint8_t mask = first >= c.len ? 0xff : c.len - first >= 8 ? 0 : 0xff >> (c.len - first);
    if (c.addr[i] & mask) return fail(why, "Claims: bits set past the prefix length");
  }
  return true;
}

}  // namespace

bool encode(const ClaimsMsg& in, std::vector<uint8_t>* out) {
  out->clear();
  if (in.claims.size() > kMaxClaims) return false;
  for (const Claim& c : in.claims)
    if (!validate(c, nullptr)) return false;
  return emit(1 + in.claims.size() * kClaimLen, out, [&](ByteWriter& w) {
    w.u8(static_cast<uint8_t>(in.claims.size()));
    for (const Claim& c : in.claims) {
      w.u8(c.family);
      w.u8(c.len);
      w.bytes(c.addr);
    }
  });
}

bool decode(std::span<const uint8_t> payload, ClaimsMsg* out, std::string* why) {
  ByteReader r(payload);
  uint8_t count = r.u8();
  out->claims.clear();
  for (uint8_t i = 0; i < count && r.ok(); ++i) {
    Claim c;
    c.family = r.u8();
    c.len = r.u8();
    auto addr = r.bytes(16);
    if (!r.ok()) break;
    memcpy(c.addr.data(), addr.data(), 16);
    if (!validate(c, why)) return false;
    out->claims.push_back(c);
  }
  return finish(r, why, "Claims");
}

bool decode_empty(std::span<const uint8_t> payload, std::string* why) {
  if (!payload.empty()) return fail(why, "payload where none belongs");
  return true;
}

// The stats file is text the parent writes as it is: no NUL and no control
// byte but newline and tab, so it can hold nothing a reader's terminal
// would act on.
bool check_stats_text(std::span<const uint8_t> payload, std::string* why) {
  if (payload.empty() || payload[0] > kStatsLast) return fail(why, "Stats: bad piece marker");
  for (uint8_t c : payload.subspan(1))
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
      return fail(why, "Stats: control byte in the text");
  return true;
}

std::string check_payload(MsgType type, std::span<const uint8_t> payload) {
  std::string why;
  bool ok = false;
  switch (type) {
    case MsgType::kHello: { Hello m; ok = decode(payload, &m, &why); break; }
    case MsgType::kConfig: { EngineConfig m; ok = decode(payload, &m, &why); break; }
    case MsgType::kDevice: { DeviceInfo m; ok = decode(payload, &m, &why); break; }
    case MsgType::kUdpSocket: { UdpSocketInfo m; ok = decode(payload, &m, &why); break; }
    case MsgType::kPeerAddresses: { PeerAddresses m; ok = decode(payload, &m, &why); break; }
    case MsgType::kIdentity: {
      Identity m;
      ok = decode(payload, &m, &why);
      explicit_bzero(m.static_private.data(), m.static_private.size());
      break;
    }
    case MsgType::kRevocationList: { RevocationListMsg m; ok = decode(payload, &m, &why); break; }
    case MsgType::kCertificate: { CertificateMsg m; ok = decode(payload, &m, &why); break; }
    case MsgType::kTrustedCas: { TrustedCasMsg m; ok = decode(payload, &m, &why); break; }
    case MsgType::kSharedKey: { SharedKeyMsg m; ok = decode(payload, &m, &why); break; }
    case MsgType::kClaims: { ClaimsMsg m; ok = decode(payload, &m, &why); break; }
    case MsgType::kLink: { LinkInfo m; ok = decode(payload, &m, &why); break; }
    case MsgType::kLinkStatus: { LinkStatus m; ok = decode(payload, &m, &why); break; }
    case MsgType::kSettings: { Settings m; ok = decode(payload, &m, &why); break; }
    case MsgType::kPeerSet: { PeerSet m; ok = decode(payload, &m, &why); break; }
    case MsgType::kLinkSet: { LinkInfo m; ok = decode(payload, &m, &why); break; }
    case MsgType::kStats: ok = check_stats_text(payload, &why); break;
    case MsgType::kReady:
    case MsgType::kReload:
    case MsgType::kControlSocket:
    case MsgType::kStart:
    case MsgType::kLogFd:
    case MsgType::kShutdown: ok = decode_empty(payload, &why); break;
  }
  if (ok) return "";
  return why.empty() ? std::string("unknown message type") : why;
}

bool to_sockaddr(const PeerAddress& in, sockaddr_storage* out, socklen_t* len) {
  memset(out, 0, sizeof *out);
  if (in.family == 4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(in.port);
    memcpy(&sin->sin_addr, in.addr.data(), 4);
    *len = sizeof *sin;
    return true;
  }
  if (in.family == 6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(in.port);
    memcpy(&sin6->sin6_addr, in.addr.data(), 16);
    *len = sizeof *sin6;
    return true;
  }
  return false;
}

bool from_sockaddr(const sockaddr* in, socklen_t len, PeerAddress* out) {
  *out = PeerAddress{};
  if (in->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in sin;
    memcpy(&sin, in, sizeof sin);
    out->family = 4;
    memcpy(out->addr.data(), &sin.sin_addr, 4);
    out->port = ntohs(sin.sin_port);
    return true;
  }
  if (in->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 sin6;
    memcpy(&sin6, in, sizeof sin6);
    out->family = 6;
    memcpy(out->addr.data(), &sin6.sin6_addr, 16);
    out->port = ntohs(sin6.sin6_port);
    return true;
  }
  return false;
}

}  // namespace braid::ipc
