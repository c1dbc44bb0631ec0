// Scenario tests of the clustering manager against real mariadbd processes on loopback.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <thread>

#include "test/mysql/managed_cluster.h"
#include "test/mysql/writer.h"

namespace kcx::mysql::testing {
namespace {

// Timing bounds are the goals in a plain build; sanitizers slow everything about 2-3x.
#if defined(__SANITIZE_ADDRESS__)
constexpr double kSlack = 3.0;
#else
constexpr double kSlack = 1.0;
#endif

using clustering::ClusterState;
using clustering::Role;
using namespace std::chrono_literals;

std::unique_ptr<ManagedCluster> MustCreate(int n, int hung_timeout_s = 1) {
  ManagedClusterOptions o;
  o.instances = n;
  o.hung_timeout_s = hung_timeout_s;
  auto r = ManagedCluster::Create(o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(*r) : nullptr;
}

Status MakeTable(ManagedCluster& c) {
  const auto& pw = c.passwords();
  return CreateWriterTable(c.at(c.primary()).endpoint(), "moco-writable",
                           pw.Get(SystemUser::kWritable));
}

std::unique_ptr<Writer> MakeWriter(ManagedCluster& c) {
  return std::make_unique<Writer>(c.endpoints(), "moco-writable",
                                  c.passwords().Get(SystemUser::kWritable));
}

// Every id of kcx.t on instance i.
std::set<int64_t> Ids(ManagedCluster& c, int i) {
  std::set<int64_t> ids;
  auto conn = c.at(i).Connect(SystemUser::kAdmin, 30);
  EXPECT_TRUE(conn.ok());
  if (!conn.ok())
    return ids;
  auto rs = (*conn)->Query("SELECT id FROM kcx.t");
  EXPECT_TRUE(rs.ok()) << rs.status().ToString();
  if (!rs.ok())
    return ids;
  for (const auto& row : rs->rows)
    ids.insert(std::stoll(*row[0]));
  return ids;
}

int64_t CountLost(const std::vector<int64_t>& acked, const std::set<int64_t>& present) {
  int64_t lost = 0;
  for (auto id : acked)
    lost += present.count(id) ? 0 : 1;
  return lost;
}

TEST(MariadbClustering, BootstrapThreeIsHealthy) {
  auto c = MustCreate(3);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->WaitForState(ClusterState::kHealthy, 60s, 0)) << c->Describe();
  EXPECT_EQ(*c->QueryValue(0, "SELECT @@read_only"), "0");
  EXPECT_EQ(*c->QueryValue(1, "SELECT @@read_only"), "1");
  EXPECT_EQ(*c->QueryValue(2, "SELECT @@read_only"), "1");
  EXPECT_EQ(*c->QueryValue(0, "SELECT @@rpl_semi_sync_master_enabled"), "1");
  EXPECT_EQ(*c->QueryValue(1, "SELECT @@rpl_semi_sync_slave_enabled"), "1");
  ASSERT_TRUE(MakeTable(*c).ok());
  auto w = c->at(0).Connect(SystemUser::kWritable);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Exec("INSERT INTO kcx.t VALUES (1, 'a')").ok());
  // The writable user cannot write on a replica.
  auto wr = c->at(1).Connect(SystemUser::kWritable);
  ASSERT_TRUE(wr.ok());
  EXPECT_FALSE((*wr)->Exec("INSERT INTO kcx.t VALUES (2, 'b')").ok());
  EXPECT_EQ((*wr)->last_errno(), 1290u);  // read-only
  const std::string pos = *c->QueryValue(0, "SELECT @@gtid_current_pos");
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(*c->QueryValue(i, "SELECT MASTER_GTID_WAIT('" + pos + "', 10)"), "0");
    EXPECT_EQ(*c->QueryValue(i, "SELECT COUNT(*) FROM kcx.t"), "1");
  }
  auto rep = c->cluster().report();
  EXPECT_EQ(rep.instances[0].role, Role::kPrimary);
  EXPECT_EQ(rep.instances[1].role, Role::kReplica);
  EXPECT_EQ(rep.instances[2].role, Role::kReplica);
  std::string m;
  c->manager().metrics().Render(m, "test", "default", true);
  EXPECT_NE(m.find("moco_cluster_healthy{name=\"test\",namespace=\"default\"} 1"),
            std::string::npos);
}

