#pragma once

// Per-cluster metrics named as MOCO's (moco_cluster_*), rendered in the Prometheus text format.
// Thread-safe: updated by the cluster worker, read by HTTP handlers.

#include <array>
#include <atomic>
#include <mutex>
#include <string>

namespace kcx::mysql::clustering {

class ClusterMetrics {
 public:
  static constexpr std::array<double, 9> kBuckets = {0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30};

  void IncChecks() { checks_++; }
  void IncErrors() { errors_++; }
  void IncSwitchovers() { switchovers_++; }
  void IncFailovers() { failovers_++; }
  void SetState(bool available, bool healthy, int replicas, int ready, int errant);
  void ObserveProcessing(double seconds);

  uint64_t checks() const { return checks_; }
  uint64_t errors() const { return errors_; }
  uint64_t switchovers() const { return switchovers_; }
  uint64_t failovers() const { return failovers_; }

  // Appends the samples with labels name="<name>",namespace="<ns>". `with_help` adds the HELP
  // and TYPE lines (once per family when several clusters share a page).
  void Render(std::string& out, const std::string& name, const std::string& ns,
              bool with_help) const;

 private:
  std::atomic<uint64_t> checks_{0}, errors_{0}, switchovers_{0}, failovers_{0};
  mutable std::mutex mu_;
  bool available_ = false, healthy_ = false;
  int replicas_ = 0, ready_ = 0, errant_ = 0;
  std::array<uint64_t, kBuckets.size()> bucket_counts_{};
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace kcx::mysql::clustering
