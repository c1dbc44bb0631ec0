#include "common/clock.h"

namespace kcx {
namespace {
class RealClockImpl : public Clock {
 public:
  MonoTime Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
};
}  // namespace

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
  std::lock_guard l(mu_);
  mono_ += d;
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
}

}  // namespace kcx
