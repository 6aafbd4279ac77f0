// The parent process. It never parses network input: all it receives is
// the engine's IPC frames, each checked against the rule table in
// ipc/proto.h, and it acts only on its own copy of the configuration.
#include "priv/parent.h"
#include "priv/parent_process.h"

#include <fcntl.h>
#include <sodium.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <tuple>

#include "common/ev.h"
#include "common/log.h"
#include "crypto/psk.h"
#include "crypto/sodium.h"
#include "ipc/channel.h"
#include "ipc/messages.h"
#include "priv/device.h"
#include "priv/hooks.h"
#include "priv/identity_files.h"
#include "priv/network.h"
#include "config/reload.h"
#include "priv/control_socket.h"
#include "priv/notify.h"
#include "priv/sandbox.h"
#include "priv/status_hook.h"

namespace braid::priv {
namespace {

// Peer names are resolved again this often, so a peer whose address
// changes (dynamic DNS) is found again.
constexpr int kResolveIntervalMs = 60 * 1000;
// How long the engine gets to say goodbye before it is killed.
constexpr int kShutdownGraceMs = 3000;
// How long the status hooks still queued at exit (the last link_down and
// tunnel_down among them) may take before ifdown runs.
constexpr int kStatusHookGraceMs = 3000;
// The name of the one implicit link of a configuration without [link]
// sections, as the status hook sees it.
constexpr const char* kDefaultLinkName = "default";

}  // namespace

bool Parent::setup(std::string* error) {
  crypto::init();
  if (cfg_.crypto == config::Crypto::kAes256 && !crypto::aes256gcm_available()) {
    *error = "crypto = aes256 needs a CPU with AES-NI, which this one lacks: use chacha20";
    return false;
  }
  if (cfg_.crypto == config::Crypto::kPlain)
    log_warnx("crypto = plain: traffic is neither encrypted nor authenticated");
  if (!cfg_.shared_key.empty()) {
    if (!stretch_key(cfg_.shared_key, &psk_, error)) return false;
    has_psk_ = true;
  }
  uint64_t now_s = static_cast<uint64_t>(time(nullptr));
  if (!load_identity(cfg_, now_s, &identity_, &trust_, error)) return false;
  if (!load_revocation_lists(cfg_, &trust_, &revocation_lists_, error)) return false;
  *error = check_own_certificate(cfg_, identity_, trust_, now_s);
  if (!error->empty()) return false;
  own_certificate_ = identity_.certificate;
  crypto_scalarmult_base(node_id_.data(), identity_.static_private.data());
  cas_ = identity_.cas;
  if (!resolve_identity(cfg_.user, cfg_.group, &sandbox_, error)) return false;
  // A state directory is the engine's root instead of the chroot: root's,
  // with one subdirectory the engine may write, whose contents the parent
  // never reads.
  if (cfg_.state_dir.empty()) {
    sandbox_.chroot_dir = cfg_.chroot_dir;
    if (!prepare_chroot_dir(cfg_.chroot_dir, error)) return false;
  } else {
    sandbox_.chroot_dir = cfg_.state_dir;
    if (!prepare_state_dir(cfg_.state_dir, sandbox_.uid, sandbox_.gid, error)) return false;
  }
  if (!encode_engine_config(error)) return false;
  control_path_ = config::control_socket_path(cfg_);
  if (!control_path_.empty()) {
    control_ = open_control_socket(control_path_, sandbox_.gid, error);
    if (!control_) {
      control_path_.clear();
      return false;
    }
  }

  bool tap = cfg_.device_type == config::DeviceType::kTap;
  device_ = open_device(cfg_.device_path, tap, cfg_.device_name, &ifname_, error);
  if (!device_) return false;
  mtu_ = cfg_.mtu;
  if (mtu_ == 0) mtu_ = underlay_mtu(ifname_) - tunnel_overhead(tap);
  if (!set_device_mtu(ifname_, mtu_, error)) return false;
  if (!open_sockets(error)) return false;
  if (cfg_.links.empty())
    log_info("device %s (%s, mtu %u), listening on UDP port %u", ifname_.c_str(),
             tap ? "tap" : "tun", mtu_, cfg_.port);
  else
    log_info("device %s (%s, mtu %u), %zu links", ifname_.c_str(), tap ? "tap" : "tun", mtu_,
             cfg_.links.size());
  return true;
}

// The main socket, or with [link] sections one socket per link, opened in
// index order.
bool Parent::open_sockets(std::string* error) {
  if (cfg_.links.empty()) {
    udp_ = open_udp_socket(cfg_.listen_address, cfg_.port, &udp_family_, error);
    return static_cast<bool>(udp_);
  }
  for (const config::LinkSpec& link : cfg_.links) {
    int family = AF_INET6;
    uint16_t port = link.port != 0 ? link.port : cfg_.port;
    UniqueFd fd = open_link_socket(link, port, &family, error);
    if (!fd) return false;
    log_info("link \"%s\": UDP port %u%s%s%s%s", link.name.c_str(), port,
             link.bind.empty() ? "" : " on ", link.bind.c_str(),
             link.device.empty() ? "" : " via ", link.device.c_str());
    link_fds_.push_back(std::move(fd));
    link_families_.push_back(family);
  }
  return true;
}

// Argon2id needs 64 MiB for a moment. Done in a short-lived child, that
// memory never counts against the long-running parent (nor the engine,
// which is forked from it): the daemon stays a few MiB for its whole life.
bool Parent::stretch_key(const std::string& shared_key, std::array<uint8_t, 32>* psk,
                         std::string* error) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) fatal("pipe");
  UniqueFd rd(fds[0]), wr(fds[1]);
  pid_t pid = fork();
  if (pid < 0) fatal("fork");
  if (pid == 0) {
    rd.reset();
    auto key = crypto::derive_psk(shared_key, cfg_.magic);
    ssize_t n = write(wr.get(), key.data(), key.size());
    sodium_memzero(key.data(), key.size());
    _exit(n == static_cast<ssize_t>(key.size()) ? 0 : 1);
  }
  wr.reset();
  size_t got = 0;
  while (got < psk->size()) {
    ssize_t n = read(rd.get(), psk->data() + got, psk->size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got != psk->size() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *error = "cannot stretch the shared key (out of memory?)";
    return false;
  }
  return true;
}

