#include "apiserver/gc/deletion_policy.h"

#include <gtest/gtest.h>

namespace kcx::apiserver::gc {
namespace {

using V = std::vector<std::string>;

PropagationRequest Policy(std::string p) { return PropagationRequest{std::nullopt, std::move(p)}; }

TEST(DefaultGcPolicy, FollowsTheRegistryStrategies) {
  EXPECT_EQ(DefaultGcPolicy("", "v1", "configmaps"), GcPolicy::kDeleteDependents);
  EXPECT_EQ(DefaultGcPolicy("apps", "v1", "deployments"), GcPolicy::kDeleteDependents);
  EXPECT_EQ(DefaultGcPolicy("apps", "v1", "statefulsets"), GcPolicy::kDeleteDependents);
  EXPECT_EQ(DefaultGcPolicy("apps", "v1beta2", "deployments"), GcPolicy::kOrphanDependents);
  EXPECT_EQ(DefaultGcPolicy("", "v1", "replicationcontrollers"), GcPolicy::kOrphanDependents);
  EXPECT_EQ(DefaultGcPolicy("batch", "v1", "jobs"), GcPolicy::kOrphanDependents);
  EXPECT_EQ(DefaultGcPolicy("batch", "v1", "cronjobs"), GcPolicy::kDeleteDependents);
  EXPECT_EQ(DefaultGcPolicy("", "v1", "events"), GcPolicy::kUnsupported);
  EXPECT_EQ(DefaultGcPolicy("events.k8s.io", "v1", "events"), GcPolicy::kUnsupported);
}

TEST(DeletionFinalizers, BackgroundAddsNothing) {
  auto [changed, f] = DeletionFinalizers(GcPolicy::kDeleteDependents, Policy("Background"), {});
  EXPECT_FALSE(changed);
  EXPECT_TRUE(f.empty());
  std::tie(changed, f) = DeletionFinalizers(GcPolicy::kDeleteDependents, Policy(""), {});
  EXPECT_FALSE(changed);
}

TEST(DeletionFinalizers, OrphanAndForegroundAppendTheirFinalizer) {
  auto [c1, f1] = DeletionFinalizers(GcPolicy::kDeleteDependents, Policy("Orphan"), {"x/y"});
  EXPECT_TRUE(c1);
  EXPECT_EQ(f1, (V{"x/y", "orphan"}));
  auto [c2, f2] = DeletionFinalizers(GcPolicy::kDeleteDependents, Policy("Foreground"), {});
  EXPECT_TRUE(c2);
  EXPECT_EQ(f2, (V{"foregroundDeletion"}));
}

TEST(DeletionFinalizers, ARepeatedDeleteSwapsThePolicy) {
  auto [c1, f1] =
      DeletionFinalizers(GcPolicy::kDeleteDependents, Policy("Foreground"), {"orphan", "a/b"});
  EXPECT_TRUE(c1);
  EXPECT_EQ(f1, (V{"a/b", "foregroundDeletion"}));
  auto [c2, f2] = DeletionFinalizers(GcPolicy::kDeleteDependents, Policy("Background"), {"orphan"});
  EXPECT_TRUE(c2);
  EXPECT_TRUE(f2.empty());
  // No policy: the finalizer already there decides, nothing changes.
  auto [c3, f3] = DeletionFinalizers(GcPolicy::kDeleteDependents, Policy(""), {"orphan"});
  EXPECT_FALSE(c3);
  EXPECT_EQ(f3, (V{"orphan"}));
}

TEST(DeletionFinalizers, TypeDefaultsAndOrphanDependents) {
  auto [c1, f1] = DeletionFinalizers(GcPolicy::kOrphanDependents, Policy(""), {});
  EXPECT_TRUE(c1);
  EXPECT_EQ(f1, (V{"orphan"}));
  PropagationRequest od{false, ""};
  auto [c2, f2] = DeletionFinalizers(GcPolicy::kOrphanDependents, od, {});
  EXPECT_FALSE(c2);
  PropagationRequest ot{true, ""};
  auto [c3, f3] = DeletionFinalizers(GcPolicy::kDeleteDependents, ot, {"foregroundDeletion"});
  EXPECT_TRUE(c3);
  EXPECT_EQ(f3, (V{"orphan"}));
  // Events: the GC finalizers are never added.
  auto [c4, f4] = DeletionFinalizers(GcPolicy::kUnsupported, Policy("Orphan"), {});
  EXPECT_FALSE(c4);
}

}  // namespace
}  // namespace kcx::apiserver::gc
