// The parent process's state and the steps it takes, shared by the files
// that hold them: parent.cc (setup, the engine's life, its messages, exit)
// and parent_reload.cc (SIGHUP). Only those include it; the rest of braid
// knows the parent by run_parent (parent.h).
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/ev.h"
#include "common/fd.h"
#include "common/log.h"
#include "config/reload.h"
#include "config/settings.h"
#include "identity/trust.h"
#include "ipc/channel.h"
#include "ipc/messages.h"
#include "priv/parent.h"
#include "priv/sandbox.h"
#include "priv/status_hook.h"

namespace braid::priv {

// The engine's name for the link a configured peer is reached over.
inline uint8_t ipc_link(const config::ConfiguredPeer& p) {
  return p.link >= 0 ? static_cast<uint8_t>(p.link) : ipc::kAnyLink;
}

// The stats file's format, as the engine knows it.
inline ipc::StatsFormat stats_format(config::StatsFormat f) {
  switch (f) {
    case config::StatsFormat::kJson: return ipc::StatsFormat::kJson;
    case config::StatsFormat::kPrometheus: return ipc::StatsFormat::kPrometheus;
    case config::StatsFormat::kText: break;
  }
  return ipc::StatsFormat::kText;
}

class Parent {
 public:
  Parent(const config::Config& cfg, const EngineMain& engine_main, const ConfigReader& reader)
      : cfg_(cfg), engine_main_(engine_main), reader_(reader) {}
  int run();

 private:
  bool setup(std::string* error);
  // The PSK of a shared key (Argon2id), into *psk.
  bool stretch_key(const std::string& shared_key, std::array<uint8_t, 32>* psk,
                   std::string* error);
  bool encode_engine_config(std::string* error);
  bool open_sockets(std::string* error);
  void send_links();
  ipc::LinkInfo link_info(size_t index) const;
  bool reload_engine_share(const config::Config& next, std::string* error);
  void on_link_status(std::span<const uint8_t> payload);
  int peer_family(size_t peer, bool* v6_only) const;
  bool daemonize();
  bool fork_engine(UniqueFd& parent_end, UniqueFd engine_end);
  void on_message(ipc::MsgType type, std::span<const uint8_t> payload, UniqueFd fd);
  void on_close(const std::string& reason);
  void send_setup();
  void resolve_all(bool force);
  void stop(const char* why);
  void reap_engine(int timeout_ms);
  void reopen_log();
  void reload_cas();
  void reload_revocation_lists();
  void reload_certificate();
  void send_renewed_certificate(std::vector<uint8_t> renewed);
  // SIGHUP or braidctl reload.
  void reload();
  bool reload_config();
  void write_stats(std::span<const uint8_t> text);
  void write_pid_file();

  // The running configuration: a reload replaces what it may change.
  config::Config cfg_;
  const EngineMain& engine_main_;
  const ConfigReader& reader_;
  SandboxSpec sandbox_;
  std::array<uint8_t, 32> psk_{};
  bool has_psk_ = false;
  std::string ifname_;
  uint32_t mtu_ = 0;
  UniqueFd device_;
  UniqueFd udp_;
  int udp_family_ = AF_INET6;
  // The control socket's listening end (until sent) and its path, which
  // we remove at exit ("" when there is none).
  UniqueFd control_;
  std::string control_path_;
  LogLimiter stats_limiter_{1, 60000};
  LogLimiter reload_limiter_{2, 1000};
  std::vector<uint8_t> stats_text_;   // the stats file's pieces so far
  // With [link] sections, one socket per link instead of udp_, by index
  // (until sent), and each one's family.
  std::vector<UniqueFd> link_fds_;
  std::vector<int> link_families_;
  // Every configured peer: the [network] ones, then each link's in link
  // order; the engine refers to them by this index.
  // A reload appends the peers it adds and retires those it removes in
  // place, so that no index changes meaning.
  std::vector<config::ConfiguredPeer> peers_;
  std::unique_ptr<StatusHook> status_hook_;
  UniqueFd log_fd_;
  UniqueFd ready_pipe_;     // --daemon: tells the waiting original process
  pid_t engine_pid_ = -1;
  int engine_status_ = -1;
  bool stopping_ = false;
  bool engine_failed_ = false;
  bool stopped_early_ = false;
  bool pid_file_written_ = false;
  std::vector<std::vector<ipc::PeerAddress>> resolved_;
  std::vector<uint8_t> engine_config_;   // the kConfig payload, until sent
  ipc::Identity identity_;               // until sent (holds the private key)
  std::vector<uint8_t> own_certificate_;
  identity::PublicKey node_id_{};        // the running key's public half
  std::vector<std::vector<uint8_t>> cas_;   // encoded, as the engine trusts them
  std::vector<uint8_t> claims_sent_;     // the last kClaims payload
  identity::TrustStore trust_;           // CAs and the lists last sent
  std::vector<std::vector<uint8_t>> revocation_lists_;

  EventBasePtr base_;
  std::unique_ptr<ipc::Channel> channel_;
  std::vector<std::unique_ptr<Event>> signals_;
  std::unique_ptr<Timer> resolve_timer_;
  std::unique_ptr<Timer> kill_timer_;
};

}  // namespace braid::priv
