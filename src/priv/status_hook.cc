// The status hook queue. The engine reports only "link N is up/down"; the
// event names, link names and device come from the parent's own
// configuration (ARCHITECTURE rule 2).
#include "priv/status_hook.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "common/log.h"
#include "priv/hooks.h"

namespace braid::priv {

StatusHook::StatusHook(std::string command, std::string ifname, std::vector<std::string> links)
    : command_(std::move(command)),
      ifname_(std::move(ifname)),
      links_(std::move(links)),
      up_(links_.size(), false) {}

StatusHook::~StatusHook() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

void StatusHook::link_changed(size_t index, bool up) {
  if (index >= up_.size() || up_[index] == up) return;
  up_[index] = up;
  log_info("link \"%s\" is %s", links_[index].c_str(), up ? "up" : "down");
  if (up) {
    if (up_count_++ == 0) push("tunnel_up", "");
    push("link_up", links_[index]);
  } else {
    push("link_down", links_[index]);
    if (--up_count_ == 0) push("tunnel_down", "");
  }
}

void StatusHook::all_down() {
  for (size_t i = 0; i < up_.size(); ++i) link_changed(i, false);
}

void StatusHook::push(const char* event, std::string link) {
  if (command_.empty()) return;
  if (queue_.size() >= kMaxQueued) {
    const Run& oldest = queue_.front();
    log_warnx("status hook: %zu runs queued; dropping the oldest (%s%s%s)", queue_.size(),
              oldest.event, oldest.link.empty() ? "" : " ", oldest.link.c_str());
    queue_.pop_front();
    ++dropped_;
  }
  queue_.push_back({event, std::move(link)});
  start_next();
}

void StatusHook::start_next() {
  while (pid_ <= 0 && !queue_.empty()) {
    Run run = std::move(queue_.front());
    queue_.pop_front();
    log_debug("running status hook: %s %s", run.event, run.link.c_str());
    pid_ = spawn_hook(command_, {"IFNAME=" + ifname_, std::string("BRAID_EVENT=") + run.event,
                                 "BRAID_LINK=" + run.link},
                       true);
    if (pid_ < 0) log_warn("status hook (%s): fork", run.event);
    running_event_ = run.event;
  }
}

void StatusHook::on_child() {
  if (pid_ <= 0) return;
  int status;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0 || (r < 0 && errno == EINTR)) return;
  if (r == pid_) hook_result(("status (" + running_event_ + ")").c_str(), status);
  pid_ = -1;
  start_next();
}

void StatusHook::drain(int timeout_ms) {
  timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  auto elapsed_ms = [&] {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
  };
  while (pid_ > 0) {
    if (elapsed_ms() >= timeout_ms) {
      log_warnx("status hook (%s) still running at exit; killing it, %zu run(s) not made",
                running_event_.c_str(), queue_.size());
      queue_.clear();
      kill(pid_, SIGKILL);
      while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
      return;
    }
    usleep(10000);
    on_child();
  }
}

}  // namespace braid::priv
