// The manifests under deploy/ for a real cluster: every YAML document parses and names itself;
// the ClusterRole grants exactly what the operator needs; the Deployment runs `kcx operator`
// as documented; kustomize builds rbac/ and operator/; and the kcx apiserver accepts the
// manifests with `kubectl apply --dry-run=server`.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kDeploy = fs::path(KCX_SOURCE_DIR) / "deploy";

std::vector<fs::path> YamlFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool IsKustomization(const fs::path& p) { return p.filename() == "kustomization.yaml"; }

// The object manifests of rbac/ and operator/ (what `kubectl apply -f` takes).
std::vector<fs::path> OurManifests() {
  std::vector<fs::path> out;
  for (const char* dir : {"rbac", "operator"}) {
    for (const auto& p : YamlFiles(kDeploy / dir)) {
      if (!IsKustomization(p))
        out.push_back(p);
    }
  }
  return out;
}

YAML::Node Find(const std::string& file, const std::string& kind, const std::string& name) {
  for (const auto& doc : YAML::LoadAllFromFile((kDeploy / file).string())) {
    if (doc["kind"].as<std::string>("") == kind &&
        doc["metadata"]["name"].as<std::string>("") == name)
      return doc;
  }
  ADD_FAILURE() << kind << " " << name << " not in " << file;
  return YAML::Node();
}

std::vector<std::string> Strings(const YAML::Node& n) {
  std::vector<std::string> out;
  for (const auto& s : n)
    out.push_back(s.as<std::string>());
  return out;
}

TEST(DeployManifestsTest, EveryYamlDocumentParsesAndNamesItself) {
  auto files = YamlFiles(kDeploy);
  // At least ours: 6 in rbac/ (with the kustomization), 4 in operator/, the top kustomization.
  EXPECT_GE(files.size(), 11u);
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAllFromFile(f.string());
    } catch (const YAML::Exception& e) {
      ADD_FAILURE() << "does not parse: " << e.what();
      continue;
    }
    int objects = 0;
    for (const auto& d : docs) {
      if (d.IsNull())
        continue;  // an empty document (a trailing ---)
      ++objects;
      ASSERT_TRUE(d.IsMap());
      EXPECT_FALSE(d["apiVersion"].as<std::string>("").empty());
      EXPECT_FALSE(d["kind"].as<std::string>("").empty());
      if (!IsKustomization(f)) {
        EXPECT_FALSE(d["metadata"]["name"].as<std::string>("").empty());
      } else {
        EXPECT_EQ(d["kind"].as<std::string>(""), "Kustomization");
      }
    }
    EXPECT_GE(objects, 1);
  }
}

// Least privilege: the ClusterRole's rules, exactly.
TEST(DeployManifestsTest, ClusterRoleGrantsExactlyWhatTheOperatorNeeds) {
  using Key = std::pair<std::string, std::string>;  // (apiGroup, resource)
  const std::vector<std::string> all = {"get",    "list",  "watch", "create",
                                        "update", "patch", "delete"};
  const std::map<Key, std::set<std::string>> want = {
      {{"moco.cybozu.com", "mysqlclusters"}, {"get", "list", "watch", "update", "patch"}},
      {{"moco.cybozu.com", "mysqlclusters/status"}, {"get", "update", "patch"}},
      {{"moco.cybozu.com", "mysqlclusters/finalizers"}, {"update"}},
      {{"moco.cybozu.com", "backuppolicies"}, {"get", "list", "watch"}},
      {{"", "secrets"}, {all.begin(), all.end()}},
      {{"", "configmaps"}, {all.begin(), all.end()}},
      {{"", "services"}, {all.begin(), all.end()}},
      {{"", "serviceaccounts"}, {all.begin(), all.end()}},
      {{"apps", "statefulsets"}, {all.begin(), all.end()}},
      {{"policy", "poddisruptionbudgets"}, {all.begin(), all.end()}},
      {{"", "persistentvolumeclaims"}, {"get", "list", "watch", "update", "patch"}},
      {{"", "pods"}, {"get", "list", "watch", "patch"}},
      {{"storage.k8s.io", "storageclasses"}, {"get", "list", "watch"}},
      {{"", "events"}, {"create", "patch"}},
      {{"events.k8s.io", "events"}, {"create", "patch"}},
      {{"apiextensions.k8s.io", "customresourcedefinitions"},
       {"get", "list", "watch", "create", "patch"}},
  };
  std::map<Key, std::set<std::string>> got;
  YAML::Node role = Find("rbac/role.yaml", "ClusterRole", "moco-manager-role");
  for (const auto& rule : role["rules"]) {
    EXPECT_FALSE(rule["resourceNames"]) << "unexpected resourceNames";
    for (const auto& g : Strings(rule["apiGroups"])) {
      for (const auto& r : Strings(rule["resources"])) {
        for (const auto& v : Strings(rule["verbs"])) {
          EXPECT_NE(v, "*");
          got[{g, r}].insert(v);
        }
      }
    }
  }
  EXPECT_EQ(got, want);

  YAML::Node lease = Find("rbac/leader_election_role.yaml", "Role", "moco-leader-election-role");
  EXPECT_EQ(lease["metadata"]["namespace"].as<std::string>(""), "moco-system");
  ASSERT_EQ(lease["rules"].size(), 1u);
  EXPECT_EQ(Strings(lease["rules"][0]["resources"]), std::vector<std::string>{"leases"});
  EXPECT_EQ(Strings(lease["rules"][0]["verbs"]),
            (std::vector<std::string>{"get", "create", "update"}));

  // Both bound to the operator's ServiceAccount.
  for (auto [file, kind, name] :
       {std::tuple{"rbac/role_binding.yaml", "ClusterRoleBinding", "moco-manager-rolebinding"},
        std::tuple{"rbac/leader_election_role_binding.yaml", "RoleBinding",
                   "moco-leader-election-rolebinding"}}) {
    YAML::Node b = Find(file, kind, name);
    ASSERT_EQ(b["subjects"].size(), 1u) << name;
    EXPECT_EQ(b["subjects"][0]["name"].as<std::string>(""), "moco-controller-manager");
    EXPECT_EQ(b["subjects"][0]["namespace"].as<std::string>(""), "moco-system");
  }
}

