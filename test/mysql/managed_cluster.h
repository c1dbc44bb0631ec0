#pragma once

// Real mariadbd instances plus a running clustering manager over them (in memory source and
// reporter), for the scenario tests and the failover benchmark.

#include <chrono>
#include <memory>

#include "operators/mysql/clustering/manager.h"
#include "operators/mysql/clustering/test_util.h"
#include "operators/mysql/clustering/watcher.h"
#include "operators/mysql/db/sql_operator.h"
#include "test/mysql/harness.h"

namespace kcx::mysql::testing {

struct ManagedClusterOptions {
  int instances = 3;
  std::chrono::milliseconds check_interval{500};
  int hung_timeout_s = 1;  // watcher read timeout
  bool watch = true;
};

class ManagedCluster {
 public:
  static Result<std::unique_ptr<ManagedCluster>> Create(ManagedClusterOptions o);
  ~ManagedCluster();

  MariadbHarness& harness() { return *harness_; }
  MariadbInstance& at(int i) { return harness_->at(i); }
  clustering::ClusterManager& manager() { return *manager_; }
  clustering::MemoryCluster& cluster() { return *cluster_; }
  int primary() { return cluster_->primary(); }
  const Passwords& passwords() const { return harness_->passwords(); }
  std::vector<Endpoint> endpoints() const;

  // Waits until the manager reports `state` (and, if given, the primary `primary`).
  bool WaitForState(clustering::ClusterState state, std::chrono::milliseconds timeout,
                    int primary = -1);
  // Waits until the report satisfies pred.
  bool WaitFor(const std::function<bool(const clustering::ClusterReport&)>& pred,
               std::chrono::milliseconds timeout);
  std::string Describe();  // the last report, for failure messages
  // Runs a query as moco-admin on instance i and returns the first column of the first row.
  Result<std::string> QueryValue(int i, const std::string& sql);

 private:
  ManagedCluster() = default;
  std::unique_ptr<MariadbHarness> harness_;
  std::unique_ptr<clustering::MemoryCluster> cluster_;
  std::unique_ptr<SqlOperatorFactory> ops_;
  std::unique_ptr<clustering::SqlWatcherFactory> watchers_;
  std::unique_ptr<clustering::ClusterManager> manager_;
};

}  // namespace kcx::mysql::testing
