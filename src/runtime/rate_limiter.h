#pragma once

// Rate limiters for work queue retries, with client-go's semantics (util/workqueue
// default_rate_limiters.go):
//   ItemExponentialFailureRateLimiter: base * 2^failures per item, capped;
//   BucketRateLimiter: an overall token bucket (qps, burst) that reserves a slot per call;
//   MaxOfRateLimiter: the largest delay of several limiters;
//   DefaultControllerRateLimiter(): max(exponential 5 ms .. 1000 s, bucket 10 qps / burst 100).
//
// Thread-safe: every method may be called from any thread.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/clock.h"

namespace kcx::runtime {

using Duration = std::chrono::nanoseconds;

template <typename T, typename Hash = std::hash<T>>
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // How long to wait before `item` may be processed again (counts as one more failure).
  virtual Duration When(const T& item) = 0;
  // Stops tracking `item` (it succeeded): its failure count goes back to zero.
  virtual void Forget(const T& item) = 0;
  // How many times `item` has been requeued through When since the last Forget.
  virtual int NumRequeues(const T& item) = 0;
};

template <typename T, typename Hash = std::hash<T>>
class ItemExponentialFailureRateLimiter : public RateLimiter<T, Hash> {
 public:
  ItemExponentialFailureRateLimiter(Duration base, Duration max) : base_(base), max_(max) {}

  Duration When(const T& item) override {
    int exp;
    {
      std::lock_guard l(mu_);
      exp = failures_[item]++;
    }
    // base * 2^exp, computed in floating point so large exponents saturate instead of
    // overflowing (client-go does the same).
    double backoff = static_cast<double>(base_.count()) * std::pow(2.0, exp);
    if (backoff > static_cast<double>(max_.count())) return max_;
    return Duration(static_cast<Duration::rep>(backoff));
  }
  void Forget(const T& item) override {
    std::lock_guard l(mu_);
    failures_.erase(item);
  }
  int NumRequeues(const T& item) override {
    std::lock_guard l(mu_);
    auto it = failures_.find(item);
    return it == failures_.end() ? 0 : it->second;
  }

 private:
  const Duration base_, max_;
  std::mutex mu_;
  std::unordered_map<T, int, Hash> failures_;
};

// A token bucket shared by all items: each When() reserves the next token and returns the
// time until it is available (golang.org/x/time/rate Reserve semantics). Forget and
// NumRequeues do nothing, as in client-go.
template <typename T, typename Hash = std::hash<T>>
class BucketRateLimiter : public RateLimiter<T, Hash> {
 public:
  BucketRateLimiter(double qps, int burst, Clock& clock = RealClock())
      : qps_(qps), burst_(burst), clock_(clock), tokens_(burst), last_(clock.Now()) {}

  Duration When(const T&) override {
    std::lock_guard l(mu_);
    auto now = clock_.Now();
    if (now > last_) {
      tokens_ = std::min<double>(burst_, tokens_ + qps_ * std::chrono::duration<double>(now - last_).count());
      last_ = now;
    }
    tokens_ -= 1;
    if (tokens_ >= 0) return Duration::zero();
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(-tokens_ / qps_));
  }
  void Forget(const T&) override {}
  int NumRequeues(const T&) override { return 0; }

 private:
  const double qps_;
  const int burst_;
  Clock& clock_;
  std::mutex mu_;
  double tokens_;
  Clock::MonoTime last_;
};

template <typename T, typename Hash = std::hash<T>>
class MaxOfRateLimiter : public RateLimiter<T, Hash> {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter<T, Hash>>> limiters)
      : limiters_(std::move(limiters)) {}

  Duration When(const T& item) override {
    Duration d = Duration::zero();
    for (auto& l : limiters_) d = std::max(d, l->When(item));
    return d;
  }
  void Forget(const T& item) override {
    for (auto& l : limiters_) l->Forget(item);
  }
  int NumRequeues(const T& item) override {
    int n = 0;
    for (auto& l : limiters_) n = std::max(n, l->NumRequeues(item));
    return n;
  }

 private:
  std::vector<std::unique_ptr<RateLimiter<T, Hash>>> limiters_;
};

// client-go's DefaultControllerRateLimiter: per-item exponential backoff from 5 ms to 1000 s,
// and an overall bucket of 10 qps with a burst of 100; the larger delay wins.
template <typename T, typename Hash = std::hash<T>>
std::unique_ptr<RateLimiter<T, Hash>> DefaultControllerRateLimiter(Clock& clock = RealClock()) {
  std::vector<std::unique_ptr<RateLimiter<T, Hash>>> v;
  v.push_back(std::make_unique<ItemExponentialFailureRateLimiter<T, Hash>>(
      std::chrono::milliseconds(5), std::chrono::seconds(1000)));
  v.push_back(std::make_unique<BucketRateLimiter<T, Hash>>(10.0, 100, clock));
  return std::make_unique<MaxOfRateLimiter<T, Hash>>(std::move(v));
}

}  // namespace kcx::runtime
