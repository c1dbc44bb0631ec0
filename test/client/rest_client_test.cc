// The REST client over real HTTPS against kcx apiserver started in-process: configuration from
// the server's kubeconfig, keep-alive reuse, typed errors from Status responses, watches, the
// client-side rate limiter, and token files.

#include "client/rest_client.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "api/json.h"
#include "client/errors.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::client {
namespace {

namespace json = boost::json;

class RestClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_ = testenv::TestApiServer::Start();
    KubeconfigOptions o;
    o.explicit_path = srv_->kubeconfig();
    auto cfg = LoadKubeconfig(o);
    ASSERT_TRUE(cfg.ok()) << cfg.status().message();
    cfg_ = *cfg;
  }
  std::unique_ptr<RestClient> Client(RestConfig c) {
    auto r = RestClient::Create(std::move(c));
    EXPECT_TRUE(r.ok()) << r.status().message();
    return std::move(*r);
  }
  std::unique_ptr<testenv::TestApiServer> srv_;
  RestConfig cfg_;
};

TEST_F(RestClientTest, TalksToTheServerFromItsKubeconfigAndReusesConnections) {
  auto c = Client(cfg_);
  for (int i = 0; i < 20; ++i) {
    auto r = c->Do({.path = "/api/v1/namespaces/default"});
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_EQ(r->code, 200);
  }
  EXPECT_EQ(c->connections_opened(), 1) << "keep-alive connections must be reused";
}

TEST_F(RestClientTest, FailuresBecomeTypedErrorsWithDetails) {
  auto c = Client(cfg_);
  auto nf = c->Do({.path = "/api/v1/namespaces/default/configmaps/nope"});
  ASSERT_FALSE(nf.ok());
  EXPECT_TRUE(IsNotFound(nf.status()));
  EXPECT_EQ(nf.status().message(), "configmaps \"nope\" not found");
  ASSERT_TRUE(nf.status().details().has_value());
  EXPECT_EQ(nf.status().details()->name, "nope");
  EXPECT_EQ(nf.status().details()->kind, "configmaps");

  RestRequest create{.verb = "POST", .path = "/api/v1/namespaces/default/configmaps",
                     .body = R"({"metadata":{"name":"x"},"data":{"a":"b"}})"};
  ASSERT_TRUE(c->Do(create).ok());
  auto again = c->Do(create);
  EXPECT_TRUE(IsAlreadyExists(again.status())) << again.status().ToString();
  RestRequest bad{.verb = "POST", .path = "/api/v1/namespaces/default/configmaps",
                  .body = R"({"metadata":{"name":"Bad_Name"}})"};
  auto inv = c->Do(bad);
  EXPECT_TRUE(IsInvalid(inv.status()));
  ASSERT_TRUE(inv.status().details().has_value());
  ASSERT_FALSE(inv.status().details()->causes.empty());
  EXPECT_EQ(inv.status().details()->causes[0].field, "metadata.name");

  RestConfig wrong = cfg_;
  wrong.bearer_token = "not-the-token";
  wrong.tls.client_cert_pem.clear();
  wrong.tls.client_key_pem.clear();
  auto unauth = Client(wrong)->Do({.path = "/api/v1/namespaces"});
  EXPECT_TRUE(IsUnauthorized(unauth.status())) << unauth.status().ToString();
}

TEST_F(RestClientTest, WatchDeliversEvents) {
  auto c = Client(cfg_);
  auto w = c->Watch({.path = "/api/v1/namespaces/default/configmaps",
                     .query = {{"watch", "true"}, {"allowWatchBookmarks", "true"}}});
  ASSERT_TRUE(w.ok()) << w.status().message();
  ASSERT_TRUE(c->Do({.verb = "POST", .path = "/api/v1/namespaces/default/configmaps",
                     .body = R"({"metadata":{"name":"w"}})"})
                  .ok());
  auto ev = (*w)->Next(5000);
  ASSERT_TRUE(ev.ok()) << ev.status().message();
  ASSERT_TRUE(ev->has_value());
  EXPECT_EQ((*ev)->type, "ADDED");
  EXPECT_EQ(api::GetStringPath(json::parse((*ev)->object), {"metadata", "name"}), "w");
}

TEST_F(RestClientTest, ClientSideRateLimitPacesRequests) {
  RestConfig slow = cfg_;
  slow.qps = 20;
  slow.burst = 1;
  auto c = Client(slow);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(c->Do({.path = "/api/v1/namespaces"}).ok());
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(240));  // 5 waits of 50 ms
  RestConfig off = cfg_;
  off.qps = 0;
  auto f = Client(off);
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(f->Do({.path = "/api/v1/namespaces"}).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(RestClientTest, TokenFileIsUsed) {
  testenv::TempDir dir;
  std::string path = dir.path() + "/token";
  std::ofstream(path) << srv_->token() << "\n";
  RestConfig c = cfg_;
  c.bearer_token.clear();
  c.tls.client_cert_pem.clear();
  c.tls.client_key_pem.clear();
  c.bearer_token_file = path;
  auto r = Client(c)->Do({.path = "/api/v1/namespaces"});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

}  // namespace
}  // namespace kcx::client
