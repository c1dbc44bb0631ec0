#pragma once

// Schema-driven operations on JSON values, as structured-merge-diff's typed package does them
// (v4.1: merge.go, tofieldset.go, remove.go, Compare). Values are boost::json trees; a null
// `const json::value*` means "absent" (distinct from a JSON null).

#include <boost/json.hpp>
#include <optional>

#include "api/ssa/fieldpath.h"
#include "api/ssa/schema.h"
#include "common/status.h"

namespace kcx::api::ssa {

// Values that the walkers treat as absent wherever they appear (by address): used to ignore
// metadata.managedFields without copying objects.
struct Skip {
  const json::value* lhs = nullptr;
  const json::value* rhs = nullptr;
};

// The set of paths a value sets (SMD's ToFieldSet): leaves, atomic values, every granular list
// item, null or empty map values, and keys of maps that are not declared struct fields.
Result<Set> ToFieldSet(const json::value& v, const Type& t);

// lhs merged with rhs (rhs wins on leaves; list items merge by key, lhs order first, then new
// rhs items). Errors for invalid associative-list items or duplicate keys in rhs.
Result<json::value> MergeValues(const json::value* lhs, const json::value& rhs, const Type& t,
                                Skip skip = {});

struct Comparison {
  Set added;
  Set modified;
  Set removed;
  bool IsSame() const { return added.Empty() && modified.Empty() && removed.Empty(); }
};
// Field-level difference from lhs to rhs (either may be absent).
Result<Comparison> Diff(const json::value* lhs, const json::value* rhs, const Type& t,
                        Skip skip = {});
Result<Comparison> DiffObjects(const json::object* lhs, const json::object* rhs, const Type& t,
                               Skip skip = {});

// The same for whole objects (the root type must be a granular map), without copying them.
// reject_duplicates: duplicate associative-list items are an error (applied configurations).
Result<Set> ToFieldSet(const json::object& o, const Type& t, bool reject_duplicates = false);
Result<json::value> MergeObjects(const json::object* lhs, const json::object& rhs, const Type& t,
                                 Skip skip = {});

// v without the items of `remove` (SMD's RemoveItems: containers that become empty turn null).
json::value RemoveItems(const json::value& v, const Set& remove, const Type& t);

// s plus, at every level, the declared struct fields that have children in s.
Set EnsureNamedFieldsAreMembers(const Set& s, const Type& t);

}  // namespace kcx::api::ssa
