#include "apiserver/admission/rules.h"

#include <gtest/gtest.h>

#include "api/json.h"
#include "apiserver/admission/review.h"
#include "common/strings.h"

namespace kcx::apiserver::admission {
namespace {

namespace json = boost::json;

json::object J(std::string_view s) { return api::ParseJson(s)->as_object(); }

struct Req {
  Operation op = Operation::kCreate;
  GroupVersionResource r{"", "v1", "pods"};
  std::string sub;
  std::string ns = "default";
};

bool Matches(std::string_view rule, const Req& q) {
  return RuleMatches(J(rule), RuleSubject{q.op, &q.r, q.sub, q.ns});
}

TEST(RuleMatchTest, OperationsGroupsVersionsResources) {
  const char* rule =
      R"({"operations":["CREATE","UPDATE"],"apiGroups":[""],"apiVersions":["v1"],
          "resources":["pods"]})";
  EXPECT_TRUE(Matches(rule, {}));
  EXPECT_TRUE(Matches(rule, {.op = Operation::kUpdate}));
  EXPECT_FALSE(Matches(rule, {.op = Operation::kDelete}));
  EXPECT_FALSE(Matches(rule, {.r = {"apps", "v1", "pods"}}));
  EXPECT_FALSE(Matches(rule, {.r = {"", "v2", "pods"}}));
  EXPECT_FALSE(Matches(rule, {.r = {"", "v1", "configmaps"}}));
  // "pods" does not match the status subresource.
  EXPECT_FALSE(Matches(rule, {.sub = "status"}));
}

TEST(RuleMatchTest, Wildcards) {
  const char* all = R"({"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],
                        "resources":["*"]})";
  EXPECT_TRUE(Matches(all, {.op = Operation::kDelete, .r = {"example.com", "v9", "things"}}));
  EXPECT_FALSE(Matches(all, {.sub = "status"}));  // "*" is all resources, no subresources
  const char* all_sub = R"({"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],
                            "resources":["*/*"]})";
  EXPECT_TRUE(Matches(all_sub, {.sub = "status"}));
  EXPECT_TRUE(Matches(all_sub, {}));
  const char* pods_any = R"({"operations":["UPDATE"],"apiGroups":[""],"apiVersions":["v1"],
                             "resources":["pods/*"]})";
  EXPECT_TRUE(Matches(pods_any, {.op = Operation::kUpdate, .sub = "status"}));
  // As kube's matcher: "pods/*" matches any subresource of pods, the empty one included.
  EXPECT_TRUE(Matches(pods_any, {.op = Operation::kUpdate}));
  EXPECT_FALSE(Matches(pods_any, {.op = Operation::kUpdate, .r = {"", "v1", "secrets"}}));
  const char* any_scale = R"({"operations":["UPDATE"],"apiGroups":["*"],"apiVersions":["*"],
                              "resources":["*/scale"]})";
  EXPECT_TRUE(Matches(
      any_scale, {.op = Operation::kUpdate, .r = {"apps", "v1", "statefulsets"}, .sub = "scale"}));
  EXPECT_FALSE(Matches(
      any_scale, {.op = Operation::kUpdate, .r = {"apps", "v1", "statefulsets"}, .sub = "status"}));
  const char* status = R"({"operations":["UPDATE"],"apiGroups":[""],"apiVersions":["v1"],
                           "resources":["pods/status"]})";
  EXPECT_TRUE(Matches(status, {.op = Operation::kUpdate, .sub = "status"}));
  EXPECT_FALSE(Matches(status, {.op = Operation::kUpdate, .sub = "log"}));
}

TEST(RuleMatchTest, CustomResources) {
  const char* rule = R"({"operations":["CREATE"],"apiGroups":["moco.cybozu.com"],
                         "apiVersions":["v1beta2"],"resources":["mysqlclusters"]})";
  EXPECT_TRUE(Matches(rule, {.r = {"moco.cybozu.com", "v1beta2", "mysqlclusters"}}));
  EXPECT_FALSE(Matches(rule, {.r = {"moco.cybozu.com", "v1beta1", "mysqlclusters"}}));
}

TEST(RuleMatchTest, Scope) {
  auto rule = [](const char* scope) {
    return std::string(R"({"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],
                           "resources":["*"],"scope":")") +
           scope + "\"}";
  };
  Req namespaced;
  Req cluster{.r = {"", "v1", "nodes"}, .ns = ""};
  // A Namespace's attributes carry its own name as namespace; it is still cluster-scoped.
  Req ns_obj{.r = {"", "v1", "namespaces"}, .ns = "team-a"};
  EXPECT_TRUE(Matches(rule("*"), namespaced));
  EXPECT_TRUE(Matches(rule("*"), cluster));
  EXPECT_TRUE(Matches(rule("Namespaced"), namespaced));
  EXPECT_FALSE(Matches(rule("Namespaced"), cluster));
  EXPECT_FALSE(Matches(rule("Namespaced"), ns_obj));
  EXPECT_FALSE(Matches(rule("Cluster"), namespaced));
  EXPECT_TRUE(Matches(rule("Cluster"), cluster));
  EXPECT_TRUE(Matches(rule("Cluster"), ns_obj));
}

