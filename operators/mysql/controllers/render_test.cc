#include "operators/mysql/controllers/render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/json.h"
#include "common/strings.h"

namespace kcx::mysql::controllers {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;

// The manifest of MOCO's documentation (docs/usage.md), with a uid as the API server gives it.
constexpr const char* kDocCluster = R"({
  "apiVersion": "moco.cybozu.com/v1beta2",
  "kind": "MySQLCluster",
  "metadata": {"namespace": "default", "name": "test", "uid": "0b6e3d4c-uid"},
  "spec": {
    "podTemplate": {
      "spec": {"containers": [{"name": "mysqld", "image": "quay.io/cybozu/mysql:8.0.28"}]}
    },
    "volumeClaimTemplates": [{
      "metadata": {"name": "mysql-data"},
      "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    }],
    "mysqlConfigMapName": "mycnf",
    "serverIDBase": 100
  }
})";

json::object DocObject() { return json::parse(kDocCluster).as_object(); }

api::MySQLCluster Parse(const json::object& o) {
  auto c = api::ParseMySQLCluster(json::value(o));
  EXPECT_TRUE(c.ok()) << c.status().message();
  return *c;
}

api::MySQLCluster Doc() { return Parse(DocObject()); }

json::object& SpecOf(json::object& o) { return o["spec"].as_object(); }

Passwords Pw() {
  Passwords p;
  int i = 0;
  for (SystemUser u : kAllSystemUsers)
    p.Set(u, "pw" + std::to_string(i++));
  return p;
}

// Path lookups with overloads for objects and values, so that no temporary json::value is made
// (a reference into one would dangle).
const json::value* Find(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::object* cur = &o;
  const json::value* v = nullptr;
  for (std::string_view k : path) {
    if (!cur)
      return nullptr;
    v = cur->if_contains(k);
    if (!v)
      return nullptr;
    cur = v->if_object();
  }
  return v;
}
const json::value* Find(const json::value& v, std::initializer_list<std::string_view> path) {
  return v.is_object() ? Find(v.get_object(), path) : nullptr;
}

template <typename J>
std::string Str(const J& v, std::initializer_list<std::string_view> path) {
  const json::value* p = Find(v, path);
  return p && p->is_string() ? std::string(p->get_string()) : std::string();
}

template <typename J>
const json::value& At(const J& v, std::initializer_list<std::string_view> path) {
  const json::value* p = Find(v, path);
  static const json::value kNull;
  EXPECT_NE(p, nullptr);
  return p ? *p : kNull;
}

const json::object* Named(const json::value& arr, std::string_view name) {
  if (!arr.is_array())
    return nullptr;
  for (const auto& v : arr.get_array()) {
    if (v.is_object() && kcx::api::GetString(v.get_object(), "name") == name) {
      return &v.get_object();
    }
  }
  return nullptr;
}

std::vector<std::string> Names(const json::value& arr) {
  std::vector<std::string> out;
  for (const auto& v : arr.as_array())
    out.emplace_back(v.at("name").as_string());
  return out;
}

const json::object kClusterLabels{{"app.kubernetes.io/created-by", "moco"},
                                  {"app.kubernetes.io/instance", "test"},
                                  {"app.kubernetes.io/name", "mysql"}};

void ExpectOwned(const json::object& o, std::string_view kind, std::string_view name) {
  SCOPED_TRACE(std::string(kind) + " " + std::string(name));
  EXPECT_EQ(Str(o, {"kind"}), kind);
  EXPECT_EQ(Str(o, {"metadata", "name"}), name);
  EXPECT_EQ(Str(o, {"metadata", "namespace"}), "default");
  EXPECT_EQ(At(o, {"metadata", "labels"}), json::value(kClusterLabels));
  json::value want = json::object{{"apiVersion", "moco.cybozu.com/v1beta2"},
                                  {"kind", "MySQLCluster"},
                                  {"name", "test"},
                                  {"uid", "0b6e3d4c-uid"},
                                  {"controller", true},
                                  {"blockOwnerDeletion", true}};
  EXPECT_EQ(At(o, {"metadata", "ownerReferences"}), json::value(json::array{want}));
}

std::string Decoded(const json::object& secret, std::string_view key) {
  auto d = Base64Decode(Str(secret, {"data", key}));
  EXPECT_TRUE(d.has_value()) << key;
  return d.value_or("");
}

TEST(RenderTest, Secrets) {
  auto c = Doc();
  RenderOptions o;
  json::object cs = RenderControllerSecret(c, Pw(), o);
  EXPECT_EQ(Str(cs, {"apiVersion"}), "v1");
  EXPECT_EQ(Str(cs, {"kind"}), "Secret");
  EXPECT_EQ(Str(cs, {"metadata", "name"}), "mysql-default.test");
  EXPECT_EQ(Str(cs, {"metadata", "namespace"}), "moco-system");
  EXPECT_EQ(cs.at("metadata").as_object().if_contains("ownerReferences"), nullptr);
  EXPECT_EQ(Str(cs, {"metadata", "labels", "app.kubernetes.io/instance-namespace"}), "default");
  EXPECT_EQ(Str(cs, {"metadata", "labels", "app.kubernetes.io/instance"}), "test");
  EXPECT_EQ(Str(cs, {"metadata", "annotations", "moco.cybozu.com/secret-version"}), "1");
  EXPECT_EQ(At(cs, {"data"}).as_object().size(), 8u);
  EXPECT_EQ(Decoded(cs, "ADMIN_PASSWORD"), "pw0");
  EXPECT_EQ(Decoded(cs, "WRITABLE_PASSWORD"), "pw7");

  json::object us = RenderUserSecret(c, Pw());
  ExpectOwned(us, "Secret", "moco-test");
  EXPECT_EQ(At(us, {"data"}), At(cs, {"data"}));
  EXPECT_EQ(Str(us, {"metadata", "annotations", "moco.cybozu.com/secret-version"}), "1");

  json::object ms = RenderMyCnfSecret(c, Pw());
  ExpectOwned(ms, "Secret", "moco-my-cnf-test");
  std::vector<std::string> keys;
  for (const auto& kv : At(ms, {"data"}).as_object())
    keys.emplace_back(kv.key());
  EXPECT_THAT(keys, ElementsAre("moco-admin-my.cnf", "moco-backup-my.cnf", "moco-exporter-my.cnf",
                                "moco-readonly-my.cnf", "moco-writable-my.cnf"));
  EXPECT_EQ(Decoded(ms, "moco-admin-my.cnf"), "[client]\nuser=\"moco-admin\"\npassword=\"pw0\"\n");
  EXPECT_EQ(Decoded(ms, "moco-exporter-my.cnf"),
            "[client]\nuser=\"moco-exporter\"\npassword=\"pw4\"\n");
}

TEST(RenderTest, MyCnfConfigMap) {
  auto c = Doc();
  std::map<std::string, std::string> user{{"max-connections", "5000"}};
  json::object cm = RenderMyCnfConfigMap(c, &user, Flavor::kMySQL);
  std::string content = Str(cm, {"data", "my.cnf"});
  ExpectOwned(cm, "ConfigMap", MyCnfConfigMapName("test", content));
  EXPECT_THAT(Str(cm, {"metadata", "name"}), ::testing::MatchesRegex("moco-test\\.[0-9a-f]{8}"));
  EXPECT_NE(content.find("max_connections = 5000\n"), std::string::npos) << content;
  EXPECT_NE(content.find("slow_query_log_file = /var/log/mysql/mysql.slow\n"), std::string::npos);
  EXPECT_NE(content.find("datadir = /var/lib/mysql/data\n"), std::string::npos);
  EXPECT_NE(content.find("admin_port = 33062\n"), std::string::npos);
  EXPECT_NE(content.find("gtid_mode = ON\n"), std::string::npos);
  // The Pod's server_id and report_host come from the init container's file, included last.
  EXPECT_TRUE(EndsWith(content, "\n!includedir /etc/mysql-conf.d\n")) << content;
  // No memory request: the minimum pool.
  EXPECT_NE(content.find("innodb_buffer_pool_size = 134217728\n"), std::string::npos);
}

TEST(RenderTest, MyCnfHashNameFollowsContent) {
  auto c = Doc();
  std::map<std::string, std::string> a{{"max_connections", "5000"}};
  std::map<std::string, std::string> b{{"max_connections", "6000"}};
  std::string n1 = Str(RenderMyCnfConfigMap(c, &a, Flavor::kMySQL), {"metadata", "name"});
  std::string n2 = Str(RenderMyCnfConfigMap(c, &a, Flavor::kMySQL), {"metadata", "name"});
  std::string n3 = Str(RenderMyCnfConfigMap(c, &b, Flavor::kMySQL), {"metadata", "name"});
  std::string n4 = Str(RenderMyCnfConfigMap(c, nullptr, Flavor::kMySQL), {"metadata", "name"});
  std::string n5 = Str(RenderMyCnfConfigMap(c, nullptr, Flavor::kMariaDB), {"metadata", "name"});
  EXPECT_EQ(n1, n2);
  EXPECT_NE(n1, n3);
  EXPECT_NE(n1, n4);
  EXPECT_NE(n4, n5);
  // The FNV-1a 32-bit of "" and of "a" (reference values), printed as MOCO's hex of Sum().
  EXPECT_EQ(MyCnfConfigMapName("x", ""), "moco-x.811c9dc5");
  EXPECT_EQ(MyCnfConfigMapName("x", "a"), "moco-x.e40c292c");

  // The memory request sizes the buffer pool (70 %), so it changes the name too.
  json::object o = DocObject();
  SpecOf(o)["podTemplate"]
      .as_object()["spec"]
      .as_object()["containers"]
      .as_array()[0]
      .as_object()["resources"] = json::object{{"requests", json::object{{"memory", "1Gi"}}}};
  std::string content = MyCnfContent(Parse(o), nullptr, Flavor::kMySQL);
  EXPECT_NE(
      content.find("innodb_buffer_pool_size = " + std::to_string((1ull << 30) / 10 * 7) + "\n"),
      std::string::npos)
      << content;
}

TEST(RenderTest, SlowLogConfigMap) {
  auto c = Doc();
  auto cm = RenderSlowLogConfigMap(c);
  ASSERT_TRUE(cm.has_value());
  ExpectOwned(*cm, "ConfigMap", "moco-slow-log-agent-config-test");
  EXPECT_NE(Str(*cm, {"data", "fluent-bit.conf"}).find("Path           /var/log/mysql/mysql.slow"),
            std::string::npos);
  c.disable_slow_query_log_container = true;
  EXPECT_FALSE(RenderSlowLogConfigMap(c).has_value());
}

TEST(RenderTest, ServiceAccountAndHeadlessService) {
  auto c = Doc();
  json::object sa = RenderServiceAccount(c);
  ExpectOwned(sa, "ServiceAccount", "moco-test");
  EXPECT_EQ(sa.size(), 3u);  // apiVersion, kind, metadata

  json::object h = RenderHeadlessService(c);
  ExpectOwned(h, "Service", "moco-test");
  EXPECT_EQ(Str(h, {"spec", "clusterIP"}), "None");
  EXPECT_EQ(At(h, {"spec", "publishNotReadyAddresses"}), json::value(true));
  EXPECT_EQ(At(h, {"spec", "selector"}), json::value(kClusterLabels));
  EXPECT_EQ(At(h, {"spec", "ports"}), json::parse(R"([
              {"name":"mysql","protocol":"TCP","port":3306,"targetPort":"mysql"},
              {"name":"mysqlx","protocol":"TCP","port":33060,"targetPort":"mysqlx"},
              {"name":"mysql-admin","protocol":"TCP","port":33062,"targetPort":"mysql-admin"}])"));
}

TEST(RenderTest, PrimaryAndReplicaServicesWithoutTemplates) {
  auto c = Doc();
  json::object p = RenderPrimaryService(c);
  ExpectOwned(p, "Service", "moco-test-primary");
  EXPECT_EQ(Str(p, {"spec", "selector", "moco.cybozu.com/role"}), "primary");
  EXPECT_EQ(Str(p, {"spec", "selector", "app.kubernetes.io/instance"}), "test");
  EXPECT_EQ(At(p, {"spec"}).as_object().if_contains("clusterIP"), nullptr);
  EXPECT_EQ(Names(At(p, {"spec", "ports"})), (std::vector<std::string>{"mysql", "mysqlx"}));
  json::object r = RenderReplicaService(c);
  ExpectOwned(r, "Service", "moco-test-replica");
  EXPECT_EQ(Str(r, {"spec", "selector", "moco.cybozu.com/role"}), "replica");
}

TEST(RenderTest, ServiceTemplatesMergedButClusterIPAndSelectorNotOverridable) {
  json::object o = DocObject();
  SpecOf(o)["primaryServiceTemplate"] = json::parse(R"({
    "metadata": {"labels": {"team": "db", "app.kubernetes.io/name": "evil"},
                 "annotations": {"lb.example.com/class": "internal"}},
    "spec": {"type": "LoadBalancer", "clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"],
             "selector": {"app": "other"}, "externalTrafficPolicy": "Local",
             "ports": [{"name": "mysql", "port": 13306, "protocol": "TCP"},
                       {"name": "extra", "port": 9999, "protocol": "TCP"}]}
  })");
  auto c = Parse(o);
  json::object p = RenderPrimaryService(c);
  EXPECT_EQ(Str(p, {"metadata", "labels", "team"}), "db");
  EXPECT_EQ(Str(p, {"metadata", "labels", "app.kubernetes.io/name"}), "mysql");
  EXPECT_EQ(Str(p, {"metadata", "annotations", "lb.example.com/class"}), "internal");
  EXPECT_EQ(Str(p, {"spec", "type"}), "LoadBalancer");
  EXPECT_EQ(Str(p, {"spec", "externalTrafficPolicy"}), "Local");
  const json::object& spec = At(p, {"spec"}).as_object();
  EXPECT_EQ(spec.if_contains("clusterIP"), nullptr);
  EXPECT_EQ(spec.if_contains("clusterIPs"), nullptr);
  json::object want_sel = kClusterLabels;
  want_sel["moco.cybozu.com/role"] = "primary";
  EXPECT_EQ(json::value(spec.at("selector")), json::value(want_sel));
  EXPECT_EQ(Names(spec.at("ports")), (std::vector<std::string>{"extra", "mysql", "mysqlx"}));
  EXPECT_EQ(kcx::api::GetInt(*Named(spec.at("ports"), "mysql"), "port"), 3306);
  // The replica Service does not see the primary's template.
  EXPECT_EQ(Str(RenderReplicaService(c), {"spec", "type"}), "");
}

