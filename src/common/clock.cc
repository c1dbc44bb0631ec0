#include "common/clock.h"

namespace kcx {
namespace {
class RealClockImpl : public Clock {
 public:
  MonoTime Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
};
}  // namespace

void Clock::WaitUntil(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                      MonoTime deadline) const {
  cv.wait_until(lock, deadline);
}

Clock& RealClock() {
  static RealClockImpl clock;
  return clock;
}

FakeClock::FakeClock()
    : mono_(std::chrono::steady_clock::time_point{} + std::chrono::hours(1)),
      wall_(std::chrono::system_clock::time_point{} + std::chrono::seconds(1767225600)) {}

Clock::MonoTime FakeClock::Now() const {
  std::lock_guard l(mu_);
  return mono_;
}

Clock::WallTime FakeClock::WallNow() const {
  std::lock_guard l(mu_);
  return wall_;
}

void FakeClock::Advance(std::chrono::nanoseconds d) {
  std::multiset<std::condition_variable_any*> waiters;
  {
    std::lock_guard l(mu_);
    mono_ += d;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    waiters = waiters_;
  }
  for (auto* cv : waiters) cv->notify_all();
}

void FakeClock::WaitUntil(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                          MonoTime deadline) const {
  {
    std::lock_guard l(mu_);
    if (mono_ >= deadline) return;
    waiters_.insert(&cv);
  }
  cv.wait_for(lock, std::chrono::milliseconds(1));
  std::lock_guard l(mu_);
  waiters_.erase(waiters_.find(&cv));
}

}  // namespace kcx
