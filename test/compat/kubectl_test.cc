// Compatibility tests with the real kubectl (v1.32, on the machine) against kcx apiserver
// started in-process. Each case asserts on kubectl's exit code and on what it prints, as a
// user would see it against a real cluster.
//
// `create -f` runs with kubectl's default --validate=strict: kubectl reads /openapi/v3, sees
// that the server accepts the fieldValidation parameter, and leaves validation to the server
// (OpenApiLetsKubectlValidateOnTheServer checks that path explicitly).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "api/json.h"
#include "test/compat/process.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

constexpr char kManifests[] = R"(apiVersion: v1
kind: Namespace
metadata:
  name: compat
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: compat
  labels:
    app: web
data:
  mode: fast
  level: "3"
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: compat
type: Opaque
data:
  user: YWRtaW4=
stringData:
  password: s3cret
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: compat
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: compat
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 80
)";

constexpr char kPod[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: p1
  namespace: compat
spec:
  containers:
  - name: main
    image: busybox:1.36
    command: ["sleep", "3600"]
)";

std::string ConfigMapYaml(const std::string& name, const std::string& ns = "default") {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
         "\ndata:\n  k: v1\n";
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string::npos)
      nl = s.size();
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// Splits a kubectl table line into cells. kubectl's tabwriter pads columns with at least three
// spaces, while single spaces occur inside headers ("NOMINATED NODE").
std::vector<std::string> Cells(const std::string& line) {
  static const std::regex kSep(" {2,}");
  std::vector<std::string> out;
  std::string trimmed = line;
  while (!trimmed.empty() && trimmed.back() == ' ')
    trimmed.pop_back();
  for (std::sregex_token_iterator it(trimmed.begin(), trimmed.end(), kSep, -1), end; it != end;
       ++it) {
    out.push_back(*it);
  }
  return out;
}

// Parses a table by the header's column offsets, so that empty cells (api-resources'
// SHORTNAMES) stay in their column. Returns one map per row, keyed by header.
std::vector<std::map<std::string, std::string>> ParseTable(const std::string& out) {
  auto lines = Lines(out);
  std::vector<std::map<std::string, std::string>> rows;
  if (lines.empty())
    return rows;
  const std::string& header = lines[0];
  std::vector<std::pair<std::string, size_t>> cols;
  for (const auto& name : Cells(header)) {
    size_t at = header.find(name, cols.empty() ? 0 : cols.back().second + 1);
    cols.emplace_back(name, at);
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty())
      continue;
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < cols.size(); ++c) {
      size_t from = cols[c].second;
      size_t to = c + 1 < cols.size() ? cols[c + 1].second : std::string::npos;
      std::string cell = from < lines[i].size() ? lines[i].substr(from, to - from) : "";
      while (!cell.empty() && cell.back() == ' ')
        cell.pop_back();
      row[cols[c].first] = cell;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<std::string> HeaderOf(const std::string& out) {
  auto lines = Lines(out);
  return lines.empty() ? std::vector<std::string>{} : Cells(lines[0]);
}

std::string Describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

class KubectlTest : public ::testing::Test {
 protected:
  void SetUp() override { srv_ = TestApiServer::Start(); }

  CommandResult Run(const std::vector<std::string>& args, const std::string& stdin_data = "",
                    const std::map<std::string, std::string>& env = {}) {
    return srv_->Kubectl(args, stdin_data, env, 60);
  }
  // Runs kubectl and asserts success (exit code 0, nothing on stderr).
  std::string Ok(const std::vector<std::string>& args, const std::string& stdin_data = "",
                 const std::map<std::string, std::string>& env = {}) {
    auto r = Run(args, stdin_data, env);
    std::string cmd;
    for (const auto& a : args)
      cmd += a + " ";
    EXPECT_EQ(r.exit_code, 0) << "kubectl " << cmd << "\n" << Describe(r);
    EXPECT_EQ(r.err, "") << "kubectl " << cmd;
    return r.out;
  }
  void CreateManifests() {
    EXPECT_EQ(Ok({"create", "-f", "-"}, kManifests),
              "namespace/compat created\n"
              "configmap/settings created\n"
              "secret/creds created\n"
              "deployment.apps/web created\n"
              "service/web created\n");
  }
  json::value Get(const std::string& path) {
    auto r = srv_->Call("GET", path);
    EXPECT_EQ(r.code, 200) << path << ": " << r.body;
    return r.json;
  }
  // A kubectl child process for commands that keep running (get -w, wait).
  std::unique_ptr<Process> Spawn(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"kubectl", "--kubeconfig", srv_->kubeconfig()};
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Process>(
        argv, std::map<std::string, std::string>{{"HOME", srv_->data_dir()}});
  }

  std::unique_ptr<TestApiServer> srv_;
};

std::string Str(const json::value& v, std::initializer_list<std::string_view> path) {
  return std::string(api::GetStringPath(v, path));
}

