// SharedIndexInformer over real HTTPS against kcx apiserver started in-process: paged initial
// sync, event delivery, handlers added to a running informer (initial adds, per-handler
// HasSynced), removal semantics (client-go PR 111122), slow handlers not blocking others,
// resync, and convergence of the cache to the server's state.

#include "runtime/informer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "api/json.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::runtime {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

template <typename F>
bool Eventually(F pred, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

// Records what a handler saw.
struct Recorder : ResourceEventHandler {
  std::mutex mu;
  std::vector<std::string> events;  // "add:name:initial", "update:name", "delete:name"
  std::atomic<int> calls{0};
  std::chrono::milliseconds delay{0};
  void OnAdd(const ObjectPtr& o, bool initial) override {
    Record("add:" + std::string(o->name()) + (initial ? ":initial" : ""));
  }
  void OnUpdate(const ObjectPtr&, const ObjectPtr& n) override {
    Record("update:" + std::string(n->name()));
  }
  void OnDelete(const ObjectPtr& o) override { Record("delete:" + std::string(o->name())); }
  void Record(std::string e) {
    if (delay.count()) std::this_thread::sleep_for(delay);
    std::lock_guard l(mu);
    events.push_back(std::move(e));
    ++calls;
  }
  std::vector<std::string> Snapshot() {
    std::lock_guard l(mu);
    return events;
  }
  size_t Count(std::string_view prefix) {
    std::lock_guard l(mu);
    size_t n = 0;
    for (auto& e : events) n += e.rfind(prefix, 0) == 0;
    return n;
  }
};

class InformerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_ = testenv::TestApiServer::Start();
    client::KubeconfigOptions o;
    o.explicit_path = srv_->kubeconfig();
    auto cfg = client::LoadKubeconfig(o);
    ASSERT_TRUE(cfg.ok());
    cfg->qps = 0;
    auto c = client::RestClient::Create(*cfg);
    ASSERT_TRUE(c.ok());
    client_ = std::move(*c);
    ASSERT_EQ(srv_->Call("POST", "/api/v1/namespaces", R"({"metadata":{"name":"inf"}})").code,
              201);
  }
  void Create(const std::string& name) {
    auto r = srv_->Call("POST", kPath, R"({"metadata":{"name":")" + name + R"("}})");
    ASSERT_EQ(r.code, 201) << r.body;
  }
  std::unique_ptr<SharedIndexInformer> Informer() {
    InformerOptions o;
    o.path = kPath;
    o.page_size = 100;
    return std::make_unique<SharedIndexInformer>(client_.get(), o);
  }
  static constexpr char kPath[] = "/api/v1/namespaces/inf/configmaps";
  std::unique_ptr<testenv::TestApiServer> srv_;
  std::unique_ptr<client::RestClient> client_;
};

TEST_F(InformerTest, PagedInitialSyncThenEventsInOrder) {
  for (int i = 0; i < 250; ++i) Create("cm-" + std::to_string(i));
  auto inf = Informer();
  auto rec = std::make_shared<Recorder>();
  auto reg = inf->AddEventHandler(rec);
  ASSERT_TRUE(reg.ok());
  EXPECT_FALSE((*reg)->HasSynced());
  inf->Run();
  ASSERT_TRUE(inf->WaitForCacheSync(10s));
  EXPECT_EQ(inf->lists(), 1);
  EXPECT_EQ(inf->GetIndexer().Size(), 250u);
  ASSERT_TRUE(Eventually([&] { return (*reg)->HasSynced(); }));
  EXPECT_EQ(rec->Count("add:"), 250u);
  for (auto& e : rec->Snapshot()) EXPECT_NE(e.find(":initial"), std::string::npos) << e;

  Create("late");
  ASSERT_EQ(srv_->Call("PATCH", std::string(kPath) + "/late", R"({"data":{"a":"b"}})",
                       "application/merge-patch+json")
                .code,
            200);
  ASSERT_EQ(srv_->Call("DELETE", std::string(kPath) + "/late").code, 200);
  ASSERT_TRUE(Eventually([&] { return rec->Count("delete:") == 1; }));
  auto ev = rec->Snapshot();
  std::vector<std::string> tail(ev.end() - 3, ev.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"add:late", "update:late", "delete:late"}));
  EXPECT_EQ(inf->GetIndexer().Get("inf/late"), nullptr);
}

TEST_F(InformerTest, HandlerAddedToARunningInformerGetsTheCacheFirst) {
  for (int i = 0; i < 20; ++i) Create("a-" + std::to_string(i));
  auto inf = Informer();
  inf->Run();
  ASSERT_TRUE(inf->WaitForCacheSync(10s));
  auto slow = std::make_shared<Recorder>();
  slow->delay = 20ms;
  auto reg = inf->AddEventHandler(slow);
  ASSERT_TRUE(reg.ok());
  EXPECT_FALSE((*reg)->HasSynced()) << "initial adds are still being delivered";
  // A second, fast handler is not held up by the slow one.
  auto fast = std::make_shared<Recorder>();
  auto freg = inf->AddEventHandler(fast);
  ASSERT_TRUE(Eventually([&] { return (*freg)->HasSynced(); }, 2s));
  EXPECT_LT(slow->calls.load(), 20) << "the fast handler finished first";
  ASSERT_TRUE(Eventually([&] { return (*reg)->HasSynced(); }));
  EXPECT_EQ(slow->Count("add:"), 20u);
  for (auto& e : slow->Snapshot()) EXPECT_NE(e.find(":initial"), std::string::npos) << e;
}

