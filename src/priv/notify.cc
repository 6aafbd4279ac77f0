// sd_notify without libsystemd: one AF_UNIX datagram per notification,
// from a socket opened for it, as sd_notify itself does.
#include "priv/notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "common/fd.h"
#include "common/log.h"

namespace braid::priv {
namespace {

// The address read from $NOTIFY_SOCKET; length 0 means notification is off.
struct NotifyAddress {
  sockaddr_un addr{};
  socklen_t len = 0;
};

NotifyAddress& target() {
  static NotifyAddress address;
  return address;
}

// Turns "/path" or "@abstract" into a socket address; false for anything
// else (systemd also passes vsock addresses, which braid does not need).
bool parse_address(const char* value, NotifyAddress* out) {
  size_t n = strlen(value);
  if (n < 2 || (value[0] != '/' && value[0] != '@')) return false;
  if (n >= sizeof(out->addr.sun_path)) return false;
  out->addr = {};
  out->addr.sun_family = AF_UNIX;
  memcpy(out->addr.sun_path, value, n);
  if (value[0] == '@') {
    // An abstract name: a leading NUL, and exactly its bytes (no
    // terminator) in the length, or it names a different socket.
    out->addr.sun_path[0] = '\0';
    out->len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + n);
  } else {
    out->len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + n + 1);
  }
  return true;
}

}  // namespace

void notify_init() {
  NotifyAddress& address = target();
  address = {};
  const char* value = getenv("NOTIFY_SOCKET");
  if (value == nullptr) return;
  if (!parse_address(value, &address)) {
    log_warnx("NOTIFY_SOCKET=%s is not a Unix socket address; not notifying", value);
    address = {};
  }
  unsetenv("NOTIFY_SOCKET");
}

bool notify_enabled() { return target().len != 0; }

bool notify_send(const std::string& state) {
  const NotifyAddress& address = target();
  if (address.len == 0) return false;
  UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    log_warn("notify: socket");
    return false;
  }
  ssize_t sent;
  do {
    sent = sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                  reinterpret_cast<const sockaddr*>(&address.addr), address.len);
  } while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(state.size())) {
    // The service manager's problem, not a reason to stop the network.
    log_warn("notify: cannot send to the service manager");
    return false;
  }
  return true;
}

bool notify_ready() { return notify_send("READY=1"); }

bool notify_reloading() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  unsigned long long usec = static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                            static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
  return notify_send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool notify_stopping() { return notify_send("STOPPING=1"); }

bool notify_status(const std::string& status) {
  // A newline would start another assignment.
  std::string line = status.substr(0, status.find('\n'));
  return notify_send("STATUS=" + line);
}

}  // namespace braid::priv
