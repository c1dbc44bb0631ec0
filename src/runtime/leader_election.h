#pragma once

// Leader election on coordination.k8s.io/v1 Leases (client-go tools/leaderelection).
//
//   - A candidate tries to acquire the Lease every retry period (2 s, jittered by up to 20%).
//     It may take it when the Lease is free (no holder) or when the holder has not renewed
//     it for leaseDurationSeconds *as observed locally*: the candidate times expiry from the
//     moment it last saw the Lease record change, so clocks of different machines need not
//     agree (client-go's observedTime rule).
//   - The leader renews every retry period; if it cannot renew for renew_deadline (10 s) it
//     stops leading (OnStoppedLeading), so it stops acting before others may take over at
//     lease_duration (15 s).
//   - Writes use the Lease's resourceVersion: of two candidates racing, one gets 409.
//   - Stop() while leading releases the Lease (holderIdentity cleared, leaseDurationSeconds 1)
//     so a successor need not wait for expiry.
//
// Threading: Run() blocks on the calling thread; callbacks run on it too (OnStartedLeading
// must return promptly: start work on other threads). Stop(), IsLeader() and GetLeader() are
// thread-safe.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include "client/rest_client.h"
#include "common/clock.h"

namespace kcx::runtime {

struct LeaderElectionConfig {
  std::string lease_namespace = "default";
  std::string lease_name;
  std::string identity;  // unique per candidate, e.g. hostname + random suffix
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  bool release_on_cancel = true;
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& identity)> on_new_leader;
  Clock* clock = nullptr;  // default RealClock()
};

class LeaderElector {
 public:
  // Invalid configurations (renew_deadline >= lease_duration, empty names) are rejected by
  // Run() with BadRequest.
  LeaderElector(client::RestClient* client, LeaderElectionConfig cfg);

  // Campaigns, then leads until leadership is lost or Stop() is called. Returns OK after a
  // Stop(), Unavailable when leadership was lost.
  Status Run();
  void Stop();
  bool IsLeader() const { return leading_.load(); }
  std::string GetLeader() const;

 private:
  // One attempt to acquire or renew. True if we hold the lease afterwards.
  bool TryAcquireOrRenew();
  void Release();
  bool Sleep(std::chrono::nanoseconds d);  // false when stopped
  std::string LeasePath() const;

  client::RestClient* client_;
  LeaderElectionConfig cfg_;
  Clock& clock_;
  std::atomic<bool> leading_{false};
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  bool stopped_ = false;
  // What we last saw of the Lease and when (our clock).
  std::string observed_holder_, observed_rv_, observed_record_;
  Clock::MonoTime observed_time_{};
  int32_t observed_transitions_ = 0;
  std::string observed_acquire_time_;
};

}  // namespace kcx::runtime
