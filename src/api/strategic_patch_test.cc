#include "api/strategic_patch.h"

#include <gtest/gtest.h>

#include "api/json.h"
#include "api/patch.h"

namespace kcx::api {
namespace {

boost::json::value J(std::string_view text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : boost::json::value();
}

// Applies `patch` to `original` with the metadata of group/kind and compares (exact member
// order aside; list order matters).
void ExpectPatch(std::string_view group, std::string_view kind, std::string_view original,
                 std::string_view patch, std::string_view want) {
  const PatchMeta* meta = kind.empty() ? nullptr : BuiltinPatchMeta(group, kind);
  if (!kind.empty()) {
    ASSERT_NE(meta, nullptr) << kind;
  }
  auto r = ApplyStrategicMergePatch(J(original), J(patch), meta);
  ASSERT_TRUE(r.ok()) << patch << ": " << r.status().message();
  EXPECT_TRUE(JsonEqual(*r, J(want)))
      << "patch " << patch << "\n got  " << Serialize(*r) << "\n want " << want;
}

Status PatchError(std::string_view group, std::string_view kind, std::string_view original,
                  std::string_view patch) {
  auto r = ApplyStrategicMergePatch(J(original), J(patch), BuiltinPatchMeta(group, kind));
  EXPECT_FALSE(r.ok()) << patch << " gave " << (r.ok() ? Serialize(*r) : "");
  return r.ok() ? Status::Ok() : r.status();
}

TEST(StrategicPatchTest, MapsMergeAndNullDeletes) {
  ExpectPatch("", "ConfigMap",
              R"({"metadata":{"name":"c","labels":{"a":"1","b":"2"}},"data":{"k":"v","x":"y"}})",
              R"({"metadata":{"labels":{"a":null,"c":"3"}},"data":{"x":"z"},"new":{"n":null}})",
              R"({"metadata":{"name":"c","labels":{"b":"2","c":"3"}},"data":{"k":"v","x":"z"},
                  "new":{}})");
  // Members keep their order when one is removed.
  auto ordered = ApplyStrategicMergePatch(J(R"({"a":1,"b":2,"c":3,"d":4})"),
                                          J(R"({"b":null,"e":5})"), nullptr);
  ASSERT_TRUE(ordered.ok());
  EXPECT_EQ(Serialize(*ordered), R"({"a":1,"c":3,"d":4,"e":5})");
  // A null for a missing key changes nothing.
  ExpectPatch("", "ConfigMap", R"({"data":{"k":"v"}})", R"({"data":{"gone":null}})",
              R"({"data":{"k":"v"}})");
  // Scalar replaced by a map and the other way round.
  ExpectPatch("", "ConfigMap", R"({"a":"s","b":{"c":1}})", R"({"a":{"x":1},"b":"t"})",
              R"({"a":{"x":1},"b":"t"})");
}

TEST(StrategicPatchTest, ContainersMergeByName) {
  const char* pod =
      R"({"spec":{"containers":[{"name":"a","image":"a:1","args":["x","y"]},
                                {"name":"b","image":"b:1"}]}})";
  // Changing one container keeps the other; a list without strategy (args) is replaced.
  ExpectPatch("", "Pod", pod,
              R"({"spec":{"containers":[{"name":"a","image":"a:2","args":["z"]}]}})",
              R"({"spec":{"containers":[{"name":"a","image":"a:2","args":["z"]},
                                        {"name":"b","image":"b:1"}]}})");
  // A new container without $setElementOrder goes in front of the server-only ones, as kube
  // orders it (patch items first unless the live list places a server item before them).
  ExpectPatch("", "Pod", pod, R"({"spec":{"containers":[{"name":"c","image":"c:1"}]}})",
              R"({"spec":{"containers":[{"name":"c","image":"c:1"},
                                        {"name":"a","image":"a:1","args":["x","y"]},
                                        {"name":"b","image":"b:1"}]}})");
  // With $setElementOrder the new container goes where the order says.
  ExpectPatch("", "Pod", pod,
              R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"},{"name":"c"}],
                          "containers":[{"name":"c","image":"c:1"}]}})",
              R"({"spec":{"containers":[{"name":"a","image":"a:1","args":["x","y"]},
                                        {"name":"b","image":"b:1"},
                                        {"name":"c","image":"c:1"}]}})");
}

