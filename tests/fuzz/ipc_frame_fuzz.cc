// libFuzzer target for the IPC frame check and every payload decoder, both
// sides, all states. Whatever a decoder accepts must encode back to the
// same bytes: the encoding is canonical, so the two ends cannot disagree.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ipc/messages.h"
#include "ipc/proto.h"

using namespace braid::ipc;

namespace {

template <typename T>
void round_trip(std::span<const uint8_t> payload) {
  T value;
  std::string why;
  if (!decode(payload, &value, &why)) return;
  std::vector<uint8_t> again;
  if (!encode(value, &again)) __builtin_trap();
  if (again.size() != payload.size() || !std::equal(again.begin(), again.end(), payload.begin())) {
    __builtin_trap();
  }
}

constexpr uint32_t kStates[] = {
    parent_state::kAwaitHello, parent_state::kAwaitReady, parent_state::kRunning,
    parent_state::kStopping,   engine_state::kAwaitConfig, engine_state::kConfigured,
    engine_state::kRunning,    0,                          0xffffffff,
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  for (Side side : {Side::kParent, Side::kEngine}) {
    for (uint32_t state : kStates) {
      for (int fds = 0; fds <= 2; ++fds) {
        FrameHeader h;
        std::string why = check_frame(side, state, in, fds, false, &h);
        if (why.empty()) {
          // An accepted frame is well formed by construction.
          if (size < kHeaderSize || h.length != size - kHeaderSize) __builtin_trap();
          check_payload(h.type, in.subspan(kHeaderSize));
        }
        if (check_frame(side, state, in, fds, true, nullptr).empty()) __builtin_trap();
      }
    }
  }
  // The decoders on the raw bytes too, so they are exercised even where the
  // header would have been refused.
  round_trip<Hello>(in);
  round_trip<EngineConfig>(in);
  round_trip<DeviceInfo>(in);
  round_trip<UdpSocketInfo>(in);
  round_trip<PeerAddresses>(in);
  round_trip<LinkInfo>(in);
  round_trip<LinkStatus>(in);
  round_trip<Settings>(in);
  round_trip<PeerSet>(in);
  round_trip<CertificateMsg>(in);
  round_trip<TrustedCasMsg>(in);
  round_trip<SharedKeyMsg>(in);
  decode_empty(in, nullptr);
  return 0;
}
