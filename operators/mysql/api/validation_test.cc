#include "operators/mysql/api/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kcx::mysql::api {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A valid cluster as it reaches the validating webhook (defaults and serverIDBase set).
json::object Cluster() {
  return json::parse(R"({"apiVersion":"moco.cybozu.com/v1beta2","kind":"MySQLCluster",
    "metadata":{"namespace":"foo","name":"test"},
    "spec":{"replicas":3,"serverIDBase":100,
      "podTemplate":{"spec":{"containers":[{"name":"mysqld","image":"mysql:8.0.28"}]}},
      "volumeClaimTemplates":[{"metadata":{"name":"mysql-data"},
        "spec":{"resources":{"requests":{"storage":"1Gi"}}}}]}})")
      .as_object();
}

json::object& Spec(json::object& c) { return c["spec"].as_object(); }
json::object& PodSpec(json::object& c) {
  return Spec(c)["podTemplate"].as_object()["spec"].as_object();
}
json::array& Containers(json::object& c) { return PodSpec(c)["containers"].as_array(); }
json::object& Template(json::object& c, size_t i = 0) {
  return Spec(c)["volumeClaimTemplates"].as_array()[i].as_object();
}
void SetStorage(json::object& c, const std::string& size, size_t i = 0) {
  Template(c, i)["spec"].as_object()["resources"].as_object()["requests"].as_object()["storage"] =
      size;
}

// "field: message" of each cause.
std::vector<std::string> Messages(const std::vector<StatusCause>& causes) {
  std::vector<std::string> out;
  for (const auto& c : causes)
    out.push_back(c.field + ": " + c.message);
  return out;
}

// A fake StorageClass store.
struct FakeClasses {
  std::map<std::string, json::object> classes;
  bool fail = false;
  int gets = 0, lists = 0;

  void Add(const std::string& name, std::optional<bool> expand, bool is_default) {
    json::object sc{{"metadata", {{"name", name}}}, {"provisioner", "p"}};
    if (expand)
      sc["allowVolumeExpansion"] = *expand;
    if (is_default) {
      sc["metadata"].as_object()["annotations"] =
          json::object{{"storageclass.kubernetes.io/is-default-class", "true"}};
    }
    classes[name] = sc;
  }
  StorageClassLookup Lookup() {
    StorageClassLookup l;
    l.get = [this](const std::string& n) -> Result<std::optional<json::object>> {
      ++gets;
      if (fail)
        return Unavailable("connection refused");
      auto it = classes.find(n);
      if (it == classes.end())
        return std::optional<json::object>();
      return std::optional<json::object>(it->second);
    };
    l.list = [this]() -> Result<std::vector<json::object>> {
      ++lists;
      if (fail)
        return Unavailable("connection refused");
      std::vector<json::object> out;
      for (auto& [k, v] : classes)
        out.push_back(v);
      return out;
    };
    return l;
  }
};

TEST(ValidateCreateTest, ValidClusterPasses) { EXPECT_THAT(ValidateCreate(Cluster()), IsEmpty()); }

TEST(ValidateCreateTest, NameAtMost40Characters) {
  json::object c = Cluster();
  c["metadata"].as_object()["name"] = std::string(40, 'a');
  EXPECT_THAT(ValidateCreate(c), IsEmpty());
  c["metadata"].as_object()["name"] = std::string(41, 'a');
  EXPECT_THAT(Messages(ValidateCreate(c)),
              ElementsAre("metadata.name: Invalid value: \"" + std::string(41, 'a') +
                          "\": required name must be 40 characters or less"));
}

TEST(ValidateCreateTest, ReplicasPositiveOdd) {
  json::object c = Cluster();
  Spec(c)["replicas"] = 2;
  EXPECT_THAT(
      Messages(ValidateCreate(c)),
      ElementsAre("spec.replicas: Invalid value: 2: replicas must be a positive odd number"));
  Spec(c)["replicas"] = 0;
  EXPECT_THAT(Messages(ValidateCreate(c)),
              ElementsAre("spec.replicas: Invalid value: 0: replicas must be a positive odd number",
                          "spec.replicas: Invalid value: 0: replicas must be a positive integer"));
  Spec(c)["replicas"] = -1;
  EXPECT_THAT(Messages(ValidateCreate(c)),
              ElementsAre("spec.replicas: Invalid value: -1: replicas must be a positive integer"));
  for (int ok : {1, 5, 7}) {
    Spec(c)["replicas"] = ok;
    EXPECT_THAT(ValidateCreate(c), IsEmpty()) << ok;
  }
  Spec(c).erase("replicas");  // the CRD default (1)
  EXPECT_THAT(ValidateCreate(c), IsEmpty());
}

