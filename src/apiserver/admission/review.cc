#include "apiserver/admission/review.h"

#include "api/json.h"
#include "common/strings.h"

namespace kcx::apiserver::admission {

namespace json = boost::json;

namespace {

json::object Gvk(const GroupVersionKind& k) {
  return {{"group", k.group}, {"version", k.version}, {"kind", k.kind}};
}
json::object Gvr(const GroupVersionResource& r) {
  return {{"group", r.group}, {"version", r.version}, {"resource", r.resource}};
}

}  // namespace

json::object BuildReview(const Webhook& w, const Attributes& a, const Invocation& inv,
                         std::string_view uid) {
  json::object req;
  req["uid"] = uid;
  req["kind"] = Gvk(inv.kind);
  req["resource"] = Gvr(inv.resource);
  if (!a.subresource.empty())
    req["subResource"] = a.subresource;
  req["requestKind"] = Gvk(a.kind);
  req["requestResource"] = Gvr(a.resource);
  if (!a.subresource.empty())
    req["requestSubResource"] = a.subresource;
  if (!a.name.empty())
    req["name"] = a.name;
  if (!a.ns.empty())
    req["namespace"] = a.ns;
  req["operation"] = OperationName(a.operation);
  json::object user;
  user["username"] = a.user;
  if (!a.groups.empty()) {
    json::array g;
    for (const auto& s : a.groups)
      g.emplace_back(s);
    user["groups"] = std::move(g);
  }
  req["userInfo"] = std::move(user);
  req["object"] = inv.object ? json::value(*inv.object) : json::value(nullptr);
  req["oldObject"] = inv.old_object ? json::value(*inv.old_object) : json::value(nullptr);
  req["dryRun"] = a.dry_run;
  req["options"] = a.options.empty() ? json::value(nullptr) : json::value(a.options);
  return json::object{{"kind", "AdmissionReview"},
                      {"apiVersion", "admission.k8s.io/" + w.review_version},
                      {"request", std::move(req)}};
}

Result<ReviewResult> ParseReviewResponse(std::string_view body, std::string_view uid,
                                         std::string_view review_version, bool mutating) {
  auto v = api::ParseJson(body);
  if (!v.ok())
    return BadRequest("received invalid webhook response: " + v.status().message());
  const json::object* o = v->if_object();
  if (!o)
    return BadRequest("received invalid webhook response: the body is not a JSON object");
  std::string want_av = "admission.k8s.io/" + std::string(review_version);
  std::string_view av = api::GetString(*o, "apiVersion");
  std::string_view kind = api::GetString(*o, "kind");
  if (av != want_av || kind != "AdmissionReview") {
    return BadRequest("received invalid webhook response: expected webhook response of " + want_av +
                      ", Kind=AdmissionReview, got " + std::string(av) +
                      ", Kind=" + std::string(kind));
  }
  const json::object* resp = api::GetObject(*o, "response");
  if (!resp)
    return BadRequest("received invalid webhook response: webhook response was absent");
  std::string_view ruid = api::GetString(*resp, "uid");
  if (ruid != uid) {
    return BadRequest("received invalid webhook response: expected response.uid=\"" +
                      std::string(uid) + "\", got \"" + std::string(ruid) + "\"");
  }
  ReviewResult r;
  r.allowed = api::GetBool(*resp, "allowed");
  if (const json::object* st = api::GetObject(*resp, "status"))
    r.status = *st;
  if (const json::array* ws = api::GetArray(*resp, "warnings")) {
    for (const auto& w : *ws) {
      if (w.is_string() && !w.get_string().empty())
        r.warnings.emplace_back(w.get_string());
    }
  }
  std::string_view patch_b64 = api::GetString(*resp, "patch");
  const json::value* pt = resp->if_contains("patchType");
  bool has_pt = pt && !pt->is_null();
  if (!patch_b64.empty() && !has_pt) {
    return BadRequest(
        "received invalid webhook response: webhook returned response.patch but not "
        "response.patchType");
  }
  if (has_pt) {
    if (!pt->is_string() || pt->get_string() != "JSONPatch") {
      return BadRequest(
          "received invalid webhook response: webhook returned invalid "
          "response.patchType of " +
          api::Serialize(*pt));
    }
    if (!mutating) {
      return BadRequest(
          "received invalid webhook response: validating webhook may not return "
          "response.patchType");
    }
  }
  if (!patch_b64.empty()) {
    if (!mutating) {
      return BadRequest(
          "received invalid webhook response: validating webhook may not return "
          "response.patch");
    }
    auto raw = Base64Decode(patch_b64);
    if (!raw)
      return BadRequest("received invalid webhook response: illegal base64 patch");
    auto p = api::ParseJson(*raw);
    if (!p.ok() || !p->is_array()) {
      return BadRequest(
          "received invalid webhook response: the patch is not a JSON patch "
          "array");
    }
    r.patch = std::move(*p);
  }
  return r;
}

json::object DenialStatus(std::string_view webhook, json::object st) {
  std::string denied = "admission webhook \"" + std::string(webhook) + "\" denied the request";
  int64_t code = api::GetInt(st, "code", 0);
  if (code < 400)
    st["code"] = 400;
  std::string_view s = api::GetString(st, "status");
  if (s.empty() || s == "Success")
    st["status"] = "Failure";
  std::string_view msg = api::GetString(st, "message");
  std::string_view reason = api::GetString(st, "reason");
  if (!msg.empty()) {
    st["message"] = denied + ": " + std::string(msg);
  } else if (!reason.empty()) {
    st["message"] = denied + ": " + std::string(reason);
  } else {
    st["message"] = denied + " without explanation";
  }
  st["kind"] = "Status";
  st["apiVersion"] = "v1";
  if (!st.contains("metadata"))
    st["metadata"] = json::object();
  return st;
}

json::object InternalErrorStatus(std::string_view err) {
  return json::object{
      {"kind", "Status"},
      {"apiVersion", "v1"},
      {"metadata", json::object()},
      {"status", "Failure"},
      {"message", "Internal error occurred: " + std::string(err)},
      {"reason", "InternalError"},
      {"details", json::object{{"causes", json::array{json::object{{"message", err}}}}}},
      {"code", 500}};
}

json::object BadRequestStatus(std::string_view message) {
  return json::object{{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
                      {"status", "Failure"}, {"message", message}, {"reason", "BadRequest"},
                      {"code", 400}};
}

}  // namespace kcx::apiserver::admission
