#include "apiserver/gc/garbage_collector.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "api/json.h"
#include "apiserver/gc/deletion_policy.h"
#include "apiserver/gc/graph.h"
#include "apiserver/rest/api_registry.h"
#include "apiserver/rest/rest_handler.h"
#include "common/log.h"

namespace kcx::apiserver::gc {

namespace json = boost::json;

// Named, not anonymous: members of the Impl below use these types (-Wsubobject-linkage
// in unity builds).
namespace gc_detail {

enum class TaskKind { kAttemptToDelete, kAttemptToOrphan };

struct Task {
  TaskKind kind;
  std::string uid;
};

// Whether a write's outcome means "done" (including: the object is gone or was replaced, which
// the uid precondition reports as a conflict) rather than "try again later".
bool Settled(const Response& r) {
  if (r.code >= 200 && r.code < 300)
    return true;
  if (r.code == 404)
    return true;
  if (r.code == 409 && r.body.find("Precondition failed: UID") != std::string::npos)
    return true;
  // 422: the object cannot take the change (a bug elsewhere or an invalid stored object);
  // retrying would loop forever.
  if (r.code == 422)
    return true;
  return false;
}

std::string OwnerKindKey(std::string_view api_version, std::string_view kind) {
  std::string k(api_version);
  k += '|';
  k += kind;
  return k;
}

std::string GroupOf(std::string_view api_version) {
  auto p = api_version.find('/');
  return p == std::string_view::npos ? std::string() : std::string(api_version.substr(0, p));
}

}  // namespace gc_detail
using namespace gc_detail;

// State shared with write completions, which may outlive a stopped worker.
struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  bool signaled = false;
  bool stopping = false;
  std::vector<ResourceEntry*> adds;
  std::vector<ResourceEntry*> removes;
  uint64_t removes_requested = 0;
  uint64_t removes_done = 0;
  std::vector<Task> failed;  // writes to retry
  GcStats stats;

  void Signal() {
    std::lock_guard l(mu);
    signaled = true;
    cv.notify_all();
  }
  void Fail(Task t) {
    std::lock_guard l(mu);
    failed.push_back(std::move(t));
    ++stats.retries;
    signaled = true;
    cv.notify_all();
  }
};

struct GarbageCollector::Impl {
  RestHandler* handler;
  Clock* clock;
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::thread worker;
  bool started = false;

  // Worker-thread state.
  struct Watched {
    ResourceEntry* entry;
    WatcherPtr watcher;
  };
  std::vector<Watched> watched;
  std::unordered_map<std::string, ResourceEntry*> by_kind;        // "apps/v1|Deployment"
  std::unordered_map<std::string, ResourceEntry*> by_group_kind;  // "apps|Deployment"
  Graph graph;
  std::deque<std::string> attempt_q, orphan_q;
  std::unordered_set<std::string> attempt_set, orphan_set;
  std::multimap<Clock::MonoTime, Task> retries;
  std::unordered_map<std::string, int> backoff;  // uid → consecutive failures
  std::unordered_set<std::string> unresolved;    // items naming owner kinds not served (yet)

  // Owner lookups of one pass, by record identity: 10,000 dependents of one owner parse it once.
  struct OwnerInfo {
    RecordPtr rec;
    MetaSummary meta;
  };
  std::unordered_map<const Record*, OwnerInfo> owner_cache;

  void Enqueue(TaskKind k, const std::string& uid) {
    if (k == TaskKind::kAttemptToDelete) {
      if (attempt_set.insert(uid).second)
        attempt_q.push_back(uid);
    } else {
      if (orphan_set.insert(uid).second)
        orphan_q.push_back(uid);
    }
  }
  void EnqueueWork(GraphWork& w) {
    for (auto& u : w.attempt_to_delete)
      Enqueue(TaskKind::kAttemptToDelete, u);
    for (auto& u : w.attempt_to_orphan)
      Enqueue(TaskKind::kAttemptToOrphan, u);
    w.attempt_to_delete.clear();
    w.attempt_to_orphan.clear();
  }

