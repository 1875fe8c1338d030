#include "transport/srtp/srtp_session.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <bitset>
#include <cstring>
#include <utility>

#include "base/byte_writer.h"
#include "base/str_cat.h"

namespace sfu {
namespace {

constexpr size_t kCmSaltLen = 14;
constexpr size_t kGcmSaltLen = 12;
constexpr size_t kGcmTagLen = 16;
constexpr size_t kHmacKeyLen = 20;
constexpr size_t kRtcpIndexLen = 4;
constexpr uint32_t kEncryptedBit = 0x80000000u;

// KDF labels (RFC 3711 section 4.3.2).
constexpr uint8_t kLabelRtpEncryption = 0, kLabelRtpAuth = 1, kLabelRtpSalt = 2;
constexpr uint8_t kLabelRtcpEncryption = 3, kLabelRtcpAuth = 4, kLabelRtcpSalt = 5;

uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t Load32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

const EVP_CIPHER* CtrCipher(size_t key_len) {
  return key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
}
const EVP_CIPHER* GcmCipher(size_t key_len) {
  return key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
}

// The AES-CM PRF (RFC 3711 section 4.3.3) with key_derivation_rate 0: the keystream
// under the master key, with IV = (master salt XOR label at byte 7) || 0x0000. A 96-bit
// GCM master salt is zero-padded to 112 bits (RFC 7714 section 11, as libsrtp does).
bool Derive(std::span<const uint8_t> master_key, std::span<const uint8_t> master_salt,
            uint8_t label, std::span<uint8_t> out) {
  uint8_t iv[16] = {};
  std::memcpy(iv, master_salt.data(), std::min(master_salt.size(), kCmSaltLen));
  iv[7] ^= label;
  std::memset(out.data(), 0, out.size());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx, CtrCipher(master_key.size()), nullptr,
                                      master_key.data(), iv) == 1 &&
            EVP_EncryptUpdate(ctx, out.data(), &n, out.data(), static_cast<int>(out.size())) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

// Header length of an RTP packet (fixed header, CSRCs, extension), or 0 if malformed.
size_t RtpHeaderLength(std::span<const uint8_t> p) {
  if (p.size() < 12 || (p[0] >> 6) != 2) return 0;
  size_t len = 12 + 4 * size_t{p[0] & 0x0Fu};
  if (p[0] & 0x10) {
    if (p.size() < len + 4) return 0;
    len += 4 + 4 * size_t{Load16(p.data() + len + 2)};
  }
  return len <= p.size() ? len : 0;
}

// Replay window (RFC 3711 section 3.3.2).
using Window = std::bitset<SrtpSession::kReplayWindow>;

// AES-CM IV (RFC 3711 section 4.1.1): salt XOR SSRC at bytes 4..7 XOR the 48-bit index
// at bytes 8..13 (for SRTCP, the 31-bit SRTCP index).
void CmIv(const uint8_t salt[16], uint32_t ssrc, uint64_t index, uint8_t iv[16]) {
  std::memcpy(iv, salt, 16);
  for (int i = 0; i < 4; ++i) iv[4 + i] ^= static_cast<uint8_t>(ssrc >> (8 * (3 - i)));
  for (int i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<uint8_t>(index >> (8 * (5 - i)));
}

// AES-GCM IV (RFC 7714 sections 8.1 and 9.1): 00 00 | SSRC | `high` | `low` XOR salt;
// for SRTP high = ROC and low = SEQ, for SRTCP high = 0 and low = SRTCP index.
void GcmIv(const uint8_t salt[16], uint32_t ssrc, uint32_t high, uint32_t low, size_t low_len,
           uint8_t iv[12]) {
  uint8_t raw[12] = {};
  StoreU32BigEndian(ssrc, raw + 2);
  if (low_len == 2) {
    StoreU32BigEndian(high, raw + 6);
    raw[10] = static_cast<uint8_t>(low >> 8);
    raw[11] = static_cast<uint8_t>(low);
  } else {
    StoreU32BigEndian(low, raw + 8);
  }
  for (size_t i = 0; i < 12; ++i) iv[i] = raw[i] ^ salt[i];
}

SrtpError CheckReplay(int64_t highest, const Window& window, int64_t index) {
  if (highest < 0 || index > highest) return SrtpError::kOk;
  int64_t behind = highest - index;
  if (behind >= SrtpSession::kReplayWindow) return SrtpError::kTooOld;
  return window.test(static_cast<size_t>(behind)) ? SrtpError::kReplay : SrtpError::kOk;
}

void Accept(int64_t& highest, Window& window, int64_t index) {
  if (highest < 0) {
    highest = index;
    window.reset();
    window.set(0);
  } else if (index > highest) {
    int64_t shift = index - highest;
    window = shift >= SrtpSession::kReplayWindow ? Window() : window << static_cast<size_t>(shift);
    window.set(0);
    highest = index;
  } else {
    window.set(static_cast<size_t>(highest - index));
  }
}

}  // namespace

// The session keys of RTP or of RTCP. The OpenSSL contexts (about 1 kB each) are keyed on
// first use, so a session that only seals, or only opens, or never sees RTCP, holds only
// what it uses: a subscriber's transport needs 3 of the 8 a full pair of sessions could.
struct SrtpSession::Keys {
  bool aead = false;
  size_t key_len = 0;
  uint8_t session_key[32] = {};
  uint8_t auth_key[kHmacKeyLen] = {};
  uint8_t salt[16] = {};              // Session salt, zero-padded to 16 bytes.
  EVP_CIPHER_CTX* encrypt = nullptr;  // AES-CTR, or AES-GCM keyed for sealing.
  EVP_CIPHER_CTX* decrypt = nullptr;  // AES-GCM keyed for opening (unused for CTR).
  EVP_MAC_CTX* hmac = nullptr;        // HMAC-SHA1 (CM profiles).

