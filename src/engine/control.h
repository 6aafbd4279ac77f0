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
  // A client gets this long to send its request and read its answer.
  static constexpr int kDeadlineMs = 5000;

  ControlServer(event_base* base, UniqueFd listener, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  size_t clients() const { return clients_.size(); }
  uint64_t requests() const { return requests_; }
  uint64_t refused() const { return refused_; }

 private:
  struct Client;
  void on_accept();
  void on_client(Client& c, short what);
  void read_request(Client& c);
  void write_answer(Client& c);
  void finish(Client& c);

  event_base* base_;
  UniqueFd listener_;
  Handler handler_;
  std::unique_ptr<Event> accept_ev_;
  std::vector<std::unique_ptr<Client>> clients_;
  // Finished clients are freed here, outside their own callbacks.
  std::unique_ptr<Timer> reaper_;
  SystemClock clock_;
  LogLimiter log_limiter_;
  uint64_t requests_ = 0;
  uint64_t refused_ = 0;
};

}  // namespace braid::engine