TEST(MariadbClustering, SingleInstance) {
  auto c = MustCreate(1);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->WaitForState(ClusterState::kHealthy, 60s, 0)) << c->Describe();
  EXPECT_EQ(*c->QueryValue(0, "SELECT @@read_only"), "0");
  EXPECT_EQ(*c->QueryValue(0, "SELECT @@rpl_semi_sync_master_enabled"), "0");
  ASSERT_TRUE(MakeTable(*c).ok());
  auto w = c->at(0).Connect(SystemUser::kWritable);
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE((*w)->Exec("INSERT INTO kcx.t VALUES (1, 'a')").ok());
}

TEST(MariadbClustering, Kill9PrimaryFailsOverAndOldPrimaryRejoins) {
  auto c = MustCreate(3);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->WaitForState(ClusterState::kHealthy, 60s, 0)) << c->Describe();
  ASSERT_TRUE(MakeTable(*c).ok());
  const auto t0 = std::chrono::steady_clock::now();
  c->at(0).Kill9();
  ASSERT_TRUE(c->WaitFor(
      [](const auto& r) { return r.primary != 0 && r.state == ClusterState::kDegraded; }, 30s))
      << c->Describe();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("failover to instance %d reported Degraded after %.3f s\n", c->primary(), secs);
  EXPECT_LT(secs, 5.0 * kSlack);
  EXPECT_TRUE(c->cluster().HasEvent(clustering::kEventFailOver));
  EXPECT_EQ(c->manager().metrics().failovers(), 1u);
  const int np = c->primary();
  auto w = c->at(np).Connect(SystemUser::kWritable);
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE((*w)->Exec("INSERT INTO kcx.t VALUES (10, 'after')").ok());

  // The old primary comes back and rejoins as a replica of the new one.
  ASSERT_TRUE(c->at(0).Start().ok());
  ASSERT_TRUE(c->WaitForState(ClusterState::kHealthy, 30s, np)) << c->Describe();
  auto rep = c->cluster().report();
  EXPECT_EQ(rep.instances[0].role, Role::kReplica);
  EXPECT_FALSE(rep.instances[0].errant);
  EXPECT_EQ(*c->QueryValue(0, "SELECT @@read_only"), "1");
  const std::string pos = *c->QueryValue(np, "SELECT @@gtid_current_pos");
  EXPECT_EQ(*c->QueryValue(0, "SELECT MASTER_GTID_WAIT('" + pos + "', 10)"), "0");
  EXPECT_EQ(*c->QueryValue(0, "SELECT COUNT(*) FROM kcx.t WHERE id = 10"), "1");
}

TEST(MariadbClustering, SwitchoverUnderWriteLoad) {
  auto c = MustCreate(3);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->WaitForState(ClusterState::kHealthy, 60s, 0)) << c->Describe();
  ASSERT_TRUE(MakeTable(*c).ok());
  auto w = MakeWriter(*c);
  w->Start();
  ASSERT_TRUE(w->WaitForMore(200, 20s));
  const auto t0 = std::chrono::steady_clock::now();
  c->manager().RequestSwitchover();
  ASSERT_TRUE(c->WaitForState(ClusterState::kHealthy, 30s, 1)) << c->Describe();
  ASSERT_TRUE(w->WaitForMore(200, 20s)) << c->Describe();
  const auto t1 = std::chrono::steady_clock::now();
  w->Stop();
  const double pause = w->LongestGap(t0, t1).count();
  std::printf("switchover: longest write pause %.3f s, %lld commits acknowledged\n", pause,
              static_cast<long long>(w->acked_count()));
  EXPECT_LT(pause, 3.0 * kSlack);
  EXPECT_EQ(c->manager().metrics().switchovers(), 1u);
  EXPECT_EQ(*c->QueryValue(0, "SELECT @@read_only"), "1");
  const auto acked = w->Acked();
  const auto ids = Ids(*c, 1);
  EXPECT_EQ(CountLost(acked, ids), 0);
}

