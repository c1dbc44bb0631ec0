// The manager against kcx apiserver: readiness follows controller start, /metrics carries
// controller-runtime's and client-go's families, SIGTERM ends Run() gracefully, and with leader
// election the controllers run only while leading.

#include "runtime/manager.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "test/testenv/apiserver_fixture.h"

namespace kcx::runtime {
namespace {

using namespace std::chrono_literals;

const ResourceKind kConfigMap{"", "v1", "ConfigMap", "configmaps", true};

template <typename F>
bool Eventually(F pred, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

std::unique_ptr<client::RestClient> Client(const testenv::TestApiServer& srv) {
  client::KubeconfigOptions o;
  o.explicit_path = srv.kubeconfig();
  auto cfg = client::LoadKubeconfig(o);
  cfg->qps = 0;
  return std::move(*client::RestClient::Create(*cfg));
}

TEST(ManagerTest, ProbesMetricsAndGracefulSignalShutdown) {
  auto srv = testenv::TestApiServer::Start();
  auto client = Client(*srv);
  Manager mgr(client.get(), {.metrics_port = 0, .health_port = 0});
  std::atomic<int> reconciles{0};
  mgr.NewController("counter", [&](const Request&) -> Result<ReconcileResult> {
       ++reconciles;
       return ReconcileResult{};
     })
      .For(kConfigMap);
  std::atomic<bool> done{false};
  Status result;
  std::thread run([&] {
    result = mgr.Run();
    done = true;
  });
  ASSERT_TRUE(Eventually([&] { return mgr.health_port() > 0 && mgr.Ready(); }));
  auto ready = net::HttpCall("127.0.0.1", mgr.health_port(), "GET", "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);
  ASSERT_EQ(srv->Call("POST", "/api/v1/namespaces/default/configmaps",
                      R"({"metadata":{"name":"m"}})")
                .code,
            201);
  ASSERT_TRUE(Eventually([&] { return reconciles.load() >= 1; }));
  auto m = net::HttpCall("127.0.0.1", mgr.metrics_port(), "GET", "/metrics");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->status, 200);
  for (const char* want :
       {"controller_runtime_reconcile_total{controller=\"counter\",result=\"success\"}",
        "controller_runtime_reconcile_time_seconds_bucket{controller=\"counter\",le=\"0.005\"}",
        "workqueue_adds_total{name=\"counter\"}", "workqueue_depth{name=\"counter\"}",
        "rest_client_requests_total{code=\"200\",method=\"GET\"}",
        "# TYPE workqueue_work_duration_seconds histogram"}) {
    EXPECT_NE(m->body.find(want), std::string::npos) << want << "\n" << m->body;
  }
  kill(getpid(), SIGTERM);  // the manager's handler turns it into a graceful stop
  ASSERT_TRUE(Eventually([&] { return done.load(); }));
  run.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
}

TEST(ManagerTest, ControllersRunOnlyWhileLeading) {
  auto srv = testenv::TestApiServer::Start();
  auto client = Client(*srv);
  LeaderElectionConfig le;
  le.lease_name = "mgr";
  le.identity = "one";
  le.lease_duration = 2s;
  le.renew_deadline = 1500ms;
  le.retry_period = 200ms;
  Manager a(client.get(), {.metrics_port = -1, .health_port = -1, .leader_election = le,
                           .handle_signals = false});
  std::atomic<int> ra{0};
  a.NewController("a", [&](const Request&) -> Result<ReconcileResult> {
     ++ra;
     return ReconcileResult{};
   }).For(kConfigMap);
  le.identity = "two";
  Manager b(client.get(), {.metrics_port = -1, .health_port = -1, .leader_election = le,
                           .handle_signals = false});
  std::atomic<int> rb{0};
  b.NewController("b", [&](const Request&) -> Result<ReconcileResult> {
     ++rb;
     return ReconcileResult{};
   }).For(kConfigMap);
  std::thread ta([&] { a.Run().IgnoreError(); });
  ASSERT_TRUE(Eventually([&] { return a.Leading(); }));
  std::thread tb([&] { b.Run().IgnoreError(); });
  ASSERT_EQ(srv->Call("POST", "/api/v1/namespaces/default/configmaps",
                      R"({"metadata":{"name":"x"}})")
                .code,
            201);
  ASSERT_TRUE(Eventually([&] { return ra.load() >= 1; }));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(rb.load(), 0) << "the follower must not reconcile";
  EXPECT_FALSE(b.Leading());
  EXPECT_TRUE(b.Ready()) << "a standby is ready (it serves probes and webhooks)";
  a.Stop();  // releases the lease: b takes over without waiting for expiry
  ta.join();
  ASSERT_TRUE(Eventually([&] { return b.Leading(); }, 5s));
  ASSERT_TRUE(Eventually([&] { return rb.load() >= 1; }));  // initial list of the new leader
  b.Stop();
  tb.join();
}

}  // namespace
}  // namespace kcx::runtime
