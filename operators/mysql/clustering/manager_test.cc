// The clustering manager against the stateful fake (both flavors): bootstrap, failover,
// switchover, errant replicas, a returning primary, seeding, 1 and 5 instances.

#include "operators/mysql/clustering/manager.h"

#include <gtest/gtest.h>

#include "operators/mysql/clustering/fake_operator.h"
#include "operators/mysql/clustering/test_util.h"

namespace kcx::mysql::clustering {
namespace {

class ManagerTest : public ::testing::TestWithParam<Flavor> {
 protected:
  void Init(int n) {
    world_ = std::make_unique<FakeWorld>(GetParam(), n, 1000);
    ClusterSpec spec;
    spec.name = "test";
    spec.server_id_base = 1000;
    for (int i = 0; i < n; ++i)
      spec.instances.push_back(world_->Get(i).endpoint);
    spec.passwords = Passwords::Random();
    cluster_ = std::make_unique<MemoryCluster>(spec);
    factory_ = world_->Factory();
    ManagerOptions o;
    o.clock = &clock_;
    o.sleep = [this](std::chrono::milliseconds d) { clock_.Advance(d); };
    o.gather_threads = 2;
    mgr_ = std::make_unique<ClusterManager>(cluster_.get(), cluster_.get(), factory_.get(), nullptr,
                                            o);
  }

  // Passes until no redo is asked for (at most `max`); returns the last state.
  ClusterState Settle(int max = 6) {
    for (int i = 0; i < max; ++i) {
      auto r = mgr_->RunOnce();
      if (r.ok() && !*r)
        break;
    }
    // One more pass reports the state the last actions produced.
    (void)mgr_->RunOnce();
    return cluster_->report().state;
  }

  FakeClock clock_;
  std::unique_ptr<FakeWorld> world_;
  std::unique_ptr<MemoryCluster> cluster_;
  std::unique_ptr<DbOperatorFactory> factory_;
  std::unique_ptr<ClusterManager> mgr_;
};

TEST_P(ManagerTest, BootstrapThreeIsHealthy) {
  Init(3);
  EXPECT_EQ(Settle(), ClusterState::kHealthy);
  auto p = world_->Get(0);
  EXPECT_FALSE(p.read_only);
  EXPECT_TRUE(p.semisync_source);
  EXPECT_EQ(p.wait_count, 1);
  for (int i = 1; i < 3; ++i) {
    auto r = world_->Get(i);
    EXPECT_TRUE(r.read_only);
    EXPECT_TRUE(r.replica_configured);
    EXPECT_EQ(r.source, p.endpoint);
    EXPECT_TRUE(r.semisync_replica);
  }
  EXPECT_TRUE(world_->Write(0));
  EXPECT_FALSE(world_->Write(1));  // read-only
  EXPECT_EQ(world_->Executed(1), world_->Executed(0));
  EXPECT_TRUE(cluster_->HasEvent(kEventWritable));
  auto rep = cluster_->report();
  EXPECT_EQ(rep.instances[0].role, Role::kPrimary);
  EXPECT_EQ(rep.instances[1].role, Role::kReplica);
  EXPECT_EQ(rep.ready_replicas, 3);
  EXPECT_GE(mgr_->metrics().checks(), 2u);
}

TEST_P(ManagerTest, SingleInstanceHasNoSemiSync) {
  Init(1);
  EXPECT_EQ(Settle(), ClusterState::kHealthy);
  EXPECT_FALSE(world_->Get(0).read_only);
  EXPECT_FALSE(world_->Get(0).semisync_source);
  EXPECT_TRUE(world_->Write(0));
  // Nothing to fail over to.
  world_->SetUp(0, false);
  EXPECT_EQ(Settle(), ClusterState::kLost);
  EXPECT_EQ(mgr_->metrics().failovers(), 0u);
}

TEST_P(ManagerTest, FiveInstancesWaitForTwo) {
  Init(5);
  EXPECT_EQ(Settle(), ClusterState::kHealthy);
  EXPECT_EQ(world_->Get(0).wait_count, 2);
  world_->Write(0);
  world_->SetUp(0, false);
  world_->SetUp(4, false);
  EXPECT_EQ(Settle(), ClusterState::kDegraded);
  EXPECT_EQ(cluster_->primary(), 1);
  EXPECT_EQ(mgr_->metrics().failovers(), 1u);
}

TEST_P(ManagerTest, FailoverPromotesSupersetReplica) {
  Init(3);
  ASSERT_EQ(Settle(), ClusterState::kHealthy);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(world_->Write(0));
  world_->SetAutoReplicate(false);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(world_->Write(0));
  // Instance 1 received 6 transactions, instance 2 all 8; neither applied them.
  world_->SetRetrieved(1, 0, 6);
  world_->SetRetrieved(2, 0, 8);
  const GtidSet all = world_->Executed(0);
  world_->SetUp(0, false);
  world_->SetAutoReplicate(true);
  auto r = mgr_->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);  // redo after failover
  EXPECT_EQ(cluster_->primary(), 2);
  EXPECT_TRUE(cluster_->HasEvent(kEventFailOver));
  EXPECT_EQ(Settle(), ClusterState::kDegraded);
  EXPECT_FALSE(world_->Get(2).read_only);
  EXPECT_TRUE(all.IsSubsetOf(world_->Executed(2))) << world_->TxnsOf(2);
  EXPECT_EQ(world_->Get(1).source, world_->Get(2).endpoint);
  EXPECT_TRUE(all.IsSubsetOf(world_->Executed(1)));
  EXPECT_TRUE(world_->Write(2));