TEST(MariadbClustering, HungPrimaryFailsOverAndStaysFenced) {
  auto c = MustCreate(3, /*hung_timeout_s=*/1);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->WaitForState(ClusterState::kHealthy, 60s, 0)) << c->Describe();
  ASSERT_TRUE(MakeTable(*c).ok());
  auto w = MakeWriter(*c);
  w->Start();
  ASSERT_TRUE(w->WaitForMore(100, 20s));
  const auto t0 = std::chrono::steady_clock::now();
  c->at(0).SigStop();
  ASSERT_TRUE(c->WaitFor([](const auto& r) { return r.primary != 0; }, 20s)) << c->Describe();
  std::optional<Writer::Clock::time_point> first;
  ASSERT_TRUE(
      c->WaitFor([&](const auto&) { return (first = w->FirstAckAfter(t0, 0)).has_value(); }, 10s));
  ASSERT_TRUE(first.has_value()) << c->Describe();
  const double secs = std::chrono::duration<double>(*first - t0).count();
  std::printf("hung primary: first write on the new primary %.3f s after SIGSTOP\n", secs);
  EXPECT_LE(secs, 5.0 * kSlack);
  const int np = c->primary();
  w->Stop();

  c->at(0).SigCont();
  // The old primary must not accept writes: read-only (set by the manager once it answers)
  // or blocked waiting for a semi-sync acknowledgement that never comes.
  ASSERT_TRUE(c->WaitFor(
      [](const auto& r) { return r.instances[0].reachable && r.instances[0].read_only; }, 20s))
      << c->Describe();
  auto old = c->at(0).Connect(SystemUser::kWritable, 2);
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE((*old)->Exec("INSERT INTO kcx.t VALUES (-1, 'fenced?')").ok());
  EXPECT_EQ(*c->QueryValue(np, "SELECT COUNT(*) FROM kcx.t WHERE id = -1"), "0");
  const auto acked = w->Acked();
  EXPECT_EQ(CountLost(acked, Ids(*c, np)), 0);
  auto rep = c->cluster().report();
  EXPECT_NE(rep.instances[0].role, Role::kPrimary);
}

TEST(MariadbClustering, ErrantReplicaIsReportedAndExcluded) {
  auto c = MustCreate(3);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->WaitForState(ClusterState::kHealthy, 60s, 0)) << c->Describe();
  ASSERT_TRUE(MakeTable(*c).ok());
  {
    // A local, binlogged write on replica 2 (root bypasses read_only): an errant transaction.
    auto root = c->at(2).ConnectRoot();
    ASSERT_TRUE(root.ok());
    const std::string pos = *c->QueryValue(0, "SELECT @@gtid_current_pos");
    ASSERT_EQ(*c->QueryValue(2, "SELECT MASTER_GTID_WAIT('" + pos + "', 10)"), "0");
    ASSERT_TRUE((*root)->Exec("INSERT INTO kcx.t VALUES (666, 'errant')").ok());
  }
  ASSERT_TRUE(c->WaitFor([](const auto& r) { return r.errant == std::vector<int>{2}; }, 20s))
      << c->Describe();
  ASSERT_TRUE(c->WaitForState(ClusterState::kDegraded, 10s)) << c->Describe();
  auto rep = c->cluster().report();
  EXPECT_EQ(rep.instances[2].role, Role::kNone);
  EXPECT_TRUE(c->cluster().HasEvent(clustering::kEventErrant));
  EXPECT_TRUE(c->WaitFor([](const auto& r) { return !r.instances[2].replicating; }, 10s));
  // Never a candidate: with the primary gone only one clean replica is left of three: Lost.
  c->at(0).Kill9();
  ASSERT_TRUE(c->WaitForState(ClusterState::kLost, 20s)) << c->Describe();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(c->primary(), 0);
  EXPECT_EQ(c->manager().metrics().failovers(), 0u);
}

TEST(MariadbClustering, FiveInstances) {
  auto c = MustCreate(5);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->WaitForState(ClusterState::kHealthy, 90s, 0)) << c->Describe();
  ASSERT_TRUE(MakeTable(*c).ok());
  auto w = MakeWriter(*c);
  w->Start();
  ASSERT_TRUE(w->WaitForMore(100, 20s));
  c->at(0).Kill9();
  ASSERT_TRUE(c->WaitFor(
      [](const auto& r) { return r.primary != 0 && r.state == ClusterState::kDegraded; }, 30s))
      << c->Describe();
  ASSERT_TRUE(w->WaitForMore(100, 20s)) << c->Describe();
  w->Stop();
  EXPECT_EQ(CountLost(w->Acked(), Ids(*c, c->primary())), 0);
  EXPECT_EQ(*c->QueryValue(c->primary(), "SELECT @@rpl_semi_sync_master_enabled"), "1");
  // The old primary returns. Killed under load, it may hold a transaction it binlogged but
  // never sent (not acknowledged): then it must be reported errant; otherwise it rejoins.
  ASSERT_TRUE(c->at(0).Start().ok());
  ASSERT_TRUE(c->WaitFor(
      [](const auto& r) {
        return r.state == ClusterState::kHealthy ||
               (r.state == ClusterState::kDegraded && r.errant == std::vector<int>{0});
      },
      30s))
      << c->Describe();
  auto rep = c->cluster().report();
  EXPECT_EQ(rep.instances[0].role, rep.instances[0].errant ? Role::kNone : Role::kReplica);
  std::printf("five instances: old primary %s\n",
              rep.instances[0].errant ? "errant (unsent tail)" : "rejoined");
}

