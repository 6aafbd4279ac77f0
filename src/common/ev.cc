// libevent wrappers.
#include "common/ev.h"

#include "common/log.h"

namespace braid {

EventBasePtr make_event_base() {
  // Precise timers (a timerfd under epoll): a link paced at tens of
  // megabits needs waits shorter than epoll's millisecond.
  event_config* cfg = event_config_new();
  if (cfg == nullptr) fatalx("event_config_new failed");
  event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
  event_base* base = event_base_new_with_config(cfg);
  event_config_free(cfg);
  if (base == nullptr) base = event_base_new();
  if (base == nullptr) fatalx("event_base_new failed");
  return EventBasePtr(base);
}

Event::Event(event_base* base, int fd, short what, Callback cb) : cb_(std::move(cb)) {
  ev_.reset(event_new(base, fd, what, &Event::trampoline, this));
  if (!ev_) fatalx("event_new failed");
}

void Event::add(int timeout_ms) {
  if (timeout_ms < 0) {
    event_add(ev_.get(), nullptr);
    return;
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  event_add(ev_.get(), &tv);
}

void Event::add_us(uint64_t timeout_us) {
  timeval tv{static_cast<time_t>(timeout_us / 1000000),
             static_cast<suseconds_t>(timeout_us % 1000000)};
  event_add(ev_.get(), &tv);
}

void Event::del() { event_del(ev_.get()); }

bool Event::pending() const {
  return event_pending(ev_.get(), EV_READ | EV_WRITE | EV_TIMEOUT | EV_SIGNAL, nullptr) != 0;
}

void Event::trampoline(evutil_socket_t fd, short what, void* arg) {
  static_cast<Event*>(arg)->cb_(fd, what);
}

Timer::Timer(event_base* base, std::function<void()> cb)
    : ev_(base, -1, 0, [cb = std::move(cb)](int, short) { cb(); }) {}

}  // namespace braid
