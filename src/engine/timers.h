// Protocol time limits, all in one place. Every timer of the engine is run
// from Node::on_tick (timers.cc), which lists them.
#pragma once

#include <cstdint>

#include "common/clock.h"

namespace braid::engine {

// A pair's keys are renewed while they carry data: by the node with the
// smaller node id after 90 s, which keeps every key that carries data
// younger than two minutes with room for a few retries; by the other node
// after 110 s if that has not happened (the first may be gone or its clock
// stalled). One renewer per pair: two nodes renewing at the same moment
// would each start a handshake and double the cost.
constexpr uint64_t kRekeyAfterTimeNs = 90 * kNsPerSec;
constexpr uint64_t kRekeyByOtherNs = 110 * kNsPerSec;
// No data is accepted under keys older than this. Keys of an idle pair
// are renewed only hourly (kIdleRekeyNs): past this age they carry only
// keepalives and control messages (which a member learns anyway), and the
// first data packet starts a renewal and waits for it (kStash*).
constexpr uint64_t kRejectAfterTimeNs = 180 * kNsPerSec;
// Data is sealed only under keys younger than this, so that it arrives
// before kRejectAfterTimeNs; older keys make it wait for a renewal.
constexpr uint64_t kSendDataBeforeNs = kRejectAfterTimeNs - 10 * kNsPerSec;
// Even an idle pair's keys are renewed this often (by the same node as
// above; the other kRekeyByOtherNs - kRekeyAfterTimeNs later): the
// control messages they carry are not kept under one key for days.
constexpr uint64_t kIdleRekeyNs = 3600 * kNsPerSec;
// Renew after this many packets even if the time has not come.
constexpr uint64_t kRekeyAfterMessages = 1ull << 60;
// A rekey handshake that got no answer is started again after this.
constexpr uint64_t kRekeyRetryNs = 1 * kNsPerSec;
// We sent data and have heard nothing since for `keepalive` seconds plus
// this: the peer, which answers data within `keepalive`, may have
// restarted and lost our session.
constexpr uint64_t kSilenceGraceNs = 10 * kNsPerSec;
// A pair that has carried no data for two keepalive intervals is idle: its
// keepalives, which only show that each side is alive, go every this long
// (at most 2/5 of peer_timeout) instead of every `keepalive` seconds --
// unless the peer sees us at an address that is not ours (a NAT is on the
// path, and its mapping needs the shorter interval) or the firewall probe
// (timers.cc) has not shown that packets reach us after such a quiet spell
// (a stateful firewall would forget us). A peer not heard from for this
// long plus kSilenceGraceNs is overdue: it gets a handshake, whose answer
// makes up for a lost keepalive before peer_timeout.
constexpr uint64_t kIdleKeepaliveNs = 120 * kNsPerSec;
// A firewall probe (timers.cc) that found nothing either way is tried
// again this much later.
constexpr uint64_t kProbeRetryNs = 600 * kNsPerSec;
// Data for a peer whose keys are too old waits for the renewal it starts:
// at most this many packets per peer and in all, for at most this long.
constexpr size_t kStashPerPeer = 8;
constexpr size_t kStashMax = 128;
constexpr uint64_t kStashMaxAgeNs = 5 * kNsPerSec;
// Half-done handshakes are forgotten after this, freeing their index.
constexpr uint64_t kHandshakeTimeoutNs = 5 * kNsPerSec;
// Contacting a configured peer that does not answer: the wait between
// attempts doubles from the first value up to the second.
constexpr uint64_t kConnectBackoffMinNs = 1 * kNsPerSec;
constexpr uint64_t kConnectBackoffMaxNs = 16 * kNsPerSec;
// Handshake initiations processed per second at most (burst as large):
// each costs hashing and, when valid, a Diffie-Hellman.
constexpr uint64_t kInitRatePerSec = 2000;
// Initiations with a valid mac1 per second above which the node is under
// load and asks for cookies.
constexpr uint64_t kUnderLoadInitsPerSec = 100;
// A renewal that has not succeeded after this long is given up: the
// session expires and the peer is contacted afresh (configured peers) or
// forgotten at peer_timeout.
constexpr uint64_t kRekeyAttemptNs = 90 * kNsPerSec;
// Random extra wait added to each handshake retry, so that nodes that lost
// contact at the same moment do not retry in lockstep.
constexpr uint64_t kRetryJitterNs = 333 * kNsPerMs;
// An initiator whose first session is still unused by the other side
// this long after the handshake says so once.
constexpr uint64_t kUnconfirmedWarnNs = 5 * kNsPerSec;
// At most this many handshakes in progress; the oldest goes first.
constexpr size_t kMaxHandshakes = 4096;

// Peer exchange (mesh.cc). A new peer gets our list (up to
// kMaxPeerEntries live peers, a random choice when we have more) at once,
// and up to kAnnounceFanout of our other peers hear of it: each that
// connects does the same, which is what makes a joining node known
// everywhere within seconds. As a safety net (a lost message, a healed
// partition) every round kExchangeFanout random peers get our list too;
// both bounds keep a node's management traffic flat however large the
// network grows.
constexpr uint64_t kExchangeIntervalNs = 60 * kNsPerSec;
constexpr size_t kExchangeFanout = 3;
constexpr size_t kAnnounceFanout = 20;
// A node heard of but not reached is contacted with this backoff, and
// forgotten when nobody has mentioned it for kCandidateTtlNs.
constexpr uint64_t kCandidateBackoffMinNs = 1 * kNsPerSec;
constexpr uint64_t kCandidateBackoffMaxNs = 32 * kNsPerSec;
constexpr uint64_t kCandidateTtlNs = 180 * kNsPerSec;
// Bounds what a member's gossip can make us hold, and how fast it can
// make us send initiations (a tick is 100 ms: 200 a second at most).
constexpr size_t kMaxCandidates = 1024;
constexpr size_t kCandidateAttemptsPerTick = 20;
// Our claims go to a new peer twice, this far apart: one lost copy does
// not leave it without routes until the next session.
constexpr uint64_t kClaimsResendNs = 1 * kNsPerSec;
// A candidate we cannot reach is introduced (its teller asked to tell it
// about us) at most this often.
constexpr uint64_t kIntroduceIntervalNs = 5 * kNsPerSec;
// Introductions one peer may ask of us per second.
constexpr uint32_t kIntroducePerSec = 20;
// A node heard of that this many direct attempts have not reached is
// tried through relays too (when a route to it exists), again every
// kRelayRetryNs until a session stands.
constexpr uint32_t kRelayAfterAttempts = 2;
constexpr uint64_t kRelayRetryNs = 2 * kNsPerSec;
// With max_peers, a direct tunnel whose neighbour has not answered for
// this long no longer holds a place under the bound, and it is given up
// (tunnels.cc): otherwise a node whose tunnels all led to nodes that died
// would open no other and stay cut off until its tunnel refresh.
constexpr uint64_t kDeadTunnelNs = 10 * kNsPerSec;
// A direct tunnel being given up carries on this long (both sides count
// it from the unlink message) while routes move off it: long enough for a
// seqno request to cross the network and its answer to come back, so the
// routes that replace those through it are feasible before it goes.
constexpr uint64_t kDrainNs = 3 * kNsPerSec;
// With max_peers, a node none of whose direct tunnels answers opens new
// ones at most this often (tunnels.cc).
constexpr uint64_t kRelinkIntervalNs = 5 * kNsPerSec;
// LAN beacons acted on per second, from all sources: a replayed beacon
// makes us send an initiation to its (possibly forged) source.
constexpr uint32_t kBeaconsPerSec = 10;

}  // namespace braid::engine
