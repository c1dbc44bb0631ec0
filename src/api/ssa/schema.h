#pragma once

// The merge schema model of structured-merge-diff (sigs.k8s.io/structured-merge-diff/v4/schema):
// a type is an "atom" with up to three alternatives (scalar, list, map); maps are structs when
// they declare fields. Types live in a TypeSchema arena and point at each other; a TypeSchema
// is immutable once built and safe to share across threads.

#include <boost/json.hpp>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/ssa/field_manager.h"
#include "common/status.h"

namespace kcx::api::ssa {

struct Type;

struct StructField {
  std::string name;
  const Type* type = nullptr;
  bool has_default = false;
  boost::json::value default_value;  // used for missing associative-list key fields
};

enum class ListKind : uint8_t { kAtomic, kSet, kMap };

struct Type {
  // Which atoms this type has (deduced types have all three).
  bool scalar = false;
  bool is_list = false;
  bool is_map = false;

  // Map / struct.
  bool map_atomic = false;
  std::vector<StructField> fields;  // sorted by name
  // kcx extension for built-in types: every key is a declared struct field (of type map_elem
  // unless listed in `fields`), as in a Go struct where every field is declared.
  bool all_fields_declared = false;
  const Type* map_elem = nullptr;  // type of keys that are not listed fields (null: deduced)

  // List.
  ListKind list_kind = ListKind::kAtomic;
  std::vector<std::string> keys;    // kMap
  const Type* list_elem = nullptr;  // null: atomic untyped

  // Looks up a key of a map value: sets *type and returns whether it is a declared field.
  bool LookupField(std::string_view key, const Type** type) const;
  const StructField* FindField(std::string_view name) const;
};

// The shared deduced type (scalar | atomic list | granular map of deduced) and the untyped
// atomic type, as SMD's DeducedParseableType defines them.
const Type* DeducedType();
const Type* UntypedAtomicType();

class TypeSchema {
 public:
  TypeSchema() = default;
  TypeSchema(const TypeSchema&) = delete;
  TypeSchema& operator=(const TypeSchema&) = delete;

  const Type* root() const { return root_; }
  // The type's zero object as Kubernetes' unstructured converter renders an empty Go struct
  // (e.g. {"metadata":{"creationTimestamp":null},"spec":{"containers":null},"status":{}}):
  // kube compares a create against it, which decides where FieldsV1 gets "." entries.
  const boost::json::value& zero() const { return zero_; }
  void set_zero(boost::json::value z) { zero_ = std::move(z); }

  // Builder interface (used while constructing; never after publication).
  Type* NewType() { return &types_.emplace_back(); }
  void set_root(const Type* t) { root_ = t; }
  // Keeps another schema alive while this one points into it.
  void Retain(std::shared_ptr<const TypeSchema> other) { retained_.push_back(std::move(other)); }

 private:
  std::deque<Type> types_;
  const Type* root_ = nullptr;
  boost::json::value zero_ = boost::json::object();
  std::vector<std::shared_ptr<const TypeSchema>> retained_;
};

// A schema in structured-merge-diff's own YAML format (`types: [{name, map|list|scalar}]`,
// typeRefs by namedType or inline, elementRelationship atomic|separable|associative, keys,
// fields with optional default), rooted at the named type. `__untyped_atomic_` and
// `__untyped_deduced_` resolve to SMD's deduced types when the document does not define them.
Result<std::shared_ptr<const TypeSchema>> LoadSmdSchema(std::string_view yaml,
                                                        std::string_view root_type);

// The ObjectMeta type (shared by built-in schemas and embedded resources).
const Type* ObjectMetaType();

}  // namespace kcx::api::ssa
