// The peer state file: the peers a node knew and their last good
// endpoints, kept across restarts so a node rejoins the mesh even when its
// configured peers are gone. Plain text, one peer a line, so an operator
// can read it; the engine writes it atomically inside its chroot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/endpoint.h"
#include "engine/peer.h"

namespace braid::engine {

// The first line of every state file; another version is refused.
inline constexpr std::string_view kStateHeader = "# braid peer state v1";
// Bounds what a damaged or hostile file can make the engine hold.
constexpr size_t kMaxStatePeers = 1000;
constexpr size_t kMaxStateBytes = 512 * 1024;
constexpr size_t kMaxStateEndpoints = 4;
// Peers not heard from for a week are forgotten.
constexpr uint64_t kStateMaxAgeS = 7 * 86400;

struct StatePeer {
  NodeId id{};
  uint64_t last_seen_unix = 0;
  std::vector<Endpoint> endpoints;   // 1 to kMaxStateEndpoints

  bool operator==(const StatePeer& o) const {
    return id == o.id && last_seen_unix == o.last_seen_unix && endpoints == o.endpoints;
  }
};

// Parses a whole file. Malformed lines are skipped and counted in
// *bad_lines (never fatal: a damaged file must not stop the node); returns
// false (with *why) only when the header is missing or wrong, or the text
// exceeds kMaxStateBytes.
bool parse_state(std::string_view text, std::vector<StatePeer>* out, size_t* bad_lines,
                 std::string* why);

// The header, then one line per peer. Endpoints that could not be read
// back (port 0, not an address) are left out, as are peers left with no
// endpoint; at most kMaxStateEndpoints per peer.
std::string format_state(std::span<const StatePeer> peers);

// Drops entries older than max_age_s relative to now_unix, keeps at most
// kMaxStatePeers (most recent first), dedups by id (latest wins). Times in
// the future are taken as now, so a clock set back does not pin them.
void age_state(std::vector<StatePeer>* peers, uint64_t now_unix, uint64_t max_age_s);

// Writes path atomically: path + ".tmp", write all, fsync, rename, fsync
// of the directory. False with *why on any error (the .tmp is removed).
bool write_state_file(const std::string& path, std::string_view text, std::string* why);

// Reads at most kMaxStateBytes; false with *why on error, and false with
// *why == "" when the file does not exist, so the caller can tell "none
// yet" apart.
bool read_state_file(const std::string& path, std::string* text, std::string* why);

// One endpoint as the file writes it: "192.0.2.1:3210" or
// "[2001:db8::1]:3210", port 1 to 65535.
bool parse_state_endpoint(std::string_view text, Endpoint* out);

}  // namespace braid::engine
