// The engine's event loop: the IPC channel to the parent, the device, the
// UDP socket and the tick timer, wired to the Node.
#include "engine/engine.h"

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <linux/if_tun.h>
#include <net/if.h>
#include <sodium.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>

#include "common/clock.h"
#include "common/ev.h"
#include "common/log.h"
#include "ipc/channel.h"
#include "ipc/messages.h"
#include "engine/beacon.h"
#include "engine/control.h"
#include "engine/known_peers.h"
#include "engine/local_addrs.h"
#include "engine/node.h"
#include "engine/offload.h"
#include "engine/portmap.h"
#include "engine/report.h"
#include "engine/udp.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

namespace braid::engine {
namespace {

// Enough buffers for a full receive batch, a full send batch and the
// copies hub mode makes, with room to spare.
constexpr size_t kPoolBuffers = 1024;
constexpr size_t kMultiLinkPoolBuffers = 4096;
// Device packets read per wake-up before the batch is sent.
constexpr size_t kDeviceBatch = UdpSocket::kBatch;
// With offloads one read can be a 64 KiB TCP super-packet: fewer per
// wake-up keep the network side's turn coming.
constexpr size_t kDeviceSuperReads = 8;
constexpr size_t kSuperPacketMax = kVnetHdrLen + 65535;
// LAN beacons go out at start and then every 30 s (in ticks): often enough
// that a node plugged into a LAN finds its neighbours within the minute,
// rarely enough to cost nothing.
constexpr uint64_t kBeaconTicks = 30 * 1000 / Node::kTickMs;

// A link's settings as the parent sent them (at start, and after a reload).
LinkConfig link_config(const ipc::LinkInfo& l) {
  LinkConfig lc;
  lc.name = l.name;
  lc.bandwidth = l.bandwidth;
  lc.weight = l.weight;
  lc.fallback_only = l.fallback_only;
  lc.tolerance.loss_permille = l.loss_tolerance_permille;
  lc.tolerance.latency_ns = uint64_t{l.latency_tolerance_ms} * kNsPerMs;
  // A dual-stack socket reaches both families; one bound to an IPv6
  // address fails to send to IPv4, and that path simply never answers.
  lc.v4 = true;
  lc.v6 = l.family == 6;
  return lc;
}

class Engine final : public NodeOutput {
 public:
  explicit Engine(UniqueFd ipc);
  int run();

  void send_udp(uint8_t link, const Endpoint& to, PacketBuf* buf) override {
    socks_[link < socks_.size() ? link : 0]->queue(to, buf);
  }
  void link_status(uint8_t link, bool up) override { report_link(link, up); }
  void write_device(PacketBuf* buf) override;

 private:
  void on_message(ipc::MsgType type, std::span<const uint8_t> payload, UniqueFd fd);
  void on_close(const std::string& reason);
  void start();
  void on_device_readable();
  void read_device_packets();
  void read_device_super_packets();
  void on_udp_readable(uint8_t link);
  void on_tick();
  void send_beacon();
  void shutdown(int status);
  // Tells the parent that link `index` (0 for the implicit link) went up
  // or down; it runs the status hook. Only once running and after Ready
  // went out: the parent takes LinkStatus in its running state only.
  void report_link(uint8_t index, bool up);
  // Sends every socket's queued datagrams.
  void flush();
  // Keeps a precise timer for the node's pacers and reorder buffers.
  void arm_pacing();
  void rescan_endpoints();
  void log_counters();
  // The control socket's answers and the stats file's text.
  ControlAnswer on_control(const ControlRequest& req);
  EngineStatus engine_status() const;
  void send_stats();
  // Arms the stats timer by config_ (stops it when there is no file).
  void schedule_stats(uint32_t first_s);
  void apply_settings(const ipc::Settings& s);

