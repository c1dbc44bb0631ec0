// admissionregistration.k8s.io/v1 MutatingWebhookConfiguration and
// ValidatingWebhookConfiguration: defaults (SetDefaults_*Webhook), validation
// (pkg/apis/admissionregistration/validation) and the server-side Table (NAME, WEBHOOKS, AGE).

#include <algorithm>
#include <set>

#include "apiserver/registry/util.h"
#include "common/strings.h"

namespace kcx::apiserver::reg {

namespace {

// One JSON array of strings as Go prints a []string in field.Invalid ("[]string{\"a\", \"b\"}").
std::string GoStringSlice(const json::array* a) {
  std::string s = "[]string{";
  if (a) {
    for (size_t i = 0; i < a->size(); ++i) {
      if (i)
        s += ", ";
      s += (*a)[i].is_string() ? Quote((*a)[i].get_string()) : Repr((*a)[i]);
    }
  }
  return s + "}";
}

bool HasWildcard(const json::array& a) {
  return std::any_of(a.begin(), a.end(), [](const json::value& v) { return v == "*"; });
}

void ValidateResources(const json::array* resources, const std::string& path, Errors& errs) {
  if (!resources || resources->empty()) {
    errs.Required(path);
    return;
  }
  std::set<std::string> res_with_wild_sub, sub_with_wild_res;
  bool double_wild = false, single_wild = false, res_without_sub = false;
  for (size_t i = 0; i < resources->size(); ++i) {
    const json::value& v = (*resources)[i];
    std::string rs = v.is_string() ? std::string(v.get_string()) : "";
    if (rs.empty()) {
      errs.Required(Index(path, i));
      continue;
    }
    if (rs == "*/*")
      double_wild = true;
    if (rs == "*")
      single_wild = true;
    size_t slash = rs.find('/');
    if (slash == std::string::npos) {
      res_without_sub = rs != "*";
      continue;
    }
    std::string res = rs.substr(0, slash), sub = rs.substr(slash + 1);
    if (res_with_wild_sub.count(res)) {
      errs.InvalidStr(Index(path, i), rs, "if '" + res + "/*' is present, must not specify " + rs);
    }
    if (sub_with_wild_res.count(sub)) {
      errs.InvalidStr(Index(path, i), rs, "if '*/" + sub + "' is present, must not specify " + rs);
    }
    if (sub == "*")
      res_with_wild_sub.insert(res);
    if (res == "*")
      sub_with_wild_res.insert(sub);
  }
  if (resources->size() > 1 && double_wild) {
    errs.Invalid(path, GoStringSlice(resources),
                 "if '*/*' is present, must not specify other resources");
  }
  if (single_wild && res_without_sub) {
    errs.Invalid(path, GoStringSlice(resources),
                 "if '*' is present, must not specify other resources without subresources");
  }
}

void ValidateRule(const json::object& rule, const std::string& path, Errors& errs) {
  const json::array* ops = Arr(rule, "operations");
  std::string opath = Child(path, "operations");
  if (!ops || ops->empty())
    errs.Required(opath);
  if (ops && ops->size() > 1 && HasWildcard(*ops)) {
    errs.Invalid(opath, GoStringSlice(ops), "if '*' is present, must not specify other operations");
  }
  if (ops) {
    for (size_t i = 0; i < ops->size(); ++i) {
      std::string op = (*ops)[i].is_string() ? std::string((*ops)[i].get_string()) : "";
      if (op != "*" && op != "CREATE" && op != "UPDATE" && op != "DELETE" && op != "CONNECT") {
        errs.NotSupported(Index(opath, i), op, {"*", "CONNECT", "CREATE", "DELETE", "UPDATE"});
      }
    }
  }
  const json::array* groups = Arr(rule, "apiGroups");
  if (!groups || groups->empty())
    errs.Required(Child(path, "apiGroups"));
  if (groups && groups->size() > 1 && HasWildcard(*groups)) {
    errs.Invalid(Child(path, "apiGroups"), GoStringSlice(groups),
                 "if '*' is present, must not specify other API groups");
  }
  const json::array* versions = Arr(rule, "apiVersions");
  if (!versions || versions->empty())
    errs.Required(Child(path, "apiVersions"));
  if (versions && versions->size() > 1 && HasWildcard(*versions)) {
    errs.Invalid(Child(path, "apiVersions"), GoStringSlice(versions),
                 "if '*' is present, must not specify other API versions");
  }
  if (versions) {
    for (size_t i = 0; i < versions->size(); ++i) {
      const json::value& v = (*versions)[i];
      if (!v.is_string() || v.get_string().empty()) {
        errs.Required(Index(Child(path, "apiVersions"), i));
      }
    }
  }
  ValidateResources(Arr(rule, "resources"), Child(path, "resources"), errs);
  std::string_view scope = Str(rule, "scope");
  if (IsSet(rule, "scope") && scope != "*" && scope != "Cluster" && scope != "Namespaced") {
    errs.NotSupported(Child(path, "scope"), scope, {"*", "Cluster", "Namespaced"});
  }
}

void ValidateUrl(std::string_view url, const std::string& path, Errors& errs) {
  const std::string form = "; desired format: https://host[/path]";
  std::string_view rest = url;
  std::string scheme;
  if (size_t p = rest.find("://"); p != std::string_view::npos) {
    scheme = std::string(rest.substr(0, p));
    rest.remove_prefix(p + 3);
  } else if (size_t c = rest.find(':'); c != std::string_view::npos && c > 0) {
    scheme = std::string(rest.substr(0, c));
    rest.remove_prefix(c + 1);
  }
  if (scheme != "https") {
    errs.InvalidStr(path, scheme, "'https' is the only allowed URL scheme" + form);
  }
  std::string_view fragment, query;
  if (size_t h = rest.find('#'); h != std::string_view::npos) {
    fragment = rest.substr(h + 1);
    rest = rest.substr(0, h);
  }
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view user;
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    user = authority.substr(0, at);
    authority.remove_prefix(at + 1);
  }
  if (authority.empty()) {
    errs.InvalidStr(path, authority, "host must be specified" + form);
  }
  if (!user.empty()) {
    errs.InvalidStr(path, user, "user information is not permitted in the URL");
  }
  if (!fragment.empty()) {
    errs.InvalidStr(path, fragment, "fragments are not permitted in the URL");
  }
  if (!query.empty()) {
    errs.InvalidStr(path, query, "query parameters are not permitted in the URL");
  }
}

void ValidateService(const json::object& svc, const std::string& path, Errors& errs) {
  if (Str(svc, "name").empty())
    errs.Required(Child(path, "name"), "service name is required");
  if (Str(svc, "namespace").empty()) {
    errs.Required(Child(path, "namespace"), "service namespace is required");
  }
  int64_t port = Int(svc, "port").value_or(443);
  if (port < 1 || port > 65535) {
    errs.InvalidInt(Child(path, "port"), port,
                    "port is not valid: must be between 1 and 65535, inclusive");
  }
  std::string_view p = Str(svc, "path");
  if (p.empty() || p == "/")
    return;
  if (p == "//") {
    errs.InvalidStr(Child(path, "path"), p, "segment[0] may not be empty");
    return;
  }
  if (p.front() != '/') {
    errs.InvalidStr(Child(path, "path"), p, "must start with a '/'");
    return;
  }
  std::string_view segs = p.substr(1);
  if (!segs.empty() && segs.back() == '/')
    segs.remove_suffix(1);
  size_t i = 0;
  for (std::string_view seg : Split(segs, '/')) {
    if (seg.empty()) {
      errs.InvalidStr(Child(path, "path"), p,
                      "segment[" + std::to_string(i) + "] may not be empty");
    } else if (auto bad = IsDns1123Subdomain(seg); !bad.empty()) {
      std::string msg = "segment[" + std::to_string(i) + "]: ";
      for (size_t k = 0; k < bad.size(); ++k)
        msg += (k ? ", " : "") + bad[k];
      errs.InvalidStr(Child(path, "path"), p, msg);
    }
    ++i;
  }
}

void ValidateReviewVersions(const json::array* versions, const std::string& path, Errors& errs) {
  if (!versions || versions->empty()) {
    errs.Required(path, "must specify one of v1, v1beta1");
    return;
  }
  std::set<std::string> seen;
  bool accepted = false;
  for (size_t i = 0; i < versions->size(); ++i) {
    std::string v = (*versions)[i].is_string() ? std::string((*versions)[i].get_string()) : "";
    if (!seen.insert(v).second) {
      errs.InvalidStr(Index(path, i), v, "duplicate version");
      continue;
    }
    for (const auto& m : IsDns1035Label(v))
      errs.InvalidStr(Index(path, i), v, m);
    if (v == "v1" || v == "v1beta1")
      accepted = true;
  }
  if (!accepted) {
    errs.Invalid(path, GoStringSlice(versions), "must include at least one of v1, v1beta1");
  }
}

void ValidateWebhook(const json::object& hook, bool mutating, const std::string& path,
                     Errors& errs) {
  std::string_view name = Str(hook, "name");
  std::string npath = Child(path, "name");
  if (name.empty()) {
    errs.Required(npath);
  } else if (auto bad = IsDns1123Subdomain(name); !bad.empty()) {
    std::string msg;
    for (size_t k = 0; k < bad.size(); ++k)
      msg += (k ? "," : "") + bad[k];
    errs.InvalidStr(npath, name, msg);
  } else if (std::count(name.begin(), name.end(), '.') < 2) {
    errs.InvalidStr(npath, name,
                    "should be a domain with at least three segments separated by dots");
  }
  if (const json::array* rules = Arr(hook, "rules")) {
    for (size_t i = 0; i < rules->size(); ++i) {
      const json::object* r = (*rules)[i].if_object();
      static const json::object kEmpty;
      ValidateRule(r ? *r : kEmpty, Index(Child(path, "rules"), i), errs);
    }
  }
  if (IsSet(hook, "failurePolicy")) {
    std::string_view fp = Str(hook, "failurePolicy");
    if (fp != "Ignore" && fp != "Fail") {
      errs.NotSupported(Child(path, "failurePolicy"), fp, {"Fail", "Ignore"});
    }
  }
  if (IsSet(hook, "matchPolicy")) {
    std::string_view mp = Str(hook, "matchPolicy");
    if (mp != "Exact" && mp != "Equivalent") {
      errs.NotSupported(Child(path, "matchPolicy"), mp, {"Equivalent", "Exact"});
    }
  }
  if (!IsSet(hook, "sideEffects")) {
    errs.Required(Child(path, "sideEffects"), "must specify one of None, NoneOnDryRun");
  } else {
    std::string_view se = Str(hook, "sideEffects");
    if (se != "None" && se != "NoneOnDryRun") {
      errs.NotSupported(Child(path, "sideEffects"), se, {"None", "NoneOnDryRun"});
    }
  }
  if (auto t = Int(hook, "timeoutSeconds"); t && (*t > 30 || *t < 1)) {
    errs.InvalidInt(Child(path, "timeoutSeconds"), *t,
                    "the timeout value must be between 1 and 30 seconds");
  }
  if (const json::object* s = Obj(hook, "namespaceSelector")) {
    ValidateLabelSelector(*s, Child(path, "namespaceSelector"), errs);
  }
  if (const json::object* s = Obj(hook, "objectSelector")) {
    ValidateLabelSelector(*s, Child(path, "objectSelector"), errs);
  }
  if (mutating && IsSet(hook, "reinvocationPolicy")) {
    std::string_view rp = Str(hook, "reinvocationPolicy");
    if (rp != "Never" && rp != "IfNeeded") {
      errs.NotSupported(Child(path, "reinvocationPolicy"), rp, {"IfNeeded", "Never"});
    }
  }
  static const json::object kEmpty;
  const json::object* ccp = Obj(hook, "clientConfig");
  const json::object& cc = ccp ? *ccp : kEmpty;
  std::string cpath = Child(path, "clientConfig");
  bool has_url = IsSet(cc, "url");
  const json::object* svc = Obj(cc, "service");
  if (has_url == (svc != nullptr)) {
    errs.Required(cpath, "exactly one of url or service is required");
  } else if (has_url) {
    ValidateUrl(Str(cc, "url"), Child(cpath, "url"), errs);
  } else {
    ValidateService(*svc, Child(cpath, "service"), errs);
  }
  if (IsSet(cc, "caBundle")) {
    std::string_view ca = Str(cc, "caBundle");
    if (!Base64Decode(ca)) {
      // Decoding []byte fails before validation in kube; it is reported the same way here.
      errs.InvalidStr(Child(cpath, "caBundle"), "<bytes>", "illegal base64 data");
    }
  }
}

void DefaultWebhookConfiguration(json::object& obj, bool mutating) {
  json::array* hooks = MutArr(obj, "webhooks");
  if (!hooks)
    return;
  for (json::value& hv : *hooks) {
    json::object* hook = hv.if_object();
    if (!hook)
      continue;
    SetIfMissing(*hook, "failurePolicy", "Fail");
    SetIfMissing(*hook, "matchPolicy", "Equivalent");
    SetIfMissing(*hook, "namespaceSelector", json::object());
    SetIfMissing(*hook, "objectSelector", json::object());
    SetIfMissing(*hook, "timeoutSeconds", 10);
    if (mutating)
      SetIfMissing(*hook, "reinvocationPolicy", "Never");
    if (json::array* rules = MutArr(*hook, "rules")) {
      for (json::value& rv : *rules) {
        if (json::object* r = rv.if_object())
          SetIfMissing(*r, "scope", "*");
      }
    }
    if (json::object* cc = MutObj(*hook, "clientConfig")) {
      if (json::object* svc = MutObj(*cc, "service"))
        SetIfMissing(*svc, "port", 443);
    }
  }
}

ResourceInfo MakeWebhookConfiguration(bool mutating) {
  ResourceInfo r;
  r.group = "admissionregistration.k8s.io";
  r.version = "v1";
  r.kind = mutating ? "MutatingWebhookConfiguration" : "ValidatingWebhookConfiguration";
  r.resource = mutating ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations";
  r.singular = ToLowerCopy(r.kind);
  r.list_kind = r.kind + "List";
  r.namespaced = false;
  r.categories = {"api-extensions"};
  r.verbs = AllVerbs();
  r.allow_create_on_update = false;
  r.field_fn = [](const json::object& obj, std::string_view field) {
    return MetaField(obj, field);
  };
  r.default_fn = [mutating](json::object& obj) { DefaultWebhookConfiguration(obj, mutating); };
  r.validate_fn = [mutating](const json::object& obj, const json::object*) {
    Errors errs;
    if (const json::array* hooks = Arr(obj, "webhooks")) {
      std::set<std::string> names;
      for (size_t i = 0; i < hooks->size(); ++i) {
        static const json::object kEmpty;
        const json::object* h = (*hooks)[i].if_object();
        const json::object& hook = h ? *h : kEmpty;
        std::string path = Index("webhooks", i);
        ValidateWebhook(hook, mutating, path, errs);
        ValidateReviewVersions(Arr(hook, "admissionReviewVersions"),
                               Child(path, "admissionReviewVersions"), errs);
        std::string name(Str(hook, "name"));
        if (!name.empty() && !names.insert(name).second) {
          errs.Duplicate(Child(path, "name"), Quote(name));
        }
      }
    }
    return errs.Take();
  };
  r.columns = {NameColumn(),
               Column("Webhooks", "integer",
                      "Webhooks indicates the number of webhooks registered in this configuration"),
               AgeColumn()};
  r.row_fn = [](const json::object& obj, TimePoint now) {
    const json::array* hooks = Arr(obj, "webhooks");
    const json::object* m = Obj(obj, "metadata");
    return json::array{json::value(MetaName(obj)),
                       json::value(static_cast<int64_t>(hooks ? hooks->size() : 0)),
                       json::value(Since(m ? Str(*m, "creationTimestamp") : "", now))};
  };
  return r;
}

}  // namespace

ResourceInfo MakeMutatingWebhookConfiguration() { return MakeWebhookConfiguration(true); }
ResourceInfo MakeValidatingWebhookConfiguration() { return MakeWebhookConfiguration(false); }

}  // namespace kcx::apiserver::reg
