// Fuzzes the STUN parser and every accessor; a message that parses is rebuilt with the
// builder and must parse again.

#include <cstddef>
#include <cstdint>

#include "base/check.h"
#include "transport/ice/ice_lite_agent.h"
#include "transport/ice/stun_message.h"

namespace {
struct NullListener : sfu::ice::IceLiteAgent::Listener {
  void OnIceStateChange(sfu::ice::State) override {}
  void OnSelectedTupleChange(const sfu::ice::Tuple&) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sfu::stun;
  auto m = StunMessage::Parse({data, size});
  if (!m) return 0;
  (void)m->Username();
  (void)m->Priority();
  (void)m->IceControlling();
  (void)m->IceControlled();
  (void)m->XorMappedAddress();
  (void)m->ErrorCode();
  (void)m->FingerprintValid();
  const uint8_t key[] = {'k', 'e', 'y'};
  (void)m->CheckIntegrity(key);
  const uint16_t known[] = {attr::kUsername};
  (void)m->UnknownRequiredAttribute(known);

  // The ICE-lite agent must answer or drop anything that parses, and any response it
  // writes must itself parse.
  NullListener listener;
  sfu::ice::IceLiteAgent agent({"srvU", "key"}, listener);
  uint8_t response[512];
  sfu::ice::Tuple from{*sfu::SocketAddress::FromIp("192.0.2.1", 9), sfu::ice::Protocol::kUdp, 0};
  auto result = agent.OnStun(*m, from, sfu::Timestamp::Millis(1), response);
  if (!result.response.empty()) SFU_CHECK(StunMessage::Parse(result.response).has_value());

  uint8_t out[2048];
  StunBuilder b(out, m->method(), m->message_class(), m->transaction_id());
  // At most kMaxAttributes - 2 are copied: the parser takes no more than kMaxAttributes,
  // and MESSAGE-INTEGRITY and FINGERPRINT follow.
  size_t copied = 0;
  for (const auto& a : m->attributes()) {
    if (a.type == attr::kFingerprint || a.type == attr::kMessageIntegrity) continue;
    if (copied++ == kMaxAttributes - 2) break;
    b.AddBytes(a.type, a.value);
  }
  b.AddMessageIntegrity(key);
  b.AddFingerprint();
  if (auto rebuilt = b.Finish()) {
    auto again = StunMessage::Parse(*rebuilt);
    SFU_CHECK(again.has_value());
    SFU_CHECK(again->FingerprintValid());
    SFU_CHECK(again->CheckIntegrity(key) == Integrity::kValid);
  }
  return 0;
}
