#include "common/status.h"

namespace kcx {

std::string_view ReasonString(Reason r) {
  switch (r) {
    case Reason::kOk: return "";
    case Reason::kBadRequest: return "BadRequest";
    case Reason::kUnauthorized: return "Unauthorized";
    case Reason::kForbidden: return "Forbidden";
    case Reason::kNotFound: return "NotFound";
    case Reason::kMethodNotAllowed: return "MethodNotAllowed";
    case Reason::kNotAcceptable: return "NotAcceptable";
    case Reason::kAlreadyExists: return "AlreadyExists";
    case Reason::kConflict: return "Conflict";
    case Reason::kGone: return "Gone";
    case Reason::kExpired: return "Expired";
    case Reason::kRequestEntityTooLarge: return "RequestEntityTooLarge";
    case Reason::kUnsupportedMediaType: return "UnsupportedMediaType";
    case Reason::kInvalid: return "Invalid";
    case Reason::kTooManyRequests: return "TooManyRequests";
    case Reason::kInternal: return "InternalError";
    case Reason::kServerTimeout: return "ServerTimeout";
    case Reason::kUnavailable: return "ServiceUnavailable";
    case Reason::kTimeout: return "Timeout";
  }
  return "InternalError";
}

int HttpCode(Reason r) {
  switch (r) {
    case Reason::kOk: return 200;
    case Reason::kBadRequest: return 400;
    case Reason::kUnauthorized: return 401;
    case Reason::kForbidden: return 403;
    case Reason::kNotFound: return 404;
    case Reason::kMethodNotAllowed: return 405;
    case Reason::kNotAcceptable: return 406;
    case Reason::kAlreadyExists: return 409;
    case Reason::kConflict: return 409;
    case Reason::kGone: return 410;
    case Reason::kExpired: return 410;
    case Reason::kRequestEntityTooLarge: return 413;
    case Reason::kUnsupportedMediaType: return 415;
    case Reason::kInvalid: return 422;
    case Reason::kTooManyRequests: return 429;
    case Reason::kInternal: return 500;
    case Reason::kServerTimeout: return 500;
    case Reason::kUnavailable: return 503;
    case Reason::kTimeout: return 504;
  }
  return 500;
}

Reason ReasonFromString(std::string_view s, int http_code) {
  static constexpr Reason kAll[] = {
      Reason::kBadRequest,    Reason::kUnauthorized,          Reason::kForbidden,
      Reason::kNotFound,      Reason::kMethodNotAllowed,      Reason::kNotAcceptable,
      Reason::kAlreadyExists, Reason::kConflict,              Reason::kGone,
      Reason::kExpired,       Reason::kRequestEntityTooLarge, Reason::kUnsupportedMediaType,
      Reason::kInvalid,       Reason::kTooManyRequests,       Reason::kInternal,
      Reason::kServerTimeout, Reason::kUnavailable,           Reason::kTimeout};
  for (Reason r : kAll) {
    if (!s.empty() && ReasonString(r) == s) return r;
  }
  switch (http_code) {
    case 400: return Reason::kBadRequest;
    case 401: return Reason::kUnauthorized;
    case 403: return Reason::kForbidden;
    case 404: return Reason::kNotFound;
    case 405: return Reason::kMethodNotAllowed;
    case 406: return Reason::kNotAcceptable;
    case 409: return Reason::kConflict;
    case 410: return Reason::kGone;
    case 413: return Reason::kRequestEntityTooLarge;
    case 415: return Reason::kUnsupportedMediaType;
    case 422: return Reason::kInvalid;
    case 429: return Reason::kTooManyRequests;
    case 503: return Reason::kUnavailable;
    case 504: return Reason::kTimeout;
    default: return Reason::kInternal;
  }
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(ReasonString(reason_));
  s += ": ";
  s += message_;
  return s;
}

Status BadRequest(std::string m) { return Status(Reason::kBadRequest, std::move(m)); }
Status NotFound(std::string m) { return Status(Reason::kNotFound, std::move(m)); }
Status AlreadyExists(std::string m) { return Status(Reason::kAlreadyExists, std::move(m)); }
Status Conflict(std::string m) { return Status(Reason::kConflict, std::move(m)); }
Status Invalid(std::string m, std::vector<StatusCause> causes) {
  Status s(Reason::kInvalid, std::move(m));
  if (!causes.empty()) s.mutable_details().causes = std::move(causes);
  return s;
}
Status Gone(std::string m) { return Status(Reason::kGone, std::move(m)); }
Status Expired(std::string m) { return Status(Reason::kExpired, std::move(m)); }
Status Unauthorized(std::string m) { return Status(Reason::kUnauthorized, std::move(m)); }
Status Forbidden(std::string m) { return Status(Reason::kForbidden, std::move(m)); }
Status Internal(std::string m) { return Status(Reason::kInternal, std::move(m)); }
Status Unavailable(std::string m) { return Status(Reason::kUnavailable, std::move(m)); }
Status Timeout(std::string m) { return Status(Reason::kTimeout, std::move(m)); }

}  // namespace kcx
