#pragma once

// A work queue with client-go's semantics (util/workqueue: Type, delaying and rate-limiting
// queues in one class):
//   - an item is never handed to two workers at once: Get() marks it processing until Done();
//   - an item added while it is processing is handed out again after Done();
//   - an item added several times before a worker gets it is handed out once (duplicates
//     collapse);
//   - AddAfter() delays an add (of several pending delays for one item, the earliest wins);
//   - AddRateLimited() delays by the rate limiter (default: client-go's controller limiter),
//     Forget() resets the item's backoff, NumRequeues() reports it;
//   - ShutDown() ignores further adds; Get() still hands out what is queued and returns
//     nullopt once the queue is empty (waiting workers wake up); ShutDownWithDrain() also
//     waits until every item handed out is Done.
//
// Thread-safe. Items are values (copyable, hashable); typically a "namespace/name" key or a
// reconcile request. Delayed adds are served by one background thread, started on first use.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "runtime/rate_limiter.h"

namespace kcx::runtime {

// Hooks for Prometheus-style queue metrics (depth, adds, queue latency, work duration,
// retries). Called with the queue's lock held: implementations must be quick and must not
// call back into the queue.
class WorkQueueMetrics {
 public:
  virtual ~WorkQueueMetrics() = default;
  virtual void OnAdd() {}
  virtual void OnDepth(size_t depth) { (void)depth; }
  virtual void OnGet(Duration waited) { (void)waited; }
  virtual void OnDone(Duration worked) { (void)worked; }
  virtual void OnRetry() {}
};

template <typename T, typename Hash = std::hash<T>>
class WorkQueue {
 public:
  struct Options {
    Clock* clock = nullptr;  // default: RealClock()
    std::unique_ptr<RateLimiter<T, Hash>> rate_limiter;  // default: controller limiter
    WorkQueueMetrics* metrics = nullptr;                 // optional, must outlive the queue
  };

  WorkQueue() : WorkQueue(Options{}) {}
  explicit WorkQueue(Options opts)
      : clock_(opts.clock ? *opts.clock : RealClock()),
        limiter_(opts.rate_limiter ? std::move(opts.rate_limiter)
                                   : DefaultControllerRateLimiter<T, Hash>(clock_)),
        metrics_(opts.metrics) {}

  ~WorkQueue() {
    ShutDown();
    std::thread t;
    {
      std::lock_guard l(mu_);
      t = std::move(delay_thread_);
    }
    if (t.joinable()) t.join();
  }

  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const T& item) {
    std::lock_guard l(mu_);
    AddLocked(item);
  }

  // Adds `item` after `delay` (now if delay <= 0).
  void AddAfter(const T& item, Duration delay) {
    std::unique_lock l(mu_);
    if (shutting_down_) return;
    if (metrics_) metrics_->OnRetry();
    if (delay <= Duration::zero()) {
      AddLocked(item);
      return;
    }
    auto ready = clock_.Now() + delay;
    auto [it, inserted] = waiting_.try_emplace(item, ready);
    if (!inserted) {
      if (it->second <= ready) return;  // already due earlier
      it->second = ready;
    }
    heap_.push(Delayed{ready, item});
    if (!delay_thread_.joinable()) {
      delay_thread_ = std::thread([this] { DelayLoop(); });
    }
    delay_cv_.notify_one();
  }

  void AddRateLimited(const T& item) { AddAfter(item, limiter_->When(item)); }
  void Forget(const T& item) { limiter_->Forget(item); }
  int NumRequeues(const T& item) { return limiter_->NumRequeues(item); }

  // Blocks until an item is available (returns it, now processing) or the queue shuts down
  // (returns nullopt).
  std::optional<T> Get() {
    std::unique_lock l(mu_);
    while (queue_.empty() && !shutting_down_) cv_.wait(l);
    if (queue_.empty()) return std::nullopt;
    T item = std::move(queue_.front());
    queue_.pop_front();
    auto it = states_.find(item);
    // Invariant: every queued item has a state with dirty set.
    it->second.dirty = false;
    it->second.processing = true;
    ++processing_;
    if (metrics_) {
      auto now = clock_.Now();
      metrics_->OnGet(now - it->second.since);
      it->second.since = now;
      metrics_->OnDepth(queue_.size());
    }
    return item;
  }

