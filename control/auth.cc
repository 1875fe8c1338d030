#include "control/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>

namespace sfu::control {
namespace {

std::array<unsigned char, 32> Sha256(std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

}  // namespace

bool BearerTokenMatches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  std::string_view presented;
  // The scheme name is case-insensitive (RFC 9110 section 11.1).
  if (authorization.size() >= kScheme.size()) {
    bool scheme_ok = true;
    for (size_t i = 0; i < kScheme.size(); ++i) {
      char a = authorization[i];
      char b = kScheme[i];
      if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
      if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
      scheme_ok &= (a == b);
    }
    if (scheme_ok) presented = authorization.substr(kScheme.size());
  }
  auto a = Sha256(presented);
  auto b = Sha256(token);
  bool equal = CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
  return equal && !token.empty();
}

}  // namespace sfu::control
