#pragma once

// SharedIndexInformer: a cached, watched view of one resource (client-go's
// SharedIndexInformer), with event handlers that can be added and removed at runtime
// (client-go PR 111122 and follow-ups; /work/shared/reference/runtime-anchors.md section A).
//
// Reflector (one thread per informer):
//   - lists in pages (limit 500 by default, continue tokens), then watches from the list's
//     resourceVersion with bookmarks on and a random timeout of 5–10 minutes;
//   - 410 Gone (on watch start or as an ERROR event) relists; any other failure backs off
//     (800 ms doubling to 30 s, reset after 2 minutes of health) and resumes the watch from the
//     last resourceVersion seen, without relisting;
//   - a relist never holds two full copies of the cache: every listed object whose
//     resourceVersion equals the cached one reuses the cached snapshot, and pages are decoded
//     one at a time.
// Handlers (one thread and one unbounded buffer each, so a slow handler never blocks the
// reflector or the others; each handler sees one event at a time, in order):
//   - AddEventHandler returns a registration; it fails on a stopped informer;
//   - a handler added to a running informer first gets the cache as adds flagged
//     is_in_initial_list; registration->HasSynced() is true once the informer has synced
//     and every initial add was delivered to that handler;
//   - RemoveEventHandler is idempotent and thread-safe: no notification starts after it
//     returns, buffered ones are dropped, a running callback may finish;
//     ShutDownEventHandler also waits for the handler's thread to end (called from inside
//     the handler it returns an error instead of deadlocking);
//   - per-handler resync periods re-deliver the cache as updates (old == new);
//   - the informer keeps running with zero handlers.
//
// Threading: all public methods are thread-safe. Handler callbacks run on the handler's own
// thread, never concurrently with themselves.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/rest_client.h"
#include "common/clock.h"
#include "runtime/object.h"
#include "runtime/store.h"

namespace kcx::runtime {

class ResourceEventHandler {
 public:
  virtual ~ResourceEventHandler() = default;
  virtual void OnAdd(const ObjectPtr& obj, bool is_in_initial_list) = 0;
  virtual void OnUpdate(const ObjectPtr& old_obj, const ObjectPtr& new_obj) = 0;
  // The last state the informer knew (after a relist this may be older than the deletion).
  virtual void OnDelete(const ObjectPtr& obj) = 0;
};

// A handler made of functions; unset ones do nothing.
struct FuncHandler : ResourceEventHandler {
  std::function<void(const ObjectPtr&, bool)> on_add;
  std::function<void(const ObjectPtr&, const ObjectPtr&)> on_update;
  std::function<void(const ObjectPtr&)> on_delete;
  void OnAdd(const ObjectPtr& o, bool initial) override {
    if (on_add) on_add(o, initial);
  }
  void OnUpdate(const ObjectPtr& a, const ObjectPtr& b) override {
    if (on_update) on_update(a, b);
  }
  void OnDelete(const ObjectPtr& o) override {
    if (on_delete) on_delete(o);
  }
};

// The handle AddEventHandler returns.
class HandlerRegistration {
 public:
  virtual ~HandlerRegistration() = default;
  // The informer has synced and every initial add has been delivered to this handler.
  virtual bool HasSynced() const = 0;
};
using RegistrationPtr = std::shared_ptr<HandlerRegistration>;

struct InformerOptions {
  // Collection path: "/api/v1/configmaps" (all namespaces) or
  // "/api/v1/namespaces/ns/configmaps", "/apis/apps/v1/deployments".
  std::string path;
  std::string label_selector, field_selector;
  int page_size = 500;
  Clock* clock = nullptr;  // default RealClock()
  // Watch timeout range (seconds); tests shorten it.
  int min_watch_timeout_s = 300, max_watch_timeout_s = 600;
};

class SharedIndexInformer {
 public:
  SharedIndexInformer(client::RestClient* client, InformerOptions opts);
  ~SharedIndexInformer();

  // Starts the reflector (returns immediately). Idempotent.
  void Run();
  // Stops the reflector and every handler; the informer cannot be restarted.
  void Stop();
  bool IsStopped() const;
  // The first list has been stored.
  bool HasSynced() const;
  // Blocks until HasSynced or the timeout; false on timeout or stop.
  bool WaitForCacheSync(std::chrono::milliseconds timeout) const;

  Result<RegistrationPtr> AddEventHandler(std::shared_ptr<ResourceEventHandler> handler,
                                          std::chrono::nanoseconds resync = {});
  Status RemoveEventHandler(const RegistrationPtr& reg);
  // RemoveEventHandler, then waits until the handler's callback in progress has returned.
  Status ShutDownEventHandler(const RegistrationPtr& reg);

  const Indexer& GetIndexer() const { return indexer_; }
  Indexer& GetIndexer() { return indexer_; }
  std::string LastSyncResourceVersion() const;
  // Counters for tests and metrics.
  int lists() const { return lists_.load(); }
  int watches() const { return watches_.load(); }

 private:
  class Listener;
  struct Notification;

  void ReflectorLoop();
  // Lists (if needed) and watches until an error or stop. Returns true if the failure
  // requires a relist.
  Status ListAndWatch(bool* relist);
  Status List();
  Status Watch(bool* relist);
  void Distribute(const Notification& n);
  void ResyncLoop();
  bool WaitFor(std::chrono::nanoseconds d);  // false if stopped meanwhile

  client::RestClient* client_;
  InformerOptions opts_;
  Clock& clock_;
  Indexer indexer_;
  // Shared with registrations, which may outlive the informer.
  std::shared_ptr<std::atomic<bool>> synced_flag_;

  std::mutex deltas_mu_;  // store changes + distribution vs. handler add/remove
  std::vector<std::shared_ptr<Listener>> listeners_;  // guarded by deltas_mu_

  mutable std::mutex mu_;  // guards the fields below
  mutable std::condition_variable_any cv_;
  bool started_ = false, stopped_ = false;
  std::string rv_;
  std::unique_ptr<client::WatchStream> stream_;  // the current watch (Close() on stop)
  std::thread reflector_, resyncer_;

  std::atomic<int> lists_{0}, watches_{0};
};

}  // namespace kcx::runtime