  ~Keys() {
    EVP_CIPHER_CTX_free(encrypt);
    EVP_CIPHER_CTX_free(decrypt);
    EVP_MAC_CTX_free(hmac);
    OPENSSL_cleanse(session_key, sizeof(session_key));
    OPENSSL_cleanse(auth_key, sizeof(auth_key));
    OPENSSL_cleanse(salt, sizeof(salt));
  }

  static std::unique_ptr<Keys> Make(bool aead, std::span<const uint8_t> master_key,
                                    std::span<const uint8_t> master_salt, uint8_t enc_label,
                                    uint8_t auth_label, uint8_t salt_label) {
    auto k = std::make_unique<Keys>();
    k->aead = aead;
    k->key_len = master_key.size();
    size_t salt_len = aead ? kGcmSaltLen : kCmSaltLen;
    bool ok = Derive(master_key, master_salt, enc_label, {k->session_key, k->key_len}) &&
              Derive(master_key, master_salt, salt_label, {k->salt, salt_len}) &&
              (aead || Derive(master_key, master_salt, auth_label, {k->auth_key, kHmacKeyLen}));
    return ok ? std::move(k) : nullptr;
  }

  // The keyed contexts, made on first use (null if OpenSSL fails).
  EVP_CIPHER_CTX* Encrypt() {
    if (!encrypt) {
      encrypt = EVP_CIPHER_CTX_new();
      const EVP_CIPHER* cipher = aead ? GcmCipher(key_len) : CtrCipher(key_len);
      if (encrypt && EVP_EncryptInit_ex(encrypt, cipher, nullptr, session_key, nullptr) != 1) {
        EVP_CIPHER_CTX_free(std::exchange(encrypt, nullptr));
      }
    }
    return encrypt;
  }
  EVP_CIPHER_CTX* Decrypt() {
    if (!decrypt) {
      decrypt = EVP_CIPHER_CTX_new();
      if (decrypt && EVP_DecryptInit_ex(decrypt, GcmCipher(key_len), nullptr, session_key, nullptr) != 1) {
        EVP_CIPHER_CTX_free(std::exchange(decrypt, nullptr));
      }
    }
    return decrypt;
  }
  EVP_MAC_CTX* Mac() {
    if (!hmac) {
      static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
      char digest[] = "SHA1";
      OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                             OSSL_PARAM_construct_end()};
      hmac = mac ? EVP_MAC_CTX_new(mac) : nullptr;
      if (hmac && EVP_MAC_init(hmac, auth_key, kHmacKeyLen, params) != 1) {
        EVP_MAC_CTX_free(std::exchange(hmac, nullptr));
      }
    }
    return hmac;
  }

