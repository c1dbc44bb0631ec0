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
                   Responder respond) {
  json::object& o = *obj;
  json::object& m = o["metadata"].get_object();
  std::string nm = name;
  if (nm.empty()) {
    nm = generate_name + RandomSuffix(5);
    m["name"] = nm;
  }
  auto causes = ValidateObject(*e, o, nullptr);
  if (!causes.empty()) return respond(ErrorResponse(InvalidError(*e, nm, std::move(causes))));
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
      [e, ns, obj, generate_name, name, attempt, dry,
       respond = std::move(respond)](Result<RecordPtr> r) mutable {
        if (!r.ok()) {
          if (r.status().reason() == Reason::kAlreadyExists && name.empty() && attempt < 8) {
            CreateAttempt(e, ns, obj, generate_name, name, attempt + 1, dry, std::move(respond));
            return;
          }
          respond(ErrorResponse(r.status()));
          return;
        }
        respond(ObjectResponse(201, (*r)->json));
      });
}

// Custom resources: pruning of unknown fields under the request's fieldValidation
// (kube: Strict → 400 "strict decoding error: ...", Warn (the default) → Warning headers,
// Ignore → silent), plus the type's own warnings (warnings_fn). Appends to `warnings`.
Status PruneAndWarn(const ResourceInfo& info, std::string_view field_validation,
                    json::object& obj, std::vector<std::string>& warnings, bool decoded_body) {
  if (info.prune_fn) {
    std::vector<std::string> pruned = info.prune_fn(obj);
    if (!pruned.empty() && field_validation == "Strict") {
      // A decoded body (create, update) gets kube's decoder wording; a patch result does not.
      std::string msg = decoded_body ? info.kind + " in version " + Quote(info.version) +
                                           " cannot be handled as a " + info.kind + ": "
                                     : "";
      msg += "strict decoding error: ";
      for (size_t i = 0; i < pruned.size(); ++i) {
        msg += (i ? ", " : "") + std::string("unknown field ") + Quote(pruned[i]);
      }
      return BadRequest(msg);
    }
    if (field_validation != "Ignore") {
      for (const auto& p : pruned) warnings.push_back("unknown field " + Quote(p));
    }
  }
  if (info.warnings_fn) {
    for (auto& w : info.warnings_fn(obj)) warnings.push_back(std::move(w));
  }
  return Status::Ok();
}

Result<std::string> ParseFieldValidation(const Request& req) {
  std::string v(req.Query("fieldValidation"));
  if (v.empty() || v == "Strict" || v == "Warn" || v == "Ignore") return v;
  return BadRequest("fieldValidation: Unsupported value: " + Quote(v) +
                    ": supported values: \"Ignore\", \"Strict\", \"Warn\"");
}

// Adds `299 - "<text>"` Warning headers (kube's format) to the response.
Responder WithWarnings(Responder respond, std::shared_ptr<std::vector<std::string>> warnings) {
  return [respond = std::move(respond), warnings](Response r) {
    for (const auto& w : *warnings) r.headers.emplace_back("Warning", "299 - " + Quote(w));
    respond(std::move(r));
  };
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
  auto warnings = std::make_shared<std::vector<std::string>>();
  if (info.prune_fn || info.warnings_fn) {
    auto fv = ParseFieldValidation(req);
    if (!fv.ok()) return respond(ErrorResponse(fv.status()));
    if (Status st = PruneAndWarn(info, *fv, obj, *warnings, true); !st.ok()) {
      return respond(ErrorResponse(st));
    }
    if (!warnings->empty()) respond = WithWarnings(std::move(respond), warnings);
  }
  if (e->terminating.load()) {
    return respond(ErrorResponse(Status(
        Reason::kMethodNotAllowed,
        "create not allowed while custom resource definition is terminating")));
  }
  if (info.default_fn) info.default_fn(obj);
  if (info.has_status && info.reset_status_on_create) obj.erase("status");
  if (info.prepare_create_fn) info.prepare_create_fn(obj, now);
  if (info.default_fn) info.default_fn(obj);

  if (Status st = CheckNamespace(s); !st.ok()) return respond(ErrorResponse(st));
  if (e->NeedsConversion()) {
    // Conversion None: stored once in the storage version, served in the request's.
    obj["apiVersion"] = e->storage_group_version;
    respond = ConvertingResponder(*e, std::move(respond));
  }

  CreateAttempt(e, s.ns, std::make_shared<json::object>(std::move(obj)), generate_name, name, 0,
                *dry, std::move(respond));
}

