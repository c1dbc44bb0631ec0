#include "api/ssa/field_manager.h"

#include <gtest/gtest.h>

#include "api/ssa/fieldpath.h"
#include "api/ssa/schema.h"

namespace kcx::api::ssa {
namespace {

namespace json = boost::json;

json::object Obj(std::string_view s) { return json::parse(s).as_object(); }

const json::array& Entries(const json::object& o) {
  return o.at("metadata").at("managedFields").as_array();
}

std::string FieldsOf(const json::object& o, std::string_view manager,
                     std::string_view operation = "") {
  for (const auto& e : Entries(o)) {
    if (e.at("manager").as_string() == manager &&
        (operation.empty() || e.at("operation").as_string() == operation)) {
      std::string out;
      AppendGoJson(out, e.at("fieldsV1"));
      return out;
    }
  }
  return "<none>";
}

WriteContext Ctx(std::string manager, std::string api_version = "apps/v1",
                 std::string time = "2026-11-25T20:00:00Z") {
  WriteContext c;
  c.manager = std::move(manager);
  c.api_version = std::move(api_version);
  c.time = std::move(time);
  return c;
}

const TypeSchema& Deployments() { return *BuiltinSchema("apps", "Deployment"); }

// `kubectl create deployment nginx --image=nginx` after defaulting, as kube-apiserver records
// it for manager kubectl-create.
constexpr std::string_view kCreatedDeployment = R"({
  "apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"nginx","namespace":"default","labels":{"app":"nginx"}},
  "spec":{"replicas":1,"selector":{"matchLabels":{"app":"nginx"}},
    "template":{"metadata":{"labels":{"app":"nginx"}},
      "spec":{"containers":[{"name":"nginx","image":"nginx","resources":{},
        "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",
        "imagePullPolicy":"Always"}],
      "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst",
      "securityContext":{},"schedulerName":"default-scheduler"}},
    "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},
    "revisionHistoryLimit":10,"progressDeadlineSeconds":600},
  "status":{}})";

TEST(FieldManagerTest, CreateRecordsUpdateEntryLikeKube) {
  json::object obj = Obj(kCreatedDeployment);
  WriteContext ctx = Ctx("kubectl-create");
  ctx.has_status_subresource = true;
  ASSERT_TRUE(UpdateManagedFields(Deployments(), nullptr, obj, ctx).ok());
  ASSERT_EQ(Entries(obj).size(), 1u);
  const json::object& e = Entries(obj)[0].as_object();
  EXPECT_EQ(e.at("manager"), "kubectl-create");
  EXPECT_EQ(e.at("operation"), "Update");
  EXPECT_EQ(e.at("apiVersion"), "apps/v1");
  EXPECT_EQ(e.at("time"), "2026-11-25T20:00:00Z");
  EXPECT_EQ(e.at("fieldsType"), "FieldsV1");
  EXPECT_FALSE(e.contains("subresource"));
  EXPECT_EQ(
      FieldsOf(obj, "kubectl-create"),
      R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:progressDeadlineSeconds":{},)"
      R"("f:replicas":{},"f:revisionHistoryLimit":{},"f:selector":{},"f:strategy":{)"
      R"("f:rollingUpdate":{".":{},"f:maxSurge":{},"f:maxUnavailable":{}},"f:type":{}},)"
      R"("f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{)"
      R"("k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},)"
      R"("f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},)"
      R"("f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},)"
      R"("f:terminationGracePeriodSeconds":{}}}}})");
}