// --daemon: the original process waits until the engine reports ready (so
// start-up errors still reach the terminal's exit status), then exits.
bool Parent::daemonize() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) fatal("pipe");
  pid_t pid = fork();
  if (pid < 0) fatal("fork");
  if (pid > 0) {
    close(fds[1]);
    char c = 0;
    ssize_t n;
    while ((n = read(fds[0], &c, 1)) < 0 && errno == EINTR) {
    }
    _exit(n == 1 ? 0 : 1);
  }
  close(fds[0]);
  ready_pipe_.reset(fds[1]);
  if (setsid() < 0) fatal("setsid");
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    if (!log_fd_) dup2(null, STDERR_FILENO);
    close(null);
  }
  if (!log_fd_) log_to_syslog();
  return true;
}

bool Parent::fork_engine(UniqueFd& parent_end, UniqueFd engine_end) {
  pid_t pid = fork();
  if (pid < 0) fatal("fork");
  if (pid == 0) {
    log_set_procname("braid[engine]");
    // Stopping is the parent's decision: a Ctrl-C reaches the whole process
    // group, and an engine that died of it could not say goodbye. The
    // engine stops when told to over IPC or when the parent goes away.
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) signal(sig, SIG_IGN);
    // The parent's end must go, or the engine would never see end-of-file
    // when the parent dies. The engine gets its descriptors over IPC only,
    // after the sandbox.
    parent_end.reset();
    device_.reset();
    udp_.reset();
    control_.reset();
    link_fds_.clear();
    ready_pipe_.reset();
    channel_.reset();
    enter_sandbox(sandbox_);
    _exit(engine_main_(std::move(engine_end)));
  }
  engine_pid_ = pid;
  return true;
}

