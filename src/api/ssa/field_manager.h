#pragma once

// Server-side apply and managed fields: kube-apiserver's field manager (k8s.io/apiserver
// pkg/endpoints/handlers/fieldmanager + sigs.k8s.io/structured-merge-diff) for JSON objects.
// A pure library: no I/O, no clock (callers pass the time), thread-safe (schemas are immutable).
//
// The server calls exactly one of these per write, on the object it is about to store:
//   create/update/patch (non-apply): UpdateManagedFields(schema, live-or-null, new, ctx)
//   apply (application/apply-patch+yaml): ApplyConfig(schema, live-or-null, config, ctx, force)
// then defaults, validates and stores the result.

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kcx::api::ssa {

// The merge schema of one type (struct fields, list types atomic/set/map with keys, map types
// granular/atomic, untyped/deduced parts). Immutable; share freely across threads.
class TypeSchema;

// The schema of a built-in type served by kcx apiserver, by group ("" = core) and kind. Unknown
// types get the deduced schema (maps granular, lists atomic), as structured-merge-diff's
// DeducedParseableType. Never null; valid forever.
const TypeSchema* BuiltinSchema(std::string_view group, std::string_view kind);

// The merge schema of a custom resource version from its structural openAPIV3Schema, honouring
// x-kubernetes-list-type, x-kubernetes-list-map-keys, x-kubernetes-map-type,
// x-kubernetes-preserve-unknown-fields, x-kubernetes-int-or-string and
// x-kubernetes-embedded-resource (which adds apiVersion/kind/metadata).
Result<std::shared_ptr<const TypeSchema>> SchemaFromOpenApi(const boost::json::object& schema);

// Who writes and where.
struct WriteContext {
  std::string manager;      // fieldManager, or the default derived from the User-Agent
  std::string api_version;  // "v1", "apps/v1", "moco.cybozu.com/v1beta2"
  std::string subresource;  // "" or "status" (and "scale")
  std::string time;         // RFC 3339, seconds precision, UTC ("2026-11-25T20:00:00Z")
  // The kind being written ("Deployment"). When set, ApplyConfig checks the configuration's
  // apiVersion and kind against api_version/kind as kube's versionCheckManager does.
  std::string kind;
  // The type has a status subresource: writes to the main resource then never own `status`
  // (kube's reset fields), and /status writes never own `spec`.
  bool has_status_subresource = false;
};

// An Update operation (create, update, non-apply patch): computes the fields `obj` changes
// relative to `live` (nullptr on create: the type's zero object, as kube compares against
// an empty Go struct), records them for ctx.manager in an Update entry of
// obj.metadata.managedFields (merging per manager, operation, apiVersion and subresource;
// time = ctx.time only when the entry gained fields) and removes them from other managers'
// entries. Fields kube never tracks (apiVersion, kind, metadata.name, namespace, uid,
// resourceVersion, generation, creationTimestamp, selfLink, managedFields) are not recorded;
// more than 10 Update entries fold the oldest into "ancient-changes". Honours what the
// client put in obj.metadata.managedFields as kube's FieldManager does: `[]` or `[{}]`
// clears the list; a valid rewritten list replaces the live one (csaupgrade); an invalid
// or absent one falls back to live's entries (kube never fails a write over them), and
// subresource writes always start from live's entries. Errors only for objects the schema
// cannot walk (e.g. an associative-list item without its key).
Status UpdateManagedFields(const TypeSchema& schema, const boost::json::object* live,
                           boost::json::object& obj, const WriteContext& ctx);

// An Apply operation: merges the applied configuration into `live` (nullptr: the object does
// not exist and is created) by the schema, detects conflicts with other managers (409
// Conflict Status with one StatusCause per conflicting field, type "FieldManagerConflict",
// message `conflict with "m"[ using v1]`, field `.spec.replicas`; top-level message
// `Apply failed with N conflict(s): ...` as kube words it) unless force, removes fields
// ctx.manager applied before and no longer applies when no other manager owns them, and
// records an Apply entry (time = ctx.time only when the object changed). BadRequest when
// the configuration's apiVersion (and kind, if ctx.kind is set) does not match or it
// carries metadata.managedFields. With manager "kubectl", an existing
// kubectl.kubernetes.io/last-applied-configuration annotation is rewritten from the
// configuration. Null members in the result are dropped (as typed conversion does).
// Returns the object to store (not yet defaulted or validated).
Result<boost::json::object> ApplyConfig(const TypeSchema& schema, const boost::json::object* live,
                                        const boost::json::object& config, const WriteContext& ctx,
                                        bool force);

}  // namespace kcx::api::ssa
