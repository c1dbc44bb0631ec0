#pragma once

// A ClusterSource and ClusterReporter kept in memory, for tests of the manager.

#include <mutex>
#include <string>
#include <vector>

#include "operators/mysql/clustering/types.h"

namespace kcx::mysql::clustering {

class MemoryCluster : public ClusterSource, public ClusterReporter {
 public:
  explicit MemoryCluster(ClusterSpec spec) : spec_(std::move(spec)) {}

  Result<ClusterSpec> Get() override {
    std::lock_guard l(mu_);
    return spec_;
  }
  void OnReport(const ClusterReport& r) override {
    std::lock_guard l(mu_);
    report_ = r;
  }
  Status OnPrimaryChanged(int p) override {
    std::lock_guard l(mu_);
    spec_.current_primary = p;
    return Status::Ok();
  }
  void OnErrantChanged(const std::set<int>& e) override {
    std::lock_guard l(mu_);
    spec_.errant_hint = e;
  }
  void OnEvent(std::string_view reason, bool, const std::string& message) override {
    std::lock_guard l(mu_);
    events_.push_back(std::string(reason) + ": " + message);
  }

  ClusterReport report() {
    std::lock_guard l(mu_);
    return report_;
  }
  int primary() {
    std::lock_guard l(mu_);
    return spec_.current_primary;
  }
  std::vector<std::string> events() {
    std::lock_guard l(mu_);
    return events_;
  }
  bool HasEvent(std::string_view reason) {
    std::lock_guard l(mu_);
    for (const auto& e : events_) {
      if (e.rfind(std::string(reason) + ":", 0) == 0)
        return true;
    }
    return false;
  }
  void Mutate(const std::function<void(ClusterSpec&)>& f) {
    std::lock_guard l(mu_);
    f(spec_);
  }

 private:
  std::mutex mu_;
  ClusterSpec spec_;
  ClusterReport report_;
  std::vector<std::string> events_;
};

}  // namespace kcx::mysql::clustering
