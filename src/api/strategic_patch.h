#pragma once

// Kubernetes' strategic merge patch (application/strategic-merge-patch+json), the semantics of
// k8s.io/apimachinery/pkg/util/strategicpatch StrategicMergeMapPatch as kube-apiserver applies
// it (MergeParallelList and IgnoreUnmatchedNulls on). Pure functions; thread-safe.
//
// How a patch applies to an object:
//  - maps merge key by key; a null value deletes the key;
//  - a list field with patchStrategy "merge" merges: lists of maps by the field's
//    patchMergeKey (an element whose key matches is merged recursively, a new one is added),
//    lists of scalars as a union; other lists (and every field the type does not describe)
//    are replaced, as in a JSON merge patch;
//  - directives: `$patch: replace|delete` in a map, `{"$patch": "replace"}` and
//    `{<mergeKey>: v, "$patch": "delete"}` elements in a merging list, `$retainKeys: [...]`,
//    `$setElementOrder/<list>: [...]` and `$deleteFromPrimitiveList/<list>: [...]`;
//  - merged lists keep kube's order: the items named by the patch in the patch's (or
//    $setElementOrder's) order, with the items only the server has interleaved at their
//    relative positions in the live list.
//
// A value for a field the object does not have loses its nulls and its maps that carry
// `$patch` (kube's discardNullValuesFromPatch and removeDirectives). Where kube stores a patch
// value verbatim (a replaced list, an appended list item, `$patch: replace`) and decoding into
// the Go type then drops null members and leftover directive keys, kcx (which keeps objects as
// JSON) drops them itself.
//
// Errors: a malformed directive is BadRequest with kube's message ("invalid patch format of
// retainKeys", ...); a list of lists is Invalid (422), as kube-apiserver answers. Other failures
// kube reports with its generic messages (a list element without the declared merge key,
// an unknown `$patch` value, mismatched list element types) are BadRequest here with the same
// message; kube-apiserver answers those with 500.

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kcx::api {

// patchStrategy of a field, as a bit set (Go struct tag `patchStrategy:"merge,retainKeys"`).
enum PatchStrategy : uint8_t {
  kPatchStrategyNone = 0,
  kPatchStrategyMerge = 1,
  kPatchStrategyReplace = 2,
  kPatchStrategyRetainKeys = 4,
};

class PatchMeta;

// The patch metadata of one field of a struct type.
struct PatchField {
  uint8_t strategy = kPatchStrategyNone;  // PatchStrategy bits
  std::string merge_key;                  // patchMergeKey; empty for lists of scalars
  // The struct type of the field's value, or of its elements for a list; nullptr when the
  // field's contents have no patch metadata (scalars, string maps, opaque objects).
  const PatchMeta* type = nullptr;
};

// The patch metadata of one struct type (e.g. core/v1 PodSpec): the fields that have a patch
// strategy or a struct type that has some further down. Fields not listed have none. Immutable
// once built.
class PatchMeta {
 public:
  explicit PatchMeta(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }
  // nullptr if the field has no metadata.
  const PatchField* Field(std::string_view field) const;
  void Set(std::string field, PatchField meta) { fields_[std::move(field)] = std::move(meta); }

 private:
  std::string name_;
  std::map<std::string, PatchField, std::less<>> fields_;
};

// Patch metadata of a built-in type served by kcx apiserver, by API group ("" = core) and kind,
// with Kubernetes' struct tags (1.32). nullptr for other types (a patch then merges maps and
// replaces lists). Valid forever.
const PatchMeta* BuiltinPatchMeta(std::string_view group, std::string_view kind);

// Applies a strategic merge patch to `original` (normally an object). `meta` may be null.
// The patch must be a JSON object (BadRequest otherwise, kube's message).
Result<boost::json::value> ApplyStrategicMergePatch(const boost::json::value& original,
                                                    const boost::json::value& patch,
                                                    const PatchMeta* meta);

}  // namespace kcx::api
