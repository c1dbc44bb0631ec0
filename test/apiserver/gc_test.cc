// Integration tests of deletion propagation and the garbage collector over real HTTPS, against
// kcx apiserver started in-process on port 0 (memory and durable storage).

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <thread>

#include "api/json.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

std::string Str(const json::value& v, std::initializer_list<std::string_view> path) {
  return std::string(api::GetStringPath(v, path));
}

json::object Ref(const std::string& kind, const std::string& name, const std::string& uid,
                 bool block = false, bool controller = false, std::string api_version = "v1") {
  json::object r{{"apiVersion", api_version}, {"kind", kind}, {"name", name}, {"uid", uid}};
  if (block)
    r["blockOwnerDeletion"] = true;
  if (controller)
    r["controller"] = true;
  return r;
}

json::value ConfigMap(const std::string& name, json::array owners = {},
                      json::array finalizers = {}) {
  json::object meta{{"name", name}};
  if (!owners.empty())
    meta["ownerReferences"] = std::move(owners);
  if (!finalizers.empty())
    meta["finalizers"] = std::move(finalizers);
  return json::object{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", std::move(meta)},
                      {"data", json::object{{"k", "v"}}}};
}

bool Eventually(const std::function<bool()>& f, int timeout_ms = 30000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (f())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

std::string DeleteBody(const std::string& policy) {
  return R"({"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":")" + policy + "\"}";
}

class GcTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    TestApiServer::Options o;
    o.durable = GetParam();
    srv_ = TestApiServer::Start(o);
  }
  std::string Create(const std::string& ns, json::value obj) {
    auto r = srv_->Call("POST", "/api/v1/namespaces/" + ns + "/configmaps", obj);
    EXPECT_EQ(r.code, 201) << r.body;
    return Str(r.json, {"metadata", "uid"});
  }
  int Get(const std::string& name, json::value* out = nullptr, const std::string& ns = "default") {
    auto r = srv_->Call("GET", "/api/v1/namespaces/" + ns + "/configmaps/" + name);
    if (out)
      *out = r.json;
    return r.code;
  }
  bool Gone(const std::string& name, const std::string& ns = "default") {
    return Eventually([&] { return Get(name, nullptr, ns) == 404; });
  }
  std::unique_ptr<TestApiServer> srv_;
  const std::string cms_ = "/api/v1/namespaces/default/configmaps";
};

TEST_P(GcTest, BackgroundDeletesOwnerNowAndDependentsAfter) {
  std::string uid = Create("default", ConfigMap("owner"));
  for (int i = 0; i < 5; ++i) {
    Create("default", ConfigMap("dep" + std::to_string(i), {Ref("ConfigMap", "owner", uid)}));
  }
  auto d = srv_->Call("DELETE", cms_ + "/owner", DeleteBody("Background"));
  ASSERT_EQ(d.code, 200) << d.body;
  EXPECT_EQ(Str(d.json, {"kind"}), "Status");  // deleted at once: no finalizer was added
  EXPECT_EQ(Get("owner"), 404);
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(Gone("dep" + std::to_string(i))) << i;
}

TEST_P(GcTest, DefaultPolicyOfConfigMapsIsBackground) {
  std::string uid = Create("default", ConfigMap("owner"));
  Create("default", ConfigMap("dep", {Ref("ConfigMap", "owner", uid)}));
  ASSERT_EQ(srv_->Call("DELETE", cms_ + "/owner").code, 200);
  EXPECT_EQ(Get("owner"), 404);
  EXPECT_TRUE(Gone("dep"));
}

