// kubectl against admission webhooks: `kubectl apply` of a ValidatingWebhookConfiguration whose
// webhook is a real HTTPS server started by the test, then a write that the webhook denies:
// kubectl prints the denial as it does against kube-apiserver.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>

#include "apiserver/pki/pki.h"
#include "common/strings.h"
#include "test/apiserver/webhook_server.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

TEST(KubectlWebhookTest, ApplyValidatingWebhookAndSeeTheDenial) {
  auto srv = TestApiServer::Start();
  auto pki = apiserver::GeneratePki({"127.0.0.1"});
  ASSERT_TRUE(pki.ok());
  auto hook = TestWebhookServer::Start(
      pki->serving_cert_pem, pki->serving_key_pem,
      [](const json::object& req, const std::string&) -> json::object {
        const json::value* mode = req.at("object").as_object().if_contains("data");
        if (mode && mode->as_object().contains("mode") &&
            mode->as_object().at("mode") == "unsafe") {
          return Deny(403, "mode \"unsafe\" is not allowed here", "Forbidden");
        }
        json::object allow = Allow();
        allow["warnings"] = json::array{"mode is not set, using safe"};
        return allow;
      });

  std::string config = R"(apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: mode-policy
webhooks:
- name: mode.policy.kcx.test
  admissionReviewVersions: ["v1"]
  sideEffects: None
  clientConfig:
    url: )" + hook->Url("/validate") +
                       R"(
    caBundle: )" + Base64Encode(pki->ca_cert_pem) +
                       R"(
  rules:
  - operations: ["CREATE", "UPDATE"]
    apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["configmaps"]
)";
  auto a = srv->Kubectl({"apply", "-f", "-"}, config);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out,
            "validatingwebhookconfiguration.admissionregistration.k8s.io/mode-policy "
            "created\n");

  auto g = srv->Kubectl({"get", "validatingwebhookconfigurations"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_TRUE(std::regex_search(g.out, std::regex(R"(^NAME +WEBHOOKS +AGE\n)"))) << g.out;
  EXPECT_TRUE(std::regex_search(g.out, std::regex(R"(\nmode-policy +1 +[0-9]+s\n)"))) << g.out;

  auto denied = srv->Kubectl({"apply", "-f", "-"},
                             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n"
                             "data:\n  mode: unsafe\n");
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_EQ(denied.err,
            "Error from server (Forbidden): error when creating \"STDIN\": admission webhook "
            "\"mode.policy.kcx.test\" denied the request: mode \"unsafe\" is not allowed here\n")
      << denied.err;

  // An allowed write: kubectl prints the webhook's warning.
  auto ok = srv->Kubectl({"apply", "-f", "-"},
                         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "configmap/cfg created\n");
  EXPECT_NE(ok.err.find("Warning: mode is not set, using safe"), std::string::npos) << ok.err;

  // The webhook also guards updates (kubectl apply patches the existing object).
  auto upd = srv->Kubectl({"apply", "-f", "-"},
                          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n"
                          "data:\n  mode: unsafe\n");
  EXPECT_NE(upd.exit_code, 0);
  EXPECT_NE(upd.err.find("admission webhook \"mode.policy.kcx.test\" denied the request: mode "
                         "\"unsafe\" is not allowed here"),
            std::string::npos)
      << upd.err;

  // Removing the configuration removes the policy.
  auto del = srv->Kubectl({"delete", "validatingwebhookconfiguration", "mode-policy"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  auto after = srv->Kubectl({"apply", "-f", "-"},
                            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg2\n"
                            "data:\n  mode: unsafe\n");
  EXPECT_EQ(after.exit_code, 0) << after.err;
}

}  // namespace
}  // namespace kcx::testenv