  // AES-CM: XOR the keystream for `iv` into data.
  bool Ctr(const uint8_t iv[16], std::span<uint8_t> data) {
    EVP_CIPHER_CTX* ctx = Encrypt();
    int n = 0;
    return ctx && EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, iv) == 1 &&
           EVP_EncryptUpdate(ctx, data.data(), &n, data.data(), static_cast<int>(data.size())) == 1;
  }

  // HMAC-SHA1 of a || b, truncated into `tag`.
  bool Hmac(std::span<const uint8_t> a, std::span<const uint8_t> b, std::span<uint8_t> tag) {
    uint8_t full[20];
    size_t n = 0;
    EVP_MAC_CTX* ctx = Mac();
    bool ok = ctx && EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 &&
              EVP_MAC_update(ctx, a.data(), a.size()) == 1 &&
              (b.empty() || EVP_MAC_update(ctx, b.data(), b.size()) == 1) &&
              EVP_MAC_final(ctx, full, &n, sizeof(full)) == 1;
    if (ok) std::memcpy(tag.data(), full, tag.size());
    return ok;
  }

  // Gets or sets the GCM tag through the provider's parameters directly: OpenSSL 3's
  // EVP_CIPHER_CTX_ctrl translates every call into the same parameter with more work.
  static bool TagParam(EVP_CIPHER_CTX* ctx, uint8_t* tag, bool set) {
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, kGcmTagLen),
                           OSSL_PARAM_construct_end()};
    return (set ? EVP_CIPHER_CTX_set_params(ctx, params) : EVP_CIPHER_CTX_get_params(ctx, params)) == 1;
  }

  // AES-GCM seal: encrypts `data` in place and writes the tag.
  bool Seal(const uint8_t iv[12], std::span<const uint8_t> aad1, std::span<const uint8_t> aad2,
            std::span<uint8_t> data, uint8_t* tag) {
    EVP_CIPHER_CTX* ctx = Encrypt();
    int n = 0;
    return ctx && EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, iv) == 1 &&
           EVP_EncryptUpdate(ctx, nullptr, &n, aad1.data(), static_cast<int>(aad1.size())) == 1 &&
           (aad2.empty() || EVP_EncryptUpdate(ctx, nullptr, &n, aad2.data(),
                                              static_cast<int>(aad2.size())) == 1) &&
           (data.empty() || EVP_EncryptUpdate(ctx, data.data(), &n, data.data(),
                                              static_cast<int>(data.size())) == 1) &&
           EVP_EncryptFinal_ex(ctx, data.data() + data.size(), &n) == 1 &&
           TagParam(ctx, tag, /*set=*/false);
  }

  // AES-GCM open: decrypts `data` in place; false if the tag does not verify.
  bool Open(const uint8_t iv[12], std::span<const uint8_t> aad1, std::span<const uint8_t> aad2,
            std::span<uint8_t> data, const uint8_t* tag) {
    EVP_CIPHER_CTX* ctx = Decrypt();
    int n = 0;
    return ctx && EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, iv) == 1 &&
           EVP_DecryptUpdate(ctx, nullptr, &n, aad1.data(), static_cast<int>(aad1.size())) == 1 &&
           (aad2.empty() || EVP_DecryptUpdate(ctx, nullptr, &n, aad2.data(),
                                              static_cast<int>(aad2.size())) == 1) &&
           (data.empty() || EVP_DecryptUpdate(ctx, data.data(), &n, data.data(),
                                              static_cast<int>(data.size())) == 1) &&
           TagParam(ctx, const_cast<uint8_t*>(tag), /*set=*/true) &&
           EVP_DecryptFinal_ex(ctx, data.data() + data.size(), &n) == 1;
  }
};

