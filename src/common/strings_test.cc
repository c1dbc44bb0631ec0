#include "common/strings.h"

#include <gtest/gtest.h>

namespace kcx {
namespace {

TEST(StringsTest, Rfc3339RoundTrip) {
  auto t = ParseRfc3339("2026-11-25T17:00:01Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatRfc3339(*t), "2026-11-25T17:00:01Z");
  auto m = ParseRfc3339("2026-11-25T17:00:01.000250Z");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(FormatRfc3339Micro(*m), "2026-11-25T17:00:01.000250Z");
  auto o = ParseRfc3339("2026-11-26T02:00:01+09:00");
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(FormatRfc3339(*o), "2026-11-25T17:00:01Z");
  EXPECT_FALSE(ParseRfc3339("2026-11-25 17:00:01Z").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-13-25T17:00:01Z").has_value());
  EXPECT_FALSE(ParseRfc3339("2026-11-25T17:00:01").has_value());
}

TEST(StringsTest, Base64) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(*Base64Decode(Base64Encode(s)), s);
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(s)), s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_FALSE(Base64Decode("Zm9v*").has_value());
}

TEST(StringsTest, UuidShape) {
  std::string u = NewUuid();
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '4');
  EXPECT_NE(NewUuid(), u);
}

}  // namespace
}  // namespace kcx
