#pragma once

// The MySQLCluster reconciler (MOCO's controllers/mysqlcluster_controller.go): renders each
// cluster's Secrets, my.cnf ConfigMap, ServiceAccount, Services, StatefulSet and PDB, applies
// them with server-side apply (field manager moco-controller) only where something changed,
// grows volumes, keeps the status conditions it owns, and hands the cluster to the clustering
// manager.
//
// Reconcile order (as MOCO): finalizer → Secrets → my.cnf ConfigMap → ServiceAccount →
// Services → volume resize → StatefulSet → PDB → status → clustering.
//
// Reads come from the controller's informer caches (MySQLClusters, and the operator's own
// objects, selected by app.kubernetes.io/created-by=moco); the only direct reads are the
// user's my.cnf ConfigMap, PVCs and StorageClasses during a resize, and the StatefulSet while
// it is being re-created. A settled cluster costs no request at all on resync.
//
// Threading: Reconcile runs on the controller's workers, never twice at once for one cluster.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "operators/mysql/api/mysqlcluster.h"
#include "operators/mysql/controllers/render.h"
#include "operators/mysql/db/gtid.h"
#include "runtime/controller.h"
#include "runtime/event_recorder.h"
#include "runtime/metrics.h"
#include "runtime/object_client.h"

namespace kcx::mysql::controllers {

// What the reconciler tells the clustering side (implemented by ClusteringRunner).
// Threading: called from reconcile workers.
class ClusteringHooks {
 public:
  virtual ~ClusteringHooks() = default;
  // The cluster is reconciled: start its worker (or pause it when clustering is stopped) and
  // wake it.
  virtual void Sync(const api::MySQLCluster& c) = 0;
  // The cluster is gone or being finalized: stop its worker.
  virtual void Remove(const std::string& ns, const std::string& name) = 0;
};

struct ReconcilerOptions {
  std::string controller_namespace = "moco-system";
  RenderOptions render;
  Flavor flavor = Flavor::kMySQL;
  int max_concurrent_reconciles = 8;
  // How long to wait for an orphan-deleted StatefulSet to disappear before re-creating it.
  std::chrono::milliseconds statefulset_delete_wait{10000};
  std::chrono::milliseconds poll_interval{100};
  // Re-check after this long when a resize is deferred (StatefulSet mid-update) or blocked.
  std::chrono::milliseconds resize_requeue{std::chrono::seconds(10)};
};

class MySQLClusterReconciler {
 public:
  MySQLClusterReconciler(client::RestClient* client, runtime::MetricsRegistry* metrics,
                         runtime::EventRecorder* events, ReconcilerOptions opts);
  ~MySQLClusterReconciler();

  // Configures `c` (For MySQLCluster, Owns the rendered kinds with the created-by selector).
  void Setup(runtime::Controller& c);
  void SetClusteringHooks(ClusteringHooks* hooks) { clustering_ = hooks; }

  Result<runtime::ReconcileResult> Reconcile(const runtime::Request& req);

  // Writes made so far (server-side applies and other mutations), for tests and benchmarks.
  uint64_t writes() const { return applier_.writes() + other_writes_.load(); }
  uint64_t skipped_applies() const { return applier_.skipped(); }

 private:
  struct Outcome;
  Result<runtime::ReconcileResult> Finalize(const api::MySQLCluster& c);
  // Adds the finalizer if missing; `c` becomes the patched object, so the status update that
  // follows writes on top of it instead of failing on the old resourceVersion.
  Status EnsureFinalizer(api::MySQLCluster& c);
  Status ReconcileObjects(const api::MySQLCluster& c, Outcome& out);
  Status ReconcileSecrets(const api::MySQLCluster& c);
  Result<std::string> ReconcileMyCnf(const api::MySQLCluster& c);
  Status ReconcileVolumes(const api::MySQLCluster& c, const boost::json::object& desired_sts,
                          Outcome& out);
  Status ReconcileStatefulSet(const api::MySQLCluster& c, boost::json::object desired,
                              Outcome& out);
  Status ReconcilePdb(const api::MySQLCluster& c);
  Status UpdateStatus(const api::MySQLCluster& c, const Outcome& out, const Status& result);
  Status Apply(const runtime::ResourceKind& kind, const boost::json::object& config);
  runtime::ObjectPtr Cached(const runtime::ResourceKind& kind, std::string_view ns,
                            std::string_view name) const;
  void Event(const api::MySQLCluster& c, const std::string& type, const std::string& reason,
             const std::string& message);

  client::RestClient* client_;
  runtime::EventRecorder* events_;
  ReconcilerOptions opts_;
  runtime::Applier applier_;
  runtime::ObjectClient objects_;
  runtime::Controller* controller_ = nullptr;
  ClusteringHooks* clustering_ = nullptr;
  std::atomic<uint64_t> other_writes_{0};

  runtime::MetricFamily* volume_resized_;
  runtime::MetricFamily* volume_resized_errors_;
  runtime::MetricFamily* sts_recreate_;
  runtime::MetricFamily* sts_recreate_errors_;
  runtime::MetricFamily* reconciliation_stopped_;
  runtime::MetricFamily* clustering_stopped_;
};

}  // namespace kcx::mysql::controllers