std::string_view SrtpErrorName(SrtpError e) {
  switch (e) {
    case SrtpError::kOk: return "ok";
    case SrtpError::kTooShort: return "too short";
    case SrtpError::kBadHeader: return "bad header";
    case SrtpError::kAuthFailed: return "authentication failed";
    case SrtpError::kReplay: return "replayed";
    case SrtpError::kTooOld: return "too old for the replay window";
    case SrtpError::kNoRoom: return "no room for the tag";
    case SrtpError::kCryptoError: return "crypto error";
  }
  return "?";
}

SrtpSession::SrtpSession(SrtpProfile profile) : profile_(profile) {}
SrtpSession::~SrtpSession() = default;

bool SrtpSession::aead() const {
  return profile_ == SrtpProfile::kAeadAes128Gcm || profile_ == SrtpProfile::kAeadAes256Gcm;
}

StatusOr<std::unique_ptr<SrtpSession>> SrtpSession::Create(SrtpProfile profile,
                                                           std::span<const uint8_t> key_salt) {
  const SrtpProfileInfo& info = InfoOf(profile);
  if (key_salt.size() != info.key_len + info.salt_len) {
    return InvalidParamsError("srtpParameters.keyBase64",
                              StrCat("expected ", info.key_len + info.salt_len,
                                     " bytes of key and salt for ", info.openssl_name, ", got ",
                                     key_salt.size()));
  }
  auto s = std::unique_ptr<SrtpSession>(new SrtpSession(profile));
  auto key = key_salt.first(info.key_len);
  auto salt = key_salt.subspan(info.key_len);
  bool aead = s->aead();
  s->rtp_ = Keys::Make(aead, key, salt, kLabelRtpEncryption, kLabelRtpAuth, kLabelRtpSalt);
  s->rtcp_ = Keys::Make(aead, key, salt, kLabelRtcpEncryption, kLabelRtcpAuth, kLabelRtcpSalt);
  if (!s->rtp_ || !s->rtcp_) return absl::InternalError("SRTP: OpenSSL key setup failed");
  s->tag_len_rtp_ = aead ? kGcmTagLen : profile == SrtpProfile::kAes128CmSha1_32 ? 4 : 10;
  // SRTCP keeps the 80-bit tag with either HMAC profile (RFC 5764 section 4.1.2).
  s->tag_len_rtcp_ = aead ? kGcmTagLen : 10;
  return s;
}

uint64_t SrtpSession::EstimateIndex(const Stream& s, uint16_t seq) {
  uint32_t v = s.roc;
  if (s.highest_seq < 32768) {
    if (seq - s.highest_seq > 32768 && v > 0) v = s.roc - 1;
  } else if (s.highest_seq - 32768 > seq) {
    v = s.roc + 1;
  }
  return (uint64_t{v} << 16) | seq;
}

namespace {

// Moves the stream's sequence state forward when `index` is the newest.
template <typename StreamT>
void Advance(StreamT& s, uint64_t index) {
  uint64_t current = (uint64_t{s.roc} << 16) | s.highest_seq;
  if (!s.rtp_started || index > current) {
    s.rtp_started = true;
    s.roc = static_cast<uint32_t>(index >> 16);
    s.highest_seq = static_cast<uint16_t>(index);
  }
}

}  // namespace