TEST_F(InformerTest, RemovedHandlersGetNothingMoreAndTheInformerKeepsRunning) {
  auto inf = Informer();
  inf->Run();
  ASSERT_TRUE(inf->WaitForCacheSync(10s));
  auto rec = std::make_shared<Recorder>();
  auto reg = inf->AddEventHandler(rec);
  ASSERT_TRUE(reg.ok());
  Create("one");
  ASSERT_TRUE(Eventually([&] { return rec->calls.load() == 1; }));
  ASSERT_TRUE(inf->ShutDownEventHandler(*reg).ok());
  ASSERT_TRUE(inf->RemoveEventHandler(*reg).ok()) << "idempotent";
  Create("two");
  ASSERT_TRUE(Eventually([&] { return inf->GetIndexer().Get("inf/two") != nullptr; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(rec->calls.load(), 1) << "no notification after removal";

  // ShutDownEventHandler from inside the handler would deadlock: it is refused.
  std::atomic<bool> refused{false};
  auto self = std::make_shared<FuncHandler>();
  std::shared_ptr<RegistrationPtr> holder = std::make_shared<RegistrationPtr>();
  self->on_add = [&, holder](const ObjectPtr& o, bool) {
    if (o->name() == "three" && *holder) refused = !inf->ShutDownEventHandler(*holder).ok();
  };
  auto sreg = inf->AddEventHandler(self);
  ASSERT_TRUE(sreg.ok());
  *holder = *sreg;
  Create("three");
  ASSERT_TRUE(Eventually([&] { return refused.load(); }));
  ASSERT_TRUE(inf->RemoveEventHandler(*sreg).ok());
  holder->reset();  // the handler held its own registration: break that cycle

  inf->Stop();
  EXPECT_TRUE(inf->IsStopped());
  EXPECT_FALSE(inf->AddEventHandler(std::make_shared<Recorder>()).ok());
}

TEST_F(InformerTest, ResyncRedeliversTheCacheAsUpdates) {
  Create("r");
  FakeClock clock;
  InformerOptions o;
  o.path = kPath;
  o.clock = &clock;
  SharedIndexInformer inf(client_.get(), o);
  auto rec = std::make_shared<Recorder>();
  ASSERT_TRUE(inf.AddEventHandler(rec, 30s).ok());
  auto other = std::make_shared<Recorder>();
  ASSERT_TRUE(inf.AddEventHandler(other).ok());  // no resync for this one
  inf.Run();
  ASSERT_TRUE(inf.WaitForCacheSync(10s));
  ASSERT_TRUE(Eventually([&] { return rec->calls.load() == 1; }));
  clock.Advance(31s);
  ASSERT_TRUE(Eventually([&] { return rec->Count("update:r") == 1; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(other->Count("update:"), 0u);
}

TEST_F(InformerTest, CacheConvergesToTheServerUnderChurn) {
  auto inf = Informer();
  inf->Run();
  ASSERT_TRUE(inf->WaitForCacheSync(10s));
  std::set<std::string> expect;
  for (int i = 0; i < 300; ++i) {
    std::string n = "c-" + std::to_string(i % 60);
    if (expect.count(n) && i % 3 == 0) {
      ASSERT_EQ(srv_->Call("DELETE", std::string(kPath) + "/" + n).code, 200);
      expect.erase(n);
    } else if (expect.count(n)) {
      ASSERT_EQ(srv_->Call("PATCH", std::string(kPath) + "/" + n,
                           R"({"data":{"i":")" + std::to_string(i) + R"("}})",
                           "application/merge-patch+json")
                    .code,
                200);
    } else {
      Create(n);
      expect.insert(n);
    }
  }
  auto server = srv_->Call("GET", kPath);
  ASSERT_EQ(server.code, 200);
  std::map<std::string, std::string> want;
  for (const auto& it : server.json.at("items").as_array()) {
    want[std::string(api::GetStringPath(it, {"metadata", "name"}))] =
        std::string(api::GetStringPath(it, {"metadata", "resourceVersion"}));
  }
  ASSERT_TRUE(Eventually([&] {
    std::map<std::string, std::string> got;
    for (auto& o : inf->GetIndexer().List()) {
      got[std::string(o->name())] = std::string(o->resource_version());
    }
    return got == want;
  }));
  EXPECT_EQ(inf->lists(), 1) << "no relist was needed";
}

}  // namespace
}  // namespace kcx::runtime
