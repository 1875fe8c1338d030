#pragma once
// Bearer-token check for the WebSocket control endpoint (RFC 6750 "Authorization: Bearer").

#include <string_view>

namespace sfu::control {

// True when `authorization` (the header's value) is "Bearer <token>" for this token. The
// comparison takes the same time whatever the input (both sides are hashed, then compared
// with CRYPTO_memcmp), so it reveals neither the token's content nor its length.
bool BearerTokenMatches(std::string_view authorization, std::string_view token);

}  // namespace sfu::control