SrtpError SrtpSession::ProtectRtp(std::span<uint8_t> buf, size_t* len) {
  std::span<uint8_t> pkt = buf.first(std::min(*len, buf.size()));
  size_t hl = RtpHeaderLength(pkt);
  if (hl == 0) return pkt.size() < 12 ? SrtpError::kTooShort : SrtpError::kBadHeader;
  if (buf.size() < *len + tag_len_rtp_) return SrtpError::kNoRoom;
  uint16_t seq = Load16(pkt.data() + 2);
  uint32_t ssrc = Load32(pkt.data() + 8);
  Stream& s = StreamFor(ssrc);
  uint64_t index = s.rtp_started ? EstimateIndex(s, seq) : seq;
  Advance(s, index);
  uint32_t roc = static_cast<uint32_t>(index >> 16);
  auto payload = pkt.subspan(hl);
  if (aead()) {
    uint8_t iv[12];
    GcmIv(rtp_->salt, ssrc, roc, seq, 2, iv);
    if (!rtp_->Seal(iv, pkt.first(hl), {}, payload, buf.data() + *len)) return SrtpError::kCryptoError;
  } else {
    uint8_t iv[16];
    CmIv(rtp_->salt, ssrc, index, iv);
    uint8_t roc_bytes[4];
    StoreU32BigEndian(roc, roc_bytes);
    if (!rtp_->Ctr(iv, payload) ||
        !rtp_->Hmac(pkt, roc_bytes, buf.subspan(*len, tag_len_rtp_))) {
      return SrtpError::kCryptoError;
    }
  }
  *len += tag_len_rtp_;
  return SrtpError::kOk;
}

SrtpError SrtpSession::UnprotectRtp(std::span<uint8_t> buf, size_t* len) {
  if (*len > buf.size() || *len < 12 + tag_len_rtp_) return SrtpError::kTooShort;
  size_t body = *len - tag_len_rtp_;
  std::span<uint8_t> pkt = buf.first(body);
  size_t hl = RtpHeaderLength(pkt);
  if (hl == 0) return SrtpError::kBadHeader;
  uint16_t seq = Load16(pkt.data() + 2);
  uint32_t ssrc = Load32(pkt.data() + 8);
  Stream& s = StreamFor(ssrc);
  uint64_t index = s.rtp_started ? EstimateIndex(s, seq) : seq;
  if (SrtpError e = CheckReplay(s.rtp_highest, s.rtp_window, static_cast<int64_t>(index));
      e != SrtpError::kOk) {
    return e;
  }
  uint32_t roc = static_cast<uint32_t>(index >> 16);
  auto payload = pkt.subspan(hl);
  const uint8_t* tag = buf.data() + body;
  if (aead()) {
    uint8_t iv[12];
    GcmIv(rtp_->salt, ssrc, roc, seq, 2, iv);
    if (!rtp_->Open(iv, pkt.first(hl), {}, payload, tag)) return SrtpError::kAuthFailed;
  } else {
    uint8_t roc_bytes[4];
    StoreU32BigEndian(roc, roc_bytes);
    uint8_t expected[10];
    if (!rtp_->Hmac(pkt, roc_bytes, {expected, tag_len_rtp_})) return SrtpError::kCryptoError;
    if (CRYPTO_memcmp(expected, tag, tag_len_rtp_) != 0) return SrtpError::kAuthFailed;
    uint8_t iv[16];
    CmIv(rtp_->salt, ssrc, index, iv);
    if (!rtp_->Ctr(iv, payload)) return SrtpError::kCryptoError;
  }
  Advance(s, index);
  Accept(s.rtp_highest, s.rtp_window, static_cast<int64_t>(index));
  *len = body;
  return SrtpError::kOk;
}

