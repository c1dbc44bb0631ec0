// A small ConfigMap-copying controller built with the runtime, run against kcx apiserver:
// For() + Owns() mapping, reconcile on change, restoring a child edited by hand, rate-limited
// retries on errors, no concurrent reconciles of one request, and Stop().

#include "runtime/controller.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <thread>

#include "api/json.h"
#include "client/errors.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::runtime {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const ResourceKind kConfigMap{"", "v1", "ConfigMap", "configmaps", true};

template <typename F>
bool Eventually(F pred, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_ = testenv::TestApiServer::Start();
    client::KubeconfigOptions o;
    o.explicit_path = srv_->kubeconfig();
    auto cfg = client::LoadKubeconfig(o);
    ASSERT_TRUE(cfg.ok());
    cfg->qps = 0;
    client_ = std::move(*client::RestClient::Create(*cfg));
    factory_ = std::make_unique<InformerFactory>(client_.get());
  }
  void TearDown() override { factory_->Stop(); }

  // Reconciles a source ConfigMap (label role=source) into "<name>-copy", owned by it.
  Result<ReconcileResult> CopyReconcile(const Request& r) {
    SharedIndexInformer* inf = factory_->Get(kConfigMap.CollectionPath());
    ObjectPtr src = inf->GetIndexer().Get(r.Key());
    if (!src) return ReconcileResult{};  // deleted: the GC removes the copy
    bool is_source = false;
    for (auto& [k, v] : src->labels()) is_source |= k == "role" && v == "source";
    if (!is_source) return ReconcileResult{};
    json::value v = src->Value();
    json::object child{
        {"apiVersion", "v1"},
        {"kind", "ConfigMap"},
        {"metadata",
         json::object{{"name", std::string(r.name) + "-copy"},
                      {"namespace", r.ns},
                      {"ownerReferences",
                       json::array{json::object{{"apiVersion", "v1"},
                                                {"kind", "ConfigMap"},
                                                {"name", r.name},
                                                {"uid", std::string(src->uid())},
                                                {"controller", true}}}}}},
        {"data", v.as_object().contains("data") ? v.at("data") : json::object()}};
    std::string path = kConfigMap.CollectionPath(r.ns);
    ObjectPtr cur = inf->GetIndexer().Get(r.ns, r.name + "-copy");
    if (!cur) {
      auto c = client_->Do({.verb = "POST", .path = path, .body = json::serialize(child)});
      if (!c.ok() && !client::IsAlreadyExists(c.status())) return c.status();
      return ReconcileResult{};
    }
    json::value cv = cur->Value();
    if (cv.as_object().contains("data") && cv.at("data") == child.at("data")) {
      return ReconcileResult{};
    }
    child["metadata"].as_object()["resourceVersion"] = std::string(cur->resource_version());
    auto u = client_->Do({.verb = "PUT", .path = path + "/" + r.name + "-copy",
                          .body = json::serialize(child)});
    if (!u.ok()) return u.status();  // a conflict retries with backoff
    return ReconcileResult{};
  }

  std::string CopyData(const std::string& name) {
    auto r = srv_->Call("GET", "/api/v1/namespaces/default/configmaps/" + name + "-copy");
    if (r.code != 200) return "";
    return json::serialize(r.json.at("data"));
  }

  std::unique_ptr<testenv::TestApiServer> srv_;
  std::unique_ptr<client::RestClient> client_;
  std::unique_ptr<InformerFactory> factory_;
};

