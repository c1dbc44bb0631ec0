// Compatibility tests of strategic merge patch with the real kubectl (v1.32) against kcx
// apiserver started in-process: client-side `kubectl apply`, `kubectl edit` and
// `kubectl patch --type=strategic`. kubectl computes the patches itself from its compiled-in Go
// types (kcx's /openapi/v3 offers no strategic-merge request body, and there is no
// /openapi/v2); the tests capture what it sends (-v=8 logs request bodies) and check both the
// patch and the resulting object.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "api/json.h"
#include "api/patch.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

std::string Describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

json::value J(std::string_view text) {
  auto v = api::ParseJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::value();
}

// The last request body kubectl 1.32 logged with -v=8 (for apply and edit: the PATCH), with
// Go's quoting undone. The log lines read
//   I1125 ... helper.go:269] "Request Body" body="{\"spec\":...}"
// and long bodies end in " [truncated N chars]".
std::string LastRequestBody(const std::string& log) {
  std::string last;
  constexpr std::string_view kMarker = "\"Request Body\" body=\"";
  size_t pos = 0;
  while ((pos = log.find(kMarker, pos)) != std::string::npos) {
    pos += kMarker.size();
    std::string body;
    while (pos < log.size() && log[pos] != '"') {
      if (log[pos] == '\\' && pos + 1 < log.size()) {
        char c = log[++pos];
        body += c == 'n' ? '\n' : c == 't' ? '\t' : c;
      } else {
        body += log[pos];
      }
      ++pos;
    }
    if (!body.empty())
      last = std::move(body);
  }
  return last;
}

std::vector<std::string> Names(const json::value* list, std::string_view key = "name") {
  std::vector<std::string> out;
  if (!list || !list->is_array())
    return out;
  for (const auto& v : list->get_array())
    out.emplace_back(api::GetString(v.get_object(), key));
  return out;
}

const json::object* Find(const json::value* list, std::string_view name) {
  if (!list || !list->is_array())
    return nullptr;
  for (const auto& v : list->get_array()) {
    if (api::GetString(v.get_object(), "name") == name)
      return &v.get_object();
  }
  return nullptr;
}

constexpr char kDeployV1[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  strategy:
    type: RollingUpdate
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: app:1
        env:
        - name: A
          value: "1"
        - name: B
          value: "2"
        ports:
        - containerPort: 8080
          name: http
      - name: sidecar
        image: side:1
      volumes:
      - name: data
        emptyDir: {}
)";

// v2: env B removed and A changed, a container added between the two (which swap places),
// the strategy switched to Recreate (the server had defaulted rollingUpdate: retainKeys must
// clear it) and the volume's source changed (retainKeys again).
constexpr char kDeployV2[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  strategy:
    type: Recreate
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: sidecar
        image: side:1
      - name: metrics
        image: metrics:1
      - name: app
        image: app:1
        env:
        - name: A
          value: "10"
        ports:
        - containerPort: 8080
          name: http
      volumes:
      - name: data
        hostPath:
          path: /tmp/web-data
)";

class KubectlSmpTest : public ::testing::Test {
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
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_EQ(r.err, "");
    return r.out;
  }
  json::value Get(const std::string& path) {
    auto r = srv_->Call("GET", path);
    EXPECT_EQ(r.code, 200) << path << ": " << r.body;
    return r.json;
  }
  // An executable editor script in a temp dir.
  std::string Editor(const std::string& script) {
    std::string path = dir_.path() + "/editor" + std::to_string(++editors_) + ".sh";
    {
      std::ofstream f(path);
      f << "#!/bin/sh\n" << script << "\n";
    }
    chmod(path.c_str(), 0755);
    return path;
  }

  std::unique_ptr<TestApiServer> srv_;
  TempDir dir_{"kcx-smp"};
  int editors_ = 0;
  const std::string deploy_ = "/apis/apps/v1/namespaces/default/deployments/web";
};

