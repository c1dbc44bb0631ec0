#include <map>
#include <set>

#include "apiserver/registry/test_util.h"

namespace kcx::apiserver {
namespace {

using namespace testing;  // NOLINT
using namespace std::chrono_literals;

struct Expected {
  std::string group, resource, kind, singular, list_kind;
  bool namespaced;
  std::vector<std::string> short_names;
  bool has_status;
  bool tracks_generation;
};

const std::vector<Expected>& ExpectedTypes() {
  static const std::vector<Expected> kTypes = {
      {"", "namespaces", "Namespace", "namespace", "NamespaceList", false, {"ns"}, true, false},
      {"", "pods", "Pod", "pod", "PodList", true, {"po"}, true, false},
      {"", "services", "Service", "service", "ServiceList", true, {"svc"}, true, false},
      {"", "endpoints", "Endpoints", "endpoints", "EndpointsList", true, {"ep"}, false, false},
      {"", "configmaps", "ConfigMap", "configmap", "ConfigMapList", true, {"cm"}, false, false},
      {"", "secrets", "Secret", "secret", "SecretList", true, {}, false, false},
      {"",
       "persistentvolumeclaims",
       "PersistentVolumeClaim",
       "persistentvolumeclaim",
       "PersistentVolumeClaimList",
       true,
       {"pvc"},
       true,
       false},
      {"",
       "persistentvolumes",
       "PersistentVolume",
       "persistentvolume",
       "PersistentVolumeList",
       false,
       {"pv"},
       true,
       false},
      {"",
       "serviceaccounts",
       "ServiceAccount",
       "serviceaccount",
       "ServiceAccountList",
       true,
       {"sa"},
       false,
       false},
      {"", "events", "Event", "event", "EventList", true, {"ev"}, false, false},
      {"", "nodes", "Node", "node", "NodeList", false, {"no"}, true, false},
      {"apps",
       "statefulsets",
       "StatefulSet",
       "statefulset",
       "StatefulSetList",
       true,
       {"sts"},
       true,
       true},
      {"apps",
       "deployments",
       "Deployment",
       "deployment",
       "DeploymentList",
       true,
       {"deploy"},
       true,
       true},
      {"policy",
       "poddisruptionbudgets",
       "PodDisruptionBudget",
       "poddisruptionbudget",
       "PodDisruptionBudgetList",
       true,
       {"pdb"},
       true,
       true},
      {"coordination.k8s.io", "leases", "Lease", "lease", "LeaseList", true, {}, false, false},
      {"storage.k8s.io",
       "storageclasses",
       "StorageClass",
       "storageclass",
       "StorageClassList",
       false,
       {"sc"},
       false,
       false},
      {"events.k8s.io", "events", "Event", "event", "EventList", true, {"ev"}, false, false},
      {"admissionregistration.k8s.io", "mutatingwebhookconfigurations",
       "MutatingWebhookConfiguration", "mutatingwebhookconfiguration",
       "MutatingWebhookConfigurationList", false, {}, false, false},
      {"admissionregistration.k8s.io", "validatingwebhookconfigurations",
       "ValidatingWebhookConfiguration", "validatingwebhookconfiguration",
       "ValidatingWebhookConfigurationList", false, {}, false, false},
  };
  return kTypes;
}

TEST(BuiltinResourcesTest, ExactlyTheServedTypesWithTheirDiscoveryFacts) {
  const auto& all = BuiltinResources();
  ASSERT_EQ(all.size(), ExpectedTypes().size());
  for (const auto& e : ExpectedTypes()) {
    SCOPED_TRACE(e.group + "/" + e.resource);
    const ResourceInfo* r = FindBuiltinResource(e.group, e.resource);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->version, "v1");
    EXPECT_EQ(r->kind, e.kind);
    EXPECT_EQ(r->singular, e.singular);
    EXPECT_EQ(r->list_kind, e.list_kind);
    EXPECT_EQ(r->namespaced, e.namespaced);
    EXPECT_EQ(r->short_names, e.short_names);
    EXPECT_EQ(r->has_status, e.has_status);
    EXPECT_EQ(r->tracks_generation, e.tracks_generation);
    EXPECT_EQ(r->tracks_generation, static_cast<bool>(r->bumps_generation_fn));
  }
}

TEST(BuiltinResourcesTest, GroupResourceIsUnique) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& r : BuiltinResources()) {
    EXPECT_TRUE(seen.insert({r.group, r.resource}).second) << r.group << "/" << r.resource;
  }
}

