// Server-side apply with the real kubectl 1.32: conflicts between two managers as kubectl
// prints them, --force-conflicts, and the migration from client-side to server-side apply
// (kubectl upgrades the managed fields itself, as client-go's csaupgrade does), after which
// dropping a field from the manifest removes it from the object.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "api/json.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

class KubectlSsaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_ = TestApiServer::Start();
    dir_ = std::make_unique<TempDir>("kcx-ssa");
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string p = dir_->path() + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  json::value Get(const std::string& what) {
    auto r = srv_->Kubectl({"get", what, "-n", "default", "-o", "json", "--show-managed-fields"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  std::unique_ptr<TestApiServer> srv_;
  std::unique_ptr<TempDir> dir_;
};

std::vector<std::string> Managers(const json::value& obj) {
  std::vector<std::string> out;
  const json::value* mf = obj.at("metadata").as_object().if_contains("managedFields");
  if (!mf) return out;
  for (const auto& e : mf->as_array()) {
    out.push_back(std::string(e.at("manager").as_string()) + "/" +
                  std::string(e.at("operation").as_string()));
  }
  return out;
}

TEST_F(KubectlSsaTest, TwoManagersConflictAndForceConflictsWins) {
  std::string mine = Write("mine.yaml",
                           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n"
                           "  namespace: default\ndata:\n  size: small\n");
  std::string theirs = Write("theirs.yaml",
                             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n"
                             "  namespace: default\ndata:\n  size: large\n");
  auto a = srv_->Kubectl({"apply", "--server-side", "--field-manager=team-a", "-f", mine});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.out.find("configmap/shared serverside-applied"), std::string::npos) << a.out;

  auto b = srv_->Kubectl({"apply", "--server-side", "--field-manager=team-b", "-f", theirs});
  EXPECT_NE(b.exit_code, 0);
  EXPECT_NE(b.err.find("Apply failed with 1 conflict: conflict with \"team-a\": .data.size"),
            std::string::npos)
      << b.err;
  EXPECT_NE(b.err.find("--force-conflicts"), std::string::npos) << b.err;  // kubectl's advice
  EXPECT_EQ(api::GetStringPath(Get("configmap/shared"), {"data", "size"}), "small");

  auto f = srv_->Kubectl(
      {"apply", "--server-side", "--field-manager=team-b", "--force-conflicts", "-f", theirs});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  json::value cm = Get("configmap/shared");
  EXPECT_EQ(api::GetStringPath(cm, {"data", "size"}), "large");
  std::vector<std::string> managers = Managers(cm);
  EXPECT_NE(std::find(managers.begin(), managers.end(), "team-b/Apply"), managers.end());
}

TEST_F(KubectlSsaTest, ClientSideApplyThenServerSideApplyMigratesOwnership) {
  std::string v1 = Write("v1.yaml",
                         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n"
                         "  namespace: default\n  labels:\n    tier: web\n    legacy: \"yes\"\n"
                         "data:\n  a: \"1\"\n  b: \"2\"\n");
  auto csa = srv_->Kubectl({"apply", "-f", v1});
  ASSERT_EQ(csa.exit_code, 0) << csa.err;
  std::vector<std::string> before = Managers(Get("configmap/app"));
  EXPECT_NE(std::find(before.begin(), before.end(), "kubectl-client-side-apply/Update"),
            before.end());

  auto ssa = srv_->Kubectl({"apply", "--server-side", "-f", v1});
  ASSERT_EQ(ssa.exit_code, 0) << ssa.err;
  std::vector<std::string> after = Managers(Get("configmap/app"));
  // kubectl moved the client-side-apply manager's fields to its server-side manager.
  EXPECT_NE(std::find(after.begin(), after.end(), "kubectl/Apply"), after.end());
  EXPECT_EQ(std::find(after.begin(), after.end(), "kubectl-client-side-apply/Update"),
            after.end());

  // Dropping a data key and a label from the manifest now removes them.
  std::string v2 = Write("v2.yaml",
                         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n"
                         "  namespace: default\n  labels:\n    tier: web\n"
                         "data:\n  a: \"1\"\n");
  auto again = srv_->Kubectl({"apply", "--server-side", "-f", v2});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  json::value cm = Get("configmap/app");
  EXPECT_FALSE(cm.at("data").as_object().contains("b")) << json::serialize(cm);
  EXPECT_FALSE(cm.at("metadata").at("labels").as_object().contains("legacy"))
      << json::serialize(cm);
  EXPECT_EQ(api::GetStringPath(cm, {"data", "a"}), "1");
}

TEST_F(KubectlSsaTest, ServerSideDryRunAndDiffDoNotWrite) {
  std::string m = Write("m.yaml",
                        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dry\n"
                        "  namespace: default\ndata:\n  a: \"1\"\n");
  auto dry = srv_->Kubectl({"apply", "--server-side", "--dry-run=server", "-f", m});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  auto get = srv_->Kubectl({"get", "configmap", "dry", "-n", "default"});
  EXPECT_NE(get.exit_code, 0);
  EXPECT_NE(get.err.find("NotFound"), std::string::npos) << get.err;
}

}  // namespace
}  // namespace kcx::testenv
