// Counters of everything the engine drops or does, readable by tests and
// operators; each drop reason has its own counter.
#pragma once

#include <cstdint>

namespace braid::engine {

struct Counters {
  uint64_t rx_packets = 0;          // UDP datagrams received
  uint64_t tx_packets = 0;          // UDP datagrams sent
  uint64_t device_rx = 0;           // packets read from the device
  uint64_t device_tx = 0;           // packets written to the device
  uint64_t drop_foreign = 0;        // too short or another network's magic
  uint64_t drop_malformed = 0;      // bad length or unknown type
  uint64_t drop_unknown_index = 0;  // no keypair or handshake with that index
  uint64_t drop_auth = 0;           // failed authentication (forged or wrong key)
  uint64_t drop_replay = 0;         // counter seen before or too old
  uint64_t drop_expired = 0;        // keypair past its lifetime
  uint64_t drop_no_peer = 0;        // device packet with no connected peer
  uint64_t drop_no_buffer = 0;      // buffer pool exhausted
  uint64_t drop_send_error = 0;     // sendmmsg refused the datagram
  uint64_t drop_rate_limited = 0;   // handshake initiation over the rate limit
  uint64_t drop_device_error = 0;   // write to the device failed
  uint64_t drop_mac = 0;            // initiation without a valid mac1
  uint64_t drop_unauthorized = 0;   // source address or MAC outside the sender's certificate
  uint64_t cookie_sent = 0;         // cookie replies sent (under load)
  uint64_t cookie_received = 0;     // cookie replies accepted
  uint64_t handshake_refused = 0;   // certificate missing, invalid, expired or revoked
  uint64_t handshake_init_rx = 0;
  uint64_t handshake_ok = 0;
  uint64_t handshake_failed = 0;
  uint64_t drop_no_route = 0;       // router mode: no peer claims the destination
  uint64_t drop_control = 0;        // control message malformed or of an unknown type
  uint64_t claims_refused = 0;      // claimed subnets outside the sender's certificate
  uint64_t control_tx = 0;          // control messages sent (claims, peers, introductions)
  uint64_t control_rx = 0;
  uint64_t control_bytes_tx = 0;    // their sealed sizes, for the management traffic figure
  uint64_t peers_learnt = 0;        // nodes first heard of through exchange, beacon or state
  uint64_t beacons_rx = 0;          // valid LAN beacons of other nodes
  uint64_t stashed = 0;             // data held while its peer's keys were renewed
  uint64_t drop_stash = 0;          // held data dropped: too much, or no keys within 5 s
  uint64_t drop_link_queue = 0;     // a paced link's queue was full (bulk data)
  uint64_t path_changes = 0;        // multi-link: paths going up, degraded or down
  uint64_t relayed_tx = 0;          // our packets sent through a relay
  uint64_t relayed_rx = 0;          // packets for us that came through relays
  uint64_t forwarded = 0;           // other nodes' packets relayed on
  uint64_t forwarded_bytes = 0;
  uint64_t drop_relay = 0;          // relayed packet looped back, or relay = no (a hop failing
                                    // its tag or replay window: drop_auth, drop_replay)
  uint64_t drop_hop_limit = 0;      // relayed packet out of hops
  uint64_t route_changes = 0;       // selected routes that changed (next hop or reachability)
};

}  // namespace braid::engine
