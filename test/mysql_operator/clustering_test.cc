// The operator's clustering end to end with real MariaDB: a 3-instance MySQLCluster applied with
// kubectl, its Pods created by hand (there is no kubelet) and pointed at three real mariadbd
// instances on their own loopback addresses, port 3306, with the moco-* users and the passwords
// of the operator's controller Secret. The operator's clustering worker must bootstrap
// replication, report it in the cluster's status and the Pods' role labels, switch over on the
// demote annotation and when the primary Pod is being deleted without losing a write, and pause
// while clustering is stopped.
//
// One test case on purpose: starting the instances and bootstrapping the cluster is the
// expensive part, and the later steps build on the earlier ones.

#include <gtest/gtest.h>

#include "common/strings.h"
#include "operators/mysql/db/users.h"
#include "test/mysql/harness.h"
#include "test/mysql_operator/operator_env.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;
using mysql::SystemUser;

const std::string kNs = "/api/v1/namespaces/foo";
const std::string kCluster = "/apis/moco.cybozu.com/v1beta2/namespaces/foo/mysqlclusters/default";

// The manifest of MOCO's documentation with three instances and a fixed serverIDBase (no
// mutating webhook runs here to pick one).
std::string Manifest() {
  std::string m = kDocManifest;
  const std::string spec = "\nspec:\n";
  size_t at = m.find(spec);
  EXPECT_NE(at, std::string::npos);
  m.insert(at + spec.size(), "  replicas: 3\n  serverIDBase: 1000\n");
  return m;
}

// MariaDB on 3306 (no admin port), short passes, and fast detection on as in production.
OperatorEnv::Options EnvOptions() {
  OperatorEnv::Options o;
  o.clustering = true;
  o.clustering_port = 3306;
  o.check_interval = std::chrono::milliseconds(300);
  o.fast_detection = true;
  return o;
}

class ClusteringTest : public ::testing::Test {
 protected:
  json::value Cluster() { return env_.Get(kCluster); }
  json::value Pod(int i) { return env_.Get(kNs + "/pods/moco-default-" + std::to_string(i)); }
  std::string Role(int i) { return Str(Pod(i), {"metadata", "labels", "moco.cybozu.com/role"}); }
  int PrimaryIndex() {
    std::string s = Str(Cluster(), {"status", "currentPrimaryIndex"});
    return s.empty() ? -1 : std::stoi(s);
  }
  // Healthy, Available and ClusteringActive, with `primary` as the primary.
  bool HealthyWith(int primary) {
    json::value c = Cluster();
    return ConditionField(c, "Healthy") == "True" && ConditionField(c, "Available") == "True" &&
           ConditionField(c, "ClusteringActive") == "True" &&
           Str(c, {"status", "currentPrimaryIndex"}) == std::to_string(primary) &&
           Str(c, {"status", "syncedReplicas"}) == "3";
  }
  bool RolesAre(int primary) {
    for (int i = 0; i < 3; ++i) {
      if (Role(i) != (i == primary ? "primary" : "replica"))
        return false;
    }
    return true;
  }
  std::string Describe() { return json::serialize(Cluster()); }

