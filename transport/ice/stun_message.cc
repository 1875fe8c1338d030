#include "transport/ice/stun_message.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <zlib.h>

#include <cstring>

#include "base/byte_reader.h"
#include "base/byte_writer.h"

namespace sfu::stun {
namespace {

constexpr size_t kIntegritySize = 20;  // HMAC-SHA1
constexpr size_t kFingerprintSize = 4;

size_t Padded(size_t n) { return (n + 3) & ~size_t{3}; }

void Store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

uint32_t Crc32(std::span<const uint8_t> data) {
  return static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), data.data(), static_cast<uInt>(data.size())));
}

// HMAC-SHA1 over `first` (the message up to the MESSAGE-INTEGRITY attribute) whose
// header carries `length` in place of the real one (RFC 8489 section 14.5). Returns
// zeros if OpenSSL fails, which never matches a received MAC.
std::array<uint8_t, kIntegritySize> IntegrityHmac(std::span<const uint8_t> key,
                                                  std::span<const uint8_t> first,
                                                  uint16_t length) {
  // Fetched once; an EVP_MAC is immutable and may be shared by threads.
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  uint8_t header[kHeaderSize];
  std::memcpy(header, first.data(), kHeaderSize);
  Store16(header + 2, length);
  std::array<uint8_t, kIntegritySize> out{};
  EVP_MAC_CTX* ctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
  char digest[] = "SHA1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  size_t n = 0;
  bool ok = ctx && EVP_MAC_init(ctx, key.data(), key.size(), params) == 1 &&
            EVP_MAC_update(ctx, header, kHeaderSize) == 1 &&
            EVP_MAC_update(ctx, first.data() + kHeaderSize, first.size() - kHeaderSize) == 1 &&
            EVP_MAC_final(ctx, out.data(), &n, out.size()) == 1 && n == kIntegritySize;
  EVP_MAC_CTX_free(ctx);
  if (!ok) out.fill(0);
  return out;
}

}  // namespace

bool LooksLikeStun(std::span<const uint8_t> p) {
  return p.size() >= kHeaderSize && p[0] < 4 &&
         ((uint32_t{p[4]} << 24) | (uint32_t{p[5]} << 16) | (uint32_t{p[6]} << 8) | p[7]) ==
             kMagicCookie;
}

std::string_view ParseErrorName(ParseError e) {
  switch (e) {
    case ParseError::kNone: return "none";
    case ParseError::kTooShort: return "too short";
    case ParseError::kNotStun: return "not STUN";
    case ParseError::kBadLength: return "bad length";
    case ParseError::kBadAttribute: return "bad attribute";
    case ParseError::kTooManyAttributes: return "too many attributes";
    case ParseError::kBadFingerprint: return "misplaced fingerprint";
  }
  return "?";
}

std::optional<StunMessage> StunMessage::Parse(std::span<const uint8_t> data, ParseError* error) {
  auto fail = [error](ParseError e) -> std::optional<StunMessage> {
    if (error) *error = e;
    return std::nullopt;
  };
  if (error) *error = ParseError::kNone;
  ByteReader r(data);
  auto type = r.ReadU16();
  auto length = r.ReadU16();
  auto cookie = r.ReadU32();
  auto tid = r.ReadBytes(12);
  if (!type || !length || !cookie || !tid) return fail(ParseError::kTooShort);
  if ((*type & 0xC000) != 0 || *cookie != kMagicCookie) return fail(ParseError::kNotStun);
  if (*length % 4 != 0 || kHeaderSize + *length != data.size()) {
    return fail(data.size() < kHeaderSize + *length ? ParseError::kTooShort
                                                     : ParseError::kBadLength);
  }
  StunMessage m;
  m.data_ = data;
  // Type bits: M11..M7 C1 M6..M4 C0 M3..M0 (RFC 8489 section 5).
  uint16_t t = *type;
  m.method_ = static_cast<uint16_t>((t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2));
  m.class_ = static_cast<MessageClass>(((t >> 4) & 0x1) | ((t >> 7) & 0x2));
  std::memcpy(m.transaction_id_.data(), tid->data(), 12);

  while (!r.empty()) {
    size_t offset = r.position();
    auto attr_type = r.ReadU16();
    auto attr_len = r.ReadU16();
    if (!attr_type || !attr_len) return fail(ParseError::kBadAttribute);
    auto value = r.ReadBytes(*attr_len);
    if (!value || !r.Skip(Padded(*attr_len) - *attr_len)) return fail(ParseError::kBadAttribute);
    if (m.fingerprint_ >= 0) return fail(ParseError::kBadFingerprint);  // Must be last.
    if (m.count_ == kMaxAttributes) return fail(ParseError::kTooManyAttributes);
    int index = static_cast<int>(m.count_++);
    m.attributes_[static_cast<size_t>(index)] = {*attr_type, static_cast<uint16_t>(offset), *value};
    if (*attr_type == attr::kFingerprint) {
      if (*attr_len != kFingerprintSize) return fail(ParseError::kBadFingerprint);
      m.fingerprint_ = index;
    } else if (*attr_type == attr::kMessageIntegrity && m.integrity_ < 0) {
      if (*attr_len != kIntegritySize) return fail(ParseError::kBadAttribute);
      m.integrity_ = index;
    }
  }
  return m;
}

