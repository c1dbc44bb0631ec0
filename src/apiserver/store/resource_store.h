#pragma once

// ResourceStore: the in-memory state of one resource type (e.g. core/v1 configmaps), its
// bounded watch history, and its watchers. Reads, lists and watches are served from here;
// the durable Backend (storage/backend.h) only ever receives writes.
//
// Write protocol (see docs/apiserver-design.md):
//   1. A handler reads the current record (Get), computes the new object outside any lock.
//   2. Write() runs the caller's `prepare` function under the store's lock against the newest
//      state, *including writes not yet durable* ("pending"), so optimistic concurrency sees
//      every earlier write. `prepare` checks preconditions and produces the new record.
//   3. The global Sequencer assigns the resourceVersion and hands the mutation to the backend.
//   4. When the backend reports the write durable, the record is promoted: it becomes visible
//      to Get/List, enters the history and is dispatched to watchers, and `done` runs.
// In memory mode (no backend) steps 3 and 4 happen inline.
//
// Threading: every public method is thread-safe. Watcher callbacks are documented on Watcher.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "api/label_selector.h"
#include "common/status.h"

namespace kcx::apiserver {

class Sequencer;

// One stored object version. Immutable once created; shared by the map, history and watchers.
struct Record {
  std::string key;   // "namespace/name", or "name" for cluster-scoped types
  std::string json;  // the full serialized object, resourceVersion included
  uint64_t rv = 0;
  std::string ns;
  std::string name;
  api::LabelSet labels;
  std::vector<std::string> fields;  // values of the type's field labels, in ResourceInfo order
};
using RecordPtr = std::shared_ptr<const Record>;

enum class EventType { kAdded, kModified, kDeleted, kBookmark, kError };
std::string_view EventTypeName(EventType t);

// A committed change. For a delete, `obj` is the last state re-stamped with the delete's rv.
struct Event {
  EventType type;
  RecordPtr obj;
  RecordPtr prev;  // the state before this event; null for an add
  uint64_t rv;
};
using EventPtr = std::shared_ptr<const Event>;

// What a watcher receives: a change already translated for its selectors.
struct WatchItem {
  EventType type;
  RecordPtr obj;            // null for bookmarks and errors
  uint64_t rv = 0;          // for a DELETED caused by a selector transition: the event's rv,
                            // which differs from obj->rv (the object must be re-stamped)
  std::string raw;          // bookmark / error: the complete object JSON
};

// A filter on records: namespace, label selector and field selector of one watch or list.
struct RecordFilter {
  std::optional<std::string> ns;  // only this namespace
  std::optional<std::string> name;
  std::function<bool(const Record&)> extra;  // label/field selectors; empty = everything
  bool Matches(const Record& r) const;
};

// A registered watch. The store pushes items under its lock; the HTTP layer drains them.
class Watcher {
 public:
  Watcher(RecordFilter filter, uint64_t min_rv, size_t max_queued_bytes);

  // Sets the wake-up callback, called (from the writer's thread, possibly under the store
  // lock: it must only post work elsewhere) when the queue becomes non-empty or the watcher
  // is closed.
  void SetWakeup(std::function<void()> wake);
  // Takes everything queued so far. Thread-safe.
  std::vector<WatchItem> Drain();
  // True once the store dropped this watcher (too slow, or server shutdown); Drain still
  // returns what was queued before.
  bool Closed() const;
  std::string CloseReason() const;
  void Close(std::string reason);

  const RecordFilter& filter() const { return filter_; }
  uint64_t min_rv() const { return min_rv_; }
  // Set before registering: the client asked for periodic bookmarks.
  bool allow_bookmarks = false;

  // Store side: queue one item; closes the watcher if the backlog exceeds the limit.
  void Push(WatchItem item);

 private:
  RecordFilter filter_;
  uint64_t min_rv_;
  size_t max_queued_bytes_;
  mutable std::mutex mu_;
  std::vector<WatchItem> queue_;
  size_t queued_bytes_ = 0;
  bool closed_ = false;
  std::string close_reason_;
  std::function<void()> wake_;
};
using WatcherPtr = std::shared_ptr<Watcher>;

struct ListResult {
  std::vector<RecordPtr> items;
  uint64_t rv = 0;                  // the resourceVersion the list is consistent at
  std::optional<std::string> next;  // key to continue from, if the list was cut by `limit`
  int64_t remaining = -1;           // items after this page, when cheaply known; else -1
};

// What `prepare` returns: the new object (already serialized by `serialize`, which receives
// the assigned resourceVersion), or a deletion.
struct WriteIntent {
  bool is_delete = false;
  // Builds the final record for the assigned rv. Runs under the store lock: keep it cheap
  // (set metadata.resourceVersion, serialize). For a delete it builds the object's last state
  // as watchers see it in the DELETED event (stamped with the delete's resourceVersion).
  std::function<Record(uint64_t rv)> build;
};

class ResourceStore {
 public:
  ResourceStore(std::string resource_key_prefix, Sequencer* seq, size_t history_limit);

