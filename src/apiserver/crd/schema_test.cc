#include "apiserver/crd/schema.h"

#include <gtest/gtest.h>

#include "api/json.h"

namespace kcx::apiserver::crd {
namespace {

namespace json = boost::json;

json::object J(std::string_view s) { return json::parse(s).as_object(); }

std::string Describe(const std::vector<StatusCause>& cs) {
  std::string out;
  for (const auto& c : cs)
    out += c.field + ": " + c.message + "\n";
  return out;
}

const char* kSchema = R"({
  "type": "object",
  "properties": {
    "spec": {
      "type": "object",
      "required": ["replicas"],
      "properties": {
        "replicas": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 5,
                     "default": 1},
        "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
        "name": {"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$"},
        "port": {"x-kubernetes-int-or-string": true},
        "ratio": {"type": "number", "exclusiveMinimum": true, "minimum": 0},
        "when": {"type": "string", "format": "date-time"},
        "data": {"type": "string", "format": "byte"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2, "minItems": 1,
                 "x-kubernetes-list-type": "set"},
        "ports": {"type": "array", "x-kubernetes-list-type": "map",
                  "x-kubernetes-list-map-keys": ["name"],
                  "items": {"type": "object", "required": ["name"],
                            "properties": {"name": {"type": "string"},
                                           "port": {"type": "integer"}}}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "opt": {"type": "string", "nullable": true},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                 "properties": {"known": {"type": "object",
                                          "properties": {"x": {"type": "string"}}}}},
        "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                     "x-kubernetes-preserve-unknown-fields": true},
        "pod": {"type": "object", "x-kubernetes-embedded-resource": true,
                "properties": {"spec": {"type": "object",
                                        "properties": {"a": {"type": "string"}}}}},
        "nested": {"type": "object", "default": {},
                   "properties": {"level": {"type": "string", "default": "info"}}}
      }
    },
    "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
  }
})";

class SchemaTest : public ::testing::Test {
 protected:
  json::object schema_ = J(kSchema);
  std::vector<StatusCause> V(std::string_view obj) { return ValidateObject(J(obj), schema_); }
};

TEST_F(SchemaTest, ValidObjectPasses) {
  auto c = V(R"({"apiVersion":"x/v1","kind":"K","metadata":{"name":"n"},
    "spec":{"replicas":3,"mode":"b","name":"abc","port":"http","ratio":0.5,
            "when":"2024-01-02T03:04:05Z","data":"aGVsbG8=","tags":["x","y"],
            "ports":[{"name":"a","port":1},{"name":"b","port":1}],"labels":{"a":"b"},
            "opt":null,"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}},
    "status":{"ready":true}})");
  EXPECT_TRUE(c.empty()) << Describe(c);
}

TEST_F(SchemaTest, TypeErrorHasKubeMessage) {
  auto c = V(R"({"spec":{"replicas":"three"}})");
  ASSERT_EQ(c.size(), 1u) << Describe(c);
  EXPECT_EQ(c[0].field, "spec.replicas");
  EXPECT_EQ(c[0].type, "FieldValueTypeInvalid");
  EXPECT_EQ(c[0].message,
            "Invalid value: \"string\": spec.replicas in body must be of type integer: "
            "\"string\"");
}

TEST_F(SchemaTest, RequiredEnumBounds) {
  auto c = V(R"({"spec":{"mode":"c","name":"ABCDEFG","ratio":0}})");
  std::string d = Describe(c);
  EXPECT_NE(d.find("spec.replicas: Required value"), std::string::npos) << d;
  EXPECT_NE(d.find("spec.mode: Unsupported value: \"c\": supported values: \"a\", \"b\""),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("spec.name: Too long: may not be more than 4 bytes"), std::string::npos) << d;
  EXPECT_NE(d.find("spec.name in body should match '^[a-z]+$'"), std::string::npos) << d;
  EXPECT_NE(d.find("spec.ratio in body should be greater than 0"), std::string::npos) << d;
  c = V(R"({"spec":{"replicas":9}})");
  ASSERT_EQ(c.size(), 1u) << Describe(c);
  EXPECT_EQ(c[0].message,
            "Invalid value: 9: spec.replicas in body should be less than or equal to 5");
  c = V(R"({"spec":{"replicas":0,"name":"a"}})");
  d = Describe(c);
  EXPECT_NE(d.find("spec.replicas in body should be greater than or equal to 1"), std::string::npos)
      << d;
  EXPECT_NE(d.find("spec.name in body should be at least 2 chars long"), std::string::npos) << d;
}