TEST(DeployManifestsTest, DeploymentRunsTheOperatorAsDocumented) {
  YAML::Node d = Find("operator/deployment.yaml", "Deployment", "moco-controller");
  EXPECT_EQ(d["metadata"]["namespace"].as<std::string>(""), "moco-system");
  EXPECT_EQ(d["spec"]["replicas"].as<int>(0), 2);
  YAML::Node pod = d["spec"]["template"]["spec"];
  EXPECT_EQ(pod["serviceAccountName"].as<std::string>(""), "moco-controller-manager");
  EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>(false));
  ASSERT_EQ(pod["containers"].size(), 1u);
  YAML::Node c = pod["containers"][0];
  EXPECT_EQ(c["image"].as<std::string>(""), "ghcr.io/kcx-dev/kcx:0.1.0");
  EXPECT_EQ(Strings(c["command"]), (std::vector<std::string>{"kcx", "operator"}));
  EXPECT_EQ(Strings(c["args"]),
            (std::vector<std::string>{"--namespace=moco-system", "--leader-elect",
                                      "--metrics-bind-address=:8080",
                                      "--health-probe-bind-address=:8081", "--webhook-port=9443",
                                      "--webhook-cert-dir=/certs", "--install-crds=false"}));
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"].as<std::string>(""), "/healthz");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"].as<std::string>(""), "/readyz");
  EXPECT_TRUE(c["securityContext"]["readOnlyRootFilesystem"].as<bool>(false));
  EXPECT_FALSE(c["securityContext"]["allowPrivilegeEscalation"].as<bool>(true));
  bool certs = false;
  for (const auto& m : c["volumeMounts"])
    certs |= m["mountPath"].as<std::string>("") == "/certs";
  EXPECT_TRUE(certs);

  YAML::Node svc = Find("operator/service.yaml", "Service", "moco-webhook-service");
  ASSERT_EQ(svc["spec"]["ports"].size(), 1u);
  EXPECT_EQ(svc["spec"]["ports"][0]["port"].as<int>(0), 443);
  EXPECT_EQ(svc["spec"]["ports"][0]["targetPort"].as<std::string>(""), "webhook-server");
}

// kubectl's own kustomize builds the parts this repository's manifests are split into; the
// whole deploy/ only once deploy/crds and deploy/webhook exist.
TEST(DeployManifestsTest, KustomizeBuildsEveryPart) {
  for (const char* dir : {"rbac", "operator"}) {
    auto r = RunCommand({"kubectl", "kustomize", (kDeploy / dir).string()});
    EXPECT_EQ(r.exit_code, 0) << dir << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr("kind: "));
  }
  if (!fs::exists(kDeploy / "crds") || !fs::exists(kDeploy / "webhook")) {
    GTEST_SKIP() << "deploy/crds or deploy/webhook is not there yet; deploy/kustomization.yaml "
                    "needs both";
  }
  auto r = RunCommand({"kubectl", "kustomize", kDeploy.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("kind: Deployment"));
  EXPECT_THAT(r.out, HasSubstr("kind: CustomResourceDefinition"));
}

