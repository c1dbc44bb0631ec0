#pragma once

// CustomResourceDefinitions (apiextensions.k8s.io/v1): the ResourceInfo of the CRD type itself
// (kube's defaulting, validation and status strategy), and the ResourceInfos of the resources
// a CRD defines (schema validation, pruning, defaulting, printer columns, subresources).
//
// Pure library: no I/O, no clock. Safe to call from any thread.

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "apiserver/registry/resource_info.h"

namespace kcx::apiserver::crd {

inline constexpr const char* kCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

// The `customresourcedefinitions` resource. Valid forever.
const ResourceInfo& CrdResourceInfo();

// Kube's CRD defaulting (SetDefaults_CustomResourceDefinition and friends).
void DefaultCrd(boost::json::object& crd);
// Kube's ValidateCustomResourceDefinition (and ...Update when `old` is set).
std::vector<StatusCause> ValidateCrd(const boost::json::object& crd,
                                     const boost::json::object* old);
// The storage version's name, or "" if the CRD has none.
std::string StorageVersion(const boost::json::object& crd);

// What the server serves for one CRD: a ResourceInfo per served version, sorted by kube's
// version priority (the preferred version first), and the storage version.
struct ServedResource {
  std::string group, plural, storage_version;
  std::vector<std::shared_ptr<const ResourceInfo>> versions;
};
Result<ServedResource> BuildServedResource(const boost::json::object& crd);

// Kube's version ordering (v1 > v1beta2 > v1beta1 > v1alpha1 > other names alphabetically):
// negative if a sorts before b.
int CompareKubeVersions(std::string_view a, std::string_view b);

}  // namespace kcx::apiserver::crd
