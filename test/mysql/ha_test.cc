// The standalone mode end to end: HaService over real mariadbd instances, its HTTP endpoint,
// and a switchover requested over HTTP, with the state file persisted.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "operators/mysql/ha/service.h"
#include "test/mysql/harness.h"

namespace kcx::mysql::testing {
namespace {

using namespace std::chrono_literals;

boost::json::object Status(int port) {
  auto r = net::HttpCall("127.0.0.1", port, "GET", "/status");
  if (!r.ok() || r->status != 200)
    return {};
  return boost::json::parse(r->body).as_object();
}

bool WaitFor(int port, const std::function<bool(const boost::json::object&)>& pred,
             std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto s = Status(port);
    if (!s.empty() && pred(s))
      return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST(MysqlHa, StandaloneServiceServesStatusMetricsAndSwitchover) {
  auto h = MariadbHarness::Create(3);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE((*h)->StartAll().ok());
  ha::HaConfig cfg;
  cfg.name = "standalone";
  for (int i = 0; i < 3; ++i)
    cfg.instances.push_back((*h)->at(i).endpoint());
  cfg.server_id_base = 1000;
  cfg.check_interval = 500ms;
  cfg.hung_timeout_s = 1;
  cfg.listen_port = 0;
  cfg.state_file = (*h)->dir() + "/state.json";
  cfg.passwords = (*h)->passwords();
  ha::HaService svc(cfg);
  ASSERT_TRUE(svc.Start().ok());
  const int port = svc.http_port();
  ASSERT_TRUE(WaitFor(
      port, [](const auto& s) { return s.at("state").as_string() == "Healthy"; }, 60s))
      << boost::json::serialize(Status(port));

  auto m = net::HttpCall("127.0.0.1", port, "GET", "/metrics");
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->body.find("moco_cluster_healthy{name=\"standalone\",namespace=\"\"} 1"),
            std::string::npos)
      << m->body;
  EXPECT_NE(m->body.find("moco_cluster_processing_time_seconds_bucket"), std::string::npos);
  // No password ever appears in the HTTP output.
  auto st = net::HttpCall("127.0.0.1", port, "GET", "/status");
  EXPECT_EQ(st->body.find(cfg.passwords.Get(SystemUser::kRepl)), std::string::npos);
  EXPECT_EQ(net::HttpCall("127.0.0.1", port, "POST", "/switchover?to=7")->status, 400);

  auto r = net::HttpCall("127.0.0.1", port, "POST", "/switchover?to=2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 202);
  ASSERT_TRUE(WaitFor(
      port,
      [](const auto& s) {
        return s.at("primary").as_int64() == 2 && s.at("state").as_string() == "Healthy";
      },
      30s))
      << boost::json::serialize(Status(port));
  auto saved = ha::LoadHaState(cfg.state_file);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->current_primary, 2);
  svc.Stop();
}

}  // namespace
}  // namespace kcx::mysql::testing
