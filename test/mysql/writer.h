#pragma once

// A client that commits numbered rows (autocommit INSERTs into kcx.t) as moco-writable,
// finding the primary by trying every instance (replicas refuse: read-only). It records every
// id whose commit was acknowledged, and the times of acknowledgements, so tests and benchmarks
// can check that no acknowledged row was lost and measure write pauses.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "operators/mysql/db/connection.h"
#include "operators/mysql/db/db_operator.h"

namespace kcx::mysql::testing {

// Creates database kcx and table kcx.t on the instance (as the given user).
Status CreateWriterTable(const Endpoint& primary, const std::string& user, const std::string& pw);

class Writer {
 public:
  using Clock = std::chrono::steady_clock;
  Writer(std::vector<Endpoint> instances, std::string user, std::string password);
  ~Writer();
  void Start();
  void Stop();

  std::vector<int64_t> Acked() const;
  int64_t acked_count() const { return acked_count_.load(); }
  int64_t attempts() const { return attempts_.load(); }
  // Time of the first acknowledgement after t from an instance other than `not_on` (an index
  // into the instance list; -1: any). nullopt if none yet.
  std::optional<Clock::time_point> FirstAckAfter(Clock::time_point t, int not_on = -1) const;
  // The longest gap between consecutive acknowledgements within [from, to].
  std::chrono::duration<double> LongestGap(Clock::time_point from, Clock::time_point to) const;
  // Waits until at least n more commits than now have been acknowledged (or timeout).
  bool WaitForMore(int64_t n, std::chrono::milliseconds timeout) const;

 private:
  void Run();

  std::vector<Endpoint> instances_;
  std::string user_;
  std::string password_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> acked_count_{0};
  std::atomic<int64_t> attempts_{0};
  mutable std::mutex mu_;
  std::vector<int64_t> acked_;
  std::vector<Clock::time_point> ack_times_;
  std::vector<int> ack_instance_;
  std::thread thread_;
};

}  // namespace kcx::mysql::testing
