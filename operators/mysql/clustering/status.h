#pragma once

// The gathered status of a cluster and the state decision (MOCO's DecideState rules).

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "operators/mysql/clustering/types.h"

namespace kcx::mysql::clustering {

struct InstanceView {
  int index = 0;
  Endpoint endpoint;
  std::optional<InstanceStatus> status;  // nullopt: unreachable, hung or down
  std::string error;
  bool errant = false;
};

struct ClusterStatus {
  int primary = 0;
  uint32_t server_id_base = 0;
  bool offline = false;
  // Inputs of MOCO's Cloning and Restoring states. They come from the cluster's spec and status
  // (the operator fills them: replicationSourceSecretName / status.cloned, restore /
  // status.restoredTime); the standalone mode has neither and leaves them unset.
  struct Clone {
    bool source_configured = false;  // the primary clones from an external source first
    bool cloned = false;             // status.cloned: the initial clone finished
    std::string state;               // the primary's clone_status.STATE ("" if no row)
    bool primary_empty = false;      // the primary has an empty executed GTID set
  } clone;
  struct Restore {
    bool requested = false;  // spec.restore is set
    bool restored = false;   // status.restoredTime is set
  } restore;
  std::vector<InstanceView> instances;

  int size() const { return static_cast<int>(instances.size()); }
  const InstanceView& Primary() const { return instances[static_cast<size_t>(primary)]; }
};

// Marks errant replicas. With the primary reachable: a replica is errant when its executed
// set holds transactions the primary lacks from an origin other than the primary itself (MOCO's
// rule; the primary is read after the replicas so its own newer transactions are not counted),
// or when `sticky` (replication refused the position as diverged) contains it. With the
// primary down: `hint` (the last known list) is kept.
void MarkErrant(ClusterStatus& cs, const std::set<int>& hint, const std::set<int>& sticky);

// Replication from the primary is configured and running, the replica is read-only, not errant.
bool IsGoodReplica(const ClusterStatus& cs, int i);
// The primary's connected replicas whose server ids belong to this cluster.
int ConnectedClusterReplicas(const ClusterStatus& cs);
// The primary has lost its data: it is empty while some replica is not.
bool PrimaryLostData(const ClusterStatus& cs);

ClusterState DecideState(const ClusterStatus& cs);

// The lowest-index good replica, or nullopt.
std::optional<int> SwitchoverCandidate(const ClusterStatus& cs);

}  // namespace kcx::mysql::clustering