TEST(FieldManagerTest, UpdateMergesPerManagerAndTakesFieldsFromOthers) {
  json::object live = Obj(kCreatedDeployment);
  ASSERT_TRUE(UpdateManagedFields(Deployments(), nullptr, live, Ctx("kubectl-create")).ok());
  json::object next = live;
  next["spec"].as_object()["replicas"] = 3;
  ASSERT_TRUE(UpdateManagedFields(Deployments(), &live, next,
                                  Ctx("kubectl-scale", "apps/v1", "2026-11-25T20:01:00Z"))
                  .ok());
  ASSERT_EQ(Entries(next).size(), 2u);
  EXPECT_EQ(FieldsOf(next, "kubectl-scale"), R"({"f:spec":{"f:replicas":{}}})");
  EXPECT_EQ(FieldsOf(next, "kubectl-create").find("f:replicas"), std::string::npos);
  // Sorted by operation, then time: the older entry first.
  EXPECT_EQ(Entries(next)[0].at("manager"), "kubectl-create");
  // A no-op update by a third manager records nothing.
  json::object same = next;
  ASSERT_TRUE(UpdateManagedFields(Deployments(), &next, same, Ctx("noop")).ok());
  EXPECT_EQ(Entries(same).size(), 2u);
  EXPECT_EQ(FieldsOf(same, "noop"), "<none>");
}

TEST(FieldManagerTest, ResetAndRewriteOfManagedFields) {
  json::object live = Obj(kCreatedDeployment);
  ASSERT_TRUE(UpdateManagedFields(Deployments(), nullptr, live, Ctx("kubectl-create")).ok());

  // [{}] clears (the update changes nothing else, so nothing is recorded).
  json::object cleared = live;
  cleared["metadata"].as_object()["managedFields"] = json::array{json::object{}};
  ASSERT_TRUE(UpdateManagedFields(Deployments(), &live, cleared, Ctx("kubectl-edit")).ok());
  EXPECT_FALSE(cleared.at("metadata").as_object().contains("managedFields"));

  // A valid rewritten list replaces the live one (csaupgrade turns the entry into Apply).
  json::object upgraded = live;
  json::object entry = Entries(live)[0].as_object();
  entry["manager"] = "kubectl";
  entry["operation"] = "Apply";
  upgraded["metadata"].as_object()["managedFields"] = json::array{entry};
  ASSERT_TRUE(UpdateManagedFields(Deployments(), &live, upgraded, Ctx("kubectl-patch")).ok());
  ASSERT_EQ(Entries(upgraded).size(), 1u);
  EXPECT_EQ(Entries(upgraded)[0].at("manager"), "kubectl");
  EXPECT_EQ(Entries(upgraded)[0].at("operation"), "Apply");

  // An invalid list is ignored: the live entries stay.
  json::object invalid = live;
  invalid["metadata"].as_object()["managedFields"] =
      json::array{json::object{{"manager", "x"}, {"operation", "Bogus"}}};
  ASSERT_TRUE(UpdateManagedFields(Deployments(), &live, invalid, Ctx("kubectl-edit")).ok());
  ASSERT_EQ(Entries(invalid).size(), 1u);
  EXPECT_EQ(Entries(invalid)[0].at("manager"), "kubectl-create");
}

TEST(FieldManagerTest, CsaToSsaMigrationThenDroppingAFieldRemovesIt) {
  // Client-side apply created the object; csaupgrade renamed its entry to Apply/kubectl.
  json::object live = Obj(R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"c","namespace":"default"},"data":{"a":"1","b":"2"}})");
  const TypeSchema& cms = *BuiltinSchema("", "ConfigMap");
  ASSERT_TRUE(UpdateManagedFields(cms, nullptr, live, Ctx("kubectl-client-side-apply", "v1")).ok());
  json::object upgraded = live;
  json::object entry = Entries(live)[0].as_object();
  entry["manager"] = "kubectl";
  entry["operation"] = "Apply";
  upgraded["metadata"].as_object()["managedFields"] = json::array{entry};
  ASSERT_TRUE(UpdateManagedFields(cms, &live, upgraded, Ctx("kubectl-patch", "v1")).ok());
  auto applied = ApplyConfig(cms, &upgraded, Obj(R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"c","namespace":"default"},"data":{"a":"1"}})"),
                             Ctx("kubectl", "v1"), false);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->at("data"), json::parse(R"({"a":"1"})"));
  // Apply sets name declared fields without ".": data is a field of ConfigMap.
  EXPECT_EQ(FieldsOf(*applied, "kubectl"), R"({"f:data":{"f:a":{}}})");
}