TEST_F(KubectlTest, CreateFromStdin) {
  CreateManifests();
  auto cm = Get("/api/v1/namespaces/compat/configmaps/settings");
  EXPECT_EQ(cm.at("data").at("mode"), "fast");
  EXPECT_EQ(cm.at("metadata").at("labels").at("app"), "web");
  // stringData is merged into data, base64-encoded, and not stored itself.
  auto secret = Get("/api/v1/namespaces/compat/secrets/creds");
  EXPECT_EQ(secret.at("data").at("password"), "czNjcmV0");
  EXPECT_EQ(secret.at("data").at("user"), "YWRtaW4=");
  EXPECT_EQ(secret.as_object().count("stringData"), 0u);
  auto deploy = Get("/apis/apps/v1/namespaces/compat/deployments/web");
  EXPECT_EQ(deploy.at("metadata").at("generation"), 1);
  EXPECT_EQ(Str(deploy, {"spec", "strategy", "type"}), "RollingUpdate");
  EXPECT_EQ(deploy.at("spec").at("revisionHistoryLimit"), 10);
  EXPECT_EQ(Str(deploy, {"spec", "template", "spec", "restartPolicy"}), "Always");
  EXPECT_EQ(
      deploy.at("spec").at("template").at("spec").at("containers").at(0).at("imagePullPolicy"),
      "IfNotPresent");
  auto svc = Get("/api/v1/namespaces/compat/services/web");
  EXPECT_EQ(Str(svc, {"spec", "type"}), "ClusterIP");
  EXPECT_EQ(svc.at("spec").at("ports").at(0).at("protocol"), "TCP");

  // Creating the same objects again: kubectl reports each AlreadyExists as a real cluster does.
  auto again = Run({"create", "-f", "-"}, kManifests);
  EXPECT_EQ(again.exit_code, 1) << Describe(again);
  EXPECT_NE(again.err.find("Error from server (AlreadyExists): error when creating \"STDIN\": "
                           "configmaps \"settings\" already exists"),
            std::string::npos)
      << again.err;
  EXPECT_NE(again.err.find("Error from server (AlreadyExists): error when creating \"STDIN\": "
                           "deployments.apps \"web\" already exists"),
            std::string::npos)
      << again.err;
}

TEST_F(KubectlTest, GetJsonYamlAndJsonpath) {
  CreateManifests();
  auto one = json::parse(Ok({"get", "cm", "settings", "-n", "compat", "-o", "json"}));
  EXPECT_EQ(one.at("kind"), "ConfigMap");
  EXPECT_EQ(one.at("apiVersion"), "v1");
  EXPECT_EQ(one.at("data").at("level"), "3");
  EXPECT_FALSE(Str(one, {"metadata", "uid"}).empty());

  auto list = json::parse(Ok({"get", "cm", "-n", "compat", "-o", "json"}));
  EXPECT_EQ(list.at("kind"), "List");
  ASSERT_EQ(list.at("items").as_array().size(), 1u);
  EXPECT_EQ(list.at("items").at(0).at("kind"), "ConfigMap");
  EXPECT_EQ(list.at("items").at(0).at("metadata").at("name"), "settings");

  YAML::Node y = YAML::Load(Ok({"get", "deploy", "web", "-n", "compat", "-o", "yaml"}));
  EXPECT_EQ(y["apiVersion"].as<std::string>(), "apps/v1");
  EXPECT_EQ(y["kind"].as<std::string>(), "Deployment");
  EXPECT_EQ(y["metadata"]["name"].as<std::string>(), "web");
  EXPECT_EQ(y["spec"]["replicas"].as<int>(), 2);
  EXPECT_EQ(y["spec"]["template"]["spec"]["containers"][0]["image"].as<std::string>(),
            "nginx:1.27");

  EXPECT_EQ(Ok({"get", "secret", "creds", "-n", "compat", "-o", "jsonpath={.data.password}"}),
            "czNjcmV0");
  EXPECT_EQ(Ok({"get", "cm", "-n", "compat", "-o", "name"}), "configmap/settings\n");
}