TEST(ValidateCreateTest, ServerIdBasePositive) {
  json::object c = Cluster();
  Spec(c)["serverIDBase"] = 0;
  EXPECT_THAT(
      Messages(ValidateCreate(c)),
      ElementsAre("spec.serverIDBase: Invalid value: 0: serverIDBase must be a positive integer"));
  Spec(c)["serverIDBase"] = -5;
  EXPECT_THAT(
      Messages(ValidateCreate(c)),
      ElementsAre("spec.serverIDBase: Invalid value: -5: serverIDBase must be a positive integer"));
}

TEST(ValidateCreateTest, MysqldContainerRequired) {
  json::object c = Cluster();
  Containers(c)[0].as_object()["name"] = "db";
  EXPECT_THAT(Messages(ValidateCreate(c)),
              ElementsAre("spec.podTemplate.spec.containers: Required value: required container "
                          "mysqld is missing"));
  Containers(c).clear();
  EXPECT_THAT(Messages(ValidateCreate(c)),
              ElementsAre("spec.podTemplate.spec.containers: Required value: required container "
                          "mysqld is missing"));
  Containers(c).push_back(json::object{{"image", "x"}});
  EXPECT_THAT(Messages(ValidateCreate(c)),
              ElementsAre("spec.podTemplate.spec.containers[0]: Forbidden: container name is "
                          "required",
                          "spec.podTemplate.spec.containers: Required value: required container "
                          "mysqld is missing"));
}

TEST(ValidateCreateTest, DataClaimTemplateAndStorageRequestsRequired) {
  json::object c = Cluster();
  Template(c)["metadata"].as_object()["name"] = "data";
  EXPECT_THAT(Messages(ValidateCreate(c)),
              ElementsAre("spec.volumeClaimTemplates: Required value: required volume claim "
                          "template mysql-data is missing"));

  c = Cluster();
  Spec(c)["volumeClaimTemplates"].as_array().push_back(
      json::object{{"metadata", {{"name", "binlog"}}}, {"spec", json::object()}});
  EXPECT_THAT(Messages(ValidateCreate(c)),
              ElementsAre("spec.volumeClaimTemplates: Required value: required volume claim "
                          "template binlog storage requests is missing"));

  c = Cluster();
  Template(c)["spec"].as_object()["resources"] = json::object{{"limits", {{"storage", "1Gi"}}}};
  EXPECT_THAT(Messages(ValidateCreate(c)),
              ElementsAre("spec.volumeClaimTemplates: Required value: required volume claim "
                          "template mysql-data storage requests is missing"));

  // An integer quantity is a storage request too.
  c = Cluster();
  Template(c)["spec"].as_object()["resources"].as_object()["requests"].as_object()["storage"] =
      1073741824;
  EXPECT_THAT(ValidateCreate(c), IsEmpty());
}

TEST(ValidateCreateTest, ReservedContainerNames) {
  for (const char* name : {"agent", "moco-init", "copy-moco-init"}) {
    json::object c = Cluster();
    Containers(c).push_back(json::object{{"name", name}});
    EXPECT_THAT(Messages(ValidateCreate(c)),
                ElementsAre("spec.podTemplate.spec.containers[1]: Forbidden: reserved container "
                            "name"))
        << name;
  }
  // slow-log is MOCO's only while the slow query log sidecar is on.
  json::object c = Cluster();
  Containers(c).push_back(json::object{{"name", "slow-log"}});
  EXPECT_THAT(
      Messages(ValidateCreate(c)),
      ElementsAre("spec.podTemplate.spec.containers[1]: Forbidden: reserved container name"));
  Spec(c)["disableSlowQueryLogContainer"] = true;
  EXPECT_THAT(ValidateCreate(c), IsEmpty());
  // mysqld-exporter only when collectors are set.
  c = Cluster();
  Containers(c).push_back(json::object{{"name", "mysqld-exporter"}});
  EXPECT_THAT(ValidateCreate(c), IsEmpty());
  Spec(c)["collectors"] = json::array{"engine_innodb_status"};
  EXPECT_THAT(
      Messages(ValidateCreate(c)),
      ElementsAre("spec.podTemplate.spec.containers[1]: Forbidden: reserved container name"));
}