const StunMessage::Attribute* StunMessage::Find(uint16_t type) const {
  if (type == attr::kFingerprint) {
    return fingerprint_ >= 0 ? &attributes_[static_cast<size_t>(fingerprint_)] : nullptr;
  }
  for (size_t i = 0; i < count_; ++i) {
    if (attributes_[i].type == type) return &attributes_[i];
    if (static_cast<int>(i) == integrity_) break;  // Later attributes are not covered.
  }
  return nullptr;
}

std::optional<std::string_view> StunMessage::Username() const {
  const Attribute* a = Find(attr::kUsername);
  if (!a) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(a->value.data()), a->value.size());
}

std::optional<uint32_t> StunMessage::Priority() const {
  const Attribute* a = Find(attr::kPriority);
  if (!a || a->value.size() != 4) return std::nullopt;
  return ByteReader(a->value).ReadU32();
}

std::optional<uint64_t> StunMessage::IceControlling() const {
  const Attribute* a = Find(attr::kIceControlling);
  if (!a || a->value.size() != 8) return std::nullopt;
  return ByteReader(a->value).ReadU64();
}

std::optional<uint64_t> StunMessage::IceControlled() const {
  const Attribute* a = Find(attr::kIceControlled);
  if (!a || a->value.size() != 8) return std::nullopt;
  return ByteReader(a->value).ReadU64();
}

std::optional<SocketAddress> StunMessage::XorMappedAddress() const {
  const Attribute* a = Find(attr::kXorMappedAddress);
  if (!a) return std::nullopt;
  ByteReader r(a->value);
  auto reserved = r.ReadU8();
  auto family = r.ReadU8();
  auto xport = r.ReadU16();
  if (!reserved || !family || !xport) return std::nullopt;
  size_t len = *family == 0x01 ? 4 : *family == 0x02 ? 16 : 0;
  auto xip = r.ReadBytes(len);
  if (len == 0 || !xip || !r.empty()) return std::nullopt;
  // XOR with the magic cookie, then (IPv6) the transaction id (RFC 8489 section 14.2).
  uint8_t mask[16];
  StoreU32BigEndian(kMagicCookie, mask);
  std::memcpy(mask + 4, transaction_id_.data(), 12);
  uint8_t ip[16];
  for (size_t i = 0; i < len; ++i) ip[i] = (*xip)[i] ^ mask[i];
  uint16_t port = static_cast<uint16_t>(*xport ^ (kMagicCookie >> 16));
  return SocketAddress::FromBytes({ip, len}, port);
}

std::optional<std::pair<int, std::string_view>> StunMessage::ErrorCode() const {
  const Attribute* a = Find(attr::kErrorCode);
  if (!a || a->value.size() < 4) return std::nullopt;
  int cls = a->value[2] & 0x07;
  int number = a->value[3];
  if (cls < 3 || cls > 6 || number > 99) return std::nullopt;
  auto reason = a->value.subspan(4);
  return std::make_pair(cls * 100 + number,
                        std::string_view(reinterpret_cast<const char*>(reason.data()), reason.size()));
}

std::optional<uint16_t> StunMessage::UnknownRequiredAttribute(
    std::span<const uint16_t> known) const {
  for (size_t i = 0; i < count_; ++i) {
    uint16_t type = attributes_[i].type;
    if (!attr::ComprehensionRequired(type)) continue;
    bool ok = false;
    for (uint16_t k : known) ok |= (k == type);
    if (!ok) return type;
  }
  return std::nullopt;
}

bool StunMessage::FingerprintValid() const {
  const Attribute* fingerprint = Find(attr::kFingerprint);
  if (!fingerprint) return false;
  // The CRC covers the message up to the attribute, with the length as it is (the header
  // already counts the fingerprint, which is last).
  uint32_t expected = Crc32(data_.first(fingerprint->offset)) ^ kFingerprintXor;
  return *ByteReader(fingerprint->value).ReadU32() == expected;
}

Integrity StunMessage::CheckIntegrity(std::span<const uint8_t> key) const {
  if (integrity_ < 0) return Integrity::kAbsent;
  const Attribute& mi = attributes_[static_cast<size_t>(integrity_)];
  uint16_t length = static_cast<uint16_t>(mi.offset + 4 + kIntegritySize - kHeaderSize);
  auto mac = IntegrityHmac(key, data_.first(mi.offset), length);
  return CRYPTO_memcmp(mac.data(), mi.value.data(), kIntegritySize) == 0
             ? Integrity::kValid
             : Integrity::kInvalid;
}