TEST_P(GcTest, DependentWithAnotherLiveOwnerKeepsItAndLosesTheDeadRef) {
  std::string a = Create("default", ConfigMap("a"));
  std::string b = Create("default", ConfigMap("b"));
  Create("default", ConfigMap("dep", {Ref("ConfigMap", "a", a), Ref("ConfigMap", "b", b)}));
  ASSERT_EQ(srv_->Call("DELETE", cms_ + "/a", DeleteBody("Background")).code, 200);
  json::value dep;
  ASSERT_TRUE(Eventually([&] {
    return Get("dep", &dep) == 200 &&
           dep.at("metadata").at("ownerReferences").as_array().size() == 1;
  })) << json::serialize(dep);
  EXPECT_EQ(Str(dep.at("metadata").at("ownerReferences").at(0), {"uid"}), b);
}

TEST_P(GcTest, OrphanKeepsDependentsWithoutTheOwnerReference) {
  std::string uid = Create("default", ConfigMap("owner"));
  std::string other = Create("default", ConfigMap("other"));
  Create("default", ConfigMap("dep1", {Ref("ConfigMap", "owner", uid, true, true)}));
  Create("default",
         ConfigMap("dep2", {Ref("ConfigMap", "owner", uid), Ref("ConfigMap", "other", other)}));
  auto d = srv_->Call("DELETE", cms_ + "/owner", DeleteBody("Orphan"));
  ASSERT_EQ(d.code, 200) << d.body;
  // The answer is the object, marked for deletion and held by the orphan finalizer.
  EXPECT_EQ(Str(d.json, {"kind"}), "ConfigMap");
  EXPECT_FALSE(Str(d.json, {"metadata", "deletionTimestamp"}).empty());
  EXPECT_EQ(d.json.at("metadata").at("finalizers"), (json::array{"orphan"}));
  EXPECT_EQ(d.json.at("metadata").at("deletionGracePeriodSeconds"), 0);
  EXPECT_TRUE(Gone("owner"));
  json::value dep;
  ASSERT_EQ(Get("dep1", &dep), 200);
  EXPECT_EQ(dep.at("metadata").as_object().if_contains("ownerReferences"), nullptr)
      << json::serialize(dep);
  ASSERT_EQ(Get("dep2", &dep), 200);
  ASSERT_EQ(dep.at("metadata").at("ownerReferences").as_array().size(), 1u);
  EXPECT_EQ(Str(dep.at("metadata").at("ownerReferences").at(0), {"name"}), "other");
  // Deleting the remaining owner later does not touch the orphans' ownerless siblings.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Get("dep1"), 200);
}

TEST_P(GcTest, OrphanDependentsTrueIsTheOrphanPolicy) {
  std::string uid = Create("default", ConfigMap("owner"));
  Create("default", ConfigMap("dep", {Ref("ConfigMap", "owner", uid)}));
  auto d = srv_->Call("DELETE", cms_ + "/owner", std::string(R"({"orphanDependents":true})"));
  ASSERT_EQ(d.code, 200) << d.body;
  EXPECT_EQ(d.json.at("metadata").at("finalizers"), (json::array{"orphan"}));
  EXPECT_TRUE(Gone("owner"));
  EXPECT_EQ(Get("dep"), 200);
}

