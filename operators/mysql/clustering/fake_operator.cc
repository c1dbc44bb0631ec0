#include "operators/mysql/clustering/fake_operator.h"

#include <algorithm>
#include <cstdio>

namespace kcx::mysql::clustering {
namespace {

std::string UuidOf(uint32_t origin) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "00000000-0000-0000-0000-%012u", origin);
  return buf;
}

bool IsPrefix(const std::vector<FakeTxn>& a, const std::vector<FakeTxn>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

class FakeOperator : public DbOperator {
 public:
  FakeOperator(FakeWorld* w, Endpoint ep) : w_(w), ep_(std::move(ep)) {}

  Result<InstanceStatus> GetStatus() override {
    std::lock_guard l(w_->mu_);
    if (w_->auto_replicate_)
      w_->ReplicateLocked();
    KCX_ASSIGN_OR_RETURN(FakeInstance * in, Self());
    InstanceStatus s;
    s.flavor = w_->flavor_;
    s.version = w_->flavor_ == Flavor::kMySQL ? "8.4.0" : "10.11.6-MariaDB";
    s.server_id = in->server_id;
    s.server_uuid = w_->flavor_ == Flavor::kMySQL ? UuidOf(in->server_id) : "";
    s.executed = w_->Render(in->binlog);
    s.purged = GtidSet::EmptyOf(w_->flavor_);
    s.read_only = in->read_only;
    s.semisync_source_enabled = in->semisync_source;
    s.semisync_replica_enabled = in->semisync_replica;
    s.semisync_wait_count = in->wait_count;
    if (in->replica_configured) {
      ReplicaStatus r;
      r.source_host = in->source.host;
      r.source_port = in->source.port;
      int si = w_->IndexOf(in->source);
      bool source_up = si >= 0 && w_->inst_[static_cast<size_t>(si)].up;
      r.io_running = in->io_running && source_up;
      r.io_connecting = in->io_running && !source_up;
      r.sql_running = in->sql_running;
      r.last_io_errno = in->io_errno;
      r.last_io_error = in->io_error;
      r.retrieved = w_->Render(in->retrieved);
      s.replica = r;
    }
    for (const auto& o : w_->inst_) {
      if (o.up && o.replica_configured && o.io_running && o.source == ep_) {
        s.replicas.push_back({o.server_id, o.endpoint.host, o.endpoint.port});
      }
    }
    return s;
  }

  Result<GtidSet> GetExecuted() override {
    std::lock_guard l(w_->mu_);
    KCX_ASSIGN_OR_RETURN(FakeInstance * in, Self());
    return w_->Render(in->binlog);
  }

  Status SetReadOnly(bool on) override {
    std::lock_guard l(w_->mu_);
    KCX_ASSIGN_OR_RETURN(FakeInstance * in, Self());
    in->read_only = on;
    return Status::Ok();
  }

  Status KillConnections() override {
    std::lock_guard l(w_->mu_);
    KCX_ASSIGN_OR_RETURN(FakeInstance * in, Self());
    (void)in;
    w_->kills++;
    return Status::Ok();
  }

  Status StopReplicaIo() override {
    std::lock_guard l(w_->mu_);
    KCX_ASSIGN_OR_RETURN(FakeInstance * in, Self());
    in->io_running = false;
    return Status::Ok();
  }

  Status ConfigureReplica(const SourceInfo& src, bool semisync) override {
    std::lock_guard l(w_->mu_);
    KCX_ASSIGN_OR_RETURN(FakeInstance * in, Self());
    if (src.user != "moco-repl" || src.password.empty())
      return Unauthorized("bad replication user");
    if (w_->IndexOf(src.endpoint) < 0)
      return NotFound("no such source");
    if (!(in->source == src.endpoint))
      in->retrieved = in->binlog;
    in->replica_configured = true;
    in->source = src.endpoint;
    in->io_running = true;
    in->sql_running = true;
    in->io_errno = 0;
    in->io_error.clear();
    in->semisync_replica = semisync;
    in->semisync_source = false;
    return Status::Ok();
  }

  Status ConfigurePrimary(int wait_count) override {
    std::lock_guard l(w_->mu_);
    KCX_ASSIGN_OR_RETURN(FakeInstance * in, Self());
    in->replica_configured = false;
    in->io_running = in->sql_running = false;
    in->retrieved.clear();
    in->source = {};
    in->semisync_replica = false;
    in->semisync_source = wait_count > 0;
    in->wait_count = wait_count;
    return Status::Ok();
  }

  Status WaitForGtid(const GtidSet& set, std::chrono::milliseconds) override {
    std::lock_guard l(w_->mu_);
    KCX_ASSIGN_OR_RETURN(FakeInstance * in, Self());
    // The SQL thread applies whatever the relay log holds.
    if (in->sql_running && IsPrefix(in->binlog, in->retrieved))
      in->binlog = in->retrieved;
    if (!set.IsSubsetOf(w_->Render(in->binlog)))
      return Timeout("GTID not applied");
    return Status::Ok();
  }

  Result<SeedResult> SeedFrom(const SourceInfo& donor) override {
    std::lock_guard l(w_->mu_);
    KCX_ASSIGN_OR_RETURN(FakeInstance * in, Self());
    if (donor.user != "moco-clone-donor")
      return Unauthorized("bad donor user");
    int d = w_->IndexOf(donor.endpoint);
    if (d < 0 || !w_->inst_[static_cast<size_t>(d)].up)
      return Unavailable("donor down");
    in->binlog = w_->inst_[static_cast<size_t>(d)].binlog;
    in->retrieved = in->binlog;
    w_->seeds++;
    SeedResult r;
    r.method = "fake";
    r.position = w_->Render(in->binlog);
    return r;
  }

  void Close() override {}

 private:
  Result<FakeInstance*> Self() {
    int i = w_->IndexOf(ep_);
    if (i < 0)
      return NotFound("no instance");
    FakeInstance* in = &w_->inst_[static_cast<size_t>(i)];
    if (!in->up)
      return Unavailable("connection refused: " + ep_.ToString());
    return in;
  }

  FakeWorld* w_;
  Endpoint ep_;
};

namespace {
class FakeFactory : public DbOperatorFactory {
 public:
  explicit FakeFactory(FakeWorld* w) : w_(w) {}
  std::unique_ptr<DbOperator> New(int, const Endpoint& ep) override {
    return std::make_unique<FakeOperator>(w_, ep);
  }

 private:
  FakeWorld* w_;
};
}  // namespace

FakeWorld::FakeWorld(Flavor flavor, int n, uint32_t base) : flavor_(flavor) {
  for (int i = 0; i < n; ++i) {
    FakeInstance in;
    in.server_id = base + static_cast<uint32_t>(i);
    in.endpoint = {"10.0.0." + std::to_string(i + 1), 3306};
    inst_.push_back(in);
  }
}

std::unique_ptr<DbOperatorFactory> FakeWorld::Factory() {
  return std::make_unique<FakeFactory>(this);
}

GtidSet FakeWorld::Render(const std::vector<FakeTxn>& txns) const {
  if (flavor_ == Flavor::kMySQL) {
    MysqlGtidSet s;
    for (const auto& t : txns)
      s.Add(UuidOf(t.origin), t.gno, t.gno);
    return GtidSet(s);
  }
  MariadbGtidPos p;
  if (!txns.empty())
    p.Set({0, txns.back().origin, txns.size()});
  return GtidSet(p);
}

int FakeWorld::IndexOf(const Endpoint& ep) const {
  for (size_t i = 0; i < inst_.size(); ++i) {
    if (inst_[i].endpoint == ep)
      return static_cast<int>(i);
  }
  return -1;
}

uint64_t FakeWorld::NextGno(uint32_t origin) const {
  uint64_t g = 0;
  for (const auto& in : inst_) {
    for (const auto& t : in.binlog) {
      if (t.origin == origin)
        g = std::max(g, t.gno);
    }
  }
  return g + 1;
}

void FakeWorld::ReplicateLocked() {
  for (bool changed = true; changed;) {
    changed = false;
    for (auto& in : inst_) {
      if (!in.up || !in.replica_configured)
        continue;
      int si = IndexOf(in.source);
      if (in.io_running && si >= 0 && inst_[static_cast<size_t>(si)].up) {
        const auto& src = inst_[static_cast<size_t>(si)].binlog;
        if (!IsPrefix(in.binlog, src) || !IsPrefix(in.retrieved, src)) {
          in.io_running = false;
          in.io_errno = 1236;
          in.io_error = "The binlog on the master is missing the GTID requested by the slave";
        } else if (in.retrieved != src) {
          in.retrieved = src;
          changed = true;
        }
      }
      if (in.sql_running && in.binlog != in.retrieved && IsPrefix(in.binlog, in.retrieved)) {
        in.binlog = in.retrieved;
        changed = true;
      }
    }
  }
}

void FakeWorld::Replicate() {
  std::lock_guard l(mu_);
  ReplicateLocked();
}

void FakeWorld::SetAutoReplicate(bool on) {
  std::lock_guard l(mu_);
  auto_replicate_ = on;
}

bool FakeWorld::Write(int i) {
  std::lock_guard l(mu_);
  auto& in = inst_[static_cast<size_t>(i)];
  if (!in.up || in.read_only)
    return false;
  in.binlog.push_back({in.server_id, NextGno(in.server_id)});
  if (auto_replicate_)
    ReplicateLocked();
  return true;
}

void FakeWorld::ErrantWrite(int i) {
  std::lock_guard l(mu_);
  auto& in = inst_[static_cast<size_t>(i)];
  in.binlog.push_back({in.server_id, NextGno(in.server_id)});
}

void FakeWorld::SetRetrieved(int i, int from, size_t k) {
  std::lock_guard l(mu_);
  const auto& src = inst_[static_cast<size_t>(from)].binlog;
  inst_[static_cast<size_t>(i)].retrieved.assign(
      src.begin(), src.begin() + static_cast<long>(std::min(k, src.size())));
}

void FakeWorld::SetUp(int i, bool up) {
  std::lock_guard l(mu_);
  inst_[static_cast<size_t>(i)].up = up;
}

void FakeWorld::Wipe(int i) {
  std::lock_guard l(mu_);
  auto& in = inst_[static_cast<size_t>(i)];
  FakeInstance fresh;
  fresh.server_id = in.server_id;
  fresh.endpoint = in.endpoint;
  in = fresh;
}

FakeInstance FakeWorld::Get(int i) {
  std::lock_guard l(mu_);
  return inst_[static_cast<size_t>(i)];
}

int FakeWorld::size() {
  std::lock_guard l(mu_);
  return static_cast<int>(inst_.size());
}

GtidSet FakeWorld::Executed(int i) {
  std::lock_guard l(mu_);
  return Render(inst_[static_cast<size_t>(i)].binlog);
}

std::string FakeWorld::TxnsOf(int i) {
  std::lock_guard l(mu_);
  std::string s;
  for (const auto& t : inst_[static_cast<size_t>(i)].binlog) {
    s += std::to_string(t.origin) + ":" + std::to_string(t.gno) + " ";
  }
  return s;
}

}  // namespace kcx::mysql::clustering
