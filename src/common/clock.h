#pragma once

// All time goes through a Clock so that tests of backoff, leases, resync and bookmarks can
// advance time instead of sleeping.

#include <chrono>
#include <mutex>

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
};

// The process-wide real clock.
Clock& RealClock();

// A clock that only moves when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  FakeClock();
  MonoTime Now() const override;
  WallTime WallNow() const override;
  void Advance(std::chrono::nanoseconds d);

 private:
  mutable std::mutex mu_;
  MonoTime mono_;
  WallTime wall_;
};

}  // namespace kcx
