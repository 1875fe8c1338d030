#pragma once
// Sender report (RFC 3550 section 6.4.1) and receiver report (section 6.4.2).

#include <cstdint>
#include <optional>
#include <span>

#include "absl/container/inlined_vector.h"
#include "router/rtcp/report_block.h"
#include "router/rtcp/rtcp_header.h"

namespace sfu::rtcp {

using ReportBlocks = absl::InlinedVector<ReportBlock, 4>;

struct SenderReport {
  uint32_t ssrc = 0;
  uint64_t ntp_time = 0;  // NTP timestamp, 32.32 fixed point.
  uint32_t rtp_timestamp = 0;
  uint32_t packet_count = 0;
  uint32_t octet_count = 0;
  ReportBlocks blocks;  // At most 31.

  static std::optional<SenderReport> Parse(std::span<const uint8_t> packet);
  size_t size() const { return kHeaderSize + 24 + blocks.size() * ReportBlock::kSize; }
  // Writes the packet; returns its size, or 0 if it does not fit or has over 31 blocks.
  size_t Write(std::span<uint8_t> out) const;
};

struct ReceiverReport {
  uint32_t ssrc = 0;
  ReportBlocks blocks;

  static std::optional<ReceiverReport> Parse(std::span<const uint8_t> packet);
  size_t size() const { return kHeaderSize + 4 + blocks.size() * ReportBlock::kSize; }
  size_t Write(std::span<uint8_t> out) const;
};

}  // namespace sfu::rtcp
