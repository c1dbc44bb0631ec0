#pragma once

// Field paths and field sets as structured-merge-diff (sigs.k8s.io/structured-merge-diff/v4
// fieldpath) defines them, with its FieldsV1 JSON encoding. Pure values; no shared state.

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kcx::api::ssa {

namespace json = boost::json;

// SMD's total order over JSON values: numbers (ints and floats compared numerically) <
// strings < bools < lists < maps < null.
int CompareValues(const json::value& a, const json::value& b);
inline bool ValuesEqual(const json::value& a, const json::value& b) {
  return CompareValues(a, b) == 0;
}

// One key field of an associative-list item.
struct KeyField {
  std::string name;
  json::value value;
};

// Selects a child: a struct field or map key (f:), an associative-list item by its key fields
// (k:, fields sorted by name), a set item by value (v:), or an atomic-list item by index (i:).
struct PathElement {
  enum class Kind : uint8_t { kField = 0, kKey = 1, kValue = 2, kIndex = 3 };
  Kind kind = Kind::kField;
  std::string field;          // kField
  std::vector<KeyField> key;  // kKey, sorted by name
  json::value value;          // kValue
  int64_t index = 0;          // kIndex

  static PathElement Field(std::string name) {
    PathElement pe;
    pe.field = std::move(name);
    return pe;
  }
  static PathElement Key(std::vector<KeyField> fields);  // sorts the fields
  static PathElement Value(json::value v) {
    PathElement pe;
    pe.kind = Kind::kValue;
    pe.value = std::move(v);
    return pe;
  }
  static PathElement Index(int64_t i) {
    PathElement pe;
    pe.kind = Kind::kIndex;
    pe.index = i;
    return pe;
  }

  // SMD's order: fields < keys < values < indexes, then by content.
  int Compare(const PathElement& o) const;
  bool operator<(const PathElement& o) const { return Compare(o) < 0; }
  bool operator==(const PathElement& o) const { return Compare(o) == 0; }

  // Human-readable form used in conflict messages: `.name`, `[k="v",n=1]`, `[="v"]`, `[3]`.
  std::string String() const;
  // FieldsV1 key: `f:name`, `k:{"a":1}`, `v:"x"`, `i:3`.
  std::string Serialize() const;
};

using Path = std::vector<PathElement>;
// `.spec.containers[name="a"].image`
std::string PathString(const Path& p);

// FieldsV1 key → PathElement. Unknown prefixes give NotFound (callers skip them, as SMD does);
// malformed keys give BadRequest.
Result<PathElement> DeserializePathElement(std::string_view s);

struct SetNode;

// A set of paths stored as a trie: `members` are the path elements owned at this level,
// `children` the sub-sets below an element (never empty). Both are sorted.
class Set {
 public:
  Set() = default;

  bool Empty() const;
  // Number of paths (members at every level).
  size_t Size() const;
  void Insert(const Path& p);
  bool Has(const Path& p) const;
  bool HasMember(const PathElement& pe) const;
  // The sub-set under pe (nullptr when none).
  const Set* Child(const PathElement& pe) const;

  Set Union(const Set& o) const;
  Set Intersection(const Set& o) const;
  // Paths in *this but not in o (a member of o does not remove paths below it).
  Set Difference(const Set& o) const;
  // Like Difference, but a member of o also removes every path below it.
  Set RecursiveDifference(const Set& o) const;
  bool operator==(const Set& o) const;
  // In-place forms of Difference and RecursiveDifference (no copies of untouched subtrees).
  void Erase(const Set& o);
  void EraseRecursive(const Set& o);

  // Calls f for every path: members first, then children, in order (SMD's Iterate).
  template <typename F>
  void Iterate(F&& f) const {
    Path prefix;
    IterateImpl(prefix, f);
  }
  std::vector<Path> Paths() const;

  // FieldsV1 (compact JSON, exactly as SMD writes it).
  std::string ToFieldsV1() const;
  // The same document as a JSON value (keys in SMD's order), for embedding in an object.
  json::object ToFieldsV1Value() const;
  static Result<Set> FromFieldsV1(const json::value& v);
  static Result<Set> FromFieldsV1String(std::string_view s);

  // Builders for sorted construction (used by the typed walkers).
  std::vector<PathElement>& mutable_members() { return members_; }
  std::vector<SetNode>& mutable_children() { return children_; }
  const std::vector<PathElement>& members() const { return members_; }
  const std::vector<SetNode>& children() const { return children_; }
  // Sorts members and children after unsorted appends (duplicates merged).
  void Normalize();
  Set* DescendMutable(const PathElement& pe);

 private:
  template <typename F>
  void IterateImpl(Path& prefix, F& f) const;
  void EmitFieldsV1(bool include_self, std::string& out) const;
  void EmitFieldsV1Value(bool include_self, json::object& out) const;

  std::vector<PathElement> members_;
  std::vector<SetNode> children_;
};

struct SetNode {
  PathElement pe;
  Set set;
};

template <typename F>
void Set::IterateImpl(Path& prefix, F& f) const {
  for (const PathElement& pe : members_) {
    prefix.push_back(pe);
    f(static_cast<const Path&>(prefix));
    prefix.pop_back();
  }
  for (const SetNode& n : children_) {
    prefix.push_back(n.pe);
    n.set.IterateImpl(prefix, f);
    prefix.pop_back();
  }
}

// Appends s as a JSON string the way Go's encoding/json (and jsoniter's standard-compatible
// config) writes it: HTML-escaped <, >, & and U+2028/U+2029.
void AppendGoJsonString(std::string& out, std::string_view s);
// Appends v as Go's encoding/json writes it (map keys sorted).
void AppendGoJson(std::string& out, const json::value& v);

}  // namespace kcx::api::ssa
