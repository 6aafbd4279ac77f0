// The control socket's server (doc/control.md): accepts braidctl's
// connections on the listening socket the parent made, reads one request
// line, answers it through a handler and closes. Everything is
// non-blocking and bounded, since any member of the socket's group may
// connect: few clients at once, a short request, a deadline.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/fd.h"
#include "engine/control_proto.h"

namespace braid::engine {

struct ControlAnswer {
  ControlCode code = ControlCode::kOk;
  std::string message = "ok";
  std::string body;
};

class ControlServer {
 public:
  using Handler = std::function<ControlAnswer(const ControlRequest&)>;
  // Clients served at once; more wait in the listen backlog.
  static constexpr size_t kMaxClients = 8;
  // A client may stay silent this long between its bytes, and keeps its
  // place this long in all: a trickle of bytes cannot hold a slot.
  static constexpr int kIdleMs = 5000;
  static constexpr uint64_t kDeadlineNs = 10 * kNsPerSec;
  // Requests answered per second at most, with a burst: each one is
  // rendered on the loop that also moves packets.
  static constexpr uint32_t kRequestsPerSec = 20;

  ControlServer(event_base* base, UniqueFd listener, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  size_t clients() const { return clients_.size(); }
  uint64_t requests() const { return requests_; }
  uint64_t refused() const { return refused_; }
  uint64_t busy() const { return busy_; }

 private:
  struct Client;
  void on_accept();
  void on_client(Client& c, short what);
  void read_request(Client& c);
  void write_answer(Client& c);
  void finish(Client& c);
  bool take_token();

  event_base* base_;
  UniqueFd listener_;
  Handler handler_;
  std::unique_ptr<Event> accept_ev_;
  std::vector<std::unique_ptr<Client>> clients_;
  // Finished clients, and events replaced inside their own callbacks,
  // are freed here, outside any callback.
  std::unique_ptr<Timer> reaper_;
  std::vector<std::unique_ptr<Event>> retired_;
  // The request budget (kRequestsPerSec): tokens and when last refilled.
  uint64_t tokens_ = kRequestsPerSec;
  uint64_t refilled_ns_ = 0;
  uint64_t busy_ = 0;
  SystemClock clock_;
  LogLimiter log_limiter_;
  uint64_t requests_ = 0;
  uint64_t refused_ = 0;
};

}  // namespace braid::engine
