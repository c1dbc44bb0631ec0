// Integration tests of managed fields and server-side apply over real HTTPS: which manager
// owns what after create, update, patch and apply, conflicts, force, removal of fields a
// manager stops applying, the /status subresource, and clients rewriting managedFields the way
// kubectl and client-go's csaupgrade do.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "api/json.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

constexpr char kCms[] = "/api/v1/namespaces/default/configmaps";
constexpr char kApply[] = "application/apply-patch+yaml";

// The managedFields entry of `manager` (and `operation`), or nullptr.
const json::object* Entry(const json::value& obj, std::string_view manager,
                          std::string_view operation = "") {
  const json::value* mf = obj.at("metadata").as_object().if_contains("managedFields");
  if (!mf) return nullptr;
  for (const auto& e : mf->as_array()) {
    const json::object& o = e.as_object();
    if (api::GetString(o, "manager") == manager &&
        (operation.empty() || api::GetString(o, "operation") == operation)) {
      return &o;
    }
  }
  return nullptr;
}

size_t EntryCount(const json::value& obj) {
  const json::value* mf = obj.at("metadata").as_object().if_contains("managedFields");
  return mf ? mf->as_array().size() : 0;
}

class ManagedFieldsTest : public ::testing::Test {
 protected:
  void SetUp() override { srv_ = TestApiServer::Start(); }
  std::unique_ptr<TestApiServer> srv_;
};

TEST_F(ManagedFieldsTest, CreateRecordsAnUpdateEntryWithKubesFieldsV1) {
  json::value cm = json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"a","labels":{"app":"web"}},"data":{"k":"v"}})");
  auto r = srv_->Call("POST", std::string(kCms) + "?fieldManager=creator", cm);
  ASSERT_EQ(r.code, 201) << r.body;
  ASSERT_EQ(EntryCount(r.json), 1u) << r.body;
  const json::object* e = Entry(r.json, "creator");
  ASSERT_NE(e, nullptr) << r.body;
  EXPECT_EQ(api::GetString(*e, "operation"), "Update");
  EXPECT_EQ(api::GetString(*e, "apiVersion"), "v1");
  EXPECT_EQ(api::GetString(*e, "fieldsType"), "FieldsV1");
  EXPECT_FALSE(e->contains("subresource"));
  // RFC 3339 with seconds precision, as metav1.Time serializes.
  std::string t(api::GetString(*e, "time"));
  EXPECT_EQ(t.size(), 20u) << t;
  EXPECT_EQ(t.back(), 'Z') << t;
  // Exactly what kube-apiserver records for this object (metadata.name etc. are not tracked).
  EXPECT_EQ(json::serialize(e->at("fieldsV1")),
            R"({"f:data":{".":{},"f:k":{}},"f:metadata":{"f:labels":{".":{},"f:app":{}}}})");
}

TEST_F(ManagedFieldsTest, DefaultManagerComesFromTheUserAgent) {
  // The fixture's client sends "User-Agent: kcx/0.1"; kube takes the part before '/'.
  json::value cm = json::parse(R"({"metadata":{"name":"ua"},"data":{"k":"v"}})");
  auto r = srv_->Call("POST", kCms, cm);
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_NE(Entry(r.json, "kcx", "Update"), nullptr) << r.body;
}

TEST_F(ManagedFieldsTest, AnUpdateTakesOverTheFieldsItChanges) {
  json::value cm = json::parse(R"({"metadata":{"name":"b"},"data":{"k":"v","keep":"x"}})");
  ASSERT_EQ(srv_->Call("POST", std::string(kCms) + "?fieldManager=m1", cm).code, 201);
  auto r = srv_->Call("PATCH", std::string(kCms) + "/b?fieldManager=m2",
                      R"({"data":{"k":"changed"}})", "application/merge-patch+json");
  ASSERT_EQ(r.code, 200) << r.body;
  const json::object* m1 = Entry(r.json, "m1");
  const json::object* m2 = Entry(r.json, "m2");
  ASSERT_NE(m1, nullptr) << r.body;
  ASSERT_NE(m2, nullptr) << r.body;
  std::string f1 = json::serialize(m1->at("fieldsV1"));
  std::string f2 = json::serialize(m2->at("fieldsV1"));
  EXPECT_EQ(f2, R"({"f:data":{"f:k":{}}})");
  EXPECT_EQ(f1.find("f:k\""), std::string::npos) << f1;
  EXPECT_NE(f1.find("f:keep"), std::string::npos) << f1;
  // An update that changes nothing writes nothing, and leaves managedFields alone.
  auto again = srv_->Call("PATCH", std::string(kCms) + "/b?fieldManager=m2",
                          R"({"data":{"k":"changed"}})", "application/merge-patch+json");
  ASSERT_EQ(again.code, 200);
  EXPECT_EQ(api::GetStringPath(again.json, {"metadata", "resourceVersion"}),
            api::GetStringPath(r.json, {"metadata", "resourceVersion"}));
}

