// Create, update, patch, delete and deletecollection.

#include <atomic>
#include <mutex>

#include "api/json.h"
#include "api/label_selector.h"
#include "api/patch.h"
#include "api/validation.h"
#include "apiserver/rest/object_util.h"
#include "apiserver/rest/rest_handler.h"
#include "apiserver/rest/status_json.h"
#include "common/strings.h"

namespace kcx::apiserver {

namespace json = boost::json;

namespace {

constexpr std::string_view kRetryMarker = "\x01retry-on-newer-version";

bool IsRetry(const Status& s) {
  return s.reason() == Reason::kConflict && s.message() == kRetryMarker;
}

Result<bool> ParseDryRun(const Request& req) {
  auto range = req.query.equal_range("dryRun");
  bool dry = false;
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second == "All") {
      dry = true;
    } else if (!it->second.empty()) {
      return BadRequest("dryRun: Unsupported value: \"" + it->second +
                        "\": supported values: \"All\"");
    }
  }
  return dry;
}

bool IsYaml(std::string_view ct) {
  return StartsWith(ct, "application/yaml") || StartsWith(ct, "application/x-yaml") ||
         StartsWith(ct, "text/yaml");
}

Result<json::object> ParseBodyObject(const Request& req) {
  std::string_view ct = req.content_type;
  // Bodies are JSON or YAML; anything else (kubectl's typed clients send protobuf) gets 415 as
  // from kube-apiserver, not a misleading JSON syntax error. No Content-Type means JSON.
  std::string_view media = ct.substr(0, ct.find(';'));
  media = Trim(media);
  if (!media.empty() && media != "application/json" && !IsYaml(media)) {
    return Status(Reason::kUnsupportedMediaType,
                  "the body of the request was in an unknown format - accepted media types "
                  "include: application/json, application/yaml");
  }
  Result<json::value> v = IsYaml(ct) ? api::ParseYamlOrJson(req.body) : api::ParseJson(req.body);
  if (!v.ok()) return v.status();
  if (!v->is_object()) return BadRequest("the request body must be a JSON object");
  return std::move(v->get_object());
}

Status CheckTypeMeta(const ResourceEntry& e, json::object& obj) {
  std::string_view av = api::GetString(obj, "apiVersion");
  std::string_view kind = api::GetString(obj, "kind");
  if (av.empty() && kind.empty()) {
    obj["apiVersion"] = e.group_version;
    obj["kind"] = e.info->kind;
    return Status::Ok();
  }
  if (av != e.group_version) {
    return BadRequest("the API version in the data (" + std::string(av) +
                      ") does not match the expected API version (" + e.group_version + ")");
  }
  if (kind != e.info->kind) {
    return BadRequest("the kind in the data (" + std::string(kind) +
                      ") does not match the expected kind (" + e.info->kind + ")");
  }
  return Status::Ok();
}

std::string Quote(std::string_view s) { return json::serialize(json::string(s)); }

// Validation shared by create and update: name, labels, annotations, and the type's rules.
std::vector<StatusCause> ValidateObject(const ResourceEntry& e, const json::object& obj,
                                        const json::object* old) {
  std::vector<StatusCause> causes;
  const json::object* meta = api::GetObject(obj, "metadata");
  std::string_view name = meta ? api::GetString(*meta, "name") : "";
  for (const auto& m : ValidateName(e.info->name_rule, name)) {
    causes.push_back({"FieldValueInvalid", "Invalid value: " + Quote(name) + ": " + m,
                      "metadata.name"});
  }
  if (meta) api::ValidateObjectMetaLabelsAnnotations(*meta, causes);
  if (old) {
    const json::object* om = api::GetObject(*old, "metadata");
    // An object being deleted can lose finalizers but gain none.
    if (om && !api::GetString(*om, "deletionTimestamp").empty()) {
      std::vector<std::string> added;
      const json::array* nf = meta ? api::GetArray(*meta, "finalizers") : nullptr;
      const json::array* of = api::GetArray(*om, "finalizers");
      if (nf) {
        for (const auto& f : *nf) {
          bool had = false;
          if (of) {
            for (const auto& g : *of) had |= g == f;
          }
          if (!had && f.is_string()) added.emplace_back(f.get_string());
        }
      }
      if (!added.empty()) {
        std::string list = "[]string{";
        for (size_t i = 0; i < added.size(); ++i) list += (i ? ", " : "") + Quote(added[i]);
        list += "}";
        causes.push_back({"FieldValueForbidden",
                          "Forbidden: no new finalizers can be added if the object is being "
                          "deleted, found new finalizers " + list,
                          "metadata.finalizers"});
      }
    }
  }
  if (e.info->validate_fn) {
    auto more = e.info->validate_fn(obj, old);
    causes.insert(causes.end(), more.begin(), more.end());
  }
  return causes;
}

bool SpecChanged(const json::object& a, const json::object& b) {
  // Everything except metadata and status counts as spec for generation tracking.
  size_t na = 0, nb = 0;
  for (const auto& kv : a) {
    if (kv.key() == "metadata" || kv.key() == "status") continue;
    ++na;
    auto it = b.find(kv.key());
    if (it == b.end() || it->value() != kv.value()) return true;
  }
  for (const auto& kv : b) {
    if (kv.key() != "metadata" && kv.key() != "status") ++nb;
  }
  return na != nb;
}

