#include "api/continue_token.h"

#include <gtest/gtest.h>

#include "common/strings.h"

namespace kcx::api {
namespace {

TEST(ContinueTokenTest, EncodesLikeKube) {
  // base64url (no padding) of {"v":"meta.k8s.io/v1","rv":12345,"start":"ns1/b\u0000"}
  std::string t = EncodeContinue(12345, "ns1/b");
  auto raw = Base64UrlDecode(t);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(*raw, R"({"v":"meta.k8s.io/v1","rv":12345,"start":"ns1/b"})");
  EXPECT_EQ(t.find('='), std::string::npos);
  EXPECT_EQ(t.find('+'), std::string::npos);
  EXPECT_EQ(t.find('/'), std::string::npos);
  // A token produced by kube-apiserver for rv 1234, start "default/a<b".
  EXPECT_EQ(*Base64UrlDecode(EncodeContinue(1234, "default/a<b")),
            R"({"v":"meta.k8s.io/v1","rv":1234,"start":"default/a\u003cb"})");
}

TEST(ContinueTokenTest, RoundTrip) {
  for (std::string key : {"a", "ns/name", "ns/with \"quotes\"", "ns/üñí", "x/a&b>c"}) {
    auto d = DecodeContinue(EncodeContinue(77, key));
    ASSERT_TRUE(d.ok()) << key << ": " << d.status().ToString();
    EXPECT_EQ(d->resource_version, 77u);
    EXPECT_EQ(d->start_key, key);
  }
  // A leading '/' is accepted and dropped, as kube's DecodeContinue does.
  auto d = DecodeContinue(EncodeContinue(5, "/ns/a"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->start_key, "ns/a");
}

std::string Raw(std::string_view json) { return Base64UrlEncode(json); }

TEST(ContinueTokenTest, Rejects) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"!!!", "continue key is not valid: illegal base64 data at input byte 0"},
      {"eyJ2Ijoi=", "continue key is not valid: illegal base64 data at input byte 8"},
      {"e", "continue key is not valid: illegal base64 data at input byte 0"},
      {Raw(R"({"v":"meta.k8s.io/v1","rv":0,"start":"a"})"),
       "continue key is not valid: incorrect encoded start resourceVersion (version "
       "meta.k8s.io/v1)"},
      {Raw(R"({"v":"meta.k8s.io/v1","start":"a"})"),
       "continue key is not valid: incorrect encoded start resourceVersion (version "
       "meta.k8s.io/v1)"},
      {Raw(R"({"v":"meta.k8s.io/v1","rv":3,"start":""})"),
       "continue key is not valid: encoded start key empty (version meta.k8s.io/v1)"},
      {Raw(R"({"v":"meta.k8s.io/v2","rv":3,"start":"a"})"),
       "continue key is not valid: server does not recognize this encoded version "
       "meta.k8s.io/v2"},
      {Raw(R"({"v":"meta.k8s.io/v1","rv":3,"start":"../secrets/x"})"),
       "continue key is not valid: ../secrets/x"},
      {Raw(R"({"v":"meta.k8s.io/v1","rv":3,"start":"a//b"})"), "continue key is not valid: a//b"},
      {Raw(R"({"v":"meta.k8s.io/v1","rv":3,"start":"a/./b"})"), "continue key is not valid: a/./b"},
  };
  for (const auto& [token, msg] : cases) {
    auto d = DecodeContinue(token);
    ASSERT_FALSE(d.ok()) << token;
    EXPECT_EQ(d.status().reason(), Reason::kBadRequest);
    EXPECT_EQ(d.status().message(), msg) << token;
  }
  // Not JSON, or the wrong types.
  for (std::string bad : {Raw("not json"), Raw("[1]"), Raw(R"({"v":"meta.k8s.io/v1","rv":"3"})"),
                          Raw(R"({"v":"meta.k8s.io/v1","rv":1.5,"start":"a"})")}) {
    auto d = DecodeContinue(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().message().rfind("continue key is not valid: ", 0), 0u);
  }
}

}  // namespace
}  // namespace kcx::api
