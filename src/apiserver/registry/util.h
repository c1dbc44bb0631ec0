#pragma once

// Internal helpers shared by the per-type files of the registry: tolerant JSON access, field
// error construction in apimachinery's wording, name/key rules, quantities, label selectors and
// the pieces of pod handling that Pods and pod templates share. Not part of the public API.

#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/validation.h"
#include "apiserver/registry/resource_info.h"
#include "common/status.h"

namespace kcx::apiserver::reg {

namespace json = boost::json;
using TimePoint = std::chrono::system_clock::time_point;

// ---- JSON access (a missing or mistyped member is "not there") ----
const json::object* Obj(const json::object& o, std::string_view k);
// An empty object, and o[k] as an object or that empty one.
const json::object& EmptyObject();
const json::object& ObjOrEmpty(const json::object& o, std::string_view k);
json::object* MutObj(json::object& o, std::string_view k);
const json::array* Arr(const json::object& o, std::string_view k);
json::array* MutArr(json::object& o, std::string_view k);
std::string_view Str(const json::object& o, std::string_view k);
const json::value* Val(const json::object& o, std::string_view k);  // nullptr if missing/null
bool IsSet(const json::object& o, std::string_view k);              // present and not null
std::optional<int64_t> Int(const json::object& o, std::string_view k);
bool Bool(const json::object& o, std::string_view k, bool def = false);
// o[k] as an object, replacing a missing/non-object value with {}.
json::object& Ensure(json::object& o, std::string_view k);
// Sets o[k] = v when o[k] is missing or null.
void SetIfMissing(json::object& o, std::string_view k, json::value v);
// Sets o[k] = v when o[k] is missing, null or "".
void SetIfEmptyString(json::object& o, std::string_view k, std::string_view v);
std::string_view MetaName(const json::object& obj);
std::string_view MetaNamespace(const json::object& obj);
// metadata.name / metadata.namespace for field_fn; nullopt for other fields.
std::optional<std::string> MetaField(const json::object& obj, std::string_view field);
// Deep equality of o[k] in both (missing == null).
bool SameMember(const json::object& a, const json::object& b, std::string_view k);

// ---- Field errors ----
std::string Quote(std::string_view s);  // Go's %q
std::string Child(const std::string& path, std::string_view name);
std::string Index(const std::string& path, size_t i);
std::string Key(const std::string& path, std::string_view key);
// A readable rendering of a JSON value for "Invalid value: ..." messages: strings quoted,
// numbers and booleans plain, others compact JSON.
std::string Repr(const json::value& v);

class Errors {
 public:
  void Required(const std::string& field, std::string_view detail = "");
  void Invalid(const std::string& field, const std::string& value_repr, std::string_view detail);
  void InvalidStr(const std::string& field, std::string_view value, std::string_view detail) {
    Invalid(field, Quote(value), detail);
  }
  void InvalidInt(const std::string& field, int64_t value, std::string_view detail) {
    Invalid(field, std::to_string(value), detail);
  }
  void NotSupported(const std::string& field, std::string_view value,
                    const std::vector<std::string_view>& supported);
  void Forbidden(const std::string& field, std::string_view detail);
  void Duplicate(const std::string& field, const std::string& value_repr);
  void NotFound(const std::string& field, const std::string& value_repr);
  void TooLong(const std::string& field, std::string_view detail);
  void Add(StatusCause c) { causes_.push_back(std::move(c)); }
  std::vector<StatusCause>& causes() { return causes_; }
  std::vector<StatusCause> Take() { return std::move(causes_); }

