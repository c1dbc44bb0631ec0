#include "runtime/manager.h"

#include <signal.h>

#include <thread>

#include "common/log.h"

namespace kcx::runtime {

namespace {

std::atomic<bool> g_signalled{false};

void OnSignal(int) { g_signalled = true; }

}  // namespace

Manager::Manager(client::RestClient* client, ManagerOptions opts)
    : client_(client), opts_(std::move(opts)), runtime_metrics_(&registry_), factory_(client) {
  client_->SetMetrics(&runtime_metrics_);
}

Manager::~Manager() {
  Stop();
  StopControllers();
  factory_.Stop();
  client_->SetMetrics(nullptr);
}

Controller& Manager::NewController(const std::string& name, Reconciler reconciler) {
  controllers_.push_back(std::make_unique<Controller>(name, &factory_, std::move(reconciler)));
  Controller& c = *controllers_.back();
  c.WithMetrics(&runtime_metrics_).WithQueueMetrics(runtime_metrics_.ForQueue(name));
  return c;
}

void Manager::AddReadyCheck(const std::string& name, std::function<Status()> check) {
  ready_checks_.emplace_back(name, std::move(check));
}

bool Manager::Ready() const {
  // With leader election a standby is ready too (as controller-runtime's): it serves webhooks
  // and probes, and a rolling update must not wait for the leader to step down.
  if (!controllers_started_.load() && !opts_.leader_election) return false;
  for (const auto& [name, check] : ready_checks_) {
    if (!check().ok()) return false;
  }
  return true;
}

net::HttpResponse Manager::Health(const net::HttpRequest& r) {
  std::string path = r.target.substr(0, r.target.find('?'));
  if (path == "/healthz" || path == "/livez") return {200, "text/plain", "ok"};
  if (path == "/readyz") {
    std::string failed;
    if (!controllers_started_.load() && !opts_.leader_election) {
      failed += "[-]controllers: not started\n";
    }
    for (const auto& [name, check] : ready_checks_) {
      Status s = check();
      if (!s.ok()) failed += "[-]" + name + ": " + s.message() + "\n";
    }
    if (failed.empty()) return {200, "text/plain", "ok"};
    return {500, "text/plain", failed + "readyz check failed\n"};
  }
  return {404, "text/plain", "not found\n"};
}

Status Manager::StartControllers() {
  for (auto& c : controllers_) {
    if (Status s = c->Start(); !s.ok()) return s;
  }
  controllers_started_ = true;
  return Status::Ok();
}

void Manager::StopControllers() {
  controllers_started_ = false;
  for (auto& c : controllers_) c->Stop();
}

void Manager::Stop() { stop_ = true; }

Status Manager::Run() {
  struct sigaction old_term {}, old_int {};
  if (opts_.handle_signals) {
    g_signalled = false;
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGINT, &sa, &old_int);
  }
  if (opts_.metrics_port >= 0) {
    KCX_RETURN_IF_ERROR(metrics_server_.Start(
        opts_.bind_address, opts_.metrics_port, [this](const net::HttpRequest& r) {
          if (r.target.substr(0, r.target.find('?')) != "/metrics") {
            return net::HttpResponse{404, "text/plain", "not found\n"};
          }
          return net::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                                   registry_.Render()};
        }));
    metrics_port_ = metrics_server_.port();
  }
  if (opts_.health_port >= 0) {
    KCX_RETURN_IF_ERROR(health_server_.Start(opts_.bind_address, opts_.health_port,
                                             [this](const net::HttpRequest& r) { return Health(r); }));
    health_port_ = health_server_.port();
  }
  auto stopping = [this] {
    return stop_.load() || (opts_.handle_signals && g_signalled.load());
  };

  Status result;
  std::unique_ptr<LeaderElector> elector;
  std::thread election;
  std::atomic<bool> lost{false};
  std::atomic<bool> lead{false};
  if (opts_.leader_election) {
    LeaderElectionConfig lc = *opts_.leader_election;
    auto started = lc.on_started_leading;
    auto stopped = lc.on_stopped_leading;
    lc.on_started_leading = [&lead, started] {
      lead = true;
      if (started) started();
    };
    lc.on_stopped_leading = [stopped] {
      if (stopped) stopped();
    };
    elector = std::make_unique<LeaderElector>(client_, lc);
    election = std::thread([&] {
      if (!elector->Run().ok()) lost = true;
    });
  } else {
    lead = true;
  }
  bool started = false;
  while (!stopping() && !lost.load()) {
    if (lead.load() && !started) {
      started = true;
      result = StartControllers();
      if (!result.ok()) break;
      log::Info("manager: {} controllers running", controllers_.size());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (lost.load() && result.ok()) result = Unavailable("manager: leader election lost");
  log::Info("manager: shutting down");
  StopControllers();  // stop taking work, finish in-flight reconciles
  if (elector) {
    elector->Stop();  // releases the lease
    election.join();
  }
  factory_.Stop();
  metrics_server_.Stop();
  health_server_.Stop();
  if (opts_.handle_signals) {
    sigaction(SIGTERM, &old_term, nullptr);
    sigaction(SIGINT, &old_int, nullptr);
  }
  return result;
}

}  // namespace kcx::runtime
