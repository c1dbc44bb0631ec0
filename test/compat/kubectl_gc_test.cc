// Compatibility tests with the real kubectl (v1.32) for deletion propagation and finalizers:
// `kubectl delete --cascade=orphan|foreground|background` against kcx apiserver, with the
// garbage collector running in-process, must leave what a real cluster leaves, in the same
// order.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <sstream>
#include <thread>

#include "api/json.h"
#include "test/compat/process.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

std::string Str(const json::value& v, std::initializer_list<std::string_view> path) {
  return std::string(api::GetStringPath(v, path));
}

std::string Describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

bool Eventually(const std::function<bool()>& f, int timeout_ms = 15000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (f())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return f();
}

class KubectlGcTest : public ::testing::Test {
 protected:
  void SetUp() override { srv_ = TestApiServer::Start(); }

  CommandResult Run(const std::vector<std::string>& args, const std::string& stdin_data = "") {
    return srv_->Kubectl(args, stdin_data, {}, 60);
  }
  std::string Ok(const std::vector<std::string>& args, const std::string& stdin_data = "") {
    auto r = Run(args, stdin_data);
    std::string cmd;
    for (const auto& a : args)
      cmd += a + " ";
    EXPECT_EQ(r.exit_code, 0) << "kubectl " << cmd << "\n" << Describe(r);
    EXPECT_EQ(r.err, "") << "kubectl " << cmd;
    return r.out;
  }
  std::unique_ptr<Process> Spawn(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"kubectl", "--kubeconfig", srv_->kubeconfig()};
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Process>(
        argv, std::map<std::string, std::string>{{"HOME", srv_->data_dir()}});
  }
  std::string Uid(const std::string& kind_name) {
    return Ok({"get", kind_name, "-o", "jsonpath={.metadata.uid}"});
  }
  int Code(const std::string& path) { return srv_->Call("GET", path).code; }

  // An owner ConfigMap and `n` ConfigMaps it owns (controller, blockOwnerDeletion as the
  // built-in controllers set them); `held` of them carry a finalizer that keeps them.
  void CreateFamily(int n, int held = 0) {
    // (kubectl's typed `create configmap` sends protobuf, which kcx does not read: apply.)
    Ok({"apply", "-f", "-"},
       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owner\ndata: {k: v}\n");
    std::string uid = Uid("cm/owner");
    ASSERT_FALSE(uid.empty());
    std::string yaml;
    for (int i = 0; i < n; ++i) {
      yaml += "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dep" + std::to_string(i) +
              "\n  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: owner\n"
              "    uid: " +
              uid + "\n    controller: true\n    blockOwnerDeletion: true\n";
      if (i < held)
        yaml += "  finalizers: [\"example.com/hold\"]\n";
      yaml += "data: {k: v}\n";
    }
    Ok({"apply", "-f", "-"}, yaml);
  }

  // The order of DELETED events in a `kubectl get -w --output-watch-events` transcript.
  static std::vector<std::string> Deleted(const std::string& transcript) {
    std::vector<std::string> out;
    std::istringstream in(transcript);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string ev, name;
      ls >> ev >> name;
      if (ev == "DELETED")
        out.push_back(name);
    }
    return out;
  }

  std::unique_ptr<TestApiServer> srv_;
  const std::string cms_ = "/api/v1/namespaces/default/configmaps";
};

TEST_F(KubectlGcTest, CascadeOrphanKeepsDependentsWithoutOwnerReference) {
  CreateFamily(3);
  EXPECT_EQ(Ok({"delete", "cm", "owner", "--cascade=orphan"}), "configmap \"owner\" deleted\n");
  EXPECT_EQ(Code(cms_ + "/owner"), 404);
  for (int i = 0; i < 3; ++i) {
    std::string name = "cm/dep" + std::to_string(i);
    EXPECT_EQ(Ok({"get", name, "-o", "jsonpath={.metadata.ownerReferences}"}), "") << name;
    EXPECT_EQ(Ok({"get", name, "-o", "jsonpath={.metadata.deletionTimestamp}"}), "") << name;
  }
  // They are left alone afterwards.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Code(cms_ + "/dep0"), 200);
}

