#pragma once

// MySQLCluster status writes shared by the reconciler and the clustering side: metav1.Condition
// lists, and a read-modify-write of the status subresource that retries on conflicts and makes
// no request when nothing changes.

#include <boost/json.hpp>
#include <functional>
#include <string_view>

#include "common/status.h"
#include "runtime/object_client.h"

namespace kcx::mysql::controllers {

// Sets one condition (type, status True/False, reason, message, observedGeneration);
// lastTransitionTime = `now` only when the status flips or the condition is new. Returns
// whether the list changed.
bool SetCondition(boost::json::array& conditions, std::string_view type, bool status,
                  std::string_view reason, std::string_view message, int64_t observed_generation,
                  std::string_view now);

// The condition's status ("True", "False", "" when absent).
std::string_view ConditionStatus(const boost::json::object& obj, std::string_view type);

// Changes a MySQLCluster's status: `mutate` edits the status object (created if absent) and
// returns whether it changed anything. Starts from `cached` when given (no GET), PUTs
// /status with the resourceVersion it started from, and on a conflict re-reads and retries
// (up to 5 times). Returns whether a write was made. NotFound when the cluster is gone.
Result<bool> UpdateClusterStatus(runtime::ObjectClient& objects, std::string_view ns,
                                 std::string_view name, const boost::json::object* cached,
                                 const std::function<bool(boost::json::object& status)>& mutate);

}  // namespace kcx::mysql::controllers