TEST(FieldManagerTest, ApplyCreatesAndConflictsInKubesWords) {
  WriteContext m1 = Ctx("m1");
  m1.kind = "Deployment";
  auto created = ApplyConfig(Deployments(), nullptr, Obj(R"({"apiVersion":"apps/v1",
      "kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":1,"paused":false}})"),
                             m1, false);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->at("spec").at("replicas"), 1);
  EXPECT_EQ(FieldsOf(*created, "m1", "Apply"), R"({"f:spec":{"f:paused":{},"f:replicas":{}}})");
  EXPECT_EQ(Entries(*created)[0].at("time"), "2026-11-25T20:00:00Z");

  WriteContext m2 = Ctx("m2");
  auto conflict = ApplyConfig(Deployments(), &*created, Obj(R"({"apiVersion":"apps/v1",
      "kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":2}})"),
                              m2, false);
  ASSERT_FALSE(conflict.ok());
  const Status& st = conflict.status();
  EXPECT_EQ(st.code(), 409);
  EXPECT_EQ(st.message(), R"(Apply failed with 1 conflict: conflict with "m1": .spec.replicas)");
  ASSERT_TRUE(st.details().has_value());
  ASSERT_EQ(st.details()->causes.size(), 1u);
  EXPECT_EQ(st.details()->causes[0].type, "FieldManagerConflict");
  EXPECT_EQ(st.details()->causes[0].message, R"(conflict with "m1")");
  EXPECT_EQ(st.details()->causes[0].field, ".spec.replicas");

  // Two conflicts, one with an Update manager.
  json::object updated = *created;
  updated["spec"].as_object()["paused"] = true;
  ASSERT_TRUE(UpdateManagedFields(Deployments(), &*created, updated, Ctx("kubectl-edit")).ok());
  auto two = ApplyConfig(Deployments(), &updated, Obj(R"({"apiVersion":"apps/v1",
      "kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":2,"paused":false}})"),
                         m2, false);
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().message(),
            "Apply failed with 2 conflicts: conflicts with \"kubectl-edit\" using apps/v1:\n"
            "- .spec.paused\nconflicts with \"m1\":\n- .spec.replicas");

  // Force moves ownership.
  auto forced = ApplyConfig(Deployments(), &updated, Obj(R"({"apiVersion":"apps/v1",
      "kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":2,"paused":false}})"),
                            Ctx("m2", "apps/v1", "2026-11-25T20:05:00Z"), true);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->at("spec").at("replicas"), 2);
  EXPECT_EQ(FieldsOf(*forced, "m2"), R"({"f:spec":{"f:paused":{},"f:replicas":{}}})");
  EXPECT_EQ(FieldsOf(*forced, "m1"), "<none>");
  EXPECT_EQ(FieldsOf(*forced, "kubectl-edit"), "<none>");
}

TEST(FieldManagerTest, ApplyRemovesFieldsNoLongerAppliedUnlessOwnedElsewhere) {
  const TypeSchema& s = Deployments();
  auto v1 = ApplyConfig(s, nullptr, Obj(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"d","labels":{"a":"1","b":"2"}},
      "spec":{"template":{"spec":{"containers":[{"name":"c","image":"i",
        "env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}]}]}}}})"),
                        Ctx("m1"), false);
  ASSERT_TRUE(v1.ok());
  auto v2 = ApplyConfig(s, &*v1, Obj(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"d","labels":{"b":"2"}}})"),
                        Ctx("m2"), false);
  ASSERT_TRUE(v2.ok());
  auto v3 = ApplyConfig(s, &*v2, Obj(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"d","labels":{"a":"1"}},
      "spec":{"template":{"spec":{"containers":[{"name":"c","image":"i",
        "env":[{"name":"X","value":"1"}]}]}}}})"),
                        Ctx("m1"), false);
  ASSERT_TRUE(v3.ok()) << v3.status().ToString();
  EXPECT_EQ(v3->at("metadata").at("labels"), json::parse(R"({"a":"1","b":"2"})"));
  EXPECT_EQ(v3->at("spec").at("template").at("spec").at("containers").at(0).at("env"),
            json::parse(R"([{"name":"X","value":"1"}])"));
  EXPECT_EQ(v3->at("metadata").at("name"), "d");
}