TEST_F(KubectlTest, GetTablesAndWideColumns) {
  CreateManifests();
  Ok({"create", "-f", "-"}, kPod);

  auto pods = Ok({"get", "pods", "-n", "compat"});
  EXPECT_EQ(HeaderOf(pods),
            (std::vector<std::string>{"NAME", "READY", "STATUS", "RESTARTS", "AGE"}));
  auto wide = Ok({"get", "pods", "-n", "compat", "-o", "wide"});
  EXPECT_EQ(HeaderOf(wide),
            (std::vector<std::string>{"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                                      "NOMINATED NODE", "READINESS GATES"}));
  auto rows = ParseTable(wide);
  ASSERT_EQ(rows.size(), 1u) << wide;
  EXPECT_EQ(rows[0]["NAME"], "p1");
  EXPECT_EQ(rows[0]["READY"], "0/1");
  EXPECT_EQ(rows[0]["STATUS"], "Pending");
  EXPECT_EQ(rows[0]["RESTARTS"], "0");
  EXPECT_EQ(rows[0]["IP"], "<none>");
  EXPECT_EQ(rows[0]["NODE"], "<none>");
  EXPECT_EQ(rows[0]["NOMINATED NODE"], "<none>");
  EXPECT_EQ(rows[0]["READINESS GATES"], "<none>");

  auto deploy = Ok({"get", "deploy", "-n", "compat", "-o", "wide"});
  EXPECT_EQ(HeaderOf(deploy),
            (std::vector<std::string>{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE",
                                      "CONTAINERS", "IMAGES", "SELECTOR"}));
  rows = ParseTable(deploy);
  ASSERT_EQ(rows.size(), 1u) << deploy;
  EXPECT_EQ(rows[0]["READY"], "0/2");
  EXPECT_EQ(rows[0]["CONTAINERS"], "nginx");
  EXPECT_EQ(rows[0]["IMAGES"], "nginx:1.27");
  EXPECT_EQ(rows[0]["SELECTOR"], "app=web");

  auto svc = Ok({"get", "svc", "-n", "compat", "-o", "wide"});
  EXPECT_EQ(HeaderOf(svc), (std::vector<std::string>{"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP",
                                                     "PORT(S)", "AGE", "SELECTOR"}));
  rows = ParseTable(svc);
  ASSERT_EQ(rows.size(), 1u) << svc;
  EXPECT_EQ(rows[0]["TYPE"], "ClusterIP");
  EXPECT_EQ(rows[0]["EXTERNAL-IP"], "<none>");
  EXPECT_EQ(rows[0]["PORT(S)"], "80/TCP");
  EXPECT_EQ(rows[0]["SELECTOR"], "app=web");

  auto cms = Ok({"get", "configmaps", "-n", "compat"});
  EXPECT_EQ(HeaderOf(cms), (std::vector<std::string>{"NAME", "DATA", "AGE"}));
  rows = ParseTable(cms);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["DATA"], "2");

  auto secrets = Ok({"get", "secrets", "-n", "compat"});
  EXPECT_EQ(HeaderOf(secrets), (std::vector<std::string>{"NAME", "TYPE", "DATA", "AGE"}));
  rows = ParseTable(secrets);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["TYPE"], "Opaque");
  EXPECT_EQ(rows[0]["DATA"], "2");

  auto ns = Ok({"get", "ns"});
  EXPECT_EQ(HeaderOf(ns), (std::vector<std::string>{"NAME", "STATUS", "AGE"}));
  std::set<std::string> names;
  for (auto& row : ParseTable(ns)) {
    names.insert(row["NAME"]);
    EXPECT_EQ(row["STATUS"], "Active") << row["NAME"];
  }
  for (const char* n : {"default", "kube-system", "kube-public", "compat"}) {
    EXPECT_TRUE(names.count(n)) << n << " missing from\n" << ns;
  }

  // --show-labels and -L are client-side columns over the server's table.
  auto labels = Ok({"get", "cm", "-n", "compat", "--show-labels"});
  EXPECT_EQ(HeaderOf(labels), (std::vector<std::string>{"NAME", "DATA", "AGE", "LABELS"}));
  EXPECT_EQ(ParseTable(labels).at(0)["LABELS"], "app=web");
}

TEST_F(KubectlTest, GetAllNamespaces) {
  CreateManifests();
  Ok({"create", "-f", "-"}, ConfigMapYaml("plain"));
  auto out = Ok({"get", "cm", "-A"});
  EXPECT_EQ(HeaderOf(out), (std::vector<std::string>{"NAMESPACE", "NAME", "DATA", "AGE"}));
  std::set<std::pair<std::string, std::string>> seen;
  for (auto& row : ParseTable(out))
    seen.emplace(row["NAMESPACE"], row["NAME"]);
  EXPECT_TRUE(seen.count({"compat", "settings"})) << out;
  EXPECT_TRUE(seen.count({"default", "plain"})) << out;

  auto deploys = Ok({"get", "deployments", "--all-namespaces", "-o", "wide"});
  EXPECT_EQ(HeaderOf(deploys)[0], "NAMESPACE");
  auto rows = ParseTable(deploys);
  ASSERT_EQ(rows.size(), 1u) << deploys;
  EXPECT_EQ(rows[0]["NAMESPACE"], "compat");
  EXPECT_EQ(rows[0]["NAME"], "web");

  // Label selectors go to the server.
  auto sel = Ok({"get", "cm", "-A", "-l", "app=web", "-o", "name"});
  EXPECT_EQ(sel, "configmap/settings\n");
  auto none = Run({"get", "cm", "-A", "-l", "app=nothing"});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_EQ(none.out, "");
  EXPECT_EQ(none.err, "No resources found\n");
  auto none_ns = Run({"get", "cm", "-n", "compat", "-l", "app=nothing"});
  EXPECT_EQ(none_ns.err, "No resources found in compat namespace.\n");
}

// `kubectl get -w --output-watch-events` prints the initial list as ADDED and then each change.
TEST_F(KubectlTest, GetWatchPrintsEvents) {
  Ok({"create", "-f", "-"}, ConfigMapYaml("w1"));
  auto w = Spawn({"get", "cm", "-n", "default", "-w", "--output-watch-events"});
  // Once the initial list is printed kubectl watches from the list's resourceVersion, so every
  // change made after this point must be reported.
  ASSERT_TRUE(w->WaitForOutput("w1", 20000)) << w->out() << w->err();
  auto p =
      srv_->Call("PATCH", "/api/v1/namespaces/default/configmaps/w1",
                 std::string(R"({"data":{"k":"v1","k2":"v2"}})"), "application/merge-patch+json");
  ASSERT_EQ(p.code, 200) << p.body;
  ASSERT_EQ(srv_->Call("POST", "/api/v1/namespaces/default/configmaps",
                       std::string(R"({"metadata":{"name":"w2"},"data":{"a":"b"}})"))
                .code,
            201);
  ASSERT_EQ(srv_->Call("DELETE", "/api/v1/namespaces/default/configmaps/w2").code, 200);
  std::regex deleted_line("DELETED +w2 +1 +");
  for (int i = 0; i < 100 && !std::regex_search(w->out(), deleted_line); ++i)
    w->Drain(100);
  w->Signal(SIGTERM);
  w->Wait(5000);
  auto lines = Lines(w->out());
  ASSERT_GE(lines.size(), 5u) << w->out() << w->err();
  EXPECT_EQ(Cells(lines[0]), (std::vector<std::string>{"EVENT", "NAME", "DATA", "AGE"}));
  std::vector<std::vector<std::string>> events;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty())
      continue;
    auto c = Cells(lines[i]);
    c.pop_back();  // AGE
    events.push_back(c);
  }
  EXPECT_EQ(events, (std::vector<std::vector<std::string>>{{"ADDED", "w1", "1"},
                                                           {"MODIFIED", "w1", "2"},
                                                           {"ADDED", "w2", "1"},
                                                           {"DELETED", "w2", "1"}}))
      << w->out();
  EXPECT_EQ(w->err(), "");
}

