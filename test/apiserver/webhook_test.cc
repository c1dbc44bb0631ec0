// Integration tests of admission webhooks: kcx apiserver started in-process calls real HTTPS
// webhooks (test/apiserver/webhook_server.h) with their own CA passed as caBundle.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "api/json.h"
#include "apiserver/pki/pki.h"
#include "common/strings.h"
#include "test/apiserver/webhook_server.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

std::string Str(const json::value& v, std::initializer_list<std::string_view> path) {
  return std::string(api::GetStringPath(v, path));
}

json::value ConfigMap(const std::string& name, json::object labels = {}) {
  json::object meta{{"name", name}};
  if (!labels.empty())
    meta["labels"] = std::move(labels);
  return json::object{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", std::move(meta)},
                      {"data", json::object{{"k", "v"}}}};
}

json::object Rule(json::array ops, json::array resources, json::array groups = {""},
                  json::array versions = {"v1"}) {
  return json::object{{"operations", std::move(ops)},
                      {"apiGroups", std::move(groups)},
                      {"apiVersions", std::move(versions)},
                      {"resources", std::move(resources)}};
}

// One webhook entry; `extra` members override the defaults given here.
json::object Hook(const std::string& name, const std::string& url, const std::string& ca_pem,
                  json::array rules, json::object extra = {}) {
  json::object cc{{"url", url}};
  if (!ca_pem.empty())
    cc["caBundle"] = Base64Encode(ca_pem);
  json::object h{{"name", name},
                 {"clientConfig", std::move(cc)},
                 {"rules", std::move(rules)},
                 {"sideEffects", "None"},
                 {"admissionReviewVersions", json::array{"v1"}}};
  for (auto& kv : extra)
    h[kv.key()] = kv.value();
  return h;
}

json::value Config(bool mutating, const std::string& name, json::array hooks) {
  return json::object{
      {"apiVersion", "admissionregistration.k8s.io/v1"},
      {"kind", mutating ? "MutatingWebhookConfiguration" : "ValidatingWebhookConfiguration"},
      {"metadata", json::object{{"name", name}}},
      {"webhooks", std::move(hooks)}};
}

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_ = TestApiServer::Start();
    auto pki = apiserver::GeneratePki({"127.0.0.1", "hooks.default.svc"});
    ASSERT_TRUE(pki.ok()) << pki.status().ToString();
    pki_ = std::move(*pki);
  }

  // Registers a configuration and waits until it is visible to writes (the chain reads the
  // committed state; memory storage commits before the response).
  void Register(bool mutating, const std::string& name, json::array hooks) {
    std::string path =
        std::string("/apis/admissionregistration.k8s.io/v1/") +
        (mutating ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations");
    auto r = Call("POST", path, Config(mutating, name, std::move(hooks)));
    ASSERT_EQ(r.code, 201) << r.body;
  }

  CallResult Call(const std::string& m, const std::string& t) { return srv_->Call(m, t); }
  CallResult Call(const std::string& m, const std::string& t, const std::string& body,
                  const std::string& ct = "application/json") {
    return srv_->Call(m, t, body, ct);
  }
  CallResult Call(const std::string& m, const std::string& t, const char* body,
                  const std::string& ct = "application/json") {
    return srv_->Call(m, t, std::string(body), ct);
  }
  CallResult Call(const std::string& m, const std::string& t, const json::value& body) {
    return srv_->Call(m, t, json::serialize(body));
  }

  std::unique_ptr<TestWebhookServer> StartHook(TestWebhookServer::Handler h) {
    return TestWebhookServer::Start(pki_.serving_cert_pem, pki_.serving_key_pem, std::move(h));
  }

  std::unique_ptr<TestApiServer> srv_;
  apiserver::Pki pki_;
  const std::string cms_ = "/api/v1/namespaces/default/configmaps";
};