 private:
  std::vector<StatusCause> causes_;
};

// ---- Name and key rules (messages as k8s.io/apimachinery/pkg/util/validation) ----
// The name checks live in src/api/validation.h; the registry uses them unqualified.
using api::IsDns1035Label;
using api::IsDns1123Label;
using api::IsDns1123Subdomain;
using api::IsQualifiedName;
std::vector<std::string> IsConfigMapKey(std::string_view s);
std::vector<std::string> IsValidPortName(std::string_view s);  // IANA_SVC_NAME
bool IsValidIp(std::string_view s);
bool IsIpv6(std::string_view s);
// Validates a label map (keys qualified names, values label values) under `path`.
void ValidateLabels(const json::object& labels, const std::string& path, Errors& errs);

// ---- Quantities ----
// resource.Quantity's syntax ("100m", "1.5Gi", "1e3"); the value as a long double.
std::optional<long double> ParseQuantity(std::string_view s);
// A quantity member may be a JSON string or number.
std::optional<long double> QuantityValue(const json::value& v);

// ---- IntOrString ----
// Validates a non-negative int or a percent string ("25%") under `path`.
void ValidatePositiveIntOrPercent(const json::value& v, const std::string& path, Errors& errs);
// An IntOrString as text ("1", "25%").
std::string IntOrStringText(const json::value& v);

// ---- Label selectors ----
// metav1.LabelSelector semantics; an empty selector matches everything.
bool SelectorMatches(const json::object& selector, const json::object* labels);
bool SelectorEmpty(const json::object& selector);
void ValidateLabelSelector(const json::object& selector, const std::string& path, Errors& errs);
// labels.Selector.String() of a LabelSelector ("app=x,tier in (a,b)").
std::string SelectorString(const json::object& selector);
// labels.FormatLabels: "a=b,c=d" sorted by key; "<none>" when empty.
std::string FormatLabels(const json::object* labels);
// Go's %#v of a map[string]string, as kube's messages print it.
std::string GoStringMap(const json::object* m);

// ---- Time ----
// translateTimestampSince: "<unknown>" for a missing or unparseable timestamp.
std::string Since(std::string_view rfc3339, TimePoint now);
// Since() of metadata.creationTimestamp (the AGE column).
std::string CreatedSince(const json::object& obj, TimePoint now);

// ---- Tables ----
TableColumn NameColumn();
TableColumn AgeColumn();
TableColumn Column(std::string name, std::string type, std::string description, int priority = 0);
std::string_view OrNone(std::string_view s);  // "<none>" for ""
std::string JoinContainerField(const json::object* pod_spec, std::string_view field);

// ---- Pods and pod templates (pod.cc) ----
// SetDefaults_PodSpec + container/volume/probe defaults (template-level; no Pod-only defaults).
void DefaultPodSpec(json::object& spec);
// The Pod-only defaults (SetDefaults_Pod): requests from limits, enableServiceLinks,
// hostNetwork host ports.
void DefaultPodOnly(json::object& spec);
void ValidatePodSpec(const json::object& spec, const std::string& path, Errors& errs);
void ValidatePodTemplate(const json::object* tmpl, const std::string& path, Errors& errs);
std::string PodQosClass(const json::object& spec);
// PersistentVolumeClaim spec defaults (volumeMode) for PVCs and volumeClaimTemplates.
void DefaultPvcSpec(json::object& spec);
void ValidatePvcSpec(const json::object& spec, const std::string& path, Errors& errs);

// ---- Per-type constructors ----
ResourceInfo MakeNamespace();
ResourceInfo MakePod();
ResourceInfo MakeService();
ResourceInfo MakeEndpoints();
ResourceInfo MakeConfigMap();
ResourceInfo MakeSecret();
ResourceInfo MakePersistentVolumeClaim();
ResourceInfo MakePersistentVolume();
ResourceInfo MakeServiceAccount();
ResourceInfo MakeCoreEvent();
ResourceInfo MakeNode();
ResourceInfo MakeStatefulSet();
ResourceInfo MakeDeployment();
ResourceInfo MakePodDisruptionBudget();
ResourceInfo MakeLease();
ResourceInfo MakeStorageClass();
ResourceInfo MakeEventsV1Event();
ResourceInfo MakeMutatingWebhookConfiguration();    // admissionregistration.cc
ResourceInfo MakeValidatingWebhookConfiguration();  // admissionregistration.cc

std::vector<std::string> AllVerbs();  // create,delete,deletecollection,get,list,patch,update,watch
std::string ToLowerCopy(std::string_view s);

// The event printer (core.cc) over a core/v1-shaped event; events.k8s.io/v1 converts first.
std::vector<TableColumn> EventColumns();
json::array CoreEventRow(const json::object& obj, TimePoint now);

}  // namespace kcx::apiserver::reg