TEST_F(ControllerTest, CopiesRestoresAndStops) {
  Controller c("copier", factory_.get(), [this](const Request& r) { return CopyReconcile(r); });
  c.For(kConfigMap).Owns(kConfigMap).MaxConcurrentReconciles(2);
  ASSERT_TRUE(c.Start(10s).ok());
  const std::string cms = "/api/v1/namespaces/default/configmaps";
  ASSERT_EQ(srv_->Call("POST", cms,
                       R"({"metadata":{"name":"s1","labels":{"role":"source"}},"data":{"a":"1"}})")
                .code,
            201);
  ASSERT_TRUE(Eventually([&] { return CopyData("s1") == R"({"a":"1"})"; }));
  // A change of the source propagates.
  ASSERT_EQ(srv_->Call("PATCH", cms + "/s1", R"({"data":{"a":"2"}})",
                       "application/merge-patch+json")
                .code,
            200);
  ASSERT_TRUE(Eventually([&] { return CopyData("s1") == R"({"a":"2"})"; }));
  // Editing the child by hand: Owns() maps it to its owner, which restores it.
  ASSERT_EQ(srv_->Call("PATCH", cms + "/s1-copy", R"({"data":{"a":"tampered"}})",
                       "application/merge-patch+json")
                .code,
            200);
  ASSERT_TRUE(Eventually([&] { return CopyData("s1") == R"({"a":"2"})"; }));
  c.Stop();
  uint64_t n = c.reconciles();
  ASSERT_EQ(srv_->Call("PATCH", cms + "/s1", R"({"data":{"a":"3"}})",
                       "application/merge-patch+json")
                .code,
            200);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(c.reconciles(), n) << "no reconcile after Stop";
  EXPECT_EQ(CopyData("s1"), R"({"a":"2"})");
}

TEST_F(ControllerTest, ErrorsRequeueWithBackoffAndOneRequestIsNeverReconciledTwiceAtOnce) {
  std::mutex mu;
  std::map<std::string, int> attempts;
  std::set<std::string> active;
  std::atomic<bool> overlap{false};
  Controller c("flaky", factory_.get(), [&](const Request& r) -> Result<ReconcileResult> {
    {
      std::lock_guard l(mu);
      if (!active.insert(r.Key()).second) overlap = true;
    }
    std::this_thread::sleep_for(2ms);
    int n;
    {
      std::lock_guard l(mu);
      active.erase(r.Key());
      n = ++attempts[r.Key()];
    }
    if (r.name == "flaky" && n < 3) return Internal("not yet");
    return ReconcileResult{};
  });
  c.For(kConfigMap).MaxConcurrentReconciles(4);
  ASSERT_TRUE(c.Start(10s).ok());
  ASSERT_EQ(srv_->Call("POST", "/api/v1/namespaces/default/configmaps",
                       R"({"metadata":{"name":"flaky"}})")
                .code,
            201);
  // 5 ms then 10 ms of backoff: the third attempt succeeds, and the item is forgotten.
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard l(mu);
    return attempts["default/flaky"] == 3;
  }));
  EXPECT_TRUE(Eventually([&] { return c.queue().NumRequeues({"default", "flaky"}) == 0; }));
  // Many updates of one object while workers are busy: never two reconciles at once.
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(srv_->Call("PATCH", "/api/v1/namespaces/default/configmaps/flaky",
                         R"({"data":{"i":")" + std::to_string(i) + R"("}})",
                         "application/merge-patch+json")
                  .code,
              200);
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(overlap.load());
  c.Stop();
}

TEST_F(ControllerTest, PredicatesFilterEvents) {
  std::atomic<int> n{0};
  Controller c("gen", factory_.get(), [&](const Request&) -> Result<ReconcileResult> {
    ++n;
    return ReconcileResult{};
  });
  // ConfigMaps have no generation: only creates and deletes pass GenerationChanged.
  c.For(kConfigMap, {GenerationChanged()});
  ASSERT_TRUE(c.Start(10s).ok());
  ASSERT_EQ(srv_->Call("POST", "/api/v1/namespaces/default/configmaps",
                       R"({"metadata":{"name":"p"}})")
                .code,
            201);
  ASSERT_TRUE(Eventually([&] { return n.load() == 1; }));
  ASSERT_EQ(srv_->Call("PATCH", "/api/v1/namespaces/default/configmaps/p",
                       R"({"data":{"x":"y"}})", "application/merge-patch+json")
                .code,
            200);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(n.load(), 1);
  c.Stop();
}

}  // namespace
}  // namespace kcx::runtime
