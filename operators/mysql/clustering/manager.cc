#include "operators/mysql/clustering/manager.h"

#include <algorithm>
#include <future>

#include "common/log.h"

namespace kcx::mysql::clustering {
namespace {

// Replication errors that mean the instance has diverged from its source (errant), as opposed
// to the source having purged the binlogs it needs. 1236: the source refused the position;
// 1950: gtid_strict_mode saw an out-of-order sequence number.
bool IsDivergenceError(const ReplicaStatus& r) {
  if (r.last_sql_errno == 1950)
    return true;
  if (r.last_io_errno != 1236)
    return false;
  return r.last_io_error.find("purged") == std::string::npos;
}

}  // namespace

ClusterManager::ClusterManager(ClusterSource* source, ClusterReporter* reporter,
                               DbOperatorFactory* ops, WatcherFactory* watchers,
                               ManagerOptions opts)
    : source_(source),
      reporter_(reporter),
      ops_factory_(ops),
      watcher_factory_(watchers),
      o_(std::move(opts)),
      pool_(std::max(1, o_.gather_threads)) {
  if (!o_.sleep)
    o_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

ClusterManager::~ClusterManager() { Stop(); }

void ClusterManager::Start() {
  std::lock_guard l(mu_);
  if (worker_.joinable())
    return;
  stop_ = false;
  triggered_ = true;
  worker_ = std::thread([this] { Loop(); });
}

void ClusterManager::Stop() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable())
    worker_.join();
  for (auto& w : watchers_) {
    if (w)
      w->RequestStop();
  }
  watchers_.clear();
  ops_.clear();
}

void ClusterManager::Trigger() {
  {
    std::lock_guard l(mu_);
    triggered_ = true;
  }
  cv_.notify_all();
}

void ClusterManager::RequestSwitchover(std::optional<int> target) {
  {
    std::lock_guard l(mu_);
    switchover_requested_ = true;
    switchover_target_ = target;
    triggered_ = true;
  }
  cv_.notify_all();
}

bool ClusterManager::SwitchoverPending() const {
  std::lock_guard l(mu_);
  return switchover_requested_;
}

ClusterReport ClusterManager::LastReport() const {
  std::lock_guard l(mu_);
  return last_report_;
}

void ClusterManager::Sleep(std::chrono::milliseconds d) {
  if (d.count() > 0)
    o_.sleep(d);
}

void ClusterManager::Loop() {
  for (;;) {
    {
      std::unique_lock l(mu_);
      cv_.wait_for(l, o_.check_interval, [&] { return stop_ || triggered_; });
      if (stop_)
        return;
      triggered_ = false;
    }
    auto r = RunOnce();
    if (!r.ok()) {
      log::Warn("clustering: pass failed: {}", r.status().ToString());
    } else if (*r) {
      std::lock_guard l(mu_);
      triggered_ = true;
    }
  }
}

void ClusterManager::SyncInstances(const ClusterSpec& spec) {
  const size_t n = spec.instances.size();
  if (ops_.size() != n) {
    for (auto& w : watchers_) {
      if (w)
        w->RequestStop();
    }
    watchers_.clear();
    ops_.clear();
    busy_.clear();
    endpoints_.clear();
    ops_.resize(n);
    busy_.resize(n);
    watchers_.resize(n);
    endpoints_.resize(n);
  }
  for (size_t i = 0; i < n; ++i) {
    if (ops_[i] && endpoints_[i] == spec.instances[i])
      continue;
    endpoints_[i] = spec.instances[i];
    ops_[i] = ops_factory_->New(static_cast<int>(i), endpoints_[i]);
    busy_[i] = std::make_shared<std::atomic<bool>>(false);
    if (watcher_factory_) {
      watchers_[i].reset();
      watchers_[i] =
          watcher_factory_->Start(static_cast<int>(i), endpoints_[i], [this] { Trigger(); });
    }
  }
}

