#pragma once

// The operator's side of clustering: one ClusterManager (operators/mysql/clustering) per
// MySQLCluster, fed from the informer caches and reporting into the cluster's status, its
// Pods' role labels and Events. The manager itself never talks to Kubernetes (DESIGN.md rule 2):
// this class is its ClusterSource and ClusterReporter.
//
//   - A worker starts once the cluster has Pods and its controller Secret (the passwords);
//     each worker is woken by its manager's tick, by every reconcile of the cluster, and by
//     changes of the cluster's Pods (the reconciler watches them).
//   - Switchover: the primary Pod being deleted, or annotated moco.cybozu.com/demote=true.
//   - Instance addresses: the Pods' IPs (default), or their stable DNS names
//     moco-<name>-<i>.moco-<name>.<ns>.svc.
//   - The annotation moco.cybozu.com/clustering-stopped=true stops the worker
//     (ClusteringActive=False); removing it starts it again.
//
// Threading: Sync/Remove are called from reconcile workers; the ClusterSource/Reporter
// callbacks run on each cluster's worker thread.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "operators/mysql/api/mysqlcluster.h"
#include "operators/mysql/clustering/manager.h"
#include "operators/mysql/controllers/mysqlcluster_controller.h"
#include "operators/mysql/db/db_operator.h"
#include "runtime/controller.h"
#include "runtime/event_recorder.h"

namespace kcx::mysql::controllers {

struct ClusteringOptions {
  std::string controller_namespace = "moco-system";
  bool use_pod_hostnames = false;  // else Pod IPs
  int port = 3306;                 // the port the manager connects to (MOCO: admin 33062)
  clustering::ManagerOptions manager;
  // Makes the database operators for one cluster (nullptr: real MySQL connections as
  // moco-admin). Tests inject fakes here.
  std::function<std::unique_ptr<DbOperatorFactory>(const Passwords&)> ops_factory;
  bool fast_detection = true;  // a watch connection per instance (SqlWatcherFactory)
};

class ClusteringRunner : public ClusteringHooks {
 public:
  ClusteringRunner(client::RestClient* client, runtime::Controller* controller,
                   runtime::EventRecorder* events, ClusteringOptions opts);
  ~ClusteringRunner() override;

  void Sync(const api::MySQLCluster& c) override;
  void Remove(const std::string& ns, const std::string& name) override;
  // Stops every worker (shutdown).
  void StopAll();
  size_t workers() const;
  // moco_cluster_* of every running worker (checks, errors, available, healthy, switchovers,
  // failovers, replicas, processing time), labelled name/namespace, in the Prometheus text
  // format. For runtime::MetricsRegistry::AddCollector.
  void RenderMetrics(std::string& out) const;

 private:
  class Worker;
  client::RestClient* client_;
  runtime::Controller* controller_;
  runtime::EventRecorder* events_;
  ClusteringOptions opts_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Worker>> workers_;  // by "ns/name"
};

}  // namespace kcx::mysql::controllers
