// Integration tests of strategic merge patch (application/strategic-merge-patch+json) in kcx
// apiserver over real HTTPS, against a server started in-process on port 0.

#include "api/strategic_patch.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <future>

#include "api/json.h"
#include "api/patch.h"
#include "apiserver/registry/resource_info.h"
#include "apiserver/rest/api_registry.h"
#include "apiserver/rest/rest_handler.h"
#include "common/clock.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

constexpr char kSmp[] = "application/strategic-merge-patch+json";

json::value J(std::string_view text) {
  auto v = api::ParseJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::value();
}

// The names (merge keys) of a list's items, in order.
std::vector<std::string> Names(const json::value* list, std::string_view key = "name") {
  std::vector<std::string> out;
  if (!list || !list->is_array())
    return out;
  for (const auto& v : list->get_array())
    out.emplace_back(api::GetString(v.get_object(), key));
  return out;
}

class StrategicPatchTest : public ::testing::Test {
 protected:
  void SetUp() override { srv_ = TestApiServer::Start(); }

  json::value CreateDeployment() {
    auto r = srv_->Call("POST", deploys_, J(R"({
      "apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
      "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
        "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}},
        "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[
          {"name":"app","image":"app:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
           "ports":[{"containerPort":8080,"name":"http"}]},
          {"name":"sidecar","image":"side:1"}]}}}})"));
    EXPECT_EQ(r.code, 201) << r.body;
    return r.json;
  }

  std::unique_ptr<TestApiServer> srv_;
  const std::string deploys_ = "/apis/apps/v1/namespaces/default/deployments";
};

TEST_F(StrategicPatchTest, MergesContainersAndEnvOfADeployment) {
  CreateDeployment();
  // What a client-side apply sends when the manifest drops env B, changes env A, adds a
  // container in front and keeps the sidecar last.
  auto r = srv_->Call("PATCH", deploys_ + "/web", std::string(R"({"spec":{"template":{"spec":{
      "$setElementOrder/containers":[{"name":"init"},{"name":"app"},{"name":"sidecar"}],
      "containers":[{"name":"init","image":"init:1"},
                    {"name":"app","$setElementOrder/env":[{"name":"A"}],
                     "env":[{"name":"A","value":"10"},{"name":"B","$patch":"delete"}]}]}}}})"),
                      kSmp);
  ASSERT_EQ(r.code, 200) << r.body;
  const json::value* containers = api::FindPath(r.json, {"spec", "template", "spec", "containers"});
  EXPECT_EQ(Names(containers), (std::vector<std::string>{"init", "app", "sidecar"}));
  const json::object& app = containers->get_array()[1].get_object();
  EXPECT_EQ(api::GetString(app, "image"), "app:1");
  ASSERT_NE(app.if_contains("env"), nullptr);
  EXPECT_TRUE(api::JsonEqual(app.at("env"), J(R"([{"name":"A","value":"10"}])")))
      << json::serialize(app.at("env"));
  EXPECT_TRUE(api::JsonEqual(app.at("ports").at(0).at("containerPort"), json::value(8080)));
  // A spec change bumps the generation; the stored object is what GET returns.
  EXPECT_EQ(api::GetInt(r.json.at("metadata").get_object(), "generation"), 2);
  auto g = srv_->Call("GET", deploys_ + "/web");
  EXPECT_TRUE(api::JsonEqual(g.json.at("spec"), r.json.at("spec")));
}

TEST_F(StrategicPatchTest, RetainKeysClearsTheOldStrategy) {
  CreateDeployment();
  auto r = srv_->Call("PATCH", deploys_ + "/web",
                      std::string(R"({"spec":{"strategy":{"$retainKeys":["type"],
                                   "type":"Recreate","rollingUpdate":null}}})"),
                      kSmp);
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_TRUE(api::JsonEqual(r.json.at("spec").at("strategy"), J(R"({"type":"Recreate"})")))
      << json::serialize(r.json.at("spec").at("strategy"));
}

