// The frame check and the rule table: every message in exactly its states,
// from exactly its sender, with exactly its length and fd.
#include "ipc/proto.h"

#include <CppUTest/TestHarness.h>

#include <vector>

#include "common/bytes.h"
#include "ipc/messages.h"

using namespace braid;
using namespace braid::ipc;

namespace {

namespace ps = parent_state;
namespace es = engine_state;

constexpr uint32_t kParentStates[] = {ps::kAwaitHello, ps::kAwaitReady, ps::kRunning, ps::kStopping};
constexpr uint32_t kEngineStates[] = {es::kAwaitConfig, es::kConfigured, es::kRunning};

std::vector<uint8_t> record(uint8_t type, size_t payload_len, uint8_t version = kIpcVersion,
                            uint16_t reserved = 0, int64_t length = -1) {
  std::vector<uint8_t> r(kHeaderSize + payload_len);
  r[0] = version;
  r[1] = type;
  put_be16(&r[2], reserved);
  put_be32(&r[4], length < 0 ? static_cast<uint32_t>(payload_len) : static_cast<uint32_t>(length));
  return r;
}

std::vector<uint8_t> record(MsgType type, size_t payload_len) {
  return record(static_cast<uint8_t>(type), payload_len);
}

// What the specification says each receiver accepts, written out by hand
// rather than derived from the table under test.
struct Expect {
  MsgType type;
  Side receiver;
  uint32_t receive_states;
  uint32_t send_states;
  bool fd;
};
constexpr Expect kExpected[] = {
    {MsgType::kHello, Side::kParent, ps::kAwaitHello, es::kAwaitConfig, false},
    {MsgType::kReady, Side::kParent, ps::kAwaitReady | ps::kStopping, es::kRunning, false},
    {MsgType::kConfig, Side::kEngine, es::kAwaitConfig, ps::kAwaitReady, false},
    {MsgType::kDevice, Side::kEngine, es::kConfigured, ps::kAwaitReady, true},
    {MsgType::kUdpSocket, Side::kEngine, es::kConfigured, ps::kAwaitReady, true},
    {MsgType::kStart, Side::kEngine, es::kConfigured, ps::kAwaitReady, false},
    {MsgType::kPeerAddresses, Side::kEngine, es::kRunning, ps::kAwaitReady | ps::kRunning, false},
    {MsgType::kLogFd, Side::kEngine, es::kRunning, ps::kRunning, true},
    {MsgType::kShutdown, Side::kEngine, es::kConfigured | es::kRunning,
     ps::kAwaitReady | ps::kRunning | ps::kStopping, false},
    {MsgType::kIdentity, Side::kEngine, es::kConfigured, ps::kAwaitReady, false},
    {MsgType::kRevocationList, Side::kEngine, es::kConfigured | es::kRunning,
     ps::kAwaitReady | ps::kRunning, false},
    {MsgType::kClaims, Side::kEngine, es::kConfigured | es::kRunning, ps::kAwaitReady | ps::kRunning,
     false},
    {MsgType::kLink, Side::kEngine, es::kConfigured, ps::kAwaitReady, true},
    {MsgType::kLinkStatus, Side::kParent, ps::kRunning | ps::kStopping, es::kRunning, false},
    {MsgType::kReload, Side::kParent, ps::kRunning | ps::kStopping, es::kRunning, false},
    {MsgType::kStats, Side::kParent, ps::kRunning | ps::kStopping, es::kRunning, false},
    {MsgType::kControlSocket, Side::kEngine, es::kConfigured, ps::kAwaitReady, true},
    {MsgType::kSettings, Side::kEngine, es::kRunning, ps::kRunning, false},
    {MsgType::kPeerSet, Side::kEngine, es::kRunning, ps::kRunning, false},
    {MsgType::kLinkSet, Side::kEngine, es::kRunning, ps::kRunning, false},
    {MsgType::kCertificate, Side::kEngine, es::kRunning, ps::kRunning, false},
    {MsgType::kTrustedCas, Side::kEngine, es::kRunning, ps::kRunning, false},
    {MsgType::kSharedKey, Side::kEngine, es::kRunning, ps::kRunning, false},
};

std::span<const uint32_t> states_of(Side side) {
  if (side == Side::kParent) return kParentStates;
  return kEngineStates;
}

Side other(Side side) { return side == Side::kParent ? Side::kEngine : Side::kParent; }

}  // namespace

TEST_GROUP(IpcFrame) {};

TEST(IpcFrame, TableListsExactlyTheSpecifiedMessages) {
  LONGS_EQUAL(std::size(kExpected), rules().size());
  for (const Expect& e : kExpected) {
    const MessageRule* rule = find_rule(static_cast<uint8_t>(e.type));
    CHECK(rule != nullptr);
    CHECK(rule->sender == other(e.receiver));
    CHECK_EQUAL(e.fd, rule->fd);
  }
}

