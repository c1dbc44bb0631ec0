#pragma once

// The garbage-collection side of a DELETE, as kube-apiserver's generic registry does it
// (k8s.io/apiserver registry/generic/registry/store.go: shouldOrphanDependents,
// shouldDeleteDependents, deletionFinalizersForGarbageCollection) and the per-type default
// policy of the registry strategies (DefaultGarbageCollectionPolicy). Pure functions,
// thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kcx::apiserver::gc {

inline constexpr std::string_view kFinalizerOrphan = "orphan";
inline constexpr std::string_view kFinalizerForeground = "foregroundDeletion";

// rest.GarbageCollectionPolicy.
enum class GcPolicy {
  kDeleteDependents,  // background unless told otherwise (most types)
  kOrphanDependents,  // legacy default: core/v1 ReplicationController, batch/v1 Job
  kUnsupported,       // no GC finalizers at all (Events)
};

// The default policy of a resource served at group/version.
GcPolicy DefaultGcPolicy(std::string_view group, std::string_view version,
                         std::string_view resource);

// What a DeleteOptions asks for. `orphan_dependents` is the deprecated field; the server
// rejects requests that set both.
struct PropagationRequest {
  std::optional<bool> orphan_dependents;
  std::string propagation_policy;  // "", "Orphan", "Background", "Foreground"
};

// kube's shouldOrphanDependents / shouldDeleteDependents.
bool ShouldOrphanDependents(GcPolicy def, const PropagationRequest& req,
                            const std::vector<std::string>& finalizers);
bool ShouldDeleteDependents(GcPolicy def, const PropagationRequest& req,
                            const std::vector<std::string>& finalizers);

// kube's deletionFinalizersForGarbageCollection: the object's finalizers with `orphan` and
// `foregroundDeletion` removed and re-added as this deletion asks. Returns {changed (as a set),
// the new list}; when unchanged the list is the current one.
std::pair<bool, std::vector<std::string>> DeletionFinalizers(
    GcPolicy def, const PropagationRequest& req, const std::vector<std::string>& finalizers);

}  // namespace kcx::apiserver::gc
