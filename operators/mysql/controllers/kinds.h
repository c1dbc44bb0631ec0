#pragma once

// The resources the MySQL operator reads and writes.

#include "runtime/controller.h"

namespace kcx::mysql::controllers {

inline const runtime::ResourceKind kMySQLClusterKind{"moco.cybozu.com", "v1beta2", "MySQLCluster",
                                                     "mysqlclusters"};
inline const runtime::ResourceKind kStatefulSetKind{"apps", "v1", "StatefulSet", "statefulsets"};
inline const runtime::ResourceKind kServiceKind{"", "v1", "Service", "services"};
inline const runtime::ResourceKind kSecretKind{"", "v1", "Secret", "secrets"};
inline const runtime::ResourceKind kConfigMapKind{"", "v1", "ConfigMap", "configmaps"};
inline const runtime::ResourceKind kServiceAccountKind{"", "v1", "ServiceAccount",
                                                       "serviceaccounts"};
inline const runtime::ResourceKind kPdbKind{"policy", "v1", "PodDisruptionBudget",
                                            "poddisruptionbudgets"};
inline const runtime::ResourceKind kPvcKind{"", "v1", "PersistentVolumeClaim",
                                            "persistentvolumeclaims"};
inline const runtime::ResourceKind kPodKind{"", "v1", "Pod", "pods"};
inline const runtime::ResourceKind kStorageClassKind{"storage.k8s.io", "v1", "StorageClass",
                                                     "storageclasses", /*namespaced=*/false};

// Every object the operator creates carries app.kubernetes.io/created-by=moco; its informers
// watch only those.
inline constexpr const char* kOwnedSelector = "app.kubernetes.io/created-by=moco";

}  // namespace kcx::mysql::controllers
