#include "apiserver/crd/crd.h"

#include <algorithm>
#include <cctype>

#include "api/json.h"
#include "api/validation.h"
#include "apiserver/crd/jsonpath.h"
#include "apiserver/crd/schema.h"
#include "apiserver/registry/util.h"
#include "common/strings.h"

namespace kcx::apiserver::crd {

namespace json = boost::json;

namespace {

std::string Lower(std::string_view s) {
  std::string o(s);
  for (char& c : o)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

std::vector<std::string> Strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const json::array* a = api::GetArray(o, key)) {
    for (const auto& x : *a) {
      if (x.is_string())
        out.emplace_back(x.get_string());
    }
  }
  return out;
}

const json::object* VersionSchema(const json::object& version) {
  const json::object* schema = api::GetObject(version, "schema");
  return schema ? api::GetObject(*schema, "openAPIV3Schema") : nullptr;
}

void SetCondition(json::object& status, const std::string& type, const std::string& st,
                  const std::string& reason, const std::string& message, const std::string& now) {
  json::array& conds = status["conditions"].is_array()
                           ? status["conditions"].get_array()
                           : (status["conditions"] = json::array()).get_array();
  for (auto& c : conds) {
    json::object* co = c.if_object();
    if (!co || api::GetString(*co, "type") != type)
      continue;
    if (api::GetString(*co, "status") != st)
      (*co)["lastTransitionTime"] = now;
    (*co)["status"] = st;
    (*co)["reason"] = reason;
    (*co)["message"] = message;
    return;
  }
  conds.push_back(json::object{{"type", type},
                               {"status", st},
                               {"lastTransitionTime", now},
                               {"reason", reason},
                               {"message", message}});
}

// ---------------------------------------------------------------------------------------------
// Validation of a CRD (kube's apiextensions validation, the parts that matter for serving).

void ValidateDns1035(const std::string& path, std::string_view v, std::vector<StatusCause>& out) {
  for (const auto& m : api::IsDns1035Label(v)) {
    out.push_back({"FieldValueInvalid", "Invalid value: " + Quote(v) + ": " + m, path});
  }
}

void ValidateNames(const json::object* names, const std::string& path,
                   std::vector<StatusCause>& out) {
  if (!names) {
    out.push_back({"FieldValueRequired", "Required value", path + ".plural"});
    out.push_back({"FieldValueRequired", "Required value", path + ".kind"});
    return;
  }
  std::string_view plural = api::GetString(*names, "plural");
  std::string_view singular = api::GetString(*names, "singular");
  std::string_view kind = api::GetString(*names, "kind");
  std::string_view list_kind = api::GetString(*names, "listKind");
  if (plural.empty()) {
    out.push_back({"FieldValueRequired", "Required value", path + ".plural"});
  } else {
    ValidateDns1035(path + ".plural", plural, out);
  }
  if (singular.empty()) {
    out.push_back({"FieldValueRequired", "Required value", path + ".singular"});
  } else {
    ValidateDns1035(path + ".singular", singular, out);
  }
  auto kind_check = [&](const char* field, std::string_view k) {
    if (k.empty()) {
      out.push_back({"FieldValueRequired", "Required value", path + "." + field});
      return;
    }
    auto errs = api::IsDns1035Label(Lower(k));
    if (!errs.empty()) {
      std::string joined;
      for (size_t i = 0; i < errs.size(); ++i)
        joined += (i ? "," : "") + errs[i];
      out.push_back({"FieldValueInvalid",
                     "Invalid value: " + Quote(k) +
                         ": may have mixed case, but should otherwise match: " + joined,
                     path + "." + field});
    }
  };
  kind_check("kind", kind);
  kind_check("listKind", list_kind);
  if (!kind.empty() && kind == list_kind) {
    out.push_back({"FieldValueInvalid",
                   "Invalid value: " + Quote(list_kind) + ": kind and listKind may not be the same",
                   path + ".listKind"});
  }
  auto shorts = Strings(*names, "shortNames");
  for (size_t i = 0; i < shorts.size(); ++i) {
    ValidateDns1035(path + ".shortNames[" + std::to_string(i) + "]", shorts[i], out);
  }
  auto cats = Strings(*names, "categories");
  for (size_t i = 0; i < cats.size(); ++i) {
    ValidateDns1035(path + ".categories[" + std::to_string(i) + "]", cats[i], out);
  }
}

bool IsPathUnder(std::string_view p, std::string_view prefix) {
  if (!StartsWith(p, prefix))
    return false;
  if (p.size() == prefix.size())
    return false;
  return p[prefix.size()] == '.';
}

void ValidateVersion(const json::object& v, const std::string& path,
                     std::vector<StatusCause>& out) {
  std::string_view name = api::GetString(v, "name");
  if (name.empty()) {
    out.push_back({"FieldValueRequired", "Required value", path + ".name"});
  } else {
    ValidateDns1035(path + ".name", name, out);
  }
  const json::object* schema = VersionSchema(v);
  if (!schema) {
    out.push_back({"FieldValueRequired", "Required value: schemas are required",
                   path + ".schema.openAPIV3Schema"});
  } else {
    ValidateStructural(*schema, path + ".schema.openAPIV3Schema", out);
  }
  if (const json::object* sub = api::GetObject(v, "subresources")) {
    if (const json::object* sc = api::GetObject(*sub, "scale")) {
      std::string sp = path + ".subresources.scale";
      std::string_view spec = api::GetString(*sc, "specReplicasPath");
      std::string_view st = api::GetString(*sc, "statusReplicasPath");
      std::string_view sel = api::GetString(*sc, "labelSelectorPath");
      if (spec.empty()) {
        out.push_back({"FieldValueRequired", "Required value", sp + ".specReplicasPath"});
      } else if (!IsPathUnder(spec, ".spec") || !JsonPath::Parse(spec).ok()) {
        out.push_back({"FieldValueInvalid",
                       "Invalid value: " + Quote(spec) + ": should be a json path under .spec",
                       sp + ".specReplicasPath"});
      }
      if (st.empty()) {
        out.push_back({"FieldValueRequired", "Required value", sp + ".statusReplicasPath"});
      } else if (!IsPathUnder(st, ".status") || !JsonPath::Parse(st).ok()) {
        out.push_back({"FieldValueInvalid",
                       "Invalid value: " + Quote(st) + ": should be a json path under .status",
                       sp + ".statusReplicasPath"});
      }
      if (!sel.empty() && ((!IsPathUnder(sel, ".spec") && !IsPathUnder(sel, ".status")) ||
                           !JsonPath::Parse(sel).ok())) {
        out.push_back({"FieldValueInvalid",
                       "Invalid value: " + Quote(sel) +
                           ": should be a json path under either .spec or .status",
                       sp + ".labelSelectorPath"});
      }
    }
  }
  if (const json::array* cols = api::GetArray(v, "additionalPrinterColumns")) {
    for (size_t i = 0; i < cols->size(); ++i) {
      std::string cp = path + ".additionalPrinterColumns[" + std::to_string(i) + "]";
      const json::object* c = (*cols)[i].if_object();
      if (!c)
        continue;
      if (api::GetString(*c, "name").empty()) {
        out.push_back({"FieldValueRequired", "Required value", cp + ".name"});
      }
      std::string_view type = api::GetString(*c, "type");
      static const std::vector<std::string_view> kTypes = {"integer", "number", "string", "boolean",
                                                           "date"};
      if (type.empty()) {
        out.push_back({"FieldValueRequired", "Required value", cp + ".type"});
      } else if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
        out.push_back({"FieldValueNotSupported",
                       "Unsupported value: " + Quote(type) +
                           ": supported values: \"integer\", \"number\", \"string\", "
                           "\"boolean\", \"date\"",
                       cp + ".type"});
      }
      std::string_view format = api::GetString(*c, "format");
      static const std::vector<std::string_view> kFormats = {
          "int32", "int64", "float", "double", "byte", "date", "date-time", "password"};
      if (!format.empty() &&
          std::find(kFormats.begin(), kFormats.end(), format) == kFormats.end()) {
        out.push_back({"FieldValueNotSupported",
                       "Unsupported value: " + Quote(format) +
                           ": supported values: \"int32\", \"int64\", \"float\", \"double\", "
                           "\"byte\", \"date\", \"date-time\", \"password\"",
                       cp + ".format"});
      }
      std::string_view jp = api::GetString(*c, "jsonPath");
      if (jp.empty()) {
        out.push_back({"FieldValueRequired", "Required value", cp + ".jsonPath"});
      } else if (!JsonPath::Parse(jp).ok()) {
        out.push_back(
            {"FieldValueInvalid",
             "Invalid value: " + Quote(jp) + ": must be a simple json path starting with .",
             cp + ".jsonPath"});
      }
    }
  }
}