  EventBasePtr base_;
  SystemClock clock_;
  std::unique_ptr<ipc::Channel> channel_;
  ipc::EngineConfig config_;
  ipc::DeviceInfo device_info_;
  UniqueFd device_fd_;
  UniqueFd udp_fd_;
  int udp_family_ = AF_INET6;
  uint16_t udp_port_ = 0;
  // Multi-link: each [link NAME]'s description and bound socket, by index,
  // sent instead of the one UDP socket.
  std::vector<ipc::LinkInfo> links_;
  std::vector<UniqueFd> link_fds_;
  std::unique_ptr<BufferPool> pool_;
  // The device was opened with a virtio-net header and TCP offloads
  // (priv/device.cc): reads may be super-packets, writes are coalesced.
  bool vnet_ = false;
  std::unique_ptr<uint8_t[]> super_buf_;
  std::unique_ptr<GroBatch> gro_;
  // One socket per link (index = link; one without link sections).
  std::vector<std::unique_ptr<UdpSocket>> socks_;
  std::vector<uint16_t> ports_;
  // After socks_: destroyed first, while the socket it uses is still open.
  std::unique_ptr<LanBeacon> beacon_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<Event> device_ev_;
  std::vector<std::unique_ptr<Event>> udp_evs_;
  std::unique_ptr<Timer> pace_;
  uint64_t pace_at_ns_ = UINT64_MAX;
  std::unique_ptr<Timer> tick_;
  // Asks the home gateway to forward udp_port_ (its own worker thread).
  std::unique_ptr<PortMapper> portmap_;
  std::unique_ptr<UniqueFd> log_fd_;
  ipc::Identity identity_;
  bool has_identity_ = false;
  std::vector<identity::IpPrefix> claims_;
  // The peer state file, inside the chroot (the parent made /state ours).
  std::unique_ptr<KnownPeers> known_peers_;
  identity::TrustStore trust_;
  int status_ = 0;
  uint64_t ticks_ = 0;
  uint64_t device_errors_ = 0;
  uint64_t device_malformed_ = 0;
  uint64_t started_ns_ = 0;
  uint64_t last_reload_ns_ = 0;
  // The control socket (until start) and its server; the stats file's
  // timer, when the parent writes one.
  UniqueFd control_fd_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<Timer> stats_timer_;
};

Engine::Engine(UniqueFd ipc) : base_(make_event_base()) {
  channel_ = std::make_unique<ipc::Channel>(
      base_.get(), std::move(ipc), ipc::Side::kEngine,
      [this](ipc::MsgType t, std::span<const uint8_t> p, UniqueFd fd) {
        on_message(t, p, std::move(fd));
      },
      [this](const std::string& reason) { on_close(reason); });
}

int Engine::run() {
  std::vector<uint8_t> hello;
  ipc::encode(ipc::Hello{static_cast<uint32_t>(getpid())}, &hello);
  channel_->send(ipc::MsgType::kHello, hello);
  event_base_dispatch(base_.get());
  if (node_) flush();
  return status_;
}

void Engine::on_close(const std::string& reason) {
  if (reason.empty()) {
    log_info("parent has gone; leaving");
    shutdown(0);
  } else {
    log_warnx("IPC channel broken: %s", reason.c_str());
    shutdown(1);
  }
}

void Engine::shutdown(int status) {
  status_ = status;
  if (node_) {
    if (known_peers_) known_peers_->save(*node_, clock_.unix_s());
    node_->close_all();
    node_->on_timer();
    flush();
  }
  // Removes the gateway's mapping: bounded well within the parent's grace
  // period for the engine to exit.
  portmap_.reset();
  event_base_loopbreak(base_.get());
}

void Engine::on_message(ipc::MsgType type, std::span<const uint8_t> payload, UniqueFd fd) {
  using ipc::MsgType;
  std::string why;
  switch (type) {
    case MsgType::kConfig:
      if (!ipc::decode(payload, &config_, &why)) break;
      log_set_level(config_.log_level);
      channel_->set_state(ipc::engine_state::kConfigured);
      return;
    case MsgType::kDevice:
      if (!ipc::decode(payload, &device_info_, &why)) break;
      if (device_fd_) { why = "second device"; break; }
      device_fd_ = std::move(fd);
      return;
    case MsgType::kUdpSocket: {
      ipc::UdpSocketInfo info;
      if (!ipc::decode(payload, &info, &why)) break;
      if (udp_fd_) { why = "second UDP socket"; break; }
      if (!link_fds_.empty()) { why = "UDP socket after links"; break; }
      udp_fd_ = std::move(fd);
      udp_family_ = info.family == 4 ? AF_INET : AF_INET6;
      udp_port_ = info.port;
      return;
    }
    case MsgType::kLink: {
      ipc::LinkInfo info;
      if (!ipc::decode(payload, &info, &why)) break;
      if (udp_fd_) { why = "link after the UDP socket"; break; }
      if (info.index != links_.size()) { why = "link out of order"; break; }
      links_.push_back(std::move(info));
      link_fds_.push_back(std::move(fd));
      return;
    }
    case MsgType::kIdentity: {
      if (has_identity_) { why = "second identity"; break; }
      if (!ipc::decode(payload, &identity_, &why)) break;
      for (const auto& ca : identity_.cas)
        if (!trust_.add_ca(ca, &why)) break;
      if (!why.empty()) { why = "CA certificate: " + why; break; }
      has_identity_ = true;
      return;
    }
    case MsgType::kRevocationList: {
      ipc::RevocationListMsg m;
      if (!ipc::decode(payload, &m, &why)) break;
      // The parent checked the list; one the engine still refuses (an
      // older list after a newer) leaves the installed one in force.
      bool ok = node_ ? node_->add_revocation_list(m.encoded, &why)
                      : trust_.add_revocation_list(m.encoded, &why);
      if (!ok) log_warnx("revocation list refused: %s", why.c_str());
      return;
    }
    case MsgType::kCertificate: {
      ipc::CertificateMsg m;
      if (!ipc::decode(payload, &m, &why)) break;
      // The parent checked it against the same CAs and clock: a refusal
      // here keeps the running certificate, with a word in the log.
      std::string refused;
      if (!node_->renew_certificate(m.encoded, &refused))
        log_warnx("renewed certificate refused: %s; the running one stays", refused.c_str());
      return;
    }
    case MsgType::kTrustedCas: {
      ipc::TrustedCasMsg m;
      if (!ipc::decode(payload, &m, &why)) break;
      std::string refused;
      if (!node_->set_trusted_cas(m.cas, &refused))
        log_warnx("CA certificates refused: %s; the running ones stay", refused.c_str());
      return;
    }
    case MsgType::kSharedKey: {
      ipc::SharedKeyMsg m;
      if (!ipc::decode(payload, &m, &why)) break;
      std::string refused;
      if (!node_->set_shared_key(m.psk, &refused))
        log_warnx("shared key refused: %s", refused.c_str());
      sodium_memzero(m.psk.data(), m.psk.size());
      return;
    }
    case MsgType::kClaims: {
      ipc::ClaimsMsg m;
      if (!ipc::decode(payload, &m, &why)) break;
      claims_.clear();
      for (const ipc::Claim& c : m.claims) {
        identity::IpPrefix p;
        p.family = c.family;
        p.addr = c.addr;
        p.len = c.len;
        claims_.push_back(p);
      }
      // A reload's: peers hear the new list at once.
      if (node_) {
        for (const auto& c : claims_) log_info("claiming %s", identity::format_prefix(c).c_str());
        node_->set_claims(claims_);
      }
      return;
    }
    case MsgType::kPeerSet: {
      ipc::PeerSet m;
      if (!ipc::decode(payload, &m, &why)) break;
      if (m.op == ipc::PeerOp::kAdd) {
        // Indices are never reused: an addition takes the next one.
        if (m.index != config_.peers.size()) { why = "added peer out of order"; break; }
        if (m.link != ipc::kAnyLink && m.link >= std::max<size_t>(1, links_.size())) {
          why = "added peer's link out of range";
          break;
        }
        log_info("peer %s added", m.name.c_str());
        config_.peers.push_back(m.name);
        config_.peer_links.push_back(m.link);
        node_->add_target(m.name, m.link != ipc::kAnyLink ? m.link : -1);
      } else {
        if (m.index >= config_.peers.size()) { why = "peer index out of range"; break; }
        log_info("peer %s removed", config_.peers[m.index].c_str());
        node_->retire_target(m.index);
      }
      return;
    }
    case MsgType::kLinkSet: {
      ipc::LinkInfo m;
      if (!ipc::decode(payload, &m, &why)) break;
      if (m.index >= links_.size()) { why = "no such link"; break; }
      const ipc::LinkInfo& running = links_[m.index];
      if (m.name != running.name || m.family != running.family || m.port != running.port ||
          m.ifname != running.ifname) {
        why = "link changed what needs a new socket";
        break;
      }
      links_[m.index] = m;
      node_->links()[m.index].reconfigure(link_config(m));
      log_info("link %s: bandwidth %llu kbit/s, weight %u%s", m.name.c_str(),
               static_cast<unsigned long long>(m.bandwidth * 8 / 1000), m.weight,
               m.fallback_only ? ", fallback only" : "");
      return;
    }
    case MsgType::kSettings: {
      ipc::Settings m;
      if (!ipc::decode(payload, &m, &why)) break;
      apply_settings(m);
      return;
    }
    case MsgType::kControlSocket:
      if (control_fd_) { why = "second control socket"; break; }
      control_fd_ = std::move(fd);
      return;
    case MsgType::kStart:
      if (!device_fd_ || (!udp_fd_ && link_fds_.empty()) || !has_identity_) {
        why = "start before device, socket or links, and identity";
        break;
      }
      channel_->set_state(ipc::engine_state::kRunning);
      start();
      return;
    case MsgType::kPeerAddresses: {
      ipc::PeerAddresses pa;
      if (!ipc::decode(payload, &pa, &why)) break;
      if (pa.peer_index >= config_.peers.size()) { why = "peer index out of range"; break; }
      std::vector<Endpoint> addrs;
      for (const auto& a : pa.addresses)
        addrs.push_back(Endpoint::from_bytes(a.family, a.addr.data(), a.port));
      log_debug("peer %s: %zu address(es)", config_.peers[pa.peer_index].c_str(), addrs.size());
      node_->set_target_addresses(pa.peer_index, std::move(addrs));
      return;
    }
    case MsgType::kLogFd: {
      // Switch first, then close the old file: no line (from the
      // port-mapping thread either) goes to a closed descriptor.
      auto next = std::make_unique<UniqueFd>(std::move(fd));
      log_to_fd(next->get());
      log_fd_ = std::move(next);
      return;
    }
    case MsgType::kShutdown:
      log_info("shutting down");
      shutdown(0);
      return;
    default:
      why = "unexpected message";
      break;
  }
  // The channel has already checked direction, state and length; reaching
  // here means the parent sent something inconsistent: stop.
  log_warnx("IPC: bad %s from parent: %s", ipc::type_name(type), why.c_str());
  shutdown(1);
}

void Engine::report_link(uint8_t index, bool up) {
  std::vector<uint8_t> buf;
  // An index the parent does not know would be a violation there.
  if (index >= std::max<size_t>(1, links_.size()) ||
      !ipc::encode(ipc::LinkStatus{index, static_cast<uint8_t>(up ? 1 : 0)}, &buf)) {
    log_warnx("link %u: no such link to report", index);
    return;
  }
  channel_->send(ipc::MsgType::kLinkStatus, buf);
}

void Engine::start() {
  if (!set_nonblocking(device_fd_.get())) fatal("device fd");
  size_t mtu = device_info_.mtu;
  size_t frame = mtu + (device_info_.type == ipc::DeviceType::kTap ? kEthernetHeaderLen : 0);
  size_t bufsize = std::max<size_t>(2048, kTransportOverhead + kRelayOverhead + frame + 64);
  // Multi-link holds packets too: in each link's queue and in each
  // peer's reorder buffer.
  pool_ = std::make_unique<BufferPool>(links_.empty() ? kPoolBuffers : kMultiLinkPoolBuffers,
                                       bufsize);
  if (udp_fd_) {
    socks_.push_back(std::make_unique<UdpSocket>(std::move(udp_fd_), udp_family_, *pool_));
    ports_.push_back(udp_port_);
  }
  for (size_t i = 0; i < link_fds_.size(); ++i) {
    int family = links_[i].family == 4 ? AF_INET : AF_INET6;
    socks_.push_back(std::make_unique<UdpSocket>(std::move(link_fds_[i]), family, *pool_));
    ports_.push_back(links_[i].port);
  }
  // The largest datagram sent directly; relayed ones are longer and go
  // unbatched (udp.h).
  for (auto& s : socks_) s->set_gso_max_segment(kTransportOverhead + frame);
  ifreq ifr{};
  vnet_ = ioctl(device_fd_.get(), TUNGETIFF, &ifr) == 0 && (ifr.ifr_flags & IFF_VNET_HDR);
  if (vnet_) {
    super_buf_ = std::make_unique<uint8_t[]>(kSuperPacketMax);
    gro_ = std::make_unique<GroBatch>(*pool_, [this](const iovec* iov, int n) {
      if (writev(device_fd_.get(), iov, n) < 0) ++device_errors_;
    });
  }

  NodeConfig nc;
  nc.magic = config_.magic;
  switch (config_.crypto) {
    case ipc::CryptoKind::kChaCha20: nc.cipher = crypto::TransportCipher::kChaCha20Poly1305; break;
    case ipc::CryptoKind::kAes256: nc.cipher = crypto::TransportCipher::kAes256Gcm; break;
    case ipc::CryptoKind::kPlain: nc.cipher = crypto::TransportCipher::kNone; break;
  }
  if (config_.has_psk) nc.psk = config_.psk;
  nc.static_private = identity_.static_private;
  nc.certificate = identity_.certificate;
  nc.trust = std::move(trust_);
  nc.tap = device_info_.type == ipc::DeviceType::kTap;
  nc.keepalive_s = config_.keepalive_s;
  nc.peer_timeout_s = config_.peer_timeout_s;
  nc.dst_timeout_s = config_.dst_timeout_s;
  // normal: a switch on a tap device, a router on tun.
  switch (config_.mode) {
    case ipc::EngineMode::kHub: nc.forward = ForwardMode::kHub; break;
    case ipc::EngineMode::kSwitch: nc.forward = ForwardMode::kSwitch; break;
    case ipc::EngineMode::kRouter: nc.forward = ForwardMode::kRouter; break;
    case ipc::EngineMode::kNormal:
      nc.forward = nc.tap ? ForwardMode::kSwitch : ForwardMode::kRouter;
      break;
  }
  nc.claims = claims_;
  nc.lan_discovery = config_.lan_discovery;
  for (const ipc::LinkInfo& l : links_) nc.links.push_back(link_config(l));
  nc.probe_interval_ns = uint64_t{config_.probe_interval_ms} * kNsPerMs;
  nc.priority_copies = config_.priority_copies;
  nc.relay = config_.relay;
  nc.max_peers = config_.max_peers;
  nc.tunnel_refresh_ns = uint64_t{config_.tunnel_refresh_s} * kNsPerSec;
  for (const auto& c : claims_) log_info("claiming %s", identity::format_prefix(c).c_str());
  node_ = std::make_unique<Node>(nc, clock_, *pool_, *this);
  sodium_memzero(identity_.static_private.data(), identity_.static_private.size());
  sodium_memzero(nc.static_private.data(), nc.static_private.size());
  // The node holds the PSK now; a reload's SharedKey replaces it there.
  sodium_memzero(config_.psk.data(), config_.psk.size());
  if (nc.psk) sodium_memzero(nc.psk->data(), nc.psk->size());
  for (size_t i = 0; i < config_.peers.size(); ++i)
    node_->add_target(config_.peers[i], i < config_.peer_links.size() && config_.peer_links[i] != 255
                                            ? config_.peer_links[i]
                                            : -1);
  if (config_.state_file) {
    known_peers_ = std::make_unique<KnownPeers>("/state/peers");
    known_peers_->load(*node_, clock_.now_ns(), clock_.unix_s());
  }
  rescan_endpoints();
  // Beacons and the gateway's port mapping serve the first link (without
  // link sections, the one socket).
  int family0 = udp_family_;
  if (!links_.empty()) family0 = links_[0].family == 4 ? AF_INET : AF_INET6;
  if (config_.lan_discovery) {
    beacon_ = std::make_unique<LanBeacon>(socks_[0]->fd(), family0, ports_[0],
                                          device_info_.ifname);
    send_beacon();
  }

  device_ev_ = std::make_unique<Event>(base_.get(), device_fd_.get(), EV_READ | EV_PERSIST,
                                       [this](int, short) { on_device_readable(); });
  for (size_t i = 0; i < socks_.size(); ++i) {
    udp_evs_.push_back(std::make_unique<Event>(
        base_.get(), socks_[i]->fd(), EV_READ | EV_PERSIST,
        [this, i](int, short) { on_udp_readable(static_cast<uint8_t>(i)); }));
    udp_evs_.back()->add();
  }
  device_ev_->add();
  pace_ = std::make_unique<Timer>(base_.get(), [this] {
    pace_at_ns_ = UINT64_MAX;
    node_->on_timer();
    flush();
    arm_pacing();
  });
  tick_ = std::make_unique<Timer>(base_.get(), [this] { on_tick(); });
  tick_->start(static_cast<int>(Node::kTickMs));
  log_info("node %s up on %s (mtu %u)", short_id(node_->id()).c_str(),
           device_info_.ifname.c_str(), device_info_.mtu);
  if (config_.port_forwarding && ports_[0] != 0)
    portmap_ = std::make_unique<PortMapper>(ports_[0]);
  started_ns_ = clock_.now_ns();
  if (control_fd_)
    control_ = std::make_unique<ControlServer>(
        base_.get(), std::move(control_fd_),
        [this](const ControlRequest& req) { return on_control(req); });
  // The first file once the first handshakes had a chance.
  schedule_stats(5);
  channel_->send(ipc::MsgType::kReady, {});
}

void Engine::schedule_stats(uint32_t first_s) {
  if (!stats_timer_)
    stats_timer_ = std::make_unique<Timer>(base_.get(), [this] {
      send_stats();
      schedule_stats(config_.stats_interval_s);
    });
  stats_timer_->stop();
  if (config_.stats_interval_s == 0) return;
  stats_timer_->start(static_cast<int>(std::min(first_s, config_.stats_interval_s) * 1000));
}

// A reload: the parent checked the rest of the configuration and applied
// its own share.
void Engine::apply_settings(const ipc::Settings& s) {
  log_set_level(s.log_level);
  config_.log_level = s.log_level;
  bool stats_changed = s.stats_interval_s != config_.stats_interval_s;
  config_.stats_interval_s = s.stats_interval_s;
  config_.stats_format = s.stats_format;
  if (stats_changed) schedule_stats(1);
}

EngineStatus Engine::engine_status() const {
  EngineStatus st;
  st.version = PACKAGE_VERSION;
  st.interface = device_info_.ifname;
  st.tap = device_info_.type == ipc::DeviceType::kTap;
  st.mtu = device_info_.mtu;
  switch (config_.mode) {
    case ipc::EngineMode::kHub: st.mode = "hub"; break;
    case ipc::EngineMode::kSwitch: st.mode = "switch"; break;
    case ipc::EngineMode::kRouter: st.mode = "router"; break;
    case ipc::EngineMode::kNormal: st.mode = st.tap ? "switch" : "router"; break;
  }
  switch (config_.crypto) {
    case ipc::CryptoKind::kChaCha20: st.crypto = "chacha20"; break;
    case ipc::CryptoKind::kAes256: st.crypto = "aes256"; break;
    case ipc::CryptoKind::kPlain: st.crypto = "plain"; break;
  }
  st.security = !identity_.certificate.empty() ? "certificates"
                : config_.has_psk               ? "shared key"
                                                : "no key";
  st.started_ns = started_ns_;
  st.ports = ports_;
  for (const auto& s : socks_) {
    st.udp_sent += s->sent();
    st.udp_send_errors += s->send_errors();
    st.udp_truncated += s->truncated();
  }
  st.device_errors = device_errors_;
  st.device_malformed = device_malformed_;
  st.control_requests = control_ ? control_->requests() : 0;
  return st;
}

ControlAnswer Engine::on_control(const ControlRequest& req) {
  if (req.command == ControlCommand::kReload) {
    // One a second at most: each one has the parent read files and log.
    uint64_t now = clock_.now_ns();
    if (last_reload_ns_ != 0 && now - last_reload_ns_ < kNsPerSec)
      return {ControlCode::kFailed, "a reload was asked for less than a second ago", ""};
    last_reload_ns_ = now;
    // The parent re-reads what it owns; its answer is in the log.
    channel_->send(ipc::MsgType::kReload, {});
    return {ControlCode::kOk, "reload requested: its outcome is in braid's log", ""};
  }
  ControlAnswer a;
  std::string error;
  if (!render(req.command, req.format, *node_, engine_status(), clock_.now_ns(), &a.body,
              &error))
    return {ControlCode::kBadRequest, error, ""};
  return a;
}

// The file goes in pieces of one frame each, the last one marked; the
// parent holds at most kMaxStatsFile of them, which no network of
// kMaxDirectPeers nodes comes near.
void Engine::send_stats() {
  ControlFormat fmt = ControlFormat::kText;
  if (config_.stats_format == ipc::StatsFormat::kJson) fmt = ControlFormat::kJson;
  if (config_.stats_format == ipc::StatsFormat::kPrometheus) fmt = ControlFormat::kPrometheus;
  std::string text = render_stats_file(fmt, *node_, engine_status(), clock_.now_ns());
  if (text.size() > ipc::kMaxStatsFile) {
    log_warnx("stats file of %zu bytes is over the limit of %zu; not written", text.size(),
              ipc::kMaxStatsFile);
    return;
  }
  std::vector<uint8_t> frame;
  size_t at = 0;
  do {
    size_t n = std::min<size_t>(text.size() - at, ipc::kMaxPayload - 1);
    frame.assign(1, at + n == text.size() ? ipc::kStatsLast : ipc::kStatsMore);
    frame.insert(frame.end(), text.begin() + static_cast<ptrdiff_t>(at),
                 text.begin() + static_cast<ptrdiff_t>(at + n));
    channel_->send(ipc::MsgType::kStats, frame);
    at += n;
  } while (at < text.size());
}

void Engine::on_device_readable() {
  if (vnet_)
    read_device_super_packets();
  else
    read_device_packets();
  flush();
  arm_pacing();
}

void Engine::read_device_super_packets() {
  for (size_t i = 0; i < kDeviceSuperReads; ++i) {
    ssize_t n = read(device_fd_.get(), super_buf_.get(), kSuperPacketMax);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EINTR) log_warn("device read");
      return;
    }
    auto r = split_gso({super_buf_.get(), static_cast<size_t>(n)}, Node::kHeadroom, kTagLen,
                       *pool_, [this](PacketBuf* b) { node_->on_device_packet(b); });
    if (r.status != SplitStatus::kOk) ++device_malformed_;
  }
}

