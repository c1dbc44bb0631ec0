#pragma once

// Tests on API errors, named as k8s.io/apimachinery/pkg/api/errors names them. A failed
// RestClient call returns a Status carrying the server's reason (see StatusFromResponse).

#include "common/status.h"

namespace kcx::client {

inline bool IsNotFound(const Status& s) { return s.reason() == Reason::kNotFound; }
inline bool IsAlreadyExists(const Status& s) { return s.reason() == Reason::kAlreadyExists; }
inline bool IsConflict(const Status& s) { return s.reason() == Reason::kConflict; }
inline bool IsInvalid(const Status& s) { return s.reason() == Reason::kInvalid; }
inline bool IsBadRequest(const Status& s) { return s.reason() == Reason::kBadRequest; }
inline bool IsGone(const Status& s) { return s.reason() == Reason::kGone; }
inline bool IsResourceExpired(const Status& s) { return s.reason() == Reason::kExpired; }
inline bool IsUnauthorized(const Status& s) { return s.reason() == Reason::kUnauthorized; }
inline bool IsForbidden(const Status& s) { return s.reason() == Reason::kForbidden; }
inline bool IsTooManyRequests(const Status& s) { return s.reason() == Reason::kTooManyRequests; }
inline bool IsServerTimeout(const Status& s) { return s.reason() == Reason::kServerTimeout; }
inline bool IsTimeout(const Status& s) { return s.reason() == Reason::kTimeout; }
inline bool IsInternalError(const Status& s) { return s.reason() == Reason::kInternal; }
inline bool IsServiceUnavailable(const Status& s) { return s.reason() == Reason::kUnavailable; }
// A watch or list continuation that is too old: 410 with reason Expired or Gone.
inline bool IsExpiredOrGone(const Status& s) { return IsGone(s) || IsResourceExpired(s); }

}  // namespace kcx::client
