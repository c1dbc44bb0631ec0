#include "operators/mysql/clustering/metrics.h"

#include <cstdio>

namespace kcx::mysql::clustering {

void ClusterMetrics::SetState(bool available, bool healthy, int replicas, int ready, int errant) {
  std::lock_guard l(mu_);
  available_ = available;
  healthy_ = healthy;
  replicas_ = replicas;
  ready_ = ready;
  errant_ = errant;
}

void ClusterMetrics::ObserveProcessing(double s) {
  std::lock_guard l(mu_);
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (s <= kBuckets[i])
      bucket_counts_[i]++;
  }
  count_++;
  sum_ += s;
}

namespace {
std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}
}  // namespace

void ClusterMetrics::Render(std::string& out, const std::string& name, const std::string& ns,
                            bool help) const {
  const std::string labels = "name=\"" + name + "\",namespace=\"" + ns + "\"";
  auto family = [&](const char* n, const char* type, const char* h) {
    if (!help)
      return;
    out += std::string("# HELP moco_cluster_") + n + " " + h + "\n";
    out += std::string("# TYPE moco_cluster_") + n + " " + type + "\n";
  };
  auto sample = [&](const char* n, double v) {
    out += std::string("moco_cluster_") + n + "{" + labels + "} " + Num(v) + "\n";
  };
  std::lock_guard l(mu_);
  family("checks_total", "counter",
         "The number of times the clustering manager checked the cluster.");
  sample("checks_total", static_cast<double>(checks_));
  family("errors_total", "counter", "The number of times the clustering manager failed a check.");
  sample("errors_total", static_cast<double>(errors_));
  family("available", "gauge", "1 if the cluster is available (Healthy or Degraded).");
  sample("available", available_ ? 1 : 0);
  family("healthy", "gauge", "1 if the cluster is Healthy.");
  sample("healthy", healthy_ ? 1 : 0);
  family("switchover_total", "counter", "The number of switchovers.");
  sample("switchover_total", static_cast<double>(switchovers_));
  family("failover_total", "counter", "The number of failovers.");
  sample("failover_total", static_cast<double>(failovers_));
  family("replicas", "gauge", "The number of instances in the cluster.");
  sample("replicas", replicas_);
  family("ready_replicas", "gauge", "The number of ready instances.");
  sample("ready_replicas", ready_);
  family("errant_replicas", "gauge", "The number of replicas with errant transactions.");
  sample("errant_replicas", errant_);
  family("processing_time_seconds", "histogram", "Time to process one clustering pass.");
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    out += "moco_cluster_processing_time_seconds_bucket{" + labels + ",le=\"" + Num(kBuckets[i]) +
           "\"} " + std::to_string(bucket_counts_[i]) + "\n";
  }
  out += "moco_cluster_processing_time_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
         std::to_string(count_) + "\n";
  out += "moco_cluster_processing_time_seconds_sum{" + labels + "} " + Num(sum_) + "\n";
  out +=
      "moco_cluster_processing_time_seconds_count{" + labels + "} " + std::to_string(count_) + "\n";
}

}  // namespace kcx::mysql::clustering