// The kcx apiserver does not serve rbac.authorization.k8s.io (it has no authorizer). To have
// kubectl and the server check the RBAC manifests anyway, the test serves stand-in CRDs for
// the four kinds whose schemas require what the real types require.
std::string RbacCrd(const std::string& kind, const std::string& plural, bool namespaced,
                    bool binding) {
  const std::string rules =
      R"("rules":{"type":"array","items":{"type":"object","required":["verbs"],"properties":{
           "apiGroups":{"type":"array","items":{"type":"string"}},
           "resources":{"type":"array","items":{"type":"string"}},
           "resourceNames":{"type":"array","items":{"type":"string"}},
           "nonResourceURLs":{"type":"array","items":{"type":"string"}},
           "verbs":{"type":"array","items":{"type":"string"}}}}})";
  const std::string bindings =
      R"("roleRef":{"type":"object","required":["apiGroup","kind","name"],"properties":{
           "apiGroup":{"type":"string"},"kind":{"type":"string","enum":["Role","ClusterRole"]},
           "name":{"type":"string"}}},
         "subjects":{"type":"array","items":{"type":"object","required":["kind","name"],
           "properties":{"kind":{"type":"string"},"name":{"type":"string"},
                         "namespace":{"type":"string"},"apiGroup":{"type":"string"}}}})";
  return R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":")" +
         plural + R"(.rbac.authorization.k8s.io",
      "annotations":{"api-approved.kubernetes.io":"stand-in for a test"}},
    "spec":{"group":"rbac.authorization.k8s.io","scope":")" +
         (namespaced ? "Namespaced" : "Cluster") + R"(",
      "names":{"plural":")" +
         plural + R"(","kind":")" + kind + R"("},
      "versions":[{"name":"v1","served":true,"storage":true,
        "schema":{"openAPIV3Schema":{"type":"object",)" +
         (binding ? R"("required":["roleRef"],)" : "") + R"("properties":{)" +
         (binding ? bindings : rules) + "}}}}]}}";
}

TEST(DeployManifestsTest, ServerDryRunAcceptsTheManifests) {
  auto srv = TestApiServer::Start();
  for (auto [kind, plural, ns, binding] :
       {std::tuple{"ClusterRole", "clusterroles", false, false},
        std::tuple{"Role", "roles", true, false},
        std::tuple{"ClusterRoleBinding", "clusterrolebindings", false, true},
        std::tuple{"RoleBinding", "rolebindings", true, true}}) {
    auto r = srv->Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                       RbacCrd(kind, plural, ns, binding));
    ASSERT_EQ(r.code, 201) << kind << ": " << r.body;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (srv->Call("GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings").code != 200 ||
         srv->Call("GET", "/apis/rbac.authorization.k8s.io/v1/roles").code != 200) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "RBAC stand-ins never served";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Namespaced objects need their namespace to exist for the dry run.
  // (Over REST: `kubectl create namespace` sends protobuf, which the kcx apiserver rejects.)
  auto created = srv->Call("POST", "/api/v1/namespaces",
                           R"({"apiVersion":"v1","kind":"Namespace",
                               "metadata":{"name":"moco-system"}})");
  ASSERT_EQ(created.code, 201) << created.body;

  std::vector<std::string> args = {"apply", "--dry-run=server"};
  auto files = OurManifests();
  ASSERT_EQ(files.size(), 8u);
  for (const auto& f : files) {
    args.push_back("-f");
    args.push_back(f.string());
  }
  // kubectl's discovery may not list the new group right away; retry until the deadline.
  CommandResult r;
  do {
    r = srv->Kubectl(args);
    if (r.exit_code == 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* obj : {"serviceaccount/moco-controller-manager",
                          "clusterrole.rbac.authorization.k8s.io/moco-manager-role",
                          "clusterrolebinding.rbac.authorization.k8s.io/moco-manager-rolebinding",
                          "role.rbac.authorization.k8s.io/moco-leader-election-role",
                          "rolebinding.rbac.authorization.k8s.io/moco-leader-election-rolebinding",
                          "deployment.apps/moco-controller", "service/moco-webhook-service",
                          "service/moco-controller-metrics"}) {
    EXPECT_THAT(r.out, HasSubstr(obj));
  }
  EXPECT_THAT(r.out, HasSubstr("(server dry run)"));
  // A dry run persists nothing.
  EXPECT_EQ(
      srv->Call("GET", "/apis/apps/v1/namespaces/moco-system/deployments/moco-controller").code,
      404);

  // The CRDs (written separately, in deploy/crds) with server-side apply: the MySQLCluster CRD
  // is too large for client-side apply's last-applied annotation.
  if (fs::exists(kDeploy / "crds")) {
    auto crds = srv->Kubectl(
        {"apply", "--server-side", "--dry-run=server", "-f", (kDeploy / "crds").string()});
    EXPECT_EQ(crds.exit_code, 0) << crds.out << crds.err;
    EXPECT_THAT(crds.out, HasSubstr("mysqlclusters.moco.cybozu.com serverside-applied"));
  }

  // And the server does check: a Deployment whose selector misses its template's labels fails.
  auto bad = srv->Kubectl({"apply", "--dry-run=server", "-f", "-"}, R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: broken, namespace: moco-system}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {c: d}}
    spec: {containers: [{name: x, image: x}]}
)");
  EXPECT_NE(bad.exit_code, 0) << bad.out;
}

}  // namespace
}  // namespace kcx::testenv