TEST_F(KubectlSmpTest, ClientSideApplyOfADeploymentFollowsTheManifest) {
  EXPECT_EQ(Ok({"apply", "-f", "-"}, kDeployV1), "deployment.apps/web created\n");
  json::value d1 = Get(deploy_);
  // The server defaulted rollingUpdate, which the manifest never had.
  ASSERT_NE(api::FindPath(d1, {"spec", "strategy", "rollingUpdate"}), nullptr);

  auto r = Run({"apply", "-f", "-", "-v=8"}, kDeployV2);
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, "deployment.apps/web configured\n");
  // kubectl sent a three-way strategic merge patch with kube's directives (the log truncates
  // it after the last-applied annotation, so look at its text).
  std::string sent = LastRequestBody(r.err);
  EXPECT_NE(sent.find(R"("strategy":{"$retainKeys":["type"],"type":"Recreate"})"),
            std::string::npos)
      << sent;
  EXPECT_NE(sent.find(R"("$setElementOrder/containers":[{"name":"sidecar"},{"name":"metrics"},)"
                      R"({"name":"app"}])"),
            std::string::npos)
      << sent;
  EXPECT_NE(r.err.find("Content-Type: application/strategic-merge-patch+json"), std::string::npos);

  json::value d2 = Get(deploy_);
  const json::value* containers = api::FindPath(d2, {"spec", "template", "spec", "containers"});
  EXPECT_EQ(Names(containers), (std::vector<std::string>{"sidecar", "metrics", "app"}));
  const json::object* app = Find(containers, "app");
  ASSERT_NE(app, nullptr);
  EXPECT_TRUE(api::JsonEqual(app->at("env"), J(R"([{"name":"A","value":"10"}])")))
      << json::serialize(app->at("env"));
  EXPECT_EQ(api::GetString(app->at("ports").at(0).get_object(), "name"), "http");
  EXPECT_TRUE(api::JsonEqual(d2.at("spec").at("strategy"), J(R"({"type":"Recreate"})")))
      << json::serialize(d2.at("spec").at("strategy"));
  const json::value* volumes = api::FindPath(d2, {"spec", "template", "spec", "volumes"});
  ASSERT_NE(volumes, nullptr);
  ASSERT_EQ(volumes->get_array().size(), 1u);
  const json::object& data = volumes->get_array()[0].get_object();
  EXPECT_FALSE(data.contains("emptyDir")) << json::serialize(data);
  EXPECT_EQ(api::GetStringPath(data, {"hostPath", "path"}), "/tmp/web-data");
  EXPECT_EQ(api::GetInt(d2.at("metadata").get_object(), "generation"), 2);

  // Applying v1 again restores it: metrics and the hostPath go, env B comes back.
  EXPECT_EQ(Ok({"apply", "-f", "-"}, kDeployV1), "deployment.apps/web configured\n");
  json::value d3 = Get(deploy_);
  containers = api::FindPath(d3, {"spec", "template", "spec", "containers"});
  EXPECT_EQ(Names(containers), (std::vector<std::string>{"app", "sidecar"}));
  EXPECT_EQ(Names(&Find(containers, "app")->at("env")), (std::vector<std::string>{"A", "B"}));
  volumes = api::FindPath(d3, {"spec", "template", "spec", "volumes"});
  ASSERT_NE(volumes, nullptr);
  EXPECT_TRUE(api::JsonEqual(*volumes, J(R"([{"name":"data","emptyDir":{}}])")))
      << json::serialize(*volumes);
  EXPECT_EQ(api::GetStringPath(d3, {"spec", "strategy", "type"}), "RollingUpdate");

  // Applying the manifest again: kubectl 1.32 still sends `$retainKeys` for the strategy,
  // whose rollingUpdate the server defaulted (so it says "configured", as against a real
  // cluster); the object stays the same.
  auto same = Run({"apply", "-f", "-", "-v=8"}, kDeployV1);
  EXPECT_EQ(same.exit_code, 0) << Describe(same);
  EXPECT_EQ(LastRequestBody(same.err), R"({"spec":{"strategy":{"$retainKeys":["type"]}}})");
  json::value d4 = Get(deploy_);
  EXPECT_TRUE(api::JsonEqual(d4.at("spec"), d3.at("spec"))) << json::serialize(d4.at("spec"));
  EXPECT_EQ(api::GetInt(d4.at("metadata").get_object(), "generation"),
            api::GetInt(d3.at("metadata").get_object(), "generation"));
}

constexpr char kStatefulSetV1[] = R"(apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: default
spec:
  serviceName: db
  replicas: 1
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
      - name: mysqld
        image: mysql:8.0
        env:
        - name: MYSQL_A
          value: "1"
        - name: MYSQL_B
          value: "2"
        - name: MYSQL_C
          value: "3"
        volumeMounts:
        - name: conf
          mountPath: /etc/mysql
      volumes:
      - name: conf
        emptyDir: {}
)";

TEST_F(KubectlSmpTest, ClientSideApplyOfAStatefulSet) {
  EXPECT_EQ(Ok({"apply", "-f", "-"}, kStatefulSetV1), "statefulset.apps/db created\n");
  // Drop MYSQL_B, add a container in front and a volume mount.
  std::string v2 = kStatefulSetV1;
  v2.replace(v2.find("        - name: MYSQL_B\n          value: \"2\"\n"),
             std::string_view("        - name: MYSQL_B\n          value: \"2\"\n").size(), "");
  v2.replace(v2.find("      containers:\n"), std::string_view("      containers:\n").size(),
             "      containers:\n      - name: agent\n        image: agent:1\n");
  v2.replace(v2.find("          mountPath: /etc/mysql\n"),
             std::string_view("          mountPath: /etc/mysql\n").size(),
             "          mountPath: /etc/mysql\n        - name: conf\n"
             "          mountPath: /etc/extra\n");
  EXPECT_EQ(Ok({"apply", "-f", "-"}, v2), "statefulset.apps/db configured\n");
  json::value sts = Get("/apis/apps/v1/namespaces/default/statefulsets/db");
  const json::value* containers = api::FindPath(sts, {"spec", "template", "spec", "containers"});
  EXPECT_EQ(Names(containers), (std::vector<std::string>{"agent", "mysqld"}));
  const json::object* mysqld = Find(containers, "mysqld");
  ASSERT_NE(mysqld, nullptr);
  EXPECT_EQ(Names(&mysqld->at("env")), (std::vector<std::string>{"MYSQL_A", "MYSQL_C"}));
  EXPECT_EQ(Names(&mysqld->at("volumeMounts"), "mountPath"),
            (std::vector<std::string>{"/etc/mysql", "/etc/extra"}));
  EXPECT_EQ(api::GetInt(sts.at("metadata").get_object(), "generation"), 2);
  // Nothing left to change.
  EXPECT_EQ(Ok({"apply", "-f", "-"}, v2), "statefulset.apps/db unchanged\n");
}

