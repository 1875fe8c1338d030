#pragma once
// Extended reports (RFC 3611): the receiver reference time block (section 4.4) and the
// DLRR block (section 4.5). Blocks of other types are skipped by their length.

#include <cstdint>
#include <optional>
#include <span>

#include "absl/container/inlined_vector.h"
#include "router/rtcp/rtcp_header.h"

namespace sfu::rtcp {

inline constexpr uint8_t kXrReceiverReferenceTime = 4;  // BT=4.
inline constexpr uint8_t kXrDlrr = 5;                    // BT=5.

struct ExtendedReports {
  // A DLRR sub-block (RFC 3611 section 4.5).
  struct DlrrItem {
    uint32_t ssrc = 0;
    uint32_t last_rr = 0;              // LRR: middle 32 bits of the RRTR's NTP time.
    uint32_t delay_since_last_rr = 0;  // DLRR: in 1/65536 s.
    bool operator==(const DlrrItem&) const = default;
  };

  uint32_t sender_ssrc = 0;
  // NTP time (32.32) of the receiver reference time block; the last one if several.
  std::optional<uint64_t> rrtr_ntp_time;
  // The sub-blocks of every DLRR block, in order.
  absl::InlinedVector<DlrrItem, 2> dlrr;

  static std::optional<ExtendedReports> Parse(std::span<const uint8_t> packet);
  // Written as at most one RRTR block, then at most one DLRR block (none if empty).
  size_t size() const;
  size_t Write(std::span<uint8_t> out) const;
  bool operator==(const ExtendedReports&) const = default;
};

}  // namespace sfu::rtcp
