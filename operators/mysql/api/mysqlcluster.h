#pragma once

// MySQLCluster (moco.cybozu.com/v1beta2): the names, labels and annotations MOCO uses, and a
// typed view of the object that the webhooks, the renderer and the reconciler share.
//
// The typed view keeps MOCO's defaults (the CRD applies them too; parsing applies them again so
// an object written before a default existed reads the same). Parts the operator passes
// through to Kubernetes objects (the Pod template, claim templates, Service templates) stay
// JSON, so fields kcx does not know survive unchanged.

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/quantity.h"
#include "common/status.h"

namespace kcx::mysql::api {

inline constexpr std::string_view kGroup = "moco.cybozu.com";
inline constexpr std::string_view kVersion = "v1beta2";
inline constexpr std::string_view kApiVersion = "moco.cybozu.com/v1beta2";
inline constexpr std::string_view kKind = "MySQLCluster";
inline constexpr std::string_view kResource = "mysqlclusters";

// The field manager of every server-side apply the operator makes.
inline constexpr std::string_view kFieldManager = "moco-controller";
inline constexpr std::string_view kFinalizer = "moco.cybozu.com/mysqlcluster";

// Labels.
inline constexpr std::string_view kLabelAppName = "app.kubernetes.io/name";
inline constexpr std::string_view kLabelAppInstance = "app.kubernetes.io/instance";
inline constexpr std::string_view kLabelAppCreatedBy = "app.kubernetes.io/created-by";
inline constexpr std::string_view kLabelAppComponent = "app.kubernetes.io/component";
inline constexpr std::string_view kAppName = "mysql";
inline constexpr std::string_view kCreatedBy = "moco";
inline constexpr std::string_view kComponentMysqld = "mysqld";
inline constexpr std::string_view kLabelRole = "moco.cybozu.com/role";
inline constexpr std::string_view kRolePrimary = "primary";
inline constexpr std::string_view kRoleReplica = "replica";

// Annotations.
inline constexpr std::string_view kAnnSecretVersion = "moco.cybozu.com/secret-version";
inline constexpr std::string_view kAnnDemote = "moco.cybozu.com/demote";
inline constexpr std::string_view kAnnPreventDelete = "moco.cybozu.com/prevent-delete";
inline constexpr std::string_view kAnnReconciliationStopped =
    "moco.cybozu.com/reconciliation-stopped";
inline constexpr std::string_view kAnnClusteringStopped = "moco.cybozu.com/clustering-stopped";
inline constexpr std::string_view kAnnForceRollingUpdate = "moco.cybozu.com/force-rolling-update";

// Containers, volumes and ports the operator owns (users may not reuse these names).
inline constexpr std::string_view kMysqldContainer = "mysqld";
inline constexpr std::string_view kAgentContainer = "agent";
inline constexpr std::string_view kInitContainer = "moco-init";
inline constexpr std::string_view kCopyInitContainer = "copy-moco-init";
inline constexpr std::string_view kSlowLogContainer = "slow-log";
inline constexpr std::string_view kExporterContainer = "mysqld-exporter";

inline constexpr std::string_view kDataVolume = "mysql-data";  // the required claim template
inline constexpr std::string_view kConfVolume = "mysql-conf";
inline constexpr std::string_view kInitConfVolume = "mysql-conf-d";
inline constexpr std::string_view kConfSecretVolume = "my-cnf-secret";
inline constexpr std::string_view kGrpcSecretVolume = "grpc-cert";
inline constexpr std::string_view kRunVolume = "run";
inline constexpr std::string_view kVarLogVolume = "var-log";
inline constexpr std::string_view kTmpVolume = "tmp";
inline constexpr std::string_view kSlowLogConfigVolume = "slow-fluent-bit-config";

inline constexpr int kMysqlPort = 3306;
inline constexpr int kMysqlXPort = 33060;
inline constexpr int kMysqlAdminPort = 33062;
inline constexpr int kMysqlHealthPort = 9081;
inline constexpr int kAgentPort = 9080;
inline constexpr int kAgentMetricsPort = 8080;
inline constexpr int kExporterPort = 9104;
inline constexpr std::string_view kMysqlPortName = "mysql";
inline constexpr std::string_view kMysqlXPortName = "mysqlx";
inline constexpr std::string_view kMysqlAdminPortName = "mysql-admin";
inline constexpr std::string_view kHealthPortName = "health";
inline constexpr std::string_view kAgentPortName = "agent";
inline constexpr std::string_view kAgentMetricsPortName = "agent-metrics";
inline constexpr std::string_view kExporterPortName = "mysqld-metrics";

inline constexpr int64_t kContainerUid = 10000;
inline constexpr int64_t kContainerGid = 10000;

// Condition types of status.conditions.
inline constexpr std::string_view kCondInitialized = "Initialized";
inline constexpr std::string_view kCondAvailable = "Available";
inline constexpr std::string_view kCondHealthy = "Healthy";
inline constexpr std::string_view kCondStatefulSetReady = "StatefulSetReady";
inline constexpr std::string_view kCondReconcileSuccess = "ReconcileSuccess";
inline constexpr std::string_view kCondReconciliationActive = "ReconciliationActive";
inline constexpr std::string_view kCondClusteringActive = "ClusteringActive";

// Names derived from a cluster's name and namespace.
std::string PrefixedName(std::string_view name);        // "moco-<name>": StatefulSet, headless
                                                        // Service, ServiceAccount, PDB, user Secret
std::string PrimaryServiceName(std::string_view name);  // "moco-<name>-primary"
std::string ReplicaServiceName(std::string_view name);  // "moco-<name>-replica"
// The controller-side password Secret, in the operator's namespace: "mysql-<ns>.<name>".
std::string ControllerSecretName(std::string_view ns, std::string_view name);
std::string UserSecretName(std::string_view name);      // "moco-<name>"
std::string MyCnfSecretName(std::string_view name);     // "moco-my-cnf-<name>"
std::string PodName(std::string_view name, int index);  // "moco-<name>-<i>"
// "moco-<name>-<i>.moco-<name>.<ns>.svc"
std::string PodHostname(std::string_view name, std::string_view ns, int index);
// "<template>-moco-<name>-<i>"
std::string PvcName(std::string_view tmpl, std::string_view name, int index);

// The storage request of a claim or claim template (spec.resources.requests.storage) as
// written, "" when absent or neither a string nor a number; and parsed (nullopt when absent or
// malformed). Shared by the webhook and the volume resize.
std::string StorageRequest(const boost::json::object& claim);
std::optional<kcx::api::Quantity> StorageQuantity(const boost::json::object& claim);

// app.kubernetes.io/{name=mysql, instance=<name>, created-by=moco}
std::map<std::string, std::string> ClusterLabels(std::string_view name);

struct MySQLCluster {
  // metadata
  std::string name, ns, uid, resource_version;
  int64_t generation = 0;
  bool deleting = false;  // deletionTimestamp set
  std::vector<std::string> finalizers;
  std::map<std::string, std::string> labels, annotations;

