#include "operators/mysql/clustering/status.h"

#include <algorithm>

namespace kcx::mysql::clustering {

std::string_view StateName(ClusterState s) {
  switch (s) {
    case ClusterState::kUndecided:
      return "Undecided";
    case ClusterState::kOffline:
      return "Offline";
    case ClusterState::kCloning:
      return "Cloning";
    case ClusterState::kRestoring:
      return "Restoring";
    case ClusterState::kHealthy:
      return "Healthy";
    case ClusterState::kDegraded:
      return "Degraded";
    case ClusterState::kFailed:
      return "Failed";
    case ClusterState::kLost:
      return "Lost";
    case ClusterState::kIncomplete:
      return "Incomplete";
  }
  return "";
}

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kPrimary:
      return "primary";
    case Role::kReplica:
      return "replica";
    case Role::kNone:
      return "";
  }
  return "";
}

void MarkErrant(ClusterStatus& cs, const std::set<int>& hint, const std::set<int>& sticky) {
  const auto& p = cs.Primary();
  for (auto& iv : cs.instances) {
    iv.errant = false;
    if (iv.index == cs.primary)
      continue;
    if (!p.status) {
      iv.errant = hint.count(iv.index) > 0;
      continue;
    }
    if (sticky.count(iv.index)) {
      iv.errant = true;
      continue;
    }
    if (!iv.status)
      continue;
    auto origins = iv.status->executed.OriginsNotIn(p.status->executed);
    const std::string self = p.status->GtidOrigin();
    origins.erase(std::remove(origins.begin(), origins.end(), self), origins.end());
    iv.errant = !origins.empty();
  }
}

namespace {

bool ReplicatesFromPrimary(const ClusterStatus& cs, const InstanceStatus& s) {
  if (!s.replica)
    return false;
  const Endpoint& pe = cs.Primary().endpoint;
  return s.replica->source_host == pe.host && s.replica->source_port == pe.port;
}

}  // namespace

bool IsGoodReplica(const ClusterStatus& cs, int i) {
  const auto& iv = cs.instances[static_cast<size_t>(i)];
  if (i == cs.primary || !iv.status || iv.errant)
    return false;
  const auto& s = *iv.status;
  return s.read_only && ReplicatesFromPrimary(cs, s) && s.replica->io_running &&
         s.replica->sql_running;
}

int ConnectedClusterReplicas(const ClusterStatus& cs) {
  const auto& p = cs.Primary();
  if (!p.status)
    return 0;
  int n = 0;
  for (const auto& r : p.status->replicas) {
    if (r.server_id >= cs.server_id_base &&
        r.server_id < cs.server_id_base + static_cast<uint32_t>(cs.size())) {
      ++n;
    }
  }
  return n;
}

bool PrimaryLostData(const ClusterStatus& cs) {
  const auto& p = cs.Primary();
  if (!p.status || !p.status->executed.Empty())
    return false;
  for (const auto& iv : cs.instances) {
    if (iv.index != cs.primary && iv.status && !iv.status->executed.Empty())
      return true;
  }
  return false;
}

ClusterState DecideState(const ClusterStatus& cs) {
  if (cs.offline)
    return ClusterState::kOffline;
  // MOCO: Cloning while the initial clone from an external source has not completed (primary
  // unreachable, clone not Completed, or no clone row and still empty).
  if (cs.clone.source_configured && !cs.clone.cloned) {
    bool reachable = cs.size() > 0 && cs.Primary().status.has_value();
    if (!reachable || (!cs.clone.state.empty() && cs.clone.state != "Completed") ||
        (cs.clone.state.empty() && cs.clone.primary_empty)) {
      return ClusterState::kCloning;
    }
  }
  // MOCO: Restoring while a requested restore has not finished.
  if (cs.restore.requested && !cs.restore.restored)
    return ClusterState::kRestoring;
  const int n = cs.size();
  const auto& p = cs.Primary();
  const bool primary_ok = p.status.has_value() && !PrimaryLostData(cs);

  // Healthy: everything reachable, every replica good, the primary sees all of them, writable.
  if (primary_ok && !p.status->read_only && ConnectedClusterReplicas(cs) == n - 1) {
    bool all = true;
    for (int i = 0; i < n; ++i) {
      if (i != cs.primary && !IsGoodReplica(cs, i)) {
        all = false;
        break;
      }
    }
    if (all)
      return ClusterState::kHealthy;
  }

  if (primary_ok && !p.status->read_only && ConnectedClusterReplicas(cs) >= n / 2) {
    int good = 0;
    for (int i = 0; i < n; ++i)
      good += IsGoodReplica(cs, i) ? 1 : 0;
    if (good >= n / 2 && good != n - 1)
      return ClusterState::kDegraded;
  }

  if (!primary_ok) {
    int ok = 0;
    for (const auto& iv : cs.instances) {
      if (iv.index == cs.primary || !iv.status || iv.errant)
        continue;
      if (iv.status->replica && !iv.status->executed.Empty())
        ++ok;
    }
    return ok > n / 2 ? ClusterState::kFailed : ClusterState::kLost;
  }
  return ClusterState::kIncomplete;
}

std::optional<int> SwitchoverCandidate(const ClusterStatus& cs) {
  for (int i = 0; i < cs.size(); ++i) {
    if (IsGoodReplica(cs, i))
      return i;
  }
  return std::nullopt;
}

}  // namespace kcx::mysql::clustering