// Plain `kubectl get -w`: the initial table, then one row per change, no repeated header.
TEST_F(KubectlTest, GetWatchPlain) {
  Ok({"create", "-f", "-"}, ConfigMapYaml("w1"));
  auto w = Spawn({"get", "cm", "-w"});
  ASSERT_TRUE(w->WaitForOutput("w1", 20000)) << w->out() << w->err();
  ASSERT_EQ(Run({"label", "cm", "w1", "tier=x"}).exit_code, 0);
  Ok({"create", "-f", "-"}, ConfigMapYaml("w2"));
  std::regex second("\nw2 +1 +");
  for (int i = 0; i < 100 && !std::regex_search(w->out(), second); ++i)
    w->Drain(100);
  w->Signal(SIGTERM);
  w->Wait(5000);
  auto lines = Lines(w->out());
  ASSERT_EQ(lines.size(), 4u) << w->out() << w->err();
  EXPECT_EQ(Cells(lines[0]), (std::vector<std::string>{"NAME", "DATA", "AGE"}));
  EXPECT_EQ(Cells(lines[1])[0], "w1");
  EXPECT_EQ(Cells(lines[2])[0], "w1");  // the label change
  EXPECT_EQ(Cells(lines[3])[0], "w2");
}

TEST_F(KubectlTest, LabelAndAnnotate) {
  CreateManifests();
  EXPECT_EQ(Ok({"label", "cm", "settings", "-n", "compat", "tier=backend"}),
            "configmap/settings labeled\n");
  auto cm = Get("/api/v1/namespaces/compat/configmaps/settings");
  EXPECT_EQ(cm.at("metadata").at("labels").at("tier"), "backend");
  EXPECT_EQ(cm.at("metadata").at("labels").at("app"), "web");

  auto no_overwrite = Run({"label", "cm", "settings", "-n", "compat", "tier=frontend"});
  EXPECT_EQ(no_overwrite.exit_code, 1);
  EXPECT_EQ(no_overwrite.err,
            "error: 'tier' already has a value (backend), and --overwrite is false\n");
  EXPECT_EQ(Ok({"label", "cm", "settings", "-n", "compat", "tier=frontend", "--overwrite"}),
            "configmap/settings labeled\n");
  EXPECT_EQ(Ok({"label", "cm", "settings", "-n", "compat", "app-"}),
            "configmap/settings unlabeled\n");
  cm = Get("/api/v1/namespaces/compat/configmaps/settings");
  EXPECT_EQ(cm.at("metadata").at("labels").as_object().size(), 1u);
  EXPECT_EQ(cm.at("metadata").at("labels").at("tier"), "frontend");

  // Label several objects by selector; label a cluster-scoped object.
  EXPECT_EQ(Ok({"label", "deploy,svc", "-n", "compat", "--all", "team=a"}),
            "deployment.apps/web labeled\nservice/web labeled\n");
  EXPECT_EQ(Ok({"label", "ns", "compat", "env=test"}), "namespace/compat labeled\n");
  EXPECT_EQ(Ok({"get", "ns", "-l", "env=test", "-o", "name"}), "namespace/compat\n");

  // kubectl checks label values itself; the server refuses what gets past it (a patch).
  auto bad = Run({"label", "cm", "settings", "-n", "compat", "bad=-x-"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("invalid label value"), std::string::npos) << bad.err;
  auto bad_patch = Run({"patch", "cm", "settings", "-n", "compat", "--type", "merge", "-p",
                        R"({"metadata":{"labels":{"bad":"-x-"}}})"});
  EXPECT_EQ(bad_patch.exit_code, 1);
  EXPECT_NE(bad_patch.err.find("metadata.labels: Invalid value: \"-x-\""), std::string::npos)
      << bad_patch.err;

  EXPECT_EQ(Ok({"annotate", "cm", "settings", "-n", "compat", "owner=team-a",
                "example.com/note=hello world"}),
            "configmap/settings annotated\n");
  cm = Get("/api/v1/namespaces/compat/configmaps/settings");
  EXPECT_EQ(cm.at("metadata").at("annotations").at("owner"), "team-a");
  EXPECT_EQ(cm.at("metadata").at("annotations").at("example.com/note"), "hello world");
  EXPECT_EQ(Ok({"annotate", "cm", "settings", "-n", "compat", "owner-"}),
            "configmap/settings annotated\n");
  cm = Get("/api/v1/namespaces/compat/configmaps/settings");
  EXPECT_EQ(cm.at("metadata").at("annotations").as_object().count("owner"), 0u);
  EXPECT_EQ(Ok({"get", "cm", "settings", "-n", "compat", "-o",
                "jsonpath={.metadata.annotations.example\\.com/note}"}),
            "hello world");
}

TEST_F(KubectlTest, PatchMergeAndJson) {
  CreateManifests();
  std::string rv0 =
      Str(Get("/api/v1/namespaces/compat/configmaps/settings"), {"metadata", "resourceVersion"});
  EXPECT_EQ(Ok({"patch", "cm", "settings", "-n", "compat", "--type", "merge", "-p",
                R"({"data":{"mode":"slow","extra":"x"}})"}),
            "configmap/settings patched\n");
  auto cm = Get("/api/v1/namespaces/compat/configmaps/settings");
  EXPECT_EQ(cm.at("data").at("mode"), "slow");
  EXPECT_EQ(cm.at("data").at("extra"), "x");
  EXPECT_EQ(cm.at("data").at("level"), "3");
  EXPECT_GT(std::stoull(Str(cm, {"metadata", "resourceVersion"})), std::stoull(rv0));

  // The same patch again changes nothing, and kubectl says so.
  EXPECT_EQ(Ok({"patch", "cm", "settings", "-n", "compat", "--type", "merge", "-p",
                R"({"data":{"mode":"slow"}})"}),
            "configmap/settings patched (no change)\n");

  EXPECT_EQ(Ok({"patch", "cm", "settings", "-n", "compat", "--type", "json", "-p",
                R"([{"op":"replace","path":"/data/mode","value":"json"},)"
                R"({"op":"remove","path":"/data/extra"}])"}),
            "configmap/settings patched\n");
  cm = Get("/api/v1/namespaces/compat/configmaps/settings");
  EXPECT_EQ(cm.at("data").at("mode"), "json");
  EXPECT_EQ(cm.at("data").as_object().count("extra"), 0u);

  // A failing JSON patch test operation changes nothing.
  auto failed = Run({"patch", "cm", "settings", "-n", "compat", "--type", "json", "-p",
                     R"([{"op":"replace","path":"/data/mode","value":"no"},)"
                     R"({"op":"test","path":"/data/level","value":"4"}])"});
  EXPECT_EQ(failed.exit_code, 1) << Describe(failed);
  // A 422 without object details: kubectl prints "The request is invalid", as with kube.
  EXPECT_NE(failed.err.find("The request is invalid"), std::string::npos) << failed.err;
  EXPECT_EQ(Get("/api/v1/namespaces/compat/configmaps/settings").at("data").at("mode"), "json");

  // The default patch type (strategic merge) without lists.
  EXPECT_EQ(Ok({"patch", "deploy", "web", "-n", "compat", "-p", R"({"spec":{"replicas":3}})"}),
            "deployment.apps/web patched\n");
  auto deploy = Get("/apis/apps/v1/namespaces/compat/deployments/web");
  EXPECT_EQ(deploy.at("spec").at("replicas"), 3);
  EXPECT_EQ(deploy.at("metadata").at("generation"), 2);

  // A merge patch that makes the object invalid is rejected as a real cluster does.
  auto invalid = Run({"patch", "deploy", "web", "-n", "compat", "--type", "merge", "-p",
                      R"({"spec":{"replicas":-1}})"});
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_EQ(invalid.err,
            "The Deployment \"web\" is invalid: spec.replicas: Invalid value: -1: must be "
            "greater than or equal to 0\n");
}

TEST_F(KubectlTest, EditWithEditorScript) {
  CreateManifests();
  TempDir dir("kcx-editor");
  std::string editor = dir.path() + "/editor.sh";
  {
    std::ofstream f(editor);
    f << "#!/bin/sh\nsed -i 's/mode: fast/mode: edited/' \"$1\"\n";
  }
  chmod(editor.c_str(), 0755);
  auto r = Run({"edit", "cm", "settings", "-n", "compat"}, "", {{"KUBE_EDITOR", editor}});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, "configmap/settings edited\n");
  auto cm = Get("/api/v1/namespaces/compat/configmaps/settings");
  EXPECT_EQ(cm.at("data").at("mode"), "edited");
  EXPECT_EQ(cm.at("data").at("level"), "3");

  // An editor that changes nothing: kubectl cancels the edit.
  auto same = Run({"edit", "cm", "settings", "-n", "compat"}, "", {{"KUBE_EDITOR", "true"}});
  EXPECT_EQ(same.exit_code, 0) << Describe(same);
  EXPECT_EQ(same.err, "Edit cancelled, no changes made.\n");

  // Editing a Deployment's replicas (a scalar in spec) bumps its generation.
  std::string deploy_editor = dir.path() + "/deploy.sh";
  {
    std::ofstream f(deploy_editor);
    f << "#!/bin/sh\nsed -i 's/^  replicas: 2$/  replicas: 4/' \"$1\"\n";
  }
  chmod(deploy_editor.c_str(), 0755);
  r = Run({"edit", "deploy/web", "-n", "compat"}, "", {{"KUBE_EDITOR", deploy_editor}});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, "deployment.apps/web edited\n");
  auto deploy = Get("/apis/apps/v1/namespaces/compat/deployments/web");
  EXPECT_EQ(deploy.at("spec").at("replicas"), 4);
  EXPECT_EQ(deploy.at("metadata").at("generation"), 2);
}

