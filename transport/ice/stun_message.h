#pragma once
// STUN messages (RFC 8489) as ICE uses them (RFC 8445 section 7): a bounds-checked
// parser that yields a view over the received bytes (no allocation), integrity and
// fingerprint checks, and a builder that writes into a caller's buffer.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "transport/socket_address.h"

namespace sfu::stun {

inline constexpr uint32_t kMagicCookie = 0x2112A442;
inline constexpr size_t kHeaderSize = 20;
inline constexpr size_t kMaxAttributes = 32;
inline constexpr uint32_t kFingerprintXor = 0x5354554e;  // RFC 8489 section 14.7

using TransactionId = std::array<uint8_t, 12>;

enum class MessageClass : uint8_t { kRequest = 0, kIndication = 1, kSuccess = 2, kError = 3 };
inline constexpr uint16_t kBindingMethod = 0x001;

// Attribute types (RFC 8489 section 18.3, RFC 8445 section 16.1).
namespace attr {
inline constexpr uint16_t kMappedAddress = 0x0001;
inline constexpr uint16_t kUsername = 0x0006;
inline constexpr uint16_t kMessageIntegrity = 0x0008;
inline constexpr uint16_t kErrorCode = 0x0009;
inline constexpr uint16_t kUnknownAttributes = 0x000A;
inline constexpr uint16_t kRealm = 0x0014;
inline constexpr uint16_t kNonce = 0x0015;
inline constexpr uint16_t kMessageIntegritySha256 = 0x001C;
inline constexpr uint16_t kXorMappedAddress = 0x0020;
inline constexpr uint16_t kPriority = 0x0024;
inline constexpr uint16_t kUseCandidate = 0x0025;
inline constexpr uint16_t kSoftware = 0x8022;
inline constexpr uint16_t kFingerprint = 0x8028;
inline constexpr uint16_t kIceControlled = 0x8029;
inline constexpr uint16_t kIceControlling = 0x802A;
// Types below 0x8000 must be understood by the receiver (RFC 8489 section 14).
constexpr bool ComprehensionRequired(uint16_t type) { return type < 0x8000; }
}  // namespace attr

// RFC 7983 demultiplexing: a first byte of 0..3 is STUN. Also checks the magic cookie.
bool LooksLikeStun(std::span<const uint8_t> packet);

enum class ParseError : uint8_t {
  kNone,
  kTooShort,        // Under 20 bytes, or shorter than the header says.
  kNotStun,         // Leading bits or magic cookie wrong.
  kBadLength,       // Length not a multiple of 4, or not matching the datagram.
  kBadAttribute,    // An attribute running past the end.
  kTooManyAttributes,
  kBadFingerprint,  // FINGERPRINT not last, or of the wrong size.
};
std::string_view ParseErrorName(ParseError e);

enum class Integrity : uint8_t { kAbsent, kValid, kInvalid };

class StunMessage {
 public:
  struct Attribute {
    uint16_t type;
    uint16_t offset;  // Of the attribute header from the start of the message.
    std::span<const uint8_t> value;
  };

  // Parses `data` (one whole message). The view refers to `data`, which must outlive it.
  static std::optional<StunMessage> Parse(std::span<const uint8_t> data,
                                          ParseError* error = nullptr);

  uint16_t method() const { return method_; }
  MessageClass message_class() const { return class_; }
  bool IsBindingRequest() const {
    return method_ == kBindingMethod && class_ == MessageClass::kRequest;
  }
  const TransactionId& transaction_id() const { return transaction_id_; }
  std::span<const uint8_t> bytes() const { return data_; }

  // The first attribute of `type` before MESSAGE-INTEGRITY (later ones are ignored,
  // RFC 8489 section 14.5), or FINGERPRINT.
  const Attribute* Find(uint16_t type) const;
  std::span<const Attribute> attributes() const { return {attributes_.data(), count_}; }

  std::optional<std::string_view> Username() const;
  std::optional<uint32_t> Priority() const;
  bool UseCandidate() const { return Find(attr::kUseCandidate) != nullptr; }
  std::optional<uint64_t> IceControlling() const;
  std::optional<uint64_t> IceControlled() const;
  std::optional<SocketAddress> XorMappedAddress() const;
  // Error class*100 + number, and the reason phrase.
  std::optional<std::pair<int, std::string_view>> ErrorCode() const;
  // The first comprehension-required attribute not in `known`, if any.
  std::optional<uint16_t> UnknownRequiredAttribute(std::span<const uint16_t> known) const;

  bool HasFingerprint() const { return fingerprint_ >= 0; }
  // True when FINGERPRINT is present and matches.
  bool FingerprintValid() const;
  // Checks MESSAGE-INTEGRITY (HMAC-SHA1) with `key` (the ICE password for short-term
  // credentials, RFC 8489 section 9.1.1).
  Integrity CheckIntegrity(std::span<const uint8_t> key) const;

 private:
  std::span<const uint8_t> data_;
  uint16_t method_ = 0;
  MessageClass class_ = MessageClass::kRequest;
  TransactionId transaction_id_{};
  std::array<Attribute, kMaxAttributes> attributes_{};
  size_t count_ = 0;
  // Indexes into attributes_ (not pointers: the view is copied and moved).
  int integrity_ = -1;
  int fingerprint_ = -1;
};

// Writes a message into a caller's buffer. Attributes go in the order added;
// AddMessageIntegrity then AddFingerprint come last. Finish() reports overflow.
class StunBuilder {
 public:
  StunBuilder(std::span<uint8_t> buffer, uint16_t method, MessageClass cls,
              const TransactionId& transaction_id);

  void AddBytes(uint16_t type, std::span<const uint8_t> value);
  void AddString(uint16_t type, std::string_view value);
  void AddU32(uint16_t type, uint32_t value);
  void AddU64(uint16_t type, uint64_t value);
  void AddFlag(uint16_t type) { AddBytes(type, {}); }
  void AddXorMappedAddress(const SocketAddress& address);
  void AddErrorCode(int code, std::string_view reason);
  void AddMessageIntegrity(std::span<const uint8_t> key);
  void AddFingerprint();

  // The message, or nullopt if the buffer was too small.
  std::optional<std::span<const uint8_t>> Finish() const;

 private:
  uint8_t* Reserve(uint16_t type, size_t value_len);
  void SetLength(size_t body_len);

  std::span<uint8_t> buf_;
  size_t size_ = 0;
  bool overflow_ = false;
  TransactionId transaction_id_;
};

// HMAC-SHA1 key for the long-term credential mechanism: MD5(username:realm:password)
// (RFC 8489 section 9.2.2); short-term keys are the password itself.
std::array<uint8_t, 16> LongTermKey(std::string_view username, std::string_view realm,
                                    std::string_view password);

}  // namespace sfu::stun