TEST(FieldManagerTest, ApplyUnchangedKeepsTimeAndValidatesRequest) {
  const TypeSchema& s = Deployments();
  std::string_view cfg = R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"d"},"spec":{"replicas":1}})";
  auto a = ApplyConfig(s, nullptr, Obj(cfg), Ctx("m1"), false);
  ASSERT_TRUE(a.ok());
  auto b = ApplyConfig(s, &*a, Obj(cfg), Ctx("m1", "apps/v1", "2026-11-25T21:00:00Z"), false);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Entries(*b)[0].at("time"), "2026-11-25T20:00:00Z");

  WriteContext typed = Ctx("m1");
  typed.kind = "Deployment";
  auto wrong_kind =
      ApplyConfig(s, &*a, Obj(R"({"apiVersion":"apps/v1","kind":"StatefulSet"})"), typed, false);
  ASSERT_FALSE(wrong_kind.ok());
  EXPECT_EQ(wrong_kind.status().code(), 400);
  EXPECT_EQ(wrong_kind.status().message(), "invalid object type: apps/v1, Kind=StatefulSet");
  auto wrong_version = ApplyConfig(
      s, &*a, Obj(R"({"apiVersion":"apps/v1beta1","kind":"Deployment"})"), Ctx("m1"), false);
  ASSERT_FALSE(wrong_version.ok());
  EXPECT_EQ(wrong_version.status().message(),
            "Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, "
            "expected: apps/v1");
  auto with_mf = ApplyConfig(s, &*a, Obj(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"managedFields":[]}})"),
                             Ctx("m1"), false);
  ASSERT_FALSE(with_mf.ok());
  EXPECT_EQ(with_mf.status().message(), "metadata.managedFields must be nil");
}

TEST(FieldManagerTest, ResetFieldsAndStatusSubresource) {
  const TypeSchema& s = Deployments();
  WriteContext main = Ctx("m1");
  main.has_status_subresource = true;
  auto a = ApplyConfig(s, nullptr, Obj(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"d"},"spec":{"replicas":1},"status":{"replicas":5}})"),
                       main, false);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(FieldsOf(*a, "m1"), R"({"f:spec":{"f:replicas":{}}})");

  json::object st = *a;
  st["status"] =
      json::parse(R"({"replicas":1,"conditions":[{"type":"Available","status":"True"}]})");
  WriteContext status = Ctx("kube-controller-manager");
  status.subresource = "status";
  status.has_status_subresource = true;
  ASSERT_TRUE(UpdateManagedFields(s, &*a, st, status).ok());
  bool found = false;
  for (const auto& e : Entries(st)) {
    if (e.at("manager") != "kube-controller-manager")
      continue;
    found = true;
    EXPECT_EQ(e.at("subresource"), "status");
    std::string f;
    AppendGoJson(f, e.at("fieldsV1"));
    EXPECT_EQ(f, R"({"f:status":{"f:conditions":{".":{},"k:{\"type\":\"Available\"}":{".":{},)"
                 R"("f:status":{},"f:type":{}}},"f:replicas":{}}})");
  }
  EXPECT_TRUE(found);
}

TEST(FieldManagerTest, OldestUpdateManagersMergeIntoAncientChanges) {
  const TypeSchema& s = *BuiltinSchema("", "ConfigMap");
  json::object live = Obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})");
  for (int i = 0; i < 12; ++i) {
    json::object next = live;
    next["data"].emplace_object()["k" + std::to_string(i)] = "v";
    if (live.contains("data")) {
      next["data"] = live.at("data");
      next["data"].as_object()["k" + std::to_string(i)] = "v";
    }
    char time[32];
    std::snprintf(time, sizeof(time), "2026-11-25T20:%02d:00Z", i);
    ASSERT_TRUE(UpdateManagedFields(s, i == 0 ? nullptr : &live, next,
                                    Ctx("u" + std::to_string(i), "v1", time))
                    .ok());
    live = std::move(next);
  }
  EXPECT_EQ(Entries(live).size(), 10u);
  std::string ancient = FieldsOf(live, "ancient-changes");
  EXPECT_EQ(ancient, R"({"f:data":{".":{},"f:k0":{},"f:k1":{},"f:k2":{}}})");
  EXPECT_EQ(FieldsOf(live, "u0"), "<none>");
  EXPECT_EQ(FieldsOf(live, "u3"), R"({"f:data":{"f:k3":{}}})");
}