  // The old primary returns and rejoins as a replica.
  world_->SetUp(0, true);
  EXPECT_EQ(Settle(), ClusterState::kHealthy);
  EXPECT_TRUE(world_->Get(0).read_only);
  EXPECT_EQ(world_->Get(0).source, world_->Get(2).endpoint);
  EXPECT_EQ(world_->Executed(0), world_->Executed(2));
}

TEST_P(ManagerTest, ReturningPrimaryWithUnreplicatedTransactionIsErrant) {
  Init(3);
  ASSERT_EQ(Settle(), ClusterState::kHealthy);
  world_->Write(0);
  world_->SetAutoReplicate(false);
  world_->Write(0);  // binlogged on the primary, never sent
  world_->SetUp(0, false);
  world_->SetAutoReplicate(true);
  EXPECT_EQ(Settle(), ClusterState::kDegraded);
  const int np = cluster_->primary();
  ASSERT_NE(np, 0);
  for (int i = 0; i < 3; ++i)
    world_->Write(np);
  world_->SetUp(0, true);
  Settle();
  Settle();
  auto rep = cluster_->report();
  EXPECT_TRUE(rep.instances[0].errant);
  EXPECT_EQ(rep.instances[0].role, Role::kNone);
  EXPECT_TRUE(world_->Get(0).read_only);  // fenced
  EXPECT_EQ(rep.state, ClusterState::kDegraded);
}

TEST_P(ManagerTest, ErrantReplicaIsReportedAndExcluded) {
  Init(3);
  ASSERT_EQ(Settle(), ClusterState::kHealthy);
  world_->Write(0);
  world_->ErrantWrite(2);
  EXPECT_EQ(Settle(), ClusterState::kDegraded);
  auto rep = cluster_->report();
  EXPECT_EQ(rep.errant, std::vector<int>{2});
  EXPECT_EQ(rep.instances[2].role, Role::kNone);
  EXPECT_TRUE(cluster_->HasEvent(kEventErrant));
  EXPECT_FALSE(world_->Get(2).io_running);
  // Never a failover candidate: with instance 2 errant, instance 1 is the only one.
  world_->SetUp(0, false);
  Settle();
  EXPECT_EQ(cluster_->report().state, ClusterState::kLost);
  EXPECT_EQ(cluster_->primary(), 0);
  // Switchover cannot pick it either.
  world_->SetUp(0, true);
  Settle();
  mgr_->RequestSwitchover(2);
  Settle();
  EXPECT_EQ(cluster_->primary(), 1);
}

TEST_P(ManagerTest, SwitchoverMovesThePrimary) {
  Init(3);
  ASSERT_EQ(Settle(), ClusterState::kHealthy);
  world_->Write(0);
  mgr_->RequestSwitchover();
  EXPECT_EQ(Settle(), ClusterState::kHealthy);
  EXPECT_EQ(cluster_->primary(), 1);
  EXPECT_FALSE(mgr_->SwitchoverPending());
  EXPECT_TRUE(world_->Get(0).read_only);
  EXPECT_FALSE(world_->Get(1).read_only);
  EXPECT_GE(world_->kills, 2);
  EXPECT_EQ(mgr_->metrics().switchovers(), 1u);
  EXPECT_TRUE(world_->Write(1));
  EXPECT_FALSE(world_->Write(0));
  EXPECT_EQ(world_->Executed(0), world_->Executed(1));
}

TEST_P(ManagerTest, WipedReplicaIsSeeded) {
  Init(3);
  ASSERT_EQ(Settle(), ClusterState::kHealthy);
  for (int i = 0; i < 4; ++i)
    world_->Write(0);
  world_->Wipe(1);
  EXPECT_EQ(Settle(), ClusterState::kHealthy);
  EXPECT_EQ(world_->seeds, 1);
  EXPECT_TRUE(cluster_->HasEvent(kEventCloned));
  EXPECT_EQ(world_->Executed(1), world_->Executed(0));
}

TEST_P(ManagerTest, LostWhenTooFewReplicas) {
  Init(3);
  ASSERT_EQ(Settle(), ClusterState::kHealthy);
  world_->Write(0);
  world_->SetUp(0, false);
  world_->SetUp(1, false);
  EXPECT_EQ(Settle(), ClusterState::kLost);
  EXPECT_EQ(cluster_->primary(), 0);
}

INSTANTIATE_TEST_SUITE_P(Flavors, ManagerTest, ::testing::Values(Flavor::kMariaDB, Flavor::kMySQL),
                         [](const auto& info) { return std::string(FlavorName(info.param)); });

}  // namespace
}  // namespace kcx::mysql::clustering