TEST_P(GcTest, ForegroundWaitsForBlockingDependents) {
  std::string uid = Create("default", ConfigMap("owner"));
  // A finalizer holds one blocking dependent: the owner must wait for it.
  Create("default",
         ConfigMap("held", {Ref("ConfigMap", "owner", uid, true)}, {"example.com/hold"}));
  Create("default", ConfigMap("free", {Ref("ConfigMap", "owner", uid, true)}));
  auto d = srv_->Call("DELETE", cms_ + "/owner", DeleteBody("Foreground"));
  ASSERT_EQ(d.code, 200) << d.body;
  EXPECT_EQ(d.json.at("metadata").at("finalizers"), (json::array{"foregroundDeletion"}));
  EXPECT_TRUE(Gone("free"));
  json::value held;
  ASSERT_TRUE(Eventually([&] {
    return Get("held", &held) == 200 && !Str(held, {"metadata", "deletionTimestamp"}).empty();
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  json::value owner;
  ASSERT_EQ(Get("owner", &owner), 200);
  EXPECT_EQ(owner.at("metadata").at("finalizers"), (json::array{"foregroundDeletion"}));
  // Releasing the dependent lets the owner go.
  auto p = srv_->Call("PATCH", cms_ + "/held", std::string(R"({"metadata":{"finalizers":null}})"),
                      "application/merge-patch+json");
  ASSERT_EQ(p.code, 200) << p.body;
  EXPECT_TRUE(Gone("held"));
  EXPECT_TRUE(Gone("owner"));
}

TEST_P(GcTest, ForegroundWithoutDependentsRemovesTheFinalizerAtOnce) {
  Create("default", ConfigMap("lonely"));
  auto d = srv_->Call("DELETE", cms_ + "/lonely", DeleteBody("Foreground"));
  ASSERT_EQ(d.code, 200) << d.body;
  EXPECT_TRUE(Gone("lonely"));
}

TEST_P(GcTest, ForegroundCascadesThroughGenerations) {
  std::string top = Create("default", ConfigMap("top"));
  std::string mid = Create("default", ConfigMap("mid", {Ref("ConfigMap", "top", top, true)}));
  Create("default", ConfigMap("leaf", {Ref("ConfigMap", "mid", mid, true)}, {"example.com/hold"}));
  ASSERT_EQ(srv_->Call("DELETE", cms_ + "/top", DeleteBody("Foreground")).code, 200);
  // mid is deleted in the foreground too (it has a dependent), so it waits for leaf.
  json::value m;
  ASSERT_TRUE(Eventually([&] {
    return Get("mid", &m) == 200 && m.at("metadata").as_object().contains("finalizers");
  }));
  EXPECT_EQ(m.at("metadata").at("finalizers"), (json::array{"foregroundDeletion"}));
  EXPECT_EQ(Get("top"), 200);
  ASSERT_EQ(srv_->Call("PATCH", cms_ + "/leaf", std::string(R"({"metadata":{"finalizers":null}})"),
                       "application/merge-patch+json")
                .code,
            200);
  EXPECT_TRUE(Gone("leaf"));
  EXPECT_TRUE(Gone("mid"));
  EXPECT_TRUE(Gone("top"));
}

TEST_P(GcTest, RepeatedDeleteWithAnotherPolicySwapsFinalizers) {
  std::string uid = Create("default", ConfigMap("owner"));
  Create("default",
         ConfigMap("held", {Ref("ConfigMap", "owner", uid, true)}, {"example.com/hold"}));
  ASSERT_EQ(srv_->Call("DELETE", cms_ + "/owner", DeleteBody("Foreground")).code, 200);
  json::value owner;
  ASSERT_EQ(Get("owner", &owner), 200);
  std::string ts = Str(owner, {"metadata", "deletionTimestamp"});
  // Orphan now: foregroundDeletion is replaced by orphan, the deletion timestamp stays.
  // (The GC may finish orphaning before we look, so the owner may already be gone.)
  auto d = srv_->Call("DELETE", cms_ + "/owner", DeleteBody("Orphan"));
  ASSERT_EQ(d.code, 200) << d.body;
  EXPECT_EQ(d.json.at("metadata").at("finalizers"), (json::array{"orphan"}));
  EXPECT_EQ(Str(d.json, {"metadata", "deletionTimestamp"}), ts);
  EXPECT_TRUE(Gone("owner"));
  json::value held;
  ASSERT_EQ(Get("held", &held), 200);
  EXPECT_EQ(held.at("metadata").as_object().if_contains("ownerReferences"), nullptr);
}

TEST_P(GcTest, BackgroundOnAForegroundDeletionDeletesAtOnce) {
  std::string uid = Create("default", ConfigMap("owner"));
  Create("default",
         ConfigMap("held", {Ref("ConfigMap", "owner", uid, true)}, {"example.com/hold"}));
  ASSERT_EQ(srv_->Call("DELETE", cms_ + "/owner", DeleteBody("Foreground")).code, 200);
  ASSERT_EQ(Get("owner"), 200);
  auto d = srv_->Call("DELETE", cms_ + "/owner", DeleteBody("Background"));
  ASSERT_EQ(d.code, 200) << d.body;
  EXPECT_EQ(Str(d.json, {"kind"}), "Status");
  EXPECT_EQ(Get("owner"), 404);
}

TEST_P(GcTest, NamespacedOwnerIsLookedUpInTheDependentsNamespace) {
  ASSERT_EQ(
      srv_->Call("POST", "/api/v1/namespaces", std::string(R"({"metadata":{"name":"other"}})"))
          .code,
      201);
  std::string uid = Create("default", ConfigMap("owner"));
  // Same name and uid, but in another namespace: that owner does not exist there.
  Create("other", ConfigMap("stray", {Ref("ConfigMap", "owner", uid)}));
  Create("default", ConfigMap("kept", {Ref("ConfigMap", "owner", uid)}));
  EXPECT_TRUE(Gone("stray", "other"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Get("kept"), 200);
}

TEST_P(GcTest, ClusterScopedOwnerIsFoundFromAnyNamespace) {
  auto ns =
      srv_->Call("POST", "/api/v1/namespaces", std::string(R"({"metadata":{"name":"team"}})"));
  ASSERT_EQ(ns.code, 201);
  auto pv =
      srv_->Call("POST", "/api/v1/persistentvolumes", std::string(R"({"metadata":{"name":"pv1"},
    "spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/tmp/x"}}})"));
  ASSERT_EQ(pv.code, 201) << pv.body;
  std::string uid = Str(pv.json, {"metadata", "uid"});
  Create("team", ConfigMap("dep", {Ref("PersistentVolume", "pv1", uid)}));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Get("dep", nullptr, "team"), 200);
  ASSERT_EQ(srv_->Call("DELETE", "/api/v1/persistentvolumes/pv1").code, 200);
  EXPECT_TRUE(Gone("dep", "team"));
}

TEST_P(GcTest, DependentOfAnAbsentOwnerIsCollected) {
  Create("default", ConfigMap("dangling", {Ref("ConfigMap", "never", "0000-no-such-uid")}));
  EXPECT_TRUE(Gone("dangling"));
}

TEST_P(GcTest, UnknownOwnerKindLeavesTheDependentAlone) {
  Create("default",
         ConfigMap("unresolved", {Ref("Widget", "w", "u-1", false, false, "example.com/v1")}));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Get("unresolved"), 200);
}

