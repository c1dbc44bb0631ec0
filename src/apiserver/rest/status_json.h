#pragma once

#include <string>

#include "apiserver/http/request.h"
#include "common/status.h"

namespace kcx::apiserver {

// The metav1.Status object for a failure, as kube-apiserver writes it.
boost::json::object StatusObject(const Status& s);
// A complete error response (code, content type, Status body).
Response ErrorResponse(const Status& s);
// The Status{status: Success} that delete returns for most types.
boost::json::object SuccessStatus(std::string_view name, std::string_view group,
                                  std::string_view resource, std::string_view uid);

}  // namespace kcx::apiserver
