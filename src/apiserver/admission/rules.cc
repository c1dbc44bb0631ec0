#include "apiserver/admission/rules.h"

#include "api/json.h"
#include "common/strings.h"

namespace kcx::apiserver::admission {

namespace json = boost::json;

std::string_view OperationName(Operation op) {
  switch (op) {
    case Operation::kCreate:
      return "CREATE";
    case Operation::kUpdate:
      return "UPDATE";
    case Operation::kDelete:
      return "DELETE";
    case Operation::kConnect:
      return "CONNECT";
  }
  return "";
}

namespace {

bool ExactOrWildcard(const json::array* items, std::string_view requested) {
  if (!items)
    return false;
  for (const auto& v : *items) {
    if (!v.is_string())
      continue;
    std::string_view s = v.get_string();
    if (s == "*" || s == requested)
      return true;
  }
  return false;
}

}  // namespace

bool RuleMatches(const json::object& rule, const RuleSubject& s) {
  const GroupVersionResource& r = *s.resource;
  // Scope. A Namespace object is cluster-scoped even though its attributes carry a namespace.
  std::string_view scope = api::GetString(rule, "scope");
  bool is_namespace = r.group.empty() && r.resource == "namespaces";
  if (scope == "Namespaced") {
    if (is_namespace || s.ns.empty())
      return false;
  } else if (scope == "Cluster") {
    if (!is_namespace && !s.ns.empty())
      return false;
  }
  if (!ExactOrWildcard(api::GetArray(rule, "operations"), OperationName(s.operation))) {
    return false;
  }
  if (!ExactOrWildcard(api::GetArray(rule, "apiGroups"), r.group))
    return false;
  if (!ExactOrWildcard(api::GetArray(rule, "apiVersions"), r.version))
    return false;
  const json::array* resources = api::GetArray(rule, "resources");
  if (!resources)
    return false;
  for (const auto& v : *resources) {
    if (!v.is_string())
      continue;
    std::string_view rs = v.get_string();
    std::string_view res = rs, sub;
    if (size_t p = rs.find('/'); p != std::string_view::npos) {
      res = rs.substr(0, p);
      sub = rs.substr(p + 1);
    }
    if ((res == "*" || res == r.resource) && (sub == "*" || sub == s.subresource))
      return true;
  }
  return false;
}

bool AnyRuleMatches(const json::array& rules, const RuleSubject& s) {
  for (const auto& r : rules) {
    if (const json::object* o = r.if_object(); o && RuleMatches(*o, s))
      return true;
  }
  return false;
}

bool IsExemptResource(const GroupVersionResource& r) {
  if (r.group != "admissionregistration.k8s.io")
    return false;
  return r.resource == "validatingwebhookconfigurations" ||
         r.resource == "mutatingwebhookconfigurations" ||
         r.resource == "validatingadmissionpolicies" ||
         r.resource == "validatingadmissionpolicybindings" ||
         r.resource == "mutatingadmissionpolicies" ||
         r.resource == "mutatingadmissionpolicybindings";
}

bool ObjectSelectorMatches(const api::LabelSelector& sel, const json::object* object,
                           const json::object* old_object) {
  if (sel.Empty())
    return true;
  auto matches = [&](const json::object* o) {
    if (!o)
      return false;
    const json::object* meta = api::GetObject(*o, "metadata");
    const json::value* labels = meta ? meta->if_contains("labels") : nullptr;
    return sel.MatchesJson(labels);
  };
  return matches(object) || matches(old_object);
}

std::vector<Webhook> ParseConfiguration(const json::object& cfg, bool mutating) {
  std::vector<Webhook> out;
  const json::array* hooks = api::GetArray(cfg, "webhooks");
  if (!hooks)
    return out;
  const json::object* cmeta = api::GetObject(cfg, "metadata");
  std::string cfg_name(cmeta ? api::GetString(*cmeta, "name") : "");
  for (const auto& hv : *hooks) {
    const json::object* h = hv.if_object();
    if (!h)
      continue;
    Webhook w;
    w.name = std::string(api::GetString(*h, "name"));
    w.configuration = cfg_name;
    w.mutating = mutating;
    if (const json::array* rules = api::GetArray(*h, "rules"))
      w.rules = *rules;
    w.fail_closed = api::GetString(*h, "failurePolicy") != "Ignore";
    w.match_equivalent = api::GetString(*h, "matchPolicy") != "Exact";
    for (auto [key, sel] : {std::pair{"namespaceSelector", &w.namespace_selector},
                            std::pair{"objectSelector", &w.object_selector}}) {
      const json::value* v = h->if_contains(key);
      if (!v || v->is_null())
        continue;
      auto parsed = api::LabelSelector::FromJson(*v);
      if (!parsed.ok()) {
        w.invalid = std::string(key) + ": " + parsed.status().message();
        *sel = api::LabelSelector::Nothing();
      } else {
        *sel = std::move(*parsed);
      }
    }
    w.side_effects = std::string(api::GetString(*h, "sideEffects"));
    w.timeout_seconds = static_cast<int>(api::GetInt(*h, "timeoutSeconds", 10));
    if (w.timeout_seconds < 1)
      w.timeout_seconds = 1;
    if (w.timeout_seconds > 30)
      w.timeout_seconds = 30;
    w.reinvoke_if_needed = mutating && api::GetString(*h, "reinvocationPolicy") == "IfNeeded";
    if (const json::object* cc = api::GetObject(*h, "clientConfig")) {
      w.url = std::string(api::GetString(*cc, "url"));
      if (const json::object* svc = api::GetObject(*cc, "service")) {
        w.service_namespace = std::string(api::GetString(*svc, "namespace"));
        w.service_name = std::string(api::GetString(*svc, "name"));
        w.service_path = std::string(api::GetString(*svc, "path"));
        w.service_port = static_cast<int>(api::GetInt(*svc, "port", 443));
      }
      std::string_view ca = api::GetString(*cc, "caBundle");
      if (!ca.empty()) {
        auto pem = Base64Decode(ca);
        if (pem) {
          w.ca_pem = std::move(*pem);
        } else {
          w.invalid = "clientConfig.caBundle: illegal base64 data";
        }
      }
    }
    // kcx speaks v1; v1beta1 has the same wire shape, so a v1beta1-only webhook gets that
    // apiVersion in the review (kube picks the first version in the list it understands).
    if (const json::array* vs = api::GetArray(*h, "admissionReviewVersions")) {
      for (const auto& v : *vs) {
        if (v == "v1" || v == "v1beta1") {
          w.review_version = std::string(v.get_string());
          break;
        }
      }
    }
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace kcx::apiserver::admission
