#pragma once

// AdmissionReview (admission.k8s.io/v1): the request body kube-apiserver sends to a webhook,
// and the checks it applies to the response. Pure functions, no I/O.

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apiserver/admission/rules.h"
#include "common/status.h"

namespace kcx::apiserver::admission {

// The version a webhook is called with. With matchPolicy Equivalent it may differ from the
// request's version; `object`/`old_object` are then the objects converted to that version.
struct Invocation {
  GroupVersionResource resource;
  GroupVersionKind kind;
  const boost::json::object* object = nullptr;
  const boost::json::object* old_object = nullptr;
};

// The AdmissionReview request, exactly as kube sends it: uid, kind, resource, subResource,
// requestKind, requestResource, requestSubResource, name, namespace, operation, userInfo,
// object, oldObject (null when absent), dryRun, options.
boost::json::object BuildReview(const Webhook& w, const Attributes& a, const Invocation& inv,
                                std::string_view uid);

struct ReviewResult {
  bool allowed = false;
  boost::json::object status;               // response.status (may be empty)
  std::optional<boost::json::value> patch;  // decoded JSONPatch, when present
  std::vector<std::string> warnings;
};

// Parses and checks a webhook's response body: apiVersion/kind must equal the request's, the
// uid must match, and a patch must be a base64 JSONPatch (patchType "JSONPatch"). Errors carry
// kube's wording ("expected response.uid=..."), to be wrapped in "failed calling webhook".
Result<ReviewResult> ParseReviewResponse(std::string_view body, std::string_view uid,
                                         std::string_view review_version, bool mutating);

// webhookerrors.ToStatusErr: the metav1.Status a denial turns into. Code at least 400, status
// Failure, message `admission webhook "<name>" denied the request: <message or reason>` (or
// `... denied the request without explanation`); other fields of the webhook's status pass
// through.
boost::json::object DenialStatus(std::string_view webhook, boost::json::object status);

// metav1.Status of an apierrors.NewInternalError(err): 500, reason InternalError,
// message "Internal error occurred: <err>", details.causes [{message: err}].
boost::json::object InternalErrorStatus(std::string_view err);

// A 400 BadRequest Status (dry-run unsupported by a webhook with side effects).
boost::json::object BadRequestStatus(std::string_view message);

}  // namespace kcx::apiserver::admission
