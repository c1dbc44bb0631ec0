// Volume resize end to end against a real kcx apiserver, as MOCO v0.13.0 does it and more:
// PVCs patched, the StatefulSet deleted with orphan propagation and re-created, Pods and PVCs
// untouched (same UIDs), Events and metrics; a class that cannot expand; a shrink; a
// StatefulSet mid-update defers the resize.

#include <gtest/gtest.h>

#include "test/mysql_operator/operator_env.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

const std::string kNs = "/api/v1/namespaces/foo";
const std::string kSts = "/apis/apps/v1/namespaces/foo/statefulsets/moco-default";
const std::string kCluster = "/apis/moco.cybozu.com/v1beta2/namespaces/foo/mysqlclusters/default";

std::string PvcSize(OperatorEnv& env, int i) {
  return Str(env.Get(kNs + "/persistentvolumeclaims/mysql-data-moco-default-" + std::to_string(i)),
             {"spec", "resources", "requests", "storage"});
}

class ResizeTest : public ::testing::Test {
 protected:
  // A 3-instance cluster on `storage_class`, with its Pods and PVCs, settled.
  void Start(const std::string& storage_class, bool expandable) {
    json::object sc{{"apiVersion", "storage.k8s.io/v1"},
                    {"kind", "StorageClass"},
                    {"metadata", {{"name", storage_class}}},
                    {"provisioner", "kcx.dev/local"}};
    if (expandable)
      sc["allowVolumeExpansion"] = true;
    auto r = env_.srv().Call("POST", "/apis/storage.k8s.io/v1/storageclasses", json::value(sc));
    ASSERT_EQ(r.code, 201) << r.body;
    env_.StartOperator();
    std::string manifest = kDocManifest;
    manifest.replace(manifest.find("spec:\n"), 6, "spec:\n  replicas: 3\n");
    auto k = env_.srv().Kubectl({"apply", "-f", "-"}, manifest);
    ASSERT_EQ(k.exit_code, 0) << k.err;
    ASSERT_TRUE(Eventually([&] { return env_.Exists(kSts); }));
    env_.CreatePodsAndPvcs("foo", "default", 3, "1Gi", storage_class);
    env_.SetStatefulSetStatus("foo", "moco-default", 3);
    ASSERT_TRUE(env_.Settle());
    for (int i = 0; i < 3; ++i) {
      std::string pod = "moco-default-" + std::to_string(i);
      pod_uids_.push_back(env_.Uid(kNs + "/pods/" + pod));
      pvc_uids_.push_back(env_.Uid(kNs + "/persistentvolumeclaims/mysql-data-" + pod));
    }
    sts_uid_ = env_.Uid(kSts);
  }
  void SetStorage(const std::string& size) {
    std::string patch = R"({"spec":{"volumeClaimTemplates":[{"metadata":{"name":"mysql-data"},)"
                        R"("spec":{"accessModes":["ReadWriteOnce"],)"
                        R"("resources":{"requests":{"storage":")" +
                        size + R"("}}}}]}})";
    auto k = env_.srv().Kubectl(
        {"-n", "foo", "patch", "mysqlcluster", "default", "--type=merge", "-p", patch});
    ASSERT_EQ(k.exit_code, 0) << k.err;
  }
  void ExpectPodsAndPvcsUntouched() {
    for (int i = 0; i < 3; ++i) {
      std::string pod = "moco-default-" + std::to_string(i);
      EXPECT_EQ(env_.Uid(kNs + "/pods/" + pod), pod_uids_[i]) << pod;
      EXPECT_EQ(env_.Uid(kNs + "/persistentvolumeclaims/mysql-data-" + pod), pvc_uids_[i]);
    }
  }
  OperatorEnv env_;
  std::vector<std::string> pod_uids_, pvc_uids_;
  std::string sts_uid_;
};