TEST_F(ManagedFieldsTest, ApplyCreatesConflictsForcesAndRemoves) {
  std::string url = std::string(kCms) + "/app";
  auto created = srv_->Call("PATCH", url + "?fieldManager=alice",
                            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n"
                            "data:\n  a: \"1\"\n  b: \"2\"\n",
                            kApply);
  ASSERT_EQ(created.code, 201) << created.body;
  const json::object* alice = Entry(created.json, "alice", "Apply");
  ASSERT_NE(alice, nullptr) << created.body;
  EXPECT_EQ(json::serialize(alice->at("fieldsV1")), R"({"f:data":{"f:a":{},"f:b":{}}})");

  // Bob changes a field Alice owns: 409 naming Alice and the field, as kube words it.
  std::string bob = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: \"9\"\n";
  auto conflict = srv_->Call("PATCH", url + "?fieldManager=bob", bob, kApply);
  ASSERT_EQ(conflict.code, 409) << conflict.body;
  EXPECT_EQ(conflict.json.at("reason"), "Conflict");
  std::string msg(conflict.json.at("message").as_string());
  EXPECT_NE(msg.find("Apply failed with 1 conflict"), std::string::npos) << msg;
  EXPECT_NE(msg.find("conflict with \"alice\""), std::string::npos) << msg;
  EXPECT_NE(msg.find(".data.a"), std::string::npos) << msg;
  const auto& causes = conflict.json.at("details").at("causes").as_array();
  ASSERT_EQ(causes.size(), 1u) << conflict.body;
  EXPECT_EQ(causes[0].at("reason"), "FieldManagerConflict");
  EXPECT_EQ(causes[0].at("field"), ".data.a");
  // Nothing was written.
  EXPECT_EQ(api::GetStringPath(srv_->Call("GET", url).json, {"data", "a"}), "1");

  // Applying the same value Alice applied is shared ownership, not a conflict.
  auto shared = srv_->Call("PATCH", url + "?fieldManager=carol",
                           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n"
                           "data:\n  b: \"2\"\n",
                           kApply);
  ASSERT_EQ(shared.code, 200) << shared.body;

  // force=true takes the field over.
  auto forced = srv_->Call("PATCH", url + "?fieldManager=bob&force=true", bob, kApply);
  ASSERT_EQ(forced.code, 200) << forced.body;
  EXPECT_EQ(api::GetStringPath(forced.json, {"data", "a"}), "9");
  alice = Entry(forced.json, "alice", "Apply");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(json::serialize(alice->at("fieldsV1")), R"({"f:data":{"f:b":{}}})");

  // Alice stops applying b: Carol still owns it, so it stays.
  std::string alice_none = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n";
  auto kept = srv_->Call("PATCH", url + "?fieldManager=alice", alice_none, kApply);
  ASSERT_EQ(kept.code, 200) << kept.body;
  EXPECT_EQ(api::GetStringPath(kept.json, {"data", "b"}), "2");
  // Carol stops applying it too: now nobody owns it and it is removed.
  auto removed = srv_->Call("PATCH", url + "?fieldManager=carol", alice_none, kApply);
  ASSERT_EQ(removed.code, 200) << removed.body;
  EXPECT_FALSE(removed.json.at("data").as_object().contains("b")) << removed.body;
  EXPECT_EQ(api::GetStringPath(removed.json, {"data", "a"}), "9");
}

TEST_F(ManagedFieldsTest, ApplyMergesContainersByName) {
  std::string url = "/apis/apps/v1/namespaces/default/deployments/web";
  std::string base =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
      "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n"
      "      labels: {app: web}\n    spec:\n      containers:\n";
  auto a = srv_->Call("PATCH", url + "?fieldManager=app",
                      base + "      - name: main\n        image: nginx:1\n", kApply);
  ASSERT_EQ(a.code, 201) << a.body;
  // A second manager adds a sidecar; the list is a map keyed by name, so both containers stay.
  auto b = srv_->Call("PATCH", url + "?fieldManager=mesh",
                      base + "      - name: sidecar\n        image: envoy:1\n", kApply);
  ASSERT_EQ(b.code, 200) << b.body;
  const auto& cs = b.json.at("spec").at("template").at("spec").at("containers").as_array();
  ASSERT_EQ(cs.size(), 2u) << b.body;
  const json::object* mesh = Entry(b.json, "mesh", "Apply");
  ASSERT_NE(mesh, nullptr);
  std::string f = json::serialize(mesh->at("fieldsV1"));
  EXPECT_NE(f.find(R"(k:{\"name\":\"sidecar\"})"), std::string::npos) << f;
  EXPECT_EQ(f.find(R"(k:{\"name\":\"main\"})"), std::string::npos) << f;
  // Defaults the server filled in are owned by nobody: the applier does not own them.
  EXPECT_EQ(f.find("f:imagePullPolicy"), std::string::npos) << f;
  EXPECT_EQ(f.find("f:replicas"), std::string::npos) << f;
}

