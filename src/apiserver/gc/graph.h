#pragma once

// The garbage collector's owner→dependents graph and its decisions, kept free of I/O so they
// can be unit-tested. The graph holds only what the GC needs: objects that have owner
// references (dependents), the reverse index owner uid → dependent uids, and the objects that
// wait for the GC (being deleted with the `orphan` or `foregroundDeletion` finalizer).
// Objects with neither owners nor GC finalizers cost nothing beyond the index lookup of their
// uid when they are deleted.
//
// Threading: not thread-safe; the GarbageCollector touches it from its own thread only.

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace kcx::apiserver::gc {

struct OwnerRef {
  std::string api_version, kind, name, uid;
  bool controller = false;
  bool block_owner_deletion = false;
};

// What the GC reads from an object's metadata.
struct MetaSummary {
  std::string uid, ns, name;
  bool deleting = false;  // has deletionTimestamp
  bool orphan_finalizer = false;
  bool foreground_finalizer = false;
  std::vector<OwnerRef> owners;

  bool DeletingDependents() const { return deleting && foreground_finalizer; }
  bool Orphaning() const { return deleting && orphan_finalizer; }
};
MetaSummary SummarizeMeta(const boost::json::object& obj);

// Work the graph asks for after an observed change.
struct GraphWork {
  std::vector<std::string> attempt_to_delete;  // uids: check (and maybe delete) these objects
  std::vector<std::string> attempt_to_orphan;  // uids of owners being deleted with `orphan`
};

class Graph {
 public:
  struct Node {
    const void* resource = nullptr;  // the ResourceEntry (opaque here)
    std::string ns, name;
    std::vector<OwnerRef> owners;
    bool deleting = false;
    bool deleting_dependents = false;
    bool orphaning = false;
  };

  // An object was added or modified. A new owner reference asks to verify the dependent (the
  // owner may never have existed, or be gone already: kube's "virtual node" check); the check
  // against the in-process store is a map lookup, cheaper than tracking every object.
  void Upsert(const void* resource, const MetaSummary& m, GraphWork& out);
  // An object was deleted.
  void Remove(const std::string& uid, GraphWork& out);
  // Forgets every object of a resource (the resource is no longer served).
  void RemoveResource(const void* resource);

  const Node* Find(const std::string& uid) const;
  const std::unordered_set<std::string>* Dependents(const std::string& owner_uid) const;
  // Dependents whose reference to `owner_uid` has blockOwnerDeletion=true.
  std::vector<std::string> BlockingDependents(const std::string& owner_uid) const;
  size_t size() const { return nodes_.size(); }
  // No node and no reverse-index entry: a deletion cannot concern the collector.
  bool empty() const { return nodes_.empty() && dependents_.empty(); }

 private:
  void Unlink(const std::string& uid, const Node& n, GraphWork& out);

  std::unordered_map<std::string, Node> nodes_;
  std::unordered_map<std::string, std::unordered_set<std::string>> dependents_;
};

// How a dependent's owner looks when checked against the live store (kube's
// classifyReferences).
enum class OwnerState {
  kSolid,         // exists and is not waiting for its dependents
  kDangling,      // absent, or a different object (uid) holds the name
  kWaiting,       // exists, being deleted with `foregroundDeletion`
  kUnresolvable,  // kind not served, or a cluster-scoped dependent naming a namespaced kind
};

struct Decision {
  enum Kind {
    kNone,                        // leave the object alone
    kRemoveRefs,                  // patch: drop the references to `remove_uids`, keep the others
    kUnblockAndDeleteForeground,  // set blockOwnerDeletion=false on its refs, then delete
                                  // with Foreground
    kDeleteForeground,            // delete with Foreground (it blocks a waiting owner)
    kDelete,                      // delete with `policy`
  } kind = kNone;
  std::vector<std::string> remove_uids;
  std::string policy;  // "Background", "Foreground" or "Orphan" for kDelete
};

// kube's attemptToDeleteItem for an object that is not itself being deleted. `states` is
// parallel to `item.owners`. `has_dependents`: the object owns something; and
// `dependent_deleting_dependents`: one of those is itself in foreground deletion (a cycle
// hint: the object must not block it).
Decision DecideDependent(const MetaSummary& item, const std::vector<OwnerState>& states,
                         bool has_dependents, bool dependent_deleting_dependents);

}  // namespace kcx::apiserver::gc