  // spec (MOCO's defaults)
  int32_t replicas = 1;
  boost::json::object pod_template;                         // {metadata, spec, overwriteContainers}
  std::vector<boost::json::object> volume_claim_templates;  // each {metadata, spec}
  std::optional<boost::json::object> primary_service_template, replica_service_template;
  std::optional<std::string> mysql_config_map_name;
  std::optional<std::string> replication_source_secret_name;
  std::vector<std::string> collectors;
  uint32_t server_id_base = 0;  // 0: not set yet (the mutating webhook sets it)
  int64_t max_delay_seconds = 60;
  int64_t max_delay_seconds_for_pod_deletion = 0;
  int64_t startup_wait_seconds = 3600;
  std::string log_rotation_schedule;
  std::optional<std::string> log_rotation_size;  // a quantity
  std::string backup_policy_name;
  std::optional<boost::json::object> restore;
  bool disable_slow_query_log_container = false;
  // slowQueryLogConfigTmpl: the name of a ConfigMap with the fluent-bit configuration template.
  std::optional<std::string> slow_query_log_config_template;
  bool agent_use_localhost = false;
  bool initialize_timezone_data = false;
  bool offline = false;

  // status (what the operator reads back)
  int current_primary_index = 0;
  std::vector<int> errant_replica_list;

  boost::json::object raw;  // the whole object as read

  bool ReconciliationStopped() const;  // annotation reconciliation-stopped == "true"
  bool ClusteringStopped() const;      // annotation clustering-stopped == "true"
  // The claim template with this metadata.name, or nullptr.
  const boost::json::object* ClaimTemplate(std::string_view name) const;
};

// Reads a MySQLCluster object. Invalid (with the JSON path) when a field has the wrong type;
// semantic checks are the webhook's (validation.h).
Result<MySQLCluster> ParseMySQLCluster(const boost::json::value& v);

}  // namespace kcx::mysql::api