TEST_F(ManagedFieldsTest, StatusWritesRecordTheSubresource) {
  json::value pod = json::parse(R"({"metadata":{"name":"p"},
      "spec":{"containers":[{"name":"c","image":"busybox"}]}})");
  auto c = srv_->Call("POST", "/api/v1/namespaces/default/pods?fieldManager=maker", pod);
  ASSERT_EQ(c.code, 201) << c.body;
  json::value st = c.json;
  st.as_object()["status"].as_object()["message"] = "hello";
  auto u = srv_->Call("PUT", "/api/v1/namespaces/default/pods/p/status?fieldManager=kubelet", st);
  ASSERT_EQ(u.code, 200) << u.body;
  const json::object* k = Entry(u.json, "kubelet");
  ASSERT_NE(k, nullptr) << u.body;
  EXPECT_EQ(api::GetString(*k, "subresource"), "status");
  EXPECT_EQ(json::serialize(k->at("fieldsV1")), R"({"f:status":{"f:message":{}}})");
  // The main-resource manager never owns status, even though status was in its body.
  std::string maker = json::serialize(Entry(u.json, "maker")->at("fieldsV1"));
  EXPECT_EQ(maker.find("f:status"), std::string::npos) << maker;
}

TEST_F(ManagedFieldsTest, ClientsCanClearAndRewriteManagedFields) {
  json::value cm = json::parse(R"({"metadata":{"name":"c"},"data":{"k":"v"}})");
  auto c = srv_->Call("POST", std::string(kCms) + "?fieldManager=m1", cm);
  ASSERT_EQ(c.code, 201);
  std::string rv(api::GetStringPath(c.json, {"metadata", "resourceVersion"}));

  // csaupgrade's patch: replace managedFields and resourceVersion together.
  json::array mf = c.json.at("metadata").at("managedFields").as_array();
  mf[0].as_object()["manager"] = "renamed";
  mf[0].as_object()["operation"] = "Apply";
  json::array patch{
      json::object{{"op", "replace"}, {"path", "/metadata/managedFields"}, {"value", mf}},
      json::object{{"op", "replace"}, {"path", "/metadata/resourceVersion"}, {"value", rv}}};
  auto p = srv_->Call("PATCH", std::string(kCms) + "/c", json::serialize(patch),
                      "application/json-patch+json");
  ASSERT_EQ(p.code, 200) << p.body;
  ASSERT_EQ(EntryCount(p.json), 1u) << p.body;
  EXPECT_NE(Entry(p.json, "renamed", "Apply"), nullptr) << p.body;
  // The same patch again carries a stale resourceVersion now: 409, nothing changes.
  auto stale = srv_->Call("PATCH", std::string(kCms) + "/c", json::serialize(patch),
                          "application/json-patch+json");
  EXPECT_EQ(stale.code, 409) << stale.body;

  // An update with managedFields: [{}] clears them.
  json::value obj = srv_->Call("GET", std::string(kCms) + "/c").json;
  obj.as_object()["metadata"].as_object()["managedFields"] = json::array{json::object()};
  auto cleared = srv_->Call("PUT", std::string(kCms) + "/c", obj);
  ASSERT_EQ(cleared.code, 200) << cleared.body;
  EXPECT_EQ(EntryCount(cleared.json), 0u) << cleared.body;
}