TEST(RenderTest, StatefulSetForTheDocumentationManifest) {
  auto c = Doc();
  RenderOptions o;
  auto r = RenderStatefulSet(c, "moco-test.0123abcd", o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const json::object& sts = *r;
  EXPECT_EQ(Str(sts, {"apiVersion"}), "apps/v1");
  ExpectOwned(sts, "StatefulSet", "moco-test");
  EXPECT_EQ(At(sts, {"spec", "replicas"}), json::value(1));
  EXPECT_EQ(At(sts, {"spec", "selector", "matchLabels"}), json::value(kClusterLabels));
  EXPECT_EQ(Str(sts, {"spec", "podManagementPolicy"}), "Parallel");
  EXPECT_EQ(Str(sts, {"spec", "updateStrategy", "type"}), "RollingUpdate");
  EXPECT_EQ(Str(sts, {"spec", "serviceName"}), "moco-test");
  EXPECT_EQ(At(sts, {"spec", "template", "metadata", "labels"}), json::value(kClusterLabels));

  // Claim templates.
  const json::array& vcts = At(sts, {"spec", "volumeClaimTemplates"}).as_array();
  ASSERT_EQ(vcts.size(), 1u);
  EXPECT_EQ(Str(vcts[0], {"metadata", "name"}), "mysql-data");
  EXPECT_EQ(At(vcts[0], {"metadata", "ownerReferences"}).as_array().size(), 1u);
  EXPECT_EQ(Str(vcts[0].at("metadata").at("ownerReferences").at(0), {"kind"}), "MySQLCluster");
  EXPECT_EQ(Str(vcts[0], {"spec", "resources", "requests", "storage"}), "1Gi");
  EXPECT_EQ(At(vcts[0], {"spec", "accessModes"}), json::value(json::array{"ReadWriteOnce"}));
  EXPECT_EQ(Str(vcts[0], {"spec", "volumeMode"}), "Filesystem");
  EXPECT_EQ(Str(vcts[0], {"status", "phase"}), "Pending");

  const json::value& ps = At(sts, {"spec", "template", "spec"});
  EXPECT_EQ(Str(ps, {"serviceAccountName"}), "moco-test");
  EXPECT_EQ(At(ps, {"terminationGracePeriodSeconds"}), json::value(300));
  EXPECT_EQ(At(ps, {"securityContext", "fsGroup"}), json::value(10000));
  EXPECT_EQ(Str(ps, {"securityContext", "fsGroupChangePolicy"}), "OnRootMismatch");
  const json::value& pref =
      At(ps, {"affinity", "podAntiAffinity"}).at("preferredDuringSchedulingIgnoredDuringExecution");
  EXPECT_EQ(Str(pref.at(0), {"podAffinityTerm", "topologyKey"}), "kubernetes.io/hostname");

  EXPECT_EQ(Names(ps.at("containers")), (std::vector<std::string>{"mysqld", "agent", "slow-log"}));
  EXPECT_EQ(Names(ps.at("initContainers")),
            (std::vector<std::string>{"copy-moco-init", "moco-init"}));
  EXPECT_EQ(Names(ps.at("volumes")),
            (std::vector<std::string>{"tmp", "run", "var-log", "mysql-conf-d", "shared",
                                      "mysql-conf", "my-cnf-secret", "slow-fluent-bit-config"}));
  EXPECT_EQ(Str(*Named(ps.at("volumes"), "mysql-conf"), {"configMap", "name"}),
            "moco-test.0123abcd");
  EXPECT_EQ(Str(*Named(ps.at("volumes"), "my-cnf-secret"), {"secret", "secretName"}),
            "moco-my-cnf-test");

  const json::object& mysqld = *Named(ps.at("containers"), "mysqld");
  EXPECT_EQ(Str(mysqld, {"image"}), "quay.io/cybozu/mysql:8.0.28");
  EXPECT_EQ(mysqld.at("args"), json::value(json::array{"--defaults-file=/etc/mysql/my.cnf"}));
  EXPECT_EQ(mysqld.at("lifecycle").at("preStop").at("exec").at("command"),
            json::value(json::array{"sleep", "20"}));
  EXPECT_EQ(Names(mysqld.at("ports")),
            (std::vector<std::string>{"mysql", "mysqlx", "mysql-admin", "health"}));
  EXPECT_EQ(kcx::api::GetInt(*Named(mysqld.at("ports"), "health"), "containerPort"), 9081);
  EXPECT_EQ(Str(mysqld, {"startupProbe", "httpGet", "path"}), "/healthz");
  EXPECT_EQ(Str(mysqld, {"startupProbe", "httpGet", "port"}), "health");
  EXPECT_EQ(At(mysqld, {"startupProbe", "periodSeconds"}), json::value(10));
  EXPECT_EQ(At(mysqld, {"startupProbe", "failureThreshold"}), json::value(360));
  EXPECT_EQ(Str(mysqld, {"livenessProbe", "httpGet", "path"}), "/healthz");
  EXPECT_EQ(Str(mysqld, {"readinessProbe", "httpGet", "path"}), "/readyz");
  EXPECT_EQ(Names(mysqld.at("volumeMounts")),
            (std::vector<std::string>{"tmp", "run", "var-log", "mysql-conf", "mysql-conf-d",
                                      "my-cnf-secret", "mysql-data"}));
  EXPECT_EQ(At(mysqld, {"securityContext", "runAsUser"}), json::value(10000));

  const json::object& agent = *Named(ps.at("containers"), "agent");
  EXPECT_EQ(Str(agent, {"image"}), o.agent_image);
  EXPECT_EQ(agent.at("args"), json::value(json::array{"--max-delay", "60s"}));
  EXPECT_EQ(Names(agent.at("ports")), (std::vector<std::string>{"agent", "agent-metrics"}));
  EXPECT_EQ(Str(agent.at("envFrom").at(0), {"secretRef", "name"}), "moco-test");
  EXPECT_EQ(Str(agent, {"resources", "limits", "memory"}), "100Mi");

  const json::object& init = *Named(ps.at("initContainers"), "moco-init");
  EXPECT_EQ(Str(init, {"image"}), "quay.io/cybozu/mysql:8.0.28");
  EXPECT_EQ(init.at("command").as_array().back(), json::value("100"));  // serverIDBase
  EXPECT_EQ(Str(init, {"resources", "limits", "cpu"}), "1");
  const json::object& copy = *Named(ps.at("initContainers"), "copy-moco-init");
  EXPECT_EQ(Str(copy, {"image"}), o.agent_image);
}

TEST(RenderTest, StatefulSetOptionalContainersAndUserSettings) {
  json::object o = DocObject();
  SpecOf(o)["collectors"] = json::array{"engine_innodb_status", "info_schema.innodb_metrics"};
  SpecOf(o)["disableSlowQueryLogContainer"] = true;
  SpecOf(o)["startupWaitSeconds"] = 5;
  SpecOf(o)["podTemplate"] = json::parse(R"({
    "metadata": {"labels": {"team": "db"}, "annotations": {"a": "b"}},
    "spec": {
      "terminationGracePeriodSeconds": 60,
      "affinity": {"nodeAffinity": {}},
      "securityContext": {"fsGroup": 2000},
      "containers": [
        {"name": "mysqld", "image": "mysql:8.4", "args": ["--verbose"],
         "resources": {"requests": {"memory": "2Gi", "cpu": "500m"}},
         "startupProbe": {"exec": {"command": ["true"]}, "periodSeconds": 5},
         "securityContext": {"runAsUser": 999}},
        {"name": "agent", "image": "evil"},
        {"name": "slow-log", "image": "my-fluent"},
        {"name": "mysqld-exporter", "image": "my-exporter"},
        {"name": "sidecar", "image": "busybox"}
      ],
      "initContainers": [{"name": "prep", "image": "busybox"}],
      "volumes": [{"name": "extra", "emptyDir": {}}]
    }
  })");
  auto c = Parse(o);
  auto r = RenderStatefulSet(c, "cm", RenderOptions{});
  ASSERT_TRUE(r.ok()) << r.status().message();
  const json::value& tmpl = At(*r, {"spec", "template"});
  EXPECT_EQ(Str(tmpl, {"metadata", "labels", "team"}), "db");
  EXPECT_EQ(Str(tmpl, {"metadata", "labels", "app.kubernetes.io/instance"}), "test");
  EXPECT_EQ(Str(tmpl, {"metadata", "annotations", "a"}), "b");
  const json::value& ps = tmpl.at("spec");
  EXPECT_EQ(At(ps, {"terminationGracePeriodSeconds"}), json::value(60));
  EXPECT_EQ(ps.at("affinity"), json::value(json::object{{"nodeAffinity", json::object()}}));
  EXPECT_EQ(At(ps, {"securityContext", "fsGroup"}), json::value(2000));
  // User's slow-log stays (operator's disabled); user's exporter goes (collectors set).
  EXPECT_EQ(
      Names(ps.at("containers")),
      (std::vector<std::string>{"mysqld", "agent", "mysqld-exporter", "slow-log", "sidecar"}));
  EXPECT_EQ(Str(*Named(ps.at("containers"), "agent"), {"image"}), RenderOptions{}.agent_image);
  EXPECT_EQ(Str(*Named(ps.at("containers"), "slow-log"), {"image"}), "my-fluent");
  const json::object& exp = *Named(ps.at("containers"), "mysqld-exporter");
  EXPECT_EQ(exp.at("args"),
            json::parse(R"(["--config.my-cnf=/mysql-credentials/moco-exporter-my.cnf",
      "--collect.engine_innodb_status", "--collect.info_schema.innodb_metrics"])"));
  EXPECT_EQ(Names(ps.at("initContainers")),
            (std::vector<std::string>{"copy-moco-init", "moco-init", "prep"}));
  EXPECT_EQ(Named(ps.at("volumes"), "slow-fluent-bit-config"), nullptr);
  EXPECT_NE(Named(ps.at("volumes"), "extra"), nullptr);

  const json::object& mysqld = *Named(ps.at("containers"), "mysqld");
  EXPECT_EQ(mysqld.at("args"),
            json::value(json::array{"--defaults-file=/etc/mysql/my.cnf", "--verbose"}));
  EXPECT_EQ(Str(mysqld, {"resources", "requests", "memory"}), "2Gi");  // as written
  EXPECT_EQ(Str(mysqld, {"resources", "requests", "cpu"}), "500m");
  const json::object& sp = mysqld.at("startupProbe").as_object();
  EXPECT_EQ(sp.if_contains("exec"), nullptr);
  EXPECT_EQ(Str(sp, {"httpGet", "path"}), "/healthz");
  EXPECT_EQ(sp.at("periodSeconds"), json::value(5));
  EXPECT_EQ(sp.at("failureThreshold"), json::value(1));  // max(1, 5/10)
  EXPECT_EQ(At(mysqld, {"securityContext", "runAsUser"}), json::value(999));
  EXPECT_EQ(At(mysqld, {"securityContext", "runAsGroup"}), json::value(10000));
}

