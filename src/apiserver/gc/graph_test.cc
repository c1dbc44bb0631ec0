#include "apiserver/gc/graph.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "api/json.h"

namespace kcx::apiserver::gc {
namespace {

namespace json = boost::json;

const int kRes = 0;  // an opaque resource pointer
const void* R() { return &kRes; }

MetaSummary Obj(std::string uid, std::vector<OwnerRef> owners = {}) {
  MetaSummary m;
  m.uid = std::move(uid);
  m.ns = "default";
  m.name = "n-" + m.uid;
  m.owners = std::move(owners);
  return m;
}

OwnerRef Ref(std::string uid, bool block = false) {
  OwnerRef r;
  r.api_version = "v1";
  r.kind = "ConfigMap";
  r.name = "n-" + uid;
  r.uid = std::move(uid);
  r.block_owner_deletion = block;
  return r;
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(SummarizeMeta, ReadsOwnersAndGcFinalizers) {
  auto v = api::ParseJson(R"({"metadata":{"name":"a","namespace":"ns","uid":"u",
    "deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["foregroundDeletion","x/y"],
    "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"d","uid":"o1",
      "controller":true,"blockOwnerDeletion":true},{"apiVersion":"v1","kind":"X","name":"y",
      "uid":""}]}})");
  ASSERT_TRUE(v.ok());
  MetaSummary m = SummarizeMeta(v->get_object());
  EXPECT_EQ(m.uid, "u");
  EXPECT_EQ(m.ns, "ns");
  EXPECT_TRUE(m.DeletingDependents());
  EXPECT_FALSE(m.Orphaning());
  ASSERT_EQ(m.owners.size(), 1u);  // a reference without uid is never indexed
  EXPECT_EQ(m.owners[0].kind, "Deployment");
  EXPECT_TRUE(m.owners[0].controller);
  EXPECT_TRUE(m.owners[0].block_owner_deletion);
}

TEST(Graph, NewReferencesAreVerifiedAndIndexed) {
  Graph g;
  GraphWork w;
  g.Upsert(R(), Obj("d1", {Ref("o")}), w);
  EXPECT_TRUE(Has(w.attempt_to_delete, "d1"));
  ASSERT_NE(g.Dependents("o"), nullptr);
  EXPECT_EQ(g.Dependents("o")->count("d1"), 1u);
  // The same object again: nothing new to verify.
  GraphWork w2;
  g.Upsert(R(), Obj("d1", {Ref("o")}), w2);
  EXPECT_TRUE(w2.attempt_to_delete.empty());
  // An object without owners or GC state is not kept.
  g.Upsert(R(), Obj("plain"), w2);
  EXPECT_EQ(g.Find("plain"), nullptr);
}

TEST(Graph, DeletingAnOwnerQueuesItsDependents) {
  Graph g;
  GraphWork w;
  g.Upsert(R(), Obj("d1", {Ref("o")}), w);
  g.Upsert(R(), Obj("d2", {Ref("o"), Ref("p")}), w);
  GraphWork w2;
  g.Remove("o", w2);
  EXPECT_TRUE(Has(w2.attempt_to_delete, "d1"));
  EXPECT_TRUE(Has(w2.attempt_to_delete, "d2"));
  EXPECT_EQ(w2.attempt_to_delete.size(), 2u);
}

TEST(Graph, ForegroundOwnerWaitsForBlockingDependents) {
  Graph g;
  GraphWork w;
  g.Upsert(R(), Obj("d1", {Ref("o", true)}), w);
  g.Upsert(R(), Obj("d2", {Ref("o", false)}), w);
  MetaSummary o = Obj("o");
  o.deleting = true;
  o.foreground_finalizer = true;
  GraphWork w2;
  g.Upsert(R(), o, w2);
  // Every dependent and the owner itself are checked.
  EXPECT_TRUE(Has(w2.attempt_to_delete, "d1"));
  EXPECT_TRUE(Has(w2.attempt_to_delete, "d2"));
  EXPECT_TRUE(Has(w2.attempt_to_delete, "o"));
  EXPECT_EQ(g.BlockingDependents("o"), std::vector<std::string>{"d1"});
  // The blocking dependent goes: the owner is checked again.
  GraphWork w3;
  g.Remove("d1", w3);
  EXPECT_TRUE(Has(w3.attempt_to_delete, "o"));
  EXPECT_TRUE(g.BlockingDependents("o").empty());
  // Unchanged foreground state: no re-queue of the dependents.
  GraphWork w4;
  g.Upsert(R(), o, w4);
  EXPECT_TRUE(w4.attempt_to_delete.empty());
}