bool HasFinalizers(const json::object& obj) {
  const json::object* meta = api::GetObject(obj, "metadata");
  const json::array* f = meta ? api::GetArray(*meta, "finalizers") : nullptr;
  return f && !f->empty();
}

bool IsNamespaceEntry(const ResourceEntry& e) {
  return e.info->group.empty() && e.info->resource == "namespaces";
}

bool NamespaceHasSpecFinalizers(const json::object& obj) {
  const json::object* spec = api::GetObject(obj, "spec");
  const json::array* f = spec ? api::GetArray(*spec, "finalizers") : nullptr;
  return f && !f->empty();
}

// kube's ShouldDeleteDuringUpdate: a deleting object whose last finalizer went away (and whose
// grace period is over) is deleted by that update.
bool ShouldDeleteDuringUpdate(const ResourceEntry& e, const json::object& obj,
                              const json::object& old) {
  const json::object* om = api::GetObject(old, "metadata");
  if (!om || api::GetString(*om, "deletionTimestamp").empty()) return false;
  if (HasFinalizers(obj)) return false;
  if (IsNamespaceEntry(e) && NamespaceHasSpecFinalizers(obj)) return false;
  auto it = om->find("deletionGracePeriodSeconds");
  return it != om->end() && api::GetInt(*om, "deletionGracePeriodSeconds", -1) == 0;
}

Response ObjectResponse(int code, std::string body) {
  Response r;
  r.code = code;
  r.body = std::move(body);
  return r;
}

// ---- admission webhooks (apiserver/admission) ----

// The attributes of one write for the admission chain; `object`/`old_object` are set later.
std::shared_ptr<admission::Attributes> AdmissionAttributes(
    const ResourceEntry& e, admission::Operation op, std::string_view ns, std::string_view name,
    std::string_view subresource, bool dry, const UserInfo& user, std::string_view options_kind,
    std::string_view field_manager) {
  auto a = std::make_shared<admission::Attributes>();
  const ResourceInfo& i = *e.info;
  a->operation = op;
  a->resource = {i.group, i.version, i.resource};
  a->kind = {i.group, i.version, i.kind};
  a->subresource = std::string(subresource);
  a->namespaced = i.namespaced;
  // As kube: the attributes of a Namespace carry its own name as the namespace.
  a->ns = std::string(i.group.empty() && i.resource == "namespaces" ? name : ns);
  a->name = std::string(name);
  a->dry_run = dry;
  if (user.name.empty()) {
    a->user = "system:apiserver";  // the server's own controllers (namespace lifecycle, GC)
    a->groups = {"system:masters"};
  } else {
    a->user = user.name;
    a->groups = user.groups;
  }
  a->options = json::object{{"kind", options_kind}, {"apiVersion", "meta.k8s.io/v1"}};
  if (dry) a->options["dryRun"] = json::array{"All"};
  if (!field_manager.empty()) a->options["fieldManager"] = field_manager;
  return a;
}

// Adds the webhooks' warnings to a response as `Warning: 299 - "<text>"` headers.
Responder WithWarnings(Responder respond, std::vector<std::string> warnings) {
  if (warnings.empty()) return respond;
  return [respond = std::move(respond), warnings = std::move(warnings)](Response r) {
    for (const auto& w : warnings) {
      r.headers.emplace_back("Warning", "299 - " + json::serialize(json::string(w)));
    }
    respond(std::move(r));
  };
}

// Runs one admission phase; `next` continues the write (inline when no webhook matches, else
// on an admission worker thread) with a responder that carries the webhooks' warnings.
void Admit(admission::AdmissionChain* chain, bool mutating,
           std::shared_ptr<admission::Attributes> attrs, Responder respond,
           std::function<void(Responder, bool mutated)> next) {
  if (!chain) return next(std::move(respond), false);
  auto done = [respond = std::move(respond), next = std::move(next)](
                  admission::Outcome o) mutable {
    Responder r = WithWarnings(std::move(respond), std::move(o.warnings));
    if (o.error) {
      Response resp;
      resp.code = static_cast<int>(api::GetInt(*o.error, "code", 500));
      resp.body = json::serialize(*o.error);
      return r(std::move(resp));
    }
    next(std::move(r), o.mutated);
  };
  if (mutating) {
    chain->Mutate(std::move(attrs), std::move(done));
  } else {
    chain->Validate(std::move(attrs), std::move(done));
  }
}


