// Logging for both processes: a small printf-checked API in the style of
// the OpenBSD daemons, with the process name ("braid[priv]",
// "braid[engine]") as prefix, to stderr, a log file or syslog.
#pragma once

#include <cstdarg>
#include <cstdint>

namespace braid {

enum class LogLevel : int { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

enum class LogTarget { kStderr, kFile, kSyslog };

// Sets the process name used as prefix and the verbosity; may be called
// again (e.g. after fork) to change the name.
void log_init(const char* procname, LogLevel level);
void log_set_level(LogLevel level);
LogLevel log_level();
void log_set_procname(const char* procname);
// Directs output to syslog (daemon facility). Opens the connection at once
// (LOG_NDELAY) so it keeps working after chroot.
void log_to_syslog();
// Directs output to an open file descriptor (owned by the caller, -1 to
// return to stderr).
void log_to_fd(int fd);

void log_warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void fatalx(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Limits how often a message that a remote party can trigger is logged:
// at most `burst` messages, refilled at one per `interval_ms`.
class LogLimiter {
 public:
  explicit LogLimiter(uint32_t burst = 5, uint32_t interval_ms = 1000)
      : burst_(burst), interval_ms_(interval_ms), tokens_(burst) {}
  // True when a message may be logged now; counts the suppressed ones.
  bool allow(uint64_t now_ms);
  // Messages suppressed so far.
  uint64_t suppressed() const { return suppressed_; }

 private:
  uint32_t burst_;
  uint32_t interval_ms_;
  uint32_t tokens_;
  uint64_t last_ms_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace braid