TEST_F(ManagedFieldsTest, BadWriteOptionsAreRejectedLikeKube) {
  json::value cm = json::parse(R"({"metadata":{"name":"d"},"data":{"k":"v"}})");
  ASSERT_EQ(srv_->Call("POST", kCms, cm).code, 201);
  auto noman = srv_->Call("PATCH", std::string(kCms) + "/d",
                          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n", kApply);
  EXPECT_EQ(noman.code, 422) << noman.body;
  EXPECT_EQ(noman.json.at("message"),
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is "
            "required for apply patch");
  auto force = srv_->Call("PATCH", std::string(kCms) + "/d?force=true", R"({"data":{}})",
                          "application/merge-patch+json");
  EXPECT_EQ(force.code, 422) << force.body;
  EXPECT_EQ(force.json.at("message"),
            "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified "
            "for non-apply patch");
  auto longname = srv_->Call("POST", std::string(kCms) + "?fieldManager=" + std::string(129, 'x'),
                             json::parse(R"({"metadata":{"name":"e"}})"));
  EXPECT_EQ(longname.code, 422) << longname.body;
  // Nothing half-applied: the object was not created.
  EXPECT_EQ(srv_->Call("GET", std::string(kCms) + "/e").code, 404);
  auto notyaml = srv_->Call("PATCH", std::string(kCms) + "/d?fieldManager=x", "a: [", kApply);
  EXPECT_EQ(notyaml.code, 400) << notyaml.body;
}

// Custom resources merge by the CRD's list markers: `x-kubernetes-list-type: map` keyed by name
// keeps both managers' items; `set` unions values; applying to /status is recorded with the
// subresource.
TEST_F(ManagedFieldsTest, CustomResourcesMergeByTheirSchemaMarkers) {
  const char* crd = R"({
    "apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"pools.example.com"},
    "spec":{"group":"example.com","scope":"Namespaced",
      "names":{"plural":"pools","kind":"Pool"},
      "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
        "schema":{"openAPIV3Schema":{"type":"object","properties":{
          "spec":{"type":"object","properties":{
            "members":{"type":"array","x-kubernetes-list-type":"map",
              "x-kubernetes-list-map-keys":["name"],
              "items":{"type":"object","required":["name"],"properties":{
                "name":{"type":"string"},"weight":{"type":"integer"}}}},
            "tags":{"type":"array","x-kubernetes-list-type":"set",
              "items":{"type":"string"}}}},
          "status":{"type":"object","properties":{"ready":{"type":"integer"}}}}}}}]}})";
  ASSERT_EQ(srv_->Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
                .code,
            201);
  const std::string url = "/apis/example.com/v1/namespaces/default/pools/p";
  for (int i = 0; i < 500 && srv_->Call("GET", "/apis/example.com/v1/pools").code != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::string head = "apiVersion: example.com/v1\nkind: Pool\nmetadata:\n  name: p\nspec:\n";
  auto a = srv_->Call("PATCH", url + "?fieldManager=a",
                      head + "  members:\n  - {name: x, weight: 1}\n  tags: [red]\n", kApply);
  ASSERT_EQ(a.code, 201) << a.body;
  auto b = srv_->Call("PATCH", url + "?fieldManager=b",
                      head + "  members:\n  - {name: y, weight: 2}\n  tags: [blue]\n", kApply);
  ASSERT_EQ(b.code, 200) << b.body;
  EXPECT_EQ(b.json.at("spec").at("members").as_array().size(), 2u) << b.body;
  EXPECT_EQ(b.json.at("spec").at("tags").as_array().size(), 2u) << b.body;
  std::string fb = json::serialize(Entry(b.json, "b", "Apply")->at("fieldsV1"));
  EXPECT_NE(fb.find(R"(k:{\"name\":\"y\"})"), std::string::npos) << fb;
  EXPECT_NE(fb.find(R"(v:\"blue\")"), std::string::npos) << fb;
  // b changing x's weight conflicts with a.
  auto c = srv_->Call("PATCH", url + "?fieldManager=b",
                      head + "  members:\n  - {name: x, weight: 5}\n", kApply);
  EXPECT_EQ(c.code, 409) << c.body;
  EXPECT_NE(c.body.find(R"(.spec.members[name=\"x\"].weight)"), std::string::npos) << c.body;
  // Apply to /status.
  auto st = srv_->Call("PATCH", url + "/status?fieldManager=ctl",
                       "apiVersion: example.com/v1\nkind: Pool\nmetadata:\n  name: p\n"
                       "status:\n  ready: 2\n",
                       kApply);
  ASSERT_EQ(st.code, 200) << st.body;
  EXPECT_EQ(st.json.at("status").at("ready"), 2);
  const json::object* ctl = Entry(st.json, "ctl", "Apply");
  ASSERT_NE(ctl, nullptr) << st.body;
  EXPECT_EQ(api::GetString(*ctl, "subresource"), "status");
  // The spec was not touched by the status apply.
  EXPECT_EQ(st.json.at("spec").at("members").as_array().size(), 2u) << st.body;
}

}  // namespace
}  // namespace kcx::testenv
