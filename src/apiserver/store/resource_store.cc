#include "apiserver/store/resource_store.h"

#include <algorithm>

namespace kcx::apiserver {

std::string_view EventTypeName(EventType t) {
  switch (t) {
    case EventType::kAdded: return "ADDED";
    case EventType::kModified: return "MODIFIED";
    case EventType::kDeleted: return "DELETED";
    case EventType::kBookmark: return "BOOKMARK";
    case EventType::kError: return "ERROR";
  }
  return "ERROR";
}

bool RecordFilter::Matches(const Record& r) const {
  if (ns && r.ns != *ns) return false;
  if (name && r.name != *name) return false;
  return !extra || extra(r);
}

// ---------------------------------------------------------------------------------------------
// Watcher

Watcher::Watcher(RecordFilter filter, uint64_t min_rv, size_t max_queued_bytes)
    : filter_(std::move(filter)), min_rv_(min_rv), max_queued_bytes_(max_queued_bytes) {}

void Watcher::SetWakeup(std::function<void()> wake) {
  bool fire;
  {
    std::lock_guard l(mu_);
    wake_ = std::move(wake);
    fire = !queue_.empty() || closed_;
  }
  if (fire && wake_) wake_();
}

std::vector<WatchItem> Watcher::Drain() {
  std::lock_guard l(mu_);
  std::vector<WatchItem> out;
  out.swap(queue_);
  queued_bytes_ = 0;
  return out;
}

bool Watcher::Closed() const {
  std::lock_guard l(mu_);
  return closed_;
}

std::string Watcher::CloseReason() const {
  std::lock_guard l(mu_);
  return close_reason_;
}

void Watcher::Close(std::string reason) {
  std::function<void()> wake;
  {
    std::lock_guard l(mu_);
    if (closed_) return;
    closed_ = true;
    close_reason_ = std::move(reason);
    wake = wake_;
  }
  if (wake) wake();
}

void Watcher::Push(WatchItem item) {
  std::function<void()> wake;
  bool overflow = false;
  {
    std::lock_guard l(mu_);
    if (closed_) return;
    bool was_empty = queue_.empty();
    queued_bytes_ += item.obj ? item.obj->json.size() : item.raw.size();
    queue_.push_back(std::move(item));
    if (max_queued_bytes_ && queued_bytes_ > max_queued_bytes_) {
      overflow = true;
    } else if (was_empty) {
      wake = wake_;
    }
  }
  if (overflow) {
    // As kube-apiserver's cacher does with a watcher that cannot keep up: end the watch; the
    // client re-establishes it from its last resourceVersion.
    Close("watcher is too slow: its backlog exceeded the limit");
    return;
  }
  if (wake) wake();
}

// ---------------------------------------------------------------------------------------------
// Sequencer

void Sequencer::SetCurrent(uint64_t rv) {
  next_.store(rv);
  visible_.store(rv);
}

uint64_t Sequencer::Current() const { return visible_.load(std::memory_order_acquire); }

uint64_t Sequencer::Next() { return next_.fetch_add(1) + 1; }

void Sequencer::MarkVisible(uint64_t rv) {
  uint64_t cur = visible_.load();
  while (cur < rv && !visible_.compare_exchange_weak(cur, rv)) {
  }
}

void Sequencer::Poison(Status why) {
  std::lock_guard l(mu_);
  if (is_poisoned_) return;
  poisoned_ = std::move(why);
  is_poisoned_ = true;
}

Status Sequencer::Poisoned() const {
  if (!is_poisoned_.load()) return Status::Ok();
  std::lock_guard l(mu_);
  return poisoned_;
}

// ---------------------------------------------------------------------------------------------
// ResourceStore

ResourceStore::ResourceStore(std::string prefix, Sequencer* seq, size_t history_limit)
    : prefix_(std::move(prefix)), seq_(seq), history_limit_(std::max<size_t>(history_limit, 1)) {}

void ResourceStore::LoadRecord(RecordPtr r) {
  std::unique_lock l(mu_);
  Slot& s = slots_[r->key];
  if (!s.committed) ++committed_count_;
  s.committed = std::move(r);
}

void ResourceStore::FinishLoad(uint64_t current_rv) {
  std::unique_lock l(mu_);
  history_start_rv_ = current_rv;
}

RecordPtr ResourceStore::Get(const std::string& key) const {
  std::shared_lock l(mu_);
  auto it = slots_.find(key);
  return it == slots_.end() ? nullptr : it->second.committed;
}

RecordPtr ResourceStore::GetLatest(const std::string& key) const {
  std::shared_lock l(mu_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return nullptr;
  if (it->second.pending_rv) return it->second.pending;  // null if a delete is pending
  return it->second.committed;
}

size_t ResourceStore::Size() const {
  std::shared_lock l(mu_);
  return committed_count_;
}

uint64_t ResourceStore::CurrentRv() const { return seq_->Current(); }

uint64_t ResourceStore::HistoryStartRv() const {
  std::shared_lock l(mu_);
  return history_start_rv_;
}

Result<ListResult> ResourceStore::List(const RecordFilter& filter, uint64_t rv,
                                       const std::string& start_key, size_t limit) const {
  std::shared_lock l(mu_);
  ListResult out;
  uint64_t current = seq_->Current();
  out.rv = rv ? rv : current;

  // Keys changed after `rv` map to their state as of `rv` (null: did not exist then).
  std::map<std::string_view, RecordPtr> overlay;
  if (rv && rv < current) {
    if (rv < history_start_rv_) {
      return Expired("too old resource version: " + std::to_string(rv) + " (" +
                     std::to_string(history_start_rv_) + ")");
    }
    for (auto it = history_.rbegin(); it != history_.rend() && (*it)->rv > rv; ++it) {
      const Event& e = **it;
      const std::string& key = e.obj ? e.obj->key : e.prev->key;
      overlay[key] = e.prev;  // oldest-after-rv wins, since we walk newest to oldest
    }
  }

  // Fast path: name-restricted lists touch one key.
  auto consider = [&](const RecordPtr& r) -> bool {  // returns false to stop
    if (!r || !filter.Matches(*r)) return true;
    if (limit && out.items.size() == limit) {
      out.next = r->key;
      return false;
    }
    out.items.push_back(r);
    return true;
  };

  auto sit = start_key.empty() ? slots_.begin() : slots_.lower_bound(start_key);
  if (filter.ns && start_key.empty() && filter.ns->size()) {
    sit = slots_.lower_bound(*filter.ns + "/");
  }
  auto oit = start_key.empty() ? overlay.begin() : overlay.lower_bound(start_key);
  if (filter.ns && start_key.empty() && filter.ns->size()) {
    oit = overlay.lower_bound(*filter.ns + "/");
  }
  const std::string ns_prefix = filter.ns ? *filter.ns + "/" : std::string();
  auto past_ns = [&](std::string_view key) {
    return filter.ns && !filter.ns->empty() && key.compare(0, ns_prefix.size(), ns_prefix) != 0;
  };
  while (true) {
    bool s_ok = sit != slots_.end() && !past_ns(sit->first);
    bool o_ok = oit != overlay.end() && !past_ns(oit->first);
    if (!s_ok && !o_ok) break;
    bool keep;
    if (s_ok && (!o_ok || std::string_view(sit->first) < oit->first)) {
      keep = overlay.empty() || !overlay.count(sit->first) ? consider(sit->second.committed)
                                                           : true;
      ++sit;
    } else if (o_ok && (!s_ok || oit->first < std::string_view(sit->first))) {
      keep = consider(oit->second);
      ++oit;
    } else {  // same key in both: the overlay has the state as of rv
      keep = consider(oit->second);
      ++sit;
      ++oit;
    }
    if (!keep) break;
  }
  if (!out.next) {
    out.remaining = 0;
  } else if (overlay.empty() && !filter.extra && !filter.name) {
    // kube reports remainingItemCount for unfiltered paginated lists; count what is left.
    int64_t n = 0;
    for (auto it = slots_.find(*out.next); it != slots_.end() && !past_ns(it->first); ++it) {
      if (it->second.committed) ++n;
    }
    out.remaining = n;
  }
  return out;
}

void ResourceStore::Write(
    const std::string& key,
    const std::function<Result<WriteIntent>(const RecordPtr& current)>& prepare,
    std::function<void(Result<RecordPtr>)> done) {
  if (Status p = seq_->Poisoned(); !p.ok()) {
    done(Unavailable("storage failed; the server refuses writes: " + p.message()));
    return;
  }
  std::unique_lock l(mu_);
  auto it = slots_.find(key);
  RecordPtr current;
  if (it != slots_.end()) current = it->second.pending_rv ? it->second.pending
                                                          : it->second.committed;
  Result<WriteIntent> intent = prepare(current);
  if (!intent.ok()) {
    l.unlock();
    done(intent.status());
    return;
  }
  if (intent->is_delete && !current) {
    l.unlock();
    done(NotFound("not found"));
    return;
  }

  if (!seq_->durable()) {
    uint64_t rv = seq_->Next();
    RecordPtr rec;
    if (!intent->is_delete) rec = std::make_shared<Record>(intent->build(rv));
    Slot& s = slots_[key];
    auto ev = std::make_shared<Event>();
    ev->rv = rv;
    ev->prev = s.committed;
    if (intent->is_delete) {
      ev->type = EventType::kDeleted;
      std::shared_ptr<Record> tomb;
      if (intent->build) {
        tomb = std::make_shared<Record>(intent->build(rv));
      } else {
        tomb = std::make_shared<Record>(*s.committed);
      }
      tomb->rv = rv;
      ev->obj = std::move(tomb);
      slots_.erase(key);
      --committed_count_;
    } else {
      ev->type = s.committed ? EventType::kModified : EventType::kAdded;
      if (!s.committed) ++committed_count_;
      s.committed = rec;
      ev->obj = rec;
    }
    DispatchLocked(ev);
    seq_->MarkVisible(rv);
    l.unlock();
    if (intent->is_delete) {
      done(ev->obj);
    } else {
      done(rec);
    }
    return;
  }

  // Durable: record as pending, hand to the backend in rv order, promote when durable.
  std::unique_lock sl(seq_->submit_mu_);
  uint64_t rv = seq_->Next();
  RecordPtr rec;
  if (!intent->is_delete) rec = std::make_shared<Record>(intent->build(rv));
  Slot& s = slots_[key];
  s.pending = rec;
  s.pending_rv = rv;
  s.pending_delete = intent->is_delete;
  RecordPtr deleted_state;
  if (intent->is_delete) {
    std::shared_ptr<Record> tomb;
    if (intent->build) {
      tomb = std::make_shared<Record>(intent->build(rv));
    } else {
      tomb = std::make_shared<Record>(*current);
    }
    tomb->rv = rv;
    deleted_state = std::move(tomb);
  }
  std::string storage_key = prefix_ + key;
  seq_->sink()->Submit(
      storage_key, rv, rec ? &rec->json : nullptr,
      [this, key, rv, rec, deleted_state, done = std::move(done)](Status st) {
        if (!st.ok()) {
          seq_->Poison(st);
          AbortPending(key, rv);
          done(Unavailable("storage write failed: " + st.message()));
          return;
        }
        Promote(rec ? rec : deleted_state, !rec, key, rv);
        seq_->MarkVisible(rv);
        done(rec ? rec : deleted_state);
      });
}

void ResourceStore::Promote(const RecordPtr& rec, bool is_delete, const std::string& key,
                            uint64_t rv) {
  std::unique_lock l(mu_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return;  // cannot happen: the slot holds the pending write
  Slot& s = it->second;
  auto ev = std::make_shared<Event>();
  ev->rv = rv;
  ev->prev = s.committed;
  if (is_delete) {
    ev->type = EventType::kDeleted;
    ev->obj = rec;
    if (s.committed) --committed_count_;
    s.committed = nullptr;
  } else {
    ev->type = s.committed ? EventType::kModified : EventType::kAdded;
    if (!s.committed) ++committed_count_;
    s.committed = rec;
    ev->obj = rec;
  }
  if (s.pending_rv == rv) {
    s.pending = nullptr;
    s.pending_rv = 0;
    s.pending_delete = false;
  }
  if (!s.committed && !s.pending_rv) slots_.erase(it);
  DispatchLocked(ev);
}

void ResourceStore::AbortPending(const std::string& key, uint64_t rv) {
  std::unique_lock l(mu_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return;
  if (it->second.pending_rv == rv) {
    it->second.pending = nullptr;
    it->second.pending_rv = 0;
    it->second.pending_delete = false;
    if (!it->second.committed) slots_.erase(it);
  }
}

void ResourceStore::PushForWatcher(Watcher& w, const EventPtr& e) {
  if (e->rv <= w.min_rv()) return;
  const RecordFilter& f = w.filter();
  bool cur = e->type != EventType::kDeleted && f.Matches(*e->obj);
  bool old = e->prev && f.Matches(*e->prev);
  if (e->type == EventType::kDeleted) {
    if (f.Matches(*e->obj)) w.Push(WatchItem{EventType::kDeleted, e->obj, e->rv, {}});
    return;
  }
  if (cur && !old) {
    w.Push(WatchItem{EventType::kAdded, e->obj, e->rv, {}});
  } else if (cur && old) {
    w.Push(WatchItem{EventType::kModified, e->obj, e->rv, {}});
  } else if (!cur && old) {
    // As kube's cacher: the previous content, re-stamped with this event's resourceVersion.
    w.Push(WatchItem{EventType::kDeleted, e->prev, e->rv, {}});
  }
}

void ResourceStore::DispatchLocked(const EventPtr& e) {
  history_.push_back(e);
  while (history_.size() > history_limit_) {
    history_start_rv_ = history_.front()->rv;
    history_.pop_front();
  }
  bool prune = false;
  for (const WatcherPtr& w : watchers_) {
    PushForWatcher(*w, e);
    if (w->Closed()) prune = true;
  }
  if (prune) {
    std::erase_if(watchers_, [](const WatcherPtr& w) { return w->Closed(); });
  }
}

Status ResourceStore::Watch(const WatcherPtr& w, bool initial, uint64_t from_rv,
                            const std::function<std::string(uint64_t rv)>& initial_end_bookmark) {
  std::unique_lock l(mu_);
  if (initial) {
    for (const auto& [key, slot] : slots_) {
      if (slot.committed && w->filter().Matches(*slot.committed)) {
        w->Push(WatchItem{EventType::kAdded, slot.committed, slot.committed->rv, {}});
      }
    }
    if (initial_end_bookmark) {
      uint64_t rv = seq_->Current();
      w->Push(WatchItem{EventType::kBookmark, nullptr, rv, initial_end_bookmark(rv)});
    }
  } else {
    if (from_rv < history_start_rv_) {
      return Gone("too old resource version: " + std::to_string(from_rv) + " (" +
                  std::to_string(history_start_rv_) + ")");
    }
    auto it = std::upper_bound(history_.begin(), history_.end(), from_rv,
                               [](uint64_t rv, const EventPtr& e) { return rv < e->rv; });
    for (; it != history_.end(); ++it) PushForWatcher(*w, *it);
  }
  watchers_.push_back(w);
  return Status::Ok();
}

void ResourceStore::Unwatch(const WatcherPtr& w) {
  std::unique_lock l(mu_);
  std::erase(watchers_, w);
}

void ResourceStore::Bookmark(const std::function<bool(const Watcher&)>& wants,
                             const std::function<std::string(uint64_t rv)>& make) {
  std::unique_lock l(mu_);
  uint64_t rv = seq_->Current();
  std::string raw;
  for (const WatcherPtr& w : watchers_) {
    if (!wants(*w) || rv <= w->min_rv()) continue;
    if (raw.empty()) raw = make(rv);
    w->Push(WatchItem{EventType::kBookmark, nullptr, rv, raw});
  }
}

void ResourceStore::CloseAllWatchers(const std::string& reason) {
  std::vector<WatcherPtr> ws;
  {
    std::unique_lock l(mu_);
    ws.swap(watchers_);
  }
  for (auto& w : ws) w->Close(reason);
}

}  // namespace kcx::apiserver
