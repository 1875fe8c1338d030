#include "transport/dtls/dtls_certificate.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cstdio>

#include "base/str_cat.h"

namespace sfu {
namespace {

const EVP_MD* DigestFor(std::string_view algorithm) {
  if (algorithm == "sha-256") return EVP_sha256();
  if (algorithm == "sha-1") return EVP_sha1();
  if (algorithm == "sha-384") return EVP_sha384();
  if (algorithm == "sha-512") return EVP_sha512();
  return nullptr;
}

}  // namespace

bool SupportedFingerprintAlgorithm(std::string_view algorithm) {
  return DigestFor(algorithm) != nullptr;
}

std::string CertificateFingerprint(X509* cert, std::string_view algorithm) {
  const EVP_MD* md = DigestFor(algorithm);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!md || !cert || X509_digest(cert, md, digest, &n) != 1) return {};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(n * 3);
  for (unsigned int i = 0; i < n; ++i) {
    if (i) out.push_back(':');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

StatusOr<DtlsCertificate> DtlsCertificate::Generate() {
  DtlsCertificate c;
  c.key_.reset(EVP_EC_gen("P-256"));
  c.cert_.reset(X509_new());
  if (!c.key_ || !c.cert_) return absl::InternalError("DTLS: cannot create a P-256 key");
  X509* x = c.cert_.get();
  uint64_t serial = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial));
  X509_set_version(x, 2);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial >> 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -24 * 3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600);
  X509_set_pubkey(x, c.key_.get());
  X509_NAME* name = X509_get_subject_name(x);
  std::string cn = StrCat("sfu-", absl::Hex(serial));
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  if (X509_sign(x, c.key_.get(), EVP_sha256()) == 0) {
    return absl::InternalError("DTLS: cannot sign the certificate");
  }
  c.fingerprint_ = CertificateFingerprint(x, "sha-256");
  return c;
}

StatusOr<DtlsCertificate> DtlsCertificate::FromPemFiles(const std::string& cert_path,
                                                        const std::string& key_path) {
  DtlsCertificate c;
  if (FILE* f = std::fopen(cert_path.c_str(), "r")) {
    c.cert_.reset(PEM_read_X509(f, nullptr, nullptr, nullptr));
    std::fclose(f);
  }
  if (!c.cert_) return absl::InvalidArgumentError(StrCat("cannot read a PEM certificate from ", cert_path));
  if (FILE* f = std::fopen(key_path.c_str(), "r")) {
    c.key_.reset(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
    std::fclose(f);
  }
  if (!c.key_) return absl::InvalidArgumentError(StrCat("cannot read a PEM private key from ", key_path));
  if (X509_check_private_key(c.cert_.get(), c.key_.get()) != 1) {
    return absl::InvalidArgumentError(StrCat(key_path, " is not the key of ", cert_path));
  }
  c.fingerprint_ = CertificateFingerprint(c.cert_.get(), "sha-256");
  return c;
}

}  // namespace sfu
