// One end of the parent/engine socketpair on libevent: frames out through a
// queue (EV_WRITE armed only while it is non-empty), frames in through
// check_frame, so only what the rule table allows for the current state
// reaches the owner. Any violation closes the channel with its reason.
#pragma once

#include <event2/event.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/ev.h"
#include "common/fd.h"
#include "ipc/proto.h"

namespace braid::ipc {

// Creates the socketpair both processes talk over (SOCK_SEQPACKET, so the
// kernel keeps record boundaries). Fatal on failure: start-up only.
void make_socketpair(UniqueFd* parent_end, UniqueFd* engine_end);

class Channel {
 public:
  // The payload span is valid only during the call. The fd, when the rule
  // says one travels, is valid, owned and close-on-exec.
  using OnMessage = std::function<void(MsgType, std::span<const uint8_t> payload, UniqueFd fd)>;
  // "" = the peer closed cleanly (EOF); otherwise why the channel broke.
  using OnClose = std::function<void(const std::string& reason)>;

  // `sock` must be one end of make_socketpair(); `state` starts at the
  // first state of `self` (kAwaitHello / kAwaitConfig). Both callbacks may
  // destroy the Channel; after OnClose it is closed for good.
  Channel(event_base* base, UniqueFd sock, Side self, OnMessage on_message, OnClose on_close);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // The owner moves the state machine, usually from OnMessage.
  void set_state(uint32_t state) { state_ = state; }
  uint32_t state() const { return state_; }
  Side side() const { return self_; }
  bool closed() const { return !sock_.valid(); }

  // Queues one frame. Refusing what the rule table forbids `self` to send
  // in the current state is fatal: it is a bug in the caller. The kernel
  // duplicates `fd` into the peer; the caller keeps its copy (the channel
  // holds its own duplicate until the frame is out). False when the channel
  // is closed or its queue is full.
  bool send(MsgType type, std::span<const uint8_t> payload, int fd = -1);
  // Writes what is queued, waiting up to `timeout_ms` in total; used at
  // shutdown. True when the queue is empty.
  bool flush_blocking(int timeout_ms);
  size_t queued() const { return queue_.size(); }

 private:
  struct Outgoing {
    std::vector<uint8_t> frame;
    UniqueFd fd;
  };
  enum class SendResult { kDone, kAgain, kGone, kError };

  void on_readable();
  void on_writable();
  // Reads one record; false when the channel closed (or was destroyed).
  bool receive_one(bool* again);
  SendResult send_front();
  void close(const std::string& reason);

  event_base* base_;
  UniqueFd sock_;
  Side self_;
  uint32_t state_;
  OnMessage on_message_;
  OnClose on_close_;
  std::unique_ptr<Event> read_ev_;
  std::unique_ptr<Event> write_ev_;
  std::deque<Outgoing> queue_;
  size_t queued_bytes_ = 0;
  std::vector<uint8_t> rbuf_;
  // Cleared by the destructor, so a dispatch loop can tell that a callback
  // destroyed the Channel and must not touch it again.
  std::shared_ptr<bool> alive_;
};

}  // namespace braid::ipc
