// ApplyWouldChange: the local stand-in for a server-side apply that the Applier uses to skip
// writes. It must say "no change" exactly when the server would store the same object.

#include "runtime/object_client.h"

#include <gtest/gtest.h>

#include "api/ssa/field_manager.h"

namespace kcx::runtime {
namespace {

namespace json = boost::json;

json::object Obj(std::string_view s) { return json::parse(s).as_object(); }

// What the server stores after `manager` applies `config` to `live` (nullptr: create).
json::object Applied(const json::object* live, const json::object& config,
                     const std::string& manager) {
  api::ssa::WriteContext ctx;
  ctx.manager = manager;
  ctx.api_version = "v1";
  ctx.kind = "ConfigMap";
  ctx.time = "2026-12-03T10:00:00Z";
  auto r =
      api::ssa::ApplyConfig(*api::ssa::BuiltinSchema("", "ConfigMap"), live, config, ctx, true);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  json::object o = *r;
  o["metadata"].as_object()["resourceVersion"] = "7";
  return o;
}

const char* kConfig = R"({"apiVersion":"v1","kind":"ConfigMap",
  "metadata":{"name":"c","namespace":"ns","labels":{"app":"x"}},"data":{"a":"1","b":"2"}})";

TEST(ApplyWouldChangeTest, SameConfigurationChangesNothing) {
  json::object live = Applied(nullptr, Obj(kConfig), "op");
  auto r = ApplyWouldChange(live, Obj(kConfig), "op");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(*r);
}

TEST(ApplyWouldChangeTest, ChangedAddedOrDroppedFieldsChange) {
  json::object live = Applied(nullptr, Obj(kConfig), "op");
  json::object changed = Obj(kConfig);
  changed["data"].as_object()["a"] = "9";
  EXPECT_TRUE(*ApplyWouldChange(live, changed, "op"));
  json::object added = Obj(kConfig);
  added["data"].as_object()["c"] = "3";
  EXPECT_TRUE(*ApplyWouldChange(live, added, "op"));
  // Dropping a field the manager applied removes it from the object.
  json::object dropped = Obj(kConfig);
  dropped["data"].as_object().erase("b");
  EXPECT_TRUE(*ApplyWouldChange(live, dropped, "op"));
}

TEST(ApplyWouldChangeTest, SomeoneElsesChangeToAnOwnedFieldIsPutBack) {
  json::object live = Applied(nullptr, Obj(kConfig), "op");
  live["data"].as_object()["a"] = "edited";  // e.g. kubectl edit, without taking ownership
  EXPECT_TRUE(*ApplyWouldChange(live, Obj(kConfig), "op"));
}

TEST(ApplyWouldChangeTest, FieldsOfOtherManagersDoNotCount) {
  json::object live = Applied(nullptr, Obj(kConfig), "op");
  json::object other = Obj(R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"c","namespace":"ns"},"data":{"z":"other"}})");
  live = Applied(&live, other, "someone");
  EXPECT_FALSE(*ApplyWouldChange(live, Obj(kConfig), "op"));
  // A different manager applying our configuration would take ownership: a change.
  EXPECT_TRUE(*ApplyWouldChange(live, Obj(kConfig), "newcomer"));
}

TEST(ApplyWouldChangeTest, ManagedFieldsOrderAndTimesDoNotCount) {
  json::object live = Applied(nullptr, Obj(kConfig), "op");
  json::object other = Obj(R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"c","namespace":"ns"},"data":{"z":"other"}})");
  live = Applied(&live, other, "someone");
  json::array& mf = live["metadata"].as_object()["managedFields"].as_array();
  ASSERT_EQ(mf.size(), 2u);
  std::swap(mf[0], mf[1]);
  EXPECT_FALSE(*ApplyWouldChange(live, Obj(kConfig), "op"));
}

TEST(ApplyWouldChangeTest, WrongKindIsAnError) {
  json::object live = Applied(nullptr, Obj(kConfig), "op");
  json::object wrong = Obj(kConfig);
  wrong["apiVersion"] = "apps/v1";
  EXPECT_FALSE(ApplyWouldChange(live, wrong, "op").ok());
}

}  // namespace
}  // namespace kcx::runtime
