#pragma once

// Per-type knowledge of the built-in Kubernetes types served by `kcx apiserver`: discovery
// facts, defaulting, create/update preparation (the registry strategies), validation, field
// selectors and the server-side Table printers. A pure library: no I/O, no clock (callers pass
// `now`), no global mutable state. Every callback is a pure function of its arguments and is
// safe to call from any thread concurrently.
//
// Recommended order for a write to the main resource (mirrors kube-apiserver, where defaulting
// runs when the body is decoded and again when the stored object is read back):
//   create: decode_fn → default_fn → [server: status reset if reset_status_on_create]
//           → prepare_create_fn → default_fn → validate_fn(obj, nullptr)
//   update: decode_fn → default_fn → [server: copy status from old if has_status]
//           → prepare_update_fn(obj, old) → default_fn → validate_fn(obj, &old)
//           → [server: if tracks_generation && bumps_generation_fn(obj, old): generation+1]

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kcx::apiserver {

// A meta.k8s.io/v1 TableColumnDefinition.
struct TableColumn {
  std::string name, type, format, description;
  int priority = 0;
};

// Which name rule metadata.name must satisfy (kube's per-type ValidateXxxName).
enum class NameRule {
  kDnsSubdomain,  // RFC 1123 subdomain, ≤253 (most types)
  kDnsLabel,      // RFC 1123 label, ≤63 (Namespace)
  kDns1035Label,  // RFC 1035 label, ≤63 (Service)
};

struct ResourceInfo {
  std::string group, version, kind, resource /*plural*/, singular, list_kind;
  bool namespaced = true;
  std::vector<std::string> short_names, categories, verbs;  // verbs as discovery lists them
  bool has_status = false;         // status subresource (writes to main resource ignore status)
  bool tracks_generation = false;  // metadata.generation set to 1 on create, +1 on spec change
  bool reset_status_on_create = false;  // strategy drops user-supplied status on create
  // PUT on a missing object creates it (strategy AllowCreateOnUpdate).
  bool allow_create_on_update = false;
  NameRule name_rule = NameRule::kDnsSubdomain;

  // Applies Kubernetes' defaults in place to a full object (apiVersion/kind/metadata/spec...),
  // on create and update (defaulting is idempotent). Never throws. May be empty.
  // Also performs the v1 conversion normalisations that make a stored object look like a real
  // server's (Secret stringData merged into data, Pod serviceAccount alias, Service clusterIPs).
  std::function<void(boost::json::object& obj)> default_fn;

  // Checks that the body can be decoded as the Go type would (e.g. Secret data values must be
  // base64). Returns the message of a 400 BadRequest, kube's wording:
  //   `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 4`
  // nullopt when fine. May be empty.
  std::function<std::optional<std::string>(const boost::json::object& obj)> decode_fn;

  // Strategy PrepareForCreate beyond the generic status reset: e.g. Pod status {phase: Pending,
  // qosClass}, Namespace spec.finalizers ["kubernetes"] and status.phase Active, PV
  // lastPhaseTransitionTime, and the effects of the default admission plugins the real server
  // runs on create (ServiceAccount: serviceAccountName "default"; Priority: priority 0 and
  // preemptionPolicy PreemptLowerPriority; DefaultTolerationSeconds). May be empty.
  std::function<void(boost::json::object& obj, std::chrono::system_clock::time_point now)>
      prepare_create_fn;
  // Strategy PrepareForUpdate beyond the generic status copy: e.g. Namespace keeps
  // spec.finalizers, Service keeps its allocated clusterIP(s)/nodePorts when the new object
  // leaves them empty (kubectl replace). Does not touch generation. May be empty.
  std::function<void(boost::json::object& obj, const boost::json::object& old)> prepare_update_fn;
  // Whether an update must bump metadata.generation (only meaningful when tracks_generation):
  // spec changed; for Deployment also annotations changed.
  std::function<bool(const boost::json::object& obj, const boost::json::object& old)>
      bumps_generation_fn;

  // Type-specific validation (beyond metadata name/labels/annotations, which the server does).
  // old is nullptr on create. Returns causes in Kubernetes' form (field paths like
  // "spec.ports[0].port", types FieldValueRequired/FieldValueInvalid/...).
  std::function<std::vector<StatusCause>(const boost::json::object& obj,
                                         const boost::json::object* old)>
      validate_fn;

  // Supported field-selector labels besides metadata.name and metadata.namespace.
  std::vector<std::string> field_labels;
  // Value of a supported field label (also metadata.name/metadata.namespace) for an object, as
  // kube's GetAttrs computes it; nullopt if unsupported.
  std::function<std::optional<std::string>(const boost::json::object& obj, std::string_view field)>
      field_fn;

  // Table output: the columns the real server sends for this type (priority 0 = default,
  // 1 = -o wide), and the cells of one row (always all columns: the real server renders rows
  // with Wide on and kubectl hides priority>0 columns).
  std::vector<TableColumn> columns;
  std::function<boost::json::array(const boost::json::object& obj,
                                   std::chrono::system_clock::time_point now)>
      row_fn;

  // Custom resources (served from a CustomResourceDefinition). They reject strategic merge
  // patch with 415, as kube-apiserver does.
  bool custom_resource = false;
  // Custom resources: this version's openAPIV3Schema (structural), from which validation,
  // pruning, defaulting and the server-side-apply merge schema are derived. Null otherwise.
  std::shared_ptr<const boost::json::object> openapi_schema;
  // Custom resources: removes fields the schema does not know (pruning) and returns their
  // paths ("spec.foo") for fieldValidation (Strict: 400, Warn: Warning headers, Ignore).
  // Runs after decode_fn on create/update/patch. May be empty.
  std::function<std::vector<std::string>(boost::json::object& obj)> prune_fn;
  // Warnings to send with a successful create/update (Warning: 299 headers), e.g. a CRD's
  // x-kubernetes-validations rules that are not enforced. May be empty.
  std::function<std::vector<std::string>(const boost::json::object& obj)> warnings_fn;
  // The scale subresource (autoscaling/v1 Scale) of a custom resource: JSON paths such as
  // ".spec.replicas". Absent when the type has no scale subresource.
  // Delete strategy beyond finalizers: mutates the object before a delete decides whether to
  // wait for finalizers (CRDs add customresourcecleanup.apiextensions.k8s.io and a Terminating
  // condition, as kube's CRD REST Delete does). May be empty.
  std::function<void(boost::json::object& obj)> prepare_delete_fn;
  struct ScalePaths {
    std::string spec_replicas, status_replicas, label_selector;
  };
  std::optional<ScalePaths> scale;
};

// All built-in types, in a stable order. The returned reference is valid forever.
const std::vector<ResourceInfo>& BuiltinResources();
// Lookup by (group, resource); nullptr if unknown. Group "" is core.
const ResourceInfo* FindBuiltinResource(std::string_view group, std::string_view resource);

// Kubernetes' human duration as in AGE columns ("5s", "3m20s", "2d3h", "45d", "2y3d"),
// duration.HumanDuration rules.
std::string HumanDuration(std::chrono::system_clock::duration d);

// Problems with a metadata.name under a rule, in kube's wording (empty if valid).
std::vector<std::string> ValidateName(NameRule rule, std::string_view name);

}  // namespace kcx::apiserver
