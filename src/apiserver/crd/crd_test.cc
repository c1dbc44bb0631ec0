#include "apiserver/crd/crd.h"

#include <gtest/gtest.h>

namespace kcx::apiserver::crd {
namespace {

namespace json = boost::json;

json::object Crd() {
  return json::parse(R"({
    "apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"widgets.example.com"},
    "spec":{"group":"example.com","scope":"Namespaced",
      "names":{"plural":"widgets","kind":"Widget","shortNames":["wd"],"categories":["all"]},
      "versions":[
        {"name":"v1beta1","served":true,"storage":false,
         "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}},
        {"name":"v1","served":true,"storage":true,
         "subresources":{"status":{},"scale":{"specReplicasPath":".spec.replicas",
                                              "statusReplicasPath":".status.replicas"}},
         "additionalPrinterColumns":[
           {"name":"Replicas","type":"integer","jsonPath":".spec.replicas"},
           {"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"},
           {"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"},
           {"name":"Extra","type":"string","jsonPath":".spec.extra","priority":1}],
         "schema":{"openAPIV3Schema":{"type":"object","properties":{
           "spec":{"type":"object","properties":{"replicas":{"type":"integer","default":1},
                                                "extra":{"type":"string"}}},
           "status":{"type":"object","properties":{"replicas":{"type":"integer"},
             "conditions":{"type":"array","items":{"type":"object",
               "properties":{"type":{"type":"string"},"status":{"type":"string"}}}}}}}}}}]}})")
      .as_object();
}

std::string Describe(const std::vector<StatusCause>& cs) {
  std::string out;
  for (const auto& c : cs)
    out += c.field + ": " + c.message + "\n";
  return out;
}

TEST(CrdTest, DefaultsAndValidCrdPasses) {
  json::object c = Crd();
  DefaultCrd(c);
  EXPECT_EQ(c.at("spec").at("names").at("singular"), "widget");
  EXPECT_EQ(c.at("spec").at("names").at("listKind"), "WidgetList");
  EXPECT_EQ(c.at("spec").at("conversion").at("strategy"), "None");
  auto causes = ValidateCrd(c, nullptr);
  EXPECT_TRUE(causes.empty()) << Describe(causes);
  EXPECT_EQ(StorageVersion(c), "v1");
}

TEST(CrdTest, ValidationErrorsUseKubePaths) {
  json::object c = Crd();
  c["metadata"].as_object()["name"] = "wrong.example.com";
  c["spec"].as_object()["scope"] = "Global";
  c["spec"].as_object()["group"] = "nodots";
  c["spec"].as_object()["names"].as_object()["plural"] = "Widgets";
  auto& versions = c["spec"].as_object()["versions"].as_array();
  versions[0].as_object()["storage"] = true;
  versions[1].as_object()["additionalPrinterColumns"].as_array()[0].as_object()["type"] = "int";
  DefaultCrd(c);
  std::string d = Describe(ValidateCrd(c, nullptr));
  for (const char* want : {
           "metadata.name: Invalid value: \"wrong.example.com\": must be "
           "spec.names.plural+\".\"+spec.group",
           "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", "
           "\"Namespaced\"",
           "spec.group: Invalid value: \"nodots\": should be a domain with at least one dot",
           "spec.names.plural: Invalid value: \"Widgets\"",
           "spec.versions: Invalid value: ",
           "must have exactly one version marked as storage version",
           "spec.versions[1].additionalPrinterColumns[0].type: Unsupported value: \"int\"",
       }) {
    EXPECT_NE(d.find(want), std::string::npos) << "missing: " << want << "\n" << d;
  }
}

TEST(CrdTest, ImmutableScopeAndMissingSchema) {
  json::object old = Crd();
  DefaultCrd(old);
  json::object c = old;
  c["spec"].as_object()["scope"] = "Cluster";
  c["spec"].as_object()["versions"].as_array()[0].as_object().erase("schema");
  std::string d = Describe(ValidateCrd(c, &old));
  EXPECT_NE(d.find("spec.scope: Invalid value: \"Cluster\": field is immutable"), std::string::npos)
      << d;
  EXPECT_NE(d.find("spec.versions[0].schema.openAPIV3Schema: Required value: schemas are "
                   "required"),
            std::string::npos)
      << d;
}

TEST(CrdTest, CelRulesProduceWarning) {
  json::object c = Crd();
  c["spec"]
      .as_object()["versions"]
      .as_array()[1]
      .as_object()["schema"]
      .as_object()["openAPIV3Schema"]
      .as_object()["x-kubernetes-validations"] =
      json::array{json::object{{"rule", "self.spec.replicas < 10"}}};
  auto w = CrdResourceInfo().warnings_fn(c);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("not enforced"), std::string::npos);
  EXPECT_NE(w[0].find("version v1 <root>: self.spec.replicas < 10"), std::string::npos) << w[0];
  EXPECT_TRUE(CrdResourceInfo().warnings_fn(Crd()).empty());
}

TEST(CrdTest, ServedResourceVersionsColumnsAndSubresources) {
  json::object c = Crd();
  DefaultCrd(c);
  auto sr = BuildServedResource(c);
  ASSERT_TRUE(sr.ok()) << sr.status().message();
  EXPECT_EQ(sr->storage_version, "v1");
  ASSERT_EQ(sr->versions.size(), 2u);
  EXPECT_EQ(sr->versions[0]->version, "v1");  // preferred first
  EXPECT_EQ(sr->versions[1]->version, "v1beta1");
  const ResourceInfo& v1 = *sr->versions[0];
  EXPECT_TRUE(v1.custom_resource);
  EXPECT_TRUE(v1.has_status);
  ASSERT_TRUE(v1.scale.has_value());
  EXPECT_EQ(v1.scale->spec_replicas, ".spec.replicas");
  EXPECT_EQ(v1.short_names, std::vector<std::string>{"wd"});
  EXPECT_EQ(v1.list_kind, "WidgetList");
  EXPECT_FALSE(sr->versions[1]->has_status);
  ASSERT_EQ(v1.columns.size(), 5u);
  EXPECT_EQ(v1.columns[0].name, "Name");
  EXPECT_EQ(v1.columns[4].priority, 1);
  auto now = std::chrono::system_clock::now();
  json::object obj =
      json::parse(R"({"metadata":{"name":"w1","creationTimestamp":"2020-01-01T00:00:00Z"},
      "spec":{"replicas":2},"status":{"conditions":[{"type":"Ready","status":"True"}]}})")
          .as_object();
  json::array row = v1.row_fn(obj, now);
  ASSERT_EQ(row.size(), 5u);
  EXPECT_EQ(row[0], "w1");
  EXPECT_EQ(row[1], 2);
  EXPECT_EQ(row[2], "True");
  EXPECT_TRUE(row[3].is_string());
  EXPECT_TRUE(row[4].is_null());
  // The v1beta1 version has no printer columns: Name and Age.
  ASSERT_EQ(sr->versions[1]->columns.size(), 2u);
  EXPECT_EQ(sr->versions[1]->columns[1].name, "Age");
  // Generation: status changes do not count with a status subresource.
  json::object changed = obj;
  changed["status"] = json::object{};
  EXPECT_FALSE(v1.bumps_generation_fn(changed, obj));
  changed["spec"].as_object()["replicas"] = 3;
  EXPECT_TRUE(v1.bumps_generation_fn(changed, obj));
}

TEST(CrdTest, KubeVersionOrder) {
  std::vector<std::string> v = {"v1alpha1", "foo", "v2", "v1beta1", "v1", "v1beta2", "v10"};
  std::sort(v.begin(), v.end(),
            [](const auto& a, const auto& b) { return CompareKubeVersions(a, b) < 0; });
  EXPECT_EQ(v,
            (std::vector<std::string>{"v10", "v2", "v1", "v1beta2", "v1beta1", "v1alpha1", "foo"}));
}

}  // namespace
}  // namespace kcx::apiserver::crd