TEST_P(GcTest, DeploymentOwnerDefaultsToBackgroundAndBumpsGenerationWhenHeld) {
  auto dep = srv_->Call("POST", "/apis/apps/v1/namespaces/default/deployments",
                        std::string(R"({"metadata":{"name":"web","finalizers":["example.com/hold"]},
    "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
    "spec":{"containers":[{"name":"c","image":"nginx"}]}}}})"));
  ASSERT_EQ(dep.code, 201) << dep.body;
  std::string uid = Str(dep.json, {"metadata", "uid"});
  Create("default", ConfigMap("cfg", {Ref("Deployment", "web", uid, true, true, "apps/v1")}));
  auto d = srv_->Call("DELETE", "/apis/apps/v1/namespaces/default/deployments/web");
  ASSERT_EQ(d.code, 200) << d.body;
  // markAsDeleting bumps the generation of a type that tracks it.
  EXPECT_EQ(d.json.at("metadata").at("generation"), 2);
  EXPECT_EQ(d.json.at("metadata").at("finalizers"), (json::array{"example.com/hold"}));
  // The owner still exists (held): its dependent stays.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Get("cfg"), 200);
  ASSERT_EQ(
      srv_->Call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web",
                 std::string(R"({"metadata":{"finalizers":null}})"), "application/merge-patch+json")
          .code,
      200);
  EXPECT_TRUE(Gone("cfg"));
}

