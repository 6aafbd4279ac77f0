// Readiness notification for systemd's Type=notify services, without
// libsystemd: sd_notify-style datagrams to the socket named by
// $NOTIFY_SOCKET (a path, or an abstract socket written "@name").
#pragma once

#include <string>

namespace braid::priv {

// Reads $NOTIFY_SOCKET and removes it from the environment, so that the
// engine and the hooks do not inherit it (only the main process may
// notify: NotifyAccess=main). Without it, or with an address that is not
// a Unix socket's, every call below does nothing. Call it again to read
// the environment anew.
void notify_init();

// True when notify_init() found a socket to notify.
bool notify_enabled();

// Sends one datagram of newline-separated VARIABLE=value assignments;
// false when notification is off or the datagram could not be sent.
bool notify_send(const std::string& state);

// READY=1: start-up (or a reload) has finished.
bool notify_ready();
// RELOADING=1 with MONOTONIC_USEC= (systemd 253 and later match the
// reload with it; older versions ignore it): a reload has begun, and
// READY=1 follows when it is over.
bool notify_reloading();
// STOPPING=1: shutdown has begun.
bool notify_stopping();
// STATUS=text: a one-line status that `systemctl status` shows.
bool notify_status(const std::string& status);

}  // namespace braid::priv