TEST_F(ResizeTest, GrowOneToTwoGiRecreatesTheStatefulSetAndKeepsPods) {
  Start("standard", true);
  SetStorage("2Gi");
  ASSERT_TRUE(Eventually([&] {
    return PvcSize(env_, 0) == "2Gi" && PvcSize(env_, 1) == "2Gi" && PvcSize(env_, 2) == "2Gi";
  }));
  ASSERT_TRUE(Eventually([&] {
    std::string uid = env_.Uid(kSts);
    return !uid.empty() && uid != sts_uid_;
  }));
  json::value sts = env_.Get(kSts);
  EXPECT_NE(Str(sts, {"spec", "volumeClaimTemplates"}).find("2Gi"), std::string::npos);
  EXPECT_EQ(Str(sts, {"spec", "volumeClaimTemplates"}).find("1Gi"), std::string::npos);
  ExpectPodsAndPvcsUntouched();
  // Orphaned, not deleted: the Pods lost the old owner reference and nothing else.
  for (int i = 0; i < 3; ++i) {
    json::value pod = env_.Get(kNs + "/pods/moco-default-" + std::to_string(i));
    EXPECT_EQ(Str(pod, {"metadata", "ownerReferences"}).find(sts_uid_), std::string::npos);
    EXPECT_EQ(Str(pod, {"metadata", "deletionTimestamp"}), "");
  }
  ASSERT_TRUE(env_.Settle());
  auto resized = env_.EventMessages("foo", "VolumeResized");
  ASSERT_EQ(resized.size(), 1u);
  EXPECT_NE(resized[0].find("mysql-data-moco-default-2"), std::string::npos) << resized[0];
  EXPECT_EQ(env_.EventMessages("foo", "StatefulSetRecreated").size(), 1u);
  std::string m = env_.Metrics();
  EXPECT_NE(m.find(R"(moco_cluster_volume_resized_total{name="default",namespace="foo"} 1)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(R"(moco_cluster_statefulset_recreate_total{name="default",namespace="foo"} 1)"),
            std::string::npos);
  EXPECT_EQ(m.find("moco_cluster_volume_resized_errors_total{"), std::string::npos);

  // Settled again: another resync resizes and re-creates nothing.
  env_.SetStatefulSetStatus("foo", "moco-default", 3);
  std::string uid = env_.Uid(kSts);
  env_.Resync("foo", "default");
  EXPECT_EQ(env_.Uid(kSts), uid);
  EXPECT_EQ(env_.EventMessages("foo", "VolumeResized").size(), 1u);
}

TEST_F(ResizeTest, ClassThatCannotExpandBlocksWithConditionAndEvent) {
  Start("fixed", false);
  SetStorage("2Gi");
  ASSERT_TRUE(Eventually([&] {
    return ConditionField(env_.Get(kCluster), "VolumeResizeBlocked", "reason") ==
           "StorageClassNotExpandable";
  }));
  json::value c = env_.Get(kCluster);
  EXPECT_EQ(ConditionField(c, "VolumeResizeBlocked", "status"), "True");
  EXPECT_NE(
      ConditionField(c, "VolumeResizeBlocked", "message").find("does not allow volume expansion"),
      std::string::npos);
  ASSERT_TRUE(Eventually(
      [&] { return env_.EventMessages("foo", "StorageClassNotExpandable").size() == 1; }));
  // Nothing was half-done: no PVC grew, the StatefulSet kept its template and identity.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(PvcSize(env_, i), "1Gi");
  EXPECT_EQ(env_.Uid(kSts), sts_uid_);
  EXPECT_NE(Str(env_.Get(kSts), {"spec", "volumeClaimTemplates"}).find("1Gi"), std::string::npos);
  EXPECT_NE(env_.Metrics().find("moco_cluster_volume_resized_errors_total{name=\"default\""),
            std::string::npos);
  // Back to the old size: the condition clears.
  SetStorage("1Gi");
  ASSERT_TRUE(Eventually([&] {
    return ConditionField(env_.Get(kCluster), "VolumeResizeBlocked", "status") == "False";
  }));
  ExpectPodsAndPvcsUntouched();
}

TEST_F(ResizeTest, ShrinkIsRefusedAndNothingChanges) {
  Start("standard", true);
  SetStorage("512Mi");
  ASSERT_TRUE(Eventually([&] {
    return ConditionField(env_.Get(kCluster), "VolumeResizeBlocked", "reason") ==
           "VolumeShrinkNotSupported";
  }));
  EXPECT_NE(
      ConditionField(env_.Get(kCluster), "VolumeResizeBlocked", "message").find("cannot shrink"),
      std::string::npos);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(PvcSize(env_, i), "1Gi");
  EXPECT_EQ(env_.Uid(kSts), sts_uid_);
  ExpectPodsAndPvcsUntouched();
}

TEST_F(ResizeTest, StatefulSetMidUpdateDefersTheResize) {
  Start("standard", true);
  env_.SetStatefulSetStatus("foo", "moco-default", 2);  // one Pod not ready: rolling
  SetStorage("2Gi");
  ASSERT_TRUE(Eventually([&] {
    return ConditionField(env_.Get(kCluster), "VolumeResizeBlocked", "reason") ==
           "StatefulSetUpdating";
  }));
  env_.Resync("foo", "default");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(PvcSize(env_, i), "1Gi");
  EXPECT_EQ(env_.Uid(kSts), sts_uid_);
  EXPECT_EQ(env_.EventMessages("foo", "VolumeResizeDeferred").size(), 1u);

  // The rollout finishes: the deferred resize goes ahead on the next check.
  env_.SetStatefulSetStatus("foo", "moco-default", 3);
  ASSERT_TRUE(Eventually([&] {
    return PvcSize(env_, 0) == "2Gi" && PvcSize(env_, 2) == "2Gi" && env_.Uid(kSts) != sts_uid_;
  }));
  ExpectPodsAndPvcsUntouched();
}

TEST_F(ResizeTest, PvcAlreadyLargerIsLeftAloneAndSaid) {
  Start("standard", true);
  // pvc-autoresizer grew instance 1 to 5Gi.
  auto r = env_.srv().Call("PATCH", kNs + "/persistentvolumeclaims/mysql-data-moco-default-1",
                           R"({"spec":{"resources":{"requests":{"storage":"5Gi"}}}})",
                           "application/merge-patch+json");
  ASSERT_EQ(r.code, 200) << r.body;
  SetStorage("2Gi");
  ASSERT_TRUE(Eventually([&] { return PvcSize(env_, 0) == "2Gi" && PvcSize(env_, 2) == "2Gi"; }));
  EXPECT_EQ(PvcSize(env_, 1), "5Gi");  // never shrunk
  ASSERT_TRUE(Eventually([&] { return env_.Uid(kSts) != sts_uid_; }));
  auto said = env_.EventMessages("foo", "PVCLargerThanTemplate");
  ASSERT_FALSE(said.empty());
  EXPECT_NE(said[0].find("mysql-data-moco-default-1 already requests 5Gi"), std::string::npos)
      << said[0];
  ExpectPodsAndPvcsUntouched();
}

}  // namespace
}  // namespace kcx::testenv
