#include "runtime/object_client.h"

#include <algorithm>

#include "api/json.h"
#include "api/ssa/field_manager.h"

namespace kcx::runtime {

namespace json = boost::json;

namespace {

Result<json::object> ParseObject(const std::string& body) {
  KCX_ASSIGN_OR_RETURN(json::value v, api::ParseJson(body));
  if (!v.is_object())
    return Internal("server answered with a non-object");
  return std::move(v.get_object());
}

}  // namespace

std::string ObjectPath(const ResourceKind& kind, std::string_view ns, std::string_view name,
                       std::string_view subresource) {
  std::string p = kind.CollectionPath(kind.namespaced ? ns : "");
  p.append("/").append(name);
  if (!subresource.empty())
    p.append("/").append(subresource);
  return p;
}

Result<json::object> ObjectClient::Get(const ResourceKind& kind, std::string_view ns,
                                       std::string_view name) {
  client::RestRequest req;
  req.path = ObjectPath(kind, ns, name);
  KCX_ASSIGN_OR_RETURN(auto resp, client_->Do(req));
  return ParseObject(resp.body);
}

Result<json::array> ObjectClient::List(const ResourceKind& kind, std::string_view ns,
                                       std::string_view label_selector) {
  client::RestRequest req;
  req.path = kind.CollectionPath(ns);
  if (!label_selector.empty())
    req.query.emplace_back("labelSelector", label_selector);
  KCX_ASSIGN_OR_RETURN(auto resp, client_->Do(req));
  KCX_ASSIGN_OR_RETURN(json::object list, ParseObject(resp.body));
  if (json::value* items = list.if_contains("items"); items && items->is_array()) {
    return std::move(items->get_array());
  }
  return json::array();
}

Result<json::object> ObjectClient::Create(const ResourceKind& kind, const json::object& obj) {
  client::RestRequest req;
  req.verb = "POST";
  req.path = kind.CollectionPath(api::GetStringPath(obj, {"metadata", "namespace"}));
  req.body = json::serialize(obj);
  KCX_ASSIGN_OR_RETURN(auto resp, client_->Do(req));
  return ParseObject(resp.body);
}

Result<json::object> ObjectClient::Update(const ResourceKind& kind, const json::object& obj,
                                          std::string_view subresource) {
  client::RestRequest req;
  req.verb = "PUT";
  req.path = ObjectPath(kind, api::GetStringPath(obj, {"metadata", "namespace"}),
                        api::GetStringPath(obj, {"metadata", "name"}), subresource);
  req.body = json::serialize(obj);
  KCX_ASSIGN_OR_RETURN(auto resp, client_->Do(req));
  return ParseObject(resp.body);
}

Result<json::object> ObjectClient::Patch(const ResourceKind& kind, std::string_view ns,
                                         std::string_view name, std::string_view patch_type,
                                         std::string body, std::string_view subresource,
                                         std::string_view field_manager, bool force) {
  client::RestRequest req;
  req.verb = "PATCH";
  req.path = ObjectPath(kind, ns, name, subresource);
  req.content_type = std::string(patch_type);
  req.body = std::move(body);
  if (!field_manager.empty())
    req.query.emplace_back("fieldManager", field_manager);
  if (force)
    req.query.emplace_back("force", "true");
  KCX_ASSIGN_OR_RETURN(auto resp, client_->Do(req));
  return ParseObject(resp.body);
}

Status ObjectClient::Delete(const ResourceKind& kind, std::string_view ns, std::string_view name,
                            const DeleteOptions& opts) {
  client::RestRequest req;
  req.verb = "DELETE";
  req.path = ObjectPath(kind, ns, name);
  json::object body{{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (!opts.propagation_policy.empty())
    body["propagationPolicy"] = opts.propagation_policy;
  if (!opts.precondition_uid.empty() || !opts.precondition_resource_version.empty()) {
    json::object pre;
    if (!opts.precondition_uid.empty())
      pre["uid"] = opts.precondition_uid;
    if (!opts.precondition_resource_version.empty()) {
      pre["resourceVersion"] = opts.precondition_resource_version;
    }
    body["preconditions"] = std::move(pre);
  }
  req.body = json::serialize(body);
  auto resp = client_->Do(req);
  return resp.ok() ? Status::Ok() : resp.status();
}

namespace {

// managedFields with the entries in a canonical order and without their times: the server may
// order entries differently from the local merge, and an entry's time changes only together
// with its fields, which the comparison sees anyway.
json::array CanonicalManagedFields(const json::object& obj) {
  json::array out;
  const json::object* md = api::GetObject(obj, "metadata");
  const json::array* mf = md ? api::GetArray(*md, "managedFields") : nullptr;
  if (!mf)
    return out;
  std::vector<std::pair<std::string, json::object>> entries;
  for (const auto& e : *mf) {
    if (!e.is_object())
      continue;
    json::object c = e.get_object();
    c.erase("time");
    std::string key = std::string(api::GetString(c, "manager")) + "\n" +
                      std::string(api::GetString(c, "operation")) + "\n" +
                      std::string(api::GetString(c, "subresource")) + "\n" +
                      std::string(api::GetString(c, "apiVersion"));
    entries.emplace_back(std::move(key), std::move(c));
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [k, e] : entries)
    out.push_back(std::move(e));
  return out;
}

bool SameExceptManagedFieldOrder(const json::object& a, const json::object& b) {
  if (a.size() != b.size())
    return false;
  for (const auto& [k, v] : a) {
    const json::value* o = b.if_contains(k);
    if (!o)
      return false;
    if (k != "metadata") {
      if (v != *o)
        return false;
      continue;
    }
    if (!v.is_object() || !o->is_object())
      return v == *o;
    json::object ma = v.get_object(), mb = o->get_object();
    ma.erase("managedFields");
    mb.erase("managedFields");
    if (ma != mb)
      return false;
  }
  return CanonicalManagedFields(a) == CanonicalManagedFields(b);
}

}  // namespace

Result<bool> ApplyWouldChange(const json::object& live, const json::object& config,
                              std::string_view manager) {
  // The live object's type is what the server checks the configuration against.
  std::string_view api_version = api::GetString(live, "apiVersion");
  std::string_view kind = api::GetString(live, "kind");
  if (api_version.empty())
    api_version = api::GetString(config, "apiVersion");
  if (kind.empty())
    kind = api::GetString(config, "kind");
  std::string_view group;
  if (auto slash = api_version.find('/'); slash != std::string_view::npos) {
    group = api_version.substr(0, slash);
  }
  const api::ssa::TypeSchema* schema = api::ssa::BuiltinSchema(group, kind);
  api::ssa::WriteContext ctx;
  ctx.manager = std::string(manager);
  ctx.api_version = std::string(api_version);
  ctx.kind = std::string(kind);
  ctx.time = "1970-01-01T00:00:00Z";  // only recorded when something changes
  KCX_ASSIGN_OR_RETURN(json::object merged,
                       api::ssa::ApplyConfig(*schema, &live, config, ctx, /*force=*/true));
  return !SameExceptManagedFieldOrder(merged, live);
}

Result<Applier::Outcome> Applier::Apply(const ResourceKind& kind, const json::object& config,
                                        const json::object* live) {
  if (live) {
    auto change = ApplyWouldChange(*live, config, manager_);
    // A configuration the local merge rejects goes to the server, which says why.
    if (change.ok() && !*change) {
      skipped_.fetch_add(1);
      return Outcome{false, *live};
    }
  }
  writes_.fetch_add(1);
  KCX_ASSIGN_OR_RETURN(
      json::object obj,
      objects_.Patch(kind, api::GetStringPath(config, {"metadata", "namespace"}),
                     api::GetStringPath(config, {"metadata", "name"}),
                     "application/apply-patch+yaml", json::serialize(config), "", manager_, true));
  return Outcome{true, std::move(obj)};
}

}  // namespace kcx::runtime