void Engine::read_device_packets() {
  for (size_t i = 0; i < kDeviceBatch; ++i) {
    PacketBuf* b = pool_->get(Node::kHeadroom);
    if (b == nullptr) break;
    ssize_t n = read(device_fd_.get(), b->data(), b->capacity - Node::kHeadroom - kTagLen);
    if (n <= 0) {
      pool_->put(b);
      if (n < 0 && errno != EAGAIN && errno != EINTR) log_warn("device read");
      break;
    }
    b->len = static_cast<size_t>(n);
    node_->on_device_packet(b);
  }
}

void Engine::on_udp_readable(uint8_t link) {
  // Bounded so the device side gets its turn under a flood.
  for (int round = 0; round < 4; ++round) {
    size_t n = socks_[link]->receive([this, link](const Endpoint& from, PacketBuf* b) {
      node_->on_udp_packet(from, b, link);
    });
    if (n < UdpSocket::kBatch) break;
  }
  if (gro_) gro_->flush();
  flush();
  arm_pacing();
}

void Engine::flush() {
  for (auto& s : socks_) s->flush();
}

void Engine::arm_pacing() {
  uint64_t at = node_->next_timer_ns();
  if (at == UINT64_MAX || at >= pace_at_ns_) return;
  uint64_t now = clock_.now_ns();
  pace_at_ns_ = at;
  // Rounded up: early, the pacer would still have nothing to give.
  pace_->start_us(at > now ? (at - now + 999) / 1000 : 0);
}