TEST(RenderTest, AgentAndInitArguments) {
  json::object o = DocObject();
  SpecOf(o)["maxDelaySeconds"] = 0;
  SpecOf(o)["logRotationSchedule"] = "@every 10m";
  SpecOf(o)["logRotationSize"] = "1Mi";
  SpecOf(o)["agentUseLocalhost"] = true;
  SpecOf(o)["initializeTimezoneData"] = true;
  RenderOptions opt;
  opt.agent_binary = "/kcx";
  auto r = RenderStatefulSet(Parse(o), "cm", opt);
  ASSERT_TRUE(r.ok());
  const json::value& ps = At(*r, {"spec", "template", "spec"});
  const json::object& agent = *Named(ps.at("containers"), "agent");
  EXPECT_EQ(agent.at("command"), json::parse(R"(["/kcx", "mysql", "agent"])"));
  EXPECT_EQ(agent.at("args"), json::parse(R"(["--max-delay", "0s",
      "--log-rotation-schedule", "@every 10m", "--log-rotation-size", "1048576",
      "--mysqld-localhost", "true"])"));
  EXPECT_EQ(Named(ps.at("initContainers"), "copy-moco-init")->at("command"),
            json::parse(R"(["cp", "/kcx", "/shared/kcx"])"));
  EXPECT_EQ(Named(ps.at("initContainers"), "moco-init")->at("command"),
            json::parse(R"(["/shared/kcx", "mysql", "init", "--data-dir=/var/lib/mysql",
                "--conf-dir=/etc/mysql-conf.d", "--initialize-timezone-data=true",
                "--mysqld-localhost=true", "100"])"));
}

