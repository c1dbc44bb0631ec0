#pragma once

// Volume resize decisions (MOCO v0.13.0's reconcilePVC / needResizePVC / resizePVCs, and the
// StatefulSet re-creation of reconcileV1StatefulSet), as pure functions over JSON objects so
// every case is unit-tested without a server. The reconciler performs what they decide.
//
// What kcx does beyond MOCO: a resize that cannot proceed is never silent. A class that cannot
// expand, a PVC already larger than the template (grown by pvc-autoresizer or by hand) and a
// shrink all come back as a Blocked reason that the reconciler turns into a condition and a
// Warning Event; and while a StatefulSet is mid-update, both the PVC patches and the
// StatefulSet re-creation wait (MOCO re-creates the StatefulSet anyway, after which the grown
// template no longer differs from the StatefulSet's and the PVCs are never patched).

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kcx::mysql::controllers {

// Whether the StatefulSet is being rolled out (MOCO's isUpdating): deletionTimestamp set,
// generation ahead of observedGeneration, fewer ready replicas than desired, a partitioned
// rollout unfinished, or updateRevision != currentRevision. `why` says which.
bool StatefulSetUpdating(const boost::json::object& sts, std::string* why = nullptr);

// One claim template whose storage request changed between the StatefulSet and the cluster.
struct StorageChange {
  std::string template_name;
  std::string from, to;  // quantities as written
};

struct VolumePlan {
  std::vector<StorageChange> grow;    // PVCs to expand
  std::vector<StorageChange> shrink;  // refused: Kubernetes cannot shrink a PVC
  // The desired templates differ from the StatefulSet's in anything the StatefulSet compares
  // (names, storage, class, access modes, volume mode, labels, annotations): the StatefulSet
  // must be re-created, since volumeClaimTemplates is immutable.
  bool templates_differ = false;
};

// Compares the cluster's (rendered) claim templates with the live StatefulSet's
// spec.volumeClaimTemplates.
VolumePlan PlanVolumes(const boost::json::array& desired, const boost::json::array& live);

// What to do with one PVC of a growing template.
struct PvcDecision {
  enum Kind {
    kPatch,          // set spec.resources.requests.storage to `to`
    kDone,           // already requests `to`
    kLarger,         // requests more than `to` already: left alone (never shrunk)
    kNotExpandable,  // its StorageClass is missing or does not allow expansion
  } kind = kPatch;
  std::string message;
};

// `pvc` is the live claim; `storage_class` its StorageClass object (nullopt when the claim
// names none or the class does not exist).
PvcDecision DecidePvc(const boost::json::object& pvc, const StorageChange& change,
                      const std::optional<boost::json::object>& storage_class);

}  // namespace kcx::mysql::controllers