TEST(FieldManagerTest, KubectlApplyKeepsLastAppliedAnnotationInSync) {
  const TypeSchema& s = *BuiltinSchema("", "ConfigMap");
  json::object live = Obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c",
      "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},"data":{"a":"1"}})");
  ASSERT_TRUE(UpdateManagedFields(s, nullptr, live, Ctx("kubectl-client-side-apply", "v1")).ok());
  auto out = ApplyConfig(s, &live, Obj(R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"c"},"data":{"a":"2"}})"),
                         Ctx("kubectl", "v1"), true);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(
      out->at("metadata").at("annotations").at("kubectl.kubernetes.io/last-applied-configuration"),
      "{\"apiVersion\":\"v1\",\"data\":{\"a\":\"2\"},\"kind\":\"ConfigMap\","
      "\"metadata\":{\"name\":\"c\"}}\n");
}

TEST(FieldManagerTest, ApplyRejectsInvalidListsAndAppliesToStatus) {
  const TypeSchema& s = Deployments();
  auto dup = ApplyConfig(s, nullptr, Obj(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[
        {"name":"a","image":"x"},{"name":"a","image":"y"}]}}}})"),
                         Ctx("m1"), false);
  EXPECT_FALSE(dup.ok());
  auto nokey = ApplyConfig(s, nullptr, Obj(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})"),
                           Ctx("m1"), false);
  EXPECT_FALSE(nokey.ok());

  auto live = ApplyConfig(s, nullptr, Obj(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"d"},"spec":{"replicas":1}})"),
                          Ctx("m1"), false);
  ASSERT_TRUE(live.ok());
  WriteContext st = Ctx("ctrl");
  st.subresource = "status";
  st.has_status_subresource = true;
  auto out = ApplyConfig(s, &*live, Obj(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"d"},"spec":{"replicas":5},"status":{"readyReplicas":1}})"),
                         st, false);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  bool found = false;
  for (const auto& e : Entries(*out)) {
    if (e.at("manager") != "ctrl")
      continue;
    found = true;
    EXPECT_EQ(e.at("operation"), "Apply");
    EXPECT_EQ(e.at("subresource"), "status");
    std::string f;
    AppendGoJson(f, e.at("fieldsV1"));
    EXPECT_EQ(f, R"({"f:status":{"f:readyReplicas":{}}})");
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(FieldsOf(*out, "m1"), R"({"f:spec":{"f:replicas":{}}})");
}

TEST(FieldManagerTest, KubectlServerSideApplyTakesOverClientSideAppliedFields) {
  const TypeSchema& s = *BuiltinSchema("", "ConfigMap");
  // Client-side apply of data.a=1; then another Update manager sets data.b.
  json::object live = Obj(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c",
      "annotations":{"kubectl.kubernetes.io/last-applied-configuration":
        "{\"apiVersion\":\"v1\",\"data\":{\"a\":\"1\"},\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"}}"}},
      "data":{"a":"1"}})");
  ASSERT_TRUE(UpdateManagedFields(s, nullptr, live, Ctx("kubectl-client-side-apply", "v1")).ok());
  json::object edited = live;
  edited["data"].as_object()["b"] = "2";
  ASSERT_TRUE(UpdateManagedFields(s, &live, edited, Ctx("kubectl-edit", "v1")).ok());

  // kubectl may take data.a (recorded in last-applied, unchanged) without force ...
  auto ok = ApplyConfig(s, &edited, Obj(R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"c"},"data":{"a":"9"}})"),
                        Ctx("kubectl", "v1"), false);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->at("data").at("a"), "9");
  // ... but not data.b, and another manager name gets the plain conflict.
  auto conflict = ApplyConfig(s, &edited, Obj(R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"c"},"data":{"a":"9","b":"9"}})"),
                              Ctx("kubectl", "v1"), false);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().message(),
            R"(Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.b)");
  auto other = ApplyConfig(s, &edited, Obj(R"({"apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"c"},"data":{"a":"9"}})"),
                           Ctx("my-tool", "v1"), false);
  ASSERT_FALSE(other.ok());
}

