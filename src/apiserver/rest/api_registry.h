#pragma once

// ApiRegistry: every served resource (built-in types now, CRDs later) with its store.

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
  std::unique_ptr<ResourceStore> store;
  std::string group_version;  // "v1", "apps/v1"
  std::string qualified;      // "configmaps", "statefulsets.apps" (as in error messages)
  std::string storage_prefix;  // "/<group or core>/<resource>/"
  // Custom resources' server-side-apply merge schema, derived once from info->openapi_schema
  // on first use (see MergeSchema in write_handlers.cc).
  mutable std::once_flag merge_schema_once;
  mutable std::shared_ptr<const api::ssa::TypeSchema> merge_schema;

  // The key of an object in the store: "ns/name" or "name".
  std::string Key(std::string_view ns, std::string_view name) const {
    if (!info->namespaced) return std::string(name);
    std::string k;
    k.reserve(ns.size() + name.size() + 1);
    k.append(ns).append("/").append(name);
    return k;
  }
};

class ApiRegistry {
 public:
  ApiRegistry(Sequencer* seq, size_t history_limit);

  ResourceEntry* Add(const ResourceInfo* info);
  // Called with every entry Add creates from now on (e.g. the garbage collector starts
  // watching a CRD's resource). Runs on the thread that calls Add.
  void SetOnAdd(std::function<void(ResourceEntry*)> hook) { on_add_ = std::move(hook); }
  ResourceEntry* Find(std::string_view group, std::string_view version,
                      std::string_view resource) const;
  ResourceEntry* FindByStoragePrefix(std::string_view key) const;
  const std::vector<std::unique_ptr<ResourceEntry>>& entries() const { return entries_; }
  ResourceEntry* namespaces() const { return namespaces_; }

  // Groups in discovery order, each with its versions (preferred first).
  struct GroupVersions {
    std::string group;
    std::vector<std::string> versions;
  };
  std::vector<GroupVersions> Groups() const;

 private:
  Sequencer* seq_;
  size_t history_limit_;
  std::vector<std::unique_ptr<ResourceEntry>> entries_;
  ResourceEntry* namespaces_ = nullptr;
  std::function<void(ResourceEntry*)> on_add_;
};

}  // namespace kcx::apiserver
