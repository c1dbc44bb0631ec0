#include "api/validation.h"

#include <gtest/gtest.h>

#include "api/json.h"

namespace kcx::api {
namespace {

using Errs = std::vector<std::string>;

const char kSubdomainMsg[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const char kLabelMsg[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const char k1035Msg[] =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const char kNamePartMsg[] =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const char kLabelValueMsg[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

TEST(ValidationTest, Dns1123Subdomain) {
  for (std::string ok : std::vector<std::string>{"a", "ab", "a-b", "a.b", "a1.b2-c", "0", "1.2.3.4",
                                                 std::string(253, 'a')}) {
    EXPECT_TRUE(IsDns1123Subdomain(ok).empty()) << ok;
  }
  for (std::string bad :
       std::vector<std::string>{"", "A", "a_b", "-a", "a-", ".a", "a.", "a..b", "a.-b", "a b"}) {
    EXPECT_EQ(IsDns1123Subdomain(bad), Errs{kSubdomainMsg}) << bad;
  }
  EXPECT_EQ(IsDns1123Subdomain(std::string(254, 'a')),
            (Errs{"must be no more than 253 characters"}));
}

TEST(ValidationTest, Dns1123Label) {
  for (std::string ok : std::vector<std::string>{"a", "a-b", "0a", "123", std::string(63, 'z')}) {
    EXPECT_TRUE(IsDns1123Label(ok).empty()) << ok;
  }
  EXPECT_EQ(IsDns1123Label("a.b"), Errs{"must not contain dots"});
  EXPECT_EQ(IsDns1123Label("A"), Errs{kLabelMsg});
  EXPECT_EQ(IsDns1123Label(""), Errs{kLabelMsg});
  EXPECT_EQ(IsDns1123Label(std::string(64, 'a')), Errs{"must be no more than 63 characters"});
  EXPECT_EQ(IsDns1123Label(std::string(64, 'A')),
            (Errs{"must be no more than 63 characters", kLabelMsg}));
}

TEST(ValidationTest, Dns1035Label) {
  EXPECT_TRUE(IsDns1035Label("a1").empty());
  EXPECT_EQ(IsDns1035Label("1a"), Errs{k1035Msg});
  EXPECT_EQ(IsDns1035Label("a-"), Errs{k1035Msg});
}

TEST(ValidationTest, QualifiedName) {
  for (std::string ok :
       std::vector<std::string>{"a", "A", "a_b", "a.b-c", "example.com/MyName", "k8s.io/a", "1"}) {
    EXPECT_TRUE(IsQualifiedName(ok).empty()) << ok;
  }
  EXPECT_EQ(IsQualifiedName("Bad_Key!"), Errs{kNamePartMsg});
  EXPECT_EQ(IsQualifiedName(""), (Errs{"name part must be non-empty", kNamePartMsg}));
  EXPECT_EQ(IsQualifiedName("/a"), Errs{"prefix part must be non-empty"});
  EXPECT_EQ(IsQualifiedName("a/"), (Errs{"name part must be non-empty", kNamePartMsg}));
  EXPECT_EQ(IsQualifiedName("Example.com/a"), Errs{std::string("prefix part ") + kSubdomainMsg});
  EXPECT_EQ(IsQualifiedName(std::string(64, 'a')),
            Errs{"name part must be no more than 63 characters"});
  Errs three = IsQualifiedName("a/b/c");
  ASSERT_EQ(three.size(), 1u);
  EXPECT_EQ(three[0].rfind("a qualified name must consist of", 0), 0u);
}

TEST(ValidationTest, LabelValue) {
  for (std::string ok :
       std::vector<std::string>{"", "a", "A-b_c.d", "12345", std::string(63, 'x')}) {
    EXPECT_TRUE(IsValidLabelValue(ok).empty()) << ok;
  }
  EXPECT_EQ(IsValidLabelValue("-a"), Errs{kLabelValueMsg});
  EXPECT_EQ(IsValidLabelValue("a b"), Errs{kLabelValueMsg});
  EXPECT_EQ(IsValidLabelValue(std::string(64, 'x')), Errs{"must be no more than 63 characters"});
}

TEST(ValidationTest, PathSegmentName) {
  EXPECT_TRUE(IsValidPathSegmentName("a.b").empty());
  EXPECT_EQ(IsValidPathSegmentName("."), Errs{"may not be '.'"});
  EXPECT_EQ(IsValidPathSegmentName(".."), Errs{"may not be '..'"});
  EXPECT_EQ(IsValidPathSegmentName("a/b%c"), (Errs{"may not contain '/'", "may not contain '%'"}));
}

TEST(ValidationTest, GoQuote) {
  EXPECT_EQ(GoQuote("abc"), "\"abc\"");
  EXPECT_EQ(GoQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(GoQuote("a\nb\t"), "\"a\\nb\\t\"");
  EXPECT_EQ(GoQuote(std::string("\x01", 1)), "\"\\x01\"");
  EXPECT_EQ(GoQuote("h\xc3\xa9"), "\"h\xc3\xa9\"");  // valid UTF-8 kept
  EXPECT_EQ(GoQuote("\xff"), "\"\\xff\"");
}

boost::json::object Meta(std::string_view json) {
  auto v = ParseJson(json);
  EXPECT_TRUE(v.ok());
  return v->as_object();
}

TEST(ValidationTest, LabelsAndAnnotations) {
  std::vector<StatusCause> causes;
  ValidateObjectMetaLabelsAnnotations(
      Meta(R"({"labels":{"ok":"fine","Bad_Key!":"v","k":"bad value"},
               "annotations":{"Example.COM/Key":"any value at all","bad key":"x"}})"),
      causes);
  std::vector<StatusCause> want = {
      {"FieldValueInvalid", std::string("Invalid value: \"Bad_Key!\": ") + kNamePartMsg,
       "metadata.labels"},
      {"FieldValueInvalid", std::string("Invalid value: \"bad value\": ") + kLabelValueMsg,
       "metadata.labels"},
      {"FieldValueInvalid", std::string("Invalid value: \"bad key\": ") + kNamePartMsg,
       "metadata.annotations"},
  };
  EXPECT_EQ(causes, want);

  causes.clear();
  ValidateObjectMetaLabelsAnnotations(Meta(R"({"labels":{"a":"b"},"annotations":{}})"), causes);
  EXPECT_TRUE(causes.empty());
}

TEST(ValidationTest, AnnotationsTooLong) {
  boost::json::object meta;
  boost::json::object ann;
  ann["a"] = std::string(kTotalAnnotationSizeLimitBytes - 1, 'x');  // exactly at the limit
  meta["annotations"] = ann;
  std::vector<StatusCause> causes;
  ValidateObjectMetaLabelsAnnotations(meta, causes);
  EXPECT_TRUE(causes.empty());
  ann["b"] = "";  // one more byte of key
  meta["annotations"] = ann;
  ValidateObjectMetaLabelsAnnotations(meta, causes);
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0], (StatusCause{"FieldValueTooLong", "Too long: may not be longer than 262144",
                                    "metadata.annotations"}));
}

TEST(ValidationTest, ObjectMetaNames) {
  std::vector<StatusCause> causes;
  ValidateObjectMetaNames(Meta(R"({"name":"ok","namespace":"default"})"), true,
                          NameRule::kDns1123Subdomain, causes);
  EXPECT_TRUE(causes.empty());

  ValidateObjectMetaNames(Meta(R"({})"), true, NameRule::kDns1123Subdomain, causes);
  EXPECT_EQ(causes, (std::vector<StatusCause>{
                        {"FieldValueRequired", "Required value: name or generateName is required",
                         "metadata.name"},
                        {"FieldValueRequired", "Required value", "metadata.namespace"}}));

  causes.clear();
  ValidateObjectMetaNames(Meta(R"({"generateName":"web-"})"), false, NameRule::kDns1123Subdomain,
                          causes);
  EXPECT_TRUE(causes.empty());  // the trailing '-' of a prefix is fine

  ValidateObjectMetaNames(Meta(R"({"name":"X","namespace":"ns"})"), false,
                          NameRule::kDns1123Subdomain, causes);
  EXPECT_EQ(
      causes,
      (std::vector<StatusCause>{
          {"FieldValueInvalid", std::string("Invalid value: \"X\": ") + kSubdomainMsg,
           "metadata.name"},
          {"FieldValueForbidden", "Forbidden: not allowed on this type", "metadata.namespace"}}));
}

TEST(ValidationTest, FormatInvalidMessage) {
  StatusCause name_cause = FieldInvalid("metadata.name", "X", IsDns1123Subdomain("X").at(0));
  EXPECT_EQ(FormatInvalidMessage("ConfigMap", "X", {name_cause}),
            std::string("ConfigMap \"X\" is invalid: metadata.name: Invalid value: \"X\": ") +
                kSubdomainMsg);
  StatusCause req = FieldRequired("spec.replicas", "");
  EXPECT_EQ(FormatInvalidMessage("Deployment.apps", "d", {req, req, FieldTooLong("a", 5)}),
            "Deployment.apps \"d\" is invalid: [spec.replicas: Required value, a: Too long: may "
            "not be longer than 5]");

  Status s = InvalidStatus("apps", "Deployment", "d", {req});
  EXPECT_EQ(s.reason(), Reason::kInvalid);
  EXPECT_EQ(s.code(), 422);
  EXPECT_EQ(s.message(), "Deployment.apps \"d\" is invalid: spec.replicas: Required value");
  ASSERT_TRUE(s.details().has_value());
  EXPECT_EQ(s.details()->kind, "Deployment");
  EXPECT_EQ(s.details()->group, "apps");
  EXPECT_EQ(s.details()->causes.size(), 1u);
}

}  // namespace
}  // namespace kcx::api