TEST(Graph, UnblockingARefWakesTheWaitingOwner) {
  Graph g;
  GraphWork w;
  g.Upsert(R(), Obj("d1", {Ref("o", true)}), w);
  MetaSummary o = Obj("o");
  o.deleting = o.foreground_finalizer = true;
  g.Upsert(R(), o, w);
  GraphWork w2;
  g.Upsert(R(), Obj("d1", {Ref("o", false)}), w2);
  EXPECT_TRUE(Has(w2.attempt_to_delete, "o"));
}

TEST(Graph, OrphanFinalizerQueuesOrphaningOnce) {
  Graph g;
  GraphWork w;
  MetaSummary o = Obj("o");
  o.deleting = o.orphan_finalizer = true;
  g.Upsert(R(), o, w);
  EXPECT_EQ(w.attempt_to_orphan, std::vector<std::string>{"o"});
  GraphWork w2;
  g.Upsert(R(), o, w2);
  EXPECT_TRUE(w2.attempt_to_orphan.empty());
  // The finalizer is removed: the node is dropped.
  o.orphan_finalizer = false;
  g.Upsert(R(), o, w2);
  EXPECT_EQ(g.Find("o"), nullptr);
}

TEST(Graph, DroppedReferenceLeavesTheIndex) {
  Graph g;
  GraphWork w;
  g.Upsert(R(), Obj("d1", {Ref("o"), Ref("p")}), w);
  g.Upsert(R(), Obj("d1", {Ref("p")}), w);
  EXPECT_EQ(g.Dependents("o"), nullptr);
  EXPECT_EQ(g.Dependents("p")->size(), 1u);
  g.RemoveResource(R());
  EXPECT_EQ(g.Find("d1"), nullptr);
  EXPECT_EQ(g.Dependents("p"), nullptr);
}

TEST(DecideDependent, AllOwnersGoneDeletesInBackground) {
  MetaSummary m = Obj("d", {Ref("a"), Ref("b")});
  Decision d = DecideDependent(m, {OwnerState::kDangling, OwnerState::kDangling}, false, false);
  EXPECT_EQ(d.kind, Decision::kDelete);
  EXPECT_EQ(d.policy, "Background");
  m.orphan_finalizer = true;
  EXPECT_EQ(DecideDependent(m, {OwnerState::kDangling, OwnerState::kDangling}, false, false).policy,
            "Orphan");
}

TEST(DecideDependent, ASolidOwnerKeepsTheObjectAndDropsTheOtherRefs) {
  MetaSummary m = Obj("d", {Ref("a"), Ref("b"), Ref("c")});
  Decision d = DecideDependent(m, {OwnerState::kSolid, OwnerState::kDangling, OwnerState::kWaiting},
                               false, false);
  EXPECT_EQ(d.kind, Decision::kRemoveRefs);
  EXPECT_EQ(d.remove_uids, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(
      DecideDependent(m, {OwnerState::kSolid, OwnerState::kSolid, OwnerState::kSolid}, false, false)
          .kind,
      Decision::kNone);
}

TEST(DecideDependent, WaitingOwnerCascadesInTheForeground) {
  MetaSummary m = Obj("d", {Ref("a")});
  EXPECT_EQ(DecideDependent(m, {OwnerState::kWaiting}, false, false).policy, "Background");
  Decision d = DecideDependent(m, {OwnerState::kWaiting}, true, false);
  EXPECT_EQ(d.kind, Decision::kDeleteForeground);
  EXPECT_EQ(d.policy, "Foreground");
  EXPECT_EQ(DecideDependent(m, {OwnerState::kWaiting}, true, true).kind,
            Decision::kUnblockAndDeleteForeground);
}

TEST(DecideDependent, UnresolvableOwnerLeavesTheObjectAlone) {
  MetaSummary m = Obj("d", {Ref("a"), Ref("b")});
  EXPECT_EQ(
      DecideDependent(m, {OwnerState::kDangling, OwnerState::kUnresolvable}, false, false).kind,
      Decision::kNone);
}

}  // namespace
}  // namespace kcx::apiserver::gc
