#include "operators/mysql/api/webhook.h"

#include "api/json.h"
#include "client/errors.h"
#include "common/strings.h"
#include "operators/mysql/api/mysqlcluster.h"

namespace kcx::mysql::api {

namespace json = boost::json;
using kcx::api::GetObject;
using kcx::api::GetString;

namespace {

// metav1.Status of a failed Status, as apimachinery serializes it.
json::object StatusJson(const Status& s) {
  json::object st{{"metadata", json::object()},
                  {"status", "Failure"},
                  {"message", s.message()},
                  {"reason", std::string(ReasonString(s.reason()))},
                  {"code", s.code()}};
  if (const auto& d = s.details()) {
    json::object details;
    if (!d->name.empty())
      details["name"] = d->name;
    if (!d->group.empty())
      details["group"] = d->group;
    if (!d->kind.empty())
      details["kind"] = d->kind;
    json::array causes;
    for (const StatusCause& c : d->causes) {
      json::object co{{"reason", c.type}, {"message", c.message}};
      if (!c.field.empty())
        co["field"] = c.field;
      causes.push_back(std::move(co));
    }
    if (!causes.empty())
      details["causes"] = std::move(causes);
    st["details"] = std::move(details);
  }
  return st;
}

json::object Response(const json::object& request, bool allowed) {
  json::object r{{"uid", request.contains("uid") ? request.at("uid") : json::value("")},
                 {"allowed", allowed}};
  return r;
}

json::object Deny(const json::object& request, const Status& s) {
  json::object r = Response(request, false);
  r["status"] = StatusJson(s);
  return r;
}

// The review's object (or oldObject), nullptr if absent.
const json::object* ReviewObject(const json::object& request, std::string_view key) {
  return GetObject(request, key);
}

// Reviews other than MySQLCluster are a misconfigured webhook: refuse rather than guess.
Status CheckKind(const json::object& request) {
  const json::object* kind = GetObject(request, "kind");
  if (!kind || GetString(*kind, "group") != kGroup || GetString(*kind, "kind") != kKind) {
    return Forbidden("this webhook only admits " + std::string(kKind) + "." + std::string(kGroup));
  }
  return Status::Ok();
}

}  // namespace

json::object MutateReview(const json::object& request, const std::function<int32_t()>& random) {
  if (Status s = CheckKind(request); !s.ok())
    return Deny(request, s);
  if (GetString(request, "operation") != "CREATE")
    return Response(request, true);
  const json::object* obj = ReviewObject(request, "object");
  if (!obj)
    return Deny(request, BadRequest("the review has no object"));
  json::array patch = DefaultingPatch(*obj, random);
  json::object r = Response(request, true);
  if (!patch.empty()) {
    r["patchType"] = "JSONPatch";
    r["patch"] = Base64Encode(json::serialize(patch));
  }
  return r;
}

json::object ValidateReview(const json::object& request,
                            const StorageClassLookup& storage_classes) {
  if (Status s = CheckKind(request); !s.ok())
    return Deny(request, s);
  std::string_view op = GetString(request, "operation");
  if (op != "CREATE" && op != "UPDATE")
    return Response(request, true);
  const json::object* obj = ReviewObject(request, "object");
  if (!obj)
    return Deny(request, BadRequest("the review has no object"));
  std::vector<StatusCause> causes;
  if (op == "CREATE") {
    causes = ValidateCreate(*obj);
  } else {
    const json::object* old = ReviewObject(request, "oldObject");
    if (!old)
      return Deny(request, BadRequest("the UPDATE review has no oldObject"));
    causes = ValidateUpdate(*obj, *old, storage_classes);
  }
  Status s = InvalidCluster(*obj, std::move(causes));
  return s.ok() ? Response(request, true) : Deny(request, s);
}

net::HttpResponse ServeAdmission(const net::HttpRequest& req,
                                 const StorageClassLookup& storage_classes,
                                 const std::function<int32_t()>& random) {
  std::string path = req.target.substr(0, req.target.find('?'));
  bool mutate = path == kMutatePath;
  if (!mutate && path != kValidatePath)
    return {404, "text/plain; charset=utf-8", "not found\n"};
  if (req.method != "POST")
    return {405, "text/plain; charset=utf-8", "POST only\n"};
  auto v = kcx::api::ParseJson(req.body);
  const json::object* review = v.ok() ? v->if_object() : nullptr;
  const json::object* request = review ? GetObject(*review, "request") : nullptr;
  if (!request) {
    return {400, "text/plain; charset=utf-8", "the body is not an AdmissionReview\n"};
  }
  json::object response =
      mutate ? MutateReview(*request, random) : ValidateReview(*request, storage_classes);
  std::string api_version(GetString(*review, "apiVersion"));
  if (api_version.empty())
    api_version = "admission.k8s.io/v1";
  json::object out{
      {"apiVersion", api_version}, {"kind", "AdmissionReview"}, {"response", std::move(response)}};
  return {200, "application/json", json::serialize(out)};
}

StorageClassLookup ClientStorageClassLookup(client::RestClient& c) {
  constexpr std::string_view kPath = "/apis/storage.k8s.io/v1/storageclasses";
  StorageClassLookup l;
  l.get = [&c, kPath](const std::string& name) -> Result<std::optional<json::object>> {
    auto r = c.Do({.verb = "GET", .path = std::string(kPath) + "/" + name});
    if (!r.ok()) {
      if (client::IsNotFound(r.status()))
        return std::optional<json::object>();
      return r.status();
    }
    KCX_ASSIGN_OR_RETURN(json::value v, kcx::api::ParseJson(r->body));
    if (!v.is_object())
      return Internal("storageclass: response is not an object");
    return std::optional<json::object>(std::move(v.get_object()));
  };
  l.list = [&c, kPath]() -> Result<std::vector<json::object>> {
    auto r = c.Do({.verb = "GET", .path = std::string(kPath)});
    if (!r.ok())
      return r.status();
    KCX_ASSIGN_OR_RETURN(json::value v, kcx::api::ParseJson(r->body));
    std::vector<json::object> out;
    if (const json::object* o = v.if_object()) {
      if (const json::array* items = kcx::api::GetArray(*o, "items")) {
        for (const auto& it : *items) {
          if (it.is_object())
            out.push_back(it.get_object());
        }
      }
    }
    return out;
  };
  return l;
}

Status WebhookServer::Start(Options opts) {
  server_.Stop();  // the running handlers read opts_
  opts_ = std::move(opts);
  net::HttpServerOptions so;
  so.tls = net::TlsServerConfig{opts_.cert_pem, opts_.key_pem};
  so.keep_alive = true;
  so.idle_timeout = std::chrono::seconds(90);
  so.threads = opts_.threads;
  // opts_ outlives the server (Stop joins the I/O threads before opts_ changes).
  return server_.Start(
      opts_.host, opts_.port,
      [this](const net::HttpRequest& req) {
        ++reviews_;
        return ServeAdmission(req, opts_.storage_classes);
      },
      std::move(so));
}

void WebhookServer::Stop() { server_.Stop(); }

}  // namespace kcx::mysql::api