TEST(RenderTest, MariaDBMyCnfHasNoMySQLOnlyPorts) {
  std::string content = MyCnfContent(Doc(), nullptr, Flavor::kMariaDB);
  EXPECT_EQ(content.find("admin_port"), std::string::npos) << content;
  EXPECT_EQ(content.find("mysqlx_port"), std::string::npos);
  EXPECT_NE(content.find("slow_query_log_file = /var/log/mysql/mysql.slow\n"), std::string::npos);
  EXPECT_NE(content.find("gtid_strict_mode = ON\n"), std::string::npos);
}

TEST(RenderTest, DisableDefaultSecurityContext) {
  RenderOptions o;
  o.disable_default_security_context = true;
  auto r = RenderStatefulSet(Doc(), "cm", o);
  ASSERT_TRUE(r.ok());
  const json::value& ps = At(*r, {"spec", "template", "spec"});
  EXPECT_EQ(ps.as_object().if_contains("securityContext"), nullptr);
  for (std::string_view list : {"containers", "initContainers"}) {
    for (const auto& ct : ps.at(list).as_array()) {
      EXPECT_EQ(ct.as_object().if_contains("securityContext"), nullptr) << ct;
    }
  }
}

TEST(RenderTest, OverwriteContainersOnlyForSystemContainers) {
  json::object o = DocObject();
  SpecOf(o)["podTemplate"].as_object()["overwriteContainers"] = json::parse(R"([
    {"name": "agent", "resources": {"requests": {"cpu": "50m"}}},
    {"name": "moco-init", "securityContext": {"runAsUser": 1}},
    {"name": "copy-moco-init", "resources": {"limits": {"memory": "1Gi"}}},
    {"name": "slow-log", "resources": {"limits": {"cpu": "300m"}}},
    {"name": "mysqld", "resources": {"limits": {"cpu": "64"}}}
  ])");
  auto r = RenderStatefulSet(Parse(o), "cm", RenderOptions{});
  ASSERT_TRUE(r.ok());
  const json::value& ps = At(*r, {"spec", "template", "spec"});
  const json::object& agent = *Named(ps.at("containers"), "agent");
  EXPECT_EQ(agent.at("resources"), json::parse(R"({"requests": {"cpu": "50m"}})"));
  EXPECT_EQ(At(agent, {"securityContext", "runAsUser"}), json::value(10000));
  EXPECT_EQ(Named(ps.at("initContainers"), "moco-init")->at("securityContext"),
            json::parse(R"({"runAsUser": 1})"));
  EXPECT_EQ(
      Str(*Named(ps.at("initContainers"), "copy-moco-init"), {"resources", "limits", "memory"}),
      "1Gi");
  EXPECT_EQ(Str(*Named(ps.at("containers"), "slow-log"), {"resources", "limits", "cpu"}), "300m");
  // mysqld is the user's own container: overwriteContainers do not apply to it.
  EXPECT_EQ(Named(ps.at("containers"), "mysqld")->if_contains("resources"), nullptr);
}