int Parent::run() {
  // Stop and reload signals wait until the event loop can handle them: a
  // SIGTERM or SIGHUP during start-up must not kill us with the device up
  // and no ifdown run.
  sigset_t held, old_mask;
  sigemptyset(&held);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&held, sig);
  sigprocmask(SIG_BLOCK, &held, &old_mask);
  notify_init();   // before any fork: only this process may notify systemd
  std::string error;
  if (!cfg_.log_file.empty()) reopen_log();
  if (!setup(&error)) {
    log_warnx("%s", error.c_str());
    return 1;
  }
  if (cfg_.daemon) daemonize();

  UniqueFd parent_end, engine_end;
  ipc::make_socketpair(&parent_end, &engine_end);
  // Our own writes to a dead engine must not kill us.
  signal(SIGPIPE, SIG_IGN);
  fork_engine(parent_end, std::move(engine_end));
  log_set_procname("braid[priv]");

  if (run_hook(cfg_.ifup, ifname_, "ifup") != 0) {
    log_warnx("ifup hook failed; stopping");
    kill(engine_pid_, SIGKILL);
    reap_engine(kShutdownGraceMs);
    return 1;
  }
  limit_parent_capabilities();
  std::vector<std::string> link_names;
  for (const config::LinkSpec& link : cfg_.links) link_names.push_back(link.name);
  if (link_names.empty()) link_names.push_back(kDefaultLinkName);
  status_hook_ = std::make_unique<StatusHook>(cfg_.status_hook, ifname_, std::move(link_names));

  base_ = make_event_base();
  channel_ = std::make_unique<ipc::Channel>(
      base_.get(), std::move(parent_end), ipc::Side::kParent,
      [this](ipc::MsgType t, std::span<const uint8_t> p, UniqueFd fd) {
        on_message(t, p, std::move(fd));
      },
      [this](const std::string& reason) { on_close(reason); });
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) {
    signals_.push_back(std::make_unique<Event>(base_.get(), sig, EV_SIGNAL | EV_PERSIST,
                                               [this, sig](int, short) {
      if (sig == SIGHUP) {
        reload();
      } else if (sig == SIGCHLD) {
        status_hook_->on_child();
        int status;
        if (engine_pid_ > 0 && waitpid(engine_pid_, &status, WNOHANG) == engine_pid_) {
          engine_pid_ = -1;
          engine_status_ = status;
          if (!stopping_) engine_failed_ = true;
          event_base_loopbreak(base_.get());
        }
      } else {
        stop(sig == SIGTERM ? "SIGTERM" : "SIGINT");
      }
    }));
    signals_.back()->add();
  }
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  resolve_timer_ = std::make_unique<Timer>(base_.get(), [this] {
    if (channel_->state() != ipc::parent_state::kRunning) return;
    resolve_all(false);
    resolve_timer_->start(kResolveIntervalMs);
  });
  kill_timer_ = std::make_unique<Timer>(base_.get(), [this] {
    log_warnx("engine did not stop in time; killing it");
    if (engine_pid_ > 0) kill(engine_pid_, SIGKILL);
  });

  event_base_dispatch(base_.get());

  channel_.reset();
  reap_engine(kShutdownGraceMs);
  // The tunnel is down with the engine: the hook hears it before ifdown.
  status_hook_->all_down();
  status_hook_->drain(kStatusHookGraceMs);
  status_hook_.reset();
  run_hook(cfg_.ifdown, ifname_, "ifdown");
  device_.reset();   // the kernel removes the interface with its last fd
  if (pid_file_written_) unlink(cfg_.pid_file.c_str());
  if (!control_path_.empty()) unlink(control_path_.c_str());
  bool clean = stopping_ && !engine_failed_ &&
               (stopped_early_ || (engine_status_ >= 0 && WIFEXITED(engine_status_) &&
                                   WEXITSTATUS(engine_status_) == 0));
  log_info("stopped%s", clean ? "" : " (engine failed)");
  return clean ? 0 : 1;
}

void Parent::on_message(ipc::MsgType type, std::span<const uint8_t> payload, UniqueFd) {
  switch (type) {
    case ipc::MsgType::kHello:
      channel_->set_state(ipc::parent_state::kAwaitReady);
      send_setup();
      return;
    case ipc::MsgType::kReady:
      if (stopping_) return;   // it crossed our Shutdown
      channel_->set_state(ipc::parent_state::kRunning);
      log_info("running on %s", ifname_.c_str());
      write_pid_file();
      if (ready_pipe_) {
        char c = 1;
        ssize_t ignored = write(ready_pipe_.get(), &c, 1);
        (void)ignored;
        ready_pipe_.reset();
      }
      notify_status("running on " + ifname_);
      notify_ready();
      resolve_timer_->start(kResolveIntervalMs);
      return;
    case ipc::MsgType::kLinkStatus:
      on_link_status(payload);
      return;
    case ipc::MsgType::kReload: {
      // The engine allows one a second; so do we, whatever it sends.
      uint64_t now_ms = static_cast<uint64_t>(time(nullptr)) * 1000;
      if (stopping_ || !reload_limiter_.allow(now_ms)) return;
      log_info("reload asked for on the control socket");
      reload();
      return;
    }
    case ipc::MsgType::kStats:
      write_stats(payload);
      return;
    default:
      break;
  }
  (void)payload;
  // The channel lets through only what the rule table allows in this
  // state, so this is unreachable; treat it as the violation it would be.
  on_close(std::string("unexpected ") + ipc::type_name(type));
}