TEST_F(StrategicPatchTest, DeleteDirectiveRemovesAContainer) {
  CreateDeployment();
  auto r = srv_->Call(
      "PATCH", deploys_ + "/web",
      std::string(
          R"({"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}})"),
      kSmp);
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(Names(api::FindPath(r.json, {"spec", "template", "spec", "containers"})),
            std::vector<std::string>{"app"});
}

TEST_F(StrategicPatchTest, MalformedPatchesAreRejectedAndChangeNothing) {
  json::value created = CreateDeployment();
  std::string rv(api::GetStringPath(created, {"metadata", "resourceVersion"}));
  struct Case {
    std::string body;
    int code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}})", 400,
       "invalid patch format of retainKeys"},
      {R"({"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})", 400,
       "map: map[image:x] does not contain declared merge key: name"},
      {R"({"spec":{"strategy":{"$patch":"merge"}}})", 400,
       "unknown patch type: merge in map: map[$patch:merge]"},
      {R"([{"op":"add"}])", 400,
       "json: cannot unmarshal array into Go value of type map[string]interface {}"},
      // Lists of maps and of lists mixed (the 422 for lists of lists is a unit test).
      {R"({"spec":{"template":{"spec":{"containers":[["a"]]}}}})", 400, ""},
  };
  for (const Case& c : cases) {
    auto r = srv_->Call("PATCH", deploys_ + "/web", c.body, kSmp);
    EXPECT_EQ(r.code, c.code) << c.body << ": " << r.body;
    EXPECT_EQ(r.json.at("kind"), "Status");
    if (!c.message.empty()) {
      EXPECT_EQ(api::GetString(r.json.get_object(), "message"), c.message) << c.body;
    }
  }
  auto g = srv_->Call("GET", deploys_ + "/web");
  EXPECT_EQ(api::GetStringPath(g.json, {"metadata", "resourceVersion"}), rv);
}

TEST_F(StrategicPatchTest, StatusSubresourceMergesConditionsByType) {
  const std::string pods = "/api/v1/namespaces/default/pods";
  auto c = srv_->Call("POST", pods, J(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
      "spec":{"containers":[{"name":"c","image":"i"}]}})"));
  ASSERT_EQ(c.code, 201) << c.body;
  auto r1 = srv_->Call("PATCH", pods + "/p/status", std::string(R"({"status":{"conditions":[
      {"type":"Ready","status":"False"},{"type":"Initialized","status":"True"}]}})"),
                       kSmp);
  ASSERT_EQ(r1.code, 200) << r1.body;
  auto r2 = srv_->Call(
      "PATCH", pods + "/p/status",
      std::string(R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})"), kSmp);
  ASSERT_EQ(r2.code, 200) << r2.body;
  const json::value* conds = api::FindPath(r2.json, {"status", "conditions"});
  ASSERT_NE(conds, nullptr);
  std::map<std::string, std::string> by_type;
  for (const auto& v : conds->get_array()) {
    by_type[std::string(api::GetString(v.get_object(), "type"))] =
        std::string(api::GetString(v.get_object(), "status"));
  }
  EXPECT_EQ(by_type["Ready"], "True");
  EXPECT_EQ(by_type["Initialized"], "True");
  // The main resource ignores status, as with any patch.
  auto r3 =
      srv_->Call("PATCH", pods + "/p",
                 std::string(R"({"status":{"conditions":[{"type":"X","status":"True"}]}})"), kSmp);
  ASSERT_EQ(r3.code, 200) << r3.body;
  EXPECT_EQ(Names(api::FindPath(r3.json, {"status", "conditions"}), "type").size(), 2u);
}