TEST(BuiltinResourcesTest, ShortNamesAreUniqueExceptTheSharedEventStorage) {
  // kube-apiserver serves events.k8s.io/v1 events from the core events storage, so both
  // advertise "ev"; kubectl resolves it to the core group first. Every other short name is
  // unique, and no short name equals another type's plural or singular.
  std::map<std::string, std::vector<std::string>> owners;
  for (const auto& r : BuiltinResources()) {
    for (const auto& s : r.short_names)
      owners[s].push_back(r.group + "/" + r.resource);
  }
  for (const auto& [name, who] : owners) {
    if (name == "ev") {
      EXPECT_EQ(who, (std::vector<std::string>{"/events", "events.k8s.io/events"}));
    } else {
      EXPECT_EQ(who.size(), 1u) << name;
    }
  }
  for (const std::string required : {"ns", "po", "svc", "cm", "pvc", "pv", "sa", "ev", "no", "sts",
                                     "deploy", "pdb", "sc", "ep"}) {
    EXPECT_TRUE(owners.count(required)) << required;
  }
  for (const auto& r : BuiltinResources()) {
    for (const auto& other : BuiltinResources()) {
      for (const auto& s : other.short_names) {
        EXPECT_NE(s, r.resource);
        EXPECT_NE(s, r.singular);
      }
    }
  }
}

TEST(BuiltinResourcesTest, VerbsAndCategories) {
  const std::vector<std::string> all = {"create", "delete", "deletecollection", "get",
                                        "list",   "patch",  "update",           "watch"};
  for (const auto& r : BuiltinResources()) {
    SCOPED_TRACE(r.group + "/" + r.resource);
    if (r.resource == "namespaces") {
      EXPECT_EQ(r.verbs, (std::vector<std::string>{"create", "delete", "get", "list", "patch",
                                                   "update", "watch"}));
    } else {
      EXPECT_EQ(r.verbs, all);
    }
    bool in_all = r.resource == "pods" || r.resource == "services" ||
                  r.resource == "statefulsets" || r.resource == "deployments";
    bool api_extensions = r.group == "admissionregistration.k8s.io";
    EXPECT_EQ(r.categories, in_all           ? std::vector<std::string>{"all"}
                            : api_extensions ? std::vector<std::string>{"api-extensions"}
                                             : std::vector<std::string>{});
  }
}

TEST(BuiltinResourcesTest, StableOrderAndStableReference) {
  const auto* a = &BuiltinResources();
  const auto* b = &BuiltinResources();
  EXPECT_EQ(a, b);
  EXPECT_EQ(BuiltinResources().front().resource, "namespaces");
  EXPECT_EQ(FindBuiltinResource("", "nope"), nullptr);
  EXPECT_EQ(FindBuiltinResource("apps", "pods"), nullptr);
}