// After mutating webhooks changed an update, what the server owns is restored as its strategy
// restores it (kube runs the strategy after mutating admission): a status or finalize write
// keeps only its part, system metadata and (for the main resource) status stay as stored,
// defaults apply, and generation follows the final spec.
void FinishMutatedUpdate(const ResourceEntry& e, const std::string& subresource,
                         json::object& result, const json::object& old) {
  const ResourceInfo& info = *e.info;
  const json::object* omp = api::GetObject(old, "metadata");
  static const json::object kEmpty;
  const json::object& om = omp ? *omp : kEmpty;
  std::string rv(api::GetString(api::EnsureObject(result, "metadata"), "resourceVersion"));
  if (subresource == "status" || subresource == "finalize") {
    json::object r = old;
    if (subresource == "status") {
      if (auto it = result.find("status"); it != result.end()) {
        r["status"] = it->value();
      } else {
        r.erase("status");
      }
    } else {
      const json::object* spec = api::GetObject(result, "spec");
      const json::value* f = spec ? spec->if_contains("finalizers") : nullptr;
      json::object& rs = api::EnsureObject(r, "spec");
      if (f) {
        rs["finalizers"] = *f;
      } else {
        rs.erase("finalizers");
      }
    }
    api::EnsureObject(r, "metadata")["resourceVersion"] = rv;
    result = std::move(r);
    return;
  }
  json::object& rm = api::EnsureObject(result, "metadata");
  for (const char* f : {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "generation"}) {
    if (auto it = om.find(f); it != om.end()) {
      rm[f] = it->value();
    } else {
      rm.erase(f);
    }
  }
  if (info.has_status) {
    if (auto it = old.find("status"); it != old.end()) {
      result["status"] = it->value();
    } else {
      result.erase("status");
    }
  }
  if (info.prepare_update_fn) info.prepare_update_fn(result, old);
  if (info.default_fn) info.default_fn(result);
  bool bump = info.bumps_generation_fn ? info.bumps_generation_fn(result, old)
                                       : SpecChanged(result, old);
  if (info.tracks_generation && bump) {
    result["metadata"].get_object()["generation"] = api::GetInt(om, "generation", 0) + 1;
  }
}

// The WriteIntent::build of a write: the prepared record with `obj` serialized at the assigned
// resourceVersion. Captures by reference; the store calls it synchronously inside Write.
std::function<Record(uint64_t)> BuildRecord(const Record& proto, json::object& obj) {
  return [&proto, &obj](uint64_t rv) {
    Record r = proto;
    r.json = SerializeWithRv(obj, rv);
    r.rv = rv;
    return r;
  };
}

// One try at storing a new object. With generateName, a name collision retries with a fresh
// random suffix, as kube-apiserver does.
void CreateAttempt(ResourceEntry* e, std::string ns, std::shared_ptr<json::object> obj,
                   std::string generate_name, std::string name, int attempt, bool dry,
                   Responder respond, admission::AdmissionChain* chain,
                   std::shared_ptr<admission::Attributes> attrs) {
  json::object& o = *obj;
  json::object& m = o["metadata"].get_object();
  std::string nm = name;
  if (nm.empty()) {
    nm = generate_name + RandomSuffix(5);
    m["name"] = nm;
  }
  auto causes = ValidateObject(*e, o, nullptr);
  if (!causes.empty()) return respond(ErrorResponse(InvalidError(*e, nm, std::move(causes))));
  if (attrs) attrs->object = obj;
  Admit(chain, false, attrs, std::move(respond), [=](Responder respond, bool) mutable {
  json::object& o = *obj;
  if (dry) {
    if (e->store->GetLatest(e->Key(ns, nm))) {
      return respond(ErrorResponse(AlreadyExistsError(*e, nm)));
    }
    return respond(ObjectResponse(201, json::serialize(o)));
  }
  Record proto = PrepareRecord(*e, o);
  std::string key = proto.key;
  e->store->Write(
      key,
      [&](const RecordPtr& cur) -> Result<WriteIntent> {
        if (cur) return AlreadyExistsError(*e, nm);
        WriteIntent in;
        in.build = BuildRecord(proto, o);
        return in;
      },
      [e, ns, obj, generate_name, name, attempt, dry, chain, attrs,
       respond = std::move(respond)](Result<RecordPtr> r) mutable {
        if (!r.ok()) {
          if (r.status().reason() == Reason::kAlreadyExists && name.empty() && attempt < 8) {
            CreateAttempt(e, ns, obj, generate_name, name, attempt + 1, dry, std::move(respond),
                          chain, attrs);
            return;
          }
          respond(ErrorResponse(r.status()));
          return;
        }
        respond(ObjectResponse(201, (*r)->json));
      });
  });
}

}  // namespace

// -------------------------------------------------------------------------------------------
// create