ClusterStatus ClusterManager::Gather(const ClusterSpec& spec) {
  ClusterStatus cs;
  cs.primary = spec.current_primary;
  cs.server_id_base = spec.server_id_base;
  cs.offline = spec.offline;
  cs.instances.resize(spec.instances.size());
  struct Slot {
    std::optional<InstanceStatus> status;
    std::string error;
    bool done = false;
  };
  struct Batch {
    std::mutex mu;
    std::condition_variable cv;
    size_t remaining = 0;
    std::vector<Slot> slots;
  };
  auto batch = std::make_shared<Batch>();
  batch->slots.resize(spec.instances.size());
  std::vector<bool> asked(spec.instances.size(), false);
  for (size_t i = 0; i < spec.instances.size(); ++i) {
    auto& iv = cs.instances[i];
    iv.index = static_cast<int>(i);
    iv.endpoint = spec.instances[i];
    if (watchers_[i] && watchers_[i]->Down()) {
      iv.error = "down (watcher)";
      continue;
    }
    if (busy_[i]->load()) {
      iv.error = "not answering (a previous status call is still pending)";
      continue;
    }
    asked[i] = true;
    busy_[i]->store(true);
    {
      std::lock_guard l(batch->mu);
      batch->remaining++;
    }
    // The task owns what it touches (shared pointers): the pass may give up on it.
    pool_.Submit([this, batch, i, op = ops_[i], busy = busy_[i], watcher = watchers_[i].get()] {
      Slot slot;
      for (int t = 0; t < std::max(1, o_.status_tries); ++t) {
        auto r = op->GetStatus();
        if (r.ok()) {
          slot.status = std::move(*r);
          slot.error.clear();
          break;
        }
        slot.error = r.status().message();
        op->Close();
        if (t + 1 >= o_.status_tries)
          break;
        Sleep(o_.status_retry_interval);
      }
      (void)watcher;
      slot.done = true;
      std::lock_guard l(batch->mu);
      batch->slots[i] = std::move(slot);
      busy->store(false);
      if (--batch->remaining == 0)
        batch->cv.notify_all();
    });
  }
  {
    std::unique_lock l(batch->mu);
    // Wait in slices so that an instance its watcher declares down meanwhile (a hang noticed
    // by the watch connection's read timeout) does not hold the pass until the deadline.
    constexpr auto kSlice = std::chrono::milliseconds(50);
    for (auto waited = std::chrono::milliseconds(0);
         batch->remaining > 0 && waited < o_.gather_deadline; waited += kSlice) {
      if (batch->cv.wait_for(l, kSlice, [&] { return batch->remaining == 0; }))
        break;
      bool pending_all_down = true;
      for (size_t i = 0; i < spec.instances.size(); ++i) {
        if (asked[i] && !batch->slots[i].done && !(watchers_[i] && watchers_[i]->Down())) {
          pending_all_down = false;
        }
      }
      if (pending_all_down)
        break;
    }
    for (size_t i = 0; i < spec.instances.size(); ++i) {
      if (!asked[i])
        continue;
      if (!batch->slots[i].done) {
        cs.instances[i].error = "status timed out";
        continue;
      }
      cs.instances[i].status = std::move(batch->slots[i].status);
      cs.instances[i].error = std::move(batch->slots[i].error);
    }
  }
  // Re-read the primary's executed set after the replicas': a replica can then never look
  // ahead of the primary merely because it was read later.
  auto& p = cs.instances[static_cast<size_t>(cs.primary)];
  if (p.status) {
    auto r = ops_[static_cast<size_t>(cs.primary)]->GetExecuted();
    if (r.ok())
      p.status->executed = std::move(*r);
  }
  return cs;
}

