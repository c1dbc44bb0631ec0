#include "apiserver/rest/api_registry.h"

namespace kcx::apiserver {

ApiRegistry::ApiRegistry(Sequencer* seq, size_t history_limit)
    : seq_(seq), history_limit_(history_limit) {}

ResourceEntry* ApiRegistry::Add(const ResourceInfo* info) {
  auto e = std::make_unique<ResourceEntry>();
  e->info = info;
  e->group_version = info->group.empty() ? info->version : info->group + "/" + info->version;
  e->qualified = info->group.empty() ? info->resource : info->resource + "." + info->group;
  e->storage_prefix =
      "/" + (info->group.empty() ? std::string("core") : info->group) + "/" + info->resource + "/";
  e->store = std::make_unique<ResourceStore>(e->storage_prefix, seq_, history_limit_);
  if (info->group.empty() && info->resource == "namespaces") namespaces_ = e.get();
  entries_.push_back(std::move(e));
  if (on_add_) on_add_(entries_.back().get());
  return entries_.back().get();
}

ResourceEntry* ApiRegistry::Find(std::string_view group, std::string_view version,
                                 std::string_view resource) const {
  for (const auto& e : entries_) {
    if (e->info->resource == resource && e->info->group == group &&
        e->info->version == version) {
      return e.get();
    }
  }
  return nullptr;
}

ResourceEntry* ApiRegistry::FindByStoragePrefix(std::string_view key) const {
  for (const auto& e : entries_) {
    if (key.substr(0, e->storage_prefix.size()) == e->storage_prefix) return e.get();
  }
  return nullptr;
}

std::vector<ApiRegistry::GroupVersions> ApiRegistry::Groups() const {
  std::vector<GroupVersions> out;
  for (const auto& e : entries_) {
    GroupVersions* g = nullptr;
    for (auto& x : out) {
      if (x.group == e->info->group) g = &x;
    }
    if (!g) {
      out.push_back({e->info->group, {}});
      g = &out.back();
    }
    bool have = false;
    for (auto& v : g->versions) have |= v == e->info->version;
    if (!have) g->versions.push_back(e->info->version);
  }
  return out;
}

}  // namespace kcx::apiserver
