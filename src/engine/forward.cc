// Hub forwarding.
#include "engine/forward.h"

#include <algorithm>

namespace braid::engine {

void HubForwarder::peer_added(Peer* peer) {
  if (std::find(peers_.begin(), peers_.end(), peer) == peers_.end()) peers_.push_back(peer);
}

void HubForwarder::peer_removed(Peer* peer) {
  peers_.erase(std::remove(peers_.begin(), peers_.end(), peer), peers_.end());
}

}  // namespace braid::engine
