#include "runtime/metrics.h"

#include <cmath>
#include <cstdio>

namespace kcx::runtime {

namespace {

std::string FormatValue(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.9g", v);
  }
  return buf;
}

std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + EscapeLabel(i < values.size() ? values[i] : "") + "\"";
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += extra_name + "=\"" + extra_value + "\"";
  }
  if (!out.empty()) out += "}";
  return out;
}

const std::vector<double> kDurationBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                              1,     2.5,  5,     10,   30,  60};

}  // namespace

MetricFamily::MetricFamily(std::string name, std::string help, Type type,
                           std::vector<std::string> labels, std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      labels_(std::move(labels)),
      bounds_(std::move(buckets)) {}

void MetricFamily::Add(const std::vector<std::string>& lv, double v) {
  std::lock_guard l(mu_);
  series_[lv].value += v;
}

void MetricFamily::Set(const std::vector<std::string>& lv, double v) {
  std::lock_guard l(mu_);
  series_[lv].value = v;
}

void MetricFamily::Observe(const std::vector<std::string>& lv, double v) {
  std::lock_guard l(mu_);
  Series& s = series_[lv];
  if (s.buckets.empty()) s.buckets.assign(bounds_.size(), 0);
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (v <= bounds_[i]) {
      ++s.buckets[i];
      break;
    }
  }
  ++s.count;
  s.sum += v;
}

double MetricFamily::Value(const std::vector<std::string>& lv) const {
  std::lock_guard l(mu_);
  auto it = series_.find(lv);
  return it == series_.end() ? 0 : it->second.value;
}

void MetricFamily::Render(std::string& out) const {
  static const char* kTypes[] = {"counter", "gauge", "histogram"};
  out += "# HELP " + name_ + " " + help_ + "\n";
  out += "# TYPE " + name_ + " " + kTypes[static_cast<int>(type_)] + "\n";
  std::lock_guard l(mu_);
  for (const auto& [lv, s] : series_) {
    if (type_ != Type::kHistogram) {
      out += name_ + Labels(labels_, lv) + " " + FormatValue(s.value) + "\n";
      continue;
    }
    uint64_t cum = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cum += i < s.buckets.size() ? s.buckets[i] : 0;
      out += name_ + "_bucket" + Labels(labels_, lv, "le", FormatValue(bounds_[i])) + " " +
             std::to_string(cum) + "\n";
    }
    out += name_ + "_bucket" + Labels(labels_, lv, "le", "+Inf") + " " +
           std::to_string(s.count) + "\n";
    out += name_ + "_sum" + Labels(labels_, lv) + " " + FormatValue(s.sum) + "\n";
    out += name_ + "_count" + Labels(labels_, lv) + " " + std::to_string(s.count) + "\n";
  }
}

MetricFamily* MetricsRegistry::Add(std::unique_ptr<MetricFamily> f, const std::string& name) {
  std::lock_guard l(mu_);
  auto& slot = families_[name];
  if (!slot) slot = std::move(f);
  return slot.get();
}

MetricFamily* MetricsRegistry::Counter(const std::string& name, const std::string& help,
                                       std::vector<std::string> labels) {
  return Add(std::make_unique<MetricFamily>(name, help, MetricFamily::Type::kCounter,
                                            std::move(labels)),
             name);
}

MetricFamily* MetricsRegistry::Gauge(const std::string& name, const std::string& help,
                                     std::vector<std::string> labels) {
  return Add(std::make_unique<MetricFamily>(name, help, MetricFamily::Type::kGauge,
                                            std::move(labels)),
             name);
}

MetricFamily* MetricsRegistry::Histogram(const std::string& name, const std::string& help,
                                         std::vector<std::string> labels,
                                         std::vector<double> buckets) {
  return Add(std::make_unique<MetricFamily>(name, help, MetricFamily::Type::kHistogram,
                                            std::move(labels), std::move(buckets)),
             name);
}

std::string MetricsRegistry::Render() const {
  std::string out;
  std::lock_guard l(mu_);
  for (const auto& [name, f] : families_) f->Render(out);
  for (const auto& c : collectors_) c(out);
  return out;
}

void MetricsRegistry::AddCollector(std::function<void(std::string& out)> collector) {
  std::lock_guard l(mu_);
  collectors_.push_back(std::move(collector));
}

// ------------------------------------------------------------------------------------------

class RuntimeMetrics::Queue : public WorkQueueMetrics {
 public:
  Queue(RuntimeMetrics* m, std::string name) : m_(m), lv_{std::move(name)} {}
  void OnAdd() override { m_->adds_->Add(lv_); }
  void OnDepth(size_t d) override { m_->depth_->Set(lv_, static_cast<double>(d)); }
  void OnGet(Duration waited) override {
    m_->queue_duration_->Observe(lv_, std::chrono::duration<double>(waited).count());
  }
  void OnDone(Duration worked) override {
    m_->work_duration_->Observe(lv_, std::chrono::duration<double>(worked).count());
  }
  void OnRetry() override { m_->retries_->Add(lv_); }

 private:
  RuntimeMetrics* m_;
  std::vector<std::string> lv_;
};

RuntimeMetrics::RuntimeMetrics(MetricsRegistry* r) {
  reconcile_total_ = r->Counter("controller_runtime_reconcile_total",
                                "Total number of reconciliations per controller",
                                {"controller", "result"});
  reconcile_errors_ = r->Counter("controller_runtime_reconcile_errors_total",
                                 "Total number of reconciliation errors per controller",
                                 {"controller"});
  reconcile_time_ = r->Histogram("controller_runtime_reconcile_time_seconds",
                                 "Length of time per reconciliation per controller",
                                 {"controller"}, kDurationBuckets);
  depth_ = r->Gauge("workqueue_depth", "Current depth of workqueue", {"name"});
  adds_ = r->Counter("workqueue_adds_total", "Total number of adds handled by workqueue",
                     {"name"});
  queue_duration_ = r->Histogram("workqueue_queue_duration_seconds",
                                 "How long in seconds an item stays in workqueue before being "
                                 "requested",
                                 {"name"}, kDurationBuckets);
  work_duration_ = r->Histogram("workqueue_work_duration_seconds",
                                "How long in seconds processing an item from workqueue takes",
                                {"name"}, kDurationBuckets);
  retries_ = r->Counter("workqueue_retries_total", "Total number of retries handled by workqueue",
                        {"name"});
  requests_ = r->Counter("rest_client_requests_total",
                         "Number of HTTP requests, partitioned by status code and method",
                         {"code", "method"});
  request_duration_ = r->Histogram("rest_client_request_duration_seconds",
                                   "Request latency in seconds, by verb", {"verb"},
                                   kDurationBuckets);
}

void RuntimeMetrics::OnReconcile(std::string_view controller, bool error,
                                 std::chrono::nanoseconds took) {
  std::string c(controller);
  reconcile_total_->Add({c, error ? "error" : "success"});
  if (error) reconcile_errors_->Add({c});
  reconcile_time_->Observe({c}, std::chrono::duration<double>(took).count());
}

void RuntimeMetrics::OnRequest(std::string_view verb, int code,
                               std::chrono::nanoseconds latency) {
  requests_->Add({code ? std::to_string(code) : "<error>", std::string(verb)});
  request_duration_->Observe({std::string(verb)}, std::chrono::duration<double>(latency).count());
}

WorkQueueMetrics* RuntimeMetrics::ForQueue(const std::string& name) {
  std::lock_guard l(mu_);
  queues_.push_back(std::make_unique<Queue>(this, name));
  return queues_.back().get();
}

}  // namespace kcx::runtime
