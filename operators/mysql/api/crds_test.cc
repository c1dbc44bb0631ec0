#include "operators/mysql/api/crds.h"

#include <gtest/gtest.h>

#include "api/json.h"

namespace kcx::mysql::api {
namespace {

namespace json = boost::json;

TEST(EmbeddedCrdsTest, BothCrdsAreEmbeddedAndParse) {
  auto files = EmbeddedCrdFiles();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].first, "moco.cybozu.com_backuppolicies.yaml");
  EXPECT_EQ(files[1].first, "moco.cybozu.com_mysqlclusters.yaml");
  auto crds = EmbeddedCrds();
  ASSERT_TRUE(crds.ok()) << crds.status().ToString();
  ASSERT_EQ(crds->size(), 2u);
  const json::object& mc = (*crds)[1];
  EXPECT_EQ(kcx::api::GetStringPath(mc.at("metadata"), {"name"}), "mysqlclusters.moco.cybozu.com");
  const json::object& v = mc.at("spec").at("versions").at(0).as_object();
  EXPECT_EQ(v.at("name"), "v1beta2");
  EXPECT_EQ(v.at("served"), true);
  EXPECT_EQ(v.at("storage"), true);
  EXPECT_EQ(v.at("subresources"), (json::object{{"status", json::object()}}));
  const json::object& spec =
      v.at("schema").at("openAPIV3Schema").at("properties").at("spec").as_object();
  const json::object& props = spec.at("properties").as_object();
  EXPECT_EQ(props.at("replicas").at("default"), 1);
  EXPECT_EQ(props.at("maxDelaySeconds").at("default"), 60);
  EXPECT_EQ(props.at("startupWaitSeconds").at("default"), 3600);
  // Containers merge by name under server-side apply.
  const json::object& containers = props.at("podTemplate")
                                       .at("properties")
                                       .at("spec")
                                       .at("properties")
                                       .at("containers")
                                       .as_object();
  EXPECT_EQ(containers.at("x-kubernetes-list-type"), "map");
  EXPECT_EQ(containers.at("x-kubernetes-list-map-keys"), (json::array{"name"}));
  // The YAML 1.1 trap: the condition status enum stays strings.
  const json::value& status_enum = v.at("schema")
                                       .at("openAPIV3Schema")
                                       .at("properties")
                                       .at("status")
                                       .at("properties")
                                       .at("conditions")
                                       .at("items")
                                       .at("properties")
                                       .at("status")
                                       .at("enum");
  EXPECT_EQ(status_enum, (json::array{"True", "False", "Unknown"}));
}

TEST(IsSubsetTest, ServerDefaultsAreNotDifferences) {
  json::value want = json::parse(R"({"a":1,"b":{"c":[{"d":"x"}]}})");
  EXPECT_TRUE(IsSubset(want, json::parse(R"({"a":1.0,"b":{"c":[{"d":"x","e":2}],"f":3},"g":4})")));
  EXPECT_FALSE(IsSubset(want, json::parse(R"({"a":2,"b":{"c":[{"d":"x"}]}})")));
  EXPECT_FALSE(IsSubset(want, json::parse(R"({"a":1,"b":{"c":[{"d":"y"}]}})")));
  EXPECT_FALSE(IsSubset(want, json::parse(R"({"a":1,"b":{"c":[{"d":"x"},{"d":"x"}]}})")));
  EXPECT_FALSE(IsSubset(want, json::parse(R"({"a":1})")));
  EXPECT_FALSE(IsSubset(json::parse(R"("1")"), json::parse("1")));
}

}  // namespace
}  // namespace kcx::mysql::api
