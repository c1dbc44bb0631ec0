// The collector wired to a RestHandler over memory stores (no HTTP): resources added at run
// time (as CRD versions will be) are watched, references to kinds that were not served yet are
// re-checked when they appear, and a removed resource is forgotten.

#include "apiserver/gc/garbage_collector.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <thread>

#include "api/json.h"
#include "apiserver/registry/resource_info.h"
#include "apiserver/rest/api_registry.h"
#include "apiserver/rest/rest_handler.h"

namespace kcx::apiserver::gc {
namespace {

bool Eventually(const std::function<bool()>& f, int timeout_ms = 10000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (f())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return f();
}

class GcWiringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seq_ = std::make_unique<Sequencer>(nullptr);
    registry_ = std::make_unique<ApiRegistry>(seq_.get(), 1000);
    for (const ResourceInfo& info : BuiltinResources())
      registry_->Add(&info);
    for (const auto& e : registry_->entries())
      e->store->FinishLoad(0);
    handler_ = std::make_unique<RestHandler>(registry_.get(), &RealClock(), RestOptions{});
    gc_ = std::make_unique<GarbageCollector>(handler_.get(), &RealClock());
    for (const auto& e : registry_->entries())
      gc_->AddResource(e.get());
    registry_->SetOnAdd([this](ResourceEntry* e) {
      e->store->FinishLoad(seq_->Current());
      gc_->AddResource(e);
    });
    gc_->Start();
    ASSERT_EQ(Call("POST", "/api/v1/namespaces", R"({"metadata":{"name":"default"}})").code, 201);
  }
  void TearDown() override { gc_->Stop(); }

  Response Call(const std::string& method, const std::string& path, std::string body = "") {
    Request r;
    r.method = method;
    r.path = path;
    r.body = std::move(body);
    r.content_type = "application/json";
    r.user.authenticated = true;
    std::promise<Response> p;
    auto f = p.get_future();
    handler_->Handle(std::move(r), [&p](Response resp) { p.set_value(std::move(resp)); });
    return f.get();
  }

  std::unique_ptr<Sequencer> seq_;
  std::unique_ptr<ApiRegistry> registry_;
  std::unique_ptr<RestHandler> handler_;
  std::unique_ptr<GarbageCollector> gc_;
  const std::string cms_ = "/api/v1/namespaces/default/configmaps";
};

TEST_F(GcWiringTest, KindServedLaterIsResolvedThen) {
  // A dependent of a Widget, before any Widget kind is served: left alone.
  auto c = Call("POST", cms_, R"({"metadata":{"name":"dep","ownerReferences":[{"apiVersion":
    "example.com/v1","kind":"Widget","name":"w","uid":"w-uid"}]},"data":{"k":"v"}})");
  ASSERT_EQ(c.code, 201) << c.body;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Call("GET", cms_ + "/dep").code, 200);

  // The kind starts being served (as a CRD would); the Widget "w" does not exist: collected.
  ResourceInfo widget = *FindBuiltinResource("", "configmaps");
  widget.group = "example.com";
  widget.version = "v1";
  widget.kind = "Widget";
  widget.resource = "widgets";
  widget.singular = "widget";
  widget.list_kind = "WidgetList";
  widget.short_names.clear();
  widget.custom_resource = true;
  registry_->Add(&widget);
  EXPECT_TRUE(Eventually([&] { return Call("GET", cms_ + "/dep").code == 404; }));

  // The new resource is watched: deleting a Widget collects its dependents.
  auto w = Call("POST", "/apis/example.com/v1/namespaces/default/widgets",
                R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w2"}})");
  ASSERT_EQ(w.code, 201) << w.body;
  auto wv = api::ParseJson(w.body);
  std::string uid(api::GetStringPath(*wv, {"metadata", "uid"}));
  ASSERT_EQ(Call("POST", cms_,
                 R"({"metadata":{"name":"dep2","ownerReferences":[{"apiVersion":"example.com/v1",)"
                 R"("kind":"Widget","name":"w2","uid":")" +
                     uid + R"("}]}})")
                .code,
            201);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Call("GET", cms_ + "/dep2").code, 200);
  ASSERT_EQ(Call("DELETE", "/apis/example.com/v1/namespaces/default/widgets/w2").code, 200);
  EXPECT_TRUE(Eventually([&] { return Call("GET", cms_ + "/dep2").code == 404; }));

  // Removed again: its objects are forgotten and the call returns once the worker let go.
  gc_->RemoveResource(registry_->Find("example.com", "v1", "widgets"));
  EXPECT_GE(gc_->stats().deletes, 2u);
}

}  // namespace
}  // namespace kcx::apiserver::gc
