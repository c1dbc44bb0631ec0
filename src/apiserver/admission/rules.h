#pragma once

// Admission webhooks: the request attributes the admission chain sees, the parsed form of one
// webhook of a Mutating/ValidatingWebhookConfiguration, and the pure matching logic of
// kube-apiserver's webhook predicates (rules with `*` wildcards and `res/sub` subresources,
// scope, namespaceSelector, objectSelector, the exemption of the webhook configurations
// themselves). No I/O; every function is safe to call from any thread.

#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/label_selector.h"
#include "common/status.h"

namespace kcx::apiserver::admission {

enum class Operation { kCreate, kUpdate, kDelete, kConnect };
std::string_view OperationName(Operation op);  // "CREATE", ...

struct GroupVersionResource {
  std::string group, version, resource;
};
struct GroupVersionKind {
  std::string group, version, kind;
};

// admission.Attributes: one write as the webhooks see it.
struct Attributes {
  Operation operation = Operation::kCreate;
  GroupVersionResource resource;  // as requested (the served version)
  std::string subresource;        // "" or "status", "scale", ...
  GroupVersionKind kind;
  bool namespaced = true;  // whether the resource is namespace-scoped
  std::string ns;          // for Namespace objects: the namespace's own name (as kube)
  std::string name;        // "" for a create with generateName
  // The new object (CREATE, UPDATE); mutating webhooks patch it in place. Null for DELETE.
  std::shared_ptr<boost::json::object> object;
  // The current object (UPDATE, DELETE). Null for CREATE.
  std::shared_ptr<const boost::json::object> old_object;
  bool dry_run = false;
  std::string user;
  std::vector<std::string> groups;
  boost::json::object options;  // CreateOptions / UpdateOptions / PatchOptions / DeleteOptions
};

// One webhook of a configuration, parsed once per configuration version.
struct Webhook {
  std::string name;
  std::string configuration;  // metadata.name of the owning configuration
  bool mutating = false;
  boost::json::array rules;
  bool fail_closed = true;       // failurePolicy Fail
  bool match_equivalent = true;  // matchPolicy Equivalent
  api::LabelSelector namespace_selector, object_selector;
  std::string side_effects;  // None, NoneOnDryRun, (Unknown, Some: v1beta1 only)
  int timeout_seconds = 10;
  bool reinvoke_if_needed = false;  // reinvocationPolicy IfNeeded
  std::string url;                  // clientConfig.url, or ""
  std::string service_namespace, service_name, service_path;
  int service_port = 443;
  std::string ca_pem;                 // decoded clientConfig.caBundle ("" = system trust store)
  std::string review_version = "v1";  // the AdmissionReview version sent
  std::string invalid;                // why the webhook cannot be used ("" = usable)
};

// Parses the webhooks of a stored (defaulted, validated) configuration. A webhook that cannot
// be used (a selector that does not parse) carries the reason in `invalid`; the chain then
// rejects matching requests with an internal error, as kube does.
std::vector<Webhook> ParseConfiguration(const boost::json::object& cfg, bool mutating);

// The subject of one rule check: the request's operation, resource and namespace.
struct RuleSubject {
  Operation operation;
  const GroupVersionResource* resource;
  std::string_view subresource;
  std::string_view ns;
};

// rules.Matcher: scope && operation && group && version && resource/subresource.
bool RuleMatches(const boost::json::object& rule, const RuleSubject& s);
// Any rule of the webhook matches.
bool AnyRuleMatches(const boost::json::array& rules, const RuleSubject& s);

// Webhook configurations are never subject to webhooks (kube's
// IsExemptAdmissionConfigurationResource), so a broken webhook can always be removed.
bool IsExemptResource(const GroupVersionResource& r);

// objectSelector: an empty selector matches; otherwise the new or the old object's labels.
bool ObjectSelectorMatches(const api::LabelSelector& sel, const boost::json::object* object,
                           const boost::json::object* old_object);

}  // namespace kcx::apiserver::admission