TEST(StrategicPatchTest, NestedListsMergeInsideListItems) {
  const char* deploy = R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":"i",
      "env":[{"name":"A","value":"1"},{"name":"B","value":"2"},{"name":"C","value":"3"}],
      "ports":[{"containerPort":80,"name":"http"},{"containerPort":443,"name":"https"}],
      "volumeMounts":[{"name":"v","mountPath":"/data"}]}]}}}})";
  ExpectPatch("apps", "Deployment", deploy,
              R"({"spec":{"template":{"spec":{"containers":[{"name":"app",
                  "env":[{"name":"B","value":"20"},{"name":"C","$patch":"delete"}],
                  "ports":[{"containerPort":443,"protocol":"TCP"}],
                  "volumeMounts":[{"mountPath":"/data","readOnly":true}]}]}}}})",
              R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":"i",
                  "env":[{"name":"A","value":"1"},{"name":"B","value":"20"}],
                  "ports":[{"containerPort":80,"name":"http"},
                           {"containerPort":443,"name":"https","protocol":"TCP"}],
                  "volumeMounts":[{"name":"v","mountPath":"/data","readOnly":true}]}]}}}})");
}

TEST(StrategicPatchTest, DeleteDirectiveInList) {
  const char* pod = R"({"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]}})";
  ExpectPatch("", "Pod", pod, R"({"spec":{"containers":[{"name":"b","$patch":"delete"}]}})",
              R"({"spec":{"containers":[{"name":"a"},{"name":"c"}]}})");
  // Deleting an element that is not there is not an error.
  ExpectPatch("", "Pod", pod, R"({"spec":{"containers":[{"name":"z","$patch":"delete"}]}})", pod);
  // Every element with the key goes.
  ExpectPatch("", "Pod", R"({"spec":{"containers":[{"name":"a"},{"name":"a","image":"x"}]}})",
              R"({"spec":{"containers":[{"name":"a","$patch":"delete"}]}})",
              R"({"spec":{"containers":[]}})");
  // A deletion without the merge key is an error.
  Status st = PatchError("", "Pod", pod, R"({"spec":{"containers":[{"$patch":"delete"}]}})");
  EXPECT_EQ(st.reason(), Reason::kBadRequest);
  EXPECT_EQ(st.message(), "map: map[$patch:delete] does not contain declared merge key: name");
}

TEST(StrategicPatchTest, ReplaceDirectiveInList) {
  ExpectPatch("", "Pod", R"({"spec":{"containers":[{"name":"a","image":"x"},{"name":"b"}]}})",
              R"({"spec":{"containers":[{"name":"c","image":"y","env":[{"name":"E","value":null}]},
                                        {"$patch":"replace"}]}})",
              R"({"spec":{"containers":[{"name":"c","image":"y","env":[{"name":"E"}]}]}})");
}

TEST(StrategicPatchTest, MapDirectives) {
  const char* deploy =
      R"({"spec":{"replicas":1,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},
                  "selector":{"matchLabels":{"a":"1","b":"2"}}}})";
  // $patch: replace replaces the map it is in.
  ExpectPatch("apps", "Deployment", deploy,
              R"({"spec":{"selector":{"matchLabels":{"c":"3","$patch":"replace"}}}})",
              R"({"spec":{"replicas":1,"strategy":{"type":"RollingUpdate",
                  "rollingUpdate":{"maxSurge":1}},"selector":{"matchLabels":{"c":"3"}}}})");
  // $patch: delete empties it.
  ExpectPatch("apps", "Deployment", deploy, R"({"spec":{"strategy":{"$patch":"delete"}}})",
              R"({"spec":{"replicas":1,"strategy":{},
                  "selector":{"matchLabels":{"a":"1","b":"2"}}}})");
  // Other values are errors in kube's words.
  Status st =
      PatchError("apps", "Deployment", deploy, R"({"spec":{"strategy":{"$patch":"merge"}}})");
  EXPECT_EQ(st.reason(), Reason::kBadRequest);
  EXPECT_EQ(st.message(), "unknown patch type: merge in map: map[$patch:merge]");
}

