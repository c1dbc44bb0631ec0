#include "apiserver/rest/rest_handler.h"

#include "api/json.h"
#include "apiserver/rest/object_util.h"
#include "apiserver/rest/status_json.h"
#include "common/strings.h"

namespace kcx::apiserver {

namespace json = boost::json;

namespace {

Response JsonResponse(int code, const json::value& v, std::string content_type = "") {
  Response r;
  r.code = code;
  if (!content_type.empty()) r.content_type = std::move(content_type);
  r.body = json::serialize(v);
  return r;
}

bool WantsAggregated(std::string_view accept) {
  for (std::string_view range : Split(accept, ',')) {
    range = Trim(range);
    if (range.find("as=APIGroupDiscoveryList") == std::string_view::npos) continue;
    if (range.find("g=apidiscovery.k8s.io") == std::string_view::npos) continue;
    if (range.find("v=v2") != std::string_view::npos &&
        range.find("v=v2beta1") == std::string_view::npos) {
      return true;
    }
  }
  return false;
}

json::array StringArray(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::string(s));
  return a;
}

json::object ResponseKind(const ResourceInfo& i) {
  return json::object{{"group", i.group}, {"version", i.version}, {"kind", i.kind}};
}

}  // namespace

RestHandler::RestHandler(ApiRegistry* registry, Clock* clock, RestOptions opts)
    : registry_(registry), clock_(clock), opts_(std::move(opts)) {}

void RestHandler::Handle(Request req, Responder respond) {
  const std::string& p = req.path;
  if (p == "/healthz" || p == "/livez" || p == "/readyz" || StartsWith(p, "/healthz/") ||
      StartsWith(p, "/livez/") || StartsWith(p, "/readyz/")) {
    Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "ok";
    respond(std::move(r));
    return;
  }
  if (p == "/version" || p == "/version/") {
    json::object v{{"major", "1"},
                   {"minor", "32"},
                   {"gitVersion", "v1.32.0+kcx"},
                   {"gitCommit", "0000000000000000000000000000000000000000"},
                   {"gitTreeState", "clean"},
                   {"buildDate", "2026-11-25T00:00:00Z"},
                   {"goVersion", "none (C++20)"},
                   {"compiler", "gcc"},
                   {"platform", "linux/amd64"}};
    respond(JsonResponse(200, v));
    return;
  }
  if (p == "/api" || p == "/api/" || p == "/apis" || p == "/apis/") {
    Discovery(req, respond);
    return;
  }
  if (p == "/openapi/v3" || StartsWith(p, "/openapi/v3/")) {
    OpenApiV3(req, respond);
    return;
  }

  // /api/v1/... or /apis/<group>/<version>/...
  auto segs = Split(std::string_view(p).substr(1), '/');
  if (!segs.empty() && segs.back().empty()) segs.pop_back();
  std::string group, version;
  size_t i;
  if (segs.size() >= 2 && segs[0] == "api") {
    version = std::string(segs[1]);
    i = 2;
  } else if (segs.size() >= 2 && segs[0] == "apis") {
    group = std::string(segs[1]);
    if (segs.size() == 2) {
      Discovery(req, respond);
      return;
    }
    version = std::string(segs[2]);
    i = 3;
  } else {
    respond(ErrorResponse(NotFound("the server could not find the requested resource")));
    return;
  }
  if (i == segs.size()) {
    Discovery(req, respond);
    return;
  }

  RequestScope scope;
  if (segs[i] == "watch") {
    scope.watch = true;
    ++i;
  }
  // namespaces/<ns>/<resource>... (but namespaces/<name>/status|finalize is the Namespace).
  if (i + 2 < segs.size() && segs[i] == "namespaces" &&
      !(i + 3 == segs.size() && (segs[i + 2] == "status" || segs[i + 2] == "finalize"))) {
    scope.ns = std::string(segs[i + 1]);
    scope.has_ns = true;
    i += 2;
  }
  if (i >= segs.size()) {
    respond(ErrorResponse(NotFound("the server could not find the requested resource")));
    return;
  }
  scope.entry = registry_->Find(group, version, segs[i]);
  if (!scope.entry) {
    respond(ErrorResponse(NotFound("the server could not find the requested resource")));
    return;
  }
  if (i + 1 < segs.size()) scope.name = std::string(segs[i + 1]);
  if (i + 2 < segs.size()) scope.subresource = std::string(segs[i + 2]);
  if (i + 3 < segs.size()) {
    respond(ErrorResponse(NotFound("the server could not find the requested resource")));
    return;
  }
  if (scope.has_ns && !scope.entry->info->namespaced) {
    respond(ErrorResponse(NotFound("the server could not find the requested resource")));
    return;
  }
  HandleResource(req, scope, respond);
}