TEST_F(KubectlSmpTest, EditOfAStatefulSetSendsSetElementOrder) {
  EXPECT_EQ(Ok({"create", "-f", "-"}, kStatefulSetV1), "statefulset.apps/db created\n");
  // The editor changes the image and removes env MYSQL_B (its name line and value line).
  std::string editor = Editor(
      "sed -i -e 's/image: mysql:8.0/image: mysql:8.4/' -e '/- name: MYSQL_B$/{N;d}' \"$1\"");
  auto r = Run({"edit", "statefulset/db", "-v=8"}, "", {{"KUBE_EDITOR", editor}});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, "statefulset.apps/db edited\n");
  auto parsed = api::ParseJson(LastRequestBody(r.err));
  ASSERT_TRUE(parsed.ok()) << r.err;
  json::value patch = *parsed;
  const json::value* containers_patch =
      api::FindPath(patch, {"spec", "template", "spec", "containers"});
  ASSERT_NE(containers_patch, nullptr) << json::serialize(patch);
  std::string sent = json::serialize(patch);
  EXPECT_NE(sent.find("$setElementOrder/env"), std::string::npos) << sent;
  EXPECT_NE(sent.find(R"("$patch":"delete")"), std::string::npos) << sent;

  json::value sts = Get("/apis/apps/v1/namespaces/default/statefulsets/db");
  const json::object* mysqld =
      Find(api::FindPath(sts, {"spec", "template", "spec", "containers"}), "mysqld");
  ASSERT_NE(mysqld, nullptr);
  EXPECT_EQ(api::GetString(*mysqld, "image"), "mysql:8.4");
  EXPECT_EQ(Names(&mysqld->at("env")), (std::vector<std::string>{"MYSQL_A", "MYSQL_C"}));
  EXPECT_EQ(api::GetString(mysqld->at("env").at(1).get_object(), "value"), "3");
  EXPECT_EQ(Names(&mysqld->at("volumeMounts"), "mountPath"),
            std::vector<std::string>{"/etc/mysql"});
  EXPECT_EQ(api::GetInt(sts.at("metadata").get_object(), "generation"), 2);
}

TEST_F(KubectlSmpTest, PatchWithDirectives) {
  EXPECT_EQ(Ok({"apply", "-f", "-"}, kDeployV1), "deployment.apps/web created\n");
  EXPECT_EQ(
      Ok({"patch", "deployment", "web", "--type=strategic", "-p",
          R"({"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}})"}),
      "deployment.apps/web patched\n");
  json::value d = Get(deploy_);
  EXPECT_EQ(Names(api::FindPath(d, {"spec", "template", "spec", "containers"})),
            std::vector<std::string>{"app"});

  // The default patch type is strategic: an env entry merges by name into the container.
  EXPECT_EQ(
      Ok({"patch", "deployment", "web", "-p",
          R"({"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"C","value":"3"}]}]}}}})"}),
      "deployment.apps/web patched\n");
  d = Get(deploy_);
  const json::object* app =
      Find(api::FindPath(d, {"spec", "template", "spec", "containers"}), "app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(Names(&app->at("env")), (std::vector<std::string>{"C", "A", "B"}));
  EXPECT_EQ(api::GetString(*app, "image"), "app:1");

  // $patch: replace on the env list.
  EXPECT_EQ(
      Ok({"patch", "deployment", "web", "-p",
          R"({"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"Z","value":"z"},{"$patch":"replace"}]}]}}}})"}),
      "deployment.apps/web patched\n");
  d = Get(deploy_);
  app = Find(api::FindPath(d, {"spec", "template", "spec", "containers"}), "app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(Names(&app->at("env")), std::vector<std::string>{"Z"});

  // A malformed directive: kubectl prints the server's message.
  auto bad =
      Run({"patch", "deployment", "web", "-p",
           R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{"maxSurge":2}}}})"});
  EXPECT_EQ(bad.exit_code, 1) << Describe(bad);
  EXPECT_EQ(bad.err, "Error from server (BadRequest): invalid patch format of retainKeys\n");
}

}  // namespace
}  // namespace kcx::testenv