TEST_F(SchemaTest, Formats) {
  auto c = V(R"({"spec":{"replicas":1,"when":"yesterday","data":"not base64!"}})");
  std::string d = Describe(c);
  EXPECT_NE(d.find("spec.when in body must be of type date-time: \"yesterday\""), std::string::npos)
      << d;
  EXPECT_NE(d.find("spec.data in body must be of type byte"), std::string::npos) << d;
  EXPECT_TRUE(CheckFormat("int32", json::value(2147483647)));
  EXPECT_FALSE(CheckFormat("int32", json::value(int64_t{2147483648})));
  EXPECT_TRUE(CheckFormat("date", json::value("2024-02-29")));
  EXPECT_FALSE(CheckFormat("date", json::value("2024-13-01")));
  EXPECT_TRUE(CheckFormat("duration", json::value("1h30m")));
  EXPECT_FALSE(CheckFormat("ipv4", json::value("300.1.1.1")));
  EXPECT_TRUE(CheckFormat("no-such-format", json::value("anything")));
}

TEST_F(SchemaTest, IntOrStringAndNullable) {
  EXPECT_TRUE(V(R"({"spec":{"replicas":1,"port":8080}})").empty());
  auto c = V(R"({"spec":{"replicas":1,"port":true}})");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].field, "spec.port");
  c = V(R"({"spec":{"replicas":1,"name":null}})");
  ASSERT_EQ(c.size(), 1u) << Describe(c);
  EXPECT_NE(c[0].message.find("must be of type string: \"null\""), std::string::npos);
}

TEST_F(SchemaTest, ListTypes) {
  auto c = V(R"({"spec":{"replicas":1,"tags":["a","a"]}})");
  ASSERT_EQ(c.size(), 1u) << Describe(c);
  EXPECT_EQ(c[0].field, "spec.tags[1]");
  EXPECT_EQ(c[0].message, "Duplicate value: \"a\"");
  c = V(R"({"spec":{"replicas":1,"tags":["a","b","c"]}})");
  ASSERT_EQ(c.size(), 1u) << Describe(c);
  EXPECT_EQ(c[0].message, "Too many: 3: must have at most 2 items");
  c = V(R"({"spec":{"replicas":1,"ports":[{"name":"a"},{"name":"a","port":2}]}})");
  ASSERT_EQ(c.size(), 1u) << Describe(c);
  EXPECT_EQ(c[0].field, "spec.ports[1]");
  EXPECT_EQ(c[0].message, "Duplicate value: map[string]interface {}{\"name\":\"a\"}");
  c = V(R"({"spec":{"replicas":1,"ports":[{"port":2}]}})");
  ASSERT_EQ(c.size(), 1u) << Describe(c);
  EXPECT_EQ(c[0].field, "spec.ports[0].name");
}

TEST_F(SchemaTest, EmbeddedResourceNeedsApiVersionAndKind) {
  auto c = V(R"({"spec":{"replicas":1,"template":{"metadata":{"name":"x"}}}})");
  std::string d = Describe(c);
  EXPECT_NE(d.find("spec.template.apiVersion: Required value: must not be empty"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("spec.template.kind: Required value: must not be empty"), std::string::npos)
      << d;
}

TEST_F(SchemaTest, PruningDropsUnknownFieldsAndReportsPaths) {
  json::object obj = J(R"({"apiVersion":"x/v1","kind":"K","metadata":{"name":"n"},
    "spec":{"replicas":1,"foo":1,"labels":{"k":"v"},
            "free":{"anything":{"goes":1},"known":{"x":"a","y":"b"}},
            "template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","bogus":1},
                        "spec":{"kept":true}},
            "pod":{"apiVersion":"v1","kind":"Pod","spec":{"a":"x","b":"y"}},
            "ports":[{"name":"a","extra":1}]},
    "status":{"ready":true,"other":1},"top":1})");
  std::vector<std::string> pruned;
  PruneObject(obj, schema_, &pruned);
  std::vector<std::string> want = {"spec.free.known.y",
                                   "spec.template.metadata.bogus",
                                   "spec.pod.spec.b",
                                   "spec.ports[0].extra",
                                   "spec.foo",
                                   "status.other",
                                   "top"};
  std::sort(pruned.begin(), pruned.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(pruned, want);
  EXPECT_FALSE(obj.contains("top"));
  const json::object& spec = obj.at("spec").as_object();
  EXPECT_FALSE(spec.contains("foo"));
  EXPECT_TRUE(spec.at("free").as_object().contains("anything"));
  EXPECT_EQ(spec.at("template").at("spec").at("kept"), true);
  EXPECT_EQ(spec.at("pod").at("kind"), "Pod");
  EXPECT_EQ(obj.at("metadata").at("name"), "n");
}

