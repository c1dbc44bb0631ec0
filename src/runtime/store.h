#pragma once

// Indexer: the thread-safe object cache behind informers and listers (client-go's
// cache.ThreadSafeStore + Indexer). Keyed by "namespace/name"; always indexed by namespace;
// further index functions may be added at any time (existing objects are re-indexed).
//
// Thread-safe: readers share a lock, writers (the informer's reflector) take it exclusively.
// Returned ObjectPtrs stay valid after the store changes (they are immutable snapshots).

#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "api/label_selector.h"
#include "runtime/object.h"

namespace kcx::runtime {

// Index values of an object (e.g. its node name); empty: not in this index.
using IndexFunc = std::function<std::vector<std::string>(const Object&)>;

inline constexpr char kNamespaceIndex[] = "namespace";

// One change Replace() made, for notifications.
struct StoreDelta {
  enum Type { kAdded, kUpdated, kDeleted } type;
  ObjectPtr old_obj;  // kUpdated, kDeleted
  ObjectPtr obj;      // kAdded, kUpdated
};

class Indexer {
 public:
  Indexer();

  // Adds index functions; objects already cached are indexed by them. An existing name is
  // an AlreadyExists error.
  Status AddIndexers(const std::map<std::string, IndexFunc>& indexers);

  // Inserts or replaces the object under its key; returns the previous one (or null).
  ObjectPtr Upsert(ObjectPtr obj);
  // Removes the object with this key; returns it (or null).
  ObjectPtr Delete(const std::string& key);
  // Replaces the whole content (a relist) and returns what changed. An entry of `items` that
  // is the very same ObjectPtr as the cached one is "unchanged".
  std::vector<StoreDelta> Replace(std::unordered_map<std::string, ObjectPtr> items);

  ObjectPtr Get(const std::string& key) const;
  ObjectPtr Get(std::string_view ns, std::string_view name) const;
  std::vector<ObjectPtr> List() const;
  // Objects in a namespace ("" = all) matching a label selector.
  std::vector<ObjectPtr> List(std::string_view ns, const api::LabelSelector& selector) const;
  std::vector<ObjectPtr> ByIndex(const std::string& index, const std::string& value) const;
  std::vector<std::string> ListKeys() const;
  size_t Size() const;

  // Calls fn for every object under the read lock (fn must not call back into the store).
  void ForEach(const std::function<void(const ObjectPtr&)>& fn) const;

 private:
  void IndexLocked(const std::string& key, const Object& obj);
  void UnindexLocked(const std::string& key, const Object& obj);

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, ObjectPtr> items_;
  std::map<std::string, IndexFunc> indexers_;
  // index name -> value -> keys
  std::unordered_map<std::string, std::unordered_map<std::string, std::unordered_set<std::string>>>
      indices_;
};

}  // namespace kcx::runtime
