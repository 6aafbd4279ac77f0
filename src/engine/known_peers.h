// The peer state file in the engine's life: loaded at start, so its nodes
// become candidates and a restarted node rejoins even when its configured
// peers are gone; offered to the node again every kOfferIntervalNs until
// they answer or age out; merged with the live peers and written back
// (atomically, inside the chroot) every kSaveIntervalNs when it changed,
// and at exit.
#pragma once

#include <string>
#include <vector>

#include "engine/node.h"
#include "engine/statefile.h"

namespace braid::engine {

class KnownPeers {
 public:
  static constexpr uint64_t kFirstSaveNs = 60 * kNsPerSec;
  static constexpr uint64_t kSaveIntervalNs = 300 * kNsPerSec;
  static constexpr uint64_t kOfferIntervalNs = 600 * kNsPerSec;

  explicit KnownPeers(std::string path) : path_(std::move(path)) {}

  // Reads the file (a missing one is no error) and offers its nodes.
  void load(Node& node, uint64_t now_ns, uint64_t now_unix);
  // Call every tick: offers and saves when due.
  void tick(Node& node, uint64_t now_ns, uint64_t now_unix);
  // Merges the live peers in and writes the file if its text changed.
  void save(const Node& node, uint64_t now_unix);
  // Merges the live peers in without writing: done every
  // kRememberIntervalNs, so a peer that leaves just before we do is still
  // written at exit.
  void remember(const Node& node, uint64_t now_unix);
  static constexpr uint64_t kRememberIntervalNs = 10 * kNsPerSec;

  const std::vector<StatePeer>& known() const { return known_; }

 private:
  void offer(Node& node);

  std::string path_;
  std::vector<StatePeer> known_;
  std::string written_;
  uint64_t next_save_ns_ = 0;
  uint64_t next_offer_ns_ = 0;
  uint64_t next_remember_ns_ = 0;
  bool write_failed_ = false;
};

}  // namespace braid::engine
