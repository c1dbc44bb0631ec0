#pragma once

// ApiRegistry: every served resource (built-in types and the resources of
// CustomResourceDefinitions) with its store.
//
// Threading: readers (request threads) take a snapshot with one atomic load and never lock;
// writers (startup, the CRD controller) build a new snapshot under a mutex and publish it
// (copy-on-write). A ResourceEntry, once added, is never destroyed before the registry: a
// removed entry moves to a retired list, so raw ResourceEntry* held by an in-flight request
// stay valid. Entries are immutable after Add except for `terminating` (atomic).

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "api/ssa/field_manager.h"
#include "apiserver/registry/resource_info.h"
#include "apiserver/store/resource_store.h"

namespace kcx::apiserver {

struct ResourceEntry {
  const ResourceInfo* info = nullptr;
  // Shared by all served versions of one custom resource (objects are stored once, in the
  // storage version).
  std::shared_ptr<ResourceStore> store;
  std::string group_version;   // "v1", "apps/v1"
  std::string qualified;       // "configmaps", "statefulsets.apps" (as in error messages)
  std::string storage_prefix;  // "/<group or core>/<resource>/"
  // Custom resources' server-side-apply merge schema, derived once from info->openapi_schema
  // on first use (see MergeSchema in write_handlers.cc).
  mutable std::once_flag merge_schema_once;
  mutable std::shared_ptr<const api::ssa::TypeSchema> merge_schema;
  // The apiVersion objects are stored with; differs from group_version for a served version
  // of a custom resource that is not its storage version (conversion None: apiVersion is
  // rewritten on the way in and out).
  std::string storage_group_version;
  // Custom resources: owns the ResourceInfo `info` points to.
  std::shared_ptr<const ResourceInfo> owned_info;
  // A CRD being deleted: new objects are refused (405), existing ones are being removed.
  std::atomic<bool> terminating{false};

  bool NeedsConversion() const { return storage_group_version != group_version; }

  // The key of an object in the store: "ns/name" or "name".
  std::string Key(std::string_view ns, std::string_view name) const {
    if (!info->namespaced)
      return std::string(name);
    std::string k;
    k.reserve(ns.size() + name.size() + 1);
    k.append(ns).append("/").append(name);
    return k;
  }
};

class ApiRegistry {
 public:
  using EntryPtr = std::shared_ptr<ResourceEntry>;
  // An immutable view of the served resources; cheap to hold, iterate with range-for.
  struct Snapshot {
    std::vector<EntryPtr> entries;
    std::vector<EntryPtr>::const_iterator begin() const { return entries.begin(); }
    std::vector<EntryPtr>::const_iterator end() const { return entries.end(); }
    size_t size() const { return entries.size(); }
  };
  using SnapshotPtr = std::shared_ptr<const Snapshot>;
  // Holds a snapshot alive during a range-for: `for (const auto& e : registry.entries())`.
  class EntryList {
   public:
    explicit EntryList(SnapshotPtr s) : s_(std::move(s)) {}
    std::vector<EntryPtr>::const_iterator begin() const { return s_->begin(); }
    std::vector<EntryPtr>::const_iterator end() const { return s_->end(); }
    size_t size() const { return s_->size(); }

   private:
    SnapshotPtr s_;
  };

  ApiRegistry(Sequencer* seq, size_t history_limit);

  // Adds a built-in type (info lives forever). Startup only or under the writer contract.
  ResourceEntry* Add(const ResourceInfo* info);
  // Hooks for the garbage collector, which watches each resource once: `on_add` gets every
  // built-in entry Add creates from now on and, for a new custom resource, its storage-version
  // entry; `on_remove` gets every entry Remove retires. They run on the writer's thread,
  // after the new snapshot is published and outside the writer lock.
  void SetOnAdd(std::function<void(ResourceEntry*)> hook) { on_add_ = std::move(hook); }
  void SetOnRemove(std::function<void(ResourceEntry*)> hook) { on_remove_ = std::move(hook); }
  // Adds the served versions of one custom resource in one publish. `infos` are all versions;
  // `storage_version` names the one objects are stored in. `store` may be an existing store
  // (a CRD update keeps its objects); null creates one. Returns the entries in `infos` order.
  std::vector<ResourceEntry*> AddCustom(std::vector<std::shared_ptr<const ResourceInfo>> infos,
                                        const std::string& storage_version,
                                        std::shared_ptr<ResourceStore> store);
  // Removes every entry of (group, resource) from serving; returns their (shared) store, or
  // null if none. The entries stay allocated (retired).
  std::shared_ptr<ResourceStore> Remove(std::string_view group, std::string_view resource);

  ResourceEntry* Find(std::string_view group, std::string_view version,
                      std::string_view resource) const;
  ResourceEntry* FindByStoragePrefix(std::string_view key) const;
  EntryList entries() const { return EntryList(snapshot()); }
  SnapshotPtr snapshot() const { return snap_.load(std::memory_order_acquire); }
  ResourceEntry* namespaces() const { return namespaces_; }

  // Groups in discovery order, each with its versions (preferred first).
  struct GroupVersions {
    std::string group;
    std::vector<std::string> versions;
  };
  std::vector<GroupVersions> Groups() const;

 private:
  EntryPtr MakeEntry(const ResourceInfo* info, std::shared_ptr<ResourceStore> store);

  Sequencer* seq_;
  size_t history_limit_;
  std::mutex write_mu_;  // serializes writers; readers never take it
  std::atomic<SnapshotPtr> snap_;
  std::vector<EntryPtr> retired_;  // guarded by write_mu_
  ResourceEntry* namespaces_ = nullptr;
  std::function<void(ResourceEntry*)> on_add_, on_remove_;
};

}  // namespace kcx::apiserver