TEST(SchemaTest, OpenApiMarkersDriveMerging) {
  json::object crd = Obj(R"({"type":"object","properties":{
      "spec":{"type":"object","properties":{
        "items":{"type":"array","x-kubernetes-list-type":"map",
          "x-kubernetes-list-map-keys":["name"],
          "items":{"type":"object","properties":{"name":{"type":"string"},
            "value":{"type":"string"}}}},
        "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
        "sel":{"type":"object","x-kubernetes-map-type":"atomic",
          "additionalProperties":{"type":"string"}},
        "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
        "port":{"x-kubernetes-int-or-string":true}}}}})");
  auto schema = SchemaFromOpenApi(crd);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  WriteContext a = Ctx("a", "example.com/v1");
  auto one = ApplyConfig(**schema, nullptr, Obj(R"({"apiVersion":"example.com/v1","kind":"X",
      "metadata":{"name":"x"},"spec":{"items":[{"name":"n","value":"v"}],"tags":["t"],
      "sel":{"k":"v"},"free":{"deep":{"x":1}},"port":80}})"),
                         a, false);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(FieldsOf(*one, "a"),
            R"({"f:spec":{"f:free":{"f:deep":{".":{},"f:x":{}}},)"
            R"("f:items":{"k:{\"name\":\"n\"}":{".":{},"f:name":{},"f:value":{}}},)"
            R"("f:port":{},"f:sel":{},"f:tags":{"v:\"t\"":{}}}})");
  WriteContext b = Ctx("b", "example.com/v1");
  auto two = ApplyConfig(**schema, &*one, Obj(R"({"apiVersion":"example.com/v1","kind":"X",
      "metadata":{"name":"x"},"spec":{"items":[{"name":"m","value":"w"}],"tags":["u"]}})"),
                         b, false);
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(two->at("spec").at("items").as_array().size(), 2u);
  EXPECT_EQ(two->at("spec").at("tags"), json::parse(R"(["t","u"])"));
  auto conflict = ApplyConfig(**schema, &*two, Obj(R"({"apiVersion":"example.com/v1",
      "kind":"X","metadata":{"name":"x"},"spec":{"sel":{"other":"v"}}})"),
                              b, false);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().details()->causes[0].field, ".spec.sel");
}

TEST(SchemaTest, BuiltinMergeKeys) {
  const TypeSchema& pods = *BuiltinSchema("", "Pod");
  auto one = ApplyConfig(pods, nullptr, Obj(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"p","finalizers":["f"]},"spec":{"containers":[{"name":"c","image":"i",
      "ports":[{"containerPort":80}],"volumeMounts":[{"mountPath":"/d","name":"v"}]}],
      "tolerations":[{"key":"k"}],"nodeSelector":{"a":"b"}}})"),
                         Ctx("m", "v1"), false);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(
      FieldsOf(*one, "m"),
      R"({"f:metadata":{"f:finalizers":{"v:\"f\"":{}}},"f:spec":{"f:containers":{)"
      R"("k:{\"name\":\"c\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{)"
      R"("k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}},)"
      R"("f:volumeMounts":{"k:{\"mountPath\":\"/d\"}":{".":{},"f:mountPath":{},"f:name":{}}}}},)"
      R"("f:nodeSelector":{},"f:tolerations":{}}})");
  const TypeSchema* unknown = BuiltinSchema("example.com", "Nope");
  ASSERT_NE(unknown, nullptr);
  EXPECT_TRUE(unknown->root()->is_map);
}

}  // namespace
}  // namespace kcx::api::ssa
