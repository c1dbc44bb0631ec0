#include "test/mysql/managed_cluster.h"

#include <thread>

namespace kcx::mysql::testing {

Result<std::unique_ptr<ManagedCluster>> ManagedCluster::Create(ManagedClusterOptions o) {
  std::unique_ptr<ManagedCluster> m(new ManagedCluster());
  KCX_ASSIGN_OR_RETURN(m->harness_, MariadbHarness::Create(o.instances));
  KCX_RETURN_IF_ERROR(m->harness_->StartAll());
  m->cluster_ = std::make_unique<clustering::MemoryCluster>(m->harness_->Spec("test"));
  std::vector<std::string> spared = SparedUsers();
  OperatorTimeouts t;
  t.connect_s = 1;
  t.read_s = 2;
  t.op_read_s = 30;
  const auto& pw = m->harness_->passwords();
  m->ops_ =
      std::make_unique<SqlOperatorFactory>("moco-admin", pw.Get(SystemUser::kAdmin), t, spared);
  if (o.watch) {
    m->watchers_ = std::make_unique<clustering::SqlWatcherFactory>(
        "moco-admin", pw.Get(SystemUser::kAdmin), o.hung_timeout_s);
  }
  clustering::ManagerOptions mo;
  mo.check_interval = o.check_interval;
  mo.readonly_wait = std::chrono::milliseconds(2000);
  mo.gtid_wait = std::chrono::milliseconds(20000);
  m->manager_ = std::make_unique<clustering::ClusterManager>(m->cluster_.get(), m->cluster_.get(),
                                                             m->ops_.get(), m->watchers_.get(), mo);
  m->manager_->Start();
  return m;
}

ManagedCluster::~ManagedCluster() {
  if (manager_)
    manager_->Stop();
  manager_.reset();
  harness_.reset();
}

std::vector<Endpoint> ManagedCluster::endpoints() const {
  std::vector<Endpoint> v;
  for (int i = 0; i < harness_->size(); ++i)
    v.push_back(harness_->at(i).endpoint());
  return v;
}

bool ManagedCluster::WaitFor(const std::function<bool(const clustering::ClusterReport&)>& pred,
                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred(cluster_->report()))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred(cluster_->report());
}

bool ManagedCluster::WaitForState(clustering::ClusterState state, std::chrono::milliseconds timeout,
                                  int primary) {
  return WaitFor(
      [&](const clustering::ClusterReport& r) {
        return r.state == state && (primary < 0 || r.primary == primary);
      },
      timeout);
}

std::string ManagedCluster::Describe() {
  auto r = cluster_->report();
  std::string s = "state=" + std::string(clustering::StateName(r.state)) +
                  " primary=" + std::to_string(r.primary) + "\n";
  for (const auto& i : r.instances) {
    s += "  [" + std::to_string(i.index) + "] " + i.endpoint.ToString() +
         " reachable=" + std::to_string(i.reachable) +
         " role=" + std::string(clustering::RoleName(i.role)) +
         " ro=" + std::to_string(i.read_only) + " errant=" + std::to_string(i.errant) +
         " gtid=" + i.executed + " source=" + i.source + " repl=" + std::to_string(i.replicating) +
         " err=" + i.error + "\n";
  }
  for (const auto& e : cluster_->events())
    s += "  event " + e + "\n";
  return s;
}

Result<std::string> ManagedCluster::QueryValue(int i, const std::string& sql) {
  KCX_ASSIGN_OR_RETURN(auto c, harness_->at(i).Connect(SystemUser::kAdmin));
  KCX_ASSIGN_OR_RETURN(auto rs, c->Query(sql));
  if (rs.rows.empty() || rs.rows[0].empty() || !rs.rows[0][0])
    return std::string();
  return *rs.rows[0][0];
}

}  // namespace kcx::mysql::testing