std::vector<StatusCause> ValidateCrdImpl(const json::object& crd, const json::object* old) {
  std::vector<StatusCause> out;
  const json::object* spec = api::GetObject(crd, "spec");
  if (!spec) {
    out.push_back({"FieldValueRequired", "Required value", "spec"});
    return out;
  }
  std::string_view group = api::GetString(*spec, "group");
  const json::object* names = api::GetObject(*spec, "names");
  std::string_view plural = names ? api::GetString(*names, "plural") : "";
  const json::object* cmeta = api::GetObject(crd, "metadata");
  std::string_view name = cmeta ? api::GetString(*cmeta, "name") : std::string_view();
  if (name != std::string(plural) + "." + std::string(group)) {
    out.push_back({"FieldValueInvalid",
                   "Invalid value: " + Quote(name) + ": must be spec.names.plural+\".\"+spec.group",
                   "metadata.name"});
  }
  if (group.empty()) {
    out.push_back({"FieldValueRequired", "Required value", "spec.group"});
  } else {
    for (const auto& m : api::IsDns1123Subdomain(group)) {
      out.push_back(
          {"FieldValueInvalid", "Invalid value: " + Quote(group) + ": " + m, "spec.group"});
    }
    if (group.find('.') == std::string_view::npos) {
      out.push_back(
          {"FieldValueInvalid",
           "Invalid value: " + Quote(group) + ": should be a domain with at least one dot",
           "spec.group"});
    }
  }
  std::string_view scope = api::GetString(*spec, "scope");
  if (scope.empty()) {
    out.push_back({"FieldValueRequired", "Required value", "spec.scope"});
  } else if (scope != "Cluster" && scope != "Namespaced") {
    out.push_back(
        {"FieldValueNotSupported",
         "Unsupported value: " + Quote(scope) + ": supported values: \"Cluster\", \"Namespaced\"",
         "spec.scope"});
  }
  ValidateNames(names, "spec.names", out);
  const json::array* versions = api::GetArray(*spec, "versions");
  if (!versions || versions->empty()) {
    out.push_back(
        {"FieldValueRequired", "Required value: must have at least one version", "spec.versions"});
  } else {
    int storage = 0;
    std::vector<std::string_view> seen;
    for (size_t i = 0; i < versions->size(); ++i) {
      std::string vp = "spec.versions[" + std::to_string(i) + "]";
      const json::object* v = (*versions)[i].if_object();
      if (!v) {
        out.push_back({"FieldValueInvalid", "Invalid value: must be an object", vp});
        continue;
      }
      if (api::GetBool(*v, "storage"))
        ++storage;
      std::string_view vn = api::GetString(*v, "name");
      if (std::find(seen.begin(), seen.end(), vn) != seen.end()) {
        out.push_back({"FieldValueDuplicate", "Duplicate value: " + Quote(vn), vp + ".name"});
      }
      seen.push_back(vn);
      ValidateVersion(*v, vp, out);
    }
    if (storage != 1) {
      out.push_back({"FieldValueInvalid",
                     "Invalid value: " + json::serialize(*versions) +
                         ": must have exactly one version marked as storage version",
                     "spec.versions"});
    }
  }
  if (const json::object* conv = api::GetObject(*spec, "conversion")) {
    std::string_view strategy = api::GetString(*conv, "strategy");
    if (strategy != "None" && strategy != "Webhook") {
      out.push_back(
          {"FieldValueNotSupported",
           "Unsupported value: " + Quote(strategy) + ": supported values: \"None\", \"Webhook\"",
           "spec.conversion.strategy"});
    } else if (strategy == "Webhook") {
      // Honest refusal: objects could not be converted between versions.
      out.push_back({"FieldValueForbidden",
                     "Forbidden: conversion webhooks are not supported by kcx apiserver",
                     "spec.conversion.strategy"});
    } else if (conv->contains("webhook") || conv->contains("webhookClientConfig")) {
      out.push_back({"FieldValueForbidden",
                     "Forbidden: should not be set when strategy is not set to Webhook",
                     "spec.conversion.webhook"});
    }
  }
  if (api::GetBool(*spec, "preserveUnknownFields")) {
    out.push_back({"FieldValueInvalid",
                   "Invalid value: true: must be false in order to use defaults in the schema",
                   "spec.preserveUnknownFields"});
  }
  if (old) {
    const json::object* ospec = api::GetObject(*old, "spec");
    if (ospec) {
      if (api::GetString(*ospec, "group") != group) {
        out.push_back({"FieldValueInvalid",
                       "Invalid value: " + Quote(group) + ": field is immutable", "spec.group"});
      }
      if (api::GetString(*ospec, "scope") != scope) {
        out.push_back({"FieldValueInvalid",
                       "Invalid value: " + Quote(scope) + ": field is immutable", "spec.scope"});
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Printer columns.

struct Column {
  std::string type;
  JsonPath path;
};

json::value Cell(const Column& c, const json::value& obj,
                 std::chrono::system_clock::time_point now) {
  const json::value* v = c.path.First(obj);
  if (!v || v->is_null())
    return nullptr;
  if (c.type == "integer") {
    if (v->is_int64() || v->is_uint64())
      return *v;
    if (v->is_double())
      return static_cast<int64_t>(v->get_double());
    return nullptr;
  }
  if (c.type == "number") {
    if (v->is_number())
      return *v;
    return nullptr;
  }
  if (c.type == "boolean") {
    if (v->is_bool())
      return *v;
    return nullptr;
  }
  if (c.type == "date") {
    if (!v->is_string())
      return nullptr;
    auto t = ParseRfc3339(v->get_string());
    if (!t)
      return nullptr;
    return json::string(HumanDuration(now - *t));
  }
  // string: what the jsonpath printer prints for the value.
  if (v->is_string())
    return *v;
  return json::string(json::serialize(*v));
}

bool BumpsGeneration(const json::object& obj, const json::object& old, bool has_status) {
  // Custom resources: every change outside metadata (and status, with a status subresource).
  size_t na = 0, nb = 0;
  for (const auto& kv : obj) {
    if (kv.key() == "metadata" || (has_status && kv.key() == "status"))
      continue;
    ++na;
    auto it = old.find(kv.key());
    if (it == old.end() || it->value() != kv.value())
      return true;
  }
  for (const auto& kv : old) {
    if (kv.key() != "metadata" && !(has_status && kv.key() == "status"))
      ++nb;
  }
  return na != nb;
}

ResourceInfo MakeCrdInfo() {
  ResourceInfo r;
  r.group = "apiextensions.k8s.io";
  r.version = "v1";
  r.kind = "CustomResourceDefinition";
  r.resource = "customresourcedefinitions";
  r.singular = "customresourcedefinition";
  r.list_kind = "CustomResourceDefinitionList";
  r.namespaced = false;
  r.short_names = {"crd", "crds"};
  r.verbs = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
  r.has_status = true;
  r.tracks_generation = true;
  r.reset_status_on_create = true;
  r.default_fn = [](json::object& obj) { DefaultCrd(obj); };
  r.prepare_create_fn = [](json::object& obj, std::chrono::system_clock::time_point) {
    // kube's strategy: status starts with the storage version recorded and names unaccepted;
    // the server's controller sets conditions and acceptedNames.
    // (conditions is omitempty in kube's type: absent until the controller sets them.)
    json::object status{{"acceptedNames", json::object{{"plural", ""}, {"kind", ""}}},
                        {"storedVersions", json::array()}};
    std::string sv = StorageVersion(obj);
    if (!sv.empty())
      status["storedVersions"].get_array().push_back(json::string(sv));
    obj["status"] = std::move(status);
  };
  r.prepare_update_fn = [](json::object& obj, const json::object&) {
    std::string sv = StorageVersion(obj);
    if (sv.empty())
      return;
    json::object& status = api::EnsureObject(obj, "status");
    if (!status["storedVersions"].is_array())
      status["storedVersions"] = json::array();
    json::array& stored = status["storedVersions"].get_array();
    for (const auto& x : stored) {
      if (x.is_string() && x.get_string() == sv)
        return;
    }
    stored.push_back(json::string(sv));
  };
  r.validate_fn = [](const json::object& obj, const json::object* old) {
    return ValidateCrd(obj, old);
  };
  r.warnings_fn = [](const json::object& obj) {
    std::vector<std::string> rules;
    const json::object* spec = api::GetObject(obj, "spec");
    const json::array* versions = spec ? api::GetArray(*spec, "versions") : nullptr;
    for (size_t i = 0; versions && i < versions->size(); ++i) {
      const json::object* v = (*versions)[i].if_object();
      const json::object* schema = v ? VersionSchema(*v) : nullptr;
      if (!schema)
        continue;
      std::vector<std::string> found;
      CollectCelRules(*schema, "", found);
      for (auto& f : found) {
        rules.push_back("version " + std::string(api::GetString(*v, "name")) + " " + f);
      }
    }
    std::vector<std::string> out;
    if (!rules.empty()) {
      std::string msg =
          "x-kubernetes-validations rules are not enforced by kcx apiserver (accepted but not "
          "evaluated): ";
      for (size_t i = 0; i < rules.size(); ++i)
        msg += (i ? "; " : "") + rules[i];
      out.push_back(std::move(msg));
    }
    return out;
  };
  r.prepare_delete_fn = [](json::object& obj) {
    json::object& meta = api::EnsureObject(obj, "metadata");
    if (!meta["finalizers"].is_array())
      meta["finalizers"] = json::array();
    json::array& f = meta["finalizers"].get_array();
    bool have = false;
    for (const auto& x : f)
      have |= x == kCleanupFinalizer;
    if (!have)
      f.push_back(json::string(kCleanupFinalizer));
    json::object& status = api::EnsureObject(obj, "status");
    SetCondition(status, "Terminating", "True", "InstanceDeletionPending",
                 "CustomResourceDefinition marked for deletion; CustomResource deletion will "
                 "begin soon",
                 FormatRfc3339(std::chrono::system_clock::now()));
  };
  return r;
}

std::string VersionKey(std::string_view v, int& major, int& kind, int& minor) {
  // v<major>[(alpha|beta)<minor>]
  major = -1;
  kind = 0;
  minor = 0;
  if (v.size() < 2 || v[0] != 'v' || !std::isdigit(static_cast<unsigned char>(v[1])))
    return "";
  size_t i = 1;
  int m = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])))
    m = m * 10 + (v[i++] - '0');
  if (i == v.size()) {
    major = m;
    kind = 3;
    return "ok";
  }
  std::string_view rest = v.substr(i);
  int k = 0;
  if (StartsWith(rest, "alpha")) {
    k = 1;
    rest.remove_prefix(5);
  } else if (StartsWith(rest, "beta")) {
    k = 2;
    rest.remove_prefix(4);
  } else {
    return "";
  }
  if (rest.empty() || !std::all_of(rest.begin(), rest.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    return "";
  }
  major = m;
  kind = k;
  minor = std::stoi(std::string(rest));
  return "ok";
}

}  // namespace

