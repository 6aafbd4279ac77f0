// The parent's network duties: binding the UDP sockets (they may need
// privilege: a low port, large forced buffers, a device to bind to) and
// resolving the names of configured peers.
#pragma once

#include <string>
#include <vector>

#include "common/fd.h"
#include "config/settings.h"
#include "ipc/messages.h"

namespace braid::priv {

// Binds the engine's UDP socket: on `address` if given, else on all
// addresses, IPv6 and IPv4 together where the host has IPv6. *family is
// AF_INET or AF_INET6.
UniqueFd open_udp_socket(const std::string& address, uint16_t port, int* family,
                         std::string* error);

// Binds the UDP socket of [link NAME] `link` on `port`: its family by its
// bind address (config::link_family), on all addresses and dual-stack
// without one, pinned to its device (SO_BINDTODEVICE, set before bind)
// when it has one, with the main socket's options. Errors name the link.
UniqueFd open_link_socket(const config::LinkSpec& link, uint16_t port, int* family,
                          std::string* error);

// Resolves a configured peer (blocking). A dual-stack socket reaches both
// families; for an AF_INET socket IPv6 results are left out, for a socket
// bound to an IPv6 address (v6_only) IPv4 results. At most
// ipc::kMaxPeerAddresses, duplicates removed.
std::vector<ipc::PeerAddress> resolve_peer(const config::PeerSpec& peer, int family,
                                           bool v6_only = false);

// What the node claims (router mode forwards by it): the configured subnets
// and, when auto_claim is set, every address on interface `ifname` as a
// host prefix (/32, /128; IPv6 link-local ones left out, they mean nothing
// to other nodes). At most ipc::kMaxClaims; duplicates removed.
ipc::ClaimsMsg node_claims(const config::Config& cfg, const std::string& ifname);

}  // namespace braid::priv