void RestHandler::Create(Request& req, const RequestScope& s, Responder respond) {
  ResourceEntry* e = s.entry;
  auto dry = ParseDryRun(req);
  if (!dry.ok()) return respond(ErrorResponse(dry.status()));
  auto parsed = ParseBodyObject(req);
  if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
  json::object obj = std::move(*parsed);
  if (Status st = CheckTypeMeta(*e, obj); !st.ok()) return respond(ErrorResponse(st));

  json::object& meta = api::EnsureObject(obj, "metadata");
  if (e->info->namespaced) {
    std::string_view ns = api::GetString(meta, "namespace");
    if (!ns.empty() && ns != s.ns) {
      return respond(ErrorResponse(BadRequest(
          "the namespace of the provided object does not match the namespace sent on the "
          "request")));
    }
    meta["namespace"] = s.ns;
  } else {
    meta.erase("namespace");
  }
  std::string_view rv = api::GetString(meta, "resourceVersion");
  if (!rv.empty()) {
    return respond(
        ErrorResponse(Internal("resourceVersion should not be set on objects to be created")));
  }
  std::string generate_name(api::GetString(meta, "generateName"));
  std::string name(api::GetString(meta, "name"));
  if (name.empty() && generate_name.empty()) {
    return respond(ErrorResponse(InvalidError(
        *e, "",
        {{"FieldValueRequired", "Required value: name or generateName is required",
          "metadata.name"}})));
  }
  auto now = clock_->WallNow();
  meta["uid"] = NewUuid();
  meta["creationTimestamp"] = FormatRfc3339(now);
  meta.erase("deletionTimestamp");
  meta.erase("deletionGracePeriodSeconds");
  meta.erase("selfLink");
  if (e->info->tracks_generation) {
    meta["generation"] = 1;
  } else {
    meta.erase("generation");
  }
  // The registry strategy, in kube-apiserver's order: decode, default, reset status,
  // PrepareForCreate, default again; validation follows in CreateAttempt.
  const ResourceInfo& info = *e->info;
  if (info.decode_fn) {
    if (auto err = info.decode_fn(obj)) return respond(ErrorResponse(BadRequest(*err)));
  }
  if (info.default_fn) info.default_fn(obj);
  if (info.has_status && info.reset_status_on_create) obj.erase("status");
  if (info.prepare_create_fn) info.prepare_create_fn(obj, now);
  if (info.default_fn) info.default_fn(obj);

  if (Status st = CheckNamespace(s); !st.ok()) return respond(ErrorResponse(st));

  // Mutating admission webhooks see the defaulted object; validation follows in CreateAttempt.
  json::object fixed;  // metadata the server sets, which webhooks cannot change
  if (const json::object* fm = api::GetObject(obj, "metadata")) {
    for (const char* f : {"uid", "creationTimestamp", "generation", "namespace"}) {
      if (auto it = fm->find(f); it != fm->end()) fixed[f] = it->value();
    }
  }
  auto objp = std::make_shared<json::object>(std::move(obj));
  std::shared_ptr<admission::Attributes> attrs;
  if (admission_) {
    attrs = AdmissionAttributes(*e, admission::Operation::kCreate, s.ns, name, "", *dry, req.user,
                                "CreateOptions", req.Query("fieldManager"));
    attrs->object = objp;
  }
  Admit(admission_, true, attrs, std::move(respond),
        [=, this](Responder respond, bool mutated) mutable {
          std::string gen = generate_name, nm = name;
          if (mutated) {
            // Webhooks cannot change what the server sets; defaults apply to what they added.
            json::object& m = api::EnsureObject(*objp, "metadata");
            for (const char* f : {"uid", "creationTimestamp", "generation", "namespace"}) {
              if (auto it = fixed.find(f); it != fixed.end()) {
                m[f] = it->value();
              } else {
                m.erase(f);
              }
            }
            // As kube's BeforeCreate after admission: status reset, PrepareForCreate, defaults.
            const ResourceInfo& ri = *e->info;
            if (ri.has_status && ri.reset_status_on_create) objp->erase("status");
            if (ri.prepare_create_fn) ri.prepare_create_fn(*objp, now);
            if (ri.default_fn) ri.default_fn(*objp);
            gen = std::string(api::GetString(m, "generateName"));
            nm = std::string(api::GetString(m, "name"));
          }
          CreateAttempt(e, s.ns, objp, gen, nm, 0, *dry, std::move(respond), admission_, attrs);
        });
}

// -------------------------------------------------------------------------------------------
// update and patch

void RestHandler::Update(Request& req, const RequestScope& s, Responder respond) {
  ResourceEntry* e = s.entry;
  auto dry = ParseDryRun(req);
  if (!dry.ok()) return respond(ErrorResponse(dry.status()));
  auto parsed = ParseBodyObject(req);
  if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
  auto body = std::make_shared<json::value>(std::move(*parsed));
  RunUpdate(e, s.ns, s.name, s.subresource, *dry,
            [body](const json::value&) -> Result<json::value> { return *body; },
            std::move(respond), 0,
            admission_ ? AdmissionAttributes(*e, admission::Operation::kUpdate, s.ns, s.name,
                                             s.subresource, *dry, req.user, "UpdateOptions",
                                             req.Query("fieldManager"))
                       : nullptr);
}