void ClusterManager::UpdateSticky(const ClusterStatus& cs) {
  for (const auto& iv : cs.instances) {
    if (!iv.status || iv.index == cs.primary)
      continue;
    auto it = sticky_.find(iv.index);
    const std::string exec = iv.status->executed.ToString();
    if (it != sticky_.end() && it->second != exec)
      sticky_.erase(it);
    if (iv.status->replica && IsDivergenceError(*iv.status->replica)) {
      if (!sticky_.count(iv.index)) {
        log::Warn("clustering: instance {} diverged from its source: [{}] {}", iv.index,
                  iv.status->replica->last_io_errno ? iv.status->replica->last_io_errno
                                                    : iv.status->replica->last_sql_errno,
                  iv.status->replica->last_io_errno ? iv.status->replica->last_io_error
                                                    : iv.status->replica->last_sql_error);
      }
      sticky_[iv.index] = exec;
    }
  }
}

SourceInfo ClusterManager::SourceFor(const ClusterSpec& spec, int index, SystemUser user) const {
  return {spec.instances[static_cast<size_t>(index)], std::string(UserName(user)),
          spec.passwords.Get(user)};
}

// read_only=ON bounded as MOCO does: if it is still blocked after readonly_wait (long
// transactions, commits waiting for semi-sync acknowledgements), kill client connections from
// a second connection and keep waiting.
Status ClusterManager::Fence(DbOperator& op, int index) {
  op.KillConnections().IgnoreError();
  auto fut = std::async(std::launch::async, [&op] { return op.SetReadOnly(true); });
  if (fut.wait_for(o_.readonly_wait) != std::future_status::ready) {
    log::Warn("clustering: read_only on instance {} blocked; killing connections", index);
    auto killer = ops_factory_->New(index, endpoints_[static_cast<size_t>(index)]);
    killer->KillConnections().IgnoreError();
  }
  KCX_RETURN_IF_ERROR(fut.get());
  Sleep(std::chrono::milliseconds(100));
  return op.KillConnections();
}

Status ClusterManager::ConfigureReplicaAt(const ClusterSpec& spec, ClusterStatus& cs, int i) {
  auto& iv = cs.instances[static_cast<size_t>(i)];
  auto& s = *iv.status;
  DbOperator& op = *ops_[static_cast<size_t>(i)];
  if (!s.read_only) {
    log::Info("clustering: instance {} is writable but not the primary; fencing it", i);
    KCX_RETURN_IF_ERROR(Fence(op, i));
    s.read_only = true;
  }
  if (iv.errant) {
    if (s.replica && (s.replica->io_running || s.replica->io_connecting)) {
      log::Warn("clustering: instance {} has errant transactions; stopping its IO thread", i);
      return op.StopReplicaIo();
    }
    return Status::Ok();
  }
  const auto& p = cs.Primary();
  if (!p.status)
    return Status::Ok();
  const int n = cs.size();
  bool reconfigure = false;
  if (s.executed.Empty() && !p.status->executed.Empty()) {
    log::Info("clustering: instance {} is empty; seeding it from the primary {}", i, cs.primary);
    auto r = op.SeedFrom(SourceFor(spec, cs.primary, SystemUser::kCloneDonor));
    if (!r.ok()) {
      reporter_->OnEvent(
          kEventCloneFailed, true,
          "seeding instance " + std::to_string(i) + " failed: " + r.status().message());
      return r.status();
    }
    reporter_->OnEvent(kEventCloned, false,
                       "seeded instance " + std::to_string(i) + " from instance " +
                           std::to_string(cs.primary) + " (" + r->method + ", " +
                           std::to_string(r->tables) + " tables, " + std::to_string(r->rows) +
                           " rows, position " + r->position.ToString() + ")");
    reconfigure = true;
  }
  const bool semisync = n > 1;
  const Endpoint& pe = cs.Primary().endpoint;
  if (!reconfigure) {
    const bool ok = s.replica && s.replica->source_host == pe.host &&
                    s.replica->source_port == pe.port &&
                    (s.replica->io_running || s.replica->io_connecting) && s.replica->sql_running &&
                    s.semisync_replica_enabled == semisync && !s.semisync_source_enabled;
    if (ok)
      return Status::Ok();
  }
  log::Info("clustering: instance {} replicates from {} (instance {})", i, pe.ToString(),
            cs.primary);
  return op.ConfigureReplica(SourceFor(spec, cs.primary, SystemUser::kRepl), semisync);
}

