// The rendered objects of a cluster pass a real kcx apiserver's defaulting and validation: each
// is created with POST (201), then applied with the operator's field manager, and applying the
// same configuration again changes nothing (what lets the reconciler skip no-op applies).
// The MySQLCluster owner does not exist here; ownerReferences are not checked on create.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/json.h"
#include "operators/mysql/controllers/render.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::mysql::controllers {
namespace {

namespace json = boost::json;

constexpr const char* kCluster = R"({
  "apiVersion": "moco.cybozu.com/v1beta2",
  "kind": "MySQLCluster",
  "metadata": {"namespace": "db", "name": "test", "uid": "6b1f0a2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"},
  "spec": {
    "replicas": 3,
    "collectors": ["engine_innodb_status"],
    "podTemplate": {
      "metadata": {"labels": {"team": "db"}},
      "spec": {"containers": [{"name": "mysqld", "image": "quay.io/cybozu/mysql:8.0.28",
                               "resources": {"requests": {"memory": "1Gi", "cpu": "500m"}}}]},
      "overwriteContainers": [{"name": "agent", "resources": {"requests": {"cpu": "50m"}}}]
    },
    "volumeClaimTemplates": [{
      "metadata": {"name": "mysql-data"},
      "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    }],
    "primaryServiceTemplate": {"metadata": {"annotations": {"x": "y"}},
                               "spec": {"type": "NodePort"}},
    "mysqlConfigMapName": "mycnf",
    "serverIDBase": 100
  }
})";

// The REST collection of a rendered object.
std::string Collection(const json::object& o) {
  std::string kind(kcx::api::GetString(o, "kind"));
  std::string ns(kcx::api::GetStringPath(json::value(o), {"metadata", "namespace"}));
  static const std::map<std::string, std::string> kPaths = {
      {"Secret", "/api/v1/namespaces/%/secrets"},
      {"ConfigMap", "/api/v1/namespaces/%/configmaps"},
      {"ServiceAccount", "/api/v1/namespaces/%/serviceaccounts"},
      {"Service", "/api/v1/namespaces/%/services"},
      {"StatefulSet", "/apis/apps/v1/namespaces/%/statefulsets"},
      {"PodDisruptionBudget", "/apis/policy/v1/namespaces/%/poddisruptionbudgets"},
  };
  std::string p = kPaths.at(kind);
  p.replace(p.find('%'), 1, ns);
  return p;
}

std::vector<json::object> RenderAll(const api::MySQLCluster& c) {
  RenderOptions o;
  Passwords pw = Passwords::Random();
  std::map<std::string, std::string> user{{"max_connections", "500"}};
  json::object cm = RenderMyCnfConfigMap(c, &user, Flavor::kMySQL);
  std::string cm_name(kcx::api::GetStringPath(json::value(cm), {"metadata", "name"}));
  auto sts = RenderStatefulSet(c, cm_name, o);
  EXPECT_TRUE(sts.ok()) << sts.status().message();
  std::vector<json::object> out{RenderControllerSecret(c, pw, o), RenderUserSecret(c, pw),
                                RenderMyCnfSecret(c, pw),         cm,
                                *RenderSlowLogConfigMap(c),       RenderServiceAccount(c),
                                RenderHeadlessService(c),         RenderPrimaryService(c),
                                RenderReplicaService(c),          *sts,
                                *RenderPodDisruptionBudget(c)};
  return out;
}

void CreateNamespace(testenv::TestApiServer& srv, const std::string& name) {
  auto r = srv.Call("POST", "/api/v1/namespaces",
                    json::value(json::object{{"apiVersion", "v1"},
                                             {"kind", "Namespace"},
                                             {"metadata", json::object{{"name", name}}}}));
  ASSERT_EQ(r.code, 201) << r.body;
}

// Every member the configuration sets is in `stored` with the same value (lists element by
// element): the API server neither rejected nor rewrote anything the operator owns, so an
// unchanged configuration compares equal to what it finds.
void ExpectSubset(const json::value& want, const json::value& got, const std::string& path) {
  if (want.is_object()) {
    ASSERT_TRUE(got.is_object()) << path << ": " << got;
    for (const auto& kv : want.get_object()) {
      const json::value* g = got.get_object().if_contains(kv.key());
      ASSERT_NE(g, nullptr) << path << "." << kv.key() << " missing";
      ExpectSubset(kv.value(), *g, path + "." + std::string(kv.key()));
    }
  } else if (want.is_array()) {
    ASSERT_TRUE(got.is_array()) << path << ": " << got;
    ASSERT_EQ(want.get_array().size(), got.get_array().size()) << path << ": " << got;
    for (size_t i = 0; i < want.get_array().size(); ++i) {
      ExpectSubset(want.get_array()[i], got.get_array()[i], path + "[" + std::to_string(i) + "]");
    }
  } else {
    EXPECT_EQ(want, got) << path;
  }
}

const json::value* ManagerFields(const json::value& obj, std::string_view manager) {
  const json::value* mfs = kcx::api::FindPath(obj, {"metadata", "managedFields"});
  if (!mfs || !mfs->is_array())
    return nullptr;
  for (const auto& e : mfs->get_array()) {
    if (kcx::api::GetStringPath(e, {"manager"}) == manager)
      return e.as_object().if_contains("fieldsV1");
  }
  return nullptr;
}

class RenderIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_ = testenv::TestApiServer::Start();
    CreateNamespace(*srv_, "db");
    CreateNamespace(*srv_, "moco-system");
    auto parsed = api::ParseMySQLCluster(json::parse(kCluster));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    objects_ = RenderAll(*parsed);
    ASSERT_EQ(objects_.size(), 11u);
  }
  std::unique_ptr<testenv::TestApiServer> srv_;
  std::vector<json::object> objects_;
};

