#pragma once

// Label selectors as k8s.io/apimachinery/pkg/labels: the string syntax of ?labelSelector= and
// metav1.LabelSelector objects. Parse once, then Matches() many times: matching allocates
// nothing and looks labels up by binary search in a sorted LabelSet.
//
// Thread-safety: a LabelSelector is immutable after construction; const methods may be called
// concurrently.

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace kcx::api {

// An object's labels, sorted by key (unique keys).
using LabelSet = std::vector<std::pair<std::string, std::string>>;

// metadata.labels -> LabelSet. nullptr or a non-object gives an empty set; non-string values
// are skipped.
LabelSet LabelSetFromJson(const boost::json::value* labels);

enum class SelectionOp {
  kIn,
  kNotIn,
  kEquals,        // "="
  kDoubleEquals,  // "=="
  kNotEquals,     // "!="
  kExists,        // "key"
  kDoesNotExist,  // "!key"
  kGreaterThan,   // "key>1" (apimachinery accepts gt/lt in the string syntax)
  kLessThan,      // "key<1"
};

struct LabelRequirement {
  std::string key;
  SelectionOp op = SelectionOp::kExists;
  // As apimachinery keeps them: for the string syntax the de-duplicated sorted set; for
  // metav1.LabelSelector the given order.
  std::vector<std::string> values;
  // For Gt/Lt: the parsed integer.
  int64_t number = 0;

  bool Matches(const LabelSet& labels) const;
  // Same, reading metadata.labels directly (nullptr or non-object: no labels; non-string
  // values are ignored as LabelSetFromJson ignores them).
  bool MatchesJson(const boost::json::object* labels) const;
  std::string String() const;
};

class LabelSelector {
 public:
  // The empty selector: matches everything (labels.Everything()).
  LabelSelector() = default;

  // The string syntax (labels.Parse):
  //   <selector> ::= <requirement> | <requirement> "," <selector>
  //   <requirement> ::= ["!"] KEY [ ("in"|"notin") "(" VALUES ")" | ("="|"=="|"!="|">"|"<") VALUE ]
  // Whitespace separates tokens. Keys must be qualified names and values label values. As in
  // apimachinery, "x in ()" and "x=" mean the single empty value "". Errors are BadRequest with
  // apimachinery's text, e.g. "unable to parse requirement: found '', expected: identifier".
  static Result<LabelSelector> Parse(std::string_view selector);

  // metav1.LabelSelector (labels: matchLabels + matchExpressions with In/NotIn/Exists/
  // DoesNotExist), as metav1.LabelSelectorAsSelector:
  //   - JSON null (a nil selector) gives Nothing(): matches no object;
  //   - {} or empty matchLabels/matchExpressions gives the empty selector: matches everything.
  // Callers whose API documents another meaning for a missing selector must handle that
  // themselves. Invalid keys/values/operators give BadRequest with apimachinery's text.
  static Result<LabelSelector> FromJson(const boost::json::value& selector);

  // Selector that matches nothing (labels.Nothing()).
  static LabelSelector Nothing();

  bool Matches(const LabelSet& labels) const;
  // Matches against an object's metadata.labels without building a LabelSet: no allocation.
  // `labels` may be nullptr or not an object (no labels).
  bool MatchesJson(const boost::json::value* labels) const;
  // True if the selector does not restrict (matches everything). Nothing() is not Empty.
  bool Empty() const { return !nothing_ && requirements_.empty(); }
  bool MatchesNothing() const { return nothing_; }
  // Canonical form: requirements sorted by key, joined with ","; values of in/notin sorted.
  // "" for both the empty selector and Nothing().
  std::string String() const;

  const std::vector<LabelRequirement>& Requirements() const { return requirements_; }
  // If the selector requires label `key` to have exactly one value (=, == or in with one
  // value), that value — usable to short-circuit lookups through an index.
  std::optional<std::string> RequiresExactMatch(std::string_view key) const;

 private:
  std::vector<LabelRequirement> requirements_;  // sorted by key (stable)
  bool nothing_ = false;
};

}  // namespace kcx::api