TEST(ValidateCreateTest, ReservedInitContainerNames) {
  for (const char* name : {"moco-init", "copy-moco-init", "agent"}) {
    json::object c = Cluster();
    PodSpec(c)["initContainers"] =
        json::array{json::object{{"name", "ok"}}, json::object{{"name", name}}};
    EXPECT_THAT(Messages(ValidateCreate(c)),
                ElementsAre("spec.podTemplate.spec.initContainers[1]: Invalid value: \"" +
                            std::string(name) + "\": reserved init container name"));
  }
  json::object c = Cluster();
  PodSpec(c)["initContainers"] = json::array{json::object{{"image", "x"}}};
  EXPECT_THAT(Messages(ValidateCreate(c)),
              ElementsAre("spec.podTemplate.spec.initContainers[0]: Forbidden: init container "
                          "name is required"));
}

TEST(ValidateCreateTest, ReservedPortsInEveryContainer) {
  for (int port : {3306, 33060, 33062, 9081, 9080, 8080, 9104}) {
    for (size_t idx : {0, 1}) {
      json::object c = Cluster();
      Containers(c).push_back(json::object{{"name", "sidecar"}});
      Containers(c)[idx].as_object()["ports"] =
          json::array{json::object{{"containerPort", 1234}}, json::object{{"containerPort", port}}};
      EXPECT_THAT(
          Messages(ValidateCreate(c)),
          ElementsAre("spec.podTemplate.spec.containers[" + std::to_string(idx) +
                      "].ports[1]: Invalid value: " + std::to_string(port) + ": reserved port"))
          << port << " in container " << idx;
    }
  }
  for (const char* name :
       {"mysql", "mysqlx", "mysql-admin", "health", "agent", "agent-metrics", "mysqld-metrics"}) {
    json::object c = Cluster();
    Containers(c)[0].as_object()["ports"] =
        json::array{json::object{{"containerPort", 1234}, {"name", name}}};
    EXPECT_THAT(Messages(ValidateCreate(c)),
                ElementsAre("spec.podTemplate.spec.containers[0].ports[0]: Invalid value: \"" +
                            std::string(name) + "\": reserved port name"));
  }
  json::object c = Cluster();
  Containers(c)[0].as_object()["ports"] =
      json::array{json::object{{"containerPort", 3307}, {"name", "mysql2"}}};
  EXPECT_THAT(ValidateCreate(c), IsEmpty());
}

TEST(ValidateCreateTest, ReservedVolumeNames) {
  for (const char* name : {"tmp", "run", "var-log", "mysql-conf", "mysql-conf-d", "my-cnf-secret",
                           "slow-fluent-bit-config", "grpc-cert"}) {
    json::object c = Cluster();
    PodSpec(c)["volumes"] = json::array{json::object{{"name", "data2"}},
                                        json::object{{"name", name}, {"emptyDir", json::object()}}};
    EXPECT_THAT(Messages(ValidateCreate(c)),
                ElementsAre("spec.podTemplate.spec.volumes[1]: Invalid value: \"" +
                            std::string(name) + "\": reserved volume name"));
  }
}

TEST(ValidateCreateTest, LogRotationScheduleIsCron) {
  json::object c = Cluster();
  Spec(c)["logRotationSchedule"] = "*/5 * * * *";
  EXPECT_THAT(ValidateCreate(c), IsEmpty());
  Spec(c)["logRotationSchedule"] = "@every 10m";
  EXPECT_THAT(ValidateCreate(c), IsEmpty());
  Spec(c)["logRotationSchedule"] = "every hour";
  EXPECT_THAT(Messages(ValidateCreate(c)),
              ElementsAre("spec.logRotationSchedule: Invalid value: \"every hour\": expected "
                          "exactly 5 fields, found 2: [every hour]"));
  Spec(c)["logRotationSchedule"] = "61 * * * *";
  EXPECT_THAT(Messages(ValidateCreate(c)),
              ElementsAre("spec.logRotationSchedule: Invalid value: \"61 * * * *\": end of range "
                          "(61) above maximum (59): 61"));
}

