// The framed channel between parent and engine. Receiving trusts nothing:
// every record goes through check_frame and its payload decoder before the
// owner sees it, and descriptors that arrive where none belongs are closed.
#include "ipc/channel.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "ipc/messages.h"

namespace braid::ipc {
namespace {

// The parent sends at most a configuration and a few hundred address
// updates at once; a queue this long means the engine stopped reading.
constexpr size_t kMaxQueuedBytes = 4u << 20;
// Records handled per wakeup, so one busy channel cannot starve the loop.
constexpr int kMaxRecordsPerWakeup = 64;

// Room for exactly one descriptor: more than one makes the kernel set
// MSG_CTRUNC, which check_frame refuses.
union FdControl {
  cmsghdr align;
  char buf[CMSG_SPACE(sizeof(int))];
};

int64_t monotonic_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

void make_socketpair(UniqueFd* parent_end, UniqueFd* engine_end) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0) {
    fatal("socketpair");
  }
  parent_end->reset(sv[0]);
  engine_end->reset(sv[1]);
}

Channel::Channel(event_base* base, UniqueFd sock, Side self, OnMessage on_message, OnClose on_close)
    : base_(base),
      sock_(std::move(sock)),
      self_(self),
      state_(self == Side::kParent ? parent_state::kAwaitHello : engine_state::kAwaitConfig),
      on_message_(std::move(on_message)),
      on_close_(std::move(on_close)),
      rbuf_(kMaxFrame),
      alive_(std::make_shared<bool>(true)) {
  if (!set_nonblocking(sock_.get())) fatal("ipc: cannot make the channel non-blocking");
  read_ev_ = std::make_unique<Event>(base_, sock_.get(), EV_READ | EV_PERSIST,
                                     [this](int, short) { on_readable(); });
  write_ev_ = std::make_unique<Event>(base_, sock_.get(), EV_WRITE | EV_PERSIST,
                                      [this](int, short) { on_writable(); });
  read_ev_->add();
}

Channel::~Channel() { *alive_ = false; }

bool Channel::send(MsgType type, std::span<const uint8_t> payload, int fd) {
  std::string why = check_send(self_, state_, type, payload.size(), fd >= 0);
  if (why.empty()) why = check_payload(type, payload);
  if (!why.empty()) fatalx("ipc: refusing to send %s: %s", type_name(type), why.c_str());
  if (closed()) return false;
  if (queued_bytes_ + kHeaderSize + payload.size() > kMaxQueuedBytes) {
    log_warnx("ipc: send queue full, %s not sent", type_name(type));
    return false;
  }
  Outgoing out;
  if (fd >= 0) {
    // Our own copy: the caller may close its descriptor before the frame
    // leaves the queue.
    out.fd.reset(fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!out.fd.valid()) {
      log_warn("ipc: cannot duplicate the fd for %s", type_name(type));
      return false;
    }
  }
  out.frame = encode_frame(type, payload);
  queued_bytes_ += out.frame.size();
  queue_.push_back(std::move(out));
  if (!write_ev_->pending()) write_ev_->add();
  return true;
}

Channel::SendResult Channel::send_front() {
  Outgoing& out = queue_.front();
  iovec iov{out.frame.data(), out.frame.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  FdControl control;
  if (out.fd.valid()) {
    memset(&control, 0, sizeof control);
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    int fd = out.fd.get();
    memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  }
  for (;;) {
    ssize_t n = sendmsg(sock_.get(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      // SOCK_SEQPACKET sends a record whole or not at all.
      queued_bytes_ -= out.frame.size();
      queue_.pop_front();
      return static_cast<size_t>(n) == iov.iov_len ? SendResult::kDone : SendResult::kError;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) return SendResult::kAgain;
    if (errno == EPIPE || errno == ECONNRESET) return SendResult::kGone;
    return SendResult::kError;
  }
}

void Channel::on_writable() {
  while (!queue_.empty()) {
    SendResult r = send_front();
    if (r == SendResult::kAgain) return;
    if (r == SendResult::kGone) {
      // The read side sees the peer's EOF and reports it.
      queue_.clear();
      queued_bytes_ = 0;
      break;
    }
    if (r == SendResult::kError) {
      close(std::string("sendmsg: ") + strerror(errno));
      return;
    }
  }
  write_ev_->del();
}

bool Channel::flush_blocking(int timeout_ms) {
  if (closed()) return queue_.empty();
  int64_t deadline = monotonic_ms() + timeout_ms;
  while (!queue_.empty()) {
    SendResult r = send_front();
    if (r == SendResult::kError || r == SendResult::kGone) {
      log_warn("ipc: flushing the channel");
      queue_.clear();
      queued_bytes_ = 0;
      break;
    }
    if (r == SendResult::kAgain) {
      int64_t left = deadline - monotonic_ms();
      if (left <= 0) return false;
      pollfd p{sock_.get(), POLLOUT, 0};
      if (poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR) return false;
    }
  }
  write_ev_->del();
  return queue_.empty();
}

void Channel::on_readable() {
  std::shared_ptr<bool> alive = alive_;
  for (int i = 0; i < kMaxRecordsPerWakeup; ++i) {
    bool again = false;
    if (!receive_one(&again) || !*alive || again) return;
  }
}

bool Channel::receive_one(bool* again) {
  iovec iov{rbuf_.data(), rbuf_.size()};
  FdControl control;
  memset(&control, 0, sizeof control);
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  // MSG_CMSG_CLOEXEC: a received descriptor is never inherited by a hook
  // the parent runs, not even for an instant.
  ssize_t n = recvmsg(sock_.get(), &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      *again = true;
      return true;
    }
    if (errno == EINTR) return true;
    close(std::string("recvmsg: ") + strerror(errno));
    return false;
  }

  // Take ownership of every descriptor first, so each is closed on any
  // path that does not hand it to the owner.
  std::vector<UniqueFd> fds;
  bool foreign_control = false;
  if (msg.msg_controllen > 0) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t k = 0; k < count; ++k) {
          int fd;
          memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof fd);
          fds.emplace_back(fd);
        }
      } else {
        foreign_control = true;
      }
    }
  }
  bool truncated = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
  if (n == 0 && fds.empty() && !truncated && !foreign_control) {
    close("");
    return false;
  }
  if (foreign_control) {
    close("unexpected control message");
    return false;
  }

  std::span<const uint8_t> record(rbuf_.data(), static_cast<size_t>(n));
  FrameHeader h;
  std::string why = check_frame(self_, state_, record, static_cast<int>(fds.size()), truncated, &h);
  if (why.empty()) why = check_payload(h.type, record.subspan(kHeaderSize));
  if (!why.empty()) {
    close(why);
    return false;
  }
  auto payload = record.subspan(kHeaderSize);
  UniqueFd fd;
  if (!fds.empty()) {
    fd = std::move(fds.front());
    set_cloexec(fd.get());
  }
  std::shared_ptr<bool> alive = alive_;
  on_message_(h.type, payload, std::move(fd));
  return *alive && !closed();
}

void Channel::close(const std::string& reason) {
  if (closed()) return;
  read_ev_->del();
  write_ev_->del();
  queue_.clear();
  queued_bytes_ = 0;
  sock_.reset();
  // Moved out first: the callback may destroy this Channel.
  OnClose cb = std::move(on_close_);
  on_close_ = nullptr;
  if (cb) cb(reason);
}

}  // namespace braid::ipc
