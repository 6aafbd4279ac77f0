// The whole privileged interface between the root parent and the
// unprivileged engine: the frame, every message type, the states in which
// each may travel and the check every received frame must pass. Every new
// message here is a security change; bump kIpcVersion when anything in
// this file or in messages.h changes meaning.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace braid::ipc {

constexpr uint8_t kIpcVersion = 9;
// version u8, type u8, reserved u16, length u32.
constexpr size_t kHeaderSize = 8;
// Large enough for a configuration with hundreds of peers; small enough
// that one receive buffer per channel holds any record.
constexpr uint32_t kMaxPayload = 65536;
constexpr size_t kMaxFrame = kHeaderSize + kMaxPayload;

enum class MsgType : uint8_t {
  // engine -> parent
  kHello = 1,           // first frame from the engine; payload: u32 pid
  kReady = 2,           // engine has its fds and runs; payload empty
  kLinkStatus = 3,      // LinkStatus: a link went up or down (the parent runs status_hook)
  kReload = 4,          // braidctl asked for a reload (as SIGHUP); payload empty
  kStats = 5,           // the stats file's new contents (text); the parent writes it
  // parent -> engine
  kConfig = 16,         // EngineConfig (messages.h)
  kDevice = 17,         // + fd (tun/tap); DeviceInfo
  kUdpSocket = 18,      // + fd (bound UDP socket); UdpSocketInfo
  kStart = 19,          // all fds sent; payload empty
  kPeerAddresses = 20,  // PeerAddresses: resolved addresses of one configured peer
  kLogFd = 21,          // + fd: the reopened log file (after SIGHUP); payload empty
  kShutdown = 22,       // say goodbye to peers and exit 0; payload empty
  kIdentity = 23,       // Identity: static key, certificate, trusted CAs (before Start)
  kRevocationList = 24, // RevocationListMsg: one CA's list (at start and after SIGHUP)
  kClaims = 25,         // ClaimsMsg: the node's claimed subnets (before Start, and after a reload)
  kLink = 26,           // + fd (one link's bound UDP socket); LinkInfo (instead of UdpSocket)
  kControlSocket = 27,  // + fd (the listening control socket); payload empty
  kSettings = 28,       // Settings: what a reload changed that the engine applies
  kPeerSet = 29,        // PeerSet: a reload added or removed a configured peer
  kLinkSet = 30,        // LinkInfo without fd: a reload changed a link's rate or weight
  kCertificate = 31,    // CertificateMsg: the node's certificate, renewed (after SIGHUP)
  kTrustedCas = 32,     // TrustedCasMsg: the CA certificates, changed (after SIGHUP)
  kSharedKey = 33,      // SharedKeyMsg: the network's PSK, changed (after SIGHUP)
};

enum class Side : uint8_t { kParent, kEngine };

// States are single bits so that a rule can list the states it is allowed
// in as a mask. Parent and engine states use disjoint bits: one mask in a
// rule names both the sender's states (checked before sending) and the
// receiver's (checked on receipt), and a side that is handed the other
// side's state accepts nothing.
namespace parent_state {
constexpr uint32_t kAwaitHello = 1u << 0;
constexpr uint32_t kAwaitReady = 1u << 1;  // sends Config, fds, Start, addresses
constexpr uint32_t kRunning = 1u << 2;
constexpr uint32_t kStopping = 1u << 3;
}  // namespace parent_state

namespace engine_state {
constexpr uint32_t kAwaitConfig = 1u << 8;
constexpr uint32_t kConfigured = 1u << 9;  // Device, UdpSocket and Link only here
constexpr uint32_t kRunning = 1u << 10;
}  // namespace engine_state

struct FrameHeader {
  uint8_t version = 0;
  MsgType type = MsgType::kHello;
  uint16_t reserved = 0;
  uint32_t length = 0;
};

// One row of the table of everything that may cross the channel.
struct MessageRule {
  MsgType type;
  Side sender;
  uint32_t allowed_states;  // sender's and receiver's states, see above
  uint32_t min_len, max_len;
  bool fd;  // exactly one fd travels with the frame; otherwise none
};

// The rule for a type, or nullptr when the type is unknown.
const MessageRule* find_rule(uint8_t type);
// The whole table, for tests and documentation.
std::span<const MessageRule> rules();

// Checks one received record against the rules. `fd_count` is the number
// of descriptors that arrived with it, `truncated` whether the kernel cut
// the data or the control message (MSG_TRUNC / MSG_CTRUNC). Returns "" when
// acceptable and fills *out (may be nullptr); otherwise the reason, and the
// caller must treat the channel as broken.
std::string check_frame(Side receiver, uint32_t state, std::span<const uint8_t> record,
                        int fd_count, bool truncated, FrameHeader* out);

// The same rules from the sender's side: "" when `self` in `state` may send
// this frame, else the reason. A refusal is a programming error.
std::string check_send(Side self, uint32_t state, MsgType type, size_t payload_len,
                       bool with_fd);

// Header followed by payload; the caller has checked the length.
std::vector<uint8_t> encode_frame(MsgType type, std::span<const uint8_t> payload);

const char* type_name(MsgType type);
// "parent:await-hello", "engine:running", ... or "invalid" for anything
// that is not exactly one known state bit.
const char* state_name(uint32_t state);
const char* side_name(Side side);

}  // namespace braid::ipc
