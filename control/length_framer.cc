#include "control/length_framer.h"

#include <algorithm>

#include "base/byte_reader.h"
#include "base/byte_writer.h"
#include "base/check.h"

namespace sfu::control {

void LengthPrefixDecoder::Feed(std::span<const uint8_t> data,
                               absl::FunctionRef<void(std::string_view)> on_message,
                               absl::FunctionRef<void(size_t)> on_oversized) {
  while (!data.empty()) {
    if (to_skip_ > 0) {
      size_t n = std::min(to_skip_, data.size());
      to_skip_ -= n;
      data = data.subspan(n);
      continue;
    }
    if (!in_payload_) {
      size_t n = std::min(kFrameHeaderSize - header_len_, data.size());
      std::copy_n(data.begin(), n, header_ + header_len_);
      header_len_ += n;
      data = data.subspan(n);
      if (header_len_ < kFrameHeaderSize) return;
      header_len_ = 0;
      ByteReader reader(std::span<const uint8_t>(header_, kFrameHeaderSize));
      expected_ = *reader.ReadU32();
      if (expected_ > max_message_) {
        on_oversized(expected_);
        to_skip_ = expected_;
        continue;
      }
      in_payload_ = true;
      payload_.clear();
    }
    size_t n = std::min(expected_ - payload_.size(), data.size());
    payload_.append(reinterpret_cast<const char*>(data.data()), n);
    data = data.subspan(n);
    if (payload_.size() == expected_) {
      in_payload_ = false;
      std::string message = std::move(payload_);
      payload_.clear();
      on_message(message);
    }
  }
}

std::string EncodeLengthPrefixed(std::string_view message) {
  SFU_CHECK(message.size() <= UINT32_MAX);
  std::string out(kFrameHeaderSize + message.size(), '\0');
  StoreU32BigEndian(static_cast<uint32_t>(message.size()), reinterpret_cast<uint8_t*>(out.data()));
  std::copy(message.begin(), message.end(), out.begin() + kFrameHeaderSize);
  return out;
}

}  // namespace sfu::control
