#pragma once

// Controllers (controller-runtime's builder and controller): informers feed a rate-limited
// work queue of reconcile requests; workers call the reconciler.
//
//   runtime::InformerFactory factory(client);
//   runtime::Controller c("mysqlcluster", &factory, reconciler);
//   c.For(kMySQLCluster, {runtime::GenerationChanged()})
//    .Owns(kStatefulSet)                      // children -> their controller owner
//    .Watches(kSecret, map_fn)                // anything -> requests
//    .MaxConcurrentReconciles(4);
//   c.Start();  ... c.Stop();
//
// Semantics:
//   - a request (namespace/name) is never reconciled by two workers at once; events for it
//     that arrive meanwhile collapse into one more reconcile afterwards;
//   - the reconciler returns an error → rate-limited requeue (5 ms doubling to 1000 s, and an
//     overall 10 qps / burst 100 bucket); requeue → rate-limited requeue; requeue_after → a
//     plain delayed requeue; success → the item's backoff is forgotten;
//   - workers start only after the informers and the controller's own handler registrations
//     have synced;
//   - Stop() stops taking work, lets in-flight reconciles finish, and removes the handlers.
//
// Threading: the reconciler runs on worker threads (up to MaxConcurrentReconciles at once,
// never twice concurrently for one request). Predicates and map functions run on informer
// handler threads.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/rest_client.h"
#include "runtime/informer.h"
#include "runtime/workqueue.h"

namespace kcx::runtime {

// A served resource (GVK + plural), enough to build paths and match owner references.
struct ResourceKind {
  std::string group;  // "" for core
  std::string version, kind, resource;
  bool namespaced = true;

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  // The collection path, across namespaces when ns is "" (or cluster-scoped).
  std::string CollectionPath(std::string_view ns = "") const;
};

struct Request {
  std::string ns, name;
  bool operator==(const Request&) const = default;
  std::string Key() const { return ObjectKey(ns, name); }
};
struct RequestHash {
  size_t operator()(const Request& r) const {
    return std::hash<std::string>()(r.ns) * 31 + std::hash<std::string>()(r.name);
  }
};

struct ReconcileResult {
  bool requeue = false;
  std::chrono::nanoseconds requeue_after{0};
};

using Reconciler = std::function<Result<ReconcileResult>(const Request&)>;

// One informer event as predicates see it. old_obj is set for updates only.
struct Event {
  enum Type { kCreate, kUpdate, kDelete, kGeneric } type;
  ObjectPtr old_obj, obj;
};
using Predicate = std::function<bool(const Event&)>;

// Passes updates whose metadata.generation changed (and all creates/deletes).
Predicate GenerationChanged();
// Passes updates whose labels changed.
Predicate LabelsChanged();
// Passes updates whose annotations changed.
Predicate AnnotationsChanged();

// Shares one informer per (path, label selector, field selector) between controllers.
class InformerFactory {
 public:
  explicit InformerFactory(client::RestClient* client) : client_(client) {}
  ~InformerFactory();
  // The informer for this collection and selectors (created on first use, started if the
  // factory was started).
  SharedIndexInformer* Get(const std::string& path, const std::string& label_selector = "",
                           const std::string& field_selector = "");
  void Start();
  // Every informer has synced (false on timeout).
  bool WaitForCacheSync(std::chrono::milliseconds timeout);
  // Stops and forgets an informer, freeing its cache (controller-runtime's RemoveInformer).
  void Remove(const std::string& path, const std::string& label_selector = "",
              const std::string& field_selector = "");
  void Stop();

 private:
  client::RestClient* client_;
  std::mutex mu_;
  bool started_ = false;
  std::map<std::string, std::unique_ptr<SharedIndexInformer>> informers_;
};

class ControllerMetrics {
 public:
  virtual ~ControllerMetrics() = default;
  virtual void OnReconcile(std::string_view controller, bool error,
                           std::chrono::nanoseconds took) = 0;
};

class Controller {
 public:
  using MapFn = std::function<std::vector<Request>(const ObjectPtr&)>;

  Controller(std::string name, InformerFactory* factory, Reconciler reconciler);
  ~Controller();

  Controller& For(const ResourceKind& kind, std::vector<Predicate> predicates = {});
  Controller& Owns(const ResourceKind& kind, std::vector<Predicate> predicates = {});
  Controller& Watches(const ResourceKind& kind, MapFn map, std::vector<Predicate> predicates = {});
  Controller& MaxConcurrentReconciles(int n);
  Controller& WithMetrics(ControllerMetrics* m);
  Controller& WithQueueMetrics(WorkQueueMetrics* m);
  // Watch only this namespace ("" = all).
  Controller& InNamespace(std::string ns);
  // Watch only objects of `kind` matching this label selector (the informer is shared with
  // anyone asking the factory for the same path and selector). A controller that owns Secrets
  // or ConfigMaps should not cache every one in the cluster.
  Controller& WithLabelSelector(const ResourceKind& kind, std::string selector);
  // The informer this controller uses for `kind` (after Start()).
  SharedIndexInformer* InformerFor(const ResourceKind& kind);

  // Registers handlers, waits (up to `sync_timeout`) for informers and registrations to sync,
  // then starts the workers. Error if not in sync in time or if For() was not called.
  Status Start(std::chrono::milliseconds sync_timeout = std::chrono::minutes(2));
  // Stops taking work, waits for in-flight reconciles, removes the handlers. Idempotent.
  void Stop();

  const std::string& name() const { return name_; }
  WorkQueue<Request, RequestHash>& queue() { return *queue_; }
  // Requests reconciled so far (successful or not).
  uint64_t reconciles() const { return reconciles_.load(); }

 private:
  struct Source {
    ResourceKind kind;
    MapFn map;
    std::vector<Predicate> predicates;
  };
  void Enqueue(const Source& s, const Event& e);
  void Worker();

  const std::string name_;
  InformerFactory* factory_;
  Reconciler reconciler_;
  std::string ns_;
  int workers_n_ = 1;
  ControllerMetrics* metrics_ = nullptr;
  WorkQueueMetrics* queue_metrics_ = nullptr;
  bool has_for_ = false;
  std::vector<Source> sources_;
  std::map<std::string, std::string> selectors_;  // kind.CollectionPath() -> label selector
  std::unique_ptr<WorkQueue<Request, RequestHash>> queue_;
  std::vector<std::pair<SharedIndexInformer*, RegistrationPtr>> registrations_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> reconciles_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  bool started_ = false, stopped_ = false;
};

}  // namespace kcx::runtime