void RestHandler::HandleResource(Request& req, RequestScope& s, Responder& respond) {
  const ResourceInfo& info = *s.entry->info;
  if (req.QueryBool("watch")) s.watch = true;

  if (!s.subresource.empty()) {
    if (s.subresource == "scale" && info.scale && !s.name.empty() && !s.watch &&
        !req.QueryBool("watch")) {
      Scale(req, s, std::move(respond));
      return;
    }
    bool ok = (s.subresource == "status" && info.has_status) ||
              (s.subresource == "finalize" && info.group.empty() &&
               info.resource == "namespaces");
    if (!ok) {
      respond(ErrorResponse(NotFound("the server could not find the requested resource")));
      return;
    }
  }
  const std::string& m = req.method;
  if (m == "GET" || m == "HEAD") {
    if (s.watch) {
      Watch(req, s, respond);
    } else if (!s.name.empty()) {
      Get(req, s, respond);
    } else {
      List(req, s, respond);
    }
    return;
  }
  if (s.watch) {
    respond(ErrorResponse(
        Status(Reason::kMethodNotAllowed, "the server does not allow this method on the "
                                          "requested resource")));
    return;
  }
  if (m == "POST" && s.name.empty() && (s.has_ns || !info.namespaced)) {
    Create(req, s, std::move(respond));
  } else if (m == "PUT" && !s.name.empty()) {
    Update(req, s, std::move(respond));
  } else if (m == "PATCH" && !s.name.empty() && s.subresource != "finalize") {
    Patch(req, s, std::move(respond));
  } else if (m == "DELETE" && !s.name.empty() && s.subresource.empty()) {
    Delete(req, s, std::move(respond));
  } else if (m == "DELETE" && s.name.empty() && (s.has_ns || !info.namespaced)) {
    DeleteCollection(req, s, std::move(respond));
  } else {
    respond(ErrorResponse(
        Status(Reason::kMethodNotAllowed, "the server does not allow this method on the "
                                          "requested resource")));
  }
}