TEST_F(KubectlTest, DeleteObjectsAndNamespace) {
  CreateManifests();
  EXPECT_EQ(Ok({"delete", "cm", "settings", "-n", "compat"}), "configmap \"settings\" deleted\n");
  EXPECT_EQ(srv_->Call("GET", "/api/v1/namespaces/compat/configmaps/settings").code, 404);
  auto again = Run({"delete", "cm", "settings", "-n", "compat"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err, "Error from server (NotFound): configmaps \"settings\" not found\n");
  EXPECT_EQ(Ok({"delete", "cm", "settings", "-n", "compat", "--ignore-not-found"}), "");

  EXPECT_EQ(Ok({"delete", "svc,deploy", "-n", "compat", "-l", "app=web"}),
            "deployment.apps \"web\" deleted\n");
  // The Service has no labels, so only the Deployment matched.
  EXPECT_EQ(srv_->Call("GET", "/api/v1/namespaces/compat/services/web").code, 200);

  // Deleting the namespace waits (kubectl's default --wait) until its contents are gone and
  // the namespace itself is removed.
  EXPECT_EQ(Ok({"delete", "ns", "compat"}), "namespace \"compat\" deleted\n");
  EXPECT_EQ(srv_->Call("GET", "/api/v1/namespaces/compat").code, 404);
  EXPECT_EQ(srv_->Call("GET", "/api/v1/namespaces/compat/services/web").code, 404);
  EXPECT_EQ(srv_->Call("GET", "/api/v1/namespaces/compat/secrets/creds").code, 404);
}

TEST_F(KubectlTest, WaitForDelete) {
  // A finalizer holds the object after `delete`; `wait --for=delete` must return only once a
  // background client removes the finalizer and the object is really gone.
  Ok({"create", "-f", "-"}, R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: held
  namespace: default
  finalizers: ["example.com/hold"]
data: {k: v}
)");
  EXPECT_EQ(Ok({"delete", "cm", "held", "--wait=false"}), "configmap \"held\" deleted\n");
  auto held = Get("/api/v1/namespaces/default/configmaps/held");
  EXPECT_FALSE(Str(held, {"metadata", "deletionTimestamp"}).empty());

  auto start = std::chrono::steady_clock::now();
  std::thread release([this] {
    // Long enough for kubectl (discovery, then the watch) to be waiting even on a busy machine.
    std::this_thread::sleep_for(std::chrono::milliseconds(4000));
    auto conn = srv_->Connect();
    client::HttpRequest req;
    req.method = "PATCH";
    req.target = "/api/v1/namespaces/default/configmaps/held";
    req.body = R"({"metadata":{"finalizers":null}})";
    req.content_type = "application/merge-patch+json";
    req.bearer_token = srv_->token();
    auto r = conn->RoundTrip(req);
    EXPECT_TRUE(r.ok() && r->code == 200) << (r.ok() ? r->body : r.status().ToString());
  });
  auto w = Run({"wait", "--for=delete", "cm/held", "--timeout=30s"});
  auto waited = std::chrono::steady_clock::now() - start;
  release.join();
  EXPECT_EQ(w.exit_code, 0) << Describe(w);
  EXPECT_EQ(w.out, "configmap/held condition met\n");
  EXPECT_GE(waited, std::chrono::milliseconds(3900));
  EXPECT_EQ(srv_->Call("GET", "/api/v1/namespaces/default/configmaps/held").code, 404);

  // Waiting for an object that does not exist returns at once (kubectl treats it as deleted),
  // and a wait that cannot be met times out with kubectl's message.
  Ok({"create", "-f", "-"}, ConfigMapYaml("stays"));
  auto timeout = Run({"wait", "--for=delete", "cm/stays", "--timeout=1s"});
  EXPECT_EQ(timeout.exit_code, 1);
  // client-go may also warn about a "very short watch" when the 1 s timeout ends its watch; that
  // warning is kubectl's own and appears against real clusters too.
  EXPECT_NE(timeout.err.find("error: timed out waiting for the condition on configmaps/stays\n"),
            std::string::npos)
      << timeout.err;
}

TEST_F(KubectlTest, ApiResources) {
  auto out = Ok({"api-resources"});
  EXPECT_EQ(HeaderOf(out),
            (std::vector<std::string>{"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"}));
  std::set<std::vector<std::string>> rows;
  for (auto& row : ParseTable(out)) {
    rows.insert(
        {row["NAME"], row["SHORTNAMES"], row["APIVERSION"], row["NAMESPACED"], row["KIND"]});
  }
  std::set<std::vector<std::string>> expected = {
      {"configmaps", "cm", "v1", "true", "ConfigMap"},
      {"endpoints", "ep", "v1", "true", "Endpoints"},
      {"events", "ev", "v1", "true", "Event"},
      {"namespaces", "ns", "v1", "false", "Namespace"},
      {"nodes", "no", "v1", "false", "Node"},
      {"persistentvolumeclaims", "pvc", "v1", "true", "PersistentVolumeClaim"},
      {"persistentvolumes", "pv", "v1", "false", "PersistentVolume"},
      {"pods", "po", "v1", "true", "Pod"},
      {"secrets", "", "v1", "true", "Secret"},
      {"serviceaccounts", "sa", "v1", "true", "ServiceAccount"},
      {"services", "svc", "v1", "true", "Service"},
      {"deployments", "deploy", "apps/v1", "true", "Deployment"},
      {"statefulsets", "sts", "apps/v1", "true", "StatefulSet"},
      {"leases", "", "coordination.k8s.io/v1", "true", "Lease"},
      {"events", "ev", "events.k8s.io/v1", "true", "Event"},
      {"poddisruptionbudgets", "pdb", "policy/v1", "true", "PodDisruptionBudget"},
      {"storageclasses", "sc", "storage.k8s.io/v1", "false", "StorageClass"},
      {"mutatingwebhookconfigurations", "", "admissionregistration.k8s.io/v1", "false",
       "MutatingWebhookConfiguration"},
      {"validatingwebhookconfigurations", "", "admissionregistration.k8s.io/v1", "false",
       "ValidatingWebhookConfiguration"},
      {"customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false",
       "CustomResourceDefinition"},
  };
  EXPECT_EQ(rows, expected) << out;

  // Short names resolve in every command.
  Ok({"create", "-f", "-"}, ConfigMapYaml("short"));
  EXPECT_EQ(Ok({"get", "cm", "short", "-o", "name"}), "configmap/short\n");
  EXPECT_EQ(Ok({"get", "ns", "default", "-o", "name"}), "namespace/default\n");
  for (const char* s : {"po", "svc", "pvc", "sa", "ev", "sts", "deploy", "pdb", "ep"}) {
    auto r = Run({"get", s, "-n", "kube-system"});
    EXPECT_EQ(r.exit_code, 0) << s << ": " << Describe(r);
  }
  for (const char* s : {"pv", "no", "sc"}) {
    auto r = Run({"get", s});
    EXPECT_EQ(r.exit_code, 0) << s << ": " << Describe(r);
    EXPECT_EQ(r.err, "No resources found\n") << s;
  }

  auto ns_only = Ok({"api-resources", "--namespaced=false", "-o", "name"});
  EXPECT_EQ(ns_only,
            "namespaces\nnodes\npersistentvolumes\n"
            "mutatingwebhookconfigurations.admissionregistration.k8s.io\n"
            "validatingwebhookconfigurations.admissionregistration.k8s.io\n"
            "customresourcedefinitions.apiextensions.k8s.io\nstorageclasses.storage.k8s.io\n");
  auto versions = Ok({"api-versions"});
  for (const char* v : {"v1\n", "apps/v1\n", "policy/v1\n", "coordination.k8s.io/v1\n",
                        "storage.k8s.io/v1\n", "events.k8s.io/v1\n"}) {
    EXPECT_NE(versions.find(v), std::string::npos) << v << " in\n" << versions;
  }
}

TEST_F(KubectlTest, ChunkedList) {
  constexpr int kCount = 7;
  std::string docs;
  for (int i = 0; i < kCount; ++i) {
    docs += ConfigMapYaml("chunk-" + std::to_string(i)) + "---\n";
  }
  Ok({"create", "-f", "-"}, docs);
  // -v=6 logs every request kubectl makes, so the pages can be counted.
  auto r = Run({"get", "cm", "--chunk-size=2", "-v=6"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto rows = ParseTable(r.out);
  std::set<std::string> names;
  for (auto& row : rows)
    names.insert(row["NAME"]);
  EXPECT_EQ(rows.size(), static_cast<size_t>(kCount)) << r.out;
  for (int i = 0; i < kCount; ++i) {
    EXPECT_TRUE(names.count("chunk-" + std::to_string(i))) << i;
  }
  EXPECT_EQ(Lines(r.out)[0].substr(0, 4), "NAME");  // one header for all pages
  int first = 0, continued = 0;
  for (const auto& line : Lines(r.err)) {
    if (line.find("/api/v1/namespaces/default/configmaps?limit=2 200 OK") != std::string::npos) {
      ++first;
    }
    if (line.find("/api/v1/namespaces/default/configmaps?continue=") != std::string::npos &&
        line.find("limit=2 200 OK") != std::string::npos) {
      ++continued;
    }
  }
  EXPECT_EQ(first, 1) << r.err;
  EXPECT_EQ(continued, (kCount + 1) / 2 - 1) << r.err;

  // -o name and -o json page too.
  auto names_out = Ok({"get", "cm", "--chunk-size=3", "-o", "name"});
  EXPECT_EQ(Lines(names_out).size(), static_cast<size_t>(kCount));
  auto list = json::parse(Ok({"get", "cm", "--chunk-size=2", "-o", "json"}));
  EXPECT_EQ(list.at("items").as_array().size(), static_cast<size_t>(kCount));
}

TEST_F(KubectlTest, ErrorsPrintedAsKubectlDoes) {
  auto nf = Run({"get", "cm", "x"});
  EXPECT_EQ(nf.exit_code, 1);
  EXPECT_EQ(nf.out, "");
  EXPECT_EQ(nf.err, "Error from server (NotFound): configmaps \"x\" not found\n");

  auto nf_ns = Run({"get", "ns", "nope"});
  EXPECT_EQ(nf_ns.err, "Error from server (NotFound): namespaces \"nope\" not found\n");
  auto nf_deploy = Run({"get", "deploy", "nope"});
  EXPECT_EQ(nf_deploy.err, "Error from server (NotFound): deployments.apps \"nope\" not found\n");

  auto missing_ns = Run({"create", "-f", "-"}, ConfigMapYaml("a", "nowhere"));
  EXPECT_EQ(missing_ns.exit_code, 1);
  EXPECT_EQ(missing_ns.err,
            "Error from server (NotFound): error when creating \"STDIN\": namespaces \"nowhere\" "
            "not found\n");

  auto invalid = Run({"create", "-f", "-"}, ConfigMapYaml("Bad_Name"));
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_EQ(invalid.err,
            "The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": "
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character (e.g. "
            "'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n");

  auto invalid_deploy = Run({"create", "-f", "-"}, R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
spec:
  selector:
    matchLabels: {app: a}
  template:
    metadata:
      labels: {app: b}
    spec:
      containers: []
)");
  EXPECT_EQ(invalid_deploy.exit_code, 1);
  EXPECT_EQ(invalid_deploy.err.rfind("The Deployment \"broken\" is invalid: ", 0), 0u)
      << invalid_deploy.err;
  EXPECT_NE(invalid_deploy.err.find("spec.template.metadata.labels: Invalid value: "
                                    "map[string]string{\"app\":\"b\"}: `selector` does not "
                                    "match template `labels`"),
            std::string::npos)
      << invalid_deploy.err;
  EXPECT_NE(invalid_deploy.err.find("spec.template.spec.containers: Required value"),
            std::string::npos)
      << invalid_deploy.err;

  // Unknown resource types are a client-side error after discovery.
  auto unknown = Run({"get", "widgets"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.err, "error: the server doesn't have a resource type \"widgets\"\n");
}

TEST_F(KubectlTest, OpenApiLetsKubectlValidateOnTheServer) {
  // With the default --validate=strict, kubectl asks /openapi/v3 whether the server accepts
  // fieldValidation, then sends fieldValidation=Strict instead of validating on the client.
  auto r = Run({"create", "-f", "-", "-v=6"}, ConfigMapYaml("strict"));
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.err.find("/openapi/v3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fieldValidation=Strict"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("/openapi/v2"), std::string::npos) << r.err;
  // Invalid objects are still refused, by the server.
  auto bad = Run({"create", "-f", "-"}, ConfigMapYaml("Bad_Name"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("is invalid"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace kcx::testenv
