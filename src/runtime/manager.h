#pragma once

// Manager (controller-runtime's manager): runs a set of controllers with shared informers,
// optional leader election, health probes and Prometheus metrics.
//
//   kcx::runtime::Manager mgr(client.get(), {.metrics_port = 8080, .health_port = 8081});
//   mgr.NewController("copier", reconcile).For(kConfigMap).Owns(kConfigMap);
//   return mgr.Run().ok() ? 0 : 1;   // until SIGTERM/SIGINT or Stop()
//
//   - /healthz: 200 while running; /readyz: 200 once every controller has started (caches
//     and handlers synced; with leader election, standbys are ready without) and every ready
//     check passes, else 500 with the failing checks;
//     /metrics: the registry in Prometheus text format.
//   - With leader election, controllers start when this instance leads; losing leadership
//     ends Run() with an error (the process should exit, as controller-runtime's does).
//   - Shutdown (SIGTERM, SIGINT, Stop()): controllers stop taking work and finish in-flight
//     reconciles, then the lease is released, then the servers stop.
//
// Threading: Run() blocks the calling thread; Stop() is thread-safe.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/rest_client.h"
#include "net/http_server.h"
#include "runtime/controller.h"
#include "runtime/leader_election.h"
#include "runtime/metrics.h"

namespace kcx::runtime {

struct ManagerOptions {
  std::string bind_address = "127.0.0.1";
  int metrics_port = 8080;  // 0 picks a free port; -1 disables
  int health_port = 8081;   // 0 picks a free port; -1 disables
  std::optional<LeaderElectionConfig> leader_election;
  bool handle_signals = true;  // SIGTERM and SIGINT end Run()
};

class Manager {
 public:
  Manager(client::RestClient* client, ManagerOptions opts);
  ~Manager();

  InformerFactory& informers() { return factory_; }
  MetricsRegistry& metrics() { return registry_; }
  // A controller owned by the manager, wired to its informers and metrics. Configure it
  // (For/Owns/...) before Run().
  Controller& NewController(const std::string& name, Reconciler reconciler);
  void AddReadyCheck(const std::string& name, std::function<Status()> check);

  Status Run();
  void Stop();

  int metrics_port() const { return metrics_port_; }
  int health_port() const { return health_port_; }
  // /readyz: every ready check passes and, without leader election, the controllers run.
  // With leader election a standby replica is ready as well (controller-runtime's rule).
  bool Ready() const;
  // The controllers run (this replica leads, or there is no leader election).
  bool Leading() const { return controllers_started_.load(); }

 private:
  Status StartControllers();
  void StopControllers();
  net::HttpResponse Health(const net::HttpRequest& r);

  client::RestClient* client_;
  ManagerOptions opts_;
  MetricsRegistry registry_;
  RuntimeMetrics runtime_metrics_;
  InformerFactory factory_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  std::vector<std::pair<std::string, std::function<Status()>>> ready_checks_;
  net::HttpServer metrics_server_, health_server_;
  int metrics_port_ = -1, health_port_ = -1;
  std::atomic<bool> stop_{false}, controllers_started_{false};
};

}  // namespace kcx::runtime
