// The control socket's server (control.h).
#include "engine/control.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/log.h"

namespace braid::engine {

struct ControlServer::Client {
  UniqueFd fd;
  uint64_t accepted_ns = 0;
  std::string in;
  std::string out;
  size_t sent = 0;
  bool writing = false;
  bool done = false;
  std::unique_ptr<Event> ev;
};

ControlServer::ControlServer(event_base* base, UniqueFd listener, Handler handler)
    : base_(base), listener_(std::move(listener)), handler_(std::move(handler)) {
  accept_ev_ = std::make_unique<Event>(base_, listener_.get(), EV_READ | EV_PERSIST,
                                       [this](int, short) { on_accept(); });
  accept_ev_->add();
  reaper_ = std::make_unique<Timer>(base_, [this] {
    std::erase_if(clients_, [](const std::unique_ptr<Client>& c) { return c->done; });
    retired_.clear();
    // Room again: take what waited in the backlog.
    if (clients_.size() < kMaxClients && !accept_ev_->pending()) accept_ev_->add();
  });
}

ControlServer::~ControlServer() = default;

void ControlServer::on_accept() {
  // At the bound, stop accepting: the kernel's backlog holds the rest
  // until a client finishes.
  if (clients_.size() >= kMaxClients) {
    accept_ev_->del();
    ++refused_;
    return;
  }
  int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
      // Out of descriptors, most likely: the listener stays readable, so
      // pause it for a second rather than spin.
      if (log_limiter_.allow(clock_.now_ms())) log_warn("control socket: accept");
      accept_ev_->del();
      reaper_->start(1000);
    }
    return;
  }
  auto c = std::make_unique<Client>();
  c->fd.reset(fd);
  c->accepted_ns = clock_.now_ns();
  Client* raw = c.get();
  c->ev = std::make_unique<Event>(base_, fd, EV_READ | EV_PERSIST,
                                  [this, raw](int, short what) { on_client(*raw, what); });
  c->ev->add(kIdleMs);
  clients_.push_back(std::move(c));
}

void ControlServer::on_client(Client& c, short what) {
  if (c.done) return;
  if ((what & EV_TIMEOUT) || clock_.now_ns() - c.accepted_ns > kDeadlineNs) {
    finish(c);
    return;
  }
  if (c.writing)
    write_answer(c);
  else
    read_request(c);
}

void ControlServer::read_request(Client& c) {
  char buf[kMaxControlRequest];
  ssize_t n = recv(c.fd.get(), buf, kMaxControlRequest - c.in.size(), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) {
    finish(c);   // gone before asking
    return;
  }
  c.in.append(buf, static_cast<size_t>(n));
  size_t nl = c.in.find('\n');
  ControlAnswer answer;
  if (nl == std::string::npos) {
    if (c.in.size() < kMaxControlRequest) return;   // more to come
    answer = {ControlCode::kBadRequest, "request line too long", ""};
  } else {
    ControlRequest req;
    std::string error;
    if (!parse_request(std::string_view(c.in).substr(0, nl), &req, &error)) {
      answer = {ControlCode::kBadRequest, error, ""};
    } else if (!take_token()) {
      ++busy_;
      answer = {ControlCode::kFailed, "busy: too many requests, try again in a second", ""};
    } else {
      ++requests_;
      answer = handler_(req);
    }
  }
  c.out = encode_status(answer.code, answer.body.size(), answer.message) + answer.body;
  c.writing = true;
  // This runs inside the read event's callback: it is retired, not freed.
  c.ev->del();
  retired_.push_back(std::move(c.ev));
  c.ev = std::make_unique<Event>(base_, c.fd.get(), EV_WRITE | EV_PERSIST,
                                 [this, cp = &c](int, short w) { on_client(*cp, w); });
  c.ev->add(kIdleMs);
  write_answer(c);
}

void ControlServer::write_answer(Client& c) {
  while (c.sent < c.out.size()) {
    ssize_t n = send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) break;   // the client went away
    c.sent += static_cast<size_t>(n);
  }
  finish(c);
}

bool ControlServer::take_token() {
  uint64_t now = clock_.now_ns();
  uint64_t per = kNsPerSec / kRequestsPerSec;
  if (refilled_ns_ == 0) refilled_ns_ = now;
  uint64_t earned = (now - refilled_ns_) / per;
  if (earned > 0) {
    tokens_ = std::min<uint64_t>(kRequestsPerSec, tokens_ + earned);
    refilled_ns_ += earned * per;
  }
  if (tokens_ == 0) return false;
  --tokens_;
  return true;
}

void ControlServer::finish(Client& c) {
  c.done = true;
  // Off the loop before the descriptor goes: its number may be reused
  // by the next accept before the reaper runs.
  if (c.ev) c.ev->del();
  c.fd.reset();
  reaper_->start(0);
}

}  // namespace braid::engine