void RestHandler::Discovery(const Request& req, Responder& respond) {
  const std::string& p = req.path;
  bool aggregated = WantsAggregated(req.accept);
  auto groups = registry_->Groups();

  auto resource_list_v2 = [&](const std::string& group, const std::string& version) {
    json::array resources;
    for (const auto& e : registry_->entries()) {
      const ResourceInfo& i = *e->info;
      if (i.group != group || i.version != version) continue;
      json::object r{{"resource", i.resource},
                     {"responseKind", ResponseKind(i)},
                     {"scope", i.namespaced ? "Namespaced" : "Cluster"},
                     {"singularResource", i.singular},
                     {"verbs", StringArray(i.verbs)}};
      if (!i.short_names.empty()) r["shortNames"] = StringArray(i.short_names);
      if (!i.categories.empty()) r["categories"] = StringArray(i.categories);
      json::array subs;
      if (i.has_status) {
        subs.push_back(json::object{{"subresource", "status"},
                                    {"responseKind", ResponseKind(i)},
                                    {"verbs", json::array{"get", "patch", "update"}}});
      }
      if (i.scale) {
        subs.push_back(json::object{
            {"subresource", "scale"},
            {"responseKind",
             json::object{{"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"}}},
            {"verbs", json::array{"get", "patch", "update"}}});
      }
      if (i.group.empty() && i.resource == "namespaces") {
        subs.push_back(json::object{{"subresource", "finalize"},
                                    {"responseKind", ResponseKind(i)},
                                    {"verbs", json::array{"update"}}});
      }
      if (!subs.empty()) r["subresources"] = std::move(subs);
      resources.push_back(std::move(r));
    }
    return json::object{{"version", version},
                        {"resources", std::move(resources)},
                        {"freshness", "Current"}};
  };

  if (aggregated && (p == "/api" || p == "/api/" || p == "/apis" || p == "/apis/")) {
    bool core = StartsWith(p, "/api") && !StartsWith(p, "/apis");
    json::array items;
    for (const auto& g : groups) {
      if (core != g.group.empty()) continue;
      json::array versions;
      for (const auto& v : g.versions) versions.push_back(resource_list_v2(g.group, v));
      json::object meta{{"creationTimestamp", nullptr}};
      if (!g.group.empty()) meta["name"] = g.group;
      items.push_back(json::object{{"metadata", std::move(meta)}, {"versions", std::move(versions)}});
    }
    json::object list{{"kind", "APIGroupDiscoveryList"},
                      {"apiVersion", "apidiscovery.k8s.io/v2"},
                      {"metadata", json::object()},
                      {"items", std::move(items)}};
    respond(JsonResponse(200, list,
                         "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"));
    return;
  }
  if (p == "/api" || p == "/api/") {
    json::object v{{"kind", "APIVersions"},
                   {"versions", json::array{"v1"}},
                   {"serverAddressByClientCIDRs",
                    json::array{json::object{{"clientCIDR", "0.0.0.0/0"},
                                             {"serverAddress", opts_.server_address}}}}};
    respond(JsonResponse(200, v));
    return;
  }
  auto group_json = [&](const ApiRegistry::GroupVersions& g) {
    json::array versions;
    for (const auto& v : g.versions) {
      versions.push_back(json::object{{"groupVersion", g.group + "/" + v}, {"version", v}});
    }
    json::object pref{{"groupVersion", g.group + "/" + g.versions.front()},
                      {"version", g.versions.front()}};
    return json::object{{"name", g.group},
                        {"versions", std::move(versions)},
                        {"preferredVersion", std::move(pref)}};
  };
  if (p == "/apis" || p == "/apis/") {
    json::array gs;
    for (const auto& g : groups) {
      if (!g.group.empty()) gs.push_back(group_json(g));
    }
    respond(JsonResponse(200, json::object{{"kind", "APIGroupList"},
                                           {"apiVersion", "v1"},
                                           {"groups", std::move(gs)}}));
    return;
  }
  auto segs = Split(std::string_view(p).substr(1), '/');
  if (!segs.empty() && segs.back().empty()) segs.pop_back();
  std::string group, version;
  if (segs[0] == "apis") {
    group = std::string(segs[1]);
    if (segs.size() == 2) {
      for (const auto& g : groups) {
        if (g.group == group) {
          json::object o = group_json(g);
          o["kind"] = "APIGroup";
          o["apiVersion"] = "v1";
          respond(JsonResponse(200, o));
          return;
        }
      }
      respond(ErrorResponse(NotFound("the server could not find the requested resource")));
      return;
    }
    version = std::string(segs[2]);
  } else {
    version = std::string(segs[1]);
  }
  json::array resources;
  for (const auto& e : registry_->entries()) {
    const ResourceInfo& i = *e->info;
    if (i.group != group || i.version != version) continue;
    json::object r{{"name", i.resource},
                   {"singularName", i.singular},
                   {"namespaced", i.namespaced},
                   {"kind", i.kind},
                   {"verbs", StringArray(i.verbs)}};
    if (!i.short_names.empty()) r["shortNames"] = StringArray(i.short_names);
    if (!i.categories.empty()) r["categories"] = StringArray(i.categories);
    resources.push_back(std::move(r));
    auto sub = [&](const char* name, json::array verbs) {
      resources.push_back(json::object{{"name", i.resource + "/" + name},
                                       {"singularName", ""},
                                       {"namespaced", i.namespaced},
                                       {"kind", i.kind},
                                       {"verbs", std::move(verbs)}});
    };
    if (i.has_status) sub("status", json::array{"get", "patch", "update"});
    if (i.scale) {
      resources.push_back(json::object{{"name", i.resource + "/scale"},
                                       {"singularName", ""},
                                       {"namespaced", i.namespaced},
                                       {"group", "autoscaling"},
                                       {"version", "v1"},
                                       {"kind", "Scale"},
                                       {"verbs", json::array{"get", "patch", "update"}}});
    }
    if (i.group.empty() && i.resource == "namespaces") sub("finalize", json::array{"update"});
  }
  if (resources.empty()) {
    respond(ErrorResponse(NotFound("the server could not find the requested resource")));
    return;
  }
  respond(JsonResponse(200, json::object{{"kind", "APIResourceList"},
                                         {"apiVersion", "v1"},
                                         {"groupVersion", group.empty() ? version
                                                                        : group + "/" + version},
                                         {"resources", std::move(resources)}}));
}

