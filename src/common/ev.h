// libevent objects owned by unique_ptrs with named deleters, so every event
// is deleted from its base before it is freed and nothing is copied.
#pragma once

#include <event2/event.h>

#include <cstdint>
#include <functional>
#include <memory>

namespace braid {

struct EventBaseDeleter {
  void operator()(event_base* base) const { event_base_free(base); }
};
struct EventDeleter {
  void operator()(event* ev) const {
    event_del(ev);
    event_free(ev);
  }
};
using EventBasePtr = std::unique_ptr<event_base, EventBaseDeleter>;
using EventPtr = std::unique_ptr<event, EventDeleter>;

// Creates a base; fatal on failure (only at start-up).
EventBasePtr make_event_base();

// An event whose callback is a std::function. The callback must not throw:
// libevent is C and cannot unwind. The object is move-only through its
// unique_ptr, since libevent holds a pointer to it.
class Event {
 public:
  using Callback = std::function<void(int fd, short what)>;
  Event(event_base* base, int fd, short what, Callback cb);
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Arms the event; timeout_ms < 0 means no timeout.
  void add(int timeout_ms = -1);
  void add_us(uint64_t timeout_us);
  void del();
  bool pending() const;

 private:
  static void trampoline(evutil_socket_t fd, short what, void* arg);
  Callback cb_;
  EventPtr ev_;
};

// A timer is an Event with no fd.
class Timer {
 public:
  Timer(event_base* base, std::function<void()> cb);
  void start(int timeout_ms) { ev_.add(timeout_ms); }
  void start_us(uint64_t timeout_us) { ev_.add_us(timeout_us); }
  void stop() { ev_.del(); }
  bool pending() const { return ev_.pending(); }

 private:
  Event ev_;
};

}  // namespace braid