void RestHandler::Patch(Request& req, const RequestScope& s, Responder respond) {
  ResourceEntry* e = s.entry;
  auto dry = ParseDryRun(req);
  if (!dry.ok()) return respond(ErrorResponse(dry.status()));
  std::string_view ct = req.content_type;
  if (auto p = ct.find(';'); p != std::string_view::npos) ct = Trim(ct.substr(0, p));
  enum { kMerge, kJson, kStrategic } type;
  if (ct == "application/merge-patch+json") {
    type = kMerge;
  } else if (ct == "application/json-patch+json") {
    type = kJson;
  } else if (ct == "application/strategic-merge-patch+json") {
    type = kStrategic;
  } else {
    return respond(ErrorResponse(Status(
        Reason::kUnsupportedMediaType,
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/strategic-merge-patch+json")));
  }
  auto pv = api::ParseJson(req.body);
  if (!pv.ok()) return respond(ErrorResponse(pv.status()));
  auto patch = std::make_shared<json::value>(std::move(*pv));
  if (type == kStrategic) {
    // Strategic merge patch without list merges or directives equals a JSON merge patch.
    // Lists merged by patchMergeKey and $-directives need the per-type schema: see
    // docs/apiserver.md ("Strategic merge patch").
    std::function<bool(const json::value&)> simple = [&](const json::value& v) -> bool {
      if (v.is_array()) return false;
      if (const json::object* o = v.if_object()) {
        for (const auto& kv : *o) {
          if (!kv.key().empty() && kv.key()[0] == '$') return false;
          if (!simple(kv.value())) return false;
        }
      }
      return true;
    };
    if (!patch->is_object() || !simple(*patch)) {
      return respond(ErrorResponse(Status(
          Reason::kUnsupportedMediaType,
          "strategic merge patches that change lists or use $-directives are not supported by "
          "this server yet; use --type=merge or --type=json")));
    }
  }
  RunUpdate(
      e, s.ns, s.name, s.subresource, *dry,
      [patch, type](const json::value& cur) -> Result<json::value> {
        if (type == kJson) return api::ApplyJsonPatch(cur, *patch);
        return api::ApplyMergePatch(cur, *patch);
      },
      std::move(respond), 0,
      admission_ ? AdmissionAttributes(*e, admission::Operation::kUpdate, s.ns, s.name,
                                       s.subresource, *dry, req.user, "PatchOptions",
                                       req.Query("fieldManager"))
                 : nullptr);
}

void RestHandler::UpdateObject(ResourceEntry* e, const std::string& ns, const std::string& name,
                               const std::string& subresource,
                               std::function<Status(json::object& obj)> mutate, Responder done) {
  RunUpdate(
      e, ns, name, subresource, false,
      [mutate](const json::value& cur) -> Result<json::value> {
        json::value v = cur;
        KCX_RETURN_IF_ERROR(mutate(v.get_object()));
        return v;
      },
      std::move(done), 0);
}

void RestHandler::RunUpdate(
    ResourceEntry* e, const std::string& ns, const std::string& name,
    const std::string& subresource, bool dry_run,
    std::function<Result<json::value>(const json::value& current)> mutate, Responder respond,
    int attempt, std::shared_ptr<const admission::Attributes> admit) {
  const std::string key = e->Key(ns, name);
  RecordPtr cur = e->store->GetLatest(key);
  if (!cur) return respond(ErrorResponse(NotFoundError(*e, name)));
  auto oldv = api::ParseJson(cur->json);
  if (!oldv.ok() || !oldv->is_object()) {
    return respond(ErrorResponse(Internal("stored object is corrupt")));
  }
  const json::object& old = oldv->get_object();
  auto nv = mutate(*oldv);
  if (!nv.ok()) return respond(ErrorResponse(nv.status()));
  if (!nv->is_object()) {
    return respond(ErrorResponse(BadRequest("the result of the update must be a JSON object")));
  }
  json::object obj = std::move(nv->get_object());
  if (Status st = CheckTypeMeta(*e, obj); !st.ok()) return respond(ErrorResponse(st));
  const ResourceInfo& info = *e->info;
  if (info.decode_fn) {
    if (auto err = info.decode_fn(obj)) return respond(ErrorResponse(BadRequest(*err)));
  }
  json::object& meta = api::EnsureObject(obj, "metadata");
  std::string user_rv(api::GetString(meta, "resourceVersion"));
  if (!user_rv.empty() && user_rv != std::to_string(cur->rv)) {
    return respond(ErrorResponse(ModifiedConflict(*e, name)));
  }
  std::string_view body_name = api::GetString(meta, "name");
  if (body_name != name) {
    return respond(ErrorResponse(BadRequest("the name of the object (" + std::string(body_name) +
                                            ") does not match the name on the URL (" + name +
                                            ")")));
  }
  if (e->info->namespaced) {
    std::string_view bns = api::GetString(meta, "namespace");
    if (!bns.empty() && bns != ns) {
      return respond(ErrorResponse(BadRequest(
          "the namespace of the provided object does not match the namespace sent on the "
          "request")));
    }
    meta["namespace"] = ns;
  } else {
    meta.erase("namespace");
  }

  const json::object& om = old.at("metadata").as_object();
  json::object result;
  if (subresource == "status") {
    result = old;
    auto it = obj.find("status");
    if (it != obj.end()) {
      result["status"] = it->value();
    } else {
      result.erase("status");
    }
  } else if (subresource == "finalize") {
    result = old;
    json::object& spec = api::EnsureObject(result, "spec");
    const json::object* nspec = api::GetObject(obj, "spec");
    const json::value* nf = nspec ? nspec->if_contains("finalizers") : nullptr;
    if (nf) {
      spec["finalizers"] = *nf;
    } else {
      spec.erase("finalizers");
    }
  } else {
    result = std::move(obj);
    json::object& rm = result["metadata"].get_object();
    std::string_view uid = api::GetString(rm, "uid");
    std::string_view old_uid = api::GetString(om, "uid");
    if (!uid.empty() && uid != old_uid) {
      return respond(ErrorResponse(InvalidError(
          *e, name,
          {{"FieldValueInvalid",
            "Invalid value: " + Quote(uid) + ": field is immutable", "metadata.uid"}})));
    }
    for (const char* f : {"uid", "creationTimestamp", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "generation"}) {
      auto it = om.find(f);
      if (it != om.end()) {
        rm[f] = it->value();
      } else {
        rm.erase(f);
      }
    }
    rm.erase("selfLink");
    if (info.default_fn) info.default_fn(result);
    if (info.has_status) {
      auto it = old.find("status");
      if (it != old.end()) {
        result["status"] = it->value();
      } else {
        result.erase("status");
      }
    }
    if (info.prepare_update_fn) info.prepare_update_fn(result, old);
    if (info.default_fn) info.default_fn(result);
    bool bump = info.bumps_generation_fn ? info.bumps_generation_fn(result, old)
                                         : SpecChanged(result, old);
    if (info.tracks_generation && bump) {
      result["metadata"].get_object()["generation"] = api::GetInt(om, "generation", 0) + 1;
    }
  }
  result["metadata"].get_object()["resourceVersion"] = std::to_string(cur->rv);

  // Admission webhooks: mutating ones before the server's validation, validating ones after.
  auto objp = std::make_shared<json::object>(std::move(result));
  auto oldp = std::make_shared<const json::object>(std::move(oldv->get_object()));
  std::shared_ptr<admission::Attributes> attrs;
  if (admission_) {
    attrs = admit ? std::make_shared<admission::Attributes>(*admit)
                  : AdmissionAttributes(*e, admission::Operation::kUpdate, ns, name, subresource,
                                        dry_run, UserInfo{}, "UpdateOptions", "");
    attrs->object = objp;
    attrs->old_object = oldp;
  }
  Admit(admission_, true, attrs, std::move(respond),
        [=, this](Responder respond, bool mutated) mutable {
  if (mutated) FinishMutatedUpdate(*e, subresource, *objp, *oldp);
  auto causes = ValidateObject(*e, *objp, oldp.get());
  if (!causes.empty()) return respond(ErrorResponse(InvalidError(*e, name, std::move(causes))));
  Admit(admission_, false, attrs, std::move(respond), [=, this](Responder respond, bool) mutable {
  const json::object& old = *oldp;
  // A write that changes nothing is not written: no new resourceVersion, no watch event.
  std::string same = json::serialize(*objp);
  if (same == cur->json) return respond(ObjectResponse(200, cur->json));
  bool do_delete = ShouldDeleteDuringUpdate(*e, *objp, old);
  if (dry_run) return respond(ObjectResponse(200, std::move(same)));

  auto res = objp;
  Record proto = PrepareRecord(*e, *res);
  uint64_t cur_rv = cur->rv;
  e->store->Write(
      key,
      [&](const RecordPtr& latest) -> Result<WriteIntent> {
        if (!latest) return NotFoundError(*e, name);
        if (latest->rv != cur_rv) return Status(Reason::kConflict, std::string(kRetryMarker));
        WriteIntent in;
        in.is_delete = do_delete;
        in.build = BuildRecord(proto, *res);
        return in;
      },
      [=, this](Result<RecordPtr> r) mutable {
        if (!r.ok()) {
          if (IsRetry(r.status())) {
            if (user_rv.empty() && attempt < 16) {
              RunUpdate(e, ns, name, subresource, dry_run, std::move(mutate), std::move(respond),
                        attempt + 1, admit);
            } else {
              respond(ErrorResponse(ModifiedConflict(*e, name)));
            }
            return;
          }
          respond(ErrorResponse(r.status()));
          return;
        }
        respond(ObjectResponse(200, do_delete ? json::serialize(*res) : (*r)->json));
      });
  });
        });
}

// -------------------------------------------------------------------------------------------
// delete

namespace {

Result<DeleteOptions> ParseDeleteOptions(const Request& req) {
  DeleteOptions o;
  o.user = req.user;
  auto dry = ParseDryRun(req);
  if (!dry.ok()) return dry.status();
  o.dry_run = *dry;
  if (std::string_view g = req.Query("gracePeriodSeconds"); !g.empty()) {
    char* end = nullptr;
    std::string gs(g);
    long long v = std::strtoll(gs.c_str(), &end, 10);
    if (!end || *end) return BadRequest("invalid gracePeriodSeconds \"" + gs + "\"");
    o.grace_period_seconds = v;
  }
  if (std::string_view p = req.Query("propagationPolicy"); !p.empty()) {
    o.propagation_policy = std::string(p);
  }
  if (!Trim(req.body).empty()) {
    auto v = api::ParseJson(req.body);
    if (!v.ok()) return v.status();
    if (const json::object* b = v->if_object()) {
      auto it = b->find("gracePeriodSeconds");
      if (it != b->end() && !it->value().is_null()) {
        o.grace_period_seconds = api::GetInt(*b, "gracePeriodSeconds", 0);
      }
      if (auto p = api::GetString(*b, "propagationPolicy"); !p.empty()) {
        o.propagation_policy = std::string(p);
      }
      if (const json::object* pre = api::GetObject(*b, "preconditions")) {
        o.precondition_uid = std::string(api::GetString(*pre, "uid"));
        o.precondition_rv = std::string(api::GetString(*pre, "resourceVersion"));
      }
      if (const json::array* d = api::GetArray(*b, "dryRun")) {
        for (const auto& x : *d) {
          if (x == "All") o.dry_run = true;
        }
      }
      if (b->contains("orphanDependents") && b->at("orphanDependents").is_bool() &&
          o.propagation_policy.empty()) {
        o.propagation_policy = b->at("orphanDependents").get_bool() ? "Orphan" : "Background";
      }
    }
  }
  if (!o.propagation_policy.empty() && o.propagation_policy != "Orphan" &&
      o.propagation_policy != "Background" && o.propagation_policy != "Foreground") {
    return Invalid("propagationPolicy: Unsupported value: \"" + o.propagation_policy +
                       "\": supported values: \"Foreground\", \"Background\", \"Orphan\"",
                   {{"FieldValueNotSupported",
                     "Unsupported value: \"" + o.propagation_policy + "\"",
                     "propagationPolicy"}});
  }
  if (o.grace_period_seconds && *o.grace_period_seconds < 0) o.grace_period_seconds = 1;
  return o;
}

bool ReturnsDeletedObject(const ResourceEntry& e) {
  return e.info->group.empty() && e.info->resource == "pods";
}

}  // namespace

void RestHandler::Delete(Request& req, const RequestScope& s, Responder respond) {
  auto opts = ParseDeleteOptions(req);
  if (!opts.ok()) return respond(ErrorResponse(opts.status()));
  DeleteObject(s.entry, s.ns, s.name, *opts, std::move(respond));
}

void RestHandler::DeleteObject(ResourceEntry* e, const std::string& ns, const std::string& name,
                               const DeleteOptions& opts, Responder respond) {
  const std::string key = e->Key(ns, name);
  RecordPtr cur = e->store->GetLatest(key);
  if (!cur) return respond(ErrorResponse(NotFoundError(*e, name)));
  auto v = api::ParseJson(cur->json);
  if (!v.ok() || !v->is_object()) return respond(ErrorResponse(Internal("corrupt object")));
  json::object obj = std::move(v->get_object());
  json::object& meta = api::EnsureObject(obj, "metadata");
  std::string uid(api::GetString(meta, "uid"));
  if (!opts.precondition_uid.empty() && opts.precondition_uid != uid) {
    return respond(ErrorResponse(ConflictError(
        *e, name,
        "Precondition failed: UID in precondition: " + opts.precondition_uid +
            ", UID in object meta: " + uid)));
  }
  if (!opts.precondition_rv.empty() && opts.precondition_rv != std::to_string(cur->rv)) {
    return respond(ErrorResponse(ConflictError(
        *e, name,
        "Precondition failed: ResourceVersion in precondition: " + opts.precondition_rv +
            ", ResourceVersion in object meta: " + std::to_string(cur->rv))));
  }
  if (admission_ && !opts.admitted) {
    // Admission webhooks (DELETE: oldObject only), then the deletion proper.
    auto attrs = AdmissionAttributes(*e, admission::Operation::kDelete, ns, name, "",
                                     opts.dry_run, opts.user, "DeleteOptions", "");
    if (opts.grace_period_seconds) {
      attrs->options["gracePeriodSeconds"] = *opts.grace_period_seconds;
    }
    if (!opts.propagation_policy.empty()) {
      attrs->options["propagationPolicy"] = opts.propagation_policy;
    }
    attrs->old_object = std::make_shared<const json::object>(obj);
    DeleteOptions next = opts;
    next.admitted = true;
    Admit(admission_, true, attrs, std::move(respond), [=, this](Responder r, bool) mutable {
      Admit(admission_, false, attrs, std::move(r), [=, this](Responder r2, bool) mutable {
        DeleteObject(e, ns, name, next, std::move(r2));
      });
    });
    return;
  }

  // Graceful deletion: Pods bound to a node wait for their node to confirm termination.
  int64_t grace = 0;
  bool is_pod = e->info->group.empty() && e->info->resource == "pods";
  if (is_pod) {
    const json::object* spec = api::GetObject(obj, "spec");
    std::string_view phase = api::GetStringPath(obj, {"status", "phase"});
    grace = opts.grace_period_seconds.value_or(
        spec ? api::GetInt(*spec, "terminationGracePeriodSeconds", 30) : 30);
    if (!spec || api::GetString(*spec, "nodeName").empty() || phase == "Succeeded" ||
        phase == "Failed") {
      grace = 0;
    }
  }
  bool is_ns = IsNamespaceEntry(*e);
  bool pending_finalizers = HasFinalizers(obj) || (is_ns && NamespaceHasSpecFinalizers(obj));
  bool already_deleting = !api::GetString(meta, "deletionTimestamp").empty();

  if (grace > 0 || pending_finalizers) {
    // Mark for deletion; the object stays until finalizers are gone / the node confirms.
    auto now = clock_->WallNow();
    if (already_deleting) {
      int64_t cur_grace = api::GetInt(meta, "deletionGracePeriodSeconds", 0);
      if (!(grace < cur_grace)) return respond(ObjectResponse(200, cur->json));
    }
    meta["deletionTimestamp"] = FormatRfc3339(now + std::chrono::seconds(grace));
    meta["deletionGracePeriodSeconds"] = grace;
    if (is_ns) api::EnsureObject(obj, "status")["phase"] = "Terminating";
    if (opts.dry_run) return respond(ObjectResponse(200, json::serialize(obj)));
    auto res = std::make_shared<json::object>(std::move(obj));
    Record proto = PrepareRecord(*e, *res);
    uint64_t cur_rv = cur->rv;
    e->store->Write(
        key,
        [&](const RecordPtr& latest) -> Result<WriteIntent> {
          if (!latest) return NotFoundError(*e, name);
          if (latest->rv != cur_rv) return Status(Reason::kConflict, std::string(kRetryMarker));
          WriteIntent in;
          in.build = BuildRecord(proto, *res);
          return in;
        },
        [=, this](Result<RecordPtr> r) mutable {
          if (!r.ok()) {
            if (IsRetry(r.status())) return DeleteObject(e, ns, name, opts, std::move(respond));
            return respond(ErrorResponse(r.status()));
          }
          if (is_ns && ns_hook_) ns_hook_();
          respond(ObjectResponse(200, (*r)->json));
        });
    return;
  }

  Record proto = PrepareRecord(*e, obj);
  if (opts.dry_run) {
    return respond(ObjectResponse(
        200, ReturnsDeletedObject(*e)
                 ? cur->json
                 : json::serialize(SuccessStatus(name, e->info->group, e->info->resource, uid))));
  }
  uint64_t cur_rv = cur->rv;
  e->store->Write(
      key,
      [&](const RecordPtr& latest) -> Result<WriteIntent> {
        if (!latest) return NotFoundError(*e, name);
        if (latest->rv != cur_rv) return Status(Reason::kConflict, std::string(kRetryMarker));
        WriteIntent in;
        in.is_delete = true;
        in.build = BuildRecord(proto, obj);
        return in;
      },
      [=, this](Result<RecordPtr> r) mutable {
        if (!r.ok()) {
          if (IsRetry(r.status())) return DeleteObject(e, ns, name, opts, std::move(respond));
          return respond(ErrorResponse(r.status()));
        }
        if (ReturnsDeletedObject(*e)) return respond(ObjectResponse(200, (*r)->json));
        respond(ObjectResponse(
            200, json::serialize(SuccessStatus(name, e->info->group, e->info->resource, uid))));
      });
}

void RestHandler::DeleteCollection(Request& req, const RequestScope& s, Responder respond) {
  auto opts = ParseDeleteOptions(req);
  if (!opts.ok()) return respond(ErrorResponse(opts.status()));
  // Reuse the list path's selector handling through a list request on the same scope.
  Request list_req;
  list_req.method = "GET";
  list_req.query = req.query;
  list_req.query.erase("dryRun");
  list_req.query.erase("gracePeriodSeconds");
  list_req.query.erase("propagationPolicy");
  ResourceEntry* e = s.entry;
  auto scope = s;
  Response listed;
  Responder capture = [&listed](Response r) { listed = std::move(r); };
  List(list_req, scope, capture);
  if (listed.code != 200) return respond(std::move(listed));
  auto lv = api::ParseJson(listed.body);
  if (!lv.ok()) return respond(ErrorResponse(Internal("list failed")));
  const json::array* items = api::GetArray(lv->get_object(), "items");
  struct State {
    std::mutex mu;
    size_t left;
    json::array out;
    Responder respond;
    std::string list_kind, gv;
  };
  auto st = std::make_shared<State>();
  st->left = items ? items->size() : 0;
  st->respond = std::move(respond);
  st->list_kind = e->info->list_kind.empty() ? e->info->kind + "List" : e->info->list_kind;
  st->gv = e->group_version;
  auto finish = [](const std::shared_ptr<State>& st) {
    json::object list{{"kind", st->list_kind},
                      {"apiVersion", st->gv},
                      {"metadata", json::object()},
                      {"items", std::move(st->out)}};
    st->respond(ObjectResponse(200, json::serialize(list)));
  };
  if (st->left == 0) return finish(st);
  for (const auto& it : *items) {
    std::string ns(api::GetStringPath(it, {"metadata", "namespace"}));
    std::string name(api::GetStringPath(it, {"metadata", "name"}));
    json::value item = it;
    DeleteObject(e, ns, name, *opts, [st, item, finish](Response r) {
      bool last;
      {
        std::lock_guard l(st->mu);
        if (r.code == 200) st->out.push_back(item);
        last = --st->left == 0;
      }
      if (last) finish(st);
    });
  }
}

}  // namespace kcx::apiserver