// The engine names only an index and a bit; the hook's event, link name
// and device come from our own configuration. An index we never gave is a
// violation like any other.
void Parent::on_link_status(std::span<const uint8_t> payload) {
  ipc::LinkStatus status;
  std::string why;
  if (!ipc::decode(payload, &status, &why)) {
    on_close(why);
    return;
  }
  size_t count = std::max<size_t>(1, cfg_.links.size());
  if (status.index >= count) {
    on_close("LinkStatus for link " + std::to_string(status.index) + " of " +
             std::to_string(count));
    return;
  }
  // While stopping, the hook hears every link go down at exit instead.
  if (stopping_) return;
  status_hook_->link_changed(status.index, status.up == 1);
}

// Built during setup, so a configuration that does not fit the IPC
// message stops braid before the ifup hook has run.
bool Parent::encode_engine_config(std::string* error) {
  ipc::EngineConfig ec;
  ec.magic = cfg_.magic;
  ec.crypto = cfg_.crypto == config::Crypto::kAes256  ? ipc::CryptoKind::kAes256
              : cfg_.crypto == config::Crypto::kPlain ? ipc::CryptoKind::kPlain
                                                      : ipc::CryptoKind::kChaCha20;
  ec.has_psk = has_psk_;
  ec.psk = psk_;
  ec.mode = cfg_.mode == config::Mode::kHub      ? ipc::EngineMode::kHub
            : cfg_.mode == config::Mode::kSwitch ? ipc::EngineMode::kSwitch
            : cfg_.mode == config::Mode::kRouter ? ipc::EngineMode::kRouter
                                                 : ipc::EngineMode::kNormal;
  ec.port_forwarding = cfg_.port_forwarding;
  ec.lan_discovery = cfg_.lan_discovery;
  ec.state_file = !cfg_.state_dir.empty();
  ec.dst_timeout_s = cfg_.dst_timeout;
  ec.log_level = log_level();
  ec.peer_timeout_s = cfg_.peer_timeout;
  ec.keepalive_s = cfg_.keepalive;
  ec.probe_interval_ms = cfg_.probe_interval_ms;
  ec.priority_copies = static_cast<uint8_t>(cfg_.priority_copies);
  ec.relay = cfg_.relay;
  ec.max_peers = static_cast<uint16_t>(cfg_.max_peers);
  ec.tunnel_refresh_s = cfg_.tunnel_refresh;
  ec.stats_interval_s = cfg_.stats_file.empty() ? 0 : cfg_.stats_interval;
  ec.stats_format = stats_format(cfg_.stats_format);
  peers_ = config::configured_peers(cfg_);
  for (const auto& p : peers_) {
    ec.peers.push_back(config::format_peer(p.spec));
    ec.peer_links.push_back(ipc_link(p));
  }
  bool ok = ipc::encode(ec, &engine_config_);
  sodium_memzero(ec.psk.data(), ec.psk.size());
  sodium_memzero(psk_.data(), psk_.size());
  if (!ok) {
    *error = "too many peers (" + std::to_string(peers_.size()) +
             ", links' peers included) or peer names too long for the engine's configuration "
             "message";
    return false;
  }
  return true;
}