TEST(BuiltinResourcesTest, EveryTypeHasCallbacksAndConsistentTables) {
  auto now = T("2026-11-25T12:00:00Z");
  for (const auto& r : BuiltinResources()) {
    SCOPED_TRACE(r.group + "/" + r.resource);
    ASSERT_TRUE(r.validate_fn);
    ASSERT_TRUE(r.field_fn);
    ASSERT_TRUE(r.row_fn);
    ASSERT_FALSE(r.columns.empty());
    // Exactly one name-formatted column, and an Age column for all but events.
    int name_cols = 0;
    for (const auto& c : r.columns) {
      if (c.format == "name")
        ++name_cols;
      EXPECT_TRUE(c.type == "string" || c.type == "integer") << c.name;
      EXPECT_FALSE(c.description.empty()) << c.name;
    }
    EXPECT_EQ(name_cols, 1);
    // A row has one cell per column, for an empty object and for a minimal created one.
    boost::json::object empty;
    EXPECT_EQ(r.row_fn(empty, now).size(), r.columns.size());
    boost::json::object obj = J(R"({"metadata":{"name":"x","namespace":"default",
        "creationTimestamp":"2026-11-25T11:00:00Z"}})");
    boost::json::object created = Created(r, obj, now);
    boost::json::array row = r.row_fn(created, now);
    ASSERT_EQ(row.size(), r.columns.size());
    for (size_t i = 0; i < r.columns.size(); ++i) {
      if (r.columns[i].name == "Age") {
        EXPECT_EQ(row[i], "60m");
      }
      if (r.columns[i].format == "name") {
        EXPECT_EQ(row[i], "x");
      }
    }
    EXPECT_EQ(r.field_fn(created, "metadata.name"), "x");
    EXPECT_FALSE(r.field_fn(created, "no.such.field").has_value());
  }
}

TEST(BuiltinResourcesTest, CallbacksTolerateMistypedInput) {
  // Bad input never crashes: every member has the wrong JSON type.
  boost::json::object bad = J(R"({"metadata":5,"spec":"x","status":[1],"data":3,
      "subsets":{"a":1},"type":7,"involvedObject":"y","regarding":[],"series":1,
      "stringData":2,"binaryData":[]})");
  boost::json::object bad_inner = J(R"({"metadata":{"name":3,"labels":4,"annotations":[]},
      "spec":{"containers":{"a":1},"ports":"x","selector":7,"template":3,"replicas":"x",
      "initContainers":[1,"x",{"name":5,"ports":3}],"volumes":[{"name":3}],
      "accessModes":"RWO","resources":7,"capacity":[],"strategy":1,"updateStrategy":"x",
      "tolerations":[3],"taints":"x","volumeClaimTemplates":[3,{"spec":2}],"clusterIPs":5,
      "minAvailable":[],"maxUnavailable":{},"leaseDurationSeconds":"x"},
      "status":{"conditions":3,"containerStatuses":[1,{"state":3}],"podIPs":"x"},
      "data":{"a":5}})");
  auto now = T("2026-11-25T12:00:00Z");
  for (const auto& r : BuiltinResources()) {
    SCOPED_TRACE(r.group + "/" + r.resource);
    for (const auto& input : {bad, bad_inner}) {
      boost::json::object o = input;
      if (r.decode_fn)
        (void)r.decode_fn(o);
      if (r.default_fn)
        r.default_fn(o);
      if (r.prepare_create_fn)
        r.prepare_create_fn(o, now);
      if (r.prepare_update_fn)
        r.prepare_update_fn(o, input);
      if (r.bumps_generation_fn)
        (void)r.bumps_generation_fn(o, input);
      (void)r.validate_fn(o, nullptr);
      (void)r.validate_fn(o, &input);
      (void)r.row_fn(input, now);
      (void)r.row_fn(o, now);
      for (const auto& f : r.field_labels)
        (void)r.field_fn(input, f);
    }
  }
}

