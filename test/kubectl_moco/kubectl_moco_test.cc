// kubectl-moco driven the way users run it: `kubectl moco ...`, found by kubectl's plugin
// discovery on PATH (build/bin first), against a real in-process kcx apiserver.
//
// kubectl refuses flags before a plugin's name (`kubectl --kubeconfig x moco` fails), so these
// tests do not use TestApiServer::Kubectl() (which puts --kubeconfig first): they run kubectl
// with KUBECONFIG in the environment, or pass --kubeconfig after the plugin's arguments.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/json.h"
#include "common/strings.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

// A stand-in for the MySQLCluster CRD: served, with the status subresource, schema-less. The
// real CRD (with MOCO's schema and defaults) lives in
// deploy/crds/moco.cybozu.com_mysqlclusters.yaml; the plugin needs nothing of it beyond
// spec.replicas, spec.offline, status.currentPrimaryIndex and the annotations.
const char* kMySQLClusterCrd = R"({
  "apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
  "metadata":{"name":"mysqlclusters.moco.cybozu.com"},
  "spec":{"group":"moco.cybozu.com","scope":"Namespaced",
    "names":{"plural":"mysqlclusters","singular":"mysqlcluster","kind":"MySQLCluster",
             "listKind":"MySQLClusterList"},
    "versions":[{"name":"v1beta2","served":true,"storage":true,
      "subresources":{"status":{}},
      "schema":{"openAPIV3Schema":{"type":"object","properties":{
        "spec":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
        "status":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}]}})";

const std::string kClusters = "/apis/moco.cybozu.com/v1beta2/namespaces/";

std::string Str(const json::value& v, std::initializer_list<std::string_view> path) {
  return std::string(api::GetStringPath(v, path));
}

class KubectlMocoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    srv_ = TestApiServer::Start().release();
    home_ = new TempDir("kcx-kubectl-moco-home");
    auto r = srv_->Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                        kMySQLClusterCrd);
    ASSERT_EQ(r.code, 201) << r.body;
    // The CRD is served asynchronously; poll (generously: CI runs under ASan on 2 cores).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (srv_->Call("GET", kClusters + "default/mysqlclusters").code != 200) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "mysqlclusters never served";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  static void TearDownTestSuite() {
    delete srv_;
    srv_ = nullptr;
    delete home_;
    home_ = nullptr;
  }

  // The environment kubectl (and through it the plugin) runs in: build/bin first on PATH.
  static std::map<std::string, std::string> Env(bool with_kubeconfig = true) {
    const char* path = std::getenv("PATH");
    std::map<std::string, std::string> env = {
        {"PATH", std::string(KUBECTL_MOCO_DIR) + ":" + (path ? path : "/usr/bin:/bin")},
        {"HOME", home_->path()}};
    env["KUBECONFIG"] = with_kubeconfig ? srv_->kubeconfig() : "/nonexistent/kubeconfig";
    return env;
  }

  // `kubectl moco <args...>`.
  static CommandResult Moco(const std::vector<std::string>& args,
                            std::map<std::string, std::string> env = Env()) {
    std::vector<std::string> argv = {"kubectl", "moco"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, env);
  }

  static void CreateNamespace(const std::string& ns) {
    auto r = srv_->Call(
        "POST", "/api/v1/namespaces",
        json::value{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
    ASSERT_TRUE(r.code == 201 || r.code == 409) << r.body;
  }

  // A MySQLCluster with spec.replicas, spec.offline and status.currentPrimaryIndex.
  static void CreateCluster(const std::string& ns, const std::string& name, int replicas,
                            int primary, bool offline = false) {
    json::value obj = {{"apiVersion", "moco.cybozu.com/v1beta2"},
                       {"kind", "MySQLCluster"},
                       {"metadata", {{"name", name}, {"namespace", ns}}},
                       {"spec", {{"replicas", replicas}, {"offline", offline}}}};
    auto r = srv_->Call("POST", kClusters + ns + "/mysqlclusters", obj);
    ASSERT_EQ(r.code, 201) << r.body;
    // status is the status subresource's.
    r = srv_->Call("PATCH", kClusters + ns + "/mysqlclusters/" + name + "/status",
                   json::value{{"status", {{"currentPrimaryIndex", primary}}}},
                   "application/merge-patch+json");
    ASSERT_EQ(r.code, 200) << r.body;
  }

  // No kubelet here: the Pods are plain objects.
  static void CreatePod(const std::string& ns, const std::string& name) {
    json::value pod = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", name}, {"namespace", ns}}},
        {"spec", {{"containers", json::array{{{"name", "mysqld"}, {"image", "mysql:8.4"}}}}}}};
    auto r = srv_->Call("POST", "/api/v1/namespaces/" + ns + "/pods", pod);
    ASSERT_EQ(r.code, 201) << r.body;
  }

  // MOCO's user Secret moco-<cluster>: passwords under *_PASSWORD, secret-version "1".
  static void CreateUserSecret(const std::string& ns, const std::string& cluster,
                               bool versioned = true) {
    json::object ann;
    if (versioned)
      ann["moco.cybozu.com/secret-version"] = "1";
    json::value secret = {
        {"apiVersion", "v1"},
        {"kind", "Secret"},
        {"metadata", {{"name", "moco-" + cluster}, {"namespace", ns}, {"annotations", ann}}},
        {"data",
         {{"READONLY_PASSWORD", Base64Encode("ro-" + cluster)},
          {"WRITABLE_PASSWORD", Base64Encode("rw-" + cluster)},
          {"ADMIN_PASSWORD", Base64Encode("admin-" + cluster)}}}};
    auto r = srv_->Call("POST", "/api/v1/namespaces/" + ns + "/secrets", secret);
    ASSERT_EQ(r.code, 201) << r.body;
  }

  static json::value Get(const std::string& target) {
    auto r = srv_->Call("GET", target);
    EXPECT_EQ(r.code, 200) << target << ": " << r.body;
    return r.json;
  }
  static json::value GetCluster(const std::string& ns, const std::string& name) {
    return Get(kClusters + ns + "/mysqlclusters/" + name);
  }
  static json::value GetPod(const std::string& ns, const std::string& name) {
    return Get("/api/v1/namespaces/" + ns + "/pods/" + name);
  }
  static bool HasAnnotation(const json::value& obj, std::string_view key) {
    const json::value* ann = api::FindPath(obj, {"metadata", "annotations"});
    return ann && ann->is_object() && ann->as_object().contains(key);
  }

  static TestApiServer* srv_;
  static TempDir* home_;
};

