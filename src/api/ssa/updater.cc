#include "api/ssa/updater.h"

#include <optional>

namespace kcx::api::ssa {

namespace {

struct UpdateOutcome {
  Comparison compare;
  std::vector<Conflict> conflicts;
};

// merge.Updater.update: takes from every manager but `workflow` the fields that changed.
Result<UpdateOutcome> Update(const TypeSchema& schema, const json::object* live,
                             const json::object& obj, ManagedFields& managers,
                             const std::string& workflow, bool force, const UpdaterOptions& opts) {
  Skip skip = opts.skip;
  KCX_ASSIGN_OR_RETURN(Comparison cmp, DiffObjects(live, &obj, *schema.root(), skip));
  if (opts.ignored != nullptr && !opts.ignored->Empty()) {
    cmp.added.EraseRecursive(*opts.ignored);
    cmp.modified.EraseRecursive(*opts.ignored);
    cmp.removed.EraseRecursive(*opts.ignored);
  }
  UpdateOutcome out;
  Set changed = cmp.modified.Union(cmp.added);
  std::map<std::string, Set> conflicts;
  for (auto& [name, vs] : managers) {
    if (name == workflow)
      continue;
    Set c = vs.set.Intersection(changed);
    if (!c.Empty())
      conflicts[name] = std::move(c);
  }
  if (!force && !conflicts.empty()) {
    for (const auto& [name, set] : conflicts) {
      set.Iterate([&](const Path& p) { out.conflicts.push_back(Conflict{name, p}); });
    }
    return out;
  }
  for (const auto& [name, set] : conflicts) {
    managers[name].set.Erase(set);
  }
  if (!cmp.removed.Empty()) {
    for (auto& [name, vs] : managers) {
      if (name == workflow)
        continue;
      vs.set.Erase(cmp.removed);
    }
  }
  for (auto it = managers.begin(); it != managers.end();) {
    if (it->second.set.Empty()) {
      it = managers.erase(it);
    } else {
      ++it;
    }
  }
  out.compare = std::move(cmp);
  return out;
}

Result<Set> EnsuredFieldSet(const json::value& v, const Type& t) {
  KCX_ASSIGN_OR_RETURN(Set s, ToFieldSet(v, t));
  return EnsureNamedFieldsAreMembers(s, t);
}

// merge.Updater.prune: removes what `manager` applied last time (last) and no longer applies,
// unless another manager owns it.
Result<json::value> Prune(const TypeSchema& schema, json::value merged,
                          const ManagedFields& managers, const std::string& manager,
                          const Set& last_raw) {
  const Type& t = *schema.root();
  const VersionedSet& now = managers.at(manager);
  // Nothing was dropped from the configuration: pruning cannot remove anything (every path
  // in `last` is owned by the applier again, together with its list-item and map-key parents).
  if (last_raw.Difference(now.set).Empty())
    return merged;
  Set last = EnsureNamedFieldsAreMembers(last_raw, t);
  json::value pruned = RemoveItems(merged, last, t);
  // addBackOwnedItems
  Set managed;
  for (const auto& [name, vs] : managers)
    managed = managed.Union(vs.set);
  KCX_ASSIGN_OR_RETURN(Set merged_set, EnsuredFieldSet(merged, t));
  KCX_ASSIGN_OR_RETURN(Set pruned_set, EnsuredFieldSet(pruned, t));
  pruned = RemoveItems(
      merged, merged_set.Difference(pruned_set.Union(EnsureNamedFieldsAreMembers(managed, t))), t);
  // addBackDanglingItems
  KCX_ASSIGN_OR_RETURN(pruned_set, EnsuredFieldSet(pruned, t));
  return RemoveItems(merged, merged_set.Difference(pruned_set).Intersection(last), t);
}

}  // namespace

Status UpdaterUpdate(const TypeSchema& schema, const json::object* live, const json::object& obj,
                     const std::string& version, ManagedFields& managers,
                     const std::string& manager, const UpdaterOptions& opts) {
  KCX_ASSIGN_OR_RETURN(UpdateOutcome out,
                       Update(schema, live, obj, managers, manager, /*force=*/true, opts));
  Set mine;
  if (auto it = managers.find(manager); it != managers.end())
    mine = std::move(it->second.set);
  mine = mine.Union(out.compare.modified).Union(out.compare.added);
  mine.Erase(out.compare.removed);
  if (opts.ignored != nullptr)
    mine.EraseRecursive(*opts.ignored);
  if (mine.Empty()) {
    managers.erase(manager);
  } else {
    managers[manager] = VersionedSet{std::move(mine), version, false};
  }
  return Status::Ok();
}

Result<ApplyResult> UpdaterApply(const TypeSchema& schema, const json::object* live,
                                 const json::object& config, const std::string& version,
                                 ManagedFields& managers, const std::string& manager, bool force,
                                 const UpdaterOptions& opts) {
  const Type& t = *schema.root();
  KCX_ASSIGN_OR_RETURN(json::value merged,
                       MergeObjects(live, config, t, Skip{opts.skip.lhs, nullptr}));
  KCX_ASSIGN_OR_RETURN(Set set, ToFieldSet(config, t, /*reject_duplicates=*/true));
  if (opts.ignored != nullptr)
    set.EraseRecursive(*opts.ignored);
  // Install the applier's new set in place (prune and update read it) and keep the previous
  // entry to restore on conflict, instead of copying every manager's set.
  std::optional<VersionedSet> previous;
  if (auto it = managers.find(manager); it != managers.end())
    previous = std::move(it->second);
  managers[manager] = VersionedSet{std::move(set), version, true};
  if (previous.has_value() && !previous->set.Empty()) {
    auto pruned = Prune(schema, std::move(merged), managers, manager, previous->set);
    if (!pruned.ok()) {
      managers[manager] = std::move(*previous);
      return pruned.status();
    }
    merged = std::move(*pruned);
  }
  UpdaterOptions uopts = opts;
  uopts.skip.rhs = nullptr;
  if (!merged.is_object())
    merged = json::object();
  auto out = Update(schema, live, merged.get_object(), managers, manager, force, uopts);
  if (!out.ok() || !out->conflicts.empty()) {
    if (previous.has_value()) {
      managers[manager] = std::move(*previous);
    } else {
      managers.erase(manager);
    }
  }
  if (!out.ok())
    return out.status();
  ApplyResult result;
  if (!out->conflicts.empty()) {
    result.conflicts = std::move(out->conflicts);
    return result;
  }
  result.changed = !out->compare.IsSame();
  result.object = std::move(merged);
  return result;
}

}  // namespace kcx::api::ssa
