#pragma once

// The renderer of the MySQL operator: pure functions from a MySQLCluster to the Kubernetes
// objects the operator wants, as server-side-apply configurations (MOCO's
// controllers/mysqlcluster_controller.go and mysql_container.go).
//
// Each configuration is a complete object (apiVersion, kind, metadata {name, namespace, labels,
// annotations, ownerReferences}) holding only the fields the operator means to own. The
// reconciler applies them with field manager "moco-controller" and skips the apply when the
// fields it owns on the live object already equal the configuration, so:
//   - the same input renders byte-identical JSON (map-typed fields are emitted in sorted key
//     order; user-given parts keep the user's order; nothing depends on time or randomness);
//   - values are written as the API server stores them (quantities exactly as the user wrote
//     them, the operator's own in canonical form: "1", never "1000m"), and empty maps/lists
//     that the server would drop are left out.
//
// No I/O: whatever must be read (passwords, the user's my.cnf ConfigMap, existing ConfigMaps)
// is passed in. Thread-safety: all functions are pure and may be called concurrently.

#include <boost/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "operators/mysql/api/mysqlcluster.h"
#include "operators/mysql/db/gtid.h"
#include "operators/mysql/db/users.h"

namespace kcx::mysql::controllers {

struct RenderOptions {
  // kcx's own image: the `kcx` binary runs the agent sidecar and is copied into the Pod for the
  // init step (MOCO uses the moco-agent image and its moco-init binary for the same roles).
  std::string agent_image = "ghcr.io/kcx-dev/kcx:0.1.0";
  // Where the `kcx` binary is inside agent_image.
  std::string agent_binary = "/usr/local/bin/kcx";
  // MOCO v0.34+ defaults.
  std::string fluent_bit_image = "ghcr.io/cybozu-go/moco/fluent-bit:5.0.2.1";
  std::string exporter_image = "ghcr.io/cybozu-go/moco/mysqld_exporter:0.19.0.1";
  // MOCO's --disable-default-security-context: no runAsUser/runAsGroup on containers and no
  // fsGroup on the Pod (OpenShift assigns its own UIDs).
  bool disable_default_security_context = false;
  // Namespace of the operator; the controller Secret lives there.
  std::string controller_namespace = "moco-system";
  // MOCO's --mysql-configmap-history-limit: old my.cnf ConfigMaps kept per cluster.
  int configmap_history_limit = 10;
};

// Paths inside the Pod (MOCO's pkg/constants).
inline constexpr std::string_view kMySQLDataPath = "/var/lib/mysql";
inline constexpr std::string_view kMySQLConfPath = "/etc/mysql";
inline constexpr std::string_view kMySQLInitConfPath = "/etc/mysql-conf.d";
inline constexpr std::string_view kMySQLConfName = "my.cnf";
inline constexpr std::string_view kRunPath = "/run";
inline constexpr std::string_view kLogDirPath = "/var/log/mysql";
inline constexpr std::string_view kSlowLogName = "mysql.slow";
inline constexpr std::string_view kTmpPath = "/tmp";
inline constexpr std::string_view kMyCnfSecretPath = "/mysql-credentials";
inline constexpr std::string_view kSharedPath = "/shared";
inline constexpr std::string_view kSharedVolume = "shared";
inline constexpr std::string_view kFluentBitConfigPath = "/fluent-bit/etc";
inline constexpr std::string_view kFluentBitConfigName = "fluent-bit.conf";
// Label on objects in the controller namespace naming the cluster's namespace.
inline constexpr std::string_view kLabelAppNamespace = "app.kubernetes.io/instance-namespace";

// The fluent-bit ConfigMap of the slow-log sidecar: "moco-slow-log-agent-config-<name>".
std::string SlowLogConfigMapName(std::string_view name);

// {apiVersion moco.cybozu.com/v1beta2, kind MySQLCluster, name, uid, controller: true,
//  blockOwnerDeletion: true}
boost::json::object OwnerReference(const api::MySQLCluster& c);

// "mysql-<ns>.<name>" in the controller namespace: every system user's password under MOCO's
// keys (ADMIN_PASSWORD, ...), annotation moco.cybozu.com/secret-version "1". No ownerReference
// (owners cannot be in another namespace); the finalizer deletes it.
boost::json::object RenderControllerSecret(const api::MySQLCluster& c, const Passwords& pw,
                                           const RenderOptions& o);
// "moco-<name>": the same keys, in the cluster's namespace (the agent's envFrom).
boost::json::object RenderUserSecret(const api::MySQLCluster& c, const Passwords& pw);
// "moco-my-cnf-<name>": moco-{admin,exporter,backup,readonly,writable}-my.cnf client files.
boost::json::object RenderMyCnfSecret(const api::MySQLCluster& c, const Passwords& pw);

// The my.cnf text: kcx's GenerateMyCnf with the Pod's paths, MOCO's slow-log and tmpdir
// settings, the user's ConfigMap data (nullptr: none) and the buffer pool sized from the mysqld
// container's memory request (its limit when there is no request). Ends with
// `!includedir /etc/mysql-conf.d`, where the init container writes server_id and report_host.
std::string MyCnfContent(const api::MySQLCluster& c,
                         const std::map<std::string, std::string>* user_conf, Flavor flavor);
// "moco-<name>.<fnv32a(content) as 8 hex digits>", as MOCO names it.
std::string MyCnfConfigMapName(std::string_view name, std::string_view content);
// The ConfigMap holding my.cnf under the key "my.cnf".
boost::json::object RenderMyCnfConfigMap(const api::MySQLCluster& c,
                                         const std::map<std::string, std::string>* user_conf,
                                         Flavor flavor);
// The fluent-bit configuration of the slow-log sidecar; nullopt when the sidecar is disabled
// (the reconciler deletes the ConfigMap then).
std::optional<boost::json::object> RenderSlowLogConfigMap(const api::MySQLCluster& c);

// "moco-<name>".
boost::json::object RenderServiceAccount(const api::MySQLCluster& c);
// "moco-<name>": ClusterIP None, publishNotReadyAddresses, ports mysql 3306, mysqlx 33060 and
// mysql-admin 33062, selecting the cluster's Pods.
boost::json::object RenderHeadlessService(const api::MySQLCluster& c);
// "moco-<name>-primary" / "-replica": the service template (labels, annotations, spec) merged,
// then the selector (cluster labels + moco.cybozu.com/role) and the mysql/mysqlx ports forced;
// clusterIP(s) from the template are dropped (not overridable).
boost::json::object RenderPrimaryService(const api::MySQLCluster& c);
boost::json::object RenderReplicaService(const api::MySQLCluster& c);

// "moco-<name>". Invalid if the Pod template has no `mysqld` container (or it has no image).
Result<boost::json::object> RenderStatefulSet(const api::MySQLCluster& c,
                                              const std::string& mycnf_configmap_name,
                                              const RenderOptions& o);

// "moco-<name>" with maxUnavailable replicas/2; nullopt (delete it) if replicas < 3 or offline.
std::optional<boost::json::object> RenderPodDisruptionBudget(const api::MySQLCluster& c);

// An existing ConfigMap as the stale-ConfigMap sweep needs it.
struct ConfigMapInfo {
  std::string name;
  std::string creation_timestamp;  // RFC 3339, as metadata.creationTimestamp
};
// Names of this cluster's my.cnf ConfigMaps to delete: every "moco-<name>.<8 hex>" other than
// `current`, except the newest `limit` of them (by creationTimestamp, then name). ConfigMaps of
// other clusters (including "moco-<name>.x.<hash>" of a cluster named "<name>.x") are ignored.
// Sorted by name.
std::vector<std::string> StaleMyCnfConfigMaps(std::string_view cluster_name,
                                              std::string_view current,
                                              const std::vector<ConfigMapInfo>& existing,
                                              int limit);

}  // namespace kcx::mysql::controllers