INSTANTIATE_TEST_SUITE_P(Storage, GcTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Sqlite" : "Memory"; });

// --- finalizers, DeleteOptions and ownerReferences validation (memory storage) -------------

class DeletionTest : public ::testing::Test {
 protected:
  void SetUp() override { srv_ = TestApiServer::Start(); }
  std::unique_ptr<TestApiServer> srv_;
  const std::string cms_ = "/api/v1/namespaces/default/configmaps";
};

TEST_F(DeletionTest, FinalizersHoldTheObjectAndOnlyShrinkWhileDeleting) {
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("f", {}, {"example.com/a", "example.com/b"})).code,
            201);
  auto d = srv_->Call("DELETE", cms_ + "/f");
  ASSERT_EQ(d.code, 200);
  EXPECT_FALSE(Str(d.json, {"metadata", "deletionTimestamp"}).empty());
  // Adding a finalizer is refused.
  auto add = srv_->Call(
      "PATCH", cms_ + "/f",
      std::string(
          R"({"metadata":{"finalizers":["example.com/a","example.com/b","example.com/c"]}})"),
      "application/merge-patch+json");
  EXPECT_EQ(add.code, 422) << add.body;
  EXPECT_NE(add.body.find("no new finalizers can be added if the object is being deleted"),
            std::string::npos);
  // Metadata and data updates still work.
  auto lab = srv_->Call("PATCH", cms_ + "/f",
                        std::string(R"({"metadata":{"labels":{"x":"y"}},"data":{"k":"w"}})"),
                        "application/merge-patch+json");
  ASSERT_EQ(lab.code, 200) << lab.body;
  EXPECT_EQ(Str(lab.json, {"metadata", "labels", "x"}), "y");
  // Removing one finalizer keeps it; removing the last deletes it.
  ASSERT_EQ(srv_->Call("PATCH", cms_ + "/f",
                       std::string(R"({"metadata":{"finalizers":["example.com/b"]}})"),
                       "application/merge-patch+json")
                .code,
            200);
  EXPECT_EQ(srv_->Call("GET", cms_ + "/f").code, 200);
  ASSERT_EQ(srv_->Call("PATCH", cms_ + "/f", std::string(R"({"metadata":{"finalizers":[]}})"),
                       "application/merge-patch+json")
                .code,
            200);
  EXPECT_EQ(srv_->Call("GET", cms_ + "/f").code, 404);
}

TEST_F(DeletionTest, StatusUpdatesWorkWhileDeleting) {
  auto dep = srv_->Call("POST", "/apis/apps/v1/namespaces/default/deployments",
                        std::string(R"({"metadata":{"name":"web","finalizers":["example.com/hold"]},
    "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
    "spec":{"containers":[{"name":"c","image":"nginx"}]}}}})"));
  ASSERT_EQ(dep.code, 201) << dep.body;
  ASSERT_EQ(srv_->Call("DELETE", "/apis/apps/v1/namespaces/default/deployments/web").code, 200);
  auto st = srv_->Call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/status",
                       std::string(R"({"status":{"observedGeneration":2,"replicas":0}})"),
                       "application/merge-patch+json");
  ASSERT_EQ(st.code, 200) << st.body;
  EXPECT_EQ(st.json.at("status").at("observedGeneration"), 2);
}

TEST_F(DeletionTest, DeleteOptionsValidation) {
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("x")).code, 201);
  auto both = srv_->Call("DELETE", cms_ + "/x",
                         std::string(R"({"orphanDependents":true,"propagationPolicy":"Orphan"})"));
  EXPECT_EQ(both.code, 422);
  EXPECT_EQ(Str(both.json, {"message"}),
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: "
            "\"Orphan\": orphanDependents and deletionPropagation cannot be both set");
  auto bad = srv_->Call("DELETE", cms_ + "/x", DeleteBody("Sideways"));
  EXPECT_EQ(bad.code, 422);
  EXPECT_NE(bad.body.find("Unsupported value: \\\"Sideways\\\""), std::string::npos) << bad.body;
  EXPECT_EQ(srv_->Call("GET", cms_ + "/x").code, 200);
}

