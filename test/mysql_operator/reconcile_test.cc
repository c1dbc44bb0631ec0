// The MySQL operator against a real kcx apiserver: the full reconcile of MOCO's documentation
// manifest, idempotency (a settled resync writes nothing), offline and back, deletion with the
// finalizer. Part of it is driven through kubectl, as a user would.

#include <gtest/gtest.h>

#include "test/mysql_operator/operator_env.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

const std::string kNs = "/api/v1/namespaces/foo";
const std::string kApps = "/apis/apps/v1/namespaces/foo";

class ReconcileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.StartOperator();
    auto r = env_.srv().Kubectl({"apply", "-f", "-"}, kDocManifest);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  json::value Cluster() {
    return env_.Get("/apis/moco.cybozu.com/v1beta2/namespaces/foo/mysqlclusters/default");
  }
  OperatorEnv env_;
};

TEST_F(ReconcileTest, DocumentationManifestGetsEveryObject) {
  ASSERT_TRUE(Eventually([&] { return env_.Exists(kApps + "/statefulsets/moco-default"); }));
  ASSERT_TRUE(env_.Settle());

  // Secrets: the controller's copy in the operator's namespace, the user's, the my.cnf files.
  json::value cs = env_.Get("/api/v1/namespaces/moco-system/secrets/mysql-foo.default");
  ASSERT_TRUE(cs.is_object());
  json::value us = env_.Get(kNs + "/secrets/moco-default");
  ASSERT_TRUE(us.is_object());
  for (const char* key :
       {"ADMIN_PASSWORD", "AGENT_PASSWORD", "REPLICATION_PASSWORD", "CLONE_DONOR_PASSWORD",
        "EXPORTER_PASSWORD", "BACKUP_PASSWORD", "READONLY_PASSWORD", "WRITABLE_PASSWORD"}) {
    EXPECT_NE(Str(cs, {"data", key}), "") << key;
    EXPECT_EQ(Str(cs, {"data", key}), Str(us, {"data", key})) << key;
  }
  EXPECT_EQ(Str(cs, {"metadata", "annotations", "moco.cybozu.com/secret-version"}), "1");
  EXPECT_TRUE(env_.Exists(kNs + "/secrets/moco-my-cnf-default"));

  // The user Secret is owned by the cluster (garbage-collected with it).
  std::string cluster_uid = Str(Cluster(), {"metadata", "uid"});
  EXPECT_NE(Str(us, {"metadata", "ownerReferences"}).find(cluster_uid), std::string::npos);

  // my.cnf ConfigMap named by content hash, carrying the user's setting.
  json::value cms =
      env_.Get(kNs + "/configmaps?labelSelector=app.kubernetes.io/instance%3Ddefault");
  int mycnf = 0;
  for (const auto& cm : cms.as_object().at("items").as_array()) {
    std::string name = Str(cm, {"metadata", "name"});
    if (name.rfind("moco-default.", 0) != 0)
      continue;
    ++mycnf;
    EXPECT_NE(Str(cm, {"data", "my.cnf"}).find("max_connections"), std::string::npos);
  }
  EXPECT_EQ(mycnf, 1);

  EXPECT_TRUE(env_.Exists(kNs + "/serviceaccounts/moco-default"));
  json::value headless = env_.Get(kNs + "/services/moco-default");
  EXPECT_EQ(Str(headless, {"spec", "clusterIP"}), "None");
  json::value primary = env_.Get(kNs + "/services/moco-default-primary");
  EXPECT_EQ(Str(primary, {"spec", "selector", "moco.cybozu.com/role"}), "primary");
  json::value replica = env_.Get(kNs + "/services/moco-default-replica");
  EXPECT_EQ(Str(replica, {"spec", "selector", "moco.cybozu.com/role"}), "replica");

  json::value sts = env_.Get(kApps + "/statefulsets/moco-default");
  EXPECT_EQ(Str(sts, {"spec", "replicas"}), "1");
  EXPECT_EQ(Str(sts, {"spec", "serviceName"}), "moco-default");
  std::string containers = Str(sts, {"spec", "template", "spec", "containers"});
  EXPECT_NE(containers.find("\"mysqld\""), std::string::npos);
  EXPECT_NE(containers.find("\"agent\""), std::string::npos);
  EXPECT_NE(containers.find("quay.io/cybozu/mysql:8.0.28"), std::string::npos);
  EXPECT_NE(Str(sts, {"spec", "volumeClaimTemplates"}).find("1Gi"), std::string::npos);
  // Managed by one field manager with server-side apply.
  EXPECT_NE(Str(sts, {"metadata", "managedFields"}).find("\"moco-controller\""), std::string::npos);
  // One replica: no PDB.
  EXPECT_FALSE(env_.Exists("/apis/policy/v1/namespaces/foo/poddisruptionbudgets/moco-default"));

  // Status and the finalizer.
  json::value c = Cluster();
  EXPECT_EQ(ConditionField(c, "ReconcileSuccess"), "True");
  EXPECT_EQ(ConditionField(c, "ReconciliationActive"), "True");
  EXPECT_EQ(ConditionField(c, "StatefulSetReady"), "False");  // no Pods here
  EXPECT_NE(Str(c, {"metadata", "finalizers"}).find("moco.cybozu.com/mysqlcluster"),
            std::string::npos);
  EXPECT_EQ(Str(c, {"status", "reconcileInfo", "reconcileVersion"}), "1");
}

