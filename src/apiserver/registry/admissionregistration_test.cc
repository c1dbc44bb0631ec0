// admissionregistration.k8s.io/v1 webhook configurations: defaults, validation, Table.

#include <gtest/gtest.h>

#include "apiserver/registry/test_util.h"

namespace kcx::apiserver::testing {
namespace {

namespace json = boost::json;

const ResourceInfo& Mutating() {
  return Info("admissionregistration.k8s.io", "mutatingwebhookconfigurations");
}
const ResourceInfo& Validating() {
  return Info("admissionregistration.k8s.io", "validatingwebhookconfigurations");
}

std::vector<std::string> Messages(const std::vector<StatusCause>& causes) {
  std::vector<std::string> out;
  for (const auto& c : causes)
    out.push_back(c.field + ": " + c.message);
  return out;
}

TEST(WebhookConfigurationTest, DiscoveryFacts) {
  for (const ResourceInfo* r : {&Mutating(), &Validating()}) {
    EXPECT_FALSE(r->namespaced);
    EXPECT_EQ(r->version, "v1");
    EXPECT_EQ(r->categories, std::vector<std::string>{"api-extensions"});
  }
  EXPECT_EQ(Mutating().kind, "MutatingWebhookConfiguration");
  EXPECT_EQ(Validating().list_kind, "ValidatingWebhookConfigurationList");
}

TEST(WebhookConfigurationTest, Defaults) {
  auto obj = Defaulted(Mutating(), J(R"({"webhooks":[{"name":"a.b.c",
      "clientConfig":{"service":{"namespace":"n","name":"s"}},
      "rules":[{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],
                "resources":["pods"]}]}]})"));
  EXPECT_EQ(obj.at("webhooks").at(0), J(R"({"name":"a.b.c",
      "clientConfig":{"service":{"namespace":"n","name":"s","port":443}},
      "rules":[{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],
                "resources":["pods"],"scope":"*"}],
      "failurePolicy":"Fail","matchPolicy":"Equivalent","namespaceSelector":{},
      "objectSelector":{},"timeoutSeconds":10,"reinvocationPolicy":"Never"})"));
  // Validating webhooks have no reinvocationPolicy; explicit values are kept.
  auto v = Defaulted(Validating(), J(R"({"webhooks":[{"name":"a.b.c","failurePolicy":"Ignore",
      "timeoutSeconds":3}]})"));
  EXPECT_FALSE(v.at("webhooks").at(0).as_object().contains("reinvocationPolicy"));
  EXPECT_EQ(v.at("webhooks").at(0).at("failurePolicy"), "Ignore");
  EXPECT_EQ(v.at("webhooks").at(0).at("timeoutSeconds"), 3);
}