TEST(IpcFrame, EveryMessageIsAcceptedInItsStatesAndRejectedInOthers) {
  for (const Expect& e : kExpected) {
    const MessageRule* rule = find_rule(static_cast<uint8_t>(e.type));
    auto rec = record(e.type, rule->min_len);
    for (uint32_t state : states_of(e.receiver)) {
      FrameHeader h;
      std::string why = check_frame(e.receiver, state, rec, e.fd ? 1 : 0, false, &h);
      bool allowed = (state & e.receive_states) != 0;
      CHECK_TEXT(why.empty() == allowed, (std::string(type_name(e.type)) + " in " + state_name(state)).c_str());
      if (allowed) {
        CHECK(h.type == e.type);
        LONGS_EQUAL(rule->min_len, h.length);
      } else {
        STRCMP_CONTAINS("not allowed in state", why.c_str());
      }
    }
  }
}

TEST(IpcFrame, EveryMessageMayBeSentOnlyInItsSendersStates) {
  for (const Expect& e : kExpected) {
    const MessageRule* rule = find_rule(static_cast<uint8_t>(e.type));
    Side sender = other(e.receiver);
    for (uint32_t state : states_of(sender)) {
      std::string why = check_send(sender, state, e.type, rule->min_len, e.fd);
      CHECK_TEXT(why.empty() == ((state & e.send_states) != 0),
                 (std::string(type_name(e.type)) + " from " + state_name(state)).c_str());
    }
  }
}

TEST(IpcFrame, RejectsMessageFromTheWrongDirection) {
  STRCMP_CONTAINS("which only sends it",
                  check_frame(Side::kEngine, es::kAwaitConfig, record(MsgType::kHello, 4), 0, false, nullptr).c_str());
  STRCMP_CONTAINS("which only sends it",
                  check_frame(Side::kParent, ps::kAwaitReady, record(MsgType::kStart, 0), 0, false, nullptr).c_str());
  CHECK_FALSE(check_send(Side::kEngine, es::kAwaitConfig, MsgType::kConfig, kConfigMinLen, false).empty());
  CHECK_FALSE(check_send(Side::kParent, ps::kAwaitHello, MsgType::kHello, 4, false).empty());
}

TEST(IpcFrame, RejectsTruncatedHeader) {
  auto rec = record(MsgType::kHello, 4);
  for (size_t n = 0; n < kHeaderSize; ++n) {
    std::string why = check_frame(Side::kParent, ps::kAwaitHello, std::span(rec).first(n), 0, false, nullptr);
    STRCMP_CONTAINS("short record", why.c_str());
  }
}

TEST(IpcFrame, RejectsRecordTheKernelTruncated) {
  STRCMP_EQUAL("truncated record",
               check_frame(Side::kParent, ps::kAwaitHello, record(MsgType::kHello, 4), 0, true, nullptr).c_str());
}

TEST(IpcFrame, RejectsLengthFieldShorterOrLongerThanTheRecord) {
  auto shorter = record(static_cast<uint8_t>(MsgType::kHello), 4, kIpcVersion, 0, 3);
  auto longer = record(static_cast<uint8_t>(MsgType::kHello), 4, kIpcVersion, 0, 5);
  STRCMP_CONTAINS("length field", check_frame(Side::kParent, ps::kAwaitHello, shorter, 0, false, nullptr).c_str());
  STRCMP_CONTAINS("length field", check_frame(Side::kParent, ps::kAwaitHello, longer, 0, false, nullptr).c_str());
}

TEST(IpcFrame, RejectsPayloadLengthOutsideTheRule) {
  STRCMP_CONTAINS("expected 4..4",
                  check_frame(Side::kParent, ps::kAwaitHello, record(MsgType::kHello, 3), 0, false, nullptr).c_str());
  STRCMP_CONTAINS("expected 4..4",
                  check_frame(Side::kParent, ps::kAwaitHello, record(MsgType::kHello, 5), 0, false, nullptr).c_str());
  CHECK_FALSE(check_frame(Side::kEngine, es::kRunning, record(MsgType::kShutdown, 1), 0, false, nullptr).empty());
  CHECK_FALSE(check_frame(Side::kEngine, es::kConfigured, record(MsgType::kDevice, kDeviceMaxLen + 1), 1, false,
                          nullptr).empty());
  CHECK_FALSE(check_frame(Side::kEngine, es::kRunning, record(MsgType::kPeerAddresses, kPeerAddressesMaxLen + 1), 0,
                          false, nullptr).empty());
  CHECK_FALSE(check_frame(Side::kEngine, es::kAwaitConfig, record(MsgType::kConfig, kConfigMinLen - 1), 0, false,
                          nullptr).empty());
}

TEST(IpcFrame, RejectsOversizedPayload) {
  CHECK(check_frame(Side::kEngine, es::kAwaitConfig, record(MsgType::kConfig, kMaxPayload), 0, false, nullptr).empty());
  STRCMP_CONTAINS("over the limit", check_frame(Side::kEngine, es::kAwaitConfig,
                                                record(MsgType::kConfig, kMaxPayload + 1), 0, false, nullptr).c_str());
  auto lying = record(static_cast<uint8_t>(MsgType::kConfig), kConfigMinLen, kIpcVersion, 0, 0xffffffff);
  STRCMP_CONTAINS("over the limit", check_frame(Side::kEngine, es::kAwaitConfig, lying, 0, false, nullptr).c_str());
}