TEST_F(StrategicPatchTest, FinalizersMergeAndDeleteFromPrimitiveList) {
  const std::string cms = "/api/v1/namespaces/default/configmaps";
  auto c = srv_->Call("POST", cms, J(R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"f","finalizers":["example.com/a","example.com/b"]}})"));
  ASSERT_EQ(c.code, 201) << c.body;
  auto r = srv_->Call("PATCH", cms + "/f", std::string(R"({"metadata":{
      "$setElementOrder/finalizers":["example.com/a","example.com/c"],
      "finalizers":["example.com/c"],
      "$deleteFromPrimitiveList/finalizers":["example.com/b"]}})"),
                      kSmp);
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_TRUE(api::JsonEqual(r.json.at("metadata").at("finalizers"),
                             J(R"(["example.com/a","example.com/c"])")))
      << r.body;
  // Clean up: finalizers would otherwise keep the object around.
  auto r2 =
      srv_->Call("PATCH", cms + "/f", std::string(R"({"metadata":{"finalizers":null}})"), kSmp);
  EXPECT_EQ(r2.code, 200);
  EXPECT_EQ(r2.json.at("metadata").get_object().if_contains("finalizers"), nullptr);
}

TEST_F(StrategicPatchTest, DryRunDoesNotStore) {
  CreateDeployment();
  auto r = srv_->Call(
      "PATCH", deploys_ + "/web?dryRun=All",
      std::string(
          R"({"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}})"),
      kSmp);
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(Names(api::FindPath(r.json, {"spec", "template", "spec", "containers"})).size(), 1u);
  auto g = srv_->Call("GET", deploys_ + "/web");
  EXPECT_EQ(Names(api::FindPath(g.json, {"spec", "template", "spec", "containers"})).size(), 2u);
}

TEST(StrategicPatchMetaTest, EveryBuiltinTypeHasPatchMetadata) {
  for (const apiserver::ResourceInfo& r : apiserver::BuiltinResources()) {
    const api::PatchMeta* meta = api::BuiltinPatchMeta(r.group, r.kind);
    ASSERT_NE(meta, nullptr) << r.group << "/" << r.kind;
    const api::PatchField* md = meta->Field("metadata");
    ASSERT_NE(md, nullptr) << r.kind;
    ASSERT_NE(md->type, nullptr);
    EXPECT_EQ(md->type->Field("ownerReferences")->merge_key, "uid") << r.kind;
  }
}

// Custom resources reject strategic merge patch as kube-apiserver does. CRD serving is built
// separately; this drives the REST handler directly with a ResourceInfo marked custom.
TEST(StrategicPatchCustomResourceTest, RejectedWith415) {
  apiserver::Sequencer seq(nullptr);
  apiserver::ApiRegistry registry(&seq, 100);
  for (const auto& info : apiserver::BuiltinResources()) {
    if (info.kind == "Namespace")
      registry.Add(&info);
  }
  apiserver::ResourceInfo widget;
  widget.group = "example.com";
  widget.version = "v1";
  widget.kind = "Widget";
  widget.resource = "widgets";
  widget.singular = "widget";
  widget.list_kind = "WidgetList";
  widget.verbs = {"get", "list", "patch", "update", "create", "delete", "watch"};
  widget.custom_resource = true;
  registry.Add(&widget);
  for (const auto& e : registry.entries())
    e->store->FinishLoad(0);
  apiserver::RestHandler handler(&registry, &RealClock(), apiserver::RestOptions{});

  auto patch = [&](const std::string& content_type) {
    apiserver::Request req;
    req.method = "PATCH";
    req.path = "/apis/example.com/v1/namespaces/default/widgets/w";
    req.content_type = content_type;
    req.body = R"({"spec":{"items":[{"name":"a"}]}})";
    req.user = apiserver::UserInfo{"admin", {"system:masters"}, true};
    std::promise<apiserver::Response> p;
    auto f = p.get_future();
    handler.Handle(std::move(req), [&p](apiserver::Response r) { p.set_value(std::move(r)); });
    return f.get();
  };
  apiserver::Response r = patch(kSmp);
  EXPECT_EQ(r.code, 415) << r.body;
  auto body = api::ParseJson(r.body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(api::GetString(body->get_object(), "message"),
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, "
            "application/apply-patch+yaml");
  EXPECT_EQ(body->at("reason"), "UnsupportedMediaType");
  // A merge patch of the same missing object gets past the media type check.
  EXPECT_EQ(patch("application/merge-patch+json").code, 404);
}

}  // namespace
}  // namespace kcx::testenv
