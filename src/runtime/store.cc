#include "runtime/store.h"

#include <mutex>

namespace kcx::runtime {

Indexer::Indexer() {
  indexers_[kNamespaceIndex] = [](const Object& o) {
    return std::vector<std::string>{std::string(o.ns())};
  };
}

Status Indexer::AddIndexers(const std::map<std::string, IndexFunc>& add) {
  std::unique_lock l(mu_);
  for (const auto& [name, fn] : add) {
    if (indexers_.count(name)) return AlreadyExists("indexer \"" + name + "\" already exists");
  }
  for (const auto& [name, fn] : add) {
    indexers_[name] = fn;
    auto& idx = indices_[name];
    for (const auto& [key, obj] : items_) {
      for (auto& v : fn(*obj)) idx[std::move(v)].insert(key);
    }
  }
  return Status::Ok();
}

void Indexer::IndexLocked(const std::string& key, const Object& obj) {
  for (const auto& [name, fn] : indexers_) {
    auto& idx = indices_[name];
    for (auto& v : fn(obj)) idx[std::move(v)].insert(key);
  }
}

void Indexer::UnindexLocked(const std::string& key, const Object& obj) {
  for (const auto& [name, fn] : indexers_) {
    auto it = indices_.find(name);
    if (it == indices_.end()) continue;
    for (const auto& v : fn(obj)) {
      auto vit = it->second.find(v);
      if (vit == it->second.end()) continue;
      vit->second.erase(key);
      if (vit->second.empty()) it->second.erase(vit);
    }
  }
}

ObjectPtr Indexer::Upsert(ObjectPtr obj) {
  std::string key = obj->Key();
  std::unique_lock l(mu_);
  auto [it, inserted] = items_.try_emplace(key, obj);
  ObjectPtr old;
  if (!inserted) {
    old = std::move(it->second);
    UnindexLocked(key, *old);
    it->second = obj;
  }
  IndexLocked(key, *obj);
  return old;
}

ObjectPtr Indexer::Delete(const std::string& key) {
  std::unique_lock l(mu_);
  auto it = items_.find(key);
  if (it == items_.end()) return nullptr;
  ObjectPtr old = std::move(it->second);
  items_.erase(it);
  UnindexLocked(key, *old);
  return old;
}

std::vector<StoreDelta> Indexer::Replace(std::unordered_map<std::string, ObjectPtr> items) {
  std::vector<StoreDelta> deltas;
  std::unique_lock l(mu_);
  for (const auto& [key, obj] : items_) {
    auto it = items.find(key);
    if (it == items.end()) {
      deltas.push_back({StoreDelta::kDeleted, obj, nullptr});
    } else if (it->second != obj) {
      deltas.push_back({StoreDelta::kUpdated, obj, it->second});
    }
  }
  for (const auto& [key, obj] : items) {
    if (!items_.count(key)) deltas.push_back({StoreDelta::kAdded, nullptr, obj});
  }
  items_ = std::move(items);
  indices_.clear();
  for (const auto& [key, obj] : items_) IndexLocked(key, *obj);
  return deltas;
}

ObjectPtr Indexer::Get(const std::string& key) const {
  std::shared_lock l(mu_);
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : it->second;
}

ObjectPtr Indexer::Get(std::string_view ns, std::string_view name) const {
  return Get(ObjectKey(ns, name));
}

std::vector<ObjectPtr> Indexer::List() const {
  std::shared_lock l(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(items_.size());
  for (const auto& [k, o] : items_) out.push_back(o);
  return out;
}

std::vector<ObjectPtr> Indexer::List(std::string_view ns, const api::LabelSelector& sel) const {
  std::shared_lock l(mu_);
  std::vector<ObjectPtr> out;
  if (ns.empty()) {
    for (const auto& [k, o] : items_) {
      if (sel.Matches(o->labels())) out.push_back(o);
    }
    return out;
  }
  auto idx = indices_.find(kNamespaceIndex);
  if (idx == indices_.end()) return out;
  auto keys = idx->second.find(std::string(ns));
  if (keys == idx->second.end()) return out;
  for (const auto& k : keys->second) {
    const ObjectPtr& o = items_.at(k);
    if (sel.Matches(o->labels())) out.push_back(o);
  }
  return out;
}

std::vector<ObjectPtr> Indexer::ByIndex(const std::string& index, const std::string& value) const {
  std::shared_lock l(mu_);
  std::vector<ObjectPtr> out;
  auto idx = indices_.find(index);
  if (idx == indices_.end()) return out;
  auto keys = idx->second.find(value);
  if (keys == idx->second.end()) return out;
  for (const auto& k : keys->second) out.push_back(items_.at(k));
  return out;
}

std::vector<std::string> Indexer::ListKeys() const {
  std::shared_lock l(mu_);
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& [k, o] : items_) out.push_back(k);
  return out;
}

size_t Indexer::Size() const {
  std::shared_lock l(mu_);
  return items_.size();
}

void Indexer::ForEach(const std::function<void(const ObjectPtr&)>& fn) const {
  std::shared_lock l(mu_);
  for (const auto& [k, o] : items_) fn(o);
}

}  // namespace kcx::runtime
