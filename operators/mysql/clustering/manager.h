#pragma once

// The per-cluster clustering manager: one worker thread that gathers status, decides the state
// by MOCO's rules and acts (configure, switchover, failover).
//
// A pass runs on: the check interval, Trigger() (the operator's reconcile, a Pod event), a
// watcher noticing an instance go down or come back, a switchover request, and right after a
// switchover or failover ("redo"). Triggers coalesce (MOCO's buffer of one).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/clock.h"
#include "operators/mysql/clustering/metrics.h"
#include "operators/mysql/clustering/pool.h"
#include "operators/mysql/clustering/status.h"
#include "operators/mysql/clustering/types.h"
#include "operators/mysql/clustering/watcher.h"

namespace kcx::mysql::clustering {

struct ManagerOptions {
  std::chrono::milliseconds check_interval{1000};
  // Status of an instance the watcher does not already know to be down: tries and pause.
  int status_tries = 2;
  std::chrono::milliseconds status_retry_interval{100};
  // Switchover: how long `read_only=ON` may block before client connections are killed.
  std::chrono::milliseconds readonly_wait{10000};
  // Switchover/failover: how long the candidate may take to apply what it has.
  std::chrono::milliseconds gtid_wait{50000};
  // Failover: pause after stopping the IO threads before re-reading the replicas (MOCO: 100 ms;
  // STOP SLAVE IO_THREAD is synchronous, so a short pause suffices).
  std::chrono::milliseconds fence_pause{20};
  int gather_threads = 4;
  // Status gathering waits this long at most; an instance that has not answered by then (hung)
  // counts as down for the pass, and is not asked again until its pending call returns.
  std::chrono::milliseconds gather_deadline{1500};
  Clock* clock = &RealClock();
  // All pauses go through here so that tests of logic do not sleep.
  std::function<void(std::chrono::milliseconds)> sleep;
};

class ClusterManager {
 public:
  // `watchers` may be null (no fast detection; the check interval alone). The pointers must
  // outlive the manager.
  ClusterManager(ClusterSource* source, ClusterReporter* reporter, DbOperatorFactory* ops,
                 WatcherFactory* watchers, ManagerOptions opts);
  ~ClusterManager();

  void Start();
  void Stop();
  // Wakes the worker for a pass now. Thread-safe.
  void Trigger();
  // Requests a switchover to `target` (or the lowest-index good replica). Thread-safe.
  void RequestSwitchover(std::optional<int> target = std::nullopt);
  bool SwitchoverPending() const;

  // One pass on the caller's thread (tests drive the manager this way; do not mix with Start).
  // Returns whether another pass should follow at once.
  Result<bool> RunOnce();

  const ClusterMetrics& metrics() const { return metrics_; }
  // The last report (thread-safe copy).
  ClusterReport LastReport() const;

 private:
  void Loop();
  void SyncInstances(const ClusterSpec& spec);
  ClusterStatus Gather(const ClusterSpec& spec);
  void UpdateSticky(const ClusterStatus& cs);
  Status Configure(const ClusterSpec& spec, ClusterStatus& cs);
  Status ConfigureReplicaAt(const ClusterSpec& spec, ClusterStatus& cs, int i);
  Status ConfigurePrimaryAt(const ClusterSpec& spec, ClusterStatus& cs);
  Status Switchover(const ClusterSpec& spec, ClusterStatus& cs, int candidate);
  Status Failover(const ClusterSpec& spec, ClusterStatus& cs);
  Status Fence(DbOperator& op, int index);
  void Report(const ClusterSpec& spec, const ClusterStatus& cs, ClusterState state);
  void Sleep(std::chrono::milliseconds d);
  SourceInfo SourceFor(const ClusterSpec& spec, int index, SystemUser user) const;

  ClusterSource* source_;
  ClusterReporter* reporter_;
  DbOperatorFactory* ops_factory_;
  WatcherFactory* watcher_factory_;
  ManagerOptions o_;
  TaskPool pool_;
  ClusterMetrics metrics_;

  // Worker-thread state.
  std::vector<Endpoint> endpoints_;
  // Shared with status tasks that may outlive a pass (a hung instance).
  std::vector<std::shared_ptr<DbOperator>> ops_;
  std::vector<std::shared_ptr<std::atomic<bool>>> busy_;
  std::vector<std::unique_ptr<Watcher>> watchers_;
  std::optional<int> primary_override_;  // set after a switchover/failover until the source says so
  std::set<int> errant_;
  bool errant_initialized_ = false;
  std::map<int, std::string> sticky_;
  int configure_streak_ = 0;  // index -> executed set when replication refused it

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool triggered_ = false;
  bool stop_ = false;
  bool switchover_requested_ = false;
  std::optional<int> switchover_target_;
  ClusterReport last_report_;
  std::thread worker_;
};

}  // namespace kcx::mysql::clustering