  // Marks `item` done; if it was added again meanwhile, it is queued again.
  void Done(const T& item) {
    std::lock_guard l(mu_);
    auto it = states_.find(item);
    if (it == states_.end() || !it->second.processing) return;
    it->second.processing = false;
    if (--processing_ == 0 && drain_) drained_cv_.notify_all();
    if (metrics_) metrics_->OnDone(clock_.Now() - it->second.since);
    if (it->second.dirty) {
      if (metrics_) it->second.since = clock_.Now();
      queue_.push_back(item);
      cv_.notify_one();
      if (metrics_) metrics_->OnDepth(queue_.size());
    } else {
      states_.erase(it);
    }
  }

  size_t Len() const {
    std::lock_guard l(mu_);
    return queue_.size();
  }

  // Stops the queue: adds (and pending delayed adds) are dropped; Get() hands out what is
  // already queued, then returns nullopt to waiting and future callers.
  void ShutDown() {
    std::lock_guard l(mu_);
    shutting_down_ = true;
    cv_.notify_all();
    delay_cv_.notify_all();
  }

  // Like ShutDown(), but first waits until every item handed out is Done. Workers must keep
  // calling Done; calling this from a worker that holds an item deadlocks.
  void ShutDownWithDrain() {
    std::unique_lock l(mu_);
    drain_ = true;
    shutting_down_ = true;
    cv_.notify_all();
    delay_cv_.notify_all();
    drained_cv_.wait(l, [this] { return processing_ == 0; });
    l.unlock();
    ShutDown();
  }

  bool ShuttingDown() const {
    std::lock_guard l(mu_);
    return shutting_down_;
  }

 private:
  struct State {
    bool dirty = false;       // waiting in queue_ (or re-added while processing)
    bool processing = false;  // handed out by Get(), not yet Done()
    Clock::MonoTime since{};  // when queued / when handed out (metrics only)
  };
  struct Delayed {
    Clock::MonoTime ready;
    T item;
    bool operator>(const Delayed& o) const { return ready > o.ready; }
  };

  void AddLocked(const T& item) {
    if (shutting_down_) return;
    if (metrics_) metrics_->OnAdd();
    auto [it, inserted] = states_.try_emplace(item);
    State& s = it->second;
    if (s.dirty) return;
    s.dirty = true;
    if (s.processing) return;
    if (metrics_) s.since = clock_.Now();
    queue_.push_back(item);
    cv_.notify_one();
    if (metrics_) metrics_->OnDepth(queue_.size());
  }

  void DelayLoop() {
    std::unique_lock l(mu_);
    while (!shutting_down_) {
      auto now = clock_.Now();
      while (!heap_.empty() && heap_.top().ready <= now) {
        Delayed d = heap_.top();
        heap_.pop();
        auto it = waiting_.find(d.item);
        // Skip stale heap entries superseded by an earlier AddAfter of the same item.
        if (it == waiting_.end() || it->second != d.ready) continue;
        waiting_.erase(it);
        AddLocked(d.item);
      }
      if (heap_.empty()) {
        delay_cv_.wait(l);
      } else {
        clock_.WaitUntil(delay_cv_, l, heap_.top().ready);
      }
    }
  }

  Clock& clock_;
  std::unique_ptr<RateLimiter<T, Hash>> limiter_;
  WorkQueueMetrics* metrics_;

  mutable std::mutex mu_;
  std::condition_variable_any cv_;          // items available or shutdown
  std::condition_variable_any delay_cv_;    // delayed adds changed or shutdown
  std::condition_variable_any drained_cv_;  // processing set became empty (drain)
  std::deque<T> queue_;
  std::unordered_map<T, State, Hash> states_;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<Delayed>> heap_;
  std::unordered_map<T, Clock::MonoTime, Hash> waiting_;
  std::thread delay_thread_;
  size_t processing_ = 0;
  bool shutting_down_ = false;
  bool drain_ = false;
};

}  // namespace kcx::runtime
