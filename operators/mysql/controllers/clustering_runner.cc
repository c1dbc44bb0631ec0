#include "operators/mysql/controllers/clustering_runner.h"

#include <atomic>

#include "api/json.h"
#include "client/errors.h"
#include "common/log.h"
#include "common/strings.h"
#include "operators/mysql/clustering/watcher.h"
#include "operators/mysql/controllers/kinds.h"
#include "operators/mysql/controllers/status.h"
#include "operators/mysql/db/sql_operator.h"

namespace kcx::mysql::controllers {

namespace json = boost::json;
namespace kj = kcx::api;
using runtime::ObjectPtr;

namespace {

std::string Key(std::string_view ns, std::string_view name) {
  return std::string(ns) + "/" + std::string(name);
}

Result<Passwords> PasswordsFromSecret(const runtime::Object& secret) {
  json::value v = secret.Value();
  std::map<std::string, std::string> m;
  if (const json::object* data = v.is_object() ? kj::GetObject(v.get_object(), "data") : nullptr) {
    for (const auto& [k, val] : *data) {
      if (!val.is_string())
        continue;
      if (auto d = Base64Decode(val.get_string()))
        m[std::string(k)] = *d;
    }
  }
  return Passwords::FromMap(m);
}

}  // namespace

class ClusteringRunner::Worker : public clustering::ClusterSource,
                                 public clustering::ClusterReporter {
 public:
  Worker(ClusteringRunner* runner, std::string ns, std::string name, const Passwords& pw)
      : runner_(runner), ns_(std::move(ns)), name_(std::move(name)), objects_(runner->client_) {
    const std::string& admin = pw.Get(SystemUser::kAdmin);
    if (runner_->opts_.ops_factory) {
      ops_ = runner_->opts_.ops_factory(pw);
    } else {
      OperatorTimeouts t;
      ops_ = std::make_unique<SqlOperatorFactory>(std::string(UserName(SystemUser::kAdmin)), admin,
                                                  t, SparedUsers());
      if (runner_->opts_.fast_detection) {
        watchers_ = std::make_unique<clustering::SqlWatcherFactory>(
            std::string(UserName(SystemUser::kAdmin)), admin, 5);
      }
    }
    admin_password_ = admin;
    manager_ = std::make_unique<clustering::ClusterManager>(this, this, ops_.get(), watchers_.get(),
                                                            runner_->opts_.manager);
    manager_->Start();
  }
  ~Worker() override { manager_->Stop(); }

  clustering::ClusterManager& manager() { return *manager_; }
  const std::string& admin_password() const { return admin_password_; }
  // The primary as the manager last knew it (-1: not yet known). Read from reconcile workers.
  int known_primary() const { return known_primary_.load(); }

  Result<clustering::ClusterSpec> Get() override {
    ObjectPtr obj =
        runner_->controller_->InformerFor(kMySQLClusterKind)->GetIndexer().Get(ns_, name_);
    if (!obj)
      return NotFound("MySQLCluster " + Key(ns_, name_) + " is gone");
    KCX_ASSIGN_OR_RETURN(api::MySQLCluster c, api::ParseMySQLCluster(obj->Value()));
    clustering::ClusterSpec s;
    s.name = Key(ns_, name_);
    s.server_id_base = c.server_id_base;
    s.current_primary = c.current_primary_index;
    s.errant_hint.insert(c.errant_replica_list.begin(), c.errant_replica_list.end());
    s.offline = c.offline;
    ObjectPtr secret =
        runner_->controller_->InformerFor(kSecretKind)
            ->GetIndexer()
            .Get(runner_->opts_.controller_namespace, api::ControllerSecretName(ns_, name_));
    if (!secret)
      return Unavailable("the controller Secret of " + Key(ns_, name_) + " is missing");
    KCX_ASSIGN_OR_RETURN(s.passwords, PasswordsFromSecret(*secret));
    if (c.offline)
      return s;
    auto& pods = runner_->controller_->InformerFor(kPodKind)->GetIndexer();
    int found = 0;
    for (int i = 0; i < c.replicas; ++i) {
      Endpoint ep;
      ep.port = runner_->opts_.port;
      if (ObjectPtr pod = pods.Get(ns_, api::PodName(name_, i))) {
        ++found;
        json::value pv = pod->Value();
        if (runner_->opts_.use_pod_hostnames) {
          ep.host = api::PodHostname(name_, ns_, i);
        } else if (pv.is_object()) {
          ep.host = std::string(kj::GetStringPath(pv.get_object(), {"status", "podIP"}));
        }
      }
      s.instances.push_back(std::move(ep));
    }
    // As MOCO: with Pods missing, the picture is incomplete; do nothing until they exist.
    if (found != c.replicas) {
      return Unavailable(std::to_string(found) + " of " + std::to_string(c.replicas) + " Pods of " +
                         Key(ns_, name_) + " exist");
    }
    return s;
  }

  void OnReport(const clustering::ClusterReport& r) override {
    ObjectPtr obj =
        runner_->controller_->InformerFor(kMySQLClusterKind)->GetIndexer().Get(ns_, name_);
    if (!obj)
      return;
    json::value cv = obj->Value();
    if (!cv.is_object())
      return;
    int64_t gen = kj::GetInt(*kj::GetObject(cv.get_object(), "metadata"), "generation");
    std::string now = FormatRfc3339(std::chrono::system_clock::now());
    using S = clustering::ClusterState;
    S st = r.state;
    std::string reason(clustering::StateName(st));
    bool initialized = st != S::kCloning && st != S::kRestoring;
    bool available = st == S::kHealthy || st == S::kDegraded;
    bool healthy = st == S::kHealthy;
    int errant = int(r.errant.size());
    if (r.primary >= 0)
      known_primary_.store(r.primary);
    auto w = UpdateClusterStatus(objects_, ns_, name_, &cv.get_object(), [&](json::object& s) {
      json::value& cvv = s["conditions"];
      if (!cvv.is_array())
        cvv = json::array();
      json::array& conds = cvv.get_array();
      bool changed = false;
      changed |= SetCondition(conds, api::kCondInitialized, initialized, reason, "", gen, now);
      changed |= SetCondition(conds, api::kCondAvailable, available, reason, "", gen, now);
      changed |= SetCondition(conds, api::kCondHealthy, healthy, reason, "", gen, now);
      changed |=
          SetCondition(conds, api::kCondClusteringActive, true, "ClusteringActive", "", gen, now);
      auto set = [&](std::string_view k, json::value v) {
        json::value* cur = s.if_contains(k);
        if (!cur || *cur != v) {
          s[k] = std::move(v);
          changed = true;
        }
      };
      set("syncedReplicas", r.ready_replicas);
      set("errantReplicas", errant);
      json::array el;
      for (int e : r.errant)
        el.push_back(e);
      if (el.empty()) {
        if (s.erase("errantReplicaList"))
          changed = true;
      } else {
        set("errantReplicaList", std::move(el));
      }
      return changed;
    });
    if (!w.ok())
      log::Warn("clustering {}: status: {}", Key(ns_, name_), w.status().message());
    SyncRoleLabels(r);
  }

  Status OnPrimaryChanged(int new_primary) override {
    int old = -1;
    auto w = UpdateClusterStatus(objects_, ns_, name_, nullptr, [&](json::object& s) {
      old = int(kj::GetInt(s, "currentPrimaryIndex", 0));
      if (old == new_primary && s.contains("currentPrimaryIndex"))
        return false;
      s["currentPrimaryIndex"] = new_primary;
      return true;
    });
    if (!w.ok())
      return w.status();
    known_primary_.store(new_primary);
    // The demote request on the old primary is fulfilled.
    if (old >= 0 && old != new_primary) {
      std::string patch =
          R"({"metadata":{"annotations":{")" + std::string(api::kAnnDemote) + R"(":null}}})";
      auto r = objects_.Patch(kPodKind, ns_, api::PodName(name_, old),
                              "application/merge-patch+json", patch);
      if (!r.ok() && !client::IsNotFound(r.status())) {
        log::Warn("clustering {}: removing the demote annotation: {}", Key(ns_, name_),
                  r.status().message());
      }
    }
    return Status::Ok();
  }

  void OnErrantChanged(const std::set<int>& errant) override {
    auto w = UpdateClusterStatus(objects_, ns_, name_, nullptr, [&](json::object& s) {
      json::array el;
      for (int e : errant)
        el.push_back(e);
      json::value* cur = s.if_contains("errantReplicaList");
      if (el.empty()) {
        bool changed = s.erase("errantReplicaList") > 0;
        json::value* n = s.if_contains("errantReplicas");
        if (n && *n != json::value(0)) {
          s["errantReplicas"] = 0;
          changed = true;
        }
        return changed;
      }
      if (cur && *cur == json::value(el))
        return false;
      s["errantReplicaList"] = std::move(el);
      s["errantReplicas"] = int64_t(errant.size());
      return true;
    });
    if (!w.ok())
      log::Warn("clustering {}: status: {}", Key(ns_, name_), w.status().message());
  }

  void OnEvent(std::string_view reason, bool warning, const std::string& message) override {
    if (!runner_->events_)
      return;
    ObjectPtr obj =
        runner_->controller_->InformerFor(kMySQLClusterKind)->GetIndexer().Get(ns_, name_);
    runner_->events_->Event({std::string(api::kApiVersion), std::string(api::kKind), ns_, name_,
                             obj ? std::string(obj->uid()) : "", ""},
                            warning ? "Warning" : "Normal", std::string(reason), message);
  }

 private:
  // moco.cybozu.com/role: primary / replica; none for errant or unknown instances. The
  // primary and replica Services select on it.
  void SyncRoleLabels(const clustering::ClusterReport& r) {
    auto& pods = runner_->controller_->InformerFor(kPodKind)->GetIndexer();
    for (const auto& inst : r.instances) {
      std::string pod_name = api::PodName(name_, inst.index);
      ObjectPtr pod = pods.Get(ns_, pod_name);
      if (!pod)
        continue;
      std::string want;
      if (!inst.errant) {
        if (inst.role == clustering::Role::kPrimary)
          want = api::kRolePrimary;
        if (inst.role == clustering::Role::kReplica)
          want = api::kRoleReplica;
      }
      std::string have;
      for (const auto& [k, v] : pod->labels()) {
        if (k == api::kLabelRole)
          have = v;
      }
      if (have == want)
        continue;
      json::object labels{
          {std::string(api::kLabelRole), want.empty() ? json::value(nullptr) : json::value(want)}};
      json::object patch{{"metadata", {{"labels", std::move(labels)}}}};
      auto res = objects_.Patch(kPodKind, ns_, pod_name, "application/merge-patch+json",
                                json::serialize(patch));
      if (!res.ok() && !client::IsNotFound(res.status())) {
        log::Warn("clustering {}: labelling {}: {}", Key(ns_, name_), pod_name,
                  res.status().message());
      }
    }
  }

  ClusteringRunner* runner_;
  std::string ns_, name_;
  runtime::ObjectClient objects_;
  std::string admin_password_;
  std::unique_ptr<DbOperatorFactory> ops_;
  std::unique_ptr<clustering::WatcherFactory> watchers_;
  std::unique_ptr<clustering::ClusterManager> manager_;
  std::atomic<int> known_primary_{-1};
};

ClusteringRunner::ClusteringRunner(client::RestClient* client, runtime::Controller* controller,
                                   runtime::EventRecorder* events, ClusteringOptions opts)
    : client_(client), controller_(controller), events_(events), opts_(std::move(opts)) {}

ClusteringRunner::~ClusteringRunner() { StopAll(); }

size_t ClusteringRunner::workers() const {
  std::lock_guard l(mu_);
  return workers_.size();
}

void ClusteringRunner::RenderMetrics(std::string& out) const {
  std::lock_guard l(mu_);
  bool first = true;
  for (const auto& [key, w] : workers_) {
    auto slash = key.find('/');
    w->manager().metrics().Render(out, key.substr(slash + 1), key.substr(0, slash), first);
    first = false;
  }
}

void ClusteringRunner::Sync(const api::MySQLCluster& c) {
  std::string key = Key(c.ns, c.name);
  if (c.ClusteringStopped()) {
    Remove(c.ns, c.name);
    // ClusteringActive=False says the manager is paused (MOCO's Pause).
    runtime::ObjectClient objects(client_);
    std::string now = FormatRfc3339(std::chrono::system_clock::now());
    auto w = UpdateClusterStatus(objects, c.ns, c.name, &c.raw, [&](json::object& s) {
      json::value& cv = s["conditions"];
      if (!cv.is_array())
        cv = json::array();
      return SetCondition(
          cv.get_array(), api::kCondClusteringActive, false, "ClusteringStopped",
          "clustering is stopped by the annotation " + std::string(api::kAnnClusteringStopped),
          c.generation, now);
    });
    if (!w.ok())
      log::Warn("clustering {}: status: {}", key, w.status().message());
    return;
  }
  // Start only once there is something to manage: the passwords and at least one Pod.
  ObjectPtr secret = controller_->InformerFor(kSecretKind)
                         ->GetIndexer()
                         .Get(opts_.controller_namespace, api::ControllerSecretName(c.ns, c.name));
  if (!secret)
    return;
  auto pw = PasswordsFromSecret(*secret);
  if (!pw.ok())
    return;
  auto& pods = controller_->InformerFor(kPodKind)->GetIndexer();
  bool any_pod = false;
  for (int i = 0; i < c.replicas && !any_pod; ++i)
    any_pod = pods.Get(c.ns, api::PodName(c.name, i)) != nullptr;
  if (!any_pod && !c.offline)
    return;

  Worker* w = nullptr;
  std::unique_ptr<Worker> replaced;
  {
    std::lock_guard l(mu_);
    auto it = workers_.find(key);
    if (it != workers_.end() && it->second->admin_password() != pw->Get(SystemUser::kAdmin)) {
      replaced = std::move(it->second);  // the passwords changed: reconnect with the new ones
      workers_.erase(it);
      it = workers_.end();
    }
    if (it == workers_.end()) {
      it = workers_.emplace(key, std::make_unique<Worker>(this, c.ns, c.name, *pw)).first;
    }
    w = it->second.get();
  }
  replaced.reset();
  // Switchover triggers: the primary Pod being deleted, or annotated for demotion. Right after
  // a switchover the caches may still show the old primary in the status and its Pod still
  // annotated (the annotation is removed by OnPrimaryChanged, the request flag is cleared
  // before the watch delivers either): that stale picture must not request a second
  // switchover away from the new primary, so the cached status has to agree with the manager.
  int known = w->known_primary();
  bool status_current = known < 0 || known == c.current_primary_index;
  ObjectPtr primary =
      status_current ? pods.Get(c.ns, api::PodName(c.name, c.current_primary_index)) : nullptr;
  if (primary) {
    json::value pv = primary->Value();
    bool demote = pv.is_object() &&
                  kj::GetStringPath(pv.get_object(), {"metadata", "annotations",
                                                      std::string_view(api::kAnnDemote)}) == "true";
    if ((primary->deleting() || demote) && c.replicas > 1 && !w->manager().SwitchoverPending()) {
      log::Info("clustering {}: switchover requested ({})", key,
                primary->deleting() ? "the primary Pod is being deleted" : "demote annotation");
      w->manager().RequestSwitchover();
    }
  }
  w->manager().Trigger();
}

void ClusteringRunner::Remove(const std::string& ns, const std::string& name) {
  std::unique_ptr<Worker> w;
  {
    std::lock_guard l(mu_);
    auto it = workers_.find(Key(ns, name));
    if (it == workers_.end())
      return;
    w = std::move(it->second);
    workers_.erase(it);
  }
  w.reset();  // stops the manager outside the lock
}

void ClusteringRunner::StopAll() {
  std::map<std::string, std::unique_ptr<Worker>> all;
  {
    std::lock_guard l(mu_);
    all.swap(workers_);
  }
  all.clear();
}

}  // namespace kcx::mysql::controllers