TEST_F(KubectlGcTest, CascadeOrphanShowsTheOrphanFinalizerWhileItWorks) {
  // A dependent that cannot take the patch yet is not possible to arrange without races, so
  // look at the owner right after a --wait=false delete: either still held by `orphan`, or
  // already gone once the GC finished; never deleted with its dependents.
  CreateFamily(2);
  EXPECT_EQ(Ok({"delete", "cm", "owner", "--cascade=orphan", "--wait=false"}),
            "configmap \"owner\" deleted\n");
  auto r = srv_->Call("GET", cms_ + "/owner");
  if (r.code == 200) {
    EXPECT_EQ(r.json.at("metadata").at("finalizers"), (json::array{"orphan"}));
    EXPECT_FALSE(Str(r.json, {"metadata", "deletionTimestamp"}).empty());
  } else {
    EXPECT_EQ(r.code, 404);
  }
  // (kubectl prints nothing when the object is already gone.)
  auto w = Run({"wait", "--for=delete", "cm/owner", "--timeout=20s"});
  EXPECT_EQ(w.exit_code, 0) << Describe(w);
  EXPECT_EQ(Code(cms_ + "/owner"), 404);
  EXPECT_EQ(Code(cms_ + "/dep0"), 200);
  EXPECT_EQ(Code(cms_ + "/dep1"), 200);
}

TEST_F(KubectlGcTest, CascadeForegroundDeletesDependentsFirst) {
  CreateFamily(3, /*held=*/1);
  auto watch = Spawn({"get", "configmaps", "--watch", "--output-watch-events"});
  ASSERT_TRUE(watch->WaitForOutput("dep2", 15000)) << watch->out() << watch->err();
  EXPECT_EQ(Ok({"delete", "cm", "owner", "--cascade=foreground", "--wait=false"}),
            "configmap \"owner\" deleted\n");
  // The free dependents go; the held one waits with a deletionTimestamp, and so does the owner,
  // with the foregroundDeletion finalizer.
  EXPECT_TRUE(
      Eventually([&] { return Code(cms_ + "/dep1") == 404 && Code(cms_ + "/dep2") == 404; }));
  EXPECT_FALSE(Ok({"get", "cm/dep0", "-o", "jsonpath={.metadata.deletionTimestamp}"}).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(Ok({"get", "cm/owner", "-o", "jsonpath={.metadata.finalizers}"}),
            "[\"foregroundDeletion\"]");
  EXPECT_FALSE(Ok({"get", "cm/owner", "-o", "jsonpath={.metadata.deletionTimestamp}"}).empty());
  // Release the last dependent: then the owner goes.
  EXPECT_EQ(
      Ok({"patch", "cm", "dep0", "--type=merge", "-p", R"({"metadata":{"finalizers":null}})"}),
      "configmap/dep0 patched\n");
  // (kubectl prints nothing when the object is already gone.)
  auto w = Run({"wait", "--for=delete", "cm/owner", "--timeout=20s"});
  EXPECT_EQ(w.exit_code, 0) << Describe(w);
  EXPECT_EQ(Code(cms_ + "/owner"), 404);
  ASSERT_TRUE(Eventually([&] {
    watch->Drain(50);
    return Deleted(watch->out()).size() == 4;
  })) << watch->out();
  auto order = Deleted(watch->out());
  EXPECT_EQ(order.back(), "owner") << watch->out();
  EXPECT_EQ(order[2], "dep0") << watch->out();
}

TEST_F(KubectlGcTest, CascadeForegroundWaitsByDefault) {
  CreateFamily(5);
  // kubectl waits until the owner is gone, which is after its dependents.
  EXPECT_EQ(Ok({"delete", "cm", "owner", "--cascade=foreground"}), "configmap \"owner\" deleted\n");
  EXPECT_EQ(Code(cms_ + "/owner"), 404);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(Code(cms_ + "/dep" + std::to_string(i)), 404) << i;
}

TEST_F(KubectlGcTest, CascadeBackgroundDeletesOwnerThenDependents) {
  CreateFamily(4);
  auto watch = Spawn({"get", "configmaps", "--watch", "--output-watch-events"});
  ASSERT_TRUE(watch->WaitForOutput("dep3", 15000)) << watch->out() << watch->err();
  EXPECT_EQ(Ok({"delete", "cm", "owner", "--cascade=background"}), "configmap \"owner\" deleted\n");
  EXPECT_EQ(Code(cms_ + "/owner"), 404);
  ASSERT_TRUE(Eventually([&] {
    watch->Drain(50);
    return Deleted(watch->out()).size() == 5;
  })) << watch->out();
  EXPECT_EQ(Deleted(watch->out()).front(), "owner") << watch->out();
  // kubectl's default is background too.
  CreateFamily(1);
  EXPECT_EQ(Ok({"delete", "cm", "owner"}), "configmap \"owner\" deleted\n");
  EXPECT_TRUE(Eventually([&] { return Code(cms_ + "/dep0") == 404; }));
}

TEST_F(KubectlGcTest, DeploymentOwningPodsForeground) {
  // kcx serves no ReplicaSets; a Deployment owning Pods directly has the same ownerReference
  // shape (controller, blockOwnerDeletion) as the ReplicaSet→Pod link on a real cluster.
  Ok({"apply", "-f", "-"}, R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: "nginx:1.27"}]
)");
  std::string uid = Uid("deploy/web");
  for (const char* pod : {"web-a", "web-b"}) {
    Ok({"create", "-f", "-"}, std::string(R"(apiVersion: v1
kind: Pod
metadata:
  name: )") + pod + R"(
  labels: {app: web}
  ownerReferences:
  - apiVersion: apps/v1
    kind: Deployment
    name: web
    uid: )" + uid + R"(
    controller: true
    blockOwnerDeletion: true
spec:
  containers: [{name: nginx, image: "nginx:1.27"}]
)");
  }
  EXPECT_EQ(Ok({"delete", "deployment", "web", "--cascade=foreground"}),
            "deployment.apps \"web\" deleted\n");
  EXPECT_EQ(Code("/api/v1/namespaces/default/pods/web-a"), 404);
  EXPECT_EQ(Code("/api/v1/namespaces/default/pods/web-b"), 404);
  EXPECT_EQ(Code("/apis/apps/v1/namespaces/default/deployments/web"), 404);
}