void Parent::send_setup() {
  channel_->send(ipc::MsgType::kConfig, engine_config_);
  // The message holds the PSK: wipe our copy (the channel's queued copy is
  // sent at once).
  sodium_memzero(engine_config_.data(), engine_config_.size());
  engine_config_.clear();
  channel_->set_state(ipc::parent_state::kAwaitReady);
  std::vector<uint8_t> buf;
  if (!ipc::encode(identity_, &buf)) fatalx("identity does not fit the IPC message");
  channel_->send(ipc::MsgType::kIdentity, buf);
  sodium_memzero(buf.data(), buf.size());
  sodium_memzero(identity_.static_private.data(), identity_.static_private.size());
  for (const auto& list : revocation_lists_)
    channel_->send(ipc::MsgType::kRevocationList, list);

  ipc::DeviceInfo di;
  di.type = cfg_.device_type == config::DeviceType::kTap ? ipc::DeviceType::kTap
                                                         : ipc::DeviceType::kTun;
  di.mtu = static_cast<uint16_t>(mtu_);
  di.ifname = ifname_;
  if (!ipc::encode(di, &buf)) fatalx("device %s (mtu %u) does not fit the IPC message", ifname_.c_str(), mtu_);
  channel_->send(ipc::MsgType::kDevice, buf, device_.get());

  if (cfg_.links.empty()) {
    ipc::UdpSocketInfo ui;
    ui.family = udp_family_ == AF_INET ? 4 : 6;
    ui.port = cfg_.port;
    if (!ipc::encode(ui, &buf)) fatalx("UDP socket description does not fit the IPC message");
    channel_->send(ipc::MsgType::kUdpSocket, buf, udp_.get());
    udp_.reset();   // the channel holds its own duplicate until it is sent
  } else {
    send_links();
  }
  // After ifup, which gave the device its addresses.
  ipc::ClaimsMsg claims = node_claims(cfg_, ifname_);
  if (!ipc::encode(claims, &buf)) fatalx("claims do not fit the IPC message");
  channel_->send(ipc::MsgType::kClaims, buf);
  claims_sent_ = buf;
  if (control_) {
    channel_->send(ipc::MsgType::kControlSocket, {}, control_.get());
    control_.reset();   // the channel holds its own duplicate until it is sent
  }
  channel_->send(ipc::MsgType::kStart, {});
  resolve_all(true);
}

// Each link with the values it inherits from [network] filled in, and its
// socket; in index order, as the engine requires.
void Parent::send_links() {
  std::vector<uint8_t> buf;
  for (size_t i = 0; i < cfg_.links.size(); ++i) {
    if (!ipc::encode(link_info(i), &buf))
      fatalx("link \"%s\" does not fit the IPC message", cfg_.links[i].name.c_str());
    channel_->send(ipc::MsgType::kLink, buf, link_fds_[i].get());
  }
  link_fds_.clear();   // the channel holds its own duplicates until they are sent
}

ipc::LinkInfo Parent::link_info(size_t index) const {
  const config::LinkSpec& link = cfg_.links[index];
  ipc::LinkInfo li;
  li.index = static_cast<uint8_t>(index);
  li.name = link.name;
  li.family = link_families_[index] == AF_INET ? 4 : 6;
  li.port = link.port != 0 ? link.port : cfg_.port;
  li.bandwidth = link.bandwidth;
  li.weight = static_cast<uint16_t>(link.weight);
  li.fallback_only = link.fallback_only;
  uint32_t loss = link.loss_tolerance >= 0 ? static_cast<uint32_t>(link.loss_tolerance)
                                           : cfg_.loss_tolerance;
  li.loss_tolerance_permille = static_cast<uint16_t>(loss * 10);
  li.latency_tolerance_ms = link.latency_tolerance_ms >= 0
                                ? static_cast<uint32_t>(link.latency_tolerance_ms)
                                : cfg_.latency_tolerance_ms;
  li.ifname = link.device;
  return li;
}

// The family to resolve peer `peer` for: the socket's that reaches it.
int Parent::peer_family(size_t peer, bool* v6_only) const {
  *v6_only = false;
  if (cfg_.links.empty()) return udp_family_;
  int link = peers_[peer].link;
  if (link >= 0) {
    *v6_only = link_families_[link] == AF_INET6 && !cfg_.links[link].bind.empty();
    return link_families_[link];
  }
  // Any link: both families when some link's socket takes IPv6.
  for (int family : link_families_)
    if (family == AF_INET6) return AF_INET6;
  return AF_INET;
}