TEST(ValidateCreateTest, SeveralErrorsInMocosOrder) {
  json::object c = Cluster();
  Spec(c)["replicas"] = 4;
  Containers(c)[0].as_object()["name"] = "db";
  Template(c)["metadata"].as_object()["name"] = "data";
  Status s = InvalidCluster(c, ValidateCreate(c));
  EXPECT_EQ(s.reason(), Reason::kInvalid);
  EXPECT_EQ(s.code(), 422);
  EXPECT_EQ(s.message(),
            "MySQLCluster.moco.cybozu.com \"test\" is invalid: [spec.volumeClaimTemplates: "
            "Required value: required volume claim template mysql-data is missing, "
            "spec.replicas: Invalid value: 4: replicas must be a positive odd number, "
            "spec.podTemplate.spec.containers: Required value: required container mysqld is "
            "missing]");
  ASSERT_TRUE(s.details().has_value());
  EXPECT_EQ(s.details()->kind, "MySQLCluster");
  EXPECT_EQ(s.details()->group, "moco.cybozu.com");
  EXPECT_EQ(s.details()->name, "test");
  ASSERT_EQ(s.details()->causes.size(), 3u);
  EXPECT_EQ(s.details()->causes[1].type, "FieldValueInvalid");
  EXPECT_EQ(s.details()->causes[1].field, "spec.replicas");
  EXPECT_TRUE(InvalidCluster(c, {}).ok());
  EXPECT_EQ(ValidateMySQLClusterCreate(c).message(), s.message());
  EXPECT_TRUE(ValidateMySQLClusterCreate(Cluster()).ok());
  FakeClasses sc;
  EXPECT_TRUE(ValidateMySQLClusterUpdate(Cluster(), Cluster(), sc.Lookup()).ok());
  EXPECT_EQ(ValidateMySQLClusterUpdate(c, Cluster(), sc.Lookup()).reason(), Reason::kInvalid);
}

TEST(ValidateUpdateTest, UnchangedClusterPasses) {
  FakeClasses sc;
  EXPECT_THAT(ValidateUpdate(Cluster(), Cluster(), sc.Lookup()), IsEmpty());
  EXPECT_EQ(sc.gets + sc.lists, 0);
}

TEST(ValidateUpdateTest, ReplicasNeverDecreased) {
  FakeClasses sc;
  json::object old = Cluster(), now = Cluster();
  Spec(now)["replicas"] = 1;
  EXPECT_THAT(Messages(ValidateUpdate(now, old, sc.Lookup())),
              ElementsAre("spec.replicas: Forbidden: decreasing replicas is not supported yet"));
  Spec(now)["replicas"] = 5;
  EXPECT_THAT(ValidateUpdate(now, old, sc.Lookup()), IsEmpty());
  // An even increase is refused by the create rules.
  Spec(now)["replicas"] = 4;
  EXPECT_THAT(
      Messages(ValidateUpdate(now, old, sc.Lookup())),
      ElementsAre("spec.replicas: Invalid value: 4: replicas must be a positive odd number"));
}

TEST(ValidateUpdateTest, ReplicationSourceSecretNameOnlyAtCreation) {
  FakeClasses sc;
  json::object old = Cluster(), now = Cluster();
  Spec(now)["replicationSourceSecretName"] = "donor";
  EXPECT_THAT(Messages(ValidateUpdate(now, old, sc.Lookup())),
              ElementsAre("spec.replicationSourceSecretName: Forbidden: replication can be "
                          "initiated only with new clusters"));
  Spec(old)["replicationSourceSecretName"] = "donor";
  EXPECT_THAT(ValidateUpdate(now, old, sc.Lookup()), IsEmpty());
  Spec(now)["replicationSourceSecretName"] = "other";
  EXPECT_THAT(Messages(ValidateUpdate(now, old, sc.Lookup())),
              ElementsAre("spec.replicationSourceSecretName: Forbidden: replication source "
                          "secret name cannot be modified"));
  // Dropping it (the cluster stops being an intermediate primary) is allowed, as in MOCO.
  Spec(now).erase("replicationSourceSecretName");
  EXPECT_THAT(ValidateUpdate(now, old, sc.Lookup()), IsEmpty());
  Spec(now)["replicationSourceSecretName"] = nullptr;
  EXPECT_THAT(ValidateUpdate(now, old, sc.Lookup()), IsEmpty());
}

