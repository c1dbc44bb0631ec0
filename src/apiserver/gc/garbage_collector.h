#pragma once

// GarbageCollector: kube-controller-manager's garbage collector, in process. It watches every
// resource of the ApiRegistry through the in-memory stores (no HTTPS, no re-listing), keeps
// the owner→dependents graph keyed by uid (graph.h), and acts through the RestHandler's
// internal DeleteObject / UpdateObject, so its writes go through the same validation,
// finalizer and watch machinery as a client's:
//   - Background: a dependent whose owners are all gone (checked by uid against the live
//     store, in the dependent's namespace for namespaced owner kinds) is deleted with the
//     propagation its own finalizers ask for (Background by default).
//   - Foreground: an owner being deleted with `foregroundDeletion` gets its dependents deleted
//     (in the foreground when they have dependents themselves); once no dependent with
//     blockOwnerDeletion=true is left, the finalizer is removed and the owner goes.
//   - Orphan: an owner being deleted with `orphan` has its reference removed from each
//     dependent (other references stay), then the finalizer is removed.
//
// Threading: one worker thread owns the graph. AddResource/RemoveResource/Stop are
// thread-safe. Write completions may arrive on the storage commit thread; they only post to
// the worker.

#include <memory>

#include "common/clock.h"

namespace kcx::apiserver {

class RestHandler;
struct ResourceEntry;

namespace gc {

struct GcStats {
  uint64_t deletes = 0;             // DeleteObject calls issued
  uint64_t ref_patches = 0;         // ownerReference removals / unblocks issued
  uint64_t finalizers_removed = 0;  // orphan / foregroundDeletion finalizers removed
  uint64_t retries = 0;             // items re-queued after a failed write
};

class GarbageCollector {
 public:
  GarbageCollector(RestHandler* handler, Clock* clock);
  ~GarbageCollector();
  GarbageCollector(const GarbageCollector&) = delete;
  GarbageCollector& operator=(const GarbageCollector&) = delete;

  // Starts watching `e` (its current objects are observed first). Call for every served
  // resource, before or after Start, e.g. when a CRD version starts being served.
  void AddResource(ResourceEntry* e);
  // Stops watching `e` and forgets its objects. Returns once the worker no longer uses `e`, so
  // the entry may be destroyed afterwards. Must not be called from a write completion.
  void RemoveResource(ResourceEntry* e);

  void Start();
  // Joins the worker. Idempotent. Writes already issued complete on their own.
  void Stop();

  GcStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gc
}  // namespace kcx::apiserver
