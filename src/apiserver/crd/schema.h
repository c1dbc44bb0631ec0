#pragma once

// Structural OpenAPI v3 schemas of CustomResourceDefinitions: validation of custom resources
// (kube-openapi's validator as apiextensions-apiserver uses it, with Kubernetes' field paths
// and messages), pruning of unknown fields, defaulting, the list-type/map-type markers, and
// the structural-schema rules a CRD's schema must satisfy.
//
// Pure functions over Boost.JSON values; safe to call concurrently on shared schemas.

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace kcx::apiserver::crd {

// Validates a custom resource (the whole object; apiVersion, kind and metadata are the
// server's business and skipped at the root) against its version's schema. Causes carry kube's
// field paths ("spec.replicas", "spec.items[0].name") and messages.
std::vector<StatusCause> ValidateObject(const boost::json::object& obj,
                                        const boost::json::object& schema);

// Validates a value at `path` (used for nested values and by tests).
void ValidateValue(const boost::json::value& v, const boost::json::object& schema,
                   const std::string& path, std::vector<StatusCause>& out);

// Drops fields the schema does not specify (kube's pruning), keeping apiVersion/kind/metadata
// at the root and of embedded resources, and everything under
// x-kubernetes-preserve-unknown-fields. Appends the dotted paths of dropped fields to
// `pruned` (may be null), in the order kube reports them ("spec.foo").
void PruneObject(boost::json::object& obj, const boost::json::object& schema,
                 std::vector<std::string>* pruned);

// Applies `default`s in place (kube's structural defaulting: a missing property with a default
// is set; a null value of a non-nullable property with a default too), recursively.
void ApplyDefaults(boost::json::object& obj, const boost::json::object& schema);

// Checks that a CRD version's openAPIV3Schema is structural and uses only what kube accepts;
// `path` is the schema's field path ("spec.versions[0].schema.openAPIV3Schema").
void ValidateStructural(const boost::json::object& schema, const std::string& path,
                        std::vector<StatusCause>& out);

// Every x-kubernetes-validations rule in a schema, as "<path>: <rule>" (for the warning that
// they are not enforced).
void CollectCelRules(const boost::json::value& schema, const std::string& path,
                     std::vector<std::string>& out);

// Kube's rendering of a value in "Invalid value: ..." messages (strings quoted, numbers and
// booleans plain, null as "null", compound values as JSON).
std::string FormatValue(const boost::json::value& v);

// The format checks kube-openapi applies to strings ("int32", "date-time", ...). True if the
// value is acceptable for the format, or the format is unknown (kube ignores unknown formats).
bool CheckFormat(const std::string& format, const boost::json::value& v);

// `s` as a JSON string literal (Go's %q), for values quoted in messages.
std::string Quote(std::string_view s);

}  // namespace kcx::apiserver::crd