TEST(MariadbClustering, WipedReplicaIsReseeded) {
  auto c = MustCreate(3);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->WaitForState(ClusterState::kHealthy, 60s, 0)) << c->Describe();
  ASSERT_TRUE(MakeTable(*c).ok());
  {
    auto w = c->at(0).Connect(SystemUser::kWritable, 30);
    ASSERT_TRUE(w.ok());
    std::string q = "INSERT INTO kcx.t VALUES ";
    for (int i = 1; i <= 2000; ++i) {
      if (i > 1)
        q += ',';
      q += '(';
      q += std::to_string(i);
      q += ", 'seed')";
    }
    ASSERT_TRUE((*w)->Exec(q).ok());
    ASSERT_TRUE((*w)->Exec("CREATE TABLE kcx.b (id INT PRIMARY KEY, data VARBINARY(16))").ok());
    ASSERT_TRUE((*w)->Exec("INSERT INTO kcx.b VALUES (1, X'00FF10'), (2, NULL)").ok());
  }
  // The primary no longer has the binlogs an empty replica would need.
  auto admin = c->at(0).Connect(SystemUser::kAdmin);
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->Exec("FLUSH BINARY LOGS").ok());
  auto cur = (*admin)->Query("SHOW MASTER STATUS");
  ASSERT_TRUE(cur.ok() && !cur->rows.empty());
  ASSERT_TRUE((*admin)->Exec("PURGE BINARY LOGS TO '" + *cur->rows[0][0] + "'").ok());

  ASSERT_TRUE(c->at(2).Wipe().ok());
  ASSERT_TRUE(c->WaitFor(
      [](const auto& r) {
        return r.state == ClusterState::kHealthy && r.instances[2].role == Role::kReplica;
      },
      60s))
      << c->Describe();
  EXPECT_TRUE(c->cluster().HasEvent(clustering::kEventCloned));
  EXPECT_EQ(*c->QueryValue(2, "SELECT COUNT(*) FROM kcx.t"), "2000");
  EXPECT_EQ(*c->QueryValue(2, "SELECT HEX(data) FROM kcx.b WHERE id = 1"), "00FF10");
  // And it keeps replicating.
  auto w = c->at(0).Connect(SystemUser::kWritable);
  ASSERT_TRUE((*w)->Exec("INSERT INTO kcx.t VALUES (5000, 'after')").ok());
  const std::string pos = *c->QueryValue(0, "SELECT @@gtid_current_pos");
  EXPECT_EQ(*c->QueryValue(2, "SELECT MASTER_GTID_WAIT('" + pos + "', 10)"), "0");
  EXPECT_EQ(*c->QueryValue(2, "SELECT COUNT(*) FROM kcx.t"), "2001");
}

TEST(MariadbClustering, DataSafetyKillPrimaryMidStream) {
  auto c = MustCreate(3);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->WaitForState(ClusterState::kHealthy, 60s, 0)) << c->Describe();
  ASSERT_TRUE(MakeTable(*c).ok());
  auto w = MakeWriter(*c);
  w->Start();
  ASSERT_TRUE(w->WaitForMore(500, 30s));
  const auto t0 = std::chrono::steady_clock::now();
  c->at(0).Kill9();
  ASSERT_TRUE(w->WaitForMore(300, 30s)) << c->Describe();
  w->Stop();
  const auto first = w->FirstAckAfter(t0, 0);
  ASSERT_TRUE(first.has_value());
  const int np = c->primary();
  ASSERT_NE(np, 0);
  const auto acked = w->Acked();
  const auto ids = Ids(*c, np);
  const int64_t lost = CountLost(acked, ids);
  std::printf(
      "data safety: %zu commits acknowledged, %zu rows on the new primary, %lld lost, "
      "%lld attempts; first write on the new primary %.3f s after kill -9\n",
      acked.size(), ids.size(), static_cast<long long>(lost), static_cast<long long>(w->attempts()),
      std::chrono::duration<double>(*first - t0).count());
  EXPECT_EQ(lost, 0);
  EXPECT_GE(ids.size(), acked.size());
}

}  // namespace
}  // namespace kcx::mysql::testing