TEST_F(KubectlGcTest, FinalizersHoldDeletion) {
  Ok({"apply", "-f", "-"}, R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: held
  finalizers: ["example.com/hold"]
data: {k: v}
)");
  EXPECT_EQ(Ok({"delete", "cm", "held", "--wait=false"}), "configmap \"held\" deleted\n");
  EXPECT_FALSE(Ok({"get", "cm/held", "-o", "jsonpath={.metadata.deletionTimestamp}"}).empty());
  // No new finalizer while deleting.
  auto add = Run({"patch", "cm", "held", "--type=json", "-p",
                  R"([{"op":"add","path":"/metadata/finalizers/-","value":"example.com/more"}])"});
  EXPECT_EQ(add.exit_code, 1) << Describe(add);
  EXPECT_NE(add.err.find("Forbidden: no new finalizers can be added if the object is being "
                         "deleted, found new finalizers []string{\"example.com/more\"}"),
            std::string::npos)
      << add.err;
  // Metadata still changes.
  EXPECT_EQ(Ok({"label", "cm", "held", "stage=leaving"}), "configmap/held labeled\n");
  EXPECT_EQ(Ok({"annotate", "cm", "held", "note=bye"}), "configmap/held annotated\n");
  // Removing the finalizer completes the deletion.
  EXPECT_EQ(
      Ok({"patch", "cm", "held", "--type=merge", "-p", R"({"metadata":{"finalizers":null}})"}),
      "configmap/held patched\n");
  EXPECT_EQ(Code(cms_ + "/held"), 404);
}

TEST_F(KubectlGcTest, InvalidOwnerReferenceIsRejected) {
  auto r = Run({"apply", "-f", "-"}, R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: bad
  ownerReferences:
  - apiVersion: v1
    kind: ConfigMap
    name: owner
data: {k: v}
)");
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_NE(r.err.find("metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace kcx::testenv