TEST_F(WebhookTest, ConfigurationDefaultsAndValidation) {
  Register(
      false, "v",
      {Hook("check.kcx.test", "https://127.0.0.1:1/x", "", {Rule({"CREATE"}, {"configmaps"})})});
  auto got = Call("GET",
                  "/apis/admissionregistration.k8s.io/v1/"
                  "validatingwebhookconfigurations/v");
  ASSERT_EQ(got.code, 200);
  const json::value& h = got.json.at("webhooks").at(0);
  EXPECT_EQ(h.at("failurePolicy"), "Fail");
  EXPECT_EQ(h.at("matchPolicy"), "Equivalent");
  EXPECT_EQ(h.at("timeoutSeconds"), 10);
  EXPECT_EQ(h.at("namespaceSelector"), json::object());
  EXPECT_EQ(h.at("objectSelector"), json::object());
  EXPECT_EQ(h.at("rules").at(0).at("scope"), "*");

  json::object bad = Hook("nodots", "http://127.0.0.1/x", "", {Rule({"CREATE"}, {"configmaps"})});
  bad.erase("sideEffects");
  bad.erase("admissionReviewVersions");
  auto r = Call("POST", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
                Config(true, "bad", {bad}));
  ASSERT_EQ(r.code, 422) << r.body;
  std::string msg = Str(r.json, {"message"});
  EXPECT_NE(msg.find("\"bad\" is invalid"), std::string::npos) << msg;
  EXPECT_EQ(Str(r.json, {"details", "kind"}), "MutatingWebhookConfiguration");
  EXPECT_EQ(Str(r.json, {"details", "group"}), "admissionregistration.k8s.io");
  EXPECT_NE(msg.find("webhooks[0].name: Invalid value: \"nodots\": should be a domain with at "
                     "least three segments separated by dots"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("webhooks[0].sideEffects: Required value: must specify one of None, "
                     "NoneOnDryRun"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the "
                     "only allowed URL scheme; desired format: https://host[/path]"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("webhooks[0].admissionReviewVersions: Required value: must specify one of "
                     "v1, v1beta1"),
            std::string::npos)
      << msg;
}

TEST_F(WebhookTest, MutatingWebhookAddsLabelWithJsonPatch) {
  auto hook = StartHook([](const json::object&, const std::string&) {
    return AllowWithPatch(
        {json::object{{"op", "add"}, {"path", "/metadata/labels"}, {"value", {{"added", "yes"}}}}});
  });
  Register(true, "m",
           {Hook("label.kcx.test", hook->Url("/mutate"), pki_.ca_cert_pem,
                 {Rule({"CREATE"}, {"configmaps"})})});
  auto r = Call("POST", cms_, ConfigMap("one"));
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(Str(r.json, {"metadata", "labels", "added"}), "yes");
  auto got = Call("GET", cms_ + "/one");
  EXPECT_EQ(Str(got.json, {"metadata", "labels", "added"}), "yes");
  EXPECT_EQ(Str(got.json, {"data", "k"}), "v");

  // The AdmissionReview request as kube sends it.
  auto reviews = hook->Reviews();
  ASSERT_EQ(reviews.size(), 1u);
  const json::object& q = reviews[0];
  EXPECT_EQ(Str(q, {"uid"}).size(), 36u);
  EXPECT_EQ(q.at("kind"), (json::object{{"group", ""}, {"version", "v1"}, {"kind", "ConfigMap"}}));
  EXPECT_EQ(q.at("resource"),
            (json::object{{"group", ""}, {"version", "v1"}, {"resource", "configmaps"}}));
  EXPECT_EQ(q.at("requestKind"), q.at("kind"));
  EXPECT_EQ(q.at("requestResource"), q.at("resource"));
  EXPECT_FALSE(q.contains("subResource"));
  EXPECT_EQ(q.at("name"), "one");
  EXPECT_EQ(q.at("namespace"), "default");
  EXPECT_EQ(q.at("operation"), "CREATE");
  EXPECT_EQ(Str(q, {"userInfo", "username"}), "kcx-admin");
  EXPECT_EQ(Str(q, {"object", "data", "k"}), "v");
  EXPECT_TRUE(q.at("oldObject").is_null());
  EXPECT_EQ(q.at("dryRun"), false);
  EXPECT_EQ(Str(q, {"options", "kind"}), "CreateOptions");
  EXPECT_EQ(Str(q, {"options", "apiVersion"}), "meta.k8s.io/v1");

  // Not called for operations its rules do not name.
  auto u = Call("PATCH", cms_ + "/one", R"({"data":{"k":"w"}})", "application/merge-patch+json");
  EXPECT_EQ(u.code, 200) << u.body;
  EXPECT_EQ(hook->Count(), 1u);
}

TEST_F(WebhookTest, ValidatingWebhookDenialIsTheClientsError) {
  auto hook = StartHook([](const json::object& req, const std::string&) {
    if (Str(req, {"object", "data", "k"}) == "forbidden") {
      return Deny(403, "the value \"forbidden\" is not allowed", "Forbidden");
    }
    return Allow();
  });
  Register(false, "v",
           {Hook("deny.kcx.test", hook->Url("/validate"), pki_.ca_cert_pem,
                 {Rule({"CREATE", "UPDATE"}, {"configmaps"})})});
  json::value cm = ConfigMap("bad");
  cm.at("data").at("k") = "forbidden";
  auto r = Call("POST", cms_, cm);
  ASSERT_EQ(r.code, 403) << r.body;
  EXPECT_EQ(r.json.at("kind"), "Status");
  EXPECT_EQ(r.json.at("status"), "Failure");
  EXPECT_EQ(r.json.at("reason"), "Forbidden");
  EXPECT_EQ(r.json.at("code"), 403);
  EXPECT_EQ(Str(r.json, {"message"}),
            "admission webhook \"deny.kcx.test\" denied the request: the value \"forbidden\" "
            "is not allowed");
  EXPECT_EQ(Call("GET", cms_ + "/bad").code, 404);

  // An allowed create, then a denied update: the object keeps its stored value.
  ASSERT_EQ(Call("POST", cms_, ConfigMap("good")).code, 201);
  auto u = Call("PATCH", cms_ + "/good", R"({"data":{"k":"forbidden"}})",
                "application/merge-patch+json");
  EXPECT_EQ(u.code, 403) << u.body;
  EXPECT_EQ(Str(Call("GET", cms_ + "/good").json, {"data", "k"}), "v");
  auto reviews = hook->Reviews();
  ASSERT_EQ(reviews.size(), 3u);
  EXPECT_EQ(reviews[2].at("operation"), "UPDATE");
  EXPECT_EQ(Str(reviews[2], {"oldObject", "data", "k"}), "v");
  EXPECT_EQ(Str(reviews[2], {"object", "data", "k"}), "forbidden");
  EXPECT_EQ(Str(reviews[2], {"options", "kind"}), "PatchOptions");

  // A denial without a code or message.
  auto hook2 = StartHook([](const json::object&, const std::string&) {
    return json::object{{"allowed", false}};
  });
  Register(false, "w",
           {Hook("silent.kcx.test", hook2->Url("/"), pki_.ca_cert_pem,
                 {Rule({"CREATE"}, {"secrets"})})});
  auto s = Call("POST", "/api/v1/namespaces/default/secrets", R"({"metadata":{"name":"s"}})");
  ASSERT_EQ(s.code, 400) << s.body;
  EXPECT_EQ(Str(s.json, {"message"}),
            "admission webhook \"silent.kcx.test\" denied the request without explanation");
}

TEST_F(WebhookTest, DeleteIsAdmittedWithOldObject) {
  auto hook = StartHook([](const json::object& req, const std::string&) {
    if (req.at("operation") == "DELETE")
      return Deny(422, "keep it");
    return Allow();
  });
  Register(false, "v",
           {Hook("nodelete.kcx.test", hook->Url("/"), pki_.ca_cert_pem,
                 {Rule({"DELETE"}, {"configmaps"})})});
  ASSERT_EQ(Call("POST", cms_, ConfigMap("keep")).code, 201);
  auto d = Call("DELETE", cms_ + "/keep");
  ASSERT_EQ(d.code, 422) << d.body;
  EXPECT_EQ(Str(d.json, {"message"}),
            "admission webhook \"nodelete.kcx.test\" denied the request: keep it");
  EXPECT_EQ(Call("GET", cms_ + "/keep").code, 200);
  auto reviews = hook->Reviews();
  ASSERT_EQ(reviews.size(), 1u);
  EXPECT_TRUE(reviews[0].at("object").is_null());
  EXPECT_EQ(Str(reviews[0], {"oldObject", "metadata", "name"}), "keep");
  EXPECT_EQ(Str(reviews[0], {"options", "kind"}), "DeleteOptions");
}

TEST_F(WebhookTest, FailurePolicyWithTheWebhookDown) {
  // A port nobody listens on: start a server, note its port, stop it.
  uint16_t dead_port;
  {
    auto tmp = StartHook([](const json::object&, const std::string&) { return Allow(); });
    dead_port = tmp->port();
  }
  std::string url = "https://127.0.0.1:" + std::to_string(dead_port) + "/down";
  Register(false, "fail",
           {Hook("fail.kcx.test", url, pki_.ca_cert_pem, {Rule({"CREATE"}, {"configmaps"})})});
  Register(false, "ignore",
           {Hook("ignore.kcx.test", url, pki_.ca_cert_pem, {Rule({"CREATE"}, {"secrets"})},
                 {{"failurePolicy", "Ignore"}})});
  auto r = Call("POST", cms_, ConfigMap("x"));
  ASSERT_EQ(r.code, 500) << r.body;
  EXPECT_EQ(r.json.at("reason"), "InternalError");
  std::string prefix =
      "Internal error occurred: failed calling webhook \"fail.kcx.test\": "
      "failed to call webhook: Post \"" +
      url + "?timeout=10s\": ";
  EXPECT_EQ(Str(r.json, {"message"}).substr(0, prefix.size()), prefix) << r.body;
  EXPECT_EQ(Call("GET", cms_ + "/x").code, 404);

  auto s = Call("POST", "/api/v1/namespaces/default/secrets", R"({"metadata":{"name":"s"}})");
  EXPECT_EQ(s.code, 201) << s.body;
}

TEST_F(WebhookTest, TimeoutSeconds) {
  auto hook = StartHook([](const json::object&, const std::string&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    return Allow();
  });
  Register(false, "slow",
           {Hook("slow.kcx.test", hook->Url("/slow"), pki_.ca_cert_pem,
                 {Rule({"CREATE"}, {"configmaps"})}, {{"timeoutSeconds", 1}})});
  auto t0 = std::chrono::steady_clock::now();
  auto r = Call("POST", cms_, ConfigMap("late"));
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(r.code, 500) << r.body;
  EXPECT_EQ(Str(r.json, {"message"}),
            "Internal error occurred: failed calling webhook \"slow.kcx.test\": failed to call "
            "webhook: Post \"" +
                hook->Url("/slow") + "?timeout=1s\": context deadline exceeded");
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  // The server's io threads stayed free while the webhook call waited.
}

TEST_F(WebhookTest, SlowWebhookDoesNotBlockOtherRequests) {
  auto hook = StartHook([](const json::object&, const std::string&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return Allow();
  });
  Register(false, "slow",
           {Hook("slow.kcx.test", hook->Url("/slow"), pki_.ca_cert_pem,
                 {Rule({"CREATE"}, {"configmaps"})})});
  // Occupy more webhook calls than the server has io threads, then read on another connection.
  std::vector<std::thread> writers;
  for (int i = 0; i < 4; ++i) {
    writers.emplace_back([this, i] {
      auto c = srv_->Connect();
      client::HttpRequest req;
      req.method = "POST";
      req.target = cms_;
      req.body = json::serialize(ConfigMap("w" + std::to_string(i)));
      req.content_type = "application/json";
      req.bearer_token = srv_->token();
      auto r = c->RoundTrip(req);
      EXPECT_TRUE(r.ok() && r->code == 201);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto t0 = std::chrono::steady_clock::now();
  auto got = Call("GET", "/api/v1/namespaces/default");
  EXPECT_EQ(got.code, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(700));
  for (auto& t : writers)
    t.join();
}

TEST_F(WebhookTest, NamespaceAndObjectSelectors) {
  auto hook =
      StartHook([](const json::object&, const std::string&) { return Deny(400, "selected"); });
  ASSERT_EQ(
      Call("POST", "/api/v1/namespaces", R"({"metadata":{"name":"team-a","labels":{"team":"a"}}})")
          .code,
      201);
  Register(
      false, "ns",
      {Hook("ns.kcx.test", hook->Url("/ns"), pki_.ca_cert_pem, {Rule({"CREATE"}, {"configmaps"})},
            {{"namespaceSelector", {{"matchLabels", {{"team", "a"}}}}}})});
  Register(false, "obj",
           {Hook("obj.kcx.test", hook->Url("/obj"), pki_.ca_cert_pem,
                 {Rule({"CREATE", "UPDATE"}, {"secrets"})},
                 {{"objectSelector",
                   {{"matchExpressions", json::array{{{"key", "guard"},
                                                      {"operator", "In"},
                                                      {"values", json::array{"on"}}}}}}}})});
  auto a = Call("POST", "/api/v1/namespaces/team-a/configmaps", ConfigMap("c"));
  EXPECT_EQ(a.code, 400) << a.body;
  EXPECT_EQ(Str(a.json, {"message"}),
            "admission webhook \"ns.kcx.test\" denied the request: selected");
  EXPECT_EQ(Call("POST", cms_, ConfigMap("c")).code, 201);

  const std::string secrets = "/api/v1/namespaces/default/secrets";
  auto guarded = Call("POST", secrets, R"({"metadata":{"name":"g","labels":{"guard":"on"}}})");
  EXPECT_EQ(guarded.code, 400) << guarded.body;
  EXPECT_EQ(Call("POST", secrets, R"({"metadata":{"name":"u"}})").code, 201);
  // An update matches on the old object's labels too (removing the label is still checked).
  ASSERT_EQ(Call("POST", secrets, R"({"metadata":{"name":"o","labels":{"guard":"off"}}})").code,
            201);
  EXPECT_EQ(Call("PATCH", secrets + "/o", R"({"metadata":{"labels":{"guard":"on"}}})",
                 "application/merge-patch+json")
                .code,
            400);
  std::vector<std::string> paths;
  for (const auto& r : hook->Reviews())
    paths.push_back(Str(r, {"name"}));
  EXPECT_EQ(paths, (std::vector<std::string>{"c", "g", "o"}));
}

TEST_F(WebhookTest, WrongCaBundleFailsTls) {
  auto hook = StartHook([](const json::object&, const std::string&) { return Allow(); });
  auto other = apiserver::GeneratePki({"127.0.0.1"});
  ASSERT_TRUE(other.ok());
  Register(false, "tls",
           {Hook("tls.kcx.test", hook->Url("/"), other->ca_cert_pem,
                 {Rule({"CREATE"}, {"configmaps"})})});
  auto r = Call("POST", cms_, ConfigMap("x"));
  ASSERT_EQ(r.code, 500) << r.body;
  EXPECT_NE(Str(r.json, {"message"}).find("certificate verify failed"), std::string::npos)
      << r.body;
  EXPECT_EQ(hook->Count(), 0u);
}

TEST_F(WebhookTest, ServiceReferenceResolvesThroughEndpointsAndChecksTheServiceName) {
  auto hook = StartHook([](const json::object&, const std::string& path) {
    return path == "/svc" ? Deny(400, "via service") : Allow();
  });
  std::string port = std::to_string(hook->port());
  // The certificate names hooks.default.svc (see SetUp), not other.default.svc.
  for (const char* name : {"hooks", "other"}) {
    std::string n = name;
    ASSERT_EQ(
        Call("POST", "/api/v1/namespaces/default/services",
             R"({"metadata":{"name":")" + n +
                 R"("},"spec":{"ports":[{"name":"https","port":443,"targetPort":)" + port + "}]}}")
            .code,
        201);
    ASSERT_EQ(
        Call(
            "POST", "/api/v1/namespaces/default/endpoints",
            R"({"metadata":{"name":")" + n +
                R"("},"subsets":[{"addresses":[{"ip":"127.0.0.1"}],"ports":[{"name":"https","port":)" +
                port + "}]}]}")
            .code,
        201);
  }
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/services",
                 R"({"metadata":{"name":"empty"},"spec":{"ports":[{"port":443}]}})")
                .code,
            201);
  auto svc_hook = [&](const std::string& name, const std::string& svc, json::array res) {
    json::object h = Hook(name, "", pki_.ca_cert_pem, {Rule({"CREATE"}, std::move(res))});
    h["clientConfig"].as_object().erase("url");
    h["clientConfig"].as_object()["service"] =
        json::object{{"namespace", "default"}, {"name", svc}, {"path", "/svc"}};
    return h;
  };
  Register(false, "svc",
           {svc_hook("svc.kcx.test", "hooks", {"configmaps"}),
            svc_hook("other.kcx.test", "other", {"secrets"}),
            svc_hook("empty.kcx.test", "empty", {"serviceaccounts"})});
  auto r = Call("POST", cms_, ConfigMap("x"));
  EXPECT_EQ(r.code, 400) << r.body;
  EXPECT_EQ(Str(r.json, {"message"}),
            "admission webhook \"svc.kcx.test\" denied the request: via service");

  auto s = Call("POST", "/api/v1/namespaces/default/secrets", R"({"metadata":{"name":"s"}})");
  ASSERT_EQ(s.code, 500) << s.body;
  std::string msg = Str(s.json, {"message"});
  EXPECT_NE(msg.find("Post \"https://other.default.svc:443/svc?timeout=10s\""), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("certificate verify failed"), std::string::npos) << msg;

  auto e =
      Call("POST", "/api/v1/namespaces/default/serviceaccounts", R"({"metadata":{"name":"sa"}})");
  ASSERT_EQ(e.code, 500) << e.body;
  EXPECT_NE(Str(e.json, {"message"}).find("no endpoints available for service \"empty\""),
            std::string::npos)
      << e.body;
  EXPECT_EQ(hook->Count(), 1u);
}

TEST_F(WebhookTest, WarningsBecomeWarningHeaders) {
  auto hook = StartHook([](const json::object&, const std::string&) {
    json::object r = Allow();
    r["warnings"] = json::array{"deprecated field \"k\"", "second"};
    return r;
  });
  Register(false, "warn",
           {Hook("warn.kcx.test", hook->Url("/"), pki_.ca_cert_pem,
                 {Rule({"CREATE"}, {"configmaps"})})});
  auto c = srv_->Connect();
  client::HttpRequest req;
  req.method = "POST";
  req.target = cms_;
  req.body = json::serialize(ConfigMap("w"));
  req.content_type = "application/json";
  req.bearer_token = srv_->token();
  auto r = c->RoundTrip(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, 201);
  std::vector<std::string> warnings;
  for (const auto& [k, v] : r->headers) {
    if (k == "Warning")
      warnings.push_back(v);
  }
  EXPECT_EQ(warnings,
            (std::vector<std::string>{R"(299 - "deprecated field \"k\"")", R"(299 - "second")"}));
}

TEST_F(WebhookTest, DryRunCallsWebhooksWithDryRunAndWritesNothing) {
  auto hook = StartHook([](const json::object&, const std::string&) {
    return AllowWithPatch(
        {json::object{{"op", "add"}, {"path", "/metadata/labels"}, {"value", {{"m", "1"}}}}});
  });
  Register(true, "m",
           {Hook("dry.kcx.test", hook->Url("/"), pki_.ca_cert_pem,
                 {Rule({"CREATE"}, {"configmaps"})}, {{"sideEffects", "NoneOnDryRun"}})});
  auto r = Call("POST", cms_ + "?dryRun=All", ConfigMap("d"));
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(Str(r.json, {"metadata", "labels", "m"}), "1");
  EXPECT_EQ(Call("GET", cms_ + "/d").code, 404);
  ASSERT_EQ(hook->Count(), 1u);
  EXPECT_EQ(hook->Reviews()[0].at("dryRun"), true);
  EXPECT_EQ(hook->Reviews()[0].at("options").at("dryRun"), json::array{"All"});
}

TEST_F(WebhookTest, WebhookConfigurationsAreNotSubjectToWebhooks) {
  auto hook = StartHook(
      [](const json::object&, const std::string&) { return Deny(403, "nothing passes"); });
  Register(false, "all",
           {Hook("all.kcx.test", hook->Url("/"), pki_.ca_cert_pem,
                 {Rule({"*"}, {"*/*"}, {"*"}, {"*"})})});
  EXPECT_EQ(Call("POST", cms_, ConfigMap("x")).code, 403);
  // The configuration that blocks everything can still be changed and removed.
  Register(
      true, "another",
      {Hook("another.kcx.test", hook->Url("/"), pki_.ca_cert_pem, {Rule({"CREATE"}, {"pods"})})});
  auto d =
      Call("DELETE", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/all");
  EXPECT_EQ(d.code, 200) << d.body;
  EXPECT_EQ(Call("POST", cms_, ConfigMap("x")).code, 201);
  EXPECT_EQ(hook->Count(), 1u);
}

TEST_F(WebhookTest, MutatingOrderAndReinvocation) {
  // "a-first" adds a=1 and asks to be re-invoked if needed; "b-second" (a later
  // configuration) adds b=1. a-first is then called again and sees b's label.
  auto hook = StartHook([](const json::object& req, const std::string& path) {
    const json::value* labels = api::FindPath(req.at("object"), {"metadata", "labels"});
    json::array patch;
    if (!labels)
      patch.push_back({{"op", "add"}, {"path", "/metadata/labels"}, {"value", json::object()}});
    std::string key = path == "/a" ? "a" : "b";
    if (!labels || !labels->as_object().contains(key)) {
      patch.push_back({{"op", "add"}, {"path", "/metadata/labels/" + key}, {"value", "1"}});
    }
    return patch.empty() ? Allow() : AllowWithPatch(patch);
  });
  Register(
      true, "b-second",
      {Hook("b.kcx.test", hook->Url("/b"), pki_.ca_cert_pem, {Rule({"CREATE"}, {"configmaps"})})});
  Register(true, "a-first",
           {Hook("a.kcx.test", hook->Url("/a"), pki_.ca_cert_pem,
                 {Rule({"CREATE"}, {"configmaps"})}, {{"reinvocationPolicy", "IfNeeded"}})});
  auto r = Call("POST", cms_, ConfigMap("m"));
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(r.json.at("metadata").at("labels"), (json::object{{"a", "1"}, {"b", "1"}}));
  auto reviews = hook->Reviews();
  ASSERT_EQ(reviews.size(), 3u);
  EXPECT_FALSE(api::FindPath(reviews[0].at("object"), {"metadata", "labels"}));
  EXPECT_EQ(Str(reviews[1], {"object", "metadata", "labels", "a"}), "1");
  EXPECT_EQ(Str(reviews[2], {"object", "metadata", "labels", "b"}), "1");
}

TEST_F(WebhookTest, SubresourceRulesAndWebhookCannotChangeWhatTheServerOwns) {
  auto hook = StartHook([](const json::object& req, const std::string&) {
    if (Str(req, {"subResource"}) == "status")
      return Deny(400, "status change");
    // Tries to change the uid and the status on a main-resource write: both are ignored.
    return AllowWithPatch({json::object{{"op", "replace"},
                                        {"path", "/metadata/uid"},
                                        {"value", "00000000-0000-0000-0000-000000000000"}}});
  });
  Register(true, "pods",
           {Hook("pods.kcx.test", hook->Url("/"), pki_.ca_cert_pem,
                 {Rule({"UPDATE"}, {"pods", "pods/status"})})});
  const std::string pods = "/api/v1/namespaces/default/pods";
  auto c = Call("POST", pods,
                R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}})");
  ASSERT_EQ(c.code, 201) << c.body;
  std::string uid = Str(c.json, {"metadata", "uid"});
  auto u = Call("PATCH", pods + "/p", R"({"metadata":{"labels":{"x":"y"}}})",
                "application/merge-patch+json");
  ASSERT_EQ(u.code, 200) << u.body;
  EXPECT_EQ(Str(u.json, {"metadata", "uid"}), uid);
  EXPECT_EQ(Str(u.json, {"metadata", "labels", "x"}), "y");
  auto st = Call("PATCH", pods + "/p/status", R"({"status":{"message":"m"}})",
                 "application/merge-patch+json");
  EXPECT_EQ(st.code, 400) << st.body;
  auto reviews = hook->Reviews();
  ASSERT_EQ(reviews.size(), 2u);
  EXPECT_FALSE(reviews[0].contains("subResource"));
  EXPECT_EQ(reviews[1].at("subResource"), "status");
  EXPECT_EQ(reviews[1].at("requestSubResource"), "status");
}

}  // namespace
}  // namespace kcx::testenv