TEST(RuleMatchTest, AnyRuleAndExemptions) {
  json::array rules{J(R"({"operations":["DELETE"],"apiGroups":[""],"apiVersions":["v1"],
                          "resources":["secrets"]})"),
                    J(R"({"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],
                          "resources":["pods"]})")};
  GroupVersionResource pods{"", "v1", "pods"};
  EXPECT_TRUE(AnyRuleMatches(rules, {Operation::kCreate, &pods, "", "default"}));
  EXPECT_FALSE(AnyRuleMatches(rules, {Operation::kDelete, &pods, "", "default"}));
  EXPECT_TRUE(
      IsExemptResource({"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations"}));
  EXPECT_TRUE(
      IsExemptResource({"admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations"}));
  EXPECT_FALSE(IsExemptResource({"", "v1", "pods"}));
}

TEST(ObjectSelectorTest, NewOrOldObject) {
  auto sel = api::LabelSelector::FromJson(J(R"({"matchLabels":{"app":"db"}})"));
  ASSERT_TRUE(sel.ok());
  json::object with = J(R"({"metadata":{"labels":{"app":"db"}}})");
  json::object without = J(R"({"metadata":{"name":"x"}})");
  EXPECT_TRUE(ObjectSelectorMatches(*sel, &with, nullptr));
  EXPECT_FALSE(ObjectSelectorMatches(*sel, &without, nullptr));
  EXPECT_TRUE(ObjectSelectorMatches(*sel, &without, &with));  // label being removed
  EXPECT_TRUE(ObjectSelectorMatches(*sel, nullptr, &with));   // DELETE
  EXPECT_TRUE(ObjectSelectorMatches(api::LabelSelector(), nullptr, nullptr));
}

TEST(ParseConfigurationTest, DefaultsAndClientConfig) {
  auto cfg = J(R"({"metadata":{"name":"cfg"},"webhooks":[
    {"name":"a.example.com","clientConfig":{"url":"https://h:8443/p","caBundle":"UEVN"},
     "rules":[],"failurePolicy":"Ignore","matchPolicy":"Exact","sideEffects":"None",
     "timeoutSeconds":3,"reinvocationPolicy":"IfNeeded","admissionReviewVersions":["v1beta1"]},
    {"name":"b.example.com","clientConfig":{"service":{"namespace":"ns","name":"svc",
     "path":"/v","port":9443}},"namespaceSelector":{"matchLabels":{"x":"y"}},
     "sideEffects":"None","admissionReviewVersions":["v2","v1"]}]})");
  auto hooks = ParseConfiguration(cfg, true);
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[0].configuration, "cfg");
  EXPECT_FALSE(hooks[0].fail_closed);
  EXPECT_FALSE(hooks[0].match_equivalent);
  EXPECT_EQ(hooks[0].timeout_seconds, 3);
  EXPECT_TRUE(hooks[0].reinvoke_if_needed);
  EXPECT_EQ(hooks[0].ca_pem, "PEM");
  EXPECT_EQ(hooks[0].review_version, "v1beta1");
  EXPECT_EQ(hooks[0].url, "https://h:8443/p");
  EXPECT_TRUE(hooks[1].fail_closed);
  EXPECT_EQ(hooks[1].service_name, "svc");
  EXPECT_EQ(hooks[1].service_port, 9443);
  EXPECT_EQ(hooks[1].review_version, "v1");
  EXPECT_FALSE(hooks[1].namespace_selector.Empty());
  EXPECT_TRUE(hooks[1].invalid.empty());
  // Validating webhooks never reinvoke.
  EXPECT_FALSE(ParseConfiguration(cfg, false)[0].reinvoke_if_needed);
}

