#include "operators/mysql/ha/service.h"

#include <boost/json.hpp>

#include "common/log.h"
#include "common/strings.h"

namespace kcx::mysql::ha {

HaService::HaService(HaConfig config) : config_(std::move(config)) {}

HaService::~HaService() { Stop(); }

Status HaService::Start() {
  KCX_ASSIGN_OR_RETURN(state_, LoadHaState(config_.state_file));
  if (state_.current_primary < 0 ||
      state_.current_primary >= static_cast<int>(config_.instances.size())) {
    return Invalid("state file names primary " + std::to_string(state_.current_primary) +
                   " outside the instance list");
  }
  OperatorTimeouts t;
  t.connect_s = 1;
  t.read_s = std::max(1, config_.hung_timeout_s);
  t.op_read_s = 60;
  const std::string& admin = config_.passwords.Get(SystemUser::kAdmin);
  ops_ = std::make_unique<SqlOperatorFactory>("moco-admin", admin, t, SparedUsers());
  watchers_ =
      std::make_unique<clustering::SqlWatcherFactory>("moco-admin", admin, config_.hung_timeout_s);
  clustering::ManagerOptions mo;
  mo.check_interval = config_.check_interval;
  manager_ =
      std::make_unique<clustering::ClusterManager>(this, this, ops_.get(), watchers_.get(), mo);
  KCX_RETURN_IF_ERROR(http_.Start(config_.listen_host, config_.listen_port,
                                  [this](const net::HttpRequest& r) { return Handle(r); }));
  log::Info("mysql ha: cluster {} with {} instances; primary {}; http on {}:{}", config_.name,
            config_.instances.size(), state_.current_primary, config_.listen_host, http_.port());
  manager_->Start();
  return Status::Ok();
}

void HaService::Stop() {
  http_.Stop();
  if (manager_)
    manager_->Stop();
}

Result<clustering::ClusterSpec> HaService::Get() {
  clustering::ClusterSpec s;
  s.name = config_.name;
  s.instances = config_.instances;
  s.server_id_base = config_.server_id_base;
  s.passwords = config_.passwords;
  std::lock_guard l(mu_);
  s.current_primary = state_.current_primary;
  s.errant_hint = state_.errant;
  return s;
}

void HaService::OnReport(const clustering::ClusterReport& r) {
  std::lock_guard l(mu_);
  if (r.state != report_.state) {
    log::Info("mysql ha: cluster {} is {}", config_.name, clustering::StateName(r.state));
  }
  report_ = r;
}

Status HaService::OnPrimaryChanged(int p) {
  std::lock_guard l(mu_);
  HaState next = state_;
  next.current_primary = p;
  KCX_RETURN_IF_ERROR(SaveHaState(config_.state_file, next));
  state_ = next;
  return Status::Ok();
}

void HaService::OnErrantChanged(const std::set<int>& errant) {
  std::lock_guard l(mu_);
  HaState next = state_;
  next.errant = errant;
  Status st = SaveHaState(config_.state_file, next);
  if (!st.ok())
    log::Warn("mysql ha: {}", st.ToString());
  state_ = next;
}

void HaService::OnEvent(std::string_view reason, bool warning, const std::string& message) {
  if (warning) {
    log::Warn("mysql ha: event {}: {}", reason, message);
  } else {
    log::Info("mysql ha: event {}: {}", reason, message);
  }
}

std::string HaService::StatusJson() const {
  clustering::ClusterReport r;
  {
    std::lock_guard l(mu_);
    r = report_;
  }
  boost::json::object o;
  o["name"] = r.name;
  o["state"] = std::string(clustering::StateName(r.state));
  o["primary"] = r.primary;
  o["readyReplicas"] = r.ready_replicas;
  o["switchoverPending"] = manager_ ? manager_->SwitchoverPending() : false;
  o["time"] = FormatRfc3339Micro(r.time);
  boost::json::array errant;
  for (int i : r.errant)
    errant.push_back(i);
  o["errant"] = std::move(errant);
  boost::json::array insts;
  for (const auto& i : r.instances) {
    boost::json::object x;
    x["index"] = i.index;
    x["endpoint"] = i.endpoint.ToString();
    x["reachable"] = i.reachable;
    x["role"] = std::string(clustering::RoleName(i.role));
    x["readOnly"] = i.read_only;
    x["errant"] = i.errant;
    x["gtid"] = i.executed;
    x["source"] = i.source;
    x["replicating"] = i.replicating;
    x["error"] = i.error;
    insts.push_back(std::move(x));
  }
  o["instances"] = std::move(insts);
  return boost::json::serialize(o);
}

std::string HaService::MetricsText() const {
  std::string out;
  if (manager_)
    manager_->metrics().Render(out, config_.name, "", true);
  return out;
}

net::HttpResponse HaService::Handle(const net::HttpRequest& req) {
  std::string path = req.target.substr(0, req.target.find('?'));
  std::string query =
      req.target.find('?') == std::string::npos ? "" : req.target.substr(req.target.find('?') + 1);
  if (req.method == "GET" && path == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8", MetricsText()};
  }
  if (req.method == "GET" && path == "/status")
    return {200, "application/json", StatusJson()};
  if (req.method == "GET" && path == "/healthz")
    return {200, "text/plain", "ok\n"};
  if (req.method == "POST" && path == "/switchover") {
    std::optional<int> to;
    if (StartsWith(query, "to=")) {
      try {
        to = std::stoi(query.substr(3));
      } catch (...) {
        return {400, "text/plain", "bad 'to'\n"};
      }
      if (*to < 0 || *to >= static_cast<int>(config_.instances.size())) {
        return {400, "text/plain", "no such instance\n"};
      }
    }
    if (config_.instances.size() < 2)
      return {409, "text/plain", "a single instance cannot switch over\n"};
    log::Info("mysql ha: switchover requested{}", to ? " to instance " + std::to_string(*to) : "");
    manager_->RequestSwitchover(to);
    return {202, "application/json", StatusJson()};
  }
  return {404, "text/plain", "not found\n"};
}

}  // namespace kcx::mysql::ha
