#pragma once

// All time goes through a Clock so that tests of backoff, leases, resync and bookmarks can
// advance time instead of sleeping.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>

namespace kcx {

class Clock {
 public:
  using MonoTime = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  // Monotonic time, for deadlines and intervals. Thread-safe.
  virtual MonoTime Now() const = 0;
  // Wall-clock time, for timestamps written into objects. Thread-safe.
  virtual WallTime WallNow() const = 0;
  // Blocks on `cv` (with `lock` held on entry and on return) until it is notified or this
  // clock reaches `deadline`. Spurious wake-ups happen: callers re-check their condition and
  // the time in a loop. The real clock waits on the steady clock.
  virtual void WaitUntil(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                         MonoTime deadline) const;
};

// The process-wide real clock.
Clock& RealClock();

// A clock that only moves when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  FakeClock();
  MonoTime Now() const override;
  WallTime WallNow() const override;
  // Moves time forward and wakes every thread blocked in WaitUntil, so that timers depending
  // on this clock fire without the test sleeping.
  void Advance(std::chrono::nanoseconds d);
  // Waits until notified, Advance is called, or (as a guard against a wake-up lost between the
  // caller's time check and the wait) one real millisecond passes.
  void WaitUntil(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                 MonoTime deadline) const override;

 private:
  mutable std::mutex mu_;
  mutable std::multiset<std::condition_variable_any*> waiters_;
  MonoTime mono_;
  WallTime wall_;
};

}  // namespace kcx