Status ClusterManager::ConfigurePrimaryAt(const ClusterSpec&, ClusterStatus& cs) {
  auto& s = *cs.instances[static_cast<size_t>(cs.primary)].status;
  DbOperator& op = *ops_[static_cast<size_t>(cs.primary)];
  const int n = cs.size();
  const int wait_count = n > 1 ? std::max(1, n / 2) : 0;
  bool config =
      s.semisync_replica_enabled || s.semisync_source_enabled != (wait_count > 0) ||
      (wait_count > 0 && s.flavor == Flavor::kMySQL && s.semisync_wait_count != wait_count);
  if (s.replica) {
    KCX_RETURN_IF_ERROR(op.StopReplicaIo());
    if (!s.replica->retrieved.Empty()) {
      KCX_RETURN_IF_ERROR(op.WaitForGtid(s.replica->retrieved, o_.gtid_wait));
    }
    config = true;
  }
  if (config) {
    log::Info("clustering: instance {} is the primary (semi-sync wait count {})", cs.primary,
              wait_count);
    KCX_RETURN_IF_ERROR(op.ConfigurePrimary(wait_count));
  }
  if (s.read_only) {
    KCX_RETURN_IF_ERROR(op.SetReadOnly(false));
    s.read_only = false;
    reporter_->OnEvent(kEventWritable, false,
                       "instance " + std::to_string(cs.primary) + " is writable");
  }
  return Status::Ok();
}

Status ClusterManager::Configure(const ClusterSpec& spec, ClusterStatus& cs) {
  Status first;
  // Replicas first: with semi-sync on, the primary blocks writes until one is connected.
  for (auto& iv : cs.instances) {
    if (iv.index == cs.primary || !iv.status)
      continue;
    Status st = ConfigureReplicaAt(spec, cs, iv.index);
    if (!st.ok()) {
      log::Warn("clustering: configuring instance {}: {}", iv.index, st.ToString());
      if (first.ok())
        first = st;
    }
  }
  if (cs.Primary().status) {
    Status st = ConfigurePrimaryAt(spec, cs);
    if (!st.ok() && first.ok())
      first = st;
  }
  return first;
}

Status ClusterManager::Switchover(const ClusterSpec&, ClusterStatus& cs, int c) {
  const int p = cs.primary;
  DbOperator& pop = *ops_[static_cast<size_t>(p)];
  log::Info("clustering: switchover from instance {} to instance {}", p, c);
  KCX_RETURN_IF_ERROR(Fence(pop, p));
  KCX_ASSIGN_OR_RETURN(GtidSet executed, pop.GetExecuted());
  KCX_RETURN_IF_ERROR(ops_[static_cast<size_t>(c)]->WaitForGtid(executed, o_.gtid_wait));
  KCX_RETURN_IF_ERROR(reporter_->OnPrimaryChanged(c));
  primary_override_ = c;
  metrics_.IncSwitchovers();
  reporter_->OnEvent(
      kEventSwitchOver, false,
      "primary changed from instance " + std::to_string(p) + " to instance " + std::to_string(c));
  return Status::Ok();
}