TEST(StrategicPatchTest, MergeDirectiveInListIsRejected) {
  Status st = PatchError("", "Pod", R"({"spec":{"containers":[{"name":"a"}]}})",
                         R"({"spec":{"containers":[{"name":"b"},{"$patch":"merge"}]}})");
  EXPECT_EQ(st.reason(), Reason::kBadRequest);
  EXPECT_EQ(st.message(), "merging lists cannot yet be specified in the patch");
  st = PatchError("", "Pod", R"({"spec":{"containers":[{"name":"a"}]}})",
                  R"({"spec":{"containers":[{"name":"a","$patch":"bogus"}]}})");
  EXPECT_EQ(st.message(), "unknown patch type: bogus in map: map[$patch:bogus name:a]");
}

TEST(StrategicPatchTest, RetainKeys) {
  // A Deployment switched from RollingUpdate to Recreate, as kubectl apply sends it.
  ExpectPatch("apps", "Deployment",
              R"({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}})",
              R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate",
                                      "rollingUpdate":null}}})",
              R"({"spec":{"strategy":{"type":"Recreate"}}})");
  // A volume changing its source: the old source goes, other volumes stay.
  ExpectPatch("", "Pod",
              R"({"spec":{"volumes":[{"name":"data","emptyDir":{}},
                                     {"name":"cfg","configMap":{"name":"c"}}]}})",
              R"({"spec":{"volumes":[{"$retainKeys":["hostPath","name"],"name":"data",
                                      "hostPath":{"path":"/d"}}]}})",
              R"({"spec":{"volumes":[{"name":"data","hostPath":{"path":"/d"}},
                                     {"name":"cfg","configMap":{"name":"c"}}]}})");
  // Every key the patch sets must be retained.
  Status st = PatchError("apps", "Deployment", R"({"spec":{"strategy":{"type":"Recreate"}}})",
                         R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}})");
  EXPECT_EQ(st.reason(), Reason::kBadRequest);
  EXPECT_EQ(st.message(), "invalid patch format of retainKeys");
  st = PatchError("apps", "Deployment", R"({"spec":{"strategy":{"type":"Recreate"}}})",
                  R"({"spec":{"strategy":{"$retainKeys":"type"}}})");
  EXPECT_EQ(st.message(), "invalid patch format of retainKeys");
}

TEST(StrategicPatchTest, PrimitiveListMerge) {
  // finalizers merge as a union without duplicates; new values go first unless ordered.
  ExpectPatch("", "ConfigMap", R"({"metadata":{"finalizers":["a","b"]}})",
              R"({"metadata":{"finalizers":["b","c","c"]}})",
              R"({"metadata":{"finalizers":["a","b","c"]}})");
  ExpectPatch("", "ConfigMap", R"({"metadata":{"finalizers":["a","b"]}})",
              R"({"metadata":{"finalizers":["c"]}})",
              R"({"metadata":{"finalizers":["c","a","b"]}})");
  // $deleteFromPrimitiveList removes values (all occurrences); missing ones are ignored.
  ExpectPatch("", "ConfigMap", R"({"metadata":{"finalizers":["a","b","a","c"]}})",
              R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a","zz"]}})",
              R"({"metadata":{"finalizers":["b","c"]}})");
  // With a missing list it does nothing.
  ExpectPatch("", "ConfigMap", R"({"metadata":{"name":"x"}})",
              R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})",
              R"({"metadata":{"name":"x"}})");
  // What kubectl edit sends for removing one value and adding another.
  ExpectPatch("", "ConfigMap", R"({"metadata":{"finalizers":["a","b","c"]}})",
              R"({"metadata":{"$setElementOrder/finalizers":["a","d","c"],"finalizers":["d"],
                              "$deleteFromPrimitiveList/finalizers":["b"]}})",
              R"({"metadata":{"finalizers":["a","d","c"]}})");
  // A list of scalars without a merge strategy (container args) is replaced.
  ExpectPatch("", "Pod", R"({"spec":{"containers":[{"name":"a","args":["x","y"]}]}})",
              R"({"spec":{"containers":[{"name":"a","args":["y"]}]}})",
              R"({"spec":{"containers":[{"name":"a","args":["y"]}]}})");
}