TEST_F(ReconcileTest, SettledResyncMakesNoWrite) {
  ASSERT_TRUE(Eventually([&] { return env_.Exists(kApps + "/statefulsets/moco-default"); }));
  ASSERT_TRUE(env_.Settle());
  uint64_t writes = env_.op().reconciler().writes();
  uint64_t skipped = env_.op().reconciler().skipped_applies();
  std::string rv = Str(Cluster(), {"metadata", "resourceVersion"});
  std::string sts_rv =
      Str(env_.Get(kApps + "/statefulsets/moco-default"), {"metadata", "resourceVersion"});
  for (int i = 0; i < 3; ++i)
    env_.Resync("foo", "default");
  EXPECT_EQ(env_.op().reconciler().writes(), writes);
  EXPECT_GE(env_.op().reconciler().skipped_applies(), skipped + 3 * 7);
  EXPECT_EQ(Str(Cluster(), {"metadata", "resourceVersion"}), rv);
  EXPECT_EQ(Str(env_.Get(kApps + "/statefulsets/moco-default"), {"metadata", "resourceVersion"}),
            sts_rv);

  // A user's change to an owned field is put back (the operator owns it).
  auto r =
      env_.srv().Kubectl({"-n", "foo", "patch", "service", "moco-default-primary", "--type=merge",
                          "-p", R"({"spec":{"selector":{"moco.cybozu.com/role":"replica"}}})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(Eventually([&] {
    return Str(env_.Get(kNs + "/services/moco-default-primary"),
               {"spec", "selector", "moco.cybozu.com/role"}) == "primary";
  }));
}

TEST_F(ReconcileTest, OfflineAndBack) {
  auto r = env_.srv().Kubectl({"-n", "foo", "patch", "mysqlcluster", "default", "--type=merge",
                               "-p", R"({"spec":{"replicas":3}})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string pdb = "/apis/policy/v1/namespaces/foo/poddisruptionbudgets/moco-default";
  ASSERT_TRUE(Eventually([&] { return env_.Exists(pdb); }));
  EXPECT_EQ(Str(env_.Get(pdb), {"spec", "maxUnavailable"}), "1");
  EXPECT_EQ(Str(env_.Get(kApps + "/statefulsets/moco-default"), {"spec", "replicas"}), "3");

  r = env_.srv().Kubectl({"-n", "foo", "patch", "mysqlcluster", "default", "--type=merge", "-p",
                          R"({"spec":{"offline":true}})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(Eventually([&] {
    return Str(env_.Get(kApps + "/statefulsets/moco-default"), {"spec", "replicas"}) == "0" &&
           !env_.Exists(pdb);
  }));
  // Data is kept: the Secrets stay.
  EXPECT_TRUE(env_.Exists("/api/v1/namespaces/moco-system/secrets/mysql-foo.default"));

  r = env_.srv().Kubectl({"-n", "foo", "patch", "mysqlcluster", "default", "--type=merge", "-p",
                          R"({"spec":{"offline":false}})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(Eventually([&] {
    return Str(env_.Get(kApps + "/statefulsets/moco-default"), {"spec", "replicas"}) == "3" &&
           env_.Exists(pdb);
  }));
}

TEST_F(ReconcileTest, DeletionRunsTheFinalizer) {
  const std::string secret = "/api/v1/namespaces/moco-system/secrets/mysql-foo.default";
  ASSERT_TRUE(Eventually([&] { return env_.Exists(kApps + "/statefulsets/moco-default"); }));
  ASSERT_TRUE(env_.Exists(secret));
  auto r = env_.srv().Kubectl(
      {"-n", "foo", "delete", "mysqlcluster", "default", "--wait=true", "--timeout=60s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Cluster().is_null());
  // The controller Secret (no owner: another namespace) goes with the finalizer, the owned
  // objects with the garbage collector.
  EXPECT_TRUE(Eventually([&] { return !env_.Exists(secret); }));
  EXPECT_TRUE(Eventually([&] {
    return !env_.Exists(kApps + "/statefulsets/moco-default") &&
           !env_.Exists(kNs + "/services/moco-default-primary") &&
           !env_.Exists(kNs + "/secrets/moco-default");
  }));
}

TEST_F(ReconcileTest, StoppedReconciliationChangesNothing) {
  ASSERT_TRUE(Eventually([&] { return env_.Exists(kApps + "/statefulsets/moco-default"); }));
  auto r = env_.srv().Kubectl({"-n", "foo", "annotate", "mysqlcluster", "default",
                               "moco.cybozu.com/reconciliation-stopped=true"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(
      Eventually([&] { return ConditionField(Cluster(), "ReconciliationActive") == "False"; }));
  r = env_.srv().Kubectl({"-n", "foo", "patch", "mysqlcluster", "default", "--type=merge", "-p",
                          R"({"spec":{"replicas":3}})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  env_.Resync("foo", "default");
  EXPECT_EQ(Str(env_.Get(kApps + "/statefulsets/moco-default"), {"spec", "replicas"}), "1");
  EXPECT_NE(env_.Metrics().find(
                R"(moco_cluster_reconciliation_stopped{name="default",namespace="foo"} 1)"),
            std::string::npos);

  r = env_.srv().Kubectl({"-n", "foo", "annotate", "mysqlcluster", "default",
                          "moco.cybozu.com/reconciliation-stopped-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(Eventually([&] {
    return Str(env_.Get(kApps + "/statefulsets/moco-default"), {"spec", "replicas"}) == "3";
  }));
  // The status is written after the objects.
  EXPECT_TRUE(
      Eventually([&] { return ConditionField(Cluster(), "ReconciliationActive") == "True"; }));
}

}  // namespace
}  // namespace kcx::testenv