Status ClusterManager::Failover(const ClusterSpec&, ClusterStatus& cs) {
  const int p = cs.primary;
  log::Warn("clustering: primary instance {} is down; failing over", p);
  // 1. Fence: no replica acknowledges the old primary any more.
  std::vector<std::function<void()>> tasks;
  for (auto& iv : cs.instances) {
    if (iv.index == p || !iv.status)
      continue;
    tasks.push_back([this, i = iv.index] {
      Status st = ops_[static_cast<size_t>(i)]->StopReplicaIo();
      if (!st.ok())
        log::Warn("clustering: stopping IO thread on {}: {}", i, st.ToString());
    });
  }
  const auto t_fence = o_.clock->Now();
  pool_.RunAll(std::move(tasks));
  log::Info("clustering: failover: IO threads stopped in {:.3f} s",
            std::chrono::duration<double>(o_.clock->Now() - t_fence).count());
  Sleep(o_.fence_pause);
  // 2. Re-read the non-errant replicas: their retrieved sets are now final.
  std::vector<int> cands;
  tasks.clear();
  for (auto& iv : cs.instances) {
    if (iv.index == p || !iv.status || iv.errant)
      continue;
    cands.push_back(iv.index);
    tasks.push_back([this, &iv] {
      auto r = ops_[static_cast<size_t>(iv.index)]->GetStatus();
      if (r.ok())
        iv.status = std::move(*r);
      else
        iv.status.reset();
    });
  }
  pool_.RunAll(std::move(tasks));
  // 3. The candidate's retrieved+executed set must contain every other's.
  std::vector<std::pair<int, GtidSet>> sets;
  for (int i : cands) {
    const auto& s = cs.instances[static_cast<size_t>(i)].status;
    if (!s || !s->replica)
      continue;
    sets.emplace_back(i, s->replica->retrieved.Union(s->executed));
  }
  int best = -1;
  const GtidSet* best_set = nullptr;
  for (const auto& [i, u] : sets) {
    bool superset = true;
    for (const auto& [j, v] : sets) {
      if (!v.IsSubsetOf(u)) {
        superset = false;
        break;
      }
    }
    if (superset) {
      best = i;
      best_set = &u;
      break;
    }
  }
  if (best < 0)
    return Internal("no replica holds a superset of the others' transactions");
  // 4. Apply the relay log.
  const auto t_wait = o_.clock->Now();
  KCX_RETURN_IF_ERROR(ops_[static_cast<size_t>(best)]->WaitForGtid(*best_set, o_.gtid_wait));
  log::Info("clustering: failover: instance {} applied {} in {:.3f} s", best, best_set->ToString(),
            std::chrono::duration<double>(o_.clock->Now() - t_wait).count());
  // 5. Promote (the next pass configures it as the primary and makes it writable).
  KCX_RETURN_IF_ERROR(reporter_->OnPrimaryChanged(best));
  primary_override_ = best;
  metrics_.IncFailovers();
  reporter_->OnEvent(kEventFailOver, true,
                     "primary changed from instance " + std::to_string(p) + " to instance " +
                         std::to_string(best) + " (GTID " + best_set->ToString() + ")");
  return Status::Ok();
}

void ClusterManager::Report(const ClusterSpec& spec, const ClusterStatus& cs, ClusterState state) {
  ClusterReport r;
  r.name = spec.name;
  r.state = state;
  r.primary = cs.primary;
  r.time = o_.clock->WallNow();
  int ready = 0;
  for (const auto& iv : cs.instances) {
    InstanceReport ir;
    ir.index = iv.index;
    ir.endpoint = iv.endpoint;
    ir.reachable = iv.status.has_value();
    ir.errant = iv.errant;
    ir.error = iv.error;
    if (iv.errant)
      r.errant.push_back(iv.index);
    if (iv.status) {
      ir.read_only = iv.status->read_only;
      ir.executed = iv.status->executed.ToString();
      if (iv.status->replica) {
        ir.source =
            iv.status->replica->source_host + ":" + std::to_string(iv.status->replica->source_port);
        ir.replicating = iv.status->replica->io_running && iv.status->replica->sql_running;
        if (!iv.status->replica->last_io_error.empty())
          ir.error = iv.status->replica->last_io_error;
        if (!iv.status->replica->last_sql_error.empty())
          ir.error = iv.status->replica->last_sql_error;
      }
      // Roles only for instances that really play them: errant or broken replicas get none.
      if (iv.index == cs.primary) {
        ir.role = Role::kPrimary;
        if (!iv.status->read_only)
          ++ready;
      } else if (IsGoodReplica(cs, iv.index)) {
        ir.role = Role::kReplica;
        ++ready;
      }
    }
    r.instances.push_back(std::move(ir));
  }
  r.ready_replicas = ready;
  metrics_.SetState(state == ClusterState::kHealthy || state == ClusterState::kDegraded,
                    state == ClusterState::kHealthy, cs.size(), ready,
                    static_cast<int>(r.errant.size()));
  reporter_->OnReport(r);
  std::lock_guard l(mu_);
  last_report_ = std::move(r);
}

