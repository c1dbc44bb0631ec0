#include "apiserver/gc/deletion_policy.h"

#include <algorithm>
#include <set>

namespace kcx::apiserver::gc {

GcPolicy DefaultGcPolicy(std::string_view group, std::string_view version,
                         std::string_view resource) {
  if (resource == "events" && (group.empty() || group == "events.k8s.io")) {
    return GcPolicy::kUnsupported;
  }
  // Kept for backwards compatibility by the real registry strategies.
  if (group.empty() && version == "v1" && resource == "replicationcontrollers") {
    return GcPolicy::kOrphanDependents;
  }
  if (group == "batch" && version == "v1" && resource == "jobs") {
    return GcPolicy::kOrphanDependents;
  }
  if ((group == "extensions" && version == "v1beta1") ||
      (group == "apps" && (version == "v1beta1" || version == "v1beta2"))) {
    return GcPolicy::kOrphanDependents;
  }
  return GcPolicy::kDeleteDependents;
}

bool ShouldOrphanDependents(GcPolicy def, const PropagationRequest& req,
                            const std::vector<std::string>& finalizers) {
  if (def == GcPolicy::kUnsupported)
    return false;
  // An explicit policy set at deletion time overrides everything.
  if (req.orphan_dependents)
    return *req.orphan_dependents;
  if (req.propagation_policy == "Orphan")
    return true;
  if (req.propagation_policy == "Background" || req.propagation_policy == "Foreground") {
    return false;
  }
  // A GC finalizer already on the object overrides the default.
  for (const auto& f : finalizers) {
    if (f == kFinalizerOrphan)
      return true;
    if (f == kFinalizerForeground)
      return false;
  }
  return def == GcPolicy::kOrphanDependents;
}

bool ShouldDeleteDependents(GcPolicy def, const PropagationRequest& req,
                            const std::vector<std::string>& finalizers) {
  if (def == GcPolicy::kUnsupported)
    return false;
  if (req.orphan_dependents)
    return false;
  if (req.propagation_policy == "Foreground")
    return true;
  if (req.propagation_policy == "Background" || req.propagation_policy == "Orphan") {
    return false;
  }
  return std::find(finalizers.begin(), finalizers.end(), kFinalizerForeground) != finalizers.end();
}

std::pair<bool, std::vector<std::string>> DeletionFinalizers(
    GcPolicy def, const PropagationRequest& req, const std::vector<std::string>& finalizers) {
  // kube returns "no update" without looking at the options when the GC is disabled for the
  // type (Unsupported still reaches here and yields no GC finalizers).
  bool orphan = ShouldOrphanDependents(def, req, finalizers);
  bool foreground = ShouldDeleteDependents(def, req, finalizers);
  std::vector<std::string> out;
  out.reserve(finalizers.size() + 1);
  for (const auto& f : finalizers) {
    if (f == kFinalizerOrphan || f == kFinalizerForeground)
      continue;
    out.push_back(f);
  }
  if (orphan)
    out.emplace_back(kFinalizerOrphan);
  if (foreground)
    out.emplace_back(kFinalizerForeground);
  std::set<std::string_view> a(finalizers.begin(), finalizers.end());
  std::set<std::string_view> b(out.begin(), out.end());
  if (a == b)
    return {false, finalizers};
  return {true, std::move(out)};
}

}  // namespace kcx::apiserver::gc
