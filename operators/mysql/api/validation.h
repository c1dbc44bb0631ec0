#pragma once

// The MySQLCluster admission rules (MOCO's mysqlcluster_webhook.go and validateCreate /
// validateUpdate), as pure functions over the objects' JSON:
//   - validating: field errors with MOCO's paths and messages, in apimachinery's format
//     ("spec.replicas: Invalid value: 2: replicas must be a positive odd number");
//   - mutating: the JSONPatch that adds the finalizer and a random serverIDBase.
// StorageClasses (for volume growth) come through StorageClassLookup, so the rules are
// testable without a server; the webhook passes one backed by the REST client.
//
// One deliberate difference from current MOCO: shrinking a volume claim template is refused
// (MOCO v0.13.0 behaviour), because kcx does not implement the re-clone based shrinking that
// MOCO added in v0.17.0.

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace kcx::mysql::api {

// The longest cluster name: "moco-backup-<name>" (a CronJob) must stay within 52 characters.
inline constexpr size_t kMaxClusterNameLength = 40;

// Reads StorageClasses (storage.k8s.io/v1, cluster-scoped). Threading: called on the thread
// that validates (a webhook request thread); may block on I/O.
struct StorageClassLookup {
  // The StorageClass object, nullopt if it does not exist, or the error of the lookup.
  std::function<Result<std::optional<boost::json::object>>(const std::string& name)> get;
  // Every StorageClass (to find the default one).
  std::function<Result<std::vector<boost::json::object>>()> list;
};

// The default StorageClass among `classes`: annotated storageclass.kubernetes.io/
// is-default-class (or the beta annotation) "true". The first one in list order, as MOCO.
const boost::json::object* DefaultStorageClass(const std::vector<boost::json::object>& classes);

// Field errors of a new MySQLCluster (`obj` is the whole object): the name length and the
// spec rules. Empty means valid.
std::vector<StatusCause> ValidateCreate(const boost::json::object& obj);

// Field errors of an update: replicas not decreased, replicationSourceSecretName and restore
// immutable, claim templates not shrunk and grown only on expandable StorageClasses, and then
// every spec rule of a new cluster.
std::vector<StatusCause> ValidateUpdate(const boost::json::object& obj,
                                        const boost::json::object& old_obj,
                                        const StorageClassLookup& storage_classes);

// Invalid (422) with the causes, message `MySQLCluster.moco.cybozu.com "<name>" is invalid:
// ...` as apierrors.NewInvalid prints it; Ok when `causes` is empty.
Status InvalidCluster(const boost::json::object& obj, std::vector<StatusCause> causes);

// The same rules as one Status: Ok, or InvalidCluster of the causes (what the validating
// webhook returns; for callers that validate before writing, e.g. kubectl-moco or tests).
Status ValidateMySQLClusterCreate(const boost::json::object& obj);
Status ValidateMySQLClusterUpdate(const boost::json::object& obj,
                                  const boost::json::object& old_obj,
                                  const StorageClassLookup& storage_classes);

// A random serverIDBase in [1, 2^30] as MOCO picks it (31-bit random value masked with
// MaxInt32>>1, plus one), from the OS random source.
int32_t RandomServerIdBase();

// The mutating webhook's JSONPatch (RFC 6902 operations) for a MySQLCluster being created:
// adds the finalizer moco.cybozu.com/mysqlcluster if absent (not on an object that is being
// deleted) and spec.serverIDBase = random() when it is missing or 0. Empty when nothing changes.
boost::json::array DefaultingPatch(const boost::json::object& obj,
                                   const std::function<int32_t()>& random = RandomServerIdBase);

}  // namespace kcx::mysql::api
