// The status hook: a command from the configuration run by the parent,
// without waiting in its event loop, when a link or the whole tunnel goes
// up or down. Runs are queued and go one at a time, in order.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace braid::priv {

class StatusHook {
 public:
  // A bounded queue: a hook that hangs must not let the parent grow.
  static constexpr size_t kMaxQueued = 64;

  // `command` "" = nothing is ever run (changes are still logged);
  // `ifname` is the tun/tap device, IFNAME in the hook's environment;
  // `links` are the link names by index ("default" for the implicit link).
  StatusHook(std::string command, std::string ifname, std::vector<std::string> links);
  ~StatusHook();
  StatusHook(const StatusHook&) = delete;
  StatusHook& operator=(const StatusHook&) = delete;

  // Link `index` (< the number of links) went up or down. A report of the
  // state it is already in changes nothing. The first link up is
  // preceded by tunnel_up, the last link down followed by tunnel_down.
  void link_changed(size_t index, bool up);
  // A reload changed the command: events from now on run the new one.
  void set_command(std::string command) { command_ = std::move(command); }
  // Every link that is up goes down (the daemon stops), with tunnel_down.
  void all_down();

  // On SIGCHLD: reaps the running hook if it has ended and starts the next.
  void on_child();
  // At exit: waits for the running hook and runs what is queued, for at
  // most timeout_ms in all; a hook still running then is killed.
  void drain(int timeout_ms);

  bool running() const { return pid_ > 0; }
  size_t queued() const { return queue_.size(); }
  size_t dropped() const { return dropped_; }
  bool up(size_t index) const { return up_[index]; }

 private:
  struct Run {
    const char* event;  // link_up, link_down, tunnel_up, tunnel_down
    std::string link;   // "" for tunnel events
  };
  void push(const char* event, std::string link);
  void start_next();

  std::string command_;
  std::string ifname_;
  std::vector<std::string> links_;
  std::vector<bool> up_;
  size_t up_count_ = 0;
  std::deque<Run> queue_;
  pid_t pid_ = -1;
  std::string running_event_;
  size_t dropped_ = 0;
};

}  // namespace braid::priv
