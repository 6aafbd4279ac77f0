// Port forwarding: asks the home gateway, through NAT-PMP or UPnP IGD, to
// forward the node's UDP port to it, keeps the mapping renewed and removes
// it on exit. The gateway libraries block (discovery waits seconds), so the
// work runs in one worker thread and the event loop never waits on it.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace braid::engine {

// The IPv4 gateway of the main table's default route with the lowest
// metric, asked of the kernel over rtnetlink: the engine's chroot has no
// /proc/net/route. Nothing when there is no such route.
std::optional<in_addr> default_gateway();

// A mapping a gateway granted.
struct PortMapping {
  enum class Method { kNatPmp, kUpnp };
  Method method = Method::kNatPmp;
  std::string gateway;         // the gateway's LAN address, for logs
  std::string external;        // the gateway's external address; empty if unknown
  uint16_t external_port = 0;  // may differ from the node's port under NAT-PMP
  uint32_t lifetime_s = 0;     // 0: permanent (an IGD without lease support)
};

// The gateway protocols behind PortMapper; tests substitute a fake. Called
// from the worker thread only. `stopping` turns true when the owner wants
// the worker to end: implementations check it while they wait.
class PortMapBackend {
 public:
  virtual ~PortMapBackend() = default;
  // Finds a gateway and maps UDP `port` there to `port` here for `lease_s`.
  // On failure, *why says what was tried (for the log).
  virtual bool map(uint16_t port, uint32_t lease_s, const std::atomic<bool>& stopping,
                   PortMapping* out, std::string* why) = 0;
  // Asks the same gateway again, which extends the lease.
  virtual bool renew(uint16_t port, uint32_t lease_s, const std::atomic<bool>& stopping,
                     PortMapping* m, std::string* why) = 0;
  // Removes the mapping; bounded by the implementation (about a second).
  virtual void unmap(uint16_t port, const PortMapping& m) = 0;
};

// NAT-PMP (libnatpmp) towards default_gateway(), then UPnP IGD discovery
// (libminiupnpc) when NAT-PMP got no answer.
std::unique_ptr<PortMapBackend> make_gateway_backend();

class PortMapper {
 public:
  // Lease asked of the gateway; renewed at half of it.
  static constexpr uint32_t kLeaseS = 3600;

  struct Schedule {
    uint32_t lease_s = kLeaseS;
    // Renewal interval; a gateway granting a shorter lifetime is asked
    // again at half of what it granted.
    std::chrono::milliseconds renew{kLeaseS * 1000 / 2};
    // When no gateway answered: a home network rarely changes, and
    // discovery is a multicast burst on the LAN.
    std::chrono::milliseconds retry{std::chrono::minutes(10)};
    // How long the destructor waits for the worker: the parent's grace
    // period for the engine to exit is 3 s (priv/parent.cc).
    std::chrono::milliseconds stop_budget{2500};
  };

  // Starts the worker for the real gateway protocols.
  explicit PortMapper(uint16_t port);
  PortMapper(uint16_t port, std::unique_ptr<PortMapBackend> backend, Schedule schedule);
  // Removes the mapping and joins the worker; returns within stop_budget
  // even when the gateway does not answer (the worker is then left to end
  // on its own with the process).
  ~PortMapper();
  PortMapper(const PortMapper&) = delete;
  PortMapper& operator=(const PortMapper&) = delete;

  // A snapshot for logs and stats, safe from any thread.
  struct Status {
    std::string method = "none";  // "none", "natpmp" or "upnp"
    std::string external;         // external address, if known
    uint16_t external_port = 0;
  };
  Status status() const;

  // Shared with the worker thread, which may outlive this object (see the
  // destructor); defined in portmap.cc.
  struct State;

 private:
  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace braid::engine
