#pragma once

// Name and metadata validation with apimachinery's exact messages
// (k8s.io/apimachinery/pkg/util/validation, api/validation/objectmeta.go, field.Error).
//
// The texts follow the released Kubernetes 1.2x wording ("must be no more than 63 characters",
// "a qualified name ..."), which is what kubectl users see from current clusters.
// All functions are pure and thread-safe.

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kcx::api {

// Each returns the list of problems; empty means valid.
std::vector<std::string> IsDns1123Subdomain(std::string_view value);
std::vector<std::string> IsDns1123Label(std::string_view value);
std::vector<std::string> IsDns1035Label(std::string_view value);
// A label key / annotation key: [prefix/]name.
std::vector<std::string> IsQualifiedName(std::string_view value);
std::vector<std::string> IsValidLabelValue(std::string_view value);
// A name that appears in a URL path: not "." or "..", no "/" or "%".
std::vector<std::string> IsValidPathSegmentName(std::string_view name);

// Go's strconv.Quote: how field.Error prints a string bad value ("a\"b" -> "\"a\\\"b\"").
std::string GoQuote(std::string_view s);

// field.Error constructors: StatusCause{type, ErrorBody(), field}, as kube-apiserver puts them
// in Status.details.causes.
StatusCause FieldInvalid(std::string field, std::string_view bad_value, std::string_view detail);
StatusCause FieldRequired(std::string field, std::string_view detail);
StatusCause FieldForbidden(std::string field, std::string_view detail);
// field.TooLong: the value is not printed.
StatusCause FieldTooLong(std::string field, int64_t max_length);

// Total size of annotation keys + values allowed on an object (256 KiB).
inline constexpr int64_t kTotalAnnotationSizeLimitBytes = 256 * 1024;

// Validates metadata.labels and metadata.annotations of `metadata` (the object's "metadata"
// member) and appends causes with fields "metadata.labels" / "metadata.annotations".
// Keys are visited in sorted order so the output is deterministic (Go's map order is random).
// A labels/annotations member that is present but not an object of strings is reported as
// FieldValueInvalid too (kube would fail decoding).
void ValidateObjectMetaLabelsAnnotations(const boost::json::object& metadata,
                                         std::vector<StatusCause>& causes);

// metadata.ownerReferences and the garbage-collector finalizers of ValidateObjectMeta:
// apiVersion (with a version), kind, name and uid required per reference; no Event owners; at
// most one reference with controller=true; `orphan` and `foregroundDeletion` not both set.
// Field paths are "metadata.ownerReferences[.x]" and "metadata.finalizers", as kube reports
// them (no index).
void ValidateObjectMetaOwnersFinalizers(const boost::json::object& metadata,
                                        std::vector<StatusCause>& causes);

// How a resource validates its names (apimachinery's ValidateNameFunc).
enum class NameRule {
  kDns1123Subdomain,  // most resources (ConfigMap, Secret, Pod, CRD instances, ...)
  kDns1123Label,      // Namespace, Service
  kDns1035Label,      // some core resources (e.g. Service under newer rules)
  kPathSegment,       // only "may not be '.'"/"may not contain '/'" (e.g. RBAC objects)
};
std::vector<std::string> ValidateName(NameRule rule, std::string_view name, bool prefix);

// metadata.name / generateName / namespace rules of ValidateObjectMeta:
// "name or generateName is required", name per `rule`, namespace required (a DNS-1123 label)
// when `namespaced`, forbidden otherwise.
void ValidateObjectMetaNames(const boost::json::object& metadata, bool namespaced, NameRule rule,
                             std::vector<StatusCause>& causes);

// The Status.message kube-apiserver gives with a 422:
//   ConfigMap "x" is invalid: metadata.name: Invalid value: "X": a lowercase RFC 1123 ...
// Several causes (deduplicated, in order) are joined as "[a, b]". `kind` is the qualified
// kind as kube prints it ("ConfigMap", "Deployment.apps").
std::string FormatInvalidMessage(std::string_view kind, std::string_view name,
                                 const std::vector<StatusCause>& causes);

// Status(Invalid) with the message above and the causes as details.
Status InvalidStatus(std::string_view group, std::string_view kind, std::string_view name,
                     std::vector<StatusCause> causes);

}  // namespace kcx::api