  void Run() {
    std::unique_lock l(shared->mu);
    while (true) {
      auto timeout = std::chrono::milliseconds(1000);
      if (!retries.empty()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(retries.begin()->first -
                                                                          clock->Now());
        timeout = std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(100));
      }
      shared->cv.wait_for(l, timeout, [this] { return shared->stopping || shared->signaled; });
      if (shared->stopping)
        break;
      shared->signaled = false;
      auto adds = std::move(shared->adds);
      shared->adds.clear();
      auto removes = std::move(shared->removes);
      shared->removes.clear();
      auto failed = std::move(shared->failed);
      shared->failed.clear();
      l.unlock();

      for (ResourceEntry* e : removes)
        DoRemove(e);
      for (ResourceEntry* e : adds)
        DoAdd(e);
      auto now = clock->Now();
      for (Task& t : failed) {
        int& n = backoff[t.uid];
        n = std::min(n + 1, 7);
        retries.emplace(now + std::chrono::milliseconds(50 << n), std::move(t));
      }
      while (!retries.empty() && retries.begin()->first <= now) {
        Enqueue(retries.begin()->second.kind, retries.begin()->second.uid);
        retries.erase(retries.begin());
      }
      Drain();
      ProcessQueues();

      l.lock();
      if (!removes.empty()) {
        shared->removes_done += removes.size();
        shared->cv.notify_all();
      }
      if (!attempt_q.empty() || !orphan_q.empty())
        shared->signaled = true;
    }
    // Acknowledge removals asked for while stopping.
    shared->removes_done = shared->removes_requested;
    shared->cv.notify_all();
    l.unlock();
    for (auto& w : watched)
      w.entry->store->Unwatch(w.watcher);
  }

  void DoAdd(ResourceEntry* e) {
    for (auto& w : watched) {
      if (w.entry == e)
        return;
    }
    const ResourceInfo& info = *e->info;
    by_kind[OwnerKindKey(e->group_version, info.kind)] = e;
    by_group_kind.emplace(OwnerKindKey(info.group, info.kind), e);
    auto w = std::make_shared<Watcher>(RecordFilter{}, 0, /*max_queued_bytes=*/0);
    std::weak_ptr<Shared> weak = shared;
    // Runs on the writer's thread, possibly under the store lock: only signal.
    w->SetWakeup([weak] {
      if (auto s = weak.lock())
        s->Signal();
    });
    if (Status st = e->store->Watch(w, /*initial=*/true, 0, nullptr); !st.ok()) {
      log::Warn("gc: cannot watch {}: {}", e->qualified, st.message());
      return;
    }
    watched.push_back({e, std::move(w)});
    // Items that named this kind before it was served can be decided now.
    for (const auto& uid : unresolved)
      Enqueue(TaskKind::kAttemptToDelete, uid);
    unresolved.clear();
  }

  void DoRemove(ResourceEntry* e) {
    for (auto it = watched.begin(); it != watched.end(); ++it) {
      if (it->entry != e)
        continue;
      e->store->Unwatch(it->watcher);
      watched.erase(it);
      break;
    }
    for (auto it = by_kind.begin(); it != by_kind.end();) {
      it = it->second == e ? by_kind.erase(it) : std::next(it);
    }
    for (auto it = by_group_kind.begin(); it != by_group_kind.end();) {
      it = it->second == e ? by_group_kind.erase(it) : std::next(it);
    }
    for (auto& w : watched)
      by_group_kind.emplace(OwnerKindKey(w.entry->info->group, w.entry->info->kind), w.entry);
    graph.RemoveResource(e);
  }

  // Applies every queued watch event to the graph.
  void Drain() {
    GraphWork work;
    for (auto& w : watched) {
      std::vector<WatchItem> items = w.watcher->Drain();
      for (const WatchItem& it : items) {
        if (!it.obj)
          continue;
        const std::string& js = it.obj->json;
        // Most writes concern the collector not at all: a new object without owner references
        // or finalizers, or the deletion of an object when nothing has owners. Skip parsing
        // those (substring checks are conservative: a false hit only costs the parse).
        if (it.type == EventType::kAdded && js.find("\"ownerReferences\"") == std::string::npos &&
            js.find("\"finalizers\"") == std::string::npos) {
          continue;
        }
        if (it.type == EventType::kDeleted && graph.empty())
          continue;
        auto v = api::ParseJson(js);
        if (!v.ok() || !v->is_object())
          continue;
        MetaSummary m = SummarizeMeta(v->get_object());
        if (it.type == EventType::kDeleted) {
          graph.Remove(m.uid, work);
          backoff.erase(m.uid);
        } else if (it.type == EventType::kAdded || it.type == EventType::kModified) {
          graph.Upsert(w.entry, m, work);
        }
      }
    }
    EnqueueWork(work);
  }

  void ProcessQueues() {
    owner_cache.clear();
    // Orphaning first: an owner's dependents must lose their reference before anything could
    // decide to collect them as dependents of a deleted owner.
    while (!orphan_q.empty()) {
      std::string uid = std::move(orphan_q.front());
      orphan_q.pop_front();
      orphan_set.erase(uid);
      AttemptToOrphan(uid);
    }
    while (!attempt_q.empty()) {
      std::string uid = std::move(attempt_q.front());
      attempt_q.pop_front();
      attempt_set.erase(uid);
      AttemptToDelete(uid);
    }
    owner_cache.clear();
  }

  // The live state of a graph node: its record parsed, if it still is the object `uid`.
  bool Live(const std::string& uid, ResourceEntry** e, json::object* obj, MetaSummary* m) {
    const Graph::Node* n = graph.Find(uid);
    if (!n)
      return false;
    *e = const_cast<ResourceEntry*>(static_cast<const ResourceEntry*>(n->resource));
    RecordPtr rec = (*e)->store->GetLatest((*e)->Key(n->ns, n->name));
    if (!rec)
      return false;
    auto v = api::ParseJson(rec->json);
    if (!v.ok() || !v->is_object())
      return false;
    *obj = std::move(v->get_object());
    *m = SummarizeMeta(*obj);
    return m->uid == uid;
  }

  ResourceEntry* ResolveKind(const OwnerRef& r) {
    auto it = by_kind.find(OwnerKindKey(r.api_version, r.kind));
    if (it != by_kind.end())
      return it->second;
    // Another served version of the same group and kind: all versions share one store.
    auto g = by_group_kind.find(OwnerKindKey(GroupOf(r.api_version), r.kind));
    return g == by_group_kind.end() ? nullptr : g->second;
  }

  OwnerState Classify(const OwnerRef& r, const std::string& dependent_ns,
                      const std::string& dependent_uid) {
    ResourceEntry* oe = ResolveKind(r);
    if (!oe) {
      unresolved.insert(dependent_uid);
      return OwnerState::kUnresolvable;
    }
    // A cluster-scoped dependent cannot have a namespaced owner; kube leaves such objects
    // alone. A namespaced dependent's namespaced owner must be in the same namespace.
    if (oe->info->namespaced && dependent_ns.empty())
      return OwnerState::kUnresolvable;
    RecordPtr rec = oe->store->GetLatest(oe->Key(oe->info->namespaced ? dependent_ns : "", r.name));
    if (!rec)
      return OwnerState::kDangling;
    auto it = owner_cache.find(rec.get());
    if (it == owner_cache.end()) {
      auto v = api::ParseJson(rec->json);
      if (!v.ok() || !v->is_object())
        return OwnerState::kSolid;
      it = owner_cache.emplace(rec.get(), OwnerInfo{rec, SummarizeMeta(v->get_object())}).first;
    }
    const MetaSummary& om = it->second.meta;
    if (om.uid != r.uid)
      return OwnerState::kDangling;
    if (om.DeletingDependents())
      return OwnerState::kWaiting;
    return OwnerState::kSolid;
  }

  void AttemptToDelete(const std::string& uid) {
    ResourceEntry* e = nullptr;
    json::object obj;
    MetaSummary m;
    if (!Live(uid, &e, &obj, &m))
      return;
    if (m.deleting && !m.foreground_finalizer)
      return;  // being deleted already
    if (m.DeletingDependents())
      return ProcessDeletingDependents(e, m);
    if (m.owners.empty())
      return;
    std::vector<OwnerState> states;
    states.reserve(m.owners.size());
    for (const OwnerRef& r : m.owners)
      states.push_back(Classify(r, m.ns, m.uid));
    const auto* deps = graph.Dependents(uid);
    bool has_dependents = deps && !deps->empty();
    bool dep_deleting = false;
    if (has_dependents) {
      for (const auto& d : *deps) {
        const Graph::Node* dn = graph.Find(d);
        dep_deleting |= dn && dn->deleting_dependents;
      }
    }
    Decision d = DecideDependent(m, states, has_dependents, dep_deleting);
    switch (d.kind) {
      case Decision::kNone:
        return;
      case Decision::kRemoveRefs:
        return RemoveRefs(e, m, d.remove_uids);
      case Decision::kUnblockAndDeleteForeground:
        return UnblockThenDelete(e, m);
      case Decision::kDeleteForeground:
      case Decision::kDelete:
        return Delete(e, m, d.policy);
    }
  }

  void ProcessDeletingDependents(ResourceEntry* e, const MetaSummary& m) {
    std::vector<std::string> blocking = graph.BlockingDependents(m.uid);
    if (blocking.empty()) {
      return RemoveFinalizer(e, m, kFinalizerForeground, TaskKind::kAttemptToDelete);
    }
    for (const auto& dep : blocking) {
      const Graph::Node* dn = graph.Find(dep);
      if (dn && !dn->deleting_dependents)
        Enqueue(TaskKind::kAttemptToDelete, dep);
    }
  }

  void AttemptToOrphan(const std::string& uid) {
    ResourceEntry* e = nullptr;
    json::object obj;
    MetaSummary m;
    if (!Live(uid, &e, &obj, &m) || !m.Orphaning())
      return;
    std::vector<std::pair<ResourceEntry*, MetaSummary>> targets;
    if (const auto* deps = graph.Dependents(uid)) {
      for (const auto& d : *deps) {
        const Graph::Node* dn = graph.Find(d);
        if (!dn)
          continue;
        MetaSummary dm;
        dm.uid = d;
        dm.ns = dn->ns;
        dm.name = dn->name;
        targets.emplace_back(
            const_cast<ResourceEntry*>(static_cast<const ResourceEntry*>(dn->resource)),
            std::move(dm));
      }
    }
    if (targets.empty()) {
      return RemoveFinalizer(e, m, kFinalizerOrphan, TaskKind::kAttemptToOrphan);
    }
    // Remove the owner's reference from every dependent; once all are durable, the finalizer.
    struct Join {
      std::mutex mu;
      size_t left;
      bool failed = false;
    };
    auto join = std::make_shared<Join>();
    join->left = targets.size();
    auto shared_state = shared;
    RestHandler* h = handler;
    auto owner = std::make_shared<std::pair<ResourceEntry*, MetaSummary>>(e, m);
    {
      std::lock_guard l(shared->mu);
      shared->stats.ref_patches += targets.size();
    }
    for (auto& [de, dm] : targets) {
      std::vector<std::string> remove{uid};
      PatchRefs(de, dm, remove, /*unblock=*/false, [join, shared_state, h, owner, uid](Response r) {
        bool last, failed;
        {
          std::lock_guard l(join->mu);
          if (!Settled(r))
            join->failed = true;
          last = --join->left == 0;
          failed = join->failed;
        }
        if (!last)
          return;
        if (failed)
          return shared_state->Fail({TaskKind::kAttemptToOrphan, uid});
        RemoveFinalizerWith(h, shared_state, owner->first, owner->second, kFinalizerOrphan,
                            TaskKind::kAttemptToOrphan);
      });
    }
  }

  // Updates a dependent's ownerReferences: drops `remove` uids, or (unblock) sets every
  // blockOwnerDeletion to false. The dependent's uid acts as a precondition.
  void PatchRefs(ResourceEntry* e, const MetaSummary& m, std::vector<std::string> remove,
                 bool unblock, Responder done) {
    std::string uid = m.uid;
    handler->UpdateObject(
        e, m.ns, m.name, "",
        [uid, remove = std::move(remove), unblock](json::object& obj) -> Status {
          json::object& meta = api::EnsureObject(obj, "metadata");
          if (api::GetString(meta, "uid") != uid)
            return NotFound("object was replaced");
          json::array* refs =
              meta.if_contains("ownerReferences") ? meta["ownerReferences"].if_array() : nullptr;
          if (!refs)
            return Status::Ok();
          json::array kept;
          for (auto& r : *refs) {
            json::object* o = r.if_object();
            if (!o)
              continue;
            std::string_view ruid = api::GetString(*o, "uid");
            if (std::find(remove.begin(), remove.end(), ruid) != remove.end())
              continue;
            if (unblock && o->contains("blockOwnerDeletion") &&
                (*o)["blockOwnerDeletion"] == true) {
              (*o)["blockOwnerDeletion"] = false;
            }
            kept.push_back(std::move(r));
          }
          if (kept.empty()) {
            meta.erase("ownerReferences");
          } else {
            *refs = std::move(kept);
          }
          return Status::Ok();
        },
        std::move(done));
  }

  void RemoveRefs(ResourceEntry* e, const MetaSummary& m, std::vector<std::string> remove) {
    {
      std::lock_guard l(shared->mu);
      ++shared->stats.ref_patches;
    }
    auto s = shared;
    std::string uid = m.uid;
    PatchRefs(e, m, std::move(remove), false, [s, uid](Response r) {
      if (!Settled(r))
        s->Fail({TaskKind::kAttemptToDelete, uid});
    });
  }

  void UnblockThenDelete(ResourceEntry* e, const MetaSummary& m) {
    {
      std::lock_guard l(shared->mu);
      ++shared->stats.ref_patches;
    }
    auto s = shared;
    RestHandler* h = handler;
    auto mm = std::make_shared<MetaSummary>(m);
    PatchRefs(e, m, {}, true, [s, h, e, mm](Response r) {
      if (!Settled(r))
        return s->Fail({TaskKind::kAttemptToDelete, mm->uid});
      if (r.code != 200)
        return;  // gone
      DeleteWith(h, s, e, *mm, "Foreground");
    });
  }

  void Delete(ResourceEntry* e, const MetaSummary& m, const std::string& policy) {
    DeleteWith(handler, shared, e, m, policy);
  }

  static void DeleteWith(RestHandler* h, const std::shared_ptr<Shared>& s, ResourceEntry* e,
                         const MetaSummary& m, const std::string& policy) {
    {
      std::lock_guard l(s->mu);
      ++s->stats.deletes;
    }
    DeleteOptions o;
    o.propagation_policy = policy;
    o.precondition_uid = m.uid;
    std::string uid = m.uid;
    h->DeleteObject(e, m.ns, m.name, o, [s, uid](Response r) {
      if (!Settled(r))
        s->Fail({TaskKind::kAttemptToDelete, uid});
    });
  }

  void RemoveFinalizer(ResourceEntry* e, const MetaSummary& m, std::string_view finalizer,
                       TaskKind retry_as) {
    RemoveFinalizerWith(handler, shared, e, m, finalizer, retry_as);
  }

  static void RemoveFinalizerWith(RestHandler* h, const std::shared_ptr<Shared>& s,
                                  ResourceEntry* e, const MetaSummary& m,
                                  std::string_view finalizer, TaskKind retry_as) {
    {
      std::lock_guard l(s->mu);
      ++s->stats.finalizers_removed;
    }
    std::string uid = m.uid;
    std::string fin(finalizer);
    h->UpdateObject(
        e, m.ns, m.name, "",
        [uid, fin](json::object& obj) -> Status {
          json::object& meta = api::EnsureObject(obj, "metadata");
          if (api::GetString(meta, "uid") != uid)
            return NotFound("object was replaced");
          json::array* f = meta.if_contains("finalizers") ? meta["finalizers"].if_array() : nullptr;
          if (!f)
            return Status::Ok();
          json::array kept;
          for (auto& x : *f) {
            if (!x.is_string() || x.get_string() != fin)
              kept.push_back(std::move(x));
          }
          if (kept.empty()) {
            meta.erase("finalizers");
          } else {
            *f = std::move(kept);
          }
          return Status::Ok();
        },
        [s, uid, retry_as](Response r) {
          if (!Settled(r))
            s->Fail({retry_as, uid});
        });
  }
};

