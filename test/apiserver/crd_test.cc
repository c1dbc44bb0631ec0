// Integration tests of CustomResourceDefinitions over real HTTPS: serving, discovery, schema
// validation, pruning and fieldValidation, defaulting, status and scale subresources, printer
// columns, versions, deletion and restart.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "api/json.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

const char* kCrd = R"({
  "apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
  "metadata":{"name":"widgets.example.com"},
  "spec":{"group":"example.com","scope":"Namespaced",
    "names":{"plural":"widgets","kind":"Widget","shortNames":["wd"],"categories":["all","toys"]},
    "versions":[
      {"name":"v1beta1","served":true,"storage":false,
       "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}},
      {"name":"v1","served":true,"storage":true,
       "subresources":{"status":{},"scale":{"specReplicasPath":".spec.replicas",
                                            "statusReplicasPath":".status.replicas",
                                            "labelSelectorPath":".status.selector"}},
       "additionalPrinterColumns":[
         {"name":"Replicas","type":"integer","jsonPath":".spec.replicas"},
         {"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"},
         {"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}],
       "schema":{"openAPIV3Schema":{"type":"object","properties":{
         "spec":{"type":"object","properties":{
           "replicas":{"type":"integer","minimum":0,"default":1},
           "size":{"type":"string","enum":["S","M","L"]},
           "port":{"x-kubernetes-int-or-string":true}}},
         "status":{"type":"object","properties":{
           "replicas":{"type":"integer"},"selector":{"type":"string"},
           "conditions":{"type":"array","items":{"type":"object",
             "properties":{"type":{"type":"string"},"status":{"type":"string"}}}}}}}}}}]}})";

std::string Str(const json::value& v, std::initializer_list<std::string_view> path) {
  return std::string(api::GetStringPath(v, path));
}

json::value Widget(const std::string& name, json::object spec) {
  return json::object{{"apiVersion", "example.com/v1"},
                      {"kind", "Widget"},
                      {"metadata", json::object{{"name", name}}},
                      {"spec", std::move(spec)}};
}

class CrdTest : public ::testing::Test {
 protected:
  void SetUp() override { srv_ = TestApiServer::Start(); }

  // Creates the CRD and waits until its resource lists; returns the time that took.
  Clock::duration CreateCrdAndWait(const std::string& body = kCrd) {
    auto start = Clock::now();
    auto r = srv_->Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", body);
    EXPECT_EQ(r.code, 201) << r.body;
    for (int i = 0; i < 500; ++i) {
      if (srv_->Call("GET", widgets_).code == 200)
        return Clock::now() - start;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ADD_FAILURE() << "widgets never served";
    return Clock::now() - start;
  }

  client::HttpResponse Raw(const std::string& method, const std::string& target,
                           const std::string& body, const std::string& ct = "application/json") {
    auto c = srv_->Connect();
    client::HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.content_type = ct;
    req.bearer_token = srv_->token();
    auto r = c->RoundTrip(req);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : client::HttpResponse{};
  }

  static std::vector<std::string> Warnings(const client::HttpResponse& r) {
    std::vector<std::string> out;
    for (const auto& [k, v] : r.headers) {
      if (k == "Warning" || k == "warning")
        out.push_back(v);
    }
    return out;
  }

  std::unique_ptr<TestApiServer> srv_;
  const std::string crds_ = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  const std::string widgets_ = "/apis/example.com/v1/namespaces/default/widgets";
};

TEST_F(CrdTest, CreatedCrdIsServedAndEstablished) {
  auto took = CreateCrdAndWait();
  EXPECT_LT(took, std::chrono::seconds(1));
  auto crd = srv_->Call("GET", crds_ + "/widgets.example.com");
  ASSERT_EQ(crd.code, 200);
  // Defaults.
  EXPECT_EQ(Str(crd.json, {"spec", "names", "singular"}), "widget");
  EXPECT_EQ(Str(crd.json, {"spec", "names", "listKind"}), "WidgetList");
  EXPECT_EQ(Str(crd.json, {"spec", "conversion", "strategy"}), "None");
  EXPECT_EQ(crd.json.at("status").at("storedVersions"), json::array{"v1"});
  // The server's controller accepts the names and establishes the CRD.
  bool established = false;
  for (int i = 0; i < 200 && !established; ++i) {
    crd = srv_->Call("GET", crds_ + "/widgets.example.com");
    const json::array* conds = api::GetArray(crd.json.at("status").as_object(), "conditions");
    for (size_t j = 0; conds && j < conds->size(); ++j) {
      const auto& c = (*conds)[j];
      if (c.at("type") == "Established" && c.at("status") == "True")
        established = true;
    }
    if (!established)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(established) << crd.body;
  EXPECT_EQ(Str(crd.json, {"status", "acceptedNames", "kind"}), "Widget");
  std::set<std::string> conds;
  for (const auto& c : crd.json.at("status").at("conditions").as_array()) {
    conds.insert(std::string(c.at("type").as_string()) + "=" +
                 std::string(c.at("status").as_string()));
  }
  EXPECT_TRUE(conds.count("NamesAccepted=True"));
}

TEST_F(CrdTest, DiscoveryLegacyAndAggregated) {
  CreateCrdAndWait();
  auto rl = srv_->Call("GET", "/apis/example.com/v1");
  ASSERT_EQ(rl.code, 200) << rl.body;
  std::map<std::string, json::object> byname;
  for (const auto& r : rl.json.at("resources").as_array()) {
    byname[std::string(r.at("name").as_string())] = r.as_object();
  }
  ASSERT_TRUE(byname.count("widgets"));
  EXPECT_EQ(byname["widgets"].at("shortNames"), json::array{"wd"});
  EXPECT_EQ(byname["widgets"].at("categories"), (json::array{"all", "toys"}));
  EXPECT_EQ(byname["widgets"].at("kind"), "Widget");
  EXPECT_TRUE(byname.count("widgets/status"));
  ASSERT_TRUE(byname.count("widgets/scale"));
  EXPECT_EQ(byname["widgets/scale"].at("kind"), "Scale");
  auto group = srv_->Call("GET", "/apis/example.com");
  ASSERT_EQ(group.code, 200);
  EXPECT_EQ(Str(group.json, {"preferredVersion", "version"}), "v1");
  EXPECT_EQ(group.json.at("versions").as_array().size(), 2u);
  auto agg = srv_->Call("GET", "/apis", "", "application/json",
                        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  ASSERT_EQ(agg.code, 200);
  bool found = false;
  for (const auto& g : agg.json.at("items").as_array()) {
    if (Str(g, {"metadata", "name"}) != "example.com")
      continue;
    found = true;
    const auto& v0 = g.at("versions").at(0);
    EXPECT_EQ(v0.at("version"), "v1");
    EXPECT_EQ(v0.at("resources").at(0).at("resource"), "widgets");
  }
  EXPECT_TRUE(found) << agg.body;
  // The CRD type itself.
  auto ext = srv_->Call("GET", "/apis/apiextensions.k8s.io/v1");
  ASSERT_EQ(ext.code, 200);
  EXPECT_NE(ext.body.find("\"customresourcedefinitions\""), std::string::npos);
  EXPECT_NE(ext.body.find("\"crd\""), std::string::npos);
}

TEST_F(CrdTest, SchemaValidationErrorsAre422WithKubeCauses) {
  CreateCrdAndWait();
  auto r = srv_->Call("POST", widgets_, Widget("w", {{"replicas", "three"}, {"size", "XL"}}));
  ASSERT_EQ(r.code, 422) << r.body;
  EXPECT_EQ(Str(r.json, {"reason"}), "Invalid");
  std::set<std::string> msgs;
  for (const auto& c : r.json.at("details").at("causes").as_array()) {
    msgs.insert(Str(c, {"field"}) + ": " + Str(c, {"message"}));
  }
  EXPECT_TRUE(
      msgs.count("spec.replicas: Invalid value: \"string\": spec.replicas in body must "
                 "be of type integer: \"string\""))
      << r.body;
  EXPECT_TRUE(
      msgs.count("spec.size: Unsupported value: \"XL\": supported values: \"S\", \"M\", "
                 "\"L\""))
      << r.body;
  EXPECT_EQ(Str(r.json, {"details", "kind"}), "Widget");
  r = srv_->Call("POST", widgets_, Widget("w", {{"replicas", -1}}));
  EXPECT_EQ(r.code, 422);
  EXPECT_NE(r.body.find("should be greater than or equal to 0"), std::string::npos) << r.body;
  r = srv_->Call("POST", widgets_, Widget("w", {{"port", 80}}));
  EXPECT_EQ(r.code, 201) << r.body;
}

TEST_F(CrdTest, PruningAndFieldValidation) {
  CreateCrdAndWait();
  std::string body = json::serialize(Widget("strict", {{"replicas", 2}, {"foo", 1}}));
  auto r = Raw("POST", widgets_ + "?fieldValidation=Strict", body);
  EXPECT_EQ(r.code, 400) << r.body;
  EXPECT_NE(r.body.find("Widget in version \\\"v1\\\" cannot be handled as a Widget: strict "
                        "decoding error: unknown field \\\"spec.foo\\\""),
            std::string::npos)
      << r.body;

  body = json::serialize(Widget("warn", {{"replicas", 2}, {"foo", 1}}));
  r = Raw("POST", widgets_, body);  // the default is Warn
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(Warnings(r), std::vector<std::string>{"299 - \"unknown field \\\"spec.foo\\\"\""});
  auto got = srv_->Call("GET", widgets_ + "/warn");
  EXPECT_FALSE(got.json.at("spec").as_object().contains("foo"));

  body = json::serialize(Widget("ignore", {{"foo", 1}}));
  r = Raw("POST", widgets_ + "?fieldValidation=Ignore", body);
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_TRUE(Warnings(r).empty());
  got = srv_->Call("GET", widgets_ + "/ignore");
  EXPECT_FALSE(got.json.at("spec").as_object().contains("foo"));
  EXPECT_EQ(got.json.at("spec").at("replicas"), 1);  // defaulted

  // Patches are pruned too.
  r = Raw("PATCH", widgets_ + "/warn?fieldValidation=Strict", R"({"spec":{"bar":1}})",
          "application/merge-patch+json");
  EXPECT_EQ(r.code, 400) << r.body;
  r = Raw("PATCH", widgets_ + "/warn", R"({"spec":{"bar":1,"replicas":4}})",
          "application/merge-patch+json");
  EXPECT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(Warnings(r).size(), 1u);
  got = srv_->Call("GET", widgets_ + "/warn");
  EXPECT_EQ(got.json.at("spec").at("replicas"), 4);
  EXPECT_FALSE(got.json.at("spec").as_object().contains("bar"));
  // Strategic merge patch is not for custom resources.
  r = Raw("PATCH", widgets_ + "/warn", R"({"spec":{"replicas":5}})",
          "application/strategic-merge-patch+json");
  EXPECT_EQ(r.code, 415) << r.body;
}

TEST_F(CrdTest, StatusSubresourceAndGeneration) {
  CreateCrdAndWait();
  auto r = srv_->Call("POST", widgets_,
                      json::value(json::object{{"apiVersion", "example.com/v1"},
                                               {"kind", "Widget"},
                                               {"metadata", json::object{{"name", "s"}}},
                                               {"spec", json::object{{"replicas", 1}}},
                                               {"status", json::object{{"replicas", 9}}}}));
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_FALSE(r.json.as_object().contains("status"));  // dropped on create
  EXPECT_EQ(r.json.at("metadata").at("generation"), 1);
  r = srv_->Call(
      "PATCH", widgets_ + "/s/status",
      std::string(R"({"status":{"replicas":1,"conditions":[{"type":"Ready","status":"True"}]},
                     "spec":{"replicas":7}})"),
      "application/merge-patch+json");
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(r.json.at("spec").at("replicas"), 1);  // spec ignored on /status
  EXPECT_EQ(r.json.at("status").at("replicas"), 1);
  EXPECT_EQ(r.json.at("metadata").at("generation"), 1);
  r = srv_->Call("PATCH", widgets_ + "/s",
                 std::string(R"({"spec":{"replicas":2},"status":{"replicas":5}})"),
                 "application/merge-patch+json");
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(r.json.at("status").at("replicas"), 1);  // status ignored on the main resource
  EXPECT_EQ(r.json.at("metadata").at("generation"), 2);

  // Table output with the printer columns.
  auto t = srv_->Call("GET", widgets_, "", "application/json",
                      "application/json;as=Table;v=v1;g=meta.k8s.io");
  ASSERT_EQ(t.code, 200) << t.body;
  std::vector<std::string> cols;
  for (const auto& c : t.json.at("columnDefinitions").as_array()) {
    cols.emplace_back(c.at("name").as_string());
  }
  EXPECT_EQ(cols, (std::vector<std::string>{"Name", "Replicas", "Ready", "Age"}));
  const auto& cells = t.json.at("rows").at(0).at("cells").as_array();
  EXPECT_EQ(cells.at(0), "s");
  EXPECT_EQ(cells.at(1), 2);
  EXPECT_EQ(cells.at(2), "True");
  EXPECT_TRUE(cells.at(3).is_string());
}

TEST_F(CrdTest, ScaleSubresource) {
  CreateCrdAndWait();
  ASSERT_EQ(srv_->Call("POST", widgets_, Widget("sc", {{"replicas", 2}})).code, 201);
  ASSERT_EQ(srv_->Call("PATCH", widgets_ + "/sc/status",
                       std::string(R"({"status":{"replicas":2,"selector":"app=sc"}})"),
                       "application/merge-patch+json")
                .code,
            200);
  auto s = srv_->Call("GET", widgets_ + "/sc/scale");
  ASSERT_EQ(s.code, 200) << s.body;
  EXPECT_EQ(Str(s.json, {"kind"}), "Scale");
  EXPECT_EQ(Str(s.json, {"apiVersion"}), "autoscaling/v1");
  EXPECT_EQ(s.json.at("spec").at("replicas"), 2);
  EXPECT_EQ(s.json.at("status").at("replicas"), 2);
  EXPECT_EQ(Str(s.json, {"status", "selector"}), "app=sc");
  s = srv_->Call("PATCH", widgets_ + "/sc/scale", std::string(R"({"spec":{"replicas":5}})"),
                 "application/merge-patch+json");
  ASSERT_EQ(s.code, 200) << s.body;
  EXPECT_EQ(s.json.at("spec").at("replicas"), 5);
  auto w = srv_->Call("GET", widgets_ + "/sc");
  EXPECT_EQ(w.json.at("spec").at("replicas"), 5);
  EXPECT_EQ(w.json.at("metadata").at("generation"), 2);
  json::value put = s.json;
  put.as_object()["spec"].as_object()["replicas"] = 3;
  s = srv_->Call("PUT", widgets_ + "/sc/scale", put);
  ASSERT_EQ(s.code, 200) << s.body;
  EXPECT_EQ(srv_->Call("GET", widgets_ + "/sc").json.at("spec").at("replicas"), 3);
  // A stale resourceVersion conflicts; a negative count is invalid.
  s = srv_->Call("PUT", widgets_ + "/sc/scale", put);
  EXPECT_EQ(s.code, 409) << s.body;
  s = srv_->Call("PATCH", widgets_ + "/sc/scale", std::string(R"({"spec":{"replicas":-1}})"),
                 "application/merge-patch+json");
  EXPECT_EQ(s.code, 422) << s.body;
}

TEST_F(CrdTest, VersionsShareOneStorageVersion) {
  CreateCrdAndWait();
  const std::string beta = "/apis/example.com/v1beta1/namespaces/default/widgets";
  json::value w = Widget("multi", {{"replicas", 3}, {"extra", "kept in v1beta1"}});
  w.as_object()["apiVersion"] = "example.com/v1beta1";
  auto r = srv_->Call("POST", beta, w);
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(Str(r.json, {"apiVersion"}), "example.com/v1beta1");
  auto v1 = srv_->Call("GET", widgets_ + "/multi");
  ASSERT_EQ(v1.code, 200);
  EXPECT_EQ(Str(v1.json, {"apiVersion"}), "example.com/v1");
  auto b = srv_->Call("GET", beta + "/multi");
  EXPECT_EQ(Str(b.json, {"apiVersion"}), "example.com/v1beta1");
  auto list = srv_->Call("GET", beta);
  ASSERT_EQ(list.code, 200);
  EXPECT_EQ(list.json.at("items").at(0).at("apiVersion"), "example.com/v1beta1");
  r = srv_->Call("PATCH", beta + "/multi", std::string(R"({"spec":{"replicas":4}})"),
                 "application/merge-patch+json");
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(Str(r.json, {"apiVersion"}), "example.com/v1beta1");
  EXPECT_EQ(srv_->Call("GET", widgets_ + "/multi").json.at("spec").at("replicas"), 4);
}

TEST_F(CrdTest, InvalidCrdIs422AndCelRulesWarn) {
  json::value bad = json::parse(kCrd);
  bad.as_object()["metadata"].as_object()["name"] = "gadgets.example.com";
  bad.as_object()["spec"].as_object()["versions"].as_array()[0].as_object()["storage"] = true;
  auto r = srv_->Call("POST", crds_, bad);
  ASSERT_EQ(r.code, 422) << r.body;
  EXPECT_NE(r.body.find("must be spec.names.plural+\\\".\\\"+spec.group"), std::string::npos);
  EXPECT_NE(r.body.find("must have exactly one version marked as storage version"),
            std::string::npos);

  json::value cel = json::parse(kCrd);
  cel.as_object()["spec"]
      .as_object()["versions"]
      .as_array()[1]
      .as_object()["schema"]
      .as_object()["openAPIV3Schema"]
      .as_object()["x-kubernetes-validations"] =
      json::array{json::object{{"rule", "self.spec.replicas <= 10"}}};
  auto raw = Raw("POST", crds_, json::serialize(cel));
  ASSERT_EQ(raw.code, 201) << raw.body;
  auto w = Warnings(raw);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("not enforced"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("self.spec.replicas <= 10"), std::string::npos) << w[0];
}

TEST_F(CrdTest, DeletingTheCrdDeletesItsObjects) {
  CreateCrdAndWait();
  for (const char* n : {"a", "b", "c"}) {
    ASSERT_EQ(srv_->Call("POST", widgets_, Widget(n, {})).code, 201);
  }
  auto d = srv_->Call("DELETE", crds_ + "/widgets.example.com");
  ASSERT_EQ(d.code, 200) << d.body;
  // kube: the delete only marks the CRD; the cleanup finalizer holds it until objects are gone.
  EXPECT_FALSE(Str(d.json, {"metadata", "deletionTimestamp"}).empty());
  EXPECT_NE(d.body.find("customresourcecleanup.apiextensions.k8s.io"), std::string::npos);
  bool gone = false;
  for (int i = 0; i < 300 && !gone; ++i) {
    gone = srv_->Call("GET", crds_ + "/widgets.example.com").code == 404;
    if (!gone)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(gone);
  EXPECT_EQ(srv_->Call("GET", widgets_).code, 404);
  EXPECT_EQ(srv_->Call("GET", "/apis/example.com/v1").code, 404);
  // Re-creating the CRD starts empty.
  CreateCrdAndWait();
  auto list = srv_->Call("GET", widgets_);
  EXPECT_EQ(list.json.at("items").as_array().size(), 0u) << list.body;
}

TEST_F(CrdTest, ConflictingNamesAreNotAccepted) {
  CreateCrdAndWait();
  json::value other = json::parse(kCrd);
  other.as_object()["metadata"].as_object()["name"] = "gizmos.example.com";
  other.as_object()["spec"].as_object()["names"].as_object()["plural"] = "gizmos";
  other.as_object()["spec"].as_object()["names"].as_object().erase("shortNames");
  ASSERT_EQ(srv_->Call("POST", crds_, other).code, 201);
  std::string reason;
  for (int i = 0; i < 200 && reason.empty(); ++i) {
    auto g = srv_->Call("GET", crds_ + "/gizmos.example.com");
    if (const json::array* cs = api::GetArray(g.json.at("status").as_object(), "conditions")) {
      for (const auto& c : *cs) {
        if (c.at("type") == "NamesAccepted" && c.at("status") == "False") {
          reason = Str(c, {"reason"});
        }
      }
    }
    if (reason.empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(reason, "KindConflict");
  EXPECT_EQ(srv_->Call("GET", "/apis/example.com/v1/namespaces/default/gizmos").code, 404);
}

// A CRD shaped like MOCO's MySQLCluster (moco.cybozu.com/v1beta2): an embedded pod template with
// list-map containers and ports (a defaulted map key), int-or-string quantities with kube's
// quantity pattern, embedded volume claim templates, list-map conditions, and MOCO's printer
// columns with filter JSONPaths.
const char* kMocoLikeCrd = R"J({
  "apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
  "metadata":{"name":"mysqlclusters.moco.cybozu.com"},
  "spec":{"group":"moco.cybozu.com","scope":"Namespaced",
    "names":{"plural":"mysqlclusters","singular":"mysqlcluster","kind":"MySQLCluster",
             "listKind":"MySQLClusterList"},
    "versions":[{"name":"v1beta2","served":true,"storage":true,
      "subresources":{"status":{}},
      "additionalPrinterColumns":[
        {"name":"Available","type":"string","jsonPath":".status.conditions[?(@.type=='Available')].status"},
        {"name":"Healthy","type":"string","jsonPath":".status.conditions[?(@.type=='Healthy')].status"},
        {"name":"Primary","type":"integer","jsonPath":".status.currentPrimaryIndex"},
        {"name":"Synced replicas","type":"integer","jsonPath":".status.syncedReplicas"},
        {"name":"Errant replicas","type":"integer","jsonPath":".status.errantReplicas"},
        {"name":"Last backup","type":"string","jsonPath":".status.backup.time"}],
      "schema":{"openAPIV3Schema":{"type":"object","properties":{
        "apiVersion":{"type":"string"},"kind":{"type":"string"},"metadata":{"type":"object"},
        "spec":{"type":"object","required":["podTemplate","volumeClaimTemplates"],"properties":{
          "replicas":{"type":"integer","format":"int32","default":1,"minimum":1},
          "serverIDBase":{"type":"integer","format":"int32","minimum":1,"maximum":4294967295},
          "maxDelaySeconds":{"type":"integer","default":60,"minimum":0,"nullable":true},
          "mysqlConfigMapName":{"type":"string","nullable":true},
          "podTemplate":{"type":"object","required":["spec"],"properties":{
            "metadata":{"type":"object","properties":{
              "labels":{"type":"object","additionalProperties":{"type":"string"}},
              "annotations":{"type":"object","additionalProperties":{"type":"string"}}}},
            "spec":{"type":"object","required":["containers"],
              "x-kubernetes-preserve-unknown-fields":true,
              "properties":{"containers":{"type":"array",
                "x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
                "items":{"type":"object","required":["name"],"properties":{
                  "name":{"type":"string"},"image":{"type":"string"},
                  "ports":{"type":"array","x-kubernetes-list-type":"map",
                    "x-kubernetes-list-map-keys":["containerPort","protocol"],
                    "items":{"type":"object","required":["containerPort"],"properties":{
                      "containerPort":{"type":"integer","format":"int32"},
                      "name":{"type":"string"},
                      "protocol":{"type":"string","default":"TCP"}}}},
                  "resources":{"type":"object","properties":{"limits":{"type":"object",
                    "additionalProperties":{"anyOf":[{"type":"integer"},{"type":"string"}],
                      "pattern":"^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$",
                      "x-kubernetes-int-or-string":true}}}}}}}}}}},
          "volumeClaimTemplates":{"type":"array","minItems":1,"items":{"type":"object",
            "required":["metadata","spec"],"properties":{
              "metadata":{"type":"object","properties":{"name":{"type":"string"}}},
              "spec":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}},
          "primaryServiceTemplate":{"type":"object","x-kubernetes-embedded-resource":false,
            "properties":{"spec":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}},
        "status":{"type":"object","properties":{
          "conditions":{"type":"array","x-kubernetes-list-type":"map",
            "x-kubernetes-list-map-keys":["type"],
            "items":{"type":"object","required":["type","status"],"properties":{
              "type":{"type":"string"},"status":{"type":"string","enum":["True","False","Unknown"]},
              "lastTransitionTime":{"type":"string","format":"date-time"},
              "reason":{"type":"string"},"message":{"type":"string"}}}},
          "currentPrimaryIndex":{"type":"integer"},"syncedReplicas":{"type":"integer"},
          "errantReplicas":{"type":"integer"},
          "backup":{"type":"object","properties":{"time":{"type":"string","format":"date-time"}}}}}}}}}]}})J";

TEST_F(CrdTest, MocoLikeCrdServesValidatesAndDefaults) {
  auto r = srv_->Call("POST", crds_, std::string(kMocoLikeCrd));
  ASSERT_EQ(r.code, 201) << r.body;
  const std::string mcs = "/apis/moco.cybozu.com/v1beta2/namespaces/default/mysqlclusters";
  bool served = false;
  for (int i = 0; i < 300 && !served; ++i) {
    served = srv_->Call("GET", mcs).code == 200;
    if (!served)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(served);
  json::value mc = json::parse(R"J({"apiVersion":"moco.cybozu.com/v1beta2","kind":"MySQLCluster",
    "metadata":{"name":"test"},
    "spec":{"replicas":3,
      "podTemplate":{"metadata":{"labels":{"app":"db"}},
        "spec":{"containers":[{"name":"mysqld","image":"mysql:8.4",
          "ports":[{"containerPort":3306}],"resources":{"limits":{"cpu":"500m","memory":"1Gi"}}}],
          "securityContext":{"fsGroup":10000}}},
      "volumeClaimTemplates":[{"metadata":{"name":"mysql-data"},
        "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}})J");
  r = srv_->Call("POST", mcs, mc);
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(r.json.at("spec").at("maxDelaySeconds"), 60);
  EXPECT_EQ(r.json.at("spec")
                .at("podTemplate")
                .at("spec")
                .at("containers")
                .at(0)
                .at("ports")
                .at(0)
                .at("protocol"),
            "TCP");
  // Preserved unknown fields under the pod spec.
  EXPECT_EQ(r.json.at("spec").at("podTemplate").at("spec").at("securityContext").at("fsGroup"),
            10000);
  // Invalid quantities, duplicate containers, an empty claim list, a bad status condition.
  json::value bad = mc;
  json::object& bspec = bad.as_object()["metadata"].as_object();
  bspec["name"] = "bad";
  json::array& containers = bad.as_object()["spec"]
                                .as_object()["podTemplate"]
                                .as_object()["spec"]
                                .as_object()["containers"]
                                .as_array();
  containers[0].as_object()["resources"].as_object()["limits"].as_object()["cpu"] = "lots";
  containers.push_back(json::object{{"name", "mysqld"}});
  bad.as_object()["spec"].as_object()["volumeClaimTemplates"] = json::array();
  r = srv_->Call("POST", mcs, bad);
  ASSERT_EQ(r.code, 422) << r.body;
  std::set<std::string> fields;
  for (const auto& c : r.json.at("details").at("causes").as_array()) {
    fields.insert(Str(c, {"field"}));
  }
  EXPECT_TRUE(fields.count("spec.podTemplate.spec.containers[0].resources.limits.cpu")) << r.body;
  EXPECT_TRUE(fields.count("spec.podTemplate.spec.containers[1]")) << r.body;
  EXPECT_TRUE(fields.count("spec.volumeClaimTemplates")) << r.body;
  // Status with MOCO's conditions, shown in the printer columns.
  r = srv_->Call("PATCH", mcs + "/test/status",
                 std::string(R"({"status":{"currentPrimaryIndex":0,"syncedReplicas":3,
                     "errantReplicas":0,"conditions":[
                     {"type":"Available","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"},
                     {"type":"Healthy","status":"False","lastTransitionTime":"2026-01-01T00:00:00Z"}]}})"),
                 "application/merge-patch+json");
  ASSERT_EQ(r.code, 200) << r.body;
  auto t = srv_->Call("GET", mcs, "", "application/json",
                      "application/json;as=Table;v=v1;g=meta.k8s.io");
  ASSERT_EQ(t.code, 200);
  const auto& cells = t.json.at("rows").at(0).at("cells").as_array();
  ASSERT_EQ(cells.size(), 7u);
  EXPECT_EQ(cells[1], "True");
  EXPECT_EQ(cells[2], "False");
  EXPECT_EQ(cells[3], 0);
  EXPECT_EQ(cells[4], 3);
  EXPECT_TRUE(cells[6].is_null());
}

TEST(CrdRestartTest, CustomResourcesSurviveRestart) {
  TempDir dir;
  TestApiServer::Options o;
  o.durable = true;
  o.data_dir = dir.path();
  const std::string widgets = "/apis/example.com/v1/namespaces/default/widgets";
  {
    auto srv = TestApiServer::Start(o);
    ASSERT_EQ(srv->Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                        std::string(kCrd))
                  .code,
              201);
    bool ok = false;
    for (int i = 0; i < 300 && !ok; ++i) {
      ok = srv->Call("GET", widgets).code == 200;
      if (!ok)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(ok);
    ASSERT_EQ(srv->Call("POST", widgets, Widget("kept", {{"replicas", 3}})).code, 201);
  }
  auto srv = TestApiServer::Start(o);
  auto r = srv->Call("GET", widgets + "/kept");
  ASSERT_EQ(r.code, 200) << r.body;  // served right at start, not only after the controller
  EXPECT_EQ(r.json.at("spec").at("replicas"), 3);
  auto list = srv->Call("GET", widgets);
  EXPECT_EQ(list.json.at("items").as_array().size(), 1u);
}

}  // namespace
}  // namespace kcx::testenv