TEST(StrategicPatchTest, SetElementOrderReordersAndInterleaves) {
  const char* pod =
      R"({"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"}]}})";
  // A pure reorder.
  ExpectPatch("", "Pod", pod,
              R"({"spec":{"$setElementOrder/containers":[{"name":"d"},{"name":"c"},
                  {"name":"b"},{"name":"a"}]}})",
              R"({"spec":{"containers":[{"name":"d"},{"name":"c"},{"name":"b"},{"name":"a"}]}})");
  // Items the order does not name keep their live positions relative to the named ones.
  ExpectPatch("", "Pod", pod,
              R"({"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"a"}]}})",
              R"({"spec":{"containers":[{"name":"b"},{"name":"c"},{"name":"a"},{"name":"d"}]}})");
  // Changes, a deletion and a new item together, as kubectl apply/edit send them.
  ExpectPatch("", "Pod", pod,
              R"({"spec":{"$setElementOrder/containers":[{"name":"e"},{"name":"a"},{"name":"c"},
                  {"name":"d"}],
                  "containers":[{"name":"e","image":"e"},{"name":"c","image":"c2"},
                                {"name":"b","$patch":"delete"}]}})",
              R"({"spec":{"containers":[{"name":"e","image":"e"},{"name":"a"},
                  {"name":"c","image":"c2"},{"name":"d"}]}})");
  // The patch list must follow the order list.
  Status st = PatchError("", "Pod", pod,
                         R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],
                             "containers":[{"name":"b","image":"x"},{"name":"a","image":"y"}]}})");
  EXPECT_EQ(st.reason(), Reason::kBadRequest);
  EXPECT_NE(st.message().find("doesn't match $setElementOrder list"), std::string::npos)
      << st.message();
  st = PatchError("", "Pod", pod, R"({"spec":{"$setElementOrder/containers":"a"}})");
  EXPECT_EQ(st.message(), "expected a []interface {}, but received a string");
}

TEST(StrategicPatchTest, SetElementOrderForAListTheObjectLacks) {
  ExpectPatch("", "Pod", R"({"spec":{"containers":[{"name":"a"}]}})",
              R"({"spec":{"containers":[{"name":"a",
                  "$setElementOrder/env":[{"name":"Y"},{"name":"X"}],
                  "env":[{"name":"Y","value":"1"},{"name":"X","value":"2"}]}]}})",
              R"({"spec":{"containers":[{"name":"a",
                  "env":[{"name":"Y","value":"1"},{"name":"X","value":"2"}]}]}})");
}