TEST_F(DeletionTest, OrphanDependentsFalseAnswers202WhenNotDeletedYet) {
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("h", {}, {"example.com/hold"})).code, 201);
  auto d = srv_->Call("DELETE", cms_ + "/h", std::string(R"({"orphanDependents":false})"));
  EXPECT_EQ(d.code, 202) << d.body;
  EXPECT_EQ(d.json.at("metadata").at("finalizers"), (json::array{"example.com/hold"}));
}

TEST_F(DeletionTest, EventsNeverGetGcFinalizers) {
  auto ev = srv_->Call(
      "POST", "/api/v1/namespaces/default/events",
      std::string(
          R"({"metadata":{"name":"e1"},"involvedObject":{"kind":"Pod","name":"p","namespace":"default"},"reason":"X","message":"m","type":"Normal"})"));
  ASSERT_EQ(ev.code, 201) << ev.body;
  auto d = srv_->Call("DELETE", "/api/v1/namespaces/default/events/e1", DeleteBody("Orphan"));
  EXPECT_EQ(d.code, 200) << d.body;
  EXPECT_EQ(srv_->Call("GET", "/api/v1/namespaces/default/events/e1").code, 404);
}

TEST_F(DeletionTest, OwnerReferencesValidation) {
  auto missing = srv_->Call(
      "POST", cms_, ConfigMap("m", {json::object{{"apiVersion", "v1"}, {"kind", "ConfigMap"}}}));
  ASSERT_EQ(missing.code, 422);
  std::string msg = Str(missing.json, {"message"});
  EXPECT_NE(msg.find("metadata.ownerReferences.name: Invalid value: \"\": name must not be empty"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty"),
            std::string::npos)
      << msg;
  auto nover = srv_->Call("POST", cms_,
                          ConfigMap("n", {Ref("ConfigMap", "a", "u1", false, false, "apps/")}));
  ASSERT_EQ(nover.code, 422);
  EXPECT_NE(Str(nover.json, {"message"})
                .find("metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version "
                      "must not be empty"),
            std::string::npos);
  auto two = srv_->Call("POST", cms_,
                        ConfigMap("t", {Ref("ConfigMap", "a", "u1", false, true),
                                        Ref("ConfigMap", "b", "u2", false, true)}));
  ASSERT_EQ(two.code, 422);
  EXPECT_NE(Str(two.json, {"message"})
                .find("Only one reference can have Controller set to true. Found \"true\" in "
                      "references for ConfigMap/a and ConfigMap/b"),
            std::string::npos)
      << two.body;
  auto event = srv_->Call("POST", cms_, ConfigMap("e", {Ref("Event", "a", "u1")}));
  ASSERT_EQ(event.code, 422);
  EXPECT_NE(event.body.find("/v1, Kind=Event is disallowed from being an owner"),
            std::string::npos);
  auto both = srv_->Call("POST", cms_, ConfigMap("b", {}, {"orphan", "foregroundDeletion"}));
  ASSERT_EQ(both.code, 422);
  EXPECT_NE(both.body.find("finalizer orphan and foregroundDeletion cannot be both set"),
            std::string::npos);
  // A valid set: one controller, blockOwnerDeletion, on update too.
  auto ok = srv_->Call(
      "POST", cms_,
      ConfigMap("ok",
                {Ref("ConfigMap", "a", "u1", true, true), Ref("ConfigMap", "b", "u2", true, false)},
                {"example.com/hold"}));
  ASSERT_EQ(ok.code, 201) << ok.body;
  auto upd = srv_->Call(
      "PATCH", cms_ + "/ok",
      std::string(
          R"({"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"a","uid":""}]}})"),
      "application/merge-patch+json");
  EXPECT_EQ(upd.code, 422) << upd.body;
}

}  // namespace
}  // namespace kcx::testenv