TEST(IpcFrame, RejectsNonZeroReserved) {
  auto rec = record(static_cast<uint8_t>(MsgType::kHello), 4, kIpcVersion, 0x0100);
  STRCMP_CONTAINS("reserved", check_frame(Side::kParent, ps::kAwaitHello, rec, 0, false, nullptr).c_str());
}

TEST(IpcFrame, RejectsAnyOtherVersion) {
  for (int v = 0; v < 256; ++v) {
    if (v == kIpcVersion) continue;
    auto rec = record(static_cast<uint8_t>(MsgType::kHello), 4, static_cast<uint8_t>(v));
    STRCMP_CONTAINS("IPC version", check_frame(Side::kParent, ps::kAwaitHello, rec, 0, false, nullptr).c_str());
  }
}

TEST(IpcFrame, RejectsUnknownTypes) {
  for (int t = 0; t < 256; ++t) {
    if (find_rule(static_cast<uint8_t>(t)) != nullptr) continue;
    for (Side side : {Side::kParent, Side::kEngine}) {
      for (uint32_t state : states_of(side)) {
        STRCMP_CONTAINS("unknown message type",
                        check_frame(side, state, record(static_cast<uint8_t>(t), 0), 0, false, nullptr).c_str());
      }
    }
  }
}

TEST(IpcFrame, RejectsFdWhereNoneBelongs) {
  STRCMP_CONTAINS("where none belongs",
                  check_frame(Side::kEngine, es::kConfigured, record(MsgType::kStart, 0), 1, false, nullptr).c_str());
  STRCMP_CONTAINS("where none belongs",
                  check_frame(Side::kParent, ps::kAwaitHello, record(MsgType::kHello, 4), 1, false, nullptr).c_str());
  CHECK_FALSE(check_send(Side::kEngine, es::kRunning, MsgType::kReady, 0, true).empty());
}

TEST(IpcFrame, RejectsMissingFd) {
  STRCMP_CONTAINS("without its fd", check_frame(Side::kEngine, es::kConfigured, record(MsgType::kDevice, 6), 0,
                                                false, nullptr).c_str());
  STRCMP_CONTAINS("without its fd", check_frame(Side::kEngine, es::kConfigured, record(MsgType::kUdpSocket, 3), 0,
                                                false, nullptr).c_str());
  STRCMP_CONTAINS("without its fd",
                  check_frame(Side::kEngine, es::kRunning, record(MsgType::kLogFd, 0), 0, false, nullptr).c_str());
  CHECK_FALSE(check_send(Side::kParent, ps::kAwaitReady, MsgType::kDevice, 6, false).empty());
}

TEST(IpcFrame, RejectsTwoFds) {
  STRCMP_CONTAINS("2 fds", check_frame(Side::kEngine, es::kConfigured, record(MsgType::kDevice, 6), 2, false,
                                       nullptr).c_str());
}

TEST(IpcFrame, AcceptsNothingInAStateThatIsNotExactlyOneOfTheReceiversStates) {
  auto hello = record(MsgType::kHello, 4);
  CHECK_FALSE(check_frame(Side::kParent, 0, hello, 0, false, nullptr).empty());
  CHECK_FALSE(check_frame(Side::kParent, ps::kAwaitHello | ps::kAwaitReady, hello, 0, false, nullptr).empty());
  CHECK_FALSE(check_frame(Side::kParent, es::kAwaitConfig, hello, 0, false, nullptr).empty());
  auto config = record(MsgType::kConfig, kConfigMinLen);
  CHECK_FALSE(check_frame(Side::kEngine, ps::kAwaitReady, config, 0, false, nullptr).empty());
  CHECK_FALSE(check_send(Side::kParent, es::kConfigured, MsgType::kStart, 0, false).empty());
  CHECK_FALSE(check_send(Side::kEngine, ps::kAwaitHello, MsgType::kHello, 4, false).empty());
}

TEST(IpcFrame, EncodesTheHeaderInNetworkOrder) {
  std::vector<uint8_t> payload{1, 2, 3, 4};
  auto frame = encode_frame(MsgType::kHello, payload);
  LONGS_EQUAL(12, frame.size());
  LONGS_EQUAL(kIpcVersion, frame[0]);
  LONGS_EQUAL(1, frame[1]);
  LONGS_EQUAL(0, frame[2]);
  LONGS_EQUAL(0, frame[3]);
  LONGS_EQUAL(4, get_be32(&frame[4]));
  LONGS_EQUAL(4, frame[11]);
  FrameHeader h;
  CHECK(check_frame(Side::kParent, ps::kAwaitHello, frame, 0, false, &h).empty());
  CHECK(h.type == MsgType::kHello);
}
