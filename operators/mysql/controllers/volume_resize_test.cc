#include "operators/mysql/controllers/volume_resize.h"

#include <gtest/gtest.h>

namespace kcx::mysql::controllers {
namespace {

namespace json = boost::json;

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }
json::array Arr(std::string_view text) { return json::parse(text).as_array(); }

json::object SettledSts() {
  return Obj(R"({"metadata":{"name":"moco-a","generation":3},
    "spec":{"replicas":3,"updateStrategy":{"type":"RollingUpdate"}},
    "status":{"observedGeneration":3,"replicas":3,"readyReplicas":3,"updatedReplicas":3,
              "currentRevision":"r1","updateRevision":"r1"}})");
}

TEST(StatefulSetUpdatingTest, SettledIsNotUpdating) {
  std::string why;
  EXPECT_FALSE(StatefulSetUpdating(SettledSts(), &why));
  EXPECT_EQ(why, "");
}

TEST(StatefulSetUpdatingTest, EachUnfinishedStateCounts) {
  std::string why;
  auto s = SettledSts();
  s["metadata"].as_object()["generation"] = 4;
  EXPECT_TRUE(StatefulSetUpdating(s, &why));
  EXPECT_NE(why.find("not observed"), std::string::npos) << why;

  s = SettledSts();
  s["status"].as_object()["readyReplicas"] = 2;
  EXPECT_TRUE(StatefulSetUpdating(s, &why));
  EXPECT_EQ(why, "2 of 3 replicas are ready");

  s = SettledSts();
  s["status"].as_object()["updateRevision"] = "r2";
  EXPECT_TRUE(StatefulSetUpdating(s, &why));
  EXPECT_NE(why.find("r2"), std::string::npos) << why;

  s = SettledSts();
  s["spec"].as_object()["updateStrategy"] =
      Obj(R"({"type":"RollingUpdate","rollingUpdate":{"partition":2}})");
  s["status"].as_object()["updatedReplicas"] = 0;
  EXPECT_TRUE(StatefulSetUpdating(s, &why));
  EXPECT_NE(why.find("partition"), std::string::npos) << why;

  s = SettledSts();
  s["metadata"].as_object()["deletionTimestamp"] = "2026-12-03T00:00:00Z";
  EXPECT_TRUE(StatefulSetUpdating(s, &why));
  EXPECT_EQ(why, "it is being deleted");

  // A StatefulSet without status (just created) is not settled.
  EXPECT_TRUE(StatefulSetUpdating(Obj(R"({"metadata":{"generation":1},"spec":{"replicas":1}})")));
}

const char* kLive = R"([{"metadata":{"name":"mysql-data"},
  "spec":{"accessModes":["ReadWriteOnce"],"volumeMode":"Filesystem",
          "resources":{"requests":{"storage":"1Gi"}}}}])";

TEST(PlanVolumesTest, SameTemplatesWithServerDefaultsDoNotDiffer) {
  auto desired = Arr(R"([{"metadata":{"name":"mysql-data"},
    "spec":{"resources":{"requests":{"storage":"1024Mi"}}}}])");
  VolumePlan p = PlanVolumes(desired, Arr(kLive));
  EXPECT_FALSE(p.templates_differ);  // 1024Mi == 1Gi; RWO and Filesystem are the defaults
  EXPECT_TRUE(p.grow.empty());
  EXPECT_TRUE(p.shrink.empty());
}

TEST(PlanVolumesTest, GrowthShrinkAndOtherChanges) {
  auto grow = Arr(R"([{"metadata":{"name":"mysql-data"},
    "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"2Gi"}}}}])");
  VolumePlan p = PlanVolumes(grow, Arr(kLive));
  EXPECT_TRUE(p.templates_differ);
  ASSERT_EQ(p.grow.size(), 1u);
  EXPECT_EQ(p.grow[0].template_name, "mysql-data");
  EXPECT_EQ(p.grow[0].from, "1Gi");
  EXPECT_EQ(p.grow[0].to, "2Gi");

  auto shrink = Arr(R"([{"metadata":{"name":"mysql-data"},
    "spec":{"resources":{"requests":{"storage":"512Mi"}}}}])");
  p = PlanVolumes(shrink, Arr(kLive));
  ASSERT_EQ(p.shrink.size(), 1u);
  EXPECT_TRUE(p.grow.empty());

  auto labelled = Arr(R"([{"metadata":{"name":"mysql-data","labels":{"a":"b"}},
    "spec":{"resources":{"requests":{"storage":"1Gi"}}}}])");
  p = PlanVolumes(labelled, Arr(kLive));
  EXPECT_TRUE(p.templates_differ);
  EXPECT_TRUE(p.grow.empty());

  auto added = Arr(R"([{"metadata":{"name":"mysql-data"},
    "spec":{"resources":{"requests":{"storage":"1Gi"}}}},
    {"metadata":{"name":"extra"},"spec":{"resources":{"requests":{"storage":"1Gi"}}}}])");
  p = PlanVolumes(added, Arr(kLive));
  EXPECT_TRUE(p.templates_differ);
}

json::object Pvc(std::string_view storage, std::string_view cls) {
  json::object p =
      Obj(R"({"metadata":{"name":"mysql-data-moco-a-0"},"spec":{"resources":{"requests":{}}}})");
  p["spec"].as_object()["resources"].as_object()["requests"].as_object()["storage"] = storage;
  if (!cls.empty())
    p["spec"].as_object()["storageClassName"] = cls;
  return p;
}

TEST(DecidePvcTest, Cases) {
  StorageChange ch{"mysql-data", "1Gi", "2Gi"};
  auto expandable = Obj(R"({"metadata":{"name":"local"},"allowVolumeExpansion":true})");
  auto fixed = Obj(R"({"metadata":{"name":"fixed"}})");

  EXPECT_EQ(DecidePvc(Pvc("1Gi", "local"), ch, expandable).kind, PvcDecision::kPatch);
  EXPECT_EQ(DecidePvc(Pvc("2Gi", "local"), ch, expandable).kind, PvcDecision::kDone);
  EXPECT_EQ(DecidePvc(Pvc("2048Mi", "local"), ch, expandable).kind, PvcDecision::kDone);

  auto larger = DecidePvc(Pvc("5Gi", "local"), ch, expandable);
  EXPECT_EQ(larger.kind, PvcDecision::kLarger);
  EXPECT_NE(larger.message.find("already requests 5Gi"), std::string::npos) << larger.message;

  auto nx = DecidePvc(Pvc("1Gi", "fixed"), ch, fixed);
  EXPECT_EQ(nx.kind, PvcDecision::kNotExpandable);
  EXPECT_NE(nx.message.find("StorageClass fixed"), std::string::npos) << nx.message;
  EXPECT_NE(nx.message.find("does not allow volume expansion"), std::string::npos);

  auto none = DecidePvc(Pvc("1Gi", ""), ch, std::nullopt);
  EXPECT_EQ(none.kind, PvcDecision::kNotExpandable);
  EXPECT_NE(none.message.find("has no StorageClass"), std::string::npos) << none.message;

  auto missing = DecidePvc(Pvc("1Gi", "gone"), ch, std::nullopt);
  EXPECT_NE(missing.message.find("gone does not exist"), std::string::npos) << missing.message;
}

}  // namespace
}  // namespace kcx::mysql::controllers
