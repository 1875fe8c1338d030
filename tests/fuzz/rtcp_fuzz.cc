// Fuzzes RTCP: walks a compound packet and parses each packet as every type it claims;
// whatever parses is written back and must parse again to the same values.

#include <cstddef>
#include <cstdint>

#include "base/check.h"
#include "router/rtcp/bye.h"
#include "router/rtcp/feedback.h"
#include "router/rtcp/sdes.h"
#include "router/rtcp/sender_report.h"
#include "router/rtcp/transport_feedback.h"
#include "router/rtcp/xr.h"

using namespace sfu::rtcp;

namespace {

template <typename T>
void RoundTrip(std::span<const uint8_t> packet) {
  auto parsed = T::Parse(packet);
  if (!parsed) return;
  uint8_t out[2048];
  size_t n = parsed->Write(out);
  if (n == 0) return;  // Too large for the buffer, or nothing to write.
  auto again = T::Parse({out, n});
  SFU_CHECK(again.has_value());
}

// For the types with equality: the values must survive the round trip exactly.
template <typename T>
void RoundTripEqual(std::span<const uint8_t> packet) {
  auto parsed = T::Parse(packet);
  if (!parsed) return;
  uint8_t out[2048];
  size_t n = parsed->Write(out);
  if (n == 0) return;  // Too large for the buffer.
  SFU_CHECK(n == parsed->size());
  auto again = T::Parse({out, n});
  SFU_CHECK(again.has_value());
  SFU_CHECK(*again == *parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CompoundIterator it({data, size});
  while (auto p = it.Next()) {
    RoundTrip<SenderReport>(p->second);
    RoundTrip<ReceiverReport>(p->second);
    RoundTrip<Nack>(p->second);
    RoundTrip<Pli>(p->second);
    RoundTrip<Fir>(p->second);
    RoundTrip<Remb>(p->second);
    RoundTripEqual<Sdes>(p->second);
    RoundTripEqual<Bye>(p->second);
    RoundTripEqual<ExtendedReports>(p->second);
    RoundTripEqual<TransportFeedback>(p->second);
  }
  return 0;
}
