#pragma once

// Field selectors as k8s.io/apimachinery/pkg/fields: "a=b,c!=d" in ?fieldSelector=.
// Values may escape ',', '=' and '\' with a backslash (fields.EscapeValue); an unescaped ',' or
// '=' inside a value, or any other escape, is an error. apimachinery has no escape for '!'
// and neither do we: "a=x!y" is simply the value "x!y". Field names are not validated here;
// which fields a resource supports is the caller's business.
//
// Thread-safety: immutable after Parse; const methods may be called concurrently.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kcx::api {

struct FieldRequirement {
  enum class Op { kEquals, kDoubleEquals, kNotEquals };
  std::string field;
  Op op = Op::kEquals;
  std::string value;  // unescaped
  bool operator==(const FieldRequirement&) const = default;
};

class FieldSelector {
 public:
  // The empty selector: matches everything.
  FieldSelector() = default;

  // fields.ParseSelector. Terms are split at unescaped ','; empty terms are skipped; terms
  // are kept sorted as apimachinery sorts them. Errors are BadRequest with apimachinery's text:
  //   invalid selector: 'a'; can't understand 'a'
  //   invalid field selector: invalid escape sequence: \x
  //   invalid field selector: unescapedRune character in value: 61    (Go prints the rune code)
  static Result<FieldSelector> Parse(std::string_view selector);

  const std::vector<FieldRequirement>& Requirements() const { return requirements_; }

  // `get(field)` returns the object's value for a field. A field for which it returns nullopt
  // compares as "" (as fields.Set.Get does for a missing key): "a=" and "a!=x" match it.
  // `get` is called synchronously on the caller's thread, at most once per requirement.
  bool Matches(const std::function<std::optional<std::string>(std::string_view field)>& get) const;
  // Same, for getters that return views into the object (no copy of the value per call).
  bool MatchesView(
      const std::function<std::optional<std::string_view>(std::string_view field)>& get) const;
  bool Empty() const { return requirements_.empty(); }
  // Canonical form: terms joined with ",", values escaped ("a=b\,c").
  std::string String() const;

  // The single value the selector requires for `field` (an "=" or "==" term), if any.
  std::optional<std::string> RequiresExactMatch(std::string_view field) const;

 private:
  std::vector<FieldRequirement> requirements_;
};

// fields.EscapeValue: '\' -> "\\", ',' -> "\,", '=' -> "\=".
std::string EscapeFieldValue(std::string_view v);

}  // namespace kcx::api