  // Writes the Pod status as a kubelet would: Running, Ready, at the instance's address.
  void SetPodStatus(int i, const std::string& ip) {
    std::string path = kNs + "/pods/moco-default-" + std::to_string(i);
    for (int attempt = 0; attempt < 10; ++attempt) {
      json::value pod = env_.Get(path);
      ASSERT_TRUE(pod.is_object());
      std::string now = "2026-01-01T00:00:00Z";
      pod.as_object()["status"] = json::object{
          {"phase", "Running"},
          {"podIP", ip},
          {"podIPs", json::array{json::object{{"ip", ip}}}},
          {"hostIP", "127.0.0.1"},
          {"conditions",
           json::array{
               json::object{{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", now}},
               json::object{
                   {"type", "ContainersReady"}, {"status", "True"}, {"lastTransitionTime", now}}}}};
      auto r = env_.srv().Call("PUT", path + "/status", pod);
      if (r.code == 200)
        return;
      ASSERT_EQ(r.code, 409) << r.body;
    }
    FAIL() << "could not write the status of Pod " << i;
  }

  // The first column of the first row, as moco-admin on instance i ("" on error).
  std::string QueryValue(int i, const std::string& sql) {
    auto c = harness_->at(i).Connect(SystemUser::kAdmin);
    if (!c.ok())
      return "";
    auto rs = (*c)->Query(sql);
    if (!rs.ok() || rs->rows.empty() || rs->rows[0].empty() || !rs->rows[0][0])
      return "";
    return *rs->rows[0][0];
  }
  // Inserts rows [from, to) on instance i through one real connection.
  void Insert(int i, int from, int to) {
    auto c = harness_->at(i).Connect(SystemUser::kAdmin, 30);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    for (int k = from; k < to; ++k) {
      Status st = (*c)->Exec("INSERT INTO kcxtest.t (id) VALUES (" + std::to_string(k) + ")");
      ASSERT_TRUE(st.ok()) << "row " << k << ": " << st.ToString();
    }
  }
  std::string Count(int i) { return QueryValue(i, "SELECT COUNT(*) FROM kcxtest.t"); }

  // Declared first so that it goes last: the operator stops before its instances die, so the
  // teardown does not look like a failed cluster to it.
  std::unique_ptr<mysql::testing::MariadbHarness> harness_;
  OperatorEnv env_{EnvOptions()};
};

TEST_F(ClusteringTest, BootstrapSwitchoverAndStop) {
  env_.StartOperator();
  auto r = env_.srv().Kubectl({"apply", "-f", "-"}, Manifest());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(Eventually(
      [&] { return env_.Exists("/apis/apps/v1/namespaces/foo/statefulsets/moco-default"); }));

  // The passwords the operator will use, from its controller Secret (MOCO's keys).
  json::value secret;
  ASSERT_TRUE(Eventually([&] {
    secret = env_.Get("/api/v1/namespaces/moco-system/secrets/mysql-foo.default");
    return secret.is_object();
  }));
  std::map<std::string, std::string> pwmap;
  for (const auto& [k, v] : secret.as_object().at("data").as_object()) {
    auto d = Base64Decode(v.as_string());
    ASSERT_TRUE(d.has_value()) << k;
    pwmap[std::string(k)] = *d;
  }
  auto pw = mysql::Passwords::FromMap(pwmap);
  ASSERT_TRUE(pw.ok()) << pw.status().ToString();

  // server_id = serverIDBase + index, as MOCO's init container would configure it.
  std::string base_s = Str(Cluster(), {"spec", "serverIDBase"});
  ASSERT_EQ(base_s, "1000");
  auto h = mysql::testing::MariadbHarness::Create(3, uint32_t(std::stoul(base_s)), {}, *pw);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  harness_ = std::move(*h);
  Status started = harness_->StartAll();
  ASSERT_TRUE(started.ok()) << started.ToString();
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(harness_->at(i).endpoint().port, 3306);

  env_.CreatePodsAndPvcs("foo", "default", 3, "1Gi", "");
  for (int i = 0; i < 3; ++i)
    SetPodStatus(i, harness_->at(i).endpoint().host);

  // Bootstrap: instance 0 is the primary, both others replicate from it.
  ASSERT_TRUE(Eventually([&] { return HealthyWith(0); }, 60s)) << Describe();
  EXPECT_EQ(ConditionField(Cluster(), "Initialized"), "True");
  ASSERT_TRUE(Eventually([&] { return RolesAre(0); })) << Role(0) << Role(1) << Role(2);
  EXPECT_EQ(QueryValue(0, "SELECT @@read_only"), "0");
  EXPECT_EQ(QueryValue(1, "SELECT @@read_only"), "1");
  EXPECT_EQ(QueryValue(1, "SELECT @@server_id"), "1001");

  // Replication works: written on the primary, read on both replicas.
  {
    auto c = harness_->at(0).Connect(SystemUser::kAdmin, 30);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE((*c)->Exec("CREATE DATABASE kcxtest").ok());
    ASSERT_TRUE((*c)->Exec("CREATE TABLE kcxtest.t (id INT PRIMARY KEY)").ok());
  }
  Insert(0, 0, 50);
  for (int i : {1, 2}) {
    EXPECT_TRUE(Eventually([&] { return Count(i) == "50"; }))
        << "replica " << i << ": " << Count(i);
  }

  // Switchover by the demote annotation on the primary Pod.
  r = env_.srv().Kubectl(
      {"-n", "foo", "annotate", "pod", "moco-default-0", "moco.cybozu.com/demote=true"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int np = -1;
  ASSERT_TRUE(Eventually(
      [&] {
        np = PrimaryIndex();
        return np > 0 && HealthyWith(np);
      },
      60s))
      << Describe();
  ASSERT_TRUE(Eventually([&] { return RolesAre(np); })) << Role(0) << Role(1) << Role(2);
  EXPECT_TRUE(Eventually([&] {
    return Str(Pod(0), {"metadata", "annotations", "moco.cybozu.com/demote"}).empty();
  }));
  EXPECT_FALSE(env_.EventMessages("foo", "SwitchOver").empty());
  // No write lost, the new primary is writable and the old one replicates from it.
  EXPECT_EQ(Count(np), "50");
  EXPECT_EQ(QueryValue(np, "SELECT @@read_only"), "0");
  EXPECT_EQ(QueryValue(0, "SELECT @@read_only"), "1");
  Insert(np, 50, 60);
  EXPECT_TRUE(Eventually([&] { return Count(0) == "60"; })) << Count(0);
  // Exactly one switchover: the primary stays where it went.
  ASSERT_TRUE(env_.Settle());
  EXPECT_EQ(PrimaryIndex(), np);
  EXPECT_EQ(env_.EventMessages("foo", "SwitchOver").size(), 1u);

  // Switchover because the primary Pod is being deleted (a finalizer keeps it around, as the
  // kubelet would during its grace period), then the Pod comes back as the StatefulSet
  // controller would re-create it.
  const int deleted = np;
  const std::string deleted_path = kNs + "/pods/moco-default-" + std::to_string(deleted);
  auto pr =
      env_.srv().Call("PATCH", deleted_path, R"({"metadata":{"finalizers":["kcx.test/hold"]}})",
                      "application/merge-patch+json");
  ASSERT_EQ(pr.code, 200) << pr.body;
  r = env_.srv().Kubectl(
      {"-n", "foo", "delete", "pod", "moco-default-" + std::to_string(deleted), "--wait=false"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(Eventually(
      [&] {
        np = PrimaryIndex();
        return np >= 0 && np != deleted && HealthyWith(np);
      },
      60s))
      << Describe();
  EXPECT_EQ(Count(np), "60");
  EXPECT_EQ(env_.EventMessages("foo", "SwitchOver").size(), 2u);
  std::string metrics = env_.Metrics();
  EXPECT_NE(metrics.find(R"(moco_cluster_switchover_total{name="default",namespace="foo"} 2)"),
            std::string::npos)
      << metrics;
  pr = env_.srv().Call("PATCH", deleted_path, R"({"metadata":{"finalizers":null}})",
                       "application/merge-patch+json");
  ASSERT_EQ(pr.code, 200) << pr.body;
  ASSERT_TRUE(Eventually([&] { return !env_.Exists(deleted_path); }));
  env_.CreatePod("foo", "default", deleted);
  SetPodStatus(deleted, harness_->at(deleted).endpoint().host);
  ASSERT_TRUE(Eventually([&] { return HealthyWith(np) && RolesAre(np); }, 60s)) << Describe();
  Insert(np, 60, 70);
  EXPECT_TRUE(Eventually([&] { return Count(deleted) == "70"; })) << Count(deleted);

  // Clustering stopped: the worker goes, ClusteringActive=False; back when the annotation goes.
  r = env_.srv().Kubectl({"-n", "foo", "annotate", "mysqlcluster", "default",
                          "moco.cybozu.com/clustering-stopped=true"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(Eventually([&] { return ConditionField(Cluster(), "ClusteringActive") == "False"; }))
      << Describe();
  EXPECT_TRUE(Eventually([&] { return env_.op().clustering()->workers() == 0; }));
  r = env_.srv().Kubectl(
      {"-n", "foo", "annotate", "mysqlcluster", "default", "moco.cybozu.com/clustering-stopped-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(Eventually([&] { return HealthyWith(np); }, 60s)) << Describe();
  EXPECT_EQ(env_.op().clustering()->workers(), 1u);
}

}  // namespace
}  // namespace kcx::testenv