TestApiServer* KubectlMocoTest::srv_ = nullptr;
TempDir* KubectlMocoTest::home_ = nullptr;

TEST_F(KubectlMocoTest, CredentialPrintsEachUsersPasswordInBothFormats) {
  CreateUserSecret("default", "cred");
  auto r = Moco({"credential", "cred"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ro-cred\n");

  r = Moco({"credential", "-u", "moco-writable", "cred"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "rw-cred\n");

  r = Moco({"credential", "--mysql-user", "moco-admin", "--format", "mycnf", "cred"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[client]\nuser=moco-admin\npassword=\"admin-cred\"\n");
}

TEST_F(KubectlMocoTest, CredentialHonoursNamespaceAndKubeconfigFlags) {
  CreateNamespace("team-a");
  CreateUserSecret("team-a", "ns1");
  // KUBECONFIG points nowhere: --kubeconfig (after the plugin's arguments) must be used.
  auto r = Moco({"credential", "-n", "team-a", "ns1", "--kubeconfig", srv_->kubeconfig()},
                Env(/*with_kubeconfig=*/false));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ro-ns1\n");

  r = Moco({"--namespace=team-a", "credential", "ns1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ro-ns1\n");

  // In the context's namespace (default) there is no such Secret.
  r = Moco({"credential", "ns1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Secret \"default/moco-ns1\" not found"));

  // An unknown context is an error before any request.
  r = Moco({"credential", "--context", "no-such-context", "ns1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no-such-context"));
}

TEST_F(KubectlMocoTest, CredentialErrors) {
  CreateUserSecret("default", "unversioned", /*versioned=*/false);
  auto r = Moco({"credential", "unversioned"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("moco.cybozu.com/secret-version"));
  EXPECT_EQ(r.out, "");

  r = Moco({"credential", "-u", "root", "unversioned"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("root"));

  r = Moco({"credential", "--format", "json", "unversioned"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("json"));

  r = Moco({"credential"});  // the cluster name is required
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("CLUSTER"));
}

TEST_F(KubectlMocoTest, SwitchoverAnnotatesThePrimaryPodOnly) {
  CreateCluster("default", "sw", 3, 1);
  for (int i = 0; i < 3; ++i)
    CreatePod("default", "moco-sw-" + std::to_string(i));
  auto r = Moco({"switchover", "sw"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("moco-sw-1"));
  EXPECT_EQ(
      Str(GetPod("default", "moco-sw-1"), {"metadata", "annotations", "moco.cybozu.com/demote"}),
      "true");
  EXPECT_FALSE(HasAnnotation(GetPod("default", "moco-sw-0"), "moco.cybozu.com/demote"));
  EXPECT_FALSE(HasAnnotation(GetPod("default", "moco-sw-2"), "moco.cybozu.com/demote"));
}

TEST_F(KubectlMocoTest, SwitchoverRefusesSingleInstanceOfflineAndMissingClusters) {
  CreateCluster("default", "single", 1, 0);
  CreatePod("default", "moco-single-0");
  auto r = Moco({"switchover", "single"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("single-instance"));
  EXPECT_FALSE(HasAnnotation(GetPod("default", "moco-single-0"), "moco.cybozu.com/demote"));

  CreateCluster("default", "off", 3, 0, /*offline=*/true);
  CreatePod("default", "moco-off-0");
  r = Moco({"switchover", "off"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("offline"));
  EXPECT_FALSE(HasAnnotation(GetPod("default", "moco-off-0"), "moco.cybozu.com/demote"));

  r = Moco({"switchover", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("MySQLCluster \"default/nope\" not found"));

  CreateCluster("default", "nopod", 3, 2);  // the primary Pod does not exist
  r = Moco({"switchover", "nopod"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("moco-nopod-2"));
}

TEST_F(KubectlMocoTest, StopAndStartSetAndRemoveTheAnnotations) {
  CreateCluster("default", "ss", 3, 0);
  const std::string kClustering = "moco.cybozu.com/clustering-stopped";
  const std::string kReconciliation = "moco.cybozu.com/reconciliation-stopped";

  auto r = Moco({"stop", "clustering", "ss"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("stopped clustering"));
  EXPECT_EQ(Str(GetCluster("default", "ss"), {"metadata", "annotations", kClustering}), "true");
  EXPECT_FALSE(HasAnnotation(GetCluster("default", "ss"), kReconciliation));

  r = Moco({"stop", "clustering", "ss"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("already stopped"));

  r = Moco({"stop", "reconciliation", "ss"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Str(GetCluster("default", "ss"), {"metadata", "annotations", kReconciliation}), "true");

  r = Moco({"start", "clustering", "ss"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("started clustering"));
  EXPECT_FALSE(HasAnnotation(GetCluster("default", "ss"), kClustering));
  EXPECT_TRUE(HasAnnotation(GetCluster("default", "ss"), kReconciliation));

  r = Moco({"start", "clustering", "ss"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("already running"));

  r = Moco({"start", "reconciliation", "ss"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(HasAnnotation(GetCluster("default", "ss"), kReconciliation));

  r = Moco({"stop", "clustering", "missing"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("MySQLCluster \"default/missing\" not found"));

  r = Moco({"stop", "backups", "ss"});  // not a stop target
  EXPECT_EQ(r.exit_code, 1);
  r = Moco({"stop"});
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(KubectlMocoTest, MysqlRunsKubectlExecOnThePrimaryOrTheIndexedPod) {
  // The primary is instance 2, whose Pod does not exist: kubectl exec (run by the plugin)
  // reports that very Pod, which shows the plugin picked status.currentPrimaryIndex.
  CreateCluster("default", "my", 3, 2);
  for (int i = 0; i < 2; ++i)
    CreatePod("default", "moco-my-" + std::to_string(i));
  auto r = Moco({"mysql", "my", "--", "-e", "SELECT 1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("pods \"moco-my-2\" not found"));

  // --index 1 exists; the kcx apiserver has no exec endpoint, so kubectl exec fails there,
  // and its error reaches the user. The full command line is unit-tested
  // (BuildMysqlExecArgvTest).
  r = Moco({"mysql", "--index", "1", "-u", "moco-admin", "my", "--", "-e", "SELECT 1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("could not find the requested resource"));
  EXPECT_THAT(r.err, Not(HasSubstr("moco-my-2")));

  // -i -t reach kubectl exec: with no terminal on stdin, kubectl says so before it fails.
  r = Moco({"mysql", "-it", "--index", "0", "my"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Unable to use a TTY"));

  r = Moco({"mysql", "--index", "3", "my"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("smaller than spec.replicas (3)"));

  r = Moco({"mysql", "-u", "root", "my"});
  EXPECT_EQ(r.exit_code, 1);

  r = Moco({"mysql", "absent"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("MySQLCluster \"default/absent\" not found"));
}

TEST_F(KubectlMocoTest, HelpForEveryCommand) {
  const std::vector<std::vector<std::string>> commands = {{},
                                                          {"mysql"},
                                                          {"credential"},
                                                          {"switchover"},
                                                          {"stop"},
                                                          {"stop", "clustering"},
                                                          {"stop", "reconciliation"},
                                                          {"start"},
                                                          {"start", "clustering"},
                                                          {"start", "reconciliation"}};
  for (const auto& c : commands) {
    std::vector<std::string> args = c;
    args.push_back("--help");
    auto r = Moco(args);
    std::string name = "kubectl-moco";
    for (const auto& part : c)
      name += " " + part;
    SCOPED_TRACE(name);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Usage: " + name));
  }
  auto r = Moco({"--help"});
  for (const char* sub : {"mysql", "credential", "switchover", "stop", "start"}) {
    EXPECT_THAT(r.out, HasSubstr(sub));
  }
  r = Moco({"no-such-command"});
  EXPECT_EQ(r.exit_code, 1);
}

}  // namespace
}  // namespace kcx::testenv