void Engine::rescan_endpoints() {
  std::vector<Endpoint> all;
  for (size_t i = 0; i < socks_.size(); ++i) {
    const char* ifname = i < links_.size() ? links_[i].ifname.c_str() : nullptr;
    std::vector<Endpoint> mine = scan_local_endpoints(socks_[i]->fd(), ports_[i], ifname);
    all.insert(all.end(), mine.begin(), mine.end());
    if (!links_.empty()) node_->set_link_endpoints(i, std::move(mine));
  }
  node_->set_local_endpoints(std::move(all));
}

void Engine::write_device(PacketBuf* buf) {
  if (gro_) {
    gro_->add(buf);
    return;
  }
  // The kernel refuses malformed inner packets; a peer can cause that, so
  // it is only counted.
  if (write(device_fd_.get(), buf->data(), buf->len) < 0) ++device_errors_;
  pool_->put(buf);
}

void Engine::send_beacon() {
  std::array<uint8_t, kBeaconLen> b;
  write_beacon(config_.magic, node_->id(), node_->network_mac_key(), b.data());
  size_t n = beacon_->send(b);
  log_debug("LAN beacon sent on %zu interface(s)", n);
}

void Engine::on_tick() {
  node_->on_tick();
  if (known_peers_) known_peers_->tick(*node_, clock_.now_ns(), clock_.unix_s());
  if (ticks_ % kBeaconTicks == kBeaconTicks - 1) {
    // Addresses change (DHCP, roaming): what decides whether a peer sees
    // us through a NAT is rescanned as often as beacons go.
    rescan_endpoints();
    if (beacon_) send_beacon();
  }
  // With -v -v the counters are logged every ten seconds: the quickest way
  // to see why packets go missing.
  if (++ticks_ % 100 == 0 && log_level() >= LogLevel::kDebug) log_counters();
  flush();
  arm_pacing();
  tick_->start(static_cast<int>(Node::kTickMs));
}