TEST(ValidateUpdateTest, RestoreNotEditable) {
  FakeClasses sc;
  json::object old = Cluster(), now = Cluster();
  json::object restore{{"sourceName", "src"},
                       {"sourceNamespace", "foo"},
                       {"restorePoint", "2026-01-01T00:00:00Z"},
                       {"jobConfig", json::object{{"serviceAccountName", "sa"}}}};
  Spec(old)["restore"] = restore;
  Spec(now)["restore"] = restore;
  EXPECT_THAT(ValidateUpdate(now, old, sc.Lookup()), IsEmpty());
  Spec(now)["restore"].as_object()["restorePoint"] = "2026-01-02T00:00:00Z";
  EXPECT_THAT(Messages(ValidateUpdate(now, old, sc.Lookup())),
              ElementsAre("spec.restore: Forbidden: not editable"));
  Spec(now).erase("restore");
  EXPECT_THAT(Messages(ValidateUpdate(now, old, sc.Lookup())),
              ElementsAre("spec.restore: Forbidden: not editable"));
  EXPECT_THAT(Messages(ValidateUpdate(old, Cluster(), sc.Lookup())),
              ElementsAre("spec.restore: Forbidden: not editable"));
}

TEST(ValidateUpdateTest, ShrinkRefusedWithAdvice) {
  FakeClasses sc;
  json::object old = Cluster(), now = Cluster();
  SetStorage(now, "512Mi");
  EXPECT_THAT(
      Messages(ValidateUpdate(now, old, sc.Lookup())),
      ElementsAre("spec.volumeClaimTemplates[0].spec.resources.requests.storage: Forbidden: "
                  "shrinking volume claim template \"mysql-data\" from 1Gi to 512Mi is not "
                  "supported: Kubernetes cannot shrink a PersistentVolumeClaim. Keep 1Gi, or "
                  "create a new MySQLCluster with the smaller size, move the data to it (restore "
                  "from a backup or replicate with replicationSourceSecretName) and delete this "
                  "one"));
  // Equal sizes in another spelling are not a change.
  SetStorage(now, "1024Mi");
  EXPECT_THAT(ValidateUpdate(now, old, sc.Lookup()), IsEmpty());
  EXPECT_EQ(sc.gets + sc.lists, 0);
}

TEST(ValidateUpdateTest, GrowthNeedsAnExpandableStorageClass) {
  FakeClasses sc;
  sc.Add("fixed", false, false);
  sc.Add("unset", std::nullopt, false);
  sc.Add("fast", true, false);
  json::object old = Cluster(), now = Cluster();
  SetStorage(now, "2Gi");
  Template(old)["spec"].as_object()["storageClassName"] = "fixed";
  Template(now)["spec"].as_object()["storageClassName"] = "fixed";
  EXPECT_THAT(Messages(ValidateUpdate(now, old, sc.Lookup())),
              ElementsAre("spec.volumeClaimTemplates[0].spec.storageClassName: Forbidden: "
                          "storage class \"fixed\" is not allowed to expand volume"));
  Template(now)["spec"].as_object()["storageClassName"] = "unset";
  EXPECT_THAT(Messages(ValidateUpdate(now, old, sc.Lookup())),
              ElementsAre("spec.volumeClaimTemplates[0].spec.storageClassName: Forbidden: "
                          "storage class \"unset\" is not allowed to expand volume"));
  Template(now)["spec"].as_object()["storageClassName"] = "fast";
  EXPECT_THAT(ValidateUpdate(now, old, sc.Lookup()), IsEmpty());
  Template(now)["spec"].as_object()["storageClassName"] = "missing";
  EXPECT_THAT(Messages(ValidateUpdate(now, old, sc.Lookup())),
              ElementsAre("spec.volumeClaimTemplates[0].spec.storageClassName: Internal error: "
                          "failed to get storage class missing: storageclasses.storage.k8s.io "
                          "\"missing\" not found"));
  sc.fail = true;
  Template(now)["spec"].as_object()["storageClassName"] = "fast";
  EXPECT_THAT(Messages(ValidateUpdate(now, old, sc.Lookup())),
              ElementsAre("spec.volumeClaimTemplates[0].spec.storageClassName: Internal error: "
                          "failed to get storage class fast: connection refused"));
}

