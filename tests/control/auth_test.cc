#include "control/auth.h"

#include <gtest/gtest.h>

namespace sfu::control {
namespace {

constexpr std::string_view kToken = "s3cret-token-0123456789";

TEST(AuthTest, AcceptsTheRightBearerToken) {
  EXPECT_TRUE(BearerTokenMatches("Bearer s3cret-token-0123456789", kToken));
  EXPECT_TRUE(BearerTokenMatches("bearer s3cret-token-0123456789", kToken));
}

TEST(AuthTest, RefusesEverythingElse) {
  EXPECT_FALSE(BearerTokenMatches("", kToken));
  EXPECT_FALSE(BearerTokenMatches("Bearer", kToken));
  EXPECT_FALSE(BearerTokenMatches("Bearer ", kToken));
  EXPECT_FALSE(BearerTokenMatches("Bearer s3cret-token-012345678", kToken));
  EXPECT_FALSE(BearerTokenMatches("Bearer s3cret-token-01234567890", kToken));
  EXPECT_FALSE(BearerTokenMatches("Basic s3cret-token-0123456789", kToken));
  EXPECT_FALSE(BearerTokenMatches("s3cret-token-0123456789", kToken));
  // An empty configured token never matches (the caller must not ask).
  EXPECT_FALSE(BearerTokenMatches("Bearer ", ""));
}

}  // namespace
}  // namespace sfu::control
