#pragma once
// A reception report block (RFC 3550 section 6.4.1), carried by SR and RR.

#include <cstdint>
#include <optional>

#include "base/byte_reader.h"
#include "base/byte_writer.h"

namespace sfu::rtcp {

struct ReportBlock {
  static constexpr size_t kSize = 24;
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;       // Of 256.
  int32_t cumulative_lost = 0;     // 24-bit signed.
  uint32_t extended_highest_seq = 0;
  uint32_t jitter = 0;             // RTP timestamp units.
  uint32_t last_sr = 0;            // Middle 32 bits of the last SR's NTP time.
  uint32_t delay_since_last_sr = 0;  // In 1/65536 s.

  static std::optional<ReportBlock> Read(ByteReader& r);
  bool Write(ByteWriter& w) const;
  bool operator==(const ReportBlock&) const = default;
};

}  // namespace sfu::rtcp