TEST_F(SchemaTest, Defaulting) {
  json::object obj = J(R"({"apiVersion":"x/v1","kind":"K","metadata":{"name":"n"},
                          "spec":{"mode":null}})");
  ApplyDefaults(obj, schema_);
  const json::object& spec = obj.at("spec").as_object();
  EXPECT_EQ(spec.at("replicas"), 1);
  EXPECT_EQ(spec.at("mode"), "a");                   // null of a non-nullable field with a default
  EXPECT_EQ(spec.at("nested").at("level"), "info");  // default {} then its own defaults
  EXPECT_FALSE(obj.contains("status"));
  // Idempotent.
  json::object again = obj;
  ApplyDefaults(again, schema_);
  EXPECT_EQ(again, obj);
}

TEST(StructuralTest, ReportsKubeFieldPaths) {
  std::vector<StatusCause> out;
  ValidateStructural(J(R"({"type":"object","properties":{
      "spec":{"properties":{"a":{"type":"string"}}},
      "list":{"type":"array"},
      "u":{"type":"array","items":{"type":"string"},"uniqueItems":true},
      "both":{"type":"object","properties":{"x":{"type":"string"}},
              "additionalProperties":{"type":"string"}},
      "ios":{"type":"string","x-kubernetes-int-or-string":true},
      "m":{"type":"array","x-kubernetes-list-type":"map","items":{"type":"object",
           "properties":{"k":{"type":"string"}}}},
      "d":{"type":"integer","default":"x"},
      "metadata":{"type":"object","properties":{"labels":{"type":"object"}}}}})"),
                     "spec.versions[0].schema.openAPIV3Schema", out);
  std::string d = Describe(out);
  const std::string p = "spec.versions[0].schema.openAPIV3Schema";
  for (const std::string& want : {
           p + ".properties[spec].type: Required value: must not be empty for specified object "
               "fields",
           p + ".properties[list].items: Required value: must be specified",
           p + ".properties[u].uniqueItems: Forbidden: uniqueItems cannot be set to true",
           p + ".properties[both].additionalProperties: Forbidden: additionalProperties and "
               "properties are mutual exclusive",
           p + ".properties[ios].type: Forbidden: must be empty if x-kubernetes-int-or-string",
           p + ".properties[m].x-kubernetes-list-map-keys: Required value",
           p + ".properties[d].default: Invalid value: \"string\"",
           p + ".properties[metadata].properties[labels]: Forbidden: must not be specified",
       }) {
    EXPECT_NE(d.find(want), std::string::npos) << "missing: " << want << "\n" << d;
  }
  out.clear();
  ValidateStructural(J(R"({"type":"string"})"), "s", out);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].message, "Invalid value: \"string\": must be object at the root");
  out.clear();
  ValidateStructural(J(kSchema), "s", out);
  EXPECT_TRUE(out.empty()) << Describe(out);
}

TEST(StructuralTest, IntOrStringMayListIntegerAndStringInAnyOf) {
  std::vector<StatusCause> out;
  ValidateStructural(J(R"({"type":"object","properties":{"q":{
      "anyOf":[{"type":"integer"},{"type":"string"}],"x-kubernetes-int-or-string":true,
      "pattern":"^[0-9]+(m|Mi|Gi)?$"}}})"),
                     "s", out);
  EXPECT_TRUE(out.empty()) << Describe(out);
  out.clear();
  ValidateStructural(J(R"({"type":"object","properties":{"q":{"type":"object",
      "anyOf":[{"type":"integer"}]}}})"),
                     "s", out);
  ASSERT_EQ(out.size(), 1u) << Describe(out);
  EXPECT_EQ(out[0].field, "s.properties[q].anyOf[0].type");
  // Values: anyOf plus the pattern on strings.
  json::object schema = J(R"({"type":"object","properties":{"q":{
      "anyOf":[{"type":"integer"},{"type":"string"}],"x-kubernetes-int-or-string":true,
      "pattern":"^[0-9]+(m|Mi|Gi)?$"}}})");
  EXPECT_TRUE(ValidateObject(J(R"({"q":"500m"})"), schema).empty());
  EXPECT_TRUE(ValidateObject(J(R"({"q":2})"), schema).empty());
  EXPECT_EQ(ValidateObject(J(R"({"q":"lots"})"), schema).size(), 1u);
}

TEST(CelTest, CollectsRules) {
  std::vector<std::string> rules;
  CollectCelRules(
      json::parse(R"J({"type":"object","x-kubernetes-validations":[{"rule":"self.a > 0"}],
      "properties":{"spec":{"type":"object","x-kubernetes-validations":[{"rule":"has(self.b)"}]}}})J"),
      "", rules);
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0], "<root>: self.a > 0");
  EXPECT_EQ(rules[1], "spec: has(self.b)");
}

}  // namespace
}  // namespace kcx::apiserver::crd