TEST(WebhookConfigurationTest, ValidWebhookPasses) {
  auto obj = Defaulted(Validating(), J(R"({"metadata":{"name":"x"},"webhooks":[
      {"name":"a.example.com","clientConfig":{"url":"https://127.0.0.1:8443/v"},
       "rules":[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*/*"]}],
       "sideEffects":"None","admissionReviewVersions":["v1","v1beta1"]}]})"));
  EXPECT_EQ(Describe(Validate(Validating(), obj)), "");
}

TEST(WebhookConfigurationTest, ValidationMessagesAsKube) {
  auto obj = Defaulted(Mutating(), J(R"({"metadata":{"name":"x"},"webhooks":[
      {"name":"a.example.com","clientConfig":{"url":"https://u@h/p?q=1#f"},
       "rules":[{"operations":["*","CREATE"],"apiGroups":[],"apiVersions":["v1",""],
                 "resources":["*/*","pods"],"scope":"Everywhere"},
                {"operations":["PATCH"],"apiGroups":["*","apps"],"apiVersions":["*"],
                 "resources":["*","pods"]}],
       "failurePolicy":"Maybe","sideEffects":"Some","timeoutSeconds":31,
       "reinvocationPolicy":"Always","admissionReviewVersions":["v3","v3"]},
      {"name":"a.example.com","clientConfig":{},"sideEffects":"None",
       "admissionReviewVersions":["v1"]}]})"));
  EXPECT_EQ(
      Messages(Validate(Mutating(), obj)),
      (std::vector<std::string>{
          "webhooks[0].rules[0].operations: Invalid value: []string{\"*\", \"CREATE\"}: if '*' "
          "is present, must not specify other operations",
          "webhooks[0].rules[0].apiGroups: Required value",
          "webhooks[0].rules[0].apiVersions[1]: Required value",
          "webhooks[0].rules[0].resources: Invalid value: []string{\"*/*\", \"pods\"}: if '*/*' "
          "is present, must not specify other resources",
          "webhooks[0].rules[0].scope: Unsupported value: \"Everywhere\": supported values: "
          "\"*\", \"Cluster\", \"Namespaced\"",
          "webhooks[0].rules[1].operations[0]: Unsupported value: \"PATCH\": supported values: "
          "\"*\", \"CONNECT\", \"CREATE\", \"DELETE\", \"UPDATE\"",
          "webhooks[0].rules[1].apiGroups: Invalid value: []string{\"*\", \"apps\"}: if '*' is "
          "present, must not specify other API groups",
          "webhooks[0].rules[1].resources: Invalid value: []string{\"*\", \"pods\"}: if '*' is "
          "present, must not specify other resources without subresources",
          "webhooks[0].failurePolicy: Unsupported value: \"Maybe\": supported values: "
          "\"Fail\", \"Ignore\"",
          "webhooks[0].sideEffects: Unsupported value: \"Some\": supported values: \"None\", "
          "\"NoneOnDryRun\"",
          "webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 "
          "and 30 seconds",
          "webhooks[0].reinvocationPolicy: Unsupported value: \"Always\": supported values: "
          "\"IfNeeded\", \"Never\"",
          "webhooks[0].clientConfig.url: Invalid value: \"u\": user information is not "
          "permitted in the URL",
          "webhooks[0].clientConfig.url: Invalid value: \"f\": fragments are not permitted in "
          "the URL",
          "webhooks[0].clientConfig.url: Invalid value: \"q=1\": query parameters are not "
          "permitted in the URL",
          "webhooks[0].admissionReviewVersions[1]: Invalid value: \"v3\": duplicate version",
          "webhooks[0].admissionReviewVersions: Invalid value: []string{\"v3\", \"v3\"}: must "
          "include at least one of v1, v1beta1",
          "webhooks[1].clientConfig: Required value: exactly one of url or service is required",
          "webhooks[1].name: Duplicate value: \"a.example.com\"",
      }));
}

TEST(WebhookConfigurationTest, ServiceReference) {
  auto obj = Defaulted(Validating(), J(R"({"metadata":{"name":"x"},"webhooks":[
      {"name":"a.example.com","clientConfig":{"service":{"path":"relative","port":70000}},
       "sideEffects":"None","admissionReviewVersions":["v1"]}]})"));
  EXPECT_EQ(Messages(Validate(Validating(), obj)),
            (std::vector<std::string>{
                "webhooks[0].clientConfig.service.name: Required value: service name is required",
                "webhooks[0].clientConfig.service.namespace: Required value: service namespace "
                "is required",
                "webhooks[0].clientConfig.service.port: Invalid value: 70000: port is not valid: "
                "must be between 1 and 65535, inclusive",
                "webhooks[0].clientConfig.service.path: Invalid value: \"relative\": must start "
                "with a '/'",
            }));
}

TEST(WebhookConfigurationTest, TableRow) {
  EXPECT_EQ(Mutating().columns.size(), 3u);
  EXPECT_EQ(Mutating().columns[1].name, "Webhooks");
  EXPECT_EQ(Mutating().columns[1].type, "integer");
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  auto row = Validating().row_fn(J(R"({"metadata":{"name":"v","creationTimestamp":
      "2027-01-15T07:59:00Z"},"webhooks":[{},{}]})"),
                                 now);
  EXPECT_EQ(row, (json::array{"v", 2, "60s"}));
}

}  // namespace
}  // namespace kcx::apiserver::testing
