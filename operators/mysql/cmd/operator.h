#pragma once

// The MySQL operator process (`kcx operator`): a runtime::Manager with the MySQLCluster
// controller, the clustering workers, the admission webhooks, leader election, metrics,
// health probes and graceful shutdown. Tests run it in-process against `kcx apiserver`.
//
// Shutdown order (SIGTERM, SIGINT or Stop()): the controller stops taking work and finishes
// in-flight reconciles, the clustering workers stop, the lease is released, the servers stop.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "client/rest_client.h"
#include "common/status.h"
#include "operators/mysql/controllers/clustering_runner.h"
#include "operators/mysql/controllers/mysqlcluster_controller.h"
#include "runtime/event_recorder.h"
#include "runtime/manager.h"

namespace kcx::mysql {

struct OperatorConfig {
  std::string controller_namespace = "moco-system";
  bool leader_elect = false;
  std::string leader_election_id = "moco";
  std::string identity;  // default: hostname + pid
  std::string bind_address = "127.0.0.1";
  int metrics_port = 8080;  // 0: any free port; -1: off
  int health_port = 8081;
  bool handle_signals = true;
  // CRDs: create them at start if missing (embedded copies of deploy/crds).
  bool install_crds = true;
  // Admission webhooks over HTTPS (-1: off). The directory holds tls.crt and tls.key.
  int webhook_port = -1;
  std::string webhook_bind_address = "0.0.0.0";
  std::string webhook_cert_dir;
  controllers::ReconcilerOptions reconciler;
  bool clustering = true;
  controllers::ClusteringOptions clustering_options;
};

class Operator {
 public:
  static Result<std::unique_ptr<Operator>> Create(client::RestConfig rest, OperatorConfig cfg);
  ~Operator();

  // Runs until Stop(), a signal (if handle_signals) or lost leadership (an error).
  Status Run();
  void Stop();

  runtime::Manager& manager() { return *manager_; }
  controllers::MySQLClusterReconciler& reconciler() { return *reconciler_; }
  controllers::ClusteringRunner* clustering() { return clustering_.get(); }
  runtime::Controller& controller() { return *controller_; }
  runtime::EventRecorder& events() { return *events_; }
  client::RestClient& client() { return *client_; }
  int webhook_port() const { return webhook_port_.load(); }

 private:
  Operator() = default;
  OperatorConfig cfg_;
  std::unique_ptr<client::RestClient> client_;
  std::unique_ptr<runtime::EventRecorder> events_;
  std::unique_ptr<runtime::Manager> manager_;
  std::unique_ptr<controllers::MySQLClusterReconciler> reconciler_;
  std::unique_ptr<controllers::ClusteringRunner> clustering_;
  runtime::Controller* controller_ = nullptr;
  std::atomic<int> webhook_port_{-1};
};

}  // namespace kcx::mysql