TEST(HumanDurationTest, FollowsApimachineryRules) {
  using std::chrono::hours;
  using std::chrono::minutes;
  using std::chrono::seconds;
  EXPECT_EQ(HumanDuration(-seconds(5)), "<invalid>");
  EXPECT_EQ(HumanDuration(-seconds(1)), "0s");
  EXPECT_EQ(HumanDuration(-std::chrono::milliseconds(1500)), "0s");
  EXPECT_EQ(HumanDuration(seconds(0)), "0s");
  EXPECT_EQ(HumanDuration(std::chrono::milliseconds(5900)), "5s");
  EXPECT_EQ(HumanDuration(seconds(119)), "119s");
  EXPECT_EQ(HumanDuration(seconds(120)), "2m");
  EXPECT_EQ(HumanDuration(seconds(200)), "3m20s");
  EXPECT_EQ(HumanDuration(minutes(9) + seconds(59)), "9m59s");
  EXPECT_EQ(HumanDuration(minutes(10) + seconds(30)), "10m");
  EXPECT_EQ(HumanDuration(minutes(179)), "179m");
  EXPECT_EQ(HumanDuration(hours(3)), "3h");
  EXPECT_EQ(HumanDuration(hours(3) + minutes(5)), "3h5m");
  EXPECT_EQ(HumanDuration(hours(8) + minutes(5)), "8h");
  EXPECT_EQ(HumanDuration(hours(47)), "47h");
  EXPECT_EQ(HumanDuration(hours(48)), "2d");
  EXPECT_EQ(HumanDuration(hours(51)), "2d3h");
  EXPECT_EQ(HumanDuration(hours(24 * 7 + 23)), "7d23h");
  EXPECT_EQ(HumanDuration(hours(24 * 8)), "8d");
  EXPECT_EQ(HumanDuration(hours(24 * 45 + 5)), "45d");
  EXPECT_EQ(HumanDuration(hours(24 * 729)), "729d");
  EXPECT_EQ(HumanDuration(hours(24 * 730)), "2y");
  EXPECT_EQ(HumanDuration(hours(24 * 733)), "2y3d");
  EXPECT_EQ(HumanDuration(hours(24 * 365 * 8)), "8y");
  EXPECT_EQ(HumanDuration(hours(24 * 365 * 10 + 24 * 100)), "10y");
}

TEST(ValidateNameTest, PerRule) {
  EXPECT_TRUE(ValidateName(NameRule::kDnsSubdomain, "a.b-c.d").empty());
  EXPECT_FALSE(ValidateName(NameRule::kDnsSubdomain, "A").empty());
  EXPECT_FALSE(ValidateName(NameRule::kDnsSubdomain, "a..b").empty());
  EXPECT_FALSE(ValidateName(NameRule::kDnsSubdomain, std::string(254, 'a')).empty());
  EXPECT_TRUE(ValidateName(NameRule::kDnsSubdomain, std::string(253, 'a')).empty());
  EXPECT_TRUE(ValidateName(NameRule::kDnsLabel, "1abc").empty());
  EXPECT_FALSE(ValidateName(NameRule::kDnsLabel, "a.b").empty());
  EXPECT_FALSE(ValidateName(NameRule::kDnsLabel, std::string(64, 'a')).empty());
  EXPECT_FALSE(ValidateName(NameRule::kDns1035Label, "1abc").empty());
  EXPECT_TRUE(ValidateName(NameRule::kDns1035Label, "abc-1").empty());
  EXPECT_FALSE(ValidateName(NameRule::kDns1035Label, "abc-").empty());
  auto msgs = ValidateName(NameRule::kDnsLabel, "Bad");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find("a lowercase RFC 1123 label must consist of"), std::string::npos);
  EXPECT_EQ(Info("", "services").name_rule, NameRule::kDns1035Label);
  EXPECT_EQ(Info("", "namespaces").name_rule, NameRule::kDnsLabel);
  EXPECT_EQ(Info("", "pods").name_rule, NameRule::kDnsSubdomain);
}

TEST(BuiltinResourcesTest, AllowCreateOnUpdateAsStrategies) {
  std::set<std::string> expected = {"/services",
                                    "/endpoints",
                                    "/serviceaccounts",
                                    "/events",
                                    "policy/poddisruptionbudgets",
                                    "coordination.k8s.io/leases",
                                    "events.k8s.io/events"};
  for (const auto& r : BuiltinResources()) {
    EXPECT_EQ(r.allow_create_on_update, expected.count(r.group + "/" + r.resource) == 1)
        << r.group << "/" << r.resource;
  }
}

}  // namespace
}  // namespace kcx::apiserver