// A minimal OpenAPI v3 description: the index, and per group-version the item path of every
// resource with its PATCH operation, GVK extension and the query parameters the server honours.
// kubectl reads it to learn that the server validates fields itself (the fieldValidation
// parameter) and then skips its own schema download. Schemas are not published yet (so
// `kubectl explain` has nothing to show); see docs/apiserver.md.
void RestHandler::OpenApiV3(const Request& req, Responder& respond) {
  constexpr std::string_view kHash = "kcx-v1";
  auto groups = registry_->Groups();
  auto gv_path = [](const std::string& g, const std::string& v) {
    return g.empty() ? "api/" + v : "apis/" + g + "/" + v;
  };
  if (req.path == "/openapi/v3" || req.path == "/openapi/v3/") {
    json::object paths;
    for (const auto& g : groups) {
      for (const auto& v : g.versions) {
        std::string gp = gv_path(g.group, v);
        paths[gp] = json::object{
            {"serverRelativeURL", "/openapi/v3/" + gp + "?hash=" + std::string(kHash)}};
      }
    }
    respond(JsonResponse(200, json::object{{"paths", std::move(paths)}}));
    return;
  }
  std::string want = req.path.substr(std::string_view("/openapi/v3/").size());
  json::object paths;
  bool found = false;
  for (const auto& e : registry_->entries()) {
    const ResourceInfo& i = *e->info;
    if (gv_path(i.group, i.version) != want) continue;
    found = true;
    std::string base = "/" + want + "/";
    std::string item = i.namespaced ? base + "namespaces/{namespace}/" + i.resource + "/{name}"
                                    : base + i.resource + "/{name}";
    json::array params;
    for (const char* q : {"dryRun", "fieldManager", "fieldValidation", "force"}) {
      params.push_back(json::object{{"name", q},
                                    {"in", "query"},
                                    {"schema", json::object{{"type", "string"}}},
                                    {"uniqueItems", true}});
    }
    json::object gvk{{"group", i.group}, {"version", i.version}, {"kind", i.kind}};
    json::object responses{{"200", json::object{{"description", "OK"}}}};
    json::object op{{"x-kubernetes-action", "patch"},
                    {"x-kubernetes-group-version-kind", gvk},
                    {"parameters", params},
                    {"responses", responses}};
    json::object put = op;
    put["x-kubernetes-action"] = "put";
    json::object get = op;
    get["x-kubernetes-action"] = "get";
    get.erase("parameters");
    paths[item] = json::object{{"get", std::move(get)}, {"put", std::move(put)},
                               {"patch", std::move(op)}};
  }
  if (!found) {
    respond(ErrorResponse(NotFound("the server could not find the requested resource")));
    return;
  }
  json::object doc{{"openapi", "3.0.0"},
                   {"info", json::object{{"title", "Kubernetes"}, {"version", "v1.32.0+kcx"}}},
                   {"paths", std::move(paths)},
                   {"components", json::object{{"schemas", json::object()}}}};
  respond(JsonResponse(200, doc));
}

Status RestHandler::CheckNamespace(const RequestScope& s) const {
  if (!s.entry->info->namespaced) return Status::Ok();
  ResourceEntry* nse = registry_->namespaces();
  RecordPtr ns = nse->store->GetLatest(s.ns);
  if (!ns) return NotFoundError(*nse, s.ns);
  if (ns->json.find("\"deletionTimestamp\"") != std::string::npos) {
    // Only parse when the marker might be there; most namespaces are not terminating.
    auto v = api::ParseJson(ns->json);
    if (v.ok() && !api::GetStringPath(*v, {"metadata", "deletionTimestamp"}).empty()) {
      Status st = Forbidden("unable to create new content in namespace " + s.ns +
                            " because it is being terminated");
      st.mutable_details().name = s.ns;
      st.mutable_details().kind = "namespaces";
      return st;
    }
  }
  return Status::Ok();
}

}  // namespace kcx::apiserver
