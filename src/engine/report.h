// What braidctl and the stats file show (doc/control.md): the node's
// status, peers, links, paths, routes, forwarding table and counters, as
// text for people, JSON for scripts, or Prometheus text for the counters.
// Pure functions of the node's state: the engine and the tests call them
// alike.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/control_proto.h"
#include "engine/node.h"

namespace braid::engine {

// The engine's own facts, which the Node does not hold.
struct EngineStatus {
  std::string version;
  std::string interface;
  bool tap = false;
  uint32_t mtu = 0;
  std::string mode;     // hub, switch, router, normal
  std::string crypto;   // chacha20, aes256, plain
  std::string security; // shared key, certificates
  uint64_t started_ns = 0;
  std::vector<uint16_t> ports;   // each link's UDP port (one without links)
  // Counted outside the node: the sockets and the device.
  uint64_t udp_sent = 0, udp_send_errors = 0, udp_truncated = 0;
  uint64_t device_errors = 0, device_malformed = 0;
  uint64_t control_requests = 0;
};

// The answer's body for a command other than reload. False (with *error)
// when the format does not apply: Prometheus is for stats only.
bool render(ControlCommand cmd, ControlFormat fmt, const Node& node, const EngineStatus& st,
            uint64_t now_ns, std::string* out, std::string* error);

// The stats file: status, peers, routes and counters in one document
// (text or JSON), or the counters alone in Prometheus text.
std::string render_stats_file(ControlFormat fmt, const Node& node, const EngineStatus& st,
                              uint64_t now_ns);

// "1h 02m 03s", "4m 05s", "6s".
std::string format_duration(uint64_t seconds);
// "512 B", "1.5 KiB", "3.2 GiB".
std::string format_bytes(uint64_t bytes);

}  // namespace braid::engine