TEST(StrategicPatchTest, MergeKeysOfOtherBuiltinLists) {
  ExpectPatch("", "Service",
              R"({"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443}]},
                  "status":{"conditions":[{"type":"A","status":"True"}]}})",
              R"({"spec":{"ports":[{"port":80,"targetPort":9090}]},
                  "status":{"conditions":[{"type":"B","status":"False"},
                                          {"type":"A","status":"False"}]}})",
              R"({"spec":{"ports":[{"port":80,"targetPort":9090},{"port":443}]},
                  "status":{"conditions":[{"type":"B","status":"False"},
                                          {"type":"A","status":"False"}]}})");
  ExpectPatch("apps", "StatefulSet",
              R"({"metadata":{"ownerReferences":[{"uid":"1","name":"x"},{"uid":"2","name":"y"}]}})",
              R"({"metadata":{"ownerReferences":[{"uid":"2","controller":true}]}})",
              R"({"metadata":{"ownerReferences":[{"uid":"1","name":"x"},
                                                 {"uid":"2","name":"y","controller":true}]}})");
  ExpectPatch("", "ServiceAccount",
              R"({"secrets":[{"name":"a"}],"imagePullSecrets":[{"name":"p"}]})",
              R"({"secrets":[{"name":"b"}],"imagePullSecrets":[{"name":"q"}]})",
              R"({"secrets":[{"name":"b"},{"name":"a"}],"imagePullSecrets":[{"name":"q"}]})");
  ExpectPatch("", "Pod",
              R"({"spec":{"hostAliases":[{"ip":"1.1.1.1","hostnames":["a"]}],
                          "imagePullSecrets":[{"name":"p"}],
                          "topologySpreadConstraints":[{"topologyKey":"zone","maxSkew":1}]}})",
              R"({"spec":{"hostAliases":[{"ip":"1.1.1.1","hostnames":["b"]}],
                          "imagePullSecrets":[{"name":"q"}],
                          "topologySpreadConstraints":[{"topologyKey":"zone","maxSkew":2}]}})",
              R"({"spec":{"hostAliases":[{"ip":"1.1.1.1","hostnames":["b"]}],
                          "imagePullSecrets":[{"name":"q"},{"name":"p"}],
                          "topologySpreadConstraints":[{"topologyKey":"zone","maxSkew":2}]}})");
  ExpectPatch("", "Node", R"({"spec":{"podCIDRs":["10.0.0.0/24"]},
                              "status":{"addresses":[{"type":"InternalIP","address":"a"}]}})",
              R"({"spec":{"podCIDRs":["10.0.1.0/24"]},
                  "status":{"addresses":[{"type":"Hostname","address":"h"}]}})",
              R"({"spec":{"podCIDRs":["10.0.1.0/24","10.0.0.0/24"]},
                  "status":{"addresses":[{"type":"Hostname","address":"h"},
                                         {"type":"InternalIP","address":"a"}]}})");
}

TEST(StrategicPatchTest, ListsWithoutStrategyAndUnknownTypesAreReplaced) {
  // StatefulSet volumeClaimTemplates has no patch strategy.
  ExpectPatch("apps", "StatefulSet",
              R"({"spec":{"volumeClaimTemplates":[{"metadata":{"name":"a"}},
                                                  {"metadata":{"name":"b"}}]}})",
              R"({"spec":{"volumeClaimTemplates":[{"metadata":{"name":"c","labels":null}}]}})",
              R"({"spec":{"volumeClaimTemplates":[{"metadata":{"name":"c"}}]}})");
  // An order directive for such a list is harmless: the patch list is taken as it is.
  ExpectPatch("apps", "StatefulSet",
              R"({"spec":{"volumeClaimTemplates":[{"metadata":{"name":"a"}}]}})",
              R"({"spec":{"$setElementOrder/volumeClaimTemplates":[{"metadata":{"name":"b"}}],
                          "volumeClaimTemplates":[{"metadata":{"name":"b"}}]}})",
              R"({"spec":{"volumeClaimTemplates":[{"metadata":{"name":"b"}}]}})");
  // No metadata at all: maps merge, lists replace, like a JSON merge patch.
  ExpectPatch("", "", R"({"spec":{"containers":[{"name":"a"}],"m":{"x":1}}})",
              R"({"spec":{"containers":[{"name":"b"}],"m":{"y":2}}})",
              R"({"spec":{"containers":[{"name":"b"}],"m":{"x":1,"y":2}}})");
}

