// DecideState on hand-built statuses: one case per MOCO rule.

#include <gtest/gtest.h>

#include "operators/mysql/clustering/status.h"

namespace kcx::mysql::clustering {
namespace {

GtidSet Pos(const std::string& s) { return *GtidSet::Parse(Flavor::kMariaDB, s); }

// n instances, primary 0 writable, every replica replicating from it, all at 0-100-5.
ClusterStatus Healthy(int n) {
  ClusterStatus cs;
  cs.primary = 0;
  cs.server_id_base = 100;
  for (int i = 0; i < n; ++i) {
    InstanceView iv;
    iv.index = i;
    iv.endpoint = {"10.0.0." + std::to_string(i), 3306};
    InstanceStatus s;
    s.server_id = 100 + static_cast<uint32_t>(i);
    s.executed = Pos("0-100-5");
    s.read_only = i != 0;
    if (i != 0) {
      ReplicaStatus r;
      r.source_host = "10.0.0.0";
      r.source_port = 3306;
      r.io_running = r.sql_running = true;
      r.retrieved = Pos("0-100-5");
      s.replica = r;
    }
    iv.status = s;
    cs.instances.push_back(iv);
  }
  for (int i = 1; i < n; ++i) {
    cs.instances[0].status->replicas.push_back({100 + static_cast<uint32_t>(i), "", 3306});
  }
  return cs;
}

TEST(DecideState, HealthyAndSingle) {
  EXPECT_EQ(DecideState(Healthy(3)), ClusterState::kHealthy);
  EXPECT_EQ(DecideState(Healthy(5)), ClusterState::kHealthy);
  EXPECT_EQ(DecideState(Healthy(1)), ClusterState::kHealthy);
}

TEST(DecideState, Offline) {
  auto cs = Healthy(3);
  cs.offline = true;
  EXPECT_EQ(DecideState(cs), ClusterState::kOffline);
}

TEST(DecideState, CloningFromAnExternalSource) {
  auto cs = Healthy(3);
  cs.clone.source_configured = true;
  cs.clone.state = "In Progress";
  EXPECT_EQ(DecideState(cs), ClusterState::kCloning);
  cs.clone.state = "";
  cs.clone.primary_empty = true;
  EXPECT_EQ(DecideState(cs), ClusterState::kCloning);
  cs.clone.primary_empty = false;
  EXPECT_EQ(DecideState(cs), ClusterState::kHealthy);
  cs.clone.state = "Completed";
  cs.instances[0].status.reset();  // primary unreachable while cloning
  EXPECT_EQ(DecideState(cs), ClusterState::kCloning);
  cs.clone.cloned = true;  // once cloned, the ordinary rules apply
  EXPECT_NE(DecideState(cs), ClusterState::kCloning);
}

TEST(DecideState, RestoringUntilRestored) {
  auto cs = Healthy(3);
  cs.restore.requested = true;
  EXPECT_EQ(DecideState(cs), ClusterState::kRestoring);
  cs.restore.restored = true;
  EXPECT_EQ(DecideState(cs), ClusterState::kHealthy);
  cs.offline = true;  // Offline wins over everything
  cs.restore.restored = false;
  EXPECT_EQ(DecideState(cs), ClusterState::kOffline);
}

TEST(DecideState, ReadOnlyPrimaryIsIncomplete) {
  auto cs = Healthy(3);
  cs.instances[0].status->read_only = true;
  EXPECT_EQ(DecideState(cs), ClusterState::kIncomplete);
}

TEST(DecideState, OneReplicaDownIsDegraded) {
  auto cs = Healthy(3);
  cs.instances[2].status.reset();
  cs.instances[0].status->replicas.pop_back();
  EXPECT_EQ(DecideState(cs), ClusterState::kDegraded);
  // Both down: fewer good replicas than replicas/2 is not Degraded.
  cs.instances[1].status.reset();
  cs.instances[0].status->replicas.clear();
  EXPECT_EQ(DecideState(cs), ClusterState::kIncomplete);
}

TEST(DecideState, ReplicaFromWrongSourceIsNotHealthy) {
  auto cs = Healthy(3);
  cs.instances[2].status->replica->source_host = "10.0.0.1";
  EXPECT_EQ(DecideState(cs), ClusterState::kDegraded);
}

TEST(DecideState, ForeignServerIdsDoNotCount) {
  auto cs = Healthy(3);
  cs.instances[0].status->replicas[1].server_id = 999;  // a downstream consumer, not ours
  // Every replica looks good but the primary sees only one of them: MOCO's rules give
  // Incomplete (neither Healthy nor, with good == replicas-1, Degraded), so it reconfigures.
  EXPECT_EQ(DecideState(cs), ClusterState::kIncomplete);
}

TEST(DecideState, PrimaryDownFailedOrLost) {
  auto cs = Healthy(3);
  cs.instances[0].status.reset();
  EXPECT_EQ(DecideState(cs), ClusterState::kFailed);
  cs.instances[2].status.reset();
  EXPECT_EQ(DecideState(cs), ClusterState::kLost);
  auto five = Healthy(5);
  five.instances[0].status.reset();
  five.instances[4].status.reset();
  EXPECT_EQ(DecideState(five), ClusterState::kFailed);  // 3 > 5/2
  five.instances[3].status.reset();
  EXPECT_EQ(DecideState(five), ClusterState::kLost);
}

TEST(DecideState, EmptyReplicasCannotFailOver) {
  auto cs = Healthy(3);
  cs.instances[0].status.reset();
  cs.instances[1].status->executed = Pos("");
  EXPECT_EQ(DecideState(cs), ClusterState::kLost);
}

TEST(DecideState, PrimaryLostDataIsFailed) {
  auto cs = Healthy(3);
  cs.instances[0].status->executed = Pos("");
  EXPECT_TRUE(PrimaryLostData(cs));
  EXPECT_EQ(DecideState(cs), ClusterState::kFailed);
}

TEST(MarkErrant, ReplicaWithForeignTransactions) {
  auto cs = Healthy(3);
  cs.instances[2].status->executed = Pos("0-102-6");  // its own write after 0-100-5
  MarkErrant(cs, {}, {});
  EXPECT_FALSE(cs.instances[1].errant);
  EXPECT_TRUE(cs.instances[2].errant);
  EXPECT_EQ(DecideState(cs), ClusterState::kDegraded);
  EXPECT_EQ(SwitchoverCandidate(cs), 1);
  // Primary down: the previous list is kept.
  cs.instances[0].status.reset();
  MarkErrant(cs, {2}, {});
  EXPECT_TRUE(cs.instances[2].errant);
  EXPECT_EQ(DecideState(cs), ClusterState::kLost);  // only one clean replica of three
}

TEST(MarkErrant, PrimaryNewerTransactionsAreNotErrant) {
  auto cs = Healthy(3);
  cs.instances[1].status->executed = Pos("0-100-7");  // read after the primary moved on
  cs.instances[0].status->executed = Pos("0-100-6");
  MarkErrant(cs, {}, {});
  EXPECT_FALSE(cs.instances[1].errant);
  // Sticky divergence (replication refused the position) wins.
  MarkErrant(cs, {}, {1});
  EXPECT_TRUE(cs.instances[1].errant);
}

TEST(MarkErrant, MysqlUuidRule) {
  const std::string a = "00000000-0000-0000-0000-000000000100";
  const std::string b = "00000000-0000-0000-0000-000000000102";
  auto cs = Healthy(3);
  for (auto& iv : cs.instances) {
    iv.status->flavor = Flavor::kMySQL;
    iv.status->server_uuid = iv.index == 0 ? a : "x";
    iv.status->executed = *GtidSet::Parse(Flavor::kMySQL, a + ":1-5");
  }
  cs.instances[1].status->executed = *GtidSet::Parse(Flavor::kMySQL, a + ":1-6");
  cs.instances[2].status->executed = *GtidSet::Parse(Flavor::kMySQL, a + ":1-5," + b + ":1");
  MarkErrant(cs, {}, {});
  EXPECT_FALSE(cs.instances[1].errant);
  EXPECT_TRUE(cs.instances[2].errant);
}

}  // namespace
}  // namespace kcx::mysql::clustering