Result<bool> ClusterManager::RunOnce() {
  const auto t0 = o_.clock->Now();
  metrics_.IncChecks();
  auto spec_r = source_->Get();
  if (!spec_r.ok()) {
    metrics_.IncErrors();
    return spec_r.status();
  }
  ClusterSpec spec = std::move(*spec_r);
  if (spec.instances.empty())
    return Invalid("cluster has no instances");
  if (primary_override_) {
    if (spec.current_primary == *primary_override_)
      primary_override_.reset();
    else
      spec.current_primary = *primary_override_;
  }
  if (spec.current_primary < 0 || spec.current_primary >= static_cast<int>(spec.instances.size())) {
    metrics_.IncErrors();
    return Invalid("current primary index out of range");
  }
  if (!errant_initialized_) {
    errant_ = spec.errant_hint;
    errant_initialized_ = true;
  }
  SyncInstances(spec);
  ClusterStatus cs = Gather(spec);
  UpdateSticky(cs);
  {
    std::set<int> sticky;
    for (const auto& [i, _] : sticky_)
      sticky.insert(i);
    MarkErrant(cs, errant_, sticky);
  }
  std::set<int> errant;
  for (const auto& iv : cs.instances) {
    if (iv.errant)
      errant.insert(iv.index);
  }
  if (errant != errant_) {
    for (int i : errant) {
      if (!errant_.count(i)) {
        reporter_->OnEvent(kEventErrant, true,
                           "instance " + std::to_string(i) +
                               " has errant transactions; it is excluded from the cluster");
      }
    }
    errant_ = errant;
    reporter_->OnErrantChanged(errant_);
  }
  const ClusterState state = DecideState(cs);
  Report(spec, cs, state);
  if (state != ClusterState::kIncomplete)
    configure_streak_ = 0;

  bool redo = false;
  Status st;
  bool want_switch = false;
  std::optional<int> target;
  {
    std::lock_guard l(mu_);
    want_switch = switchover_requested_;
    target = switchover_target_;
  }
  switch (state) {
    case ClusterState::kHealthy:
    case ClusterState::kDegraded: {
      if (want_switch) {
        std::optional<int> c =
            target && IsGoodReplica(cs, *target) ? target : SwitchoverCandidate(cs);
        if (!c) {
          reporter_->OnEvent(kEventSwitchOverFailed, true, "no replica can take over");
        } else {
          st = Switchover(spec, cs, *c);
          if (!st.ok()) {
            reporter_->OnEvent(kEventSwitchOverFailed, true, st.message());
            ops_[static_cast<size_t>(cs.primary)]->KillConnections().IgnoreError();
            break;
          }
          redo = true;
        }
        std::lock_guard l(mu_);
        switchover_requested_ = false;
        switchover_target_.reset();
        break;
      }
      if (state == ClusterState::kDegraded)
        st = Configure(spec, cs);
      break;
    }
    case ClusterState::kIncomplete:
      st = Configure(spec, cs);
      // Look again at once to report the result (bounded: a configuration that does not take
      // must not spin).
      if (st.ok() && configure_streak_++ < 2)
        redo = true;
      break;
    case ClusterState::kFailed:
      st = Failover(spec, cs);
      if (!st.ok())
        reporter_->OnEvent(kEventFailOverFailed, true, st.message());
      else
        redo = true;
      break;
    default:
      break;
  }
  if (!st.ok())
    metrics_.IncErrors();
  metrics_.ObserveProcessing(std::chrono::duration<double>(o_.clock->Now() - t0).count());
  if (!st.ok())
    return st;
  return redo;
}

}  // namespace kcx::mysql::clustering