int CompareKubeVersions(std::string_view a, std::string_view b) {
  int ma, ka, na, mb, kb, nb;
  bool va = !VersionKey(a, ma, ka, na).empty();
  bool vb = !VersionKey(b, mb, kb, nb).empty();
  if (va && vb) {
    // GA before beta before alpha; higher major first; then higher minor first.
    if (ka != kb)
      return ka > kb ? -1 : 1;
    if (ma != mb)
      return ma > mb ? -1 : 1;
    if (na != nb)
      return na > nb ? -1 : 1;
    return 0;
  }
  if (va != vb)
    return va ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

const ResourceInfo& CrdResourceInfo() {
  static const ResourceInfo* const kInfo = new ResourceInfo(MakeCrdInfo());
  return *kInfo;
}

void DefaultCrd(json::object& crd) {
  json::object& spec = api::EnsureObject(crd, "spec");
  json::object& names = api::EnsureObject(spec, "names");
  std::string kind(api::GetString(names, "kind"));
  if (api::GetString(names, "singular").empty() && !kind.empty())
    names["singular"] = Lower(kind);
  if (api::GetString(names, "listKind").empty() && !kind.empty())
    names["listKind"] = kind + "List";
  json::object& conv = api::EnsureObject(spec, "conversion");
  if (api::GetString(conv, "strategy").empty())
    conv["strategy"] = "None";
}

std::vector<StatusCause> ValidateCrd(const json::object& crd, const json::object* old) {
  return ValidateCrdImpl(crd, old);
}

std::string StorageVersion(const json::object& crd) {
  const json::object* spec = api::GetObject(crd, "spec");
  const json::array* versions = spec ? api::GetArray(*spec, "versions") : nullptr;
  if (!versions)
    return "";
  for (const auto& v : *versions) {
    const json::object* vo = v.if_object();
    if (vo && api::GetBool(*vo, "storage"))
      return std::string(api::GetString(*vo, "name"));
  }
  return "";
}

Result<ServedResource> BuildServedResource(const json::object& crd) {
  const json::object* spec = api::GetObject(crd, "spec");
  if (!spec)
    return BadRequest("CRD without spec");
  const json::object* names = api::GetObject(*spec, "names");
  if (!names)
    return BadRequest("CRD without names");
  ServedResource out;
  out.group = std::string(api::GetString(*spec, "group"));
  out.plural = std::string(api::GetString(*names, "plural"));
  out.storage_version = StorageVersion(crd);
  const json::array* versions = api::GetArray(*spec, "versions");
  if (!versions || out.storage_version.empty())
    return BadRequest("CRD without storage version");
  bool namespaced = api::GetString(*spec, "scope") == "Namespaced";
  std::vector<const json::object*> served;
  for (const auto& v : *versions) {
    const json::object* vo = v.if_object();
    if (vo && api::GetBool(*vo, "served"))
      served.push_back(vo);
  }
  std::sort(served.begin(), served.end(), [](const json::object* a, const json::object* b) {
    return CompareKubeVersions(api::GetString(*a, "name"), api::GetString(*b, "name")) < 0;
  });
  for (const json::object* vo : served) {
    auto info = std::make_shared<ResourceInfo>();
    ResourceInfo& r = *info;
    r.group = out.group;
    r.version = std::string(api::GetString(*vo, "name"));
    r.kind = std::string(api::GetString(*names, "kind"));
    r.resource = out.plural;
    r.singular = std::string(api::GetString(*names, "singular"));
    if (r.singular.empty())
      r.singular = Lower(r.kind);
    r.list_kind = std::string(api::GetString(*names, "listKind"));
    if (r.list_kind.empty())
      r.list_kind = r.kind + "List";
    r.namespaced = namespaced;
    r.short_names = Strings(*names, "shortNames");
    r.categories = Strings(*names, "categories");
    r.verbs = {"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"};
    r.custom_resource = true;
    r.tracks_generation = true;
    const json::object* sub = api::GetObject(*vo, "subresources");
    r.has_status = sub && sub->contains("status");
    r.reset_status_on_create = r.has_status;
    if (const json::object* sc = sub ? api::GetObject(*sub, "scale") : nullptr) {
      ResourceInfo::ScalePaths sp;
      sp.spec_replicas = std::string(api::GetString(*sc, "specReplicasPath"));
      sp.status_replicas = std::string(api::GetString(*sc, "statusReplicasPath"));
      sp.label_selector = std::string(api::GetString(*sc, "labelSelectorPath"));
      r.scale = std::move(sp);
    }
    bool has_status = r.has_status;
    r.bumps_generation_fn = [has_status](const json::object& obj, const json::object& old) {
      return BumpsGeneration(obj, old, has_status);
    };
    if (const json::object* schema = VersionSchema(*vo)) {
      auto sp = std::make_shared<const json::object>(*schema);
      r.openapi_schema = sp;
      r.default_fn = [sp](json::object& obj) { ApplyDefaults(obj, *sp); };
      r.prune_fn = [sp](json::object& obj) {
        std::vector<std::string> pruned;
        PruneObject(obj, *sp, &pruned);
        return pruned;
      };
      r.validate_fn = [sp](const json::object& obj, const json::object*) {
        return ValidateObject(obj, *sp);
      };
    }
    // Table: NAME, then the printer columns (or AGE when there are none), as kube's CRD table
    // convertor does.
    std::vector<Column> cols;
    r.columns.push_back({"Name", "string", "name",
                         "Name must be unique within a namespace. Is required when creating "
                         "resources, although some resources may allow a client to request the "
                         "generation of an appropriate name automatically. Name is primarily "
                         "intended for creation idempotence and configuration definition. Cannot "
                         "be updated. More info: "
                         "https://kubernetes.io/docs/concepts/overview/working-with-objects/"
                         "names#names",
                         0});
    const json::array* pcs = api::GetArray(*vo, "additionalPrinterColumns");
    if (!pcs || pcs->empty()) {
      r.columns.push_back({"Age", "date", "", "", 0});
      auto jp = JsonPath::Parse(".metadata.creationTimestamp");
      cols.push_back({"date", *jp});
    } else {
      for (const auto& c : *pcs) {
        const json::object* co = c.if_object();
        if (!co)
          continue;
        auto jp = JsonPath::Parse(api::GetString(*co, "jsonPath"));
        if (!jp.ok())
          continue;
        TableColumn tc;
        tc.name = std::string(api::GetString(*co, "name"));
        tc.type = std::string(api::GetString(*co, "type"));
        tc.format = std::string(api::GetString(*co, "format"));
        tc.description = std::string(api::GetString(*co, "description"));
        tc.priority = static_cast<int>(api::GetInt(*co, "priority", 0));
        r.columns.push_back(std::move(tc));
        cols.push_back({std::string(api::GetString(*co, "type")), *jp});
      }
    }
    r.row_fn = [cols = std::move(cols)](const json::object& obj,
                                        std::chrono::system_clock::time_point now) {
      json::array cells;
      cells.reserve(cols.size() + 1);
      cells.push_back(json::string(api::GetStringPath(obj, {"metadata", "name"})));
      json::value root(obj);
      for (const auto& c : cols)
        cells.push_back(Cell(c, root, now));
      return cells;
    };
    out.versions.push_back(std::move(info));
  }
  if (out.versions.empty())
    return BadRequest("CRD serves no version");
  return out;
}

}  // namespace kcx::apiserver::crd