  // Loading (startup only, before serving).
  void LoadRecord(RecordPtr r);
  void FinishLoad(uint64_t current_rv);

  // The committed state of one key; NotFound if absent.
  RecordPtr Get(const std::string& key) const;
  // The newest state including not-yet-durable writes (used by writers for optimistic
  // concurrency and retries).
  RecordPtr GetLatest(const std::string& key) const;

  // Lists committed objects. rv == 0: the newest state. rv > 0: the state exactly at rv,
  // served from history (Expired if rv is older than the history). Starts at `start_key`
  // (inclusive) in key order; limit 0 = no limit.
  Result<ListResult> List(const RecordFilter& filter, uint64_t rv, const std::string& start_key,
                          size_t limit) const;

  // Runs `prepare(current_latest)` under the lock; a non-ok result aborts the write. Otherwise
  // commits and calls `done` once the write is durable and visible (or failed). `done` may run
  // inline on this thread (memory mode) or on the commit thread; it must not call back into
  // this store synchronously... it may, the lock is released before `done` runs.
  void Write(const std::string& key,
             const std::function<Result<WriteIntent>(const RecordPtr& current)>& prepare,
             std::function<void(Result<RecordPtr>)> done);

  // Registers a watcher. `initial`: first queue ADDED for every matching object (rv 0 / ""
  // watches), and, if `initial_end_bookmark` is set, then that bookmark JSON. Otherwise
  // replays history after `from_rv`; Gone if `from_rv` is older than the history.
  Status Watch(const WatcherPtr& w, bool initial, uint64_t from_rv,
               const std::function<std::string(uint64_t rv)>& initial_end_bookmark);
  void Unwatch(const WatcherPtr& w);
  // Queues a bookmark (built by `make` from the store's current rv) to every watcher that
  // asked for bookmarks. Called periodically.
  void Bookmark(const std::function<bool(const Watcher&)>& wants,
                const std::function<std::string(uint64_t rv)>& make);
  void CloseAllWatchers(const std::string& reason);

  size_t Size() const;
  // The newest resourceVersion visible to readers (global across resources).
  uint64_t CurrentRv() const;
  // Oldest rv a watch or exact list can start from.
  uint64_t HistoryStartRv() const;
  const std::string& prefix() const { return prefix_; }

  // Called by the Sequencer when a write became durable (or failed). Internal.
  void Promote(const RecordPtr& rec, bool is_delete, const std::string& key, uint64_t rv);
  void AbortPending(const std::string& key, uint64_t rv);

 private:
  struct Slot {
    RecordPtr committed;
    RecordPtr pending;  // newest not-yet-durable state; tombstone if pending_delete
    uint64_t pending_rv = 0;
    bool pending_delete = false;
  };
  void DispatchLocked(const EventPtr& e);
  void PushForWatcher(Watcher& w, const EventPtr& e);

  std::string prefix_;
  Sequencer* seq_;
  size_t history_limit_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Slot, std::less<>> slots_;
  size_t committed_count_ = 0;
  std::deque<EventPtr> history_;
  uint64_t history_start_rv_ = 0;
  std::vector<WatcherPtr> watchers_;
};

// Assigns resourceVersions from one global counter and feeds writes to the durable backend in
// rv order. Without a backend (memory mode), promotes inline.
class Sequencer {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    // Persist one mutation durably; `done` runs once, in submit order, after it is durable.
    virtual void Submit(const std::string& storage_key, uint64_t rv, const std::string* value,
                        std::function<void(Status)> done) = 0;
  };
  explicit Sequencer(Sink* sink) : sink_(sink) {}

  void SetCurrent(uint64_t rv);
  // The highest rv whose write is visible to readers.
  uint64_t Current() const;
  // Fails every write from now on (after a durable commit failed).
  void Poison(Status why);
  Status Poisoned() const;

  // Called by ResourceStore::Write under the store's lock.
  uint64_t Next();
  bool durable() const { return sink_ != nullptr; }
  Sink* sink() const { return sink_; }
  void MarkVisible(uint64_t rv);

 private:
  Sink* sink_;
  std::atomic<uint64_t> next_{0};
  std::atomic<uint64_t> visible_{0};
  mutable std::mutex mu_;
  Status poisoned_;
  std::atomic<bool> is_poisoned_{false};

  friend class ResourceStore;
  std::mutex submit_mu_;  // keeps Next()+Submit in rv order
};

}  // namespace kcx::apiserver