TEST(ReviewTest, RequestShape) {
  Webhook w;
  w.name = "a.example.com";
  Attributes a;
  a.operation = Operation::kUpdate;
  a.resource = {"apps", "v1", "deployments"};
  a.kind = {"apps", "v1", "Deployment"};
  a.subresource = "scale";
  a.ns = "default";
  a.name = "web";
  a.user = "alice";
  a.groups = {"dev"};
  a.options = J(R"({"kind":"UpdateOptions","apiVersion":"meta.k8s.io/v1"})");
  json::object obj = J(R"({"spec":{"replicas":2}})");
  json::object old = J(R"({"spec":{"replicas":1}})");
  Invocation inv{a.resource, a.kind, &obj, &old};
  json::object r = BuildReview(w, a, inv, "uid-1");
  EXPECT_EQ(r.at("apiVersion"), "admission.k8s.io/v1");
  EXPECT_EQ(r.at("kind"), "AdmissionReview");
  EXPECT_EQ(r.at("request"), J(R"({"uid":"uid-1",
    "kind":{"group":"apps","version":"v1","kind":"Deployment"},
    "resource":{"group":"apps","version":"v1","resource":"deployments"},
    "subResource":"scale",
    "requestKind":{"group":"apps","version":"v1","kind":"Deployment"},
    "requestResource":{"group":"apps","version":"v1","resource":"deployments"},
    "requestSubResource":"scale","name":"web","namespace":"default","operation":"UPDATE",
    "userInfo":{"username":"alice","groups":["dev"]},
    "object":{"spec":{"replicas":2}},"oldObject":{"spec":{"replicas":1}},"dryRun":false,
    "options":{"kind":"UpdateOptions","apiVersion":"meta.k8s.io/v1"}})"));
}

TEST(ReviewTest, ResponseChecks) {
  auto resp = [](std::string_view inner) {
    return std::string(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
                           "response":)") +
           std::string(inner) + "}";
  };
  auto ok =
      ParseReviewResponse(resp(R"({"uid":"u","allowed":true,"warnings":["w"]})"), "u", "v1", false);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->allowed);
  EXPECT_EQ(ok->warnings, std::vector<std::string>{"w"});
  EXPECT_FALSE(ok->patch);

  auto bad_uid = ParseReviewResponse(resp(R"({"uid":"x","allowed":true})"), "u", "v1", false);
  ASSERT_FALSE(bad_uid.ok());
  EXPECT_EQ(bad_uid.status().message(),
            "received invalid webhook response: expected response.uid=\"u\", got \"x\"");

  auto wrong_version = ParseReviewResponse(
      R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","response":{}})", "u",
      "v1", false);
  ASSERT_FALSE(wrong_version.ok());
  EXPECT_EQ(wrong_version.status().message(),
            "received invalid webhook response: expected webhook response of "
            "admission.k8s.io/v1, Kind=AdmissionReview, got admission.k8s.io/v1beta1, "
            "Kind=AdmissionReview");

  std::string patch = Base64Encode(R"([{"op":"add","path":"/a","value":1}])");
  auto mut = ParseReviewResponse(
      resp(R"({"uid":"u","allowed":true,"patchType":"JSONPatch","patch":")" + patch + "\"}"), "u",
      "v1", true);
  ASSERT_TRUE(mut.ok()) << mut.status().ToString();
  ASSERT_TRUE(mut->patch);
  EXPECT_EQ(*mut->patch, api::ParseJson(R"([{"op":"add","path":"/a","value":1}])").value());
  // A validating webhook may not patch; a patch needs its type.
  EXPECT_FALSE(
      ParseReviewResponse(
          resp(R"({"uid":"u","allowed":true,"patchType":"JSONPatch","patch":")" + patch + "\"}"),
          "u", "v1", false)
          .ok());
  auto no_type = ParseReviewResponse(resp(R"({"uid":"u","allowed":true,"patch":")" + patch + "\"}"),
                                     "u", "v1", true);
  ASSERT_FALSE(no_type.ok());
  EXPECT_EQ(no_type.status().message(),
            "received invalid webhook response: webhook returned response.patch but not "
            "response.patchType");
}

TEST(ReviewTest, DenialStatusAsKubeFormatsIt) {
  json::object st = DenialStatus("v.example.com", J(R"({"code":403,"message":"no","reason":
                                                        "Forbidden"})"));
  EXPECT_EQ(st.at("message"), "admission webhook \"v.example.com\" denied the request: no");
  EXPECT_EQ(st.at("code"), 403);
  EXPECT_EQ(st.at("status"), "Failure");
  EXPECT_EQ(st.at("reason"), "Forbidden");
  json::object low = DenialStatus("v.example.com", J(R"({"code":200,"reason":"Because"})"));
  EXPECT_EQ(low.at("code"), 400);
  EXPECT_EQ(low.at("message"), "admission webhook \"v.example.com\" denied the request: Because");
  json::object none = DenialStatus("v.example.com", {});
  EXPECT_EQ(none.at("message"),
            "admission webhook \"v.example.com\" denied the request without explanation");
  json::object internal = InternalErrorStatus("failed calling webhook \"x\": boom");
  EXPECT_EQ(internal.at("message"), "Internal error occurred: failed calling webhook \"x\": boom");
  EXPECT_EQ(internal.at("code"), 500);
  EXPECT_EQ(internal.at("reason"), "InternalError");
}

}  // namespace
}  // namespace kcx::apiserver::admission
