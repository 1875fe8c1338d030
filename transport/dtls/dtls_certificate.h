#pragma once
// The DTLS identity: an ECDSA P-256 key and self-signed certificate, generated per process
// or loaded from PEM files, and its SHA-256 fingerprint for SDP (RFC 8122).

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "base/status.h"

namespace sfu {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Deleter {
  void operator()(X509* p) const { X509_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

class DtlsCertificate {
 public:
  // A fresh key and a certificate valid from a day ago for 30 days.
  static StatusOr<DtlsCertificate> Generate();
  static StatusOr<DtlsCertificate> FromPemFiles(const std::string& cert_path,
                                                const std::string& key_path);

  EVP_PKEY* key() const { return key_.get(); }
  X509* cert() const { return cert_.get(); }
  // "sha-256" and "AB:CD:...".
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  EvpPkeyPtr key_;
  X509Ptr cert_;
  std::string fingerprint_;
};

// The colon-separated upper-case hex digest of `cert` with `algorithm` ("sha-256",
// "sha-1", "sha-384", "sha-512"), or an empty string for an unknown algorithm.
std::string CertificateFingerprint(X509* cert, std::string_view algorithm);
bool SupportedFingerprintAlgorithm(std::string_view algorithm);

}  // namespace sfu
