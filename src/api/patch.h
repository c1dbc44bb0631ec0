#pragma once

// Patches and request-body parsing for PATCH/POST/PUT: JSON merge patch (RFC 7386), JSON patch
// (RFC 6902) and YAML-or-JSON documents. Pure functions; thread-safe.
//
// Error reasons follow kube-apiserver: a patch document that is not a valid patch is
// BadRequest (400); a valid patch that cannot be applied to this object (missing path, failed
// test, index out of range) is Invalid (422).

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kcx::api {

// RFC 7386. A non-object patch replaces the target; members set to null are removed. Never
// fails today; the Result leaves room for size limits.
Result<boost::json::value> ApplyMergePatch(const boost::json::value& target,
                                           const boost::json::value& patch);

// RFC 6902: add, remove, replace, move, copy, test. Paths are JSON Pointers (RFC 6901) with
// ~0 / ~1 escapes; "-" appends to an array (add, or the target of move/copy). The patch
// applies atomically: on any error the target is untouched and nothing is returned.
// The whole patch is validated before anything is applied, so a malformed operation late in
// the document is a BadRequest even if an earlier operation would fail to apply.
Result<boost::json::value> ApplyJsonPatch(const boost::json::value& target,
                                          const boost::json::value& patch);

// A request body in YAML or JSON. Input that starts with '{' or '[' is parsed as JSON by
// Boost.JSON (falling back to YAML for flow-style YAML that is not JSON). YAML scalars are
// typed as sigs.k8s.io/yaml (YAML 1.1) types them: plain true/false/yes/no/on/off (any of
// their usual capitalisations) -> bool; integers (decimal, 0x hex, 0o/leading-0 octal,
// underscores allowed) -> int64 (uint64 if larger); floats -> double; null, Null, NULL, ~ and
// empty -> null; quoted or block scalars and explicit !!str -> string; anything else -> string.
// Map keys become strings. More than one non-empty document, .inf/.nan (not representable in
// JSON) and syntax errors give BadRequest. Empty input gives null.
Result<boost::json::value> ParseYamlOrJson(std::string_view text);

// JSON equality as JSON Patch "test" uses it: numbers compare by value (1 == 1.0), objects
// regardless of member order.
bool JsonEqual(const boost::json::value& a, const boost::json::value& b);

}  // namespace kcx::api
