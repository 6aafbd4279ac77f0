// The rule table of the privileged interface and the frame check both
// processes run on every record they receive.
#include "ipc/proto.h"

#include <bit>
#include <cstdarg>
#include <cstdio>

#include "common/bytes.h"
#include "ipc/messages.h"

namespace braid::ipc {
namespace {

namespace ps = parent_state;
namespace es = engine_state;

// Each mask names the sender's states in which it may send the message and
// the receiver's states in which it may arrive. The parent may send
// addresses before Start is out (kAwaitReady) but the engine takes them
// only once running, so the parent must send them after Start.
constexpr MessageRule kRules[] = {
    {MsgType::kHello, Side::kEngine, es::kAwaitConfig | ps::kAwaitHello, kHelloLen, kHelloLen, false},
    // Ready may cross a Shutdown the parent sent while waiting for it.
    {MsgType::kReady, Side::kEngine, es::kRunning | ps::kAwaitReady | ps::kStopping, 0, 0, false},
    // The engine reports links once running, after its Ready; a report may
    // cross a Shutdown as Ready may.
    {MsgType::kLinkStatus, Side::kEngine, es::kRunning | ps::kRunning | ps::kStopping,
     kLinkStatusLen, kLinkStatusLen, false},
    // The control socket's requests and the stats file come once running;
    // like LinkStatus, they may cross a Shutdown.
    {MsgType::kReload, Side::kEngine, es::kRunning | ps::kRunning | ps::kStopping, 0, 0, false},
    {MsgType::kStats, Side::kEngine, es::kRunning | ps::kRunning | ps::kStopping, 1, kMaxPayload,
     false},
    {MsgType::kConfig, Side::kParent, ps::kAwaitReady | es::kAwaitConfig, kConfigMinLen, kMaxPayload, false},
    {MsgType::kDevice, Side::kParent, ps::kAwaitReady | es::kConfigured, kDeviceMinLen, kDeviceMaxLen, true},
    {MsgType::kUdpSocket, Side::kParent, ps::kAwaitReady | es::kConfigured, kUdpSocketLen, kUdpSocketLen, true},
    {MsgType::kLink, Side::kParent, ps::kAwaitReady | es::kConfigured, kLinkMinLen, kLinkMaxLen, true},
    {MsgType::kControlSocket, Side::kParent, ps::kAwaitReady | es::kConfigured, 0, 0, true},
    {MsgType::kSettings, Side::kParent, ps::kRunning | es::kRunning, kSettingsLen, kSettingsLen,
     false},
    {MsgType::kStart, Side::kParent, ps::kAwaitReady | es::kConfigured, 0, 0, false},
    {MsgType::kPeerAddresses, Side::kParent, ps::kAwaitReady | ps::kRunning | es::kRunning,
     kPeerAddressesMinLen, kPeerAddressesMaxLen, false},
    {MsgType::kLogFd, Side::kParent, ps::kRunning | es::kRunning, 0, 0, true},
    {MsgType::kIdentity, Side::kParent, ps::kAwaitReady | es::kConfigured, kIdentityMinLen,
     kIdentityMaxLen, false},
    // Sent after Identity and before Start, and again on SIGHUP.
    {MsgType::kRevocationList, Side::kParent,
     ps::kAwaitReady | ps::kRunning | es::kConfigured | es::kRunning, kRevocationListMinLen,
     kMaxPayload, false},
    // Before Start, and again when a reload changes them.
    {MsgType::kClaims, Side::kParent, ps::kAwaitReady | ps::kRunning | es::kConfigured | es::kRunning,
     kClaimsMinLen, kClaimsMaxLen, false},
    {MsgType::kPeerSet, Side::kParent, ps::kRunning | es::kRunning, kPeerSetMinLen, kPeerSetMaxLen,
     false},
    {MsgType::kLinkSet, Side::kParent, ps::kRunning | es::kRunning, kLinkMinLen, kLinkMaxLen, false},
    {MsgType::kCertificate, Side::kParent, ps::kRunning | es::kRunning, kCertificateMinLen,
     kCertificateMaxLen, false},
    {MsgType::kTrustedCas, Side::kParent, ps::kRunning | es::kRunning, kTrustedCasMinLen,
     kTrustedCasMaxLen, false},
    {MsgType::kSharedKey, Side::kParent, ps::kRunning | es::kRunning, kSharedKeyLen, kSharedKeyLen,
     false},
    {MsgType::kShutdown, Side::kParent, ps::kAwaitReady | ps::kRunning | ps::kStopping | es::kConfigured | es::kRunning,
     0, 0, false},
};

__attribute__((format(printf, 1, 2))) std::string format(const char* fmt, ...) {
  char buf[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

// The bits that are states of `side`.
constexpr uint32_t kParentStateBits = 0x000000ff;
constexpr uint32_t kEngineStateBits = 0x0000ff00;
uint32_t state_bits(Side side) { return side == Side::kParent ? kParentStateBits : kEngineStateBits; }

// Checks that apply to both directions once the type is known; `state` is
// the state of `side`, the side doing the check.
std::string check_rule(const MessageRule& rule, Side side, uint32_t state, size_t payload_len, int fd_count) {
  if ((rule.allowed_states & state_bits(side) & state) == 0 || std::popcount(state) != 1) {
    return format("%s not allowed in state %s", type_name(rule.type), state_name(state));
  }
  if (payload_len < rule.min_len || payload_len > rule.max_len) {
    return format("%s payload of %zu bytes, expected %u..%u", type_name(rule.type), payload_len,
                  rule.min_len, rule.max_len);
  }
  if (fd_count > 1) return format("%s with %d fds", type_name(rule.type), fd_count);
  if (rule.fd && fd_count == 0) return format("%s without its fd", type_name(rule.type));
  if (!rule.fd && fd_count != 0) return format("%s with an fd where none belongs", type_name(rule.type));
  return "";
}

}  // namespace

const MessageRule* find_rule(uint8_t type) {
  for (const MessageRule& rule : kRules) {
    if (static_cast<uint8_t>(rule.type) == type) return &rule;
  }
  return nullptr;
}

std::span<const MessageRule> rules() { return kRules; }

std::string check_frame(Side receiver, uint32_t state, std::span<const uint8_t> record,
                        int fd_count, bool truncated, FrameHeader* out) {
  if (truncated) return "truncated record";
  if (fd_count > 1) return format("%d fds in one record", fd_count);
  if (record.size() < kHeaderSize) return format("short record of %zu bytes", record.size());
  FrameHeader h;
  h.version = record[0];
  h.reserved = get_be16(&record[2]);
  h.length = get_be32(&record[4]);
  if (h.version != kIpcVersion) {
    return format("IPC version %u, expected %u", h.version, kIpcVersion);
  }
  if (h.reserved != 0) return format("reserved field is 0x%04x, not 0", h.reserved);
  if (h.length > kMaxPayload) return format("payload length %u over the limit", h.length);
  if (h.length != record.size() - kHeaderSize) {
    return format("length field %u but the record holds %zu payload bytes", h.length,
                  record.size() - kHeaderSize);
  }
  const MessageRule* rule = find_rule(record[1]);
  if (rule == nullptr) return format("unknown message type %u", record[1]);
  h.type = rule->type;
  if (rule->sender == receiver) {
    return format("%s sent to the %s, which only sends it", type_name(rule->type), side_name(receiver));
  }
  std::string why = check_rule(*rule, receiver, state, h.length, fd_count);
  if (!why.empty()) return why;
  if (out != nullptr) *out = h;
  return "";
}

std::string check_send(Side self, uint32_t state, MsgType type, size_t payload_len, bool with_fd) {
  const MessageRule* rule = find_rule(static_cast<uint8_t>(type));
  if (rule == nullptr) return format("unknown message type %u", static_cast<unsigned>(type));
  if (rule->sender != self) {
    return format("the %s may not send %s", side_name(self), type_name(type));
  }
  return check_rule(*rule, self, state, payload_len, with_fd ? 1 : 0);
}

std::vector<uint8_t> encode_frame(MsgType type, std::span<const uint8_t> payload) {
  std::vector<uint8_t> frame(kHeaderSize + payload.size());
  ByteWriter w(frame);
  w.u8(kIpcVersion);
  w.u8(static_cast<uint8_t>(type));
  w.u16(0);
  w.u32(static_cast<uint32_t>(payload.size()));
  w.bytes(payload);
  return frame;
}

const char* type_name(MsgType type) {
  switch (type) {
    case MsgType::kHello: return "Hello";
    case MsgType::kReady: return "Ready";
    case MsgType::kLinkStatus: return "LinkStatus";
    case MsgType::kConfig: return "Config";
    case MsgType::kDevice: return "Device";
    case MsgType::kUdpSocket: return "UdpSocket";
    case MsgType::kStart: return "Start";
    case MsgType::kPeerAddresses: return "PeerAddresses";
    case MsgType::kLogFd: return "LogFd";
    case MsgType::kShutdown: return "Shutdown";
    case MsgType::kIdentity: return "Identity";
    case MsgType::kRevocationList: return "RevocationList";
    case MsgType::kCertificate: return "Certificate";
    case MsgType::kTrustedCas: return "TrustedCas";
    case MsgType::kSharedKey: return "SharedKey";
    case MsgType::kClaims: return "Claims";
    case MsgType::kLink: return "Link";
    case MsgType::kReload: return "Reload";
    case MsgType::kStats: return "Stats";
    case MsgType::kControlSocket: return "ControlSocket";
    case MsgType::kSettings: return "Settings";
    case MsgType::kPeerSet: return "PeerSet";
    case MsgType::kLinkSet: return "LinkSet";
  }
  return "unknown";
}

const char* state_name(uint32_t state) {
  switch (state) {
    case parent_state::kAwaitHello: return "parent:await-hello";
    case parent_state::kAwaitReady: return "parent:await-ready";
    case parent_state::kRunning: return "parent:running";
    case parent_state::kStopping: return "parent:stopping";
    case engine_state::kAwaitConfig: return "engine:await-config";
    case engine_state::kConfigured: return "engine:configured";
    case engine_state::kRunning: return "engine:running";
  }
  return "invalid";
}

const char* side_name(Side side) { return side == Side::kParent ? "parent" : "engine"; }

}  // namespace braid::ipc