// -------------------------------------------------------------------------------------------
// update and patch

namespace {

// Custom resources: prunes the new object inside `mutate` (so retries re-prune) and attaches
// the warnings to `respond`.
Status WrapPruning(const ResourceInfo& info, const Request& req,
                   std::function<Result<json::value>(const json::value&)>& mutate,
                   Responder& respond, bool decoded_body) {
  if (!info.prune_fn && !info.warnings_fn) return Status::Ok();
  auto fv = ParseFieldValidation(req);
  if (!fv.ok()) return fv.status();
  auto warnings = std::make_shared<std::vector<std::string>>();
  mutate = [inner = std::move(mutate), &info, mode = *fv, warnings,
            decoded_body](const json::value& cur) -> Result<json::value> {
    KCX_ASSIGN_OR_RETURN(json::value v, inner(cur));
    warnings->clear();
    if (json::object* o = v.if_object()) {
      KCX_RETURN_IF_ERROR(PruneAndWarn(info, mode, *o, *warnings, decoded_body));
    }
    return v;
  };
  respond = WithWarnings(std::move(respond), warnings);
  return Status::Ok();
}

}  // namespace

void RestHandler::Update(Request& req, const RequestScope& s, Responder respond) {
  ResourceEntry* e = s.entry;
  auto dry = ParseDryRun(req);
  if (!dry.ok()) return respond(ErrorResponse(dry.status()));
  auto parsed = ParseBodyObject(req);
  if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
  auto body = std::make_shared<json::value>(std::move(*parsed));
  std::function<Result<json::value>(const json::value&)> mutate =
      [body](const json::value&) -> Result<json::value> { return *body; };
  if (Status st = WrapPruning(*e->info, req, mutate, respond, true); !st.ok()) {
    return respond(ErrorResponse(st));
  }
  RunUpdate(e, s.ns, s.name, s.subresource, *dry, std::move(mutate), std::move(respond), 0);
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
  if (type == kStrategic && e->info->custom_resource) {
    // kube-apiserver: custom resources have no Go struct tags to merge by.
    return respond(ErrorResponse(Status(
        Reason::kUnsupportedMediaType,
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/apply-patch+yaml")));
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
  std::function<Result<json::value>(const json::value&)> mutate =
      [patch, type](const json::value& cur) -> Result<json::value> {
    if (type == kJson) return api::ApplyJsonPatch(cur, *patch);
    return api::ApplyMergePatch(cur, *patch);
  };
  if (Status st = WrapPruning(*e->info, req, mutate, respond, false); !st.ok()) {
    return respond(ErrorResponse(st));
  }
  RunUpdate(e, s.ns, s.name, s.subresource, *dry, std::move(mutate), std::move(respond), 0);
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
    int attempt) {
  const std::string key = e->Key(ns, name);
  RecordPtr cur = e->store->GetLatest(key);
  if (!cur) return respond(ErrorResponse(NotFoundError(*e, name)));
  auto oldv = api::ParseJson(cur->json);
  if (!oldv.ok() || !oldv->is_object()) {
    return respond(ErrorResponse(Internal("stored object is corrupt")));
  }
  if (e->NeedsConversion()) {
    // Conversion None: the client sees (and patches) the object in its version.
    oldv->get_object()["apiVersion"] = e->group_version;
    if (attempt == 0) respond = ConvertingResponder(*e, std::move(respond));
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
  if (e->NeedsConversion()) result["apiVersion"] = e->storage_group_version;

  auto causes = ValidateObject(*e, result, &old);
  if (!causes.empty()) return respond(ErrorResponse(InvalidError(*e, name, std::move(causes))));

  // A write that changes nothing is not written: no new resourceVersion, no watch event.
  std::string same = json::serialize(result);
  if (same == cur->json) return respond(ObjectResponse(200, cur->json));
  bool do_delete = ShouldDeleteDuringUpdate(*e, result, old);
  if (dry_run) return respond(ObjectResponse(200, std::move(same)));

  auto res = std::make_shared<json::object>(std::move(result));
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
                        attempt + 1);
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
}

// -------------------------------------------------------------------------------------------
// delete

namespace {

Result<DeleteOptions> ParseDeleteOptions(const Request& req) {
  DeleteOptions o;
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
  if (e->info->prepare_delete_fn && !opts.dry_run) e->info->prepare_delete_fn(obj);
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
