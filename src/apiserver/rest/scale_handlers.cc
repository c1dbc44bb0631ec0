// The scale subresource of custom resources (autoscaling/v1 Scale), mapped onto the object
// through the CRD's specReplicasPath / statusReplicasPath / labelSelectorPath.

#include "api/json.h"
#include "api/patch.h"
#include "apiserver/rest/object_util.h"
#include "apiserver/rest/rest_handler.h"
#include "apiserver/rest/status_json.h"
#include "common/strings.h"

namespace kcx::apiserver {

namespace json = boost::json;

namespace {

// ".spec.replicas" → {"spec", "replicas"}. The CRD validation only admits such paths for scale.
std::vector<std::string> Steps(std::string_view path) {
  std::vector<std::string> out;
  for (auto s : Split(path, '.')) {
    if (!s.empty())
      out.emplace_back(s);
  }
  return out;
}

const json::value* Lookup(const json::object& obj, std::string_view path) {
  const json::value* cur = nullptr;
  const json::object* o = &obj;
  for (const auto& s : Steps(path)) {
    if (!o)
      return nullptr;
    cur = o->if_contains(s);
    if (!cur)
      return nullptr;
    o = cur->if_object();
  }
  return cur;
}

void SetPath(json::object& obj, std::string_view path, json::value v) {
  auto steps = Steps(path);
  if (steps.empty())
    return;
  json::object* o = &obj;
  for (size_t i = 0; i + 1 < steps.size(); ++i)
    o = &api::EnsureObject(*o, steps[i]);
  (*o)[steps.back()] = std::move(v);
}

json::object ToScale(const ResourceInfo::ScalePaths& sp, const json::object& obj) {
  json::object meta;
  if (const json::object* m = api::GetObject(obj, "metadata")) {
    for (const char* f : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
      if (const json::value* v = m->if_contains(f))
        meta[f] = *v;
    }
  }
  int64_t spec_replicas = 0, status_replicas = 0;
  if (const json::value* v = Lookup(obj, sp.spec_replicas); v && v->is_number()) {
    spec_replicas = v->to_number<int64_t>();
  }
  if (const json::value* v = Lookup(obj, sp.status_replicas); v && v->is_number()) {
    status_replicas = v->to_number<int64_t>();
  }
  json::object status{{"replicas", status_replicas}};
  if (!sp.label_selector.empty()) {
    if (const json::value* v = Lookup(obj, sp.label_selector); v && v->is_string()) {
      status["selector"] = *v;
    }
  }
  return json::object{{"kind", "Scale"},
                      {"apiVersion", "autoscaling/v1"},
                      {"metadata", std::move(meta)},
                      {"spec", json::object{{"replicas", spec_replicas}}},
                      {"status", std::move(status)}};
}

// Applies a Scale (from PUT or a patched Scale) to the object: spec replicas, and the
// resourceVersion precondition if the client sent one.
Result<json::value> ApplyScale(const ResourceEntry& e, const ResourceInfo::ScalePaths& sp,
                               const json::value& cur, const json::object& scale,
                               const std::string& name) {
  const json::value* r = Lookup(scale, ".spec.replicas");
  int64_t replicas = 0;
  if (r && r->is_number())
    replicas = r->to_number<int64_t>();
  if (replicas < 0) {
    Status st = Invalid(
        "Scale.autoscaling \"" + name + "\" is invalid: spec.replicas: Invalid value: " +
            std::to_string(replicas) + ": must be greater than or equal to 0",
        {{"FieldValueInvalid",
          "Invalid value: " + std::to_string(replicas) + ": must be greater than or equal to 0",
          "spec.replicas"}});
    st.mutable_details().name = name;
    st.mutable_details().group = "autoscaling";
    st.mutable_details().kind = "Scale";
    return st;
  }
  json::value out = cur;
  json::object& o = out.get_object();
  SetPath(o, sp.spec_replicas, replicas);
  const json::object* smeta = api::GetObject(scale, "metadata");
  std::string_view rv = smeta ? api::GetString(*smeta, "resourceVersion") : std::string_view();
  if (!rv.empty())
    api::EnsureObject(o, "metadata")["resourceVersion"] = std::string(rv);
  (void)e;
  return out;
}

}  // namespace

void RestHandler::Scale(Request& req, const RequestScope& s, Responder respond) {
  ResourceEntry* e = s.entry;
  const ResourceInfo::ScalePaths sp = *e->info->scale;
  if (req.method == "GET") {
    RecordPtr r = e->store->Get(e->Key(s.ns, s.name));
    if (!r)
      return respond(ErrorResponse(NotFoundError(*e, s.name)));
    auto v = api::ParseJson(r->json);
    if (!v.ok() || !v->is_object())
      return respond(ErrorResponse(Internal("corrupt object")));
    Response resp;
    resp.body = json::serialize(ToScale(sp, v->get_object()));
    return respond(std::move(resp));
  }
  auto w = ParseWriteOptions(req, req.method == "PUT" ? "UpdateOptions" : "PatchOptions", false);
  if (!w.ok())
    return respond(ErrorResponse(w.status()));
  std::function<Result<json::value>(const json::value&)> mutate;
  std::string name = s.name;
  if (req.method == "PUT") {
    auto body = api::ParseYamlOrJson(req.body);
    if (!body.ok())
      return respond(ErrorResponse(body.status()));
    if (!body->is_object())
      return respond(ErrorResponse(BadRequest("the body must be a Scale")));
    auto scale = std::make_shared<json::object>(std::move(body->get_object()));
    mutate = [e, sp, scale, name](const json::value& cur) {
      return ApplyScale(*e, sp, cur, *scale, name);
    };
  } else if (req.method == "PATCH") {
    std::string_view ct = req.content_type;
    ct = Trim(ct.substr(0, ct.find(';')));
    bool json_patch = ct == "application/json-patch+json";
    if (!json_patch && ct != "application/merge-patch+json" &&
        ct != "application/strategic-merge-patch+json") {
      return respond(ErrorResponse(
          Status(Reason::kUnsupportedMediaType,
                 "the body of the request was in an unknown format - accepted media types include: "
                 "application/json-patch+json, application/merge-patch+json, "
                 "application/strategic-merge-patch+json")));
    }
    auto pv = api::ParseJson(req.body);
    if (!pv.ok())
      return respond(ErrorResponse(pv.status()));
    auto patch = std::make_shared<json::value>(std::move(*pv));
    mutate = [e, sp, patch, json_patch, name](const json::value& cur) -> Result<json::value> {
      // Scale has no lists: a strategic merge patch is a JSON merge patch here.
      json::value scale = ToScale(sp, cur.get_object());
      KCX_ASSIGN_OR_RETURN(json::value patched, json_patch ? api::ApplyJsonPatch(scale, *patch)
                                                           : api::ApplyMergePatch(scale, *patch));
      if (!patched.is_object())
        return BadRequest("the patched Scale must be an object");
      return ApplyScale(*e, sp, cur, patched.get_object(), name);
    };
  } else {
    return respond(
        ErrorResponse(Status(Reason::kMethodNotAllowed,
                             "the server does not allow this method on the requested resource")));
  }
  RunUpdate(
      e, s.ns, s.name, "", *w, std::move(mutate),
      [sp, respond = std::move(respond)](Response r) {
        if (r.code == 200 || r.code == 201) {
          auto v = api::ParseJson(r.body);
          if (v.ok() && v->is_object())
            r.body = json::serialize(ToScale(sp, v->get_object()));
        }
        respond(std::move(r));
      },
      0);
}

}  // namespace kcx::apiserver
