#include "runtime/store.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace kcx::runtime {
namespace {

ObjectPtr Obj(const std::string& ns, const std::string& name, const std::string& rv,
              const std::string& labels = "{}") {
  auto o = Object::FromJson(R"({"metadata":{"namespace":")" + ns + R"(","name":")" + name +
                            R"(","resourceVersion":")" + rv + R"(","labels":)" + labels + "}}");
  EXPECT_TRUE(o.ok());
  return *o;
}

std::vector<std::string> Names(std::vector<ObjectPtr> v) {
  std::vector<std::string> out;
  for (auto& o : v) out.emplace_back(o->name());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ObjectTest, IndexesMetadataAndTheControllerRef) {
  auto o = Object::FromJson(R"({"metadata":{"namespace":"n","name":"a","uid":"u1",
      "resourceVersion":"7","generation":3,"labels":{"app":"web"},
      "ownerReferences":[{"apiVersion":"v1","kind":"X","name":"other","uid":"u0"},
                         {"apiVersion":"apps/v1","kind":"StatefulSet","name":"db","uid":"u2",
                          "controller":true}]},"data":{"k":"v"}})");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ((*o)->Key(), "n/a");
  EXPECT_EQ((*o)->uid(), "u1");
  EXPECT_EQ((*o)->resource_version(), "7");
  EXPECT_EQ((*o)->generation(), 3);
  ASSERT_EQ((*o)->labels().size(), 1u);
  ASSERT_TRUE((*o)->controller().has_value());
  EXPECT_EQ((*o)->controller()->name, "db");
  EXPECT_EQ((*o)->Value().at("data").at("k"), "v");
  EXPECT_FALSE(Object::FromJson("[1]").ok());
}

TEST(IndexerTest, UpsertDeleteAndNamespaceIndex) {
  Indexer s;
  EXPECT_EQ(s.Upsert(Obj("a", "x", "1")), nullptr);
  s.Upsert(Obj("a", "y", "1"));
  s.Upsert(Obj("b", "x", "1"));
  auto old = s.Upsert(Obj("a", "x", "2"));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->resource_version(), "1");
  EXPECT_EQ(s.Size(), 3u);
  EXPECT_EQ(Names(s.ByIndex(kNamespaceIndex, "a")), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(s.Get("a", "x")->resource_version(), "2");
  EXPECT_NE(s.Delete("a/x"), nullptr);
  EXPECT_EQ(s.Delete("a/x"), nullptr);
  EXPECT_EQ(Names(s.ByIndex(kNamespaceIndex, "a")), (std::vector<std::string>{"y"}));
}

TEST(IndexerTest, ListsBySelectorAndCustomIndexes) {
  Indexer s;
  s.Upsert(Obj("a", "web", "1", R"({"app":"web","tier":"fe"})"));
  s.Upsert(Obj("a", "db", "1", R"({"app":"db"})"));
  s.Upsert(Obj("b", "web", "1", R"({"app":"web"})"));
  auto sel = api::LabelSelector::Parse("app=web");
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(s.List("", *sel).size(), 2u);
  EXPECT_EQ(s.List("a", *sel).size(), 1u);
  // An index added later covers objects already cached.
  ASSERT_TRUE(s.AddIndexers({{"app", [](const Object& o) {
                                std::vector<std::string> v;
                                for (auto& [k, val] : o.labels()) {
                                  if (k == "app") v.push_back(val);
                                }
                                return v;
                              }}})
                  .ok());
  EXPECT_EQ(s.ByIndex("app", "web").size(), 2u);
  EXPECT_FALSE(s.AddIndexers({{"app", [](const Object&) { return std::vector<std::string>{}; }}})
                   .ok());
  s.Upsert(Obj("a", "db", "2", R"({"app":"web"})"));
  EXPECT_EQ(s.ByIndex("app", "web").size(), 3u);
  EXPECT_EQ(s.ByIndex("app", "db").size(), 0u);
}

TEST(IndexerTest, ReplaceReportsDeltasAndKeepsSharedSnapshots) {
  Indexer s;
  auto keep = Obj("a", "keep", "1");
  s.Upsert(keep);
  s.Upsert(Obj("a", "change", "1"));
  s.Upsert(Obj("a", "gone", "1"));
  std::unordered_map<std::string, ObjectPtr> items{
      {"a/keep", keep}, {"a/change", Obj("a", "change", "2")}, {"a/new", Obj("a", "new", "1")}};
  auto deltas = s.Replace(std::move(items));
  int added = 0, updated = 0, deleted = 0;
  for (auto& d : deltas) {
    if (d.type == StoreDelta::kAdded) {
      ++added;
      EXPECT_EQ(d.obj->name(), "new");
    } else if (d.type == StoreDelta::kUpdated) {
      ++updated;
      EXPECT_EQ(d.obj->name(), "change");
    } else {
      ++deleted;
      EXPECT_EQ(d.old_obj->name(), "gone");
    }
  }
  EXPECT_EQ(added, 1);
  EXPECT_EQ(updated, 1);  // "keep" is the same snapshot: no update
  EXPECT_EQ(deleted, 1);
  EXPECT_EQ(s.Get("a/keep").get(), keep.get());
  EXPECT_EQ(Names(s.ByIndex(kNamespaceIndex, "a")),
            (std::vector<std::string>{"change", "keep", "new"}));
}

}  // namespace
}  // namespace kcx::runtime
