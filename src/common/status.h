#pragma once

// kcx::Status and kcx::Result<T>: the error model of the whole project.
//
// No exceptions cross module boundaries. A failing call returns a Status whose Reason
// mirrors Kubernetes' metav1.StatusReason, so an error can travel from storage to the
// HTTP layer (or from a REST response to a controller) without being re-classified.
//
//   kcx::Result<int> Parse(std::string_view s);
//   auto r = Parse("12");
//   if (!r.ok()) return r.status();
//   int v = *r;

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace kcx {

enum class Reason {
  kOk,
  kBadRequest,             // 400
  kUnauthorized,           // 401
  kForbidden,              // 403
  kNotFound,               // 404
  kMethodNotAllowed,       // 405
  kNotAcceptable,          // 406
  kAlreadyExists,          // 409
  kConflict,               // 409
  kGone,                   // 410
  kExpired,                // 410
  kRequestEntityTooLarge,  // 413
  kUnsupportedMediaType,   // 415
  kInvalid,                // 422
  kTooManyRequests,        // 429
  kInternal,               // 500
  kServerTimeout,          // 500
  kUnavailable,            // 503
  kTimeout,                // 504
};

// The metav1.StatusReason string ("NotFound", "InternalError", ...). Empty for kOk.
std::string_view ReasonString(Reason r);
// The HTTP status code Kubernetes uses for the reason.
int HttpCode(Reason r);
// Inverse of ReasonString; unknown strings map by HTTP code, else kInternal.
Reason ReasonFromString(std::string_view s, int http_code);

// metav1.StatusCause.
struct StatusCause {
  std::string type;  // "FieldValueInvalid", "FieldValueRequired", ...
  std::string message;
  std::string field;  // "metadata.name"
  bool operator==(const StatusCause&) const = default;
};

// metav1.StatusDetails.
struct StatusDetails {
  std::string name;
  std::string group;
  std::string kind;
  std::string uid;
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Reason reason, std::string message) : reason_(reason), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return reason_ == Reason::kOk; }
  Reason reason() const { return reason_; }
  const std::string& message() const { return message_; }
  int code() const { return HttpCode(reason_); }

  const std::optional<StatusDetails>& details() const { return details_; }
  StatusDetails& mutable_details() {
    if (!details_) details_.emplace();
    return *details_;
  }
  Status& WithDetails(StatusDetails d) {
    details_ = std::move(d);
    return *this;
  }

  // "NotFound: configmaps \"x\" not found" — for logs and test failure messages.
  std::string ToString() const;

  // Consumes a status whose result is deliberately not checked.
  void IgnoreError() const {}

 private:
  Reason reason_ = Reason::kOk;
  std::string message_;
  std::optional<StatusDetails> details_;
};

// Convenience constructors named after apimachinery's errors.NewXxx.
Status BadRequest(std::string message);
Status NotFound(std::string message);
Status AlreadyExists(std::string message);
Status Conflict(std::string message);
Status Invalid(std::string message, std::vector<StatusCause> causes = {});
Status Gone(std::string message);
Status Expired(std::string message);
Status Unauthorized(std::string message);
Status Forbidden(std::string message);
Status Internal(std::string message);
Status Unavailable(std::string message);
Status Timeout(std::string message);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(v_);
  }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace kcx

#define KCX_CONCAT_INNER_(a, b) a##b
#define KCX_CONCAT_(a, b) KCX_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` (a Status) is not ok.
#define KCX_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::kcx::Status kcx_status_ = (expr);    \
    if (!kcx_status_.ok()) return kcx_status_; \
  } while (0)

// KCX_ASSIGN_OR_RETURN(auto x, Compute()); declares x from a Result or returns its Status.
#define KCX_ASSIGN_OR_RETURN(lhs, expr) \
  KCX_ASSIGN_OR_RETURN_IMPL_(KCX_CONCAT_(kcx_result_, __LINE__), lhs, expr)
#define KCX_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