GarbageCollector::GarbageCollector(RestHandler* handler, Clock* clock)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = handler;
  impl_->clock = clock;
}

GarbageCollector::~GarbageCollector() { Stop(); }

void GarbageCollector::AddResource(ResourceEntry* e) {
  std::lock_guard l(impl_->shared->mu);
  impl_->shared->adds.push_back(e);
  impl_->shared->signaled = true;
  impl_->shared->cv.notify_all();
}

void GarbageCollector::RemoveResource(ResourceEntry* e) {
  Shared& s = *impl_->shared;
  std::unique_lock l(s.mu);
  std::erase(s.adds, e);
  if (!impl_->started || s.stopping) {
    l.unlock();
    // The worker is not running: nothing else touches the worker state.
    if (!impl_->worker.joinable())
      impl_->DoRemove(e);
    return;
  }
  s.removes.push_back(e);
  uint64_t ticket = ++s.removes_requested;
  s.signaled = true;
  s.cv.notify_all();
  s.cv.wait(l, [&] { return s.removes_done >= ticket; });
}

void GarbageCollector::Start() {
  if (impl_->started)
    return;
  impl_->started = true;
  impl_->worker = std::thread([this] { impl_->Run(); });
}

void GarbageCollector::Stop() {
  {
    std::lock_guard l(impl_->shared->mu);
    impl_->shared->stopping = true;
    impl_->shared->cv.notify_all();
  }
  if (impl_->worker.joinable())
    impl_->worker.join();
}

GcStats GarbageCollector::stats() const {
  std::lock_guard l(impl_->shared->mu);
  return impl_->shared->stats;
}

}  // namespace kcx::apiserver::gc