TEST(RenderTest, MissingMysqldContainerIsInvalid) {
  json::object o = DocObject();
  SpecOf(o)["podTemplate"] =
      json::parse(R"({"spec": {"containers": [{"name": "x", "image": "y"}]}})");
  auto r = RenderStatefulSet(Parse(o), "cm", RenderOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("mysqld"), std::string::npos);
}

TEST(RenderTest, PodDisruptionBudget) {
  auto c = Doc();
  EXPECT_FALSE(RenderPodDisruptionBudget(c).has_value());  // 1 replica
  c.replicas = 3;
  auto pdb = RenderPodDisruptionBudget(c);
  ASSERT_TRUE(pdb.has_value());
  EXPECT_EQ(Str(*pdb, {"apiVersion"}), "policy/v1");
  ExpectOwned(*pdb, "PodDisruptionBudget", "moco-test");
  EXPECT_EQ(At(*pdb, {"spec", "maxUnavailable"}), json::value(1));
  EXPECT_EQ(At(*pdb, {"spec", "selector", "matchLabels"}), json::value(kClusterLabels));
  c.replicas = 5;
  EXPECT_EQ(At(*RenderPodDisruptionBudget(c), {"spec", "maxUnavailable"}), json::value(2));
}

TEST(RenderTest, OfflineScalesToZeroAndDropsThePdb) {
  json::object o = DocObject();
  SpecOf(o)["replicas"] = 3;
  SpecOf(o)["offline"] = true;
  auto c = Parse(o);
  auto r = RenderStatefulSet(c, "cm", RenderOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(At(*r, {"spec", "replicas"}), json::value(0));
  EXPECT_FALSE(RenderPodDisruptionBudget(c).has_value());
}

TEST(RenderTest, Deterministic) {
  json::object o = DocObject();
  SpecOf(o)["replicas"] = 3;
  SpecOf(o)["collectors"] = json::array{"a", "b"};
  SpecOf(o)["primaryServiceTemplate"] = json::parse(
      R"({"metadata": {"labels": {"z": "1", "a": "2"}}, "spec": {"type": "NodePort"}})");
  auto render_all = [&] {
    auto c = Parse(o);
    RenderOptions opt;
    std::map<std::string, std::string> user{{"b", "1"}, {"a", "2"}};
    json::array all{RenderControllerSecret(c, Pw(), opt),
                    RenderUserSecret(c, Pw()),
                    RenderMyCnfSecret(c, Pw()),
                    RenderMyCnfConfigMap(c, &user, Flavor::kMySQL),
                    *RenderSlowLogConfigMap(c),
                    RenderServiceAccount(c),
                    RenderHeadlessService(c),
                    RenderPrimaryService(c),
                    RenderReplicaService(c),
                    *RenderStatefulSet(c, "cm", opt),
                    *RenderPodDisruptionBudget(c)};
    return json::serialize(all);
  };
  std::string a = render_all();
  EXPECT_EQ(a, render_all());
  // Label maps come out sorted whatever the input order.
  EXPECT_NE(a.find(R"("labels":{"a":"2","app.kubernetes.io/created-by":"moco")"),
            std::string::npos);
}

TEST(RenderTest, StaleMyCnfConfigMaps) {
  std::vector<ConfigMapInfo> cms = {
      {"moco-test.00000001", "2026-01-01T00:00:01Z"},
      {"moco-test.00000002", "2026-01-01T00:00:02Z"},
      {"moco-test.00000003", "2026-01-01T00:00:03Z"},
      {"moco-test.00000004", "2026-01-01T00:00:04Z"},    // current
      {"moco-test.x.00000005", "2026-01-01T00:00:00Z"},  // cluster "test.x"
      {"moco-test-primary", "2026-01-01T00:00:00Z"},
      {"moco-testing.00000006", "2026-01-01T00:00:00Z"},
      {"moco-test.notahash", "2026-01-01T00:00:00Z"},
  };
  EXPECT_THAT(StaleMyCnfConfigMaps("test", "moco-test.00000004", cms, 1),
              ElementsAre("moco-test.00000001", "moco-test.00000002"));
  EXPECT_THAT(StaleMyCnfConfigMaps("test", "moco-test.00000004", cms, 0),
              ElementsAre("moco-test.00000001", "moco-test.00000002", "moco-test.00000003"));
  EXPECT_TRUE(StaleMyCnfConfigMaps("test", "moco-test.00000004", cms, 10).empty());
  EXPECT_THAT(StaleMyCnfConfigMaps("test.x", "", cms, 0), ElementsAre("moco-test.x.00000005"));
}

}  // namespace
}  // namespace kcx::mysql::controllers
