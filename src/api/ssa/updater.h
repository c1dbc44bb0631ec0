#pragma once

// structured-merge-diff's merge.Updater (v4.1 merge/update.go): the ownership bookkeeping of
// Update and Apply over a map of managers to versioned field sets, without Kubernetes'
// metadata handling (that is field_manager.cc). kcx serves one version per type, so there is
// no conversion between versions: every manager's set is interpreted in the live object.

#include <boost/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "api/ssa/fieldpath.h"
#include "api/ssa/schema.h"
#include "api/ssa/typed.h"
#include "common/status.h"

namespace kcx::api::ssa {

struct VersionedSet {
  Set set;
  std::string api_version;
  bool applied = false;
};

// Manager identifier → its fields.
using ManagedFields = std::map<std::string, VersionedSet>;

struct Conflict {
  std::string manager;
  Path path;
};

struct UpdaterOptions {
  // Fields nobody may own at this version (the "reset fields" of a write).
  const Set* ignored = nullptr;
  // Values treated as absent in live/new (metadata.managedFields).
  Skip skip;
};

// An Update (create/update/patch): records for `manager` what changed from live to obj and
// takes those fields from everyone else. live may be null (nothing existed).
Status UpdaterUpdate(const TypeSchema& schema, const json::object* live, const json::object& obj,
                     const std::string& version, ManagedFields& managers,
                     const std::string& manager, const UpdaterOptions& opts = {});

struct ApplyResult {
  json::value object;  // the merged object (an object; valid even when unchanged)
  bool changed = false;
  std::vector<Conflict> conflicts;  // non-empty: nothing was changed (no force)
};

// An Apply: merges config into live, prunes what `manager` applied before and no longer
// applies (unless someone else owns it), and checks conflicts (force takes ownership).
Result<ApplyResult> UpdaterApply(const TypeSchema& schema, const json::object* live,
                                 const json::object& config, const std::string& version,
                                 ManagedFields& managers, const std::string& manager, bool force,
                                 const UpdaterOptions& opts = {});

}  // namespace kcx::api::ssa