TEST(ValidateUpdateTest, GrowthWithoutClassUsesTheDefaultClass) {
  FakeClasses sc;
  json::object old = Cluster(), now = Cluster();
  SetStorage(now, "2Gi");
  EXPECT_THAT(Messages(ValidateUpdate(now, old, sc.Lookup())),
              ElementsAre("spec.volumeClaimTemplates[0]: Internal error: failed to get storage "
                          "class: not found default storage class"));
  sc.Add("fast", true, false);  // expandable, but not the default
  sc.Add("standard", false, true);
  EXPECT_THAT(Messages(ValidateUpdate(now, old, sc.Lookup())),
              ElementsAre("spec.volumeClaimTemplates[0]: Forbidden: default storage class "
                          "\"standard\" is not allowed to expand volume"));
  sc.Add("standard", true, true);
  EXPECT_THAT(ValidateUpdate(now, old, sc.Lookup()), IsEmpty());
  // The beta annotation marks a default class as well.
  FakeClasses beta;
  beta.Add("old", true, false);
  beta.classes["old"]["metadata"].as_object()["annotations"] =
      json::object{{"storageclass.beta.kubernetes.io/is-default-class", "true"}};
  EXPECT_THAT(ValidateUpdate(now, old, beta.Lookup()), IsEmpty());
  // A new template (not in the old object) is neither growth nor shrink.
  FakeClasses none;
  json::object added = Cluster();
  Spec(added)["volumeClaimTemplates"].as_array().push_back(
      json::object{{"metadata", {{"name", "binlog"}}},
                   {"spec", {{"resources", {{"requests", {{"storage", "5Gi"}}}}}}}});
  EXPECT_THAT(ValidateUpdate(added, old, none.Lookup()), IsEmpty());
  EXPECT_EQ(none.gets + none.lists, 0);
}

TEST(ValidateUpdateTest, CreateRulesApplyButNotTheNameRule) {
  FakeClasses sc;
  json::object old = Cluster(), now = Cluster();
  old["metadata"].as_object()["name"] = std::string(41, 'x');
  now["metadata"].as_object()["name"] = std::string(41, 'x');
  EXPECT_THAT(ValidateUpdate(now, old, sc.Lookup()), IsEmpty());
  Containers(now).push_back(json::object{{"name", "agent"}});
  EXPECT_THAT(
      Messages(ValidateUpdate(now, old, sc.Lookup())),
      ElementsAre("spec.podTemplate.spec.containers[1]: Forbidden: reserved container name"));
}

TEST(DefaultingTest, AddsFinalizerAndServerIdBase) {
  json::object c = Cluster();
  Spec(c).erase("serverIDBase");
  json::array patch = DefaultingPatch(c, [] { return 1234; });
  EXPECT_EQ(patch, json::parse(R"([
    {"op":"add","path":"/metadata/finalizers","value":["moco.cybozu.com/mysqlcluster"]},
    {"op":"add","path":"/spec/serverIDBase","value":1234}])"));

  c["metadata"].as_object()["finalizers"] = json::array{"other"};
  Spec(c)["serverIDBase"] = 0;
  EXPECT_EQ(DefaultingPatch(c, [] { return 7; }), json::parse(R"([
    {"op":"add","path":"/metadata/finalizers/-","value":"moco.cybozu.com/mysqlcluster"},
    {"op":"replace","path":"/spec/serverIDBase","value":7}])"));
}

TEST(DefaultingTest, NothingToDo) {
  json::object c = Cluster();
  c["metadata"].as_object()["finalizers"] = json::array{"moco.cybozu.com/mysqlcluster"};
  EXPECT_TRUE(DefaultingPatch(c, [] { return 1; }).empty());
  // No finalizer is added to an object being deleted.
  json::object d = Cluster();
  d["metadata"].as_object()["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  EXPECT_TRUE(DefaultingPatch(d, [] { return 1; }).empty());
}

TEST(DefaultingTest, RandomServerIdBaseRange) {
  std::set<int32_t> seen;
  for (int i = 0; i < 2000; ++i) {
    int32_t v = RandomServerIdBase();
    ASSERT_GE(v, 1);
    ASSERT_LE(v, int32_t(1) << 30);
    seen.insert(v);
  }
  EXPECT_GT(seen.size(), 1990u);  // random, not a constant
}

}  // namespace
}  // namespace kcx::mysql::api
