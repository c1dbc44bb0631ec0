#pragma once

// The clustering manager's view of a cluster, and its two seams: where the cluster comes from
// (ClusterSource) and where its state goes (ClusterReporter). The manager never talks to
// Kubernetes; the operator wires these to MySQLCluster objects and Pod labels, the standalone
// mode to a config file, a state file and logs.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "operators/mysql/db/db_operator.h"

namespace kcx::mysql::clustering {

enum class ClusterState {
  kUndecided,
  kOffline,
  kCloning,
  kRestoring,
  kHealthy,
  kDegraded,
  kFailed,
  kLost,
  kIncomplete,
};
std::string_view StateName(ClusterState s);

enum class Role { kNone, kPrimary, kReplica };
std::string_view RoleName(Role r);

// What the manager is told about a cluster on every pass.
struct ClusterSpec {
  std::string name;
  std::vector<Endpoint> instances;  // the index is the instance's identity
  uint32_t server_id_base = 1000;
  int current_primary = 0;    // persisted by the reporter (OnPrimaryChanged)
  std::set<int> errant_hint;  // last known errant replicas (used while the primary is down)
  bool offline = false;
  Passwords passwords;  // never logged
};

// Threading: Get is called from the cluster's worker thread only.
class ClusterSource {
 public:
  virtual ~ClusterSource() = default;
  virtual Result<ClusterSpec> Get() = 0;
};

struct InstanceReport {
  int index = 0;
  Endpoint endpoint;
  bool reachable = false;
  bool errant = false;
  Role role = Role::kNone;
  bool read_only = true;
  std::string executed;  // GTID set / position
  std::string source;    // replication source, "" when none
  bool replicating = false;
  std::string error;  // last replication or connection error
};

struct ClusterReport {
  std::string name;
  ClusterState state = ClusterState::kUndecided;
  int primary = 0;
  std::vector<InstanceReport> instances;
  int ready_replicas = 0;
  std::vector<int> errant;
  std::chrono::system_clock::time_point time;
};

// Event reasons, as MOCO's pkg/event.
inline constexpr const char* kEventSwitchOver = "SwitchOver";
inline constexpr const char* kEventSwitchOverFailed = "SwitchOverFailed";
inline constexpr const char* kEventFailOver = "FailOver";
inline constexpr const char* kEventFailOverFailed = "FailOverFailed";
inline constexpr const char* kEventCloned = "Cloned";
inline constexpr const char* kEventCloneFailed = "CloneFailed";
inline constexpr const char* kEventWritable = "Writable";
inline constexpr const char* kEventErrant = "ErrantTransactions";

// Threading: every callback runs on the cluster's worker thread; implementations must not
// block for long (they delay failover) and must not call back into the manager.
class ClusterReporter {
 public:
  virtual ~ClusterReporter() = default;
  // After every pass.
  virtual void OnReport(const ClusterReport& r) = 0;
  // The primary changed (switchover, failover). Called before the new primary is made
  // writable, so a persistent store learns it first; a failure aborts the promotion.
  virtual Status OnPrimaryChanged(int new_primary) = 0;
  virtual void OnErrantChanged(const std::set<int>& errant) = 0;
  // warning=true for failures ("FailOverFailed").
  virtual void OnEvent(std::string_view reason, bool warning, const std::string& message) = 0;
};

}  // namespace kcx::mysql::clustering
