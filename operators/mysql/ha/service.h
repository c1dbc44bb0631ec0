#pragma once

// The standalone mode: a clustering manager over the instances of a config file, its state
// persisted to a small JSON file, events to the log, and an HTTP endpoint on loopback:
//   GET  /metrics            Prometheus text (moco_cluster_*)
//   GET  /status             the last report as JSON
//   POST /switchover[?to=N]  request a switchover (202; poll /status for the result)
//   GET  /healthz

#include <memory>
#include <mutex>

#include "operators/mysql/clustering/manager.h"
#include "operators/mysql/clustering/watcher.h"
#include "operators/mysql/db/sql_operator.h"
#include "operators/mysql/ha/config.h"
#include "net/http_server.h"

namespace kcx::mysql::ha {

class HaService : public clustering::ClusterSource, public clustering::ClusterReporter {
 public:
  explicit HaService(HaConfig config);
  ~HaService() override;

  Status Start();
  void Stop();
  int http_port() const { return http_.port(); }
  clustering::ClusterManager& manager() { return *manager_; }

  // ClusterSource / ClusterReporter (called on the manager's worker thread).
  Result<clustering::ClusterSpec> Get() override;
  void OnReport(const clustering::ClusterReport& r) override;
  Status OnPrimaryChanged(int new_primary) override;
  void OnErrantChanged(const std::set<int>& errant) override;
  void OnEvent(std::string_view reason, bool warning, const std::string& message) override;

  std::string StatusJson() const;
  std::string MetricsText() const;

 private:
  net::HttpResponse Handle(const net::HttpRequest& req);

  HaConfig config_;
  mutable std::mutex mu_;
  HaState state_;
  clustering::ClusterReport report_;
  std::unique_ptr<SqlOperatorFactory> ops_;
  std::unique_ptr<clustering::SqlWatcherFactory> watchers_;
  std::unique_ptr<clustering::ClusterManager> manager_;
  net::HttpServer http_;
};

}  // namespace kcx::mysql::ha
