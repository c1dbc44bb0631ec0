#include "apiserver/rest/api_registry.h"

namespace kcx::apiserver {

ApiRegistry::ApiRegistry(Sequencer* seq, size_t history_limit)
    : seq_(seq), history_limit_(history_limit), snap_(std::make_shared<const Snapshot>()) {}

ApiRegistry::EntryPtr ApiRegistry::MakeEntry(const ResourceInfo* info,
                                             std::shared_ptr<ResourceStore> store) {
  auto e = std::make_shared<ResourceEntry>();
  e->info = info;
  e->group_version = info->group.empty() ? info->version : info->group + "/" + info->version;
  e->storage_group_version = e->group_version;
  e->qualified = info->group.empty() ? info->resource : info->resource + "." + info->group;
  e->storage_prefix =
      "/" + (info->group.empty() ? std::string("core") : info->group) + "/" + info->resource + "/";
  e->store = store ? std::move(store)
                   : std::make_shared<ResourceStore>(e->storage_prefix, seq_, history_limit_);
  return e;
}

ResourceEntry* ApiRegistry::Add(const ResourceInfo* info) {
  std::lock_guard l(write_mu_);
  EntryPtr e = MakeEntry(info, nullptr);
  if (info->group.empty() && info->resource == "namespaces")
    namespaces_ = e.get();
  auto next = std::make_shared<Snapshot>(*snapshot());
  next->entries.push_back(e);
  snap_.store(std::move(next), std::memory_order_release);
  if (on_add_) on_add_(e.get());
  return e.get();
}

std::vector<ResourceEntry*> ApiRegistry::AddCustom(
    std::vector<std::shared_ptr<const ResourceInfo>> infos, const std::string& storage_version,
    std::shared_ptr<ResourceStore> store) {
  std::vector<ResourceEntry*> out;
  if (infos.empty())
    return out;
  ResourceEntry* added = nullptr;  // the storage-version entry of a new resource (for on_add_)
  std::unique_lock l(write_mu_);
  const bool is_new = !store && [&] {
    for (const auto& e : snapshot()->entries) {
      if (e->info->group == infos.front()->group && e->info->resource == infos.front()->resource) {
        return false;
      }
    }
    return true;
  }();
  const ResourceInfo& first = *infos.front();
  std::string storage_gv = first.group + "/" + storage_version;
  auto next = std::make_shared<Snapshot>();
  // Replace every existing entry of this resource (a CRD update republishes all versions).
  for (const auto& e : snapshot()->entries) {
    if (e->info->group == first.group && e->info->resource == first.resource) {
      if (!store)
        store = e->store;
      retired_.push_back(e);
      continue;
    }
    next->entries.push_back(e);
  }
  for (auto& info : infos) {
    EntryPtr e = MakeEntry(info.get(), store);
    store = e->store;
    e->storage_group_version = storage_gv;
    if (is_new && info->version == storage_version) added = e.get();
    e->owned_info = std::move(info);
    out.push_back(e.get());
    next->entries.push_back(std::move(e));
  }
  snap_.store(std::move(next), std::memory_order_release);
  l.unlock();
  if (added && on_add_) on_add_(added);
  return out;
}

std::shared_ptr<ResourceStore> ApiRegistry::Remove(std::string_view group,
                                                   std::string_view resource) {
  std::unique_lock l(write_mu_);
  std::shared_ptr<ResourceStore> store;
  std::vector<ResourceEntry*> removed;
  auto next = std::make_shared<Snapshot>();
  for (const auto& e : snapshot()->entries) {
    if (e->info->group == group && e->info->resource == resource) {
      store = e->store;
      retired_.push_back(e);
      removed.push_back(e.get());
      continue;
    }
    next->entries.push_back(e);
  }
  if (store)
    snap_.store(std::move(next), std::memory_order_release);
  l.unlock();
  if (on_remove_) {
    for (ResourceEntry* e : removed) on_remove_(e);
  }
  return store;
}

ResourceEntry* ApiRegistry::Find(std::string_view group, std::string_view version,
                                 std::string_view resource) const {
  SnapshotPtr s = snapshot();
  for (const auto& e : *s) {
    if (e->info->resource == resource && e->info->group == group && e->info->version == version) {
      return e.get();  // stays valid: entries are never freed before the registry
    }
  }
  return nullptr;
}

ResourceEntry* ApiRegistry::FindByStoragePrefix(std::string_view key) const {
  SnapshotPtr s = snapshot();
  for (const auto& e : *s) {
    if (key.substr(0, e->storage_prefix.size()) == e->storage_prefix)
      return e.get();
  }
  return nullptr;
}

std::vector<ApiRegistry::GroupVersions> ApiRegistry::Groups() const {
  std::vector<GroupVersions> out;
  SnapshotPtr s = snapshot();
  for (const auto& e : *s) {
    GroupVersions* g = nullptr;
    for (auto& x : out) {
      if (x.group == e->info->group)
        g = &x;
    }
    if (!g) {
      out.push_back({e->info->group, {}});
      g = &out.back();
    }
    bool have = false;
    for (auto& v : g->versions)
      have |= v == e->info->version;
    if (!have)
      g->versions.push_back(e->info->version);
  }
  return out;
}

}  // namespace kcx::apiserver
