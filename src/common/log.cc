// Log output: one line per message, with a time stamp on stderr and files
// (syslog adds its own) and the process name as prefix.
#include "common/log.h"

#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

namespace braid {
namespace {

char g_procname[32] = "braid";
LogLevel g_level = LogLevel::kInfo;
LogTarget g_target = LogTarget::kStderr;
int g_fd = -1;
// The engine's port-mapping thread logs too: the target may change (a
// reopened log file) while it writes.
std::mutex g_mutex;

int syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return LOG_ERR;
    case LogLevel::kWarn: return LOG_WARNING;
    case LogLevel::kInfo: return LOG_INFO;
    case LogLevel::kDebug: return LOG_DEBUG;
  }
  return LOG_INFO;
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warning";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "info";
}

__attribute__((format(printf, 3, 0))) void vlog(LogLevel level, int errnum, const char* fmt,
                                               va_list ap) {
  if (level > g_level) return;
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (errnum != 0) {
    size_t n = strlen(msg);
    snprintf(msg + n, sizeof msg - n, ": %s", strerror(errnum));
  }
  if (g_target == LogTarget::kSyslog) {
    syslog(syslog_priority(level), "%s", msg);
    return;
  }
  char stamp[32];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  localtime_r(&ts.tv_sec, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  char line[1200];
  int n = snprintf(line, sizeof line, "%s.%03ld %s: %s: %s\n", stamp,
                   ts.tv_nsec / 1000000, g_procname, level_name(level), msg);
  if (n < 0) return;
  if (static_cast<size_t>(n) >= sizeof line) n = sizeof line - 1;
  std::lock_guard<std::mutex> lock(g_mutex);
  int fd = g_target == LogTarget::kFile && g_fd >= 0 ? g_fd : STDERR_FILENO;
  // One write per line keeps lines from two processes from interleaving.
  ssize_t ignored = write(fd, line, static_cast<size_t>(n));
  (void)ignored;
}

}  // namespace

void log_init(const char* procname, LogLevel level) {
  log_set_procname(procname);
  g_level = level;
}

void log_set_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }

void log_set_procname(const char* procname) {
  snprintf(g_procname, sizeof g_procname, "%s", procname);
}

void log_to_syslog() {
  // The ident string must outlive openlog; g_procname is static.
  openlog(g_procname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
  g_target = LogTarget::kSyslog;
}

void log_to_fd(int fd) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_fd = fd;
  g_target = fd >= 0 ? LogTarget::kFile : LogTarget::kStderr;
}

#define BRAID_VLOG(level, errnum)      \
  do {                                 \
    va_list ap;                        \
    va_start(ap, fmt);                 \
    vlog((level), (errnum), fmt, ap);  \
    va_end(ap);                        \
  } while (0)

void log_warn(const char* fmt, ...) { int e = errno; BRAID_VLOG(LogLevel::kWarn, e); }
void log_warnx(const char* fmt, ...) { BRAID_VLOG(LogLevel::kWarn, 0); }
void log_info(const char* fmt, ...) { BRAID_VLOG(LogLevel::kInfo, 0); }
void log_debug(const char* fmt, ...) { BRAID_VLOG(LogLevel::kDebug, 0); }

void fatal(const char* fmt, ...) {
  int e = errno;
  BRAID_VLOG(LogLevel::kError, e);
  exit(1);
}

void fatalx(const char* fmt, ...) {
  BRAID_VLOG(LogLevel::kError, 0);
  exit(1);
}

bool LogLimiter::allow(uint64_t now_ms) {
  if (interval_ms_ > 0 && now_ms > last_ms_) {
    uint64_t refill = (now_ms - last_ms_) / interval_ms_;
    if (refill > 0) {
      tokens_ = refill >= burst_ ? burst_ : static_cast<uint32_t>(tokens_ + refill > burst_ ? burst_ : tokens_ + refill);
      last_ms_ += refill * interval_ms_;
    }
  } else if (now_ms < last_ms_) {
    last_ms_ = now_ms;
  }
  if (tokens_ == 0) {
    ++suppressed_;
    return false;
  }
  --tokens_;
  return true;
}

}  // namespace braid