TEST_F(RenderIntegrationTest, EveryRenderedObjectIsCreated) {
  for (const auto& o : objects_) {
    SCOPED_TRACE(json::serialize(o));
    auto r = srv_->Call("POST", Collection(o), json::value(o));
    ASSERT_EQ(r.code, 201) << r.body;
    ExpectSubset(json::value(o), r.json, "");
  }
  auto got = srv_->Call("GET", "/apis/apps/v1/namespaces/db/statefulsets/moco-test");
  ASSERT_EQ(got.code, 200) << got.body;
  EXPECT_EQ(kcx::api::GetStringPath(got.json, {"spec", "podManagementPolicy"}), "Parallel");
  const json::value* replicas = kcx::api::FindPath(got.json, {"spec", "replicas"});
  ASSERT_NE(replicas, nullptr);
  EXPECT_EQ(*replicas, json::value(3));
}

TEST_F(RenderIntegrationTest, ReapplyingTheSameConfigurationIsAFixedPoint) {
  for (const auto& o : objects_) {
    SCOPED_TRACE(json::serialize(o));
    std::string url = Collection(o) + "/" +
                      std::string(kcx::api::GetStringPath(json::value(o), {"metadata", "name"})) +
                      "?fieldManager=moco-controller&force=true";
    auto first = srv_->Call("PATCH", url, json::serialize(o), "application/apply-patch+yaml");
    ASSERT_EQ(first.code, 201) << first.body;
    ExpectSubset(json::value(o), first.json, "");
    auto second = srv_->Call("PATCH", url, json::serialize(o), "application/apply-patch+yaml");
    ASSERT_EQ(second.code, 200) << second.body;
    ExpectSubset(json::value(o), second.json, "");
    const json::value* f1 = ManagerFields(first.json, "moco-controller");
    const json::value* f2 = ManagerFields(second.json, "moco-controller");
    ASSERT_NE(f1, nullptr);
    ASSERT_NE(f2, nullptr);
    EXPECT_EQ(*f1, *f2);
    // Nothing changed, so nothing was written: not even a new resourceVersion (as kube).
    EXPECT_EQ(second.json, first.json) << kcx::api::GetString(o, "kind");
  }
}

// The StatefulSet exactly as rendered: its containers mount the claim template "mysql-data",
// which is not a Pod volume of the template (the StatefulSet controller adds it per Pod).
TEST(RenderStatefulSetIntegrationTest, ClaimTemplateMountsAreAccepted) {
  auto srv = testenv::TestApiServer::Start();
  CreateNamespace(*srv, "db");
  auto parsed = api::ParseMySQLCluster(json::parse(kCluster));
  ASSERT_TRUE(parsed.ok());
  auto sts = RenderStatefulSet(*parsed, "moco-test.00000000", RenderOptions{});
  ASSERT_TRUE(sts.ok());
  auto r = srv->Call("POST", Collection(*sts), json::value(*sts));
  EXPECT_EQ(r.code, 201) << r.body;
}

}  // namespace
}  // namespace kcx::mysql::controllers