TEST(StrategicPatchTest, NewValuesAreCleaned) {
  // A value for a field the object lacks loses its nulls and the maps that carry $patch, as
  // kube's removeDirectives does.
  ExpectPatch("", "Pod", R"({"spec":{}})",
              R"({"spec":{"containers":[{"name":"a","image":null,
                  "env":[{"name":"X","$patch":"delete"},{"name":"Y"}]}],
                  "securityContext":{"$patch":"delete"}}})",
              R"({"spec":{"containers":[{"name":"a","env":[{"name":"Y"}]}]}})");
  // A replaced list keeps its items, without the keys decoding would drop.
  ExpectPatch("", "Pod", R"({"spec":{"containers":[{"name":"a","args":["x"]}],
                             "tolerations":[{"key":"k"}]}})",
              R"({"spec":{"tolerations":[{"key":"j","value":null,"$patch":"merge"}]}})",
              R"({"spec":{"containers":[{"name":"a","args":["x"]}],"tolerations":[{"key":"j"}]}})");
  // So does an item appended to a merging list.
  ExpectPatch("", "Pod", R"({"spec":{"containers":[{"name":"a"}]}})",
              R"({"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],
                  "containers":[{"name":"b","image":null,"$setElementOrder/env":[{"name":"E"}],
                                 "env":[{"name":"E","value":"1"}]}]}})",
              R"({"spec":{"containers":[{"name":"a"},
                  {"name":"b","env":[{"name":"E","value":"1"}]}]}})");
}

TEST(StrategicPatchTest, MalformedPatches) {
  auto r = ApplyStrategicMergePatch(J(R"({"a":1})"), J("[1]"), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), Reason::kBadRequest);
  EXPECT_EQ(r.status().message(),
            "json: cannot unmarshal array into Go value of type map[string]interface {}");
  // Lists of lists: 422 as kube-apiserver answers.
  Status st = PatchError("", "ConfigMap", R"({"metadata":{"finalizers":[["a"]]}})",
                         R"({"metadata":{"finalizers":[["b"]]}})");
  EXPECT_EQ(st.reason(), Reason::kInvalid);
  // Mixed element types in a merging list.
  st = PatchError("", "ConfigMap", R"({"metadata":{"finalizers":["a"]}})",
                  R"({"metadata":{"finalizers":[{"x":1}]}})");
  EXPECT_EQ(st.reason(), Reason::kBadRequest);
  EXPECT_NE(st.message().find("list element types are not identical"), std::string::npos);
  // A list element without its merge key.
  st = PatchError("", "Pod", R"({"spec":{"containers":[{"name":"a"}]}})",
                  R"({"spec":{"containers":[{"image":"x"}]}})");
  EXPECT_EQ(st.message(), "map: map[image:x] does not contain declared merge key: name");
}

TEST(StrategicPatchTest, TopLevelReplaceAndOriginalUntouched) {
  boost::json::value original = J(R"({"a":{"b":1},"c":[1]})");
  boost::json::value copy = original;
  auto r = ApplyStrategicMergePatch(original, J(R"({"$patch":"replace","x":1})"), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(JsonEqual(*r, J(R"({"x":1})")));
  EXPECT_TRUE(JsonEqual(original, copy));
}

TEST(StrategicPatchTest, BuiltinMetadataCarriesKubernetesTags) {
  const PatchMeta* deploy = BuiltinPatchMeta("apps", "Deployment");
  ASSERT_NE(deploy, nullptr);
  const PatchField* strategy = deploy->Field("spec")->type->Field("strategy");
  ASSERT_NE(strategy, nullptr);
  EXPECT_EQ(strategy->strategy, kPatchStrategyRetainKeys);
  const PatchMeta* pod_spec =
      deploy->Field("spec")->type->Field("template")->type->Field("spec")->type;
  const PatchField* volumes = pod_spec->Field("volumes");
  EXPECT_EQ(volumes->strategy, kPatchStrategyMerge | kPatchStrategyRetainKeys);
  EXPECT_EQ(volumes->merge_key, "name");
  const PatchMeta* container = pod_spec->Field("containers")->type;
  EXPECT_EQ(container->Field("volumeMounts")->merge_key, "mountPath");
  EXPECT_EQ(container->Field("ports")->merge_key, "containerPort");
  EXPECT_EQ(pod_spec->Field("initContainers")->type, container);
  EXPECT_EQ(pod_spec->Field("ephemeralContainers")->type, container);
  EXPECT_EQ(pod_spec->Field("tolerations"), nullptr);
  EXPECT_EQ(BuiltinPatchMeta("moco.cybozu.com", "MySQLCluster"), nullptr);
  EXPECT_NE(BuiltinPatchMeta("events.k8s.io", "Event"), nullptr);
}

}  // namespace
}  // namespace kcx::api
