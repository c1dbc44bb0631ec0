#include "apiserver/rest/status_json.h"

#include "api/json.h"

namespace kcx::apiserver {

boost::json::object StatusObject(const Status& s) {
  boost::json::object o;
  o["kind"] = "Status";
  o["apiVersion"] = "v1";
  o["metadata"] = boost::json::object();
  o["status"] = "Failure";
  o["message"] = s.message();
  o["reason"] = ReasonString(s.reason());
  if (const auto& d = s.details()) {
    boost::json::object det;
    if (!d->name.empty()) det["name"] = d->name;
    if (!d->group.empty()) det["group"] = d->group;
    if (!d->kind.empty()) det["kind"] = d->kind;
    if (!d->uid.empty()) det["uid"] = d->uid;
    if (!d->causes.empty()) {
      boost::json::array causes;
      for (const auto& c : d->causes) {
        boost::json::object co;
        if (!c.type.empty()) co["reason"] = c.type;
        if (!c.message.empty()) co["message"] = c.message;
        if (!c.field.empty()) co["field"] = c.field;
        causes.push_back(std::move(co));
      }
      det["causes"] = std::move(causes);
    }
    if (d->retry_after_seconds) det["retryAfterSeconds"] = d->retry_after_seconds;
    o["details"] = std::move(det);
  }
  o["code"] = s.code();
  return o;
}

Response ErrorResponse(const Status& s) {
  Response r;
  r.code = s.code();
  r.body = api::Serialize(StatusObject(s));
  if (s.details() && s.details()->retry_after_seconds) {
    r.headers.emplace_back("Retry-After", std::to_string(s.details()->retry_after_seconds));
  }
  return r;
}

boost::json::object SuccessStatus(std::string_view name, std::string_view group,
                                  std::string_view resource, std::string_view uid) {
  boost::json::object o;
  o["kind"] = "Status";
  o["apiVersion"] = "v1";
  o["metadata"] = boost::json::object();
  o["status"] = "Success";
  boost::json::object det;
  det["name"] = name;
  if (!group.empty()) det["group"] = group;
  det["kind"] = resource;
  if (!uid.empty()) det["uid"] = uid;
  o["details"] = std::move(det);
  return o;
}

}  // namespace kcx::apiserver