SrtpError SrtpSession::ProtectRtcp(std::span<uint8_t> buf, size_t* len) {
  if (*len < 8 || *len > buf.size()) return SrtpError::kTooShort;
  if ((buf[0] >> 6) != 2) return SrtpError::kBadHeader;
  if (buf.size() < *len + tag_len_rtcp_ + kRtcpIndexLen) return SrtpError::kNoRoom;
  uint32_t ssrc = Load32(buf.data() + 4);
  Stream& s = StreamFor(ssrc);
  uint32_t index = s.rtcp_next_index;
  s.rtcp_next_index = (index + 1) & 0x7FFFFFFFu;
  uint8_t e_index[4];
  StoreU32BigEndian(kEncryptedBit | index, e_index);
  auto payload = buf.subspan(8, *len - 8);
  if (aead()) {
    uint8_t iv[12];
    GcmIv(rtcp_->salt, ssrc, 0, index, 4, iv);
    if (!rtcp_->Seal(iv, buf.first(8), e_index, payload, buf.data() + *len)) {
      return SrtpError::kCryptoError;
    }
    std::memcpy(buf.data() + *len + kGcmTagLen, e_index, 4);
    *len += kGcmTagLen + kRtcpIndexLen;
    return SrtpError::kOk;
  }
  uint8_t iv[16];
  CmIv(rtcp_->salt, ssrc, index, iv);
  if (!rtcp_->Ctr(iv, payload)) return SrtpError::kCryptoError;
  std::memcpy(buf.data() + *len, e_index, 4);
  *len += kRtcpIndexLen;
  if (!rtcp_->Hmac(buf.first(*len), {}, buf.subspan(*len, tag_len_rtcp_))) {
    return SrtpError::kCryptoError;
  }
  *len += tag_len_rtcp_;
  return SrtpError::kOk;
}

SrtpError SrtpSession::UnprotectRtcp(std::span<uint8_t> buf, size_t* len) {
  if (*len > buf.size() || *len < 8 + tag_len_rtcp_ + kRtcpIndexLen) return SrtpError::kTooShort;
  if ((buf[0] >> 6) != 2) return SrtpError::kBadHeader;
  uint32_t ssrc = Load32(buf.data() + 4);
  size_t index_at = aead() ? *len - kRtcpIndexLen : *len - tag_len_rtcp_ - kRtcpIndexLen;
  uint32_t e_index = Load32(buf.data() + index_at);
  bool encrypted = e_index & kEncryptedBit;
  uint32_t index = e_index & 0x7FFFFFFFu;
  Stream& s = StreamFor(ssrc);
  if (SrtpError e = CheckReplay(s.rtcp_highest, s.rtcp_window, index); e != SrtpError::kOk) return e;
  size_t body;
  if (aead()) {
    body = *len - kGcmTagLen - kRtcpIndexLen;
    uint8_t iv[12];
    GcmIv(rtcp_->salt, ssrc, 0, index, 4, iv);
    const uint8_t* tag = buf.data() + body;
    // Unencrypted SRTCP (E = 0) authenticates the whole packet as associated data.
    bool ok = encrypted
                  ? rtcp_->Open(iv, buf.first(8), buf.subspan(index_at, 4), buf.subspan(8, body - 8), tag)
                  : rtcp_->Open(iv, buf.first(body), buf.subspan(index_at, 4), {}, tag);
    if (!ok) return SrtpError::kAuthFailed;
  } else {
    size_t tag_at = *len - tag_len_rtcp_;
    uint8_t expected[10];
    if (!rtcp_->Hmac(buf.first(tag_at), {}, {expected, tag_len_rtcp_})) return SrtpError::kCryptoError;
    if (CRYPTO_memcmp(expected, buf.data() + tag_at, tag_len_rtcp_) != 0) return SrtpError::kAuthFailed;
    body = index_at;
    if (encrypted) {
      uint8_t iv[16];
      CmIv(rtcp_->salt, ssrc, index, iv);
      if (!rtcp_->Ctr(iv, buf.subspan(8, body - 8))) return SrtpError::kCryptoError;
    }
  }
  Accept(s.rtcp_highest, s.rtcp_window, index);
  *len = body;
  return SrtpError::kOk;
}

}  // namespace sfu
