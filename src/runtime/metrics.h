#pragma once

// A small Prometheus metrics registry: counter, gauge and histogram families with labels,
// rendered in the text exposition format (version 0.0.4). The runtime registers the metric
// families controller-runtime and client-go expose (see RuntimeMetrics), under the same names,
// so existing dashboards work.
//
// Thread-safe: updates and Render() may run concurrently.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client/rest_client.h"
#include "runtime/controller.h"
#include "runtime/workqueue.h"

namespace kcx::runtime {

class MetricFamily {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> labels,
               std::vector<double> buckets = {});

  // Counter/gauge: add `v` to the series with these label values (as many as label names).
  void Add(const std::vector<std::string>& label_values, double v = 1);
  // Gauge: set the series.
  void Set(const std::vector<std::string>& label_values, double v);
  // Histogram: one observation.
  void Observe(const std::vector<std::string>& label_values, double v);
  // The current value of a counter/gauge series (0 if absent); for tests.
  double Value(const std::vector<std::string>& label_values) const;

  void Render(std::string& out) const;

 private:
  struct Series {
    double value = 0;                // counter, gauge
    std::vector<uint64_t> buckets;   // histogram: cumulative counts are computed on render
    uint64_t count = 0;
    double sum = 0;
  };
  const std::string name_, help_;
  const Type type_;
  const std::vector<std::string> labels_;
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, Series> series_;
};

class MetricsRegistry {
 public:
  MetricFamily* Counter(const std::string& name, const std::string& help,
                        std::vector<std::string> labels);
  MetricFamily* Gauge(const std::string& name, const std::string& help,
                      std::vector<std::string> labels);
  MetricFamily* Histogram(const std::string& name, const std::string& help,
                          std::vector<std::string> labels, std::vector<double> buckets);
  std::string Render() const;
  // A collector appends whole families (HELP, TYPE and samples) in the Prometheus text format
  // at every scrape, after the registered families: for metrics kept elsewhere (e.g. per
  // MySQL cluster by the clustering workers). Called on the scraping thread; must be
  // thread-safe and must not call back into the registry.
  void AddCollector(std::function<void(std::string& out)> collector);

 private:
  MetricFamily* Add(std::unique_ptr<MetricFamily> f, const std::string& name);
  std::vector<std::function<void(std::string&)>> collectors_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamily>> families_;
};

// controller-runtime's and client-go's metric families, wired to the runtime's hooks:
//   controller_runtime_reconcile_total{controller,result}, _reconcile_errors_total{controller},
//   controller_runtime_reconcile_time_seconds{controller};
//   workqueue_depth / _adds_total / _queue_duration_seconds / _work_duration_seconds /
//   _retries_total {name};
//   rest_client_requests_total{code,method}, rest_client_request_duration_seconds{verb}.
class RuntimeMetrics : public ControllerMetrics, public client::RestClientMetrics {
 public:
  explicit RuntimeMetrics(MetricsRegistry* r);
  void OnReconcile(std::string_view controller, bool error,
                   std::chrono::nanoseconds took) override;
  void OnRequest(std::string_view verb, int code, std::chrono::nanoseconds latency) override;
  // Queue metrics for the queue called `name` (owned by this object).
  WorkQueueMetrics* ForQueue(const std::string& name);

 private:
  class Queue;
  MetricFamily *reconcile_total_, *reconcile_errors_, *reconcile_time_;
  MetricFamily *depth_, *adds_, *queue_duration_, *work_duration_, *retries_;
  MetricFamily *requests_, *request_duration_;
  std::mutex mu_;
  std::vector<std::unique_ptr<WorkQueueMetrics>> queues_;
};

}  // namespace kcx::runtime