void Parent::resolve_all(bool force) {
  resolved_.resize(peers_.size());
  for (size_t i = 0; i < peers_.size(); ++i) {
    if (peers_[i].retired) continue;
    bool v6_only;
    int family = peer_family(i, &v6_only);
    auto addrs = resolve_peer(peers_[i].spec, family, v6_only);
    // Round-robin DNS reorders the same addresses: compare as sets, so the
    // engine's backoff is reset only by a real change.
    auto key = [](const ipc::PeerAddress& a) { return std::tie(a.family, a.addr, a.port); };
    std::sort(addrs.begin(), addrs.end(),
              [&](const ipc::PeerAddress& x, const ipc::PeerAddress& y) { return key(x) < key(y); });
    bool same = addrs.size() == resolved_[i].size();
    for (size_t j = 0; same && j < addrs.size(); ++j) same = key(addrs[j]) == key(resolved_[i][j]);
    if (same && !force) continue;
    resolved_[i] = addrs;
    ipc::PeerAddresses pa;
    pa.peer_index = static_cast<uint16_t>(i);
    pa.addresses = std::move(addrs);
    std::vector<uint8_t> buf;
    if (ipc::encode(pa, &buf)) channel_->send(ipc::MsgType::kPeerAddresses, buf);
  }
}

// The engine's text goes to the file as it is (the channel checked that it
// holds no control bytes); the path is ours. A failure is logged, at most
// once a minute, and braid goes on.
void Parent::write_stats(std::span<const uint8_t> piece) {
  // A piece that crossed a reload which turned the file off.
  if (cfg_.stats_file.empty()) {
    stats_text_.clear();
    return;
  }
  if (stats_text_.size() + piece.size() - 1 > ipc::kMaxStatsFile) {
    on_close("Stats over the size limit");
    return;
  }
  stats_text_.insert(stats_text_.end(), piece.begin() + 1, piece.end());
  if (piece[0] != ipc::kStatsLast) return;
  std::string error;
  bool ok = write_file_atomically(cfg_.stats_file, stats_text_, &error);
  stats_text_.clear();
  if (ok) return;
  if (stats_limiter_.allow(static_cast<uint64_t>(time(nullptr)) * 1000)) log_warnx("stats_file: %s", error.c_str());
}

void Parent::on_close(const std::string& reason) {
  if (reason.empty()) {
    if (!stopping_) log_warnx("engine closed the channel");
  } else {
    log_warnx("IPC violation by the engine: %s", reason.c_str());
    if (engine_pid_ > 0) kill(engine_pid_, SIGKILL);
  }
  if (!stopping_) engine_failed_ = true;
  event_base_loopbreak(base_.get());
}

void Parent::stop(const char* why) {
  if (stopping_) return;
  stopping_ = true;
  log_info("%s: stopping", why);
  notify_stopping();
  if (channel_->state() == ipc::parent_state::kAwaitHello) {
    // The engine cannot take a Shutdown before it has said hello.
    stopped_early_ = true;
    if (engine_pid_ > 0) kill(engine_pid_, SIGKILL);
    return;
  }
  resolve_timer_->stop();
  channel_->set_state(ipc::parent_state::kStopping);
  channel_->send(ipc::MsgType::kShutdown, {});
  kill_timer_->start(kShutdownGraceMs);
}

void Parent::reap_engine(int timeout_ms) {
  if (engine_pid_ <= 0) return;
  for (int waited = 0;; waited += 10) {
    int status;
    pid_t r = waitpid(engine_pid_, &status, WNOHANG);
    if (r == engine_pid_ || (r < 0 && errno == ECHILD)) {
      if (r == engine_pid_) engine_status_ = status;
      break;
    }
    if (waited == timeout_ms) kill(engine_pid_, SIGKILL);
    usleep(10000);
  }
  engine_pid_ = -1;
}

void Parent::reopen_log() {
  if (cfg_.log_file.empty()) return;
  UniqueFd fd(open(cfg_.log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd) {
    log_warn("cannot open log file %s", cfg_.log_file.c_str());
    return;
  }
  log_to_fd(fd.get());
  bool reopened = static_cast<bool>(log_fd_);
  log_fd_ = std::move(fd);
  if (reopened) log_info("log file %s reopened", cfg_.log_file.c_str());
  if (channel_ && channel_->state() == ipc::parent_state::kRunning)
    channel_->send(ipc::MsgType::kLogFd, {}, log_fd_.get());
}

void Parent::write_pid_file() {
  if (cfg_.pid_file.empty()) return;
  std::string text = std::to_string(getpid()) + "\n";
  UniqueFd fd(open(cfg_.pid_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd || write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    log_warn("cannot write pid file %s", cfg_.pid_file.c_str());
    return;
  }
  pid_file_written_ = true;
}

int run_parent(const config::Config& cfg, const EngineMain& engine_main,
               const ConfigReader& reader) {
  Parent parent(cfg, engine_main, reader);
  return parent.run();
}

}  // namespace braid::priv