void Engine::log_counters() {
  uint64_t sent = 0, send_errors = 0, truncated = 0;
  for (auto& s : socks_) {
    sent += s->sent();
    send_errors += s->send_errors();
    truncated += s->truncated();
  }
  const Counters& c = node_->counters();
  log_debug("counters: rx %llu tx %llu dev-rx %llu dev-tx %llu drops: foreign %llu "
            "malformed %llu index %llu auth %llu replay %llu expired %llu no-peer %llu "
            "no-buffer %llu rate %llu mac %llu unauthorized %llu; cookies sent %llu "
            "received %llu; handshakes ok %llu failed %llu refused %llu; send errors %llu; "
            "device errors %llu malformed %llu; truncated %llu; mesh: no-route %llu "
            "control rx %llu tx %llu bad %llu claims-refused %llu learnt %llu beacons %llu "
            "candidates %zu; held for new keys %llu dropped %llu; link queues full %llu, path "
            "changes %llu",
            (unsigned long long)c.rx_packets, (unsigned long long)sent,
            (unsigned long long)c.device_rx, (unsigned long long)c.device_tx,
            (unsigned long long)c.drop_foreign, (unsigned long long)c.drop_malformed,
            (unsigned long long)c.drop_unknown_index, (unsigned long long)c.drop_auth,
            (unsigned long long)c.drop_replay, (unsigned long long)c.drop_expired,
            (unsigned long long)c.drop_no_peer, (unsigned long long)c.drop_no_buffer,
            (unsigned long long)c.drop_rate_limited, (unsigned long long)c.drop_mac,
            (unsigned long long)c.drop_unauthorized, (unsigned long long)c.cookie_sent,
            (unsigned long long)c.cookie_received, (unsigned long long)c.handshake_ok,
            (unsigned long long)c.handshake_failed, (unsigned long long)c.handshake_refused,
            (unsigned long long)send_errors,
            (unsigned long long)device_errors_, (unsigned long long)device_malformed_,
            (unsigned long long)truncated, (unsigned long long)c.drop_no_route,
            (unsigned long long)c.control_rx, (unsigned long long)c.control_tx,
            (unsigned long long)c.drop_control, (unsigned long long)c.claims_refused,
            (unsigned long long)c.peers_learnt, (unsigned long long)c.beacons_rx,
            node_->candidates().size(), (unsigned long long)c.stashed,
            (unsigned long long)c.drop_stash, (unsigned long long)c.drop_link_queue,
            (unsigned long long)c.path_changes);
  uint64_t now = clock_.now_ns();
  // Relaying and routing: what went through relays, and the route table.
  log_debug("relaying: forwarded %llu pkts %llu bytes; ours through relays tx %llu rx %llu; "
            "drops: relay %llu hop-limit %llu; direct peers %zu; routes %zu, changes %llu",
            (unsigned long long)c.forwarded, (unsigned long long)c.forwarded_bytes,
            (unsigned long long)c.relayed_tx, (unsigned long long)c.relayed_rx,
            (unsigned long long)c.drop_relay, (unsigned long long)c.drop_hop_limit,
            node_->direct_peers(), node_->routes().size(), (unsigned long long)c.route_changes);
  for (const RouteTable::Row& r : node_->routes().rows(now)) {
    if (r.metric == kMetricInfinity)
      log_debug("route %s: unreachable (seqno %u, %zu announcing)", short_id(r.dest).c_str(),
                r.seqno, r.routes);
    else
      log_debug("route %s via %s: metric %u seqno %u, updated %llu s ago (%zu announcing)",
                short_id(r.dest).c_str(), short_id(r.next_hop).c_str(), r.metric, r.seqno,
                (unsigned long long)(r.age_ns / kNsPerSec), r.routes);
  }
  // Multi-link: each link and each path to each peer.
  if (links_.empty()) return;
  for (const Link& l : node_->links())
    log_debug("link %s: %s, paced at %llu kbit/s (0: not paced), tx %llu pkts %llu bytes rx "
              "%llu pkts %llu bytes, queue %zu, dropped %llu",
              l.name().c_str(), l.up ? "up" : "down",
              (unsigned long long)(l.rate() * 8 / 1000),
              (unsigned long long)l.stats.tx_packets, (unsigned long long)l.stats.tx_bytes,
              (unsigned long long)l.stats.rx_packets, (unsigned long long)l.stats.rx_bytes,
              l.queued(), (unsigned long long)l.stats.drop_queue);
  for (const Peer* p : node_->peers()) {
    if (p->reorder) {
      const ReorderBuffer::Stats& r = p->reorder->stats();
      log_debug("reorder %s: hold %llu ms, held %zu; in order %llu, reordered %llu, late %llu, "
                "gaps given up %llu, overflow %llu", p->name().c_str(),
                (unsigned long long)(p->reorder->hold() / kNsPerMs), p->reorder->held(),
                (unsigned long long)r.in_order, (unsigned long long)r.reordered,
                (unsigned long long)r.late, (unsigned long long)r.gaps_skipped,
                (unsigned long long)r.overflow);
    }
    for (const Path& path : p->paths)
      log_debug("path %s %s -> %s: %s for %llu s, rtt %llu.%03llu ms var %llu.%03llu loss "
                "%u.%u%% tx %llu pkts %llu bytes rx %llu pkts %llu bytes",
                p->name().c_str(), node_->links()[path.link].name().c_str(),
                path.remote.str().c_str(), path_state_name(path.monitor.state()),
                (unsigned long long)((now - std::max(path.monitor.last_change_ns(),
                                                     path.created_ns)) / kNsPerSec),
                (unsigned long long)(path.monitor.srtt_ns() / kNsPerMs),
                (unsigned long long)(path.monitor.srtt_ns() / 1000 % 1000),
                (unsigned long long)(path.monitor.rttvar_ns() / kNsPerMs),
                (unsigned long long)(path.monitor.rttvar_ns() / 1000 % 1000),
                path.monitor.loss_permille() / 10, path.monitor.loss_permille() % 10,
                (unsigned long long)path.tx_packets, (unsigned long long)path.tx_bytes,
                (unsigned long long)path.rx_packets, (unsigned long long)path.rx_bytes);
  }
}

}  // namespace

int run_engine(UniqueFd ipc) {
  Engine engine(std::move(ipc));
  return engine.run();
}

}  // namespace braid::engine
