// kubectl describe shows the events of an object: kubectl 1.32 lists core/v1 events with the
// field selector involvedObject.name/namespace/kind/uid (in chunks of 500) and prints them
// under "Events:".
//
// Known gap (docs/apiserver.md): kcx stores events.k8s.io/v1 events apart from core/v1 events,
// so an event written through events.k8s.io/v1 is not listed by kubectl describe.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>

#include "api/json.h"
#include "common/strings.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

class KubectlEventsTest : public ::testing::Test {
 protected:
  void SetUp() override { srv_ = TestApiServer::Start(); }

  std::string Uid(const std::string& path) {
    auto r = srv_->Call("GET", path);
    EXPECT_EQ(r.code, 200) << r.body;
    return std::string(api::GetStringPath(r.json, {"metadata", "uid"}));
  }

  void CoreEvent(const std::string& name, const std::string& kind, const std::string& obj,
                 const std::string& uid, const std::string& type, const std::string& reason,
                 const std::string& message) {
    std::string now = FormatRfc3339(std::chrono::system_clock::now());
    json::object ev{{"apiVersion", "v1"},
                    {"kind", "Event"},
                    {"metadata", {{"name", name}, {"namespace", "default"}}},
                    {"involvedObject",
                     {{"apiVersion", "v1"},
                      {"kind", kind},
                      {"name", obj},
                      {"namespace", "default"},
                      {"uid", uid}}},
                    {"reason", reason},
                    {"message", message},
                    {"type", type},
                    {"source", {{"component", "kcx-test"}}},
                    {"firstTimestamp", now},
                    {"lastTimestamp", now},
                    {"count", 1}};
    auto r = srv_->Call("POST", "/api/v1/namespaces/default/events", json::serialize(ev));
    ASSERT_EQ(r.code, 201) << r.body;
  }

  std::unique_ptr<TestApiServer> srv_;
};

TEST_F(KubectlEventsTest, DescribeConfigMapShowsItsEvents) {
  // `kubectl create configmap` sends protobuf, which kcx does not read: create from YAML.
  auto c =
      srv_->Kubectl({"apply", "-f", "-"},
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: b\n");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  std::string uid = Uid("/api/v1/namespaces/default/configmaps/cfg");
  CoreEvent("cfg.1", "ConfigMap", "cfg", uid, "Normal", "Checked", "hello from the test");
  CoreEvent("cfg.2", "ConfigMap", "cfg", uid, "Warning", "Drifted", "a warning for cfg");
  // Same name, another object (an earlier incarnation): not shown, the uid differs.
  CoreEvent("cfg.old", "ConfigMap", "cfg", "00000000-0000-0000-0000-000000000001", "Normal",
            "Stale", "from a deleted configmap");
  // Same name and namespace, another kind: not shown.
  CoreEvent("cfg.pod", "Pod", "cfg", uid, "Normal", "OtherKind", "about a pod");

  auto d = srv_->Kubectl({"describe", "configmap", "cfg"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_NE(d.out.find("Events:"), std::string::npos) << d.out;
  EXPECT_TRUE(std::regex_search(d.out, std::regex("Type +Reason +Age +From +Message"))) << d.out;
  EXPECT_TRUE(std::regex_search(
      d.out, std::regex(R"(Normal +Checked +[0-9]+s +kcx-test +hello from the test)")))
      << d.out;
  EXPECT_TRUE(std::regex_search(
      d.out, std::regex(R"(Warning +Drifted +[0-9]+s +kcx-test +a warning for cfg)")))
      << d.out;
  EXPECT_EQ(d.out.find("Stale"), std::string::npos) << d.out;
  EXPECT_EQ(d.out.find("OtherKind"), std::string::npos) << d.out;
}

TEST_F(KubectlEventsTest, DescribePodShowsItsEvents) {
  auto c = srv_->Kubectl({"run", "web", "--image=nginx", "--restart=Never"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  std::string uid = Uid("/api/v1/namespaces/default/pods/web");
  CoreEvent("web.1", "Pod", "web", uid, "Normal", "Scheduled",
            "Successfully assigned default/web to node-1");
  CoreEvent("web.2", "Pod", "web", uid, "Warning", "BackOff", "Back-off pulling image");
  CoreEvent("other.1", "Pod", "other", "00000000-0000-0000-0000-000000000002", "Normal",
            "Unrelated", "about another pod");

  auto d = srv_->Kubectl({"describe", "pod", "web"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_TRUE(std::regex_search(
      d.out,
      std::regex(
          R"(Normal +Scheduled +[0-9]+s +kcx-test +Successfully assigned default/web to node-1)")))
      << d.out;
  EXPECT_TRUE(std::regex_search(
      d.out, std::regex(R"(Warning +BackOff +[0-9]+s +kcx-test +Back-off pulling image)")))
      << d.out;
  EXPECT_EQ(d.out.find("Unrelated"), std::string::npos) << d.out;

  // The same field selector kubectl describe sends, through kubectl get.
  auto g = srv_->Kubectl({"get", "events", "--field-selector",
                          "involvedObject.name=web,involvedObject.namespace=default,"
                          "involvedObject.kind=Pod,involvedObject.uid=" +
                              uid,
                          "-o", "name"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(g.out, "event/web.1\nevent/web.2\n");
}

TEST_F(KubectlEventsTest, DescribeWithoutEventsSaysNone) {
  ASSERT_EQ(srv_->Kubectl({"apply", "-f", "-"},
                          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: quiet\n")
                .exit_code,
            0);
  auto d = srv_->Kubectl({"describe", "configmap", "quiet"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_NE(d.out.find("Events:  <none>"), std::string::npos) << d.out;
}

}  // namespace
}  // namespace kcx::testenv
