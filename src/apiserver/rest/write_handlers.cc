// Create, update, patch, delete and deletecollection.

#include <atomic>
#include <mutex>

#include "api/json.h"
#include "api/label_selector.h"
#include "api/patch.h"
#include "api/ssa/field_manager.h"
#include "api/strategic_patch.h"
#include "api/validation.h"
#include "apiserver/gc/deletion_policy.h"
#include "apiserver/rest/object_util.h"
#include "apiserver/rest/rest_handler.h"
#include "apiserver/rest/status_json.h"
#include "common/log.h"
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

// kube's prefixFromUserAgent: the User-Agent up to the first '/', printable characters only,
// at most 128 bytes ("kubectl/v1.32.0 (linux/amd64) ..." -> "kubectl").
std::string ManagerFromUserAgent(std::string_view ua) {
  ua = ua.substr(0, ua.find('/'));
  std::string out;
  for (size_t i = 0; i < ua.size();) {
    unsigned char c = static_cast<unsigned char>(ua[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + len > ua.size()) break;
    bool printable = len > 1 || (c >= 0x20 && c < 0x7f);
    if (printable) {
      if (out.size() + len > 128) break;
      out.append(ua.substr(i, len));
    }
    i += len;
  }
  return out;
}


// The server-side-apply merge schema of a resource: the built-in table, or for custom
// resources one derived (once) from the CRD's structural schema.
Result<const api::ssa::TypeSchema*> MergeSchema(const ResourceEntry& e) {
  if (!e.info->openapi_schema) return api::ssa::BuiltinSchema(e.info->group, e.info->kind);
  Status err;
  std::call_once(e.merge_schema_once, [&] {
    auto s = api::ssa::SchemaFromOpenApi(*e.info->openapi_schema);
    if (s.ok()) {
      e.merge_schema = *s;
    } else {
      err = s.status();
    }
  });
  if (!e.merge_schema) {
    return Internal("no merge schema for " + e.qualified + (err.ok() ? "" : ": " + err.message()));
  }
  return e.merge_schema.get();
}

// kube's FieldManager.UpdateNoErrors: managed fields never fail a non-apply write. When they
// cannot be computed (e.g. an ownerReference without the uid its list is keyed by), the
// object is stored without managedFields and validation reports what is wrong with it.
void UpdateManagedFieldsNoErrors(const api::ssa::TypeSchema& schema, const json::object* live,
                                 json::object& obj, const api::ssa::WriteContext& ctx) {
  if (Status st = api::ssa::UpdateManagedFields(schema, live, obj, ctx); !st.ok()) {
    log::Debug("managed fields not updated for {}: {}", ctx.manager, st.ToString());
    if (json::value* m = obj.if_contains("metadata"); m && m->is_object()) {
      m->get_object().erase("managedFields");
    }
  }
}

api::ssa::WriteContext MakeWriteContext(const ResourceEntry& e, const WriteOptions& w,
                                        std::string_view subresource,
                                        std::chrono::system_clock::time_point now) {
  api::ssa::WriteContext ctx;
  ctx.manager = w.manager;
  ctx.api_version = e.group_version;
  ctx.subresource = std::string(subresource);
  ctx.time = FormatRfc3339(now);
  ctx.kind = e.info->kind;
  ctx.has_status_subresource = e.info->has_status;
  return ctx;
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
  if (meta) api::ValidateObjectMetaOwnersFinalizers(*meta, causes);
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


// The update strategy's part after the request is decoded (and after mutating admission):
// status stays as stored for types with a status subresource, PrepareForUpdate, defaults, and
// generation +1 when the spec changed. Used by RunUpdate and FinishMutatedUpdate.
void ApplyUpdateStrategy(const ResourceInfo& info, json::object& result,
                         const json::object& old) {
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
    const json::object* om = api::GetObject(old, "metadata");
    result["metadata"].get_object()["generation"] =
        (om ? api::GetInt(*om, "generation", 0) : 0) + 1;
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
  ApplyUpdateStrategy(info, result, old);
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

// The options a write request carries (declared in rest_handler.h): dryRun, fieldManager (validated as kube's
// ValidateFieldManager does, in the error kind of the verb's options: CreateOptions,
// UpdateOptions, PatchOptions) and force (apply only).
Result<WriteOptions> ParseWriteOptions(const Request& req, std::string_view options_kind,
                                       bool apply) {
  WriteOptions w;
  auto dry = ParseDryRun(req);
  if (!dry.ok()) return dry.status();
  w.dry_run = *dry;
  w.apply = apply;
  std::string manager(req.Query("fieldManager"));
  std::vector<StatusCause> causes;
  if (manager.size() > 128) {
    causes.push_back({"FieldValueTooLong", "Too long: may not be more than 128 bytes",
                      "fieldManager"});
  }
  for (unsigned char c : manager) {
    if (c < 0x20 || c == 0x7f) {
      causes.push_back({"FieldValueInvalid",
                        "Invalid value: " + json::serialize(json::string(manager)) +
                            ": must only contain printable characters",
                        "fieldManager"});
      break;
    }
  }
  if (apply && manager.empty()) {
    causes.push_back({"FieldValueRequired", "Required value: is required for apply patch",
                      "fieldManager"});
  }
  bool has_force = req.HasQuery("force");
  if (has_force && !apply) {
    causes.push_back(
        {"FieldValueForbidden", "Forbidden: may not be specified for non-apply patch", "force"});
  }
  if (!causes.empty()) {
    std::string msg = std::string(options_kind) + ".meta.k8s.io \"\" is invalid: ";
    for (size_t i = 0; i < causes.size(); ++i) {
      if (i) msg += ", ";
      msg += causes[i].field + ": " + causes[i].message;
    }
    if (causes.size() > 1) msg = std::string(options_kind) + ".meta.k8s.io \"\" is invalid: [" +
                                 msg.substr(msg.find("is invalid: ") + 12) + "]";
    Status st(Reason::kInvalid, msg);
    st.mutable_details().group = "meta.k8s.io";
    st.mutable_details().kind = std::string(options_kind);
    st.mutable_details().causes = std::move(causes);
    return st;
  }
  w.force = apply && req.QueryBool("force");
  w.manager = manager.empty() ? ManagerFromUserAgent(req.user_agent) : manager;
  return w;
}

void RestHandler::Create(Request& req, const RequestScope& s, Responder respond) {
  ResourceEntry* e = s.entry;
  auto w = ParseWriteOptions(req, "CreateOptions", false);
  if (!w.ok()) return respond(ErrorResponse(w.status()));
  auto parsed = ParseBodyObject(req);
  if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
  json::object obj = std::move(*parsed);
  if (Status st = CheckTypeMeta(*e, obj); !st.ok()) return respond(ErrorResponse(st));
  // Custom resources: unknown fields are pruned, or rejected/warned about per fieldValidation.
  const ResourceInfo& info = *e->info;
  auto warnings = std::make_shared<std::vector<std::string>>();
  if (info.prune_fn || info.warnings_fn) {
    auto fv = ParseFieldValidation(req);
    if (!fv.ok()) return respond(ErrorResponse(fv.status()));
    if (Status st = PruneAndWarn(info, *fv, obj, *warnings, true); !st.ok()) {
      return respond(ErrorResponse(st));
    }
    if (!warnings->empty()) respond = WithWarnings(std::move(respond), warnings);
  }
  std::shared_ptr<admission::Attributes> attrs;
  if (admission_) {
    attrs = AdmissionAttributes(*e, admission::Operation::kCreate, s.ns,
                                api::GetStringPath(obj, {"metadata", "name"}), "", w->dry_run,
                                req.user, "CreateOptions", req.Query("fieldManager"));
  }
  CreateObject(e, s, std::move(obj), *w, std::move(respond), std::move(attrs));
}

void RestHandler::CreateObject(ResourceEntry* e, const RequestScope& s, json::object obj,
                               const WriteOptions& w, Responder respond,
                               std::shared_ptr<admission::Attributes> attrs) {
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
  if (e->terminating.load()) {
    return respond(ErrorResponse(Status(
        Reason::kMethodNotAllowed,
        "create not allowed while custom resource definition is terminating")));
  }
  if (info.default_fn) info.default_fn(obj);
  // Managed fields see the defaulted object, as in kube (defaults are applied when the body
  // is decoded): the creator owns the defaulted fields. An applied object already carries its
  // Apply entry; its defaults are owned by nobody.
  if (!w.apply) {
    auto schema = MergeSchema(*e);
    if (!schema.ok()) return respond(ErrorResponse(schema.status()));
    UpdateManagedFieldsNoErrors(**schema, nullptr, obj, MakeWriteContext(*e, w, "", now));
  }
  if (info.has_status && info.reset_status_on_create) obj.erase("status");
  if (info.prepare_create_fn) info.prepare_create_fn(obj, now);
  if (info.default_fn) info.default_fn(obj);

  if (Status st = CheckNamespace(s); !st.ok()) return respond(ErrorResponse(st));
  if (e->NeedsConversion()) {
    // Conversion None: stored once in the storage version, served in the request's.
    obj["apiVersion"] = e->storage_group_version;
    respond = ConvertingResponder(*e, std::move(respond));
  }

  // Mutating admission webhooks see the defaulted object; validation follows in CreateAttempt.
  json::object fixed;  // metadata the server sets, which webhooks cannot change
  if (const json::object* fm = api::GetObject(obj, "metadata")) {
    for (const char* f : {"uid", "creationTimestamp", "generation", "namespace"}) {
      if (auto it = fm->find(f); it != fm->end()) fixed[f] = it->value();
    }
  }
  auto objp = std::make_shared<json::object>(std::move(obj));
  if (attrs) attrs->object = objp;
  if (!admission_) attrs = nullptr;
  const bool dry = w.dry_run;
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
          CreateAttempt(e, s.ns, objp, gen, nm, 0, dry, std::move(respond), admission_, attrs);
        });
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
  auto w = ParseWriteOptions(req, "UpdateOptions", false);
  if (!w.ok()) return respond(ErrorResponse(w.status()));
  auto parsed = ParseBodyObject(req);
  if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
  auto body = std::make_shared<json::value>(std::move(*parsed));
  std::function<Result<json::value>(const json::value&)> mutate =
      [body](const json::value&) -> Result<json::value> { return *body; };
  if (Status st = WrapPruning(*e->info, req, mutate, respond, true); !st.ok()) {
    return respond(ErrorResponse(st));
  }
  RunUpdate(e, s.ns, s.name, s.subresource, *w, std::move(mutate), std::move(respond), 0,
            admission_ ? AdmissionAttributes(*e, admission::Operation::kUpdate, s.ns, s.name,
                                             s.subresource, w->dry_run, req.user, "UpdateOptions",
                                             req.Query("fieldManager"))
                       : nullptr);
}

void RestHandler::Patch(Request& req, const RequestScope& s, Responder respond) {
  ResourceEntry* e = s.entry;
  std::string_view ct = req.content_type;
  if (auto p = ct.find(';'); p != std::string_view::npos) ct = Trim(ct.substr(0, p));
  enum { kMerge, kJson, kStrategic, kApply } type;
  if (ct == "application/merge-patch+json") {
    type = kMerge;
  } else if (ct == "application/json-patch+json") {
    type = kJson;
  } else if (ct == "application/strategic-merge-patch+json") {
    type = kStrategic;
  } else if (ct == "application/apply-patch+yaml") {
    type = kApply;
  } else {
    return respond(ErrorResponse(Status(
        Reason::kUnsupportedMediaType,
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/apply-patch+yaml, application/strategic-merge-patch+json")));
  }
  auto w = ParseWriteOptions(req, "PatchOptions", type == kApply);
  if (!w.ok()) return respond(ErrorResponse(w.status()));
  if (type == kApply) {
    // Server-side apply: the body is a partial object in YAML or JSON; the field manager
    // merges it into the live object (or creates the object) in RunUpdate.
    auto body = api::ParseYamlOrJson(req.body);
    if (!body.ok()) return respond(ErrorResponse(body.status()));
    if (!body->is_object()) {
      return respond(ErrorResponse(BadRequest("the apply configuration must be a YAML or JSON "
                                              "object")));
    }
    json::object& cfg = body->get_object();
    if (api::GetString(cfg, "apiVersion").empty() || api::GetString(cfg, "kind").empty()) {
      return respond(ErrorResponse(BadRequest(
          "Object 'Kind' is missing in '" + std::string(Trim(req.body).substr(0, 256)) + "'")));
    }
    if (Status st = CheckTypeMeta(*e, cfg); !st.ok()) return respond(ErrorResponse(st));
    w->apply_config = std::make_shared<const json::object>(std::move(cfg));
    // For custom resources, the applied result is pruned (and checked for unknown fields)
    // like any other write: RunUpdate passes it through `mutate`.
    std::function<Result<json::value>(const json::value&)> identity =
        [](const json::value& v) -> Result<json::value> { return v; };
    if (Status st = WrapPruning(*e->info, req, identity, respond, true); !st.ok()) {
      return respond(ErrorResponse(st));
    }
    RunUpdate(e, s.ns, s.name, s.subresource, *w, std::move(identity), std::move(respond), 0,
              admission_ ? AdmissionAttributes(*e, admission::Operation::kUpdate, s.ns, s.name,
                                               s.subresource, w->dry_run, req.user,
                                               "PatchOptions", req.Query("fieldManager"))
                         : nullptr);
    return;
  }
  if (type == kStrategic && e->info->custom_resource) {
    // kube-apiserver serves custom resources without patch metadata, so it accepts only these.
    return respond(ErrorResponse(Status(
        Reason::kUnsupportedMediaType,
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/apply-patch+yaml")));
  }
  auto pv = api::ParseJson(req.body);
  if (!pv.ok()) return respond(ErrorResponse(pv.status()));
  auto patch = std::make_shared<json::value>(std::move(*pv));
  // The scale subresource is an autoscaling/v1 Scale, which has no patch metadata.
  const api::PatchMeta* meta = type == kStrategic && s.subresource != "scale"
                                   ? api::BuiltinPatchMeta(e->info->group, e->info->kind)
                                   : nullptr;
  std::function<Result<json::value>(const json::value&)> mutate =
      [patch, type, meta](const json::value& cur) -> Result<json::value> {
    if (type == kJson) return api::ApplyJsonPatch(cur, *patch);
    if (type == kStrategic) return api::ApplyStrategicMergePatch(cur, *patch, meta);
    return api::ApplyMergePatch(cur, *patch);
  };
  if (Status st = WrapPruning(*e->info, req, mutate, respond, false); !st.ok()) {
    return respond(ErrorResponse(st));
  }
  RunUpdate(e, s.ns, s.name, s.subresource, *w, std::move(mutate), std::move(respond), 0,
            admission_ ? AdmissionAttributes(*e, admission::Operation::kUpdate, s.ns, s.name,
                                             s.subresource, w->dry_run, req.user, "PatchOptions",
                                             req.Query("fieldManager"))
                       : nullptr);
}

void RestHandler::UpdateObject(ResourceEntry* e, const std::string& ns, const std::string& name,
                               const std::string& subresource,
                               std::function<Status(json::object& obj)> mutate, Responder done,
                               const std::string& manager) {
  WriteOptions w;
  w.manager = manager;
  RunUpdate(
      e, ns, name, subresource, w,
      [mutate](const json::value& cur) -> Result<json::value> {
        json::value v = cur;
        KCX_RETURN_IF_ERROR(mutate(v.get_object()));
        return v;
      },
      std::move(done), 0);
}

void RestHandler::RunUpdate(
    ResourceEntry* e, const std::string& ns, const std::string& name,
    const std::string& subresource, const WriteOptions& w,
    std::function<Result<json::value>(const json::value& current)> mutate, Responder respond,
    int attempt, std::shared_ptr<const admission::Attributes> admit) {
  const bool dry_run = w.dry_run;
  const std::string key = e->Key(ns, name);
  auto schema = MergeSchema(*e);
  if (!schema.ok()) return respond(ErrorResponse(schema.status()));
  const auto now = clock_->WallNow();
  const api::ssa::WriteContext ctx = MakeWriteContext(*e, w, subresource, now);
  RecordPtr cur = e->store->GetLatest(key);
  if (!cur && w.apply && subresource.empty()) {
    // Apply creates a missing object. A create that loses a race with another create is
    // retried as an apply to the object that won.
    auto applied = api::ssa::ApplyConfig(**schema, nullptr, *w.apply_config, ctx, w.force);
    if (!applied.ok()) return respond(ErrorResponse(applied.status()));
    auto pruned = mutate(json::value(std::move(*applied)));
    if (!pruned.ok()) return respond(ErrorResponse(pruned.status()));
    if (!pruned->is_object()) return respond(ErrorResponse(Internal("apply produced no object")));
    json::object* created = &pruned->get_object();
    // Read from the json::value itself: GetStringPath takes a json::value, and passing the
    // object would build a temporary copy the view would dangle into.
    std::string_view body_name = api::GetStringPath(*pruned, {"metadata", "name"});
    if (body_name != name) {
      return respond(ErrorResponse(BadRequest("the name of the object (" +
                                              std::string(body_name) +
                                              ") does not match the name on the URL (" + name +
                                              ")")));
    }
    RequestScope scope;
    scope.entry = e;
    scope.ns = ns;
    scope.has_ns = e->info->namespaced;
    scope.name = name;
    // An apply that creates is a CREATE for admission webhooks, as in kube.
    std::shared_ptr<admission::Attributes> create_attrs;
    if (admit) {
      create_attrs = std::make_shared<admission::Attributes>(*admit);
      create_attrs->operation = admission::Operation::kCreate;
      create_attrs->old_object = nullptr;
    }
    CreateObject(
        e, scope, std::move(*created), w,
        [=, this](Response r) mutable {
          if (r.code == 409 && attempt < 4 &&
              r.body.find("\"AlreadyExists\"") != std::string::npos) {
            return RunUpdate(e, ns, name, subresource, w, std::move(mutate), std::move(respond),
                             attempt + 1, admit);
          }
          respond(std::move(r));
        },
        std::move(create_attrs));
    return;
  }
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
  Result<json::value> nv = json::value();
  if (w.apply) {
    auto applied = api::ssa::ApplyConfig(**schema, &old, *w.apply_config, ctx, w.force);
    if (!applied.ok()) return respond(ErrorResponse(applied.status()));
    nv = mutate(json::value(std::move(*applied)));
  } else {
    nv = mutate(*oldv);
  }
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
    json::object& rm = result["metadata"].get_object();
    if (w.apply) {
      // The applied object carries the new Apply entry for the status subresource.
      if (const json::value* mf = meta.if_contains("managedFields")) {
        rm["managedFields"] = *mf;
      } else {
        rm.erase("managedFields");
      }
    } else {
      UpdateManagedFieldsNoErrors(**schema, &old, result, ctx);
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
    // As in kube, managed fields are computed on the decoded (defaulted) object, before the
    // strategy copies status and other server-owned fields from the old object.
    if (!w.apply) {
      UpdateManagedFieldsNoErrors(**schema, &old, result, ctx);
    }
    ApplyUpdateStrategy(info, result, old);
  }
  result["metadata"].get_object()["resourceVersion"] = std::to_string(cur->rv);
  if (e->NeedsConversion()) result["apiVersion"] = e->storage_group_version;

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
  // Compared as values: an apply rebuilds the object, so its members may come in another
  // order than the stored text's.
  std::string same = json::serialize(*objp);
  if (same == cur->json || *objp == old) return respond(ObjectResponse(200, cur->json));
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
              RunUpdate(e, ns, name, subresource, w, std::move(mutate), std::move(respond),
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
  if (std::string_view od = req.Query("orphanDependents"); od == "true" || od == "false") {
    o.orphan_dependents = od == "true";
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
      if (auto it = b->find("orphanDependents"); it != b->end() && it->value().is_bool()) {
        o.orphan_dependents = it->value().get_bool();
      }
    }
  }
  // kube's ValidateDeleteOptions.
  std::vector<StatusCause> causes;
  if (o.orphan_dependents && !o.propagation_policy.empty()) {
    causes.push_back(api::FieldInvalid("propagationPolicy", o.propagation_policy,
                                       "orphanDependents and deletionPropagation cannot be both "
                                       "set"));
  }
  if (!o.propagation_policy.empty() && o.propagation_policy != "Orphan" &&
      o.propagation_policy != "Background" && o.propagation_policy != "Foreground") {
    causes.push_back({"FieldValueNotSupported",
                      "Unsupported value: " + api::GoQuote(o.propagation_policy) +
                          ": supported values: \"Foreground\", \"Background\", \"Orphan\", "
                          "\"nil\"",
                      "propagationPolicy"});
  }
  if (!causes.empty()) {
    return api::InvalidStatus("meta.k8s.io", "DeleteOptions", "", std::move(causes));
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

  // kube's rest.BeforeDelete. Only Pods delete gracefully: one bound to a node waits for its
  // node to confirm termination; a second delete may only shorten the grace period.
  auto now = clock_->WallNow();
  bool graceful = false;
  int64_t grace = 0;
  bool is_pod = e->info->group.empty() && e->info->resource == "pods";
  // The type's delete strategy first (a CRD gets its cleanup finalizer), so that the
  // finalizer logic below sees it.
  if (e->info->prepare_delete_fn && !opts.dry_run) e->info->prepare_delete_fn(obj);
  bool already_deleting = !api::GetString(meta, "deletionTimestamp").empty();
  json::object marked = obj;  // the object as the update path writes it
  json::object& mmeta = marked["metadata"].as_object();
  if (is_pod) {
    if (already_deleting) {
      int64_t cur_grace = api::GetInt(meta, "deletionGracePeriodSeconds", 0);
      if (cur_grace > 0) {
        if (!opts.grace_period_seconds || *opts.grace_period_seconds >= cur_grace) {
          return respond(ObjectResponse(200, cur->json));  // graceful deletion pending
        }
        grace = *opts.grace_period_seconds;
        auto ts = ParseRfc3339(api::GetString(meta, "deletionTimestamp")).value_or(now);
        mmeta["deletionTimestamp"] =
            FormatRfc3339(ts - std::chrono::seconds(cur_grace) + std::chrono::seconds(grace));
        mmeta["deletionGracePeriodSeconds"] = grace;
        graceful = true;
      }
    } else {
      const json::object* spec = api::GetObject(obj, "spec");
      std::string_view phase = api::GetStringPath(obj, {"status", "phase"});
      grace = opts.grace_period_seconds.value_or(
          spec ? api::GetInt(*spec, "terminationGracePeriodSeconds", 30) : 30);
      if (!spec || api::GetString(*spec, "nodeName").empty() || phase == "Succeeded" ||
          phase == "Failed") {
        grace = 0;
      }
      if (grace > 0) {
        mmeta["deletionTimestamp"] = FormatRfc3339(now + std::chrono::seconds(grace));
        mmeta["deletionGracePeriodSeconds"] = grace;
        graceful = true;
      }
    }
  }

  // The garbage-collector finalizers this deletion asks for (store.go's
  // deletionFinalizersForGarbageCollection): `orphan` for Orphan, `foregroundDeletion` for
  // Foreground, none for Background; a repeated delete with another policy swaps them.
  bool is_ns = IsNamespaceEntry(*e);
  std::vector<std::string> finalizers;
  if (const json::array* f = api::GetArray(meta, "finalizers")) {
    for (const auto& x : *f) {
      if (x.is_string()) finalizers.emplace_back(x.get_string());
    }
  }
  gc::GcPolicy gc_default = e->info->custom_resource
                                ? gc::GcPolicy::kDeleteDependents
                                : gc::DefaultGcPolicy(e->info->group, e->info->version,
                                                      e->info->resource);
  auto [update_finalizers, new_finalizers] = gc::DeletionFinalizers(
      gc_default, gc::PropagationRequest{opts.orphan_dependents, opts.propagation_policy},
      finalizers);
  bool pending_finalizers = !finalizers.empty() || (is_ns && NamespaceHasSpecFinalizers(obj));

  if (graceful || pending_finalizers || update_finalizers) {
    if (update_finalizers) {
      if (new_finalizers.empty()) {
        mmeta.erase("finalizers");
      } else {
        json::array fa;
        for (auto& f : new_finalizers) fa.emplace_back(f);
        mmeta["finalizers"] = std::move(fa);
      }
    }
    pending_finalizers = !new_finalizers.empty() || (is_ns && NamespaceHasSpecFinalizers(obj));
    if (!graceful && pending_finalizers) {
      // markAsDeleting: the object stays until its finalizers are gone.
      if (!already_deleting && api::GetInt(mmeta, "generation", 0) > 0) {
        mmeta["generation"] = api::GetInt(mmeta, "generation", 0) + 1;
      }
      auto ts = ParseRfc3339(api::GetString(mmeta, "deletionTimestamp"));
      if (!ts || *ts > now) mmeta["deletionTimestamp"] = FormatRfc3339(now);
      mmeta["deletionGracePeriodSeconds"] = 0;
    }
    if (graceful || pending_finalizers) {
      if (is_ns) api::EnsureObject(marked, "status")["phase"] = "Terminating";
      // kube answers 202 only when the client explicitly set orphanDependents=false.
      int code = opts.orphan_dependents && !*opts.orphan_dependents ? 202 : 200;
      std::string out = json::serialize(marked);
      if (out == cur->json) return respond(ObjectResponse(code, std::move(out)));
      if (opts.dry_run) return respond(ObjectResponse(code, std::move(out)));
      auto res = std::make_shared<json::object>(std::move(marked));
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
            respond(ObjectResponse(code, (*r)->json));
          });
      return;
    }
    // No finalizer left and nothing graceful: delete now (the stored state, as kube does).
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