StunBuilder::StunBuilder(std::span<uint8_t> buffer, uint16_t method, MessageClass cls,
                         const TransactionId& transaction_id)
    : buf_(buffer), transaction_id_(transaction_id) {
  if (buf_.size() < kHeaderSize) {
    overflow_ = true;
    return;
  }
  auto c = static_cast<uint16_t>(cls);
  uint16_t type = static_cast<uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                                        ((method & 0x0F80) << 2) | ((c & 0x1) << 4) |
                                        ((c & 0x2) << 7));
  ByteWriter w(buf_);
  w.WriteU16(type);
  w.WriteU16(0);
  w.WriteU32(kMagicCookie);
  w.WriteBytes(transaction_id);
  size_ = kHeaderSize;
}

void StunBuilder::SetLength(size_t body_len) { Store16(buf_.data() + 2, static_cast<uint16_t>(body_len)); }

uint8_t* StunBuilder::Reserve(uint16_t type, size_t value_len) {
  size_t total = 4 + Padded(value_len);
  if (overflow_ || value_len > 0xFFFF || size_ + total > buf_.size() ||
      size_ + total - kHeaderSize > 0xFFFF) {
    overflow_ = true;
    return nullptr;
  }
  uint8_t* p = buf_.data() + size_;
  Store16(p, type);
  Store16(p + 2, static_cast<uint16_t>(value_len));
  std::memset(p + 4 + value_len, 0, Padded(value_len) - value_len);
  size_ += total;
  SetLength(size_ - kHeaderSize);
  return p + 4;
}

void StunBuilder::AddBytes(uint16_t type, std::span<const uint8_t> value) {
  if (uint8_t* p = Reserve(type, value.size()); p && !value.empty()) {
    std::memcpy(p, value.data(), value.size());
  }
}

void StunBuilder::AddString(uint16_t type, std::string_view value) {
  AddBytes(type, {reinterpret_cast<const uint8_t*>(value.data()), value.size()});
}

void StunBuilder::AddU32(uint16_t type, uint32_t value) {
  if (uint8_t* p = Reserve(type, 4)) StoreU32BigEndian(value, p);
}

void StunBuilder::AddU64(uint16_t type, uint64_t value) {
  if (uint8_t* p = Reserve(type, 8)) {
    StoreU32BigEndian(static_cast<uint32_t>(value >> 32), p);
    StoreU32BigEndian(static_cast<uint32_t>(value), p + 4);
  }
}

void StunBuilder::AddXorMappedAddress(const SocketAddress& address) {
  auto ip = address.ip_bytes();
  if (ip.empty()) {
    overflow_ = true;  // Not an address: the message cannot be built.
    return;
  }
  uint8_t* p = Reserve(attr::kXorMappedAddress, 4 + ip.size());
  if (!p) return;
  uint8_t mask[16];
  StoreU32BigEndian(kMagicCookie, mask);
  std::memcpy(mask + 4, transaction_id_.data(), 12);
  p[0] = 0;
  p[1] = address.is_v4() ? 0x01 : 0x02;
  Store16(p + 2, static_cast<uint16_t>(address.port() ^ (kMagicCookie >> 16)));
  for (size_t i = 0; i < ip.size(); ++i) p[4 + i] = ip[i] ^ mask[i];
}

void StunBuilder::AddErrorCode(int code, std::string_view reason) {
  uint8_t* p = Reserve(attr::kErrorCode, 4 + reason.size());
  if (!p) return;
  p[0] = 0;
  p[1] = 0;
  p[2] = static_cast<uint8_t>((code / 100) & 0x07);
  p[3] = static_cast<uint8_t>(code % 100);
  if (!reason.empty()) std::memcpy(p + 4, reason.data(), reason.size());
}

void StunBuilder::AddMessageIntegrity(std::span<const uint8_t> key) {
  size_t offset = size_;
  uint8_t* p = Reserve(attr::kMessageIntegrity, kIntegritySize);
  if (!p) return;
  auto mac = IntegrityHmac(key, buf_.first(offset), static_cast<uint16_t>(size_ - kHeaderSize));
  std::memcpy(p, mac.data(), kIntegritySize);
}

void StunBuilder::AddFingerprint() {
  size_t offset = size_;
  uint8_t* p = Reserve(attr::kFingerprint, kFingerprintSize);
  if (!p) return;
  StoreU32BigEndian(Crc32(buf_.first(offset)) ^ kFingerprintXor, p);
}

std::optional<std::span<const uint8_t>> StunBuilder::Finish() const {
  if (overflow_) return std::nullopt;
  return buf_.first(size_);
}

std::array<uint8_t, 16> LongTermKey(std::string_view username, std::string_view realm,
                                    std::string_view password) {
  std::array<uint8_t, 16> out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int n = 0;
  if (ctx && EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1) {
    EVP_DigestUpdate(ctx, username.data(), username.size());
    EVP_DigestUpdate(ctx, ":", 1);
    EVP_DigestUpdate(ctx, realm.data(), realm.size());
    EVP_DigestUpdate(ctx, ":", 1);
    EVP_DigestUpdate(ctx, password.data(), password.size());
    EVP_DigestFinal_ex(ctx, out.data(), &n);
  }
  EVP_MD_CTX_free(ctx);
  return out;
}

}  // namespace sfu::stun
