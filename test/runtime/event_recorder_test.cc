// EventRecorder against kcx apiserver: identical events are counted on one Event, similar ones
// (same reason, different messages) are combined after ten, and Events carry the involved
// object so `kubectl describe` finds them.

#include "runtime/event_recorder.h"

#include <gtest/gtest.h>

#include "api/json.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::runtime {
namespace {

TEST(EventRecorderTest, DeduplicatesAndAggregates) {
  auto srv = testenv::TestApiServer::Start();
  client::KubeconfigOptions o;
  o.explicit_path = srv->kubeconfig();
  auto cfg = client::LoadKubeconfig(o);
  ASSERT_TRUE(cfg.ok());
  cfg->qps = 0;
  auto client = std::move(*client::RestClient::Create(*cfg));
  auto cm = srv->Call("POST", "/api/v1/namespaces/default/configmaps",
                      R"({"metadata":{"name":"subject"}})");
  ASSERT_EQ(cm.code, 201);
  ObjectReference ref{"v1", "ConfigMap", "default", "subject",
                      std::string(api::GetStringPath(cm.json, {"metadata", "uid"})), ""};
  EventRecorder rec(client.get(), "kcx-test", "host-1");
  for (int i = 0; i < 3; ++i) rec.Event(ref, "Normal", "Synced", "all good");
  rec.Flush();
  auto list = srv->Call("GET", "/api/v1/namespaces/default/events");
  ASSERT_EQ(list.code, 200);
  const auto& items = list.json.at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << list.body;
  EXPECT_EQ(items[0].at("count"), 3);
  EXPECT_EQ(items[0].at("reason"), "Synced");
  EXPECT_EQ(api::GetStringPath(items[0], {"involvedObject", "uid"}), ref.uid);
  EXPECT_EQ(items[0].at("source").at("component"), "kcx-test");

  for (int i = 0; i < 15; ++i) rec.Event(ref, "Warning", "Failed", "attempt " + std::to_string(i));
  rec.Flush();
  auto warn = srv->Call("GET",
                        "/api/v1/namespaces/default/events?fieldSelector=reason%3DFailed");
  ASSERT_EQ(warn.code, 200);
  const auto& w = warn.json.at("items").as_array();
  // Nine distinct events, then one combined Event counting the remaining six.
  ASSERT_EQ(w.size(), 10u) << warn.body;
  int combined = 0;
  for (const auto& e : w) {
    std::string msg(e.at("message").as_string());
    if (msg.rfind("(combined from similar events): ", 0) == 0) {
      ++combined;
      EXPECT_EQ(e.at("count"), 6);
      EXPECT_EQ(msg, "(combined from similar events): attempt 14");
    }
  }
  EXPECT_EQ(combined, 1);

  auto d = srv->Kubectl({"describe", "configmap", "subject", "-n", "default"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_NE(d.out.find("Synced"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("all good"), std::string::npos) << d.out;
  EXPECT_EQ(rec.dropped(), 0u);
}

}  // namespace
}  // namespace kcx::runtime
