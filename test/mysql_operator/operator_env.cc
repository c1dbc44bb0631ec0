#include "test/mysql_operator/operator_env.h"

#include <gtest/gtest.h>

#include "client/config.h"
#include "net/http_server.h"

namespace kcx::testenv {

namespace json = boost::json;

std::string Str(const json::value& v, std::initializer_list<const char*> path) {
  const json::value* cur = &v;
  for (const char* k : path) {
    if (!cur->is_object())
      return "";
    cur = cur->as_object().if_contains(k);
    if (!cur)
      return "";
  }
  if (cur->is_string())
    return std::string(cur->as_string());
  return json::serialize(*cur);
}

std::string ConditionField(const json::value& cluster, const std::string& type, const char* field) {
  const json::value* st = cluster.is_object() ? cluster.as_object().if_contains("status") : nullptr;
  if (!st || !st->is_object() || !st->as_object().contains("conditions"))
    return "";
  for (const auto& c : st->as_object().at("conditions").as_array()) {
    if (c.as_object().at("type").as_string() == type)
      return Str(c, {field});
  }
  return "";
}

OperatorEnv::OperatorEnv(Options o) : opts_(o) {
  srv_ = TestApiServer::Start();
  for (const char* ns : {"foo", "moco-system"}) {
    auto r = srv_->Call("POST", "/api/v1/namespaces", json::value{{"metadata", {{"name", ns}}}});
    EXPECT_EQ(r.code, 201) << r.body;
  }
  auto r = srv_->Call(
      "POST", "/api/v1/namespaces/foo/configmaps",
      json::value{{"metadata", {{"name", "mycnf"}}}, {"data", {{"max_connections", "500"}}}});
  EXPECT_EQ(r.code, 201) << r.body;
}

OperatorEnv::~OperatorEnv() { StopOperator(); }

void OperatorEnv::StartOperator() {
  client::KubeconfigOptions ko;
  ko.explicit_path = srv_->kubeconfig();
  auto rest = client::LoadKubeconfig(ko);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  mysql::OperatorConfig cfg;
  cfg.metrics_port = 0;
  cfg.health_port = 0;
  cfg.handle_signals = false;
  cfg.install_crds = true;
  cfg.clustering = opts_.clustering;
  cfg.clustering_options.port = opts_.clustering_port;
  cfg.clustering_options.manager.check_interval = opts_.check_interval;
  cfg.clustering_options.fast_detection = opts_.fast_detection;
  cfg.reconciler.resize_requeue = opts_.resize_requeue;
  cfg.reconciler.flavor = mysql::Flavor::kMariaDB;
  auto op = mysql::Operator::Create(*rest, cfg);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  op_ = std::move(*op);
  run_ = std::thread([this] {
    Status s = op_->Run();
    EXPECT_TRUE(s.ok()) << s.ToString();
  });
  ASSERT_TRUE(Eventually([&] { return op_->manager().Ready(); }, 60s));
}

void OperatorEnv::StopOperator() {
  if (!op_)
    return;
  op_->Stop();
  if (run_.joinable())
    run_.join();
  op_.reset();
}

json::value OperatorEnv::Get(const std::string& path) {
  auto r = srv_->Call("GET", path);
  if (r.code != 200)
    return nullptr;
  return r.json;
}

std::string OperatorEnv::Uid(const std::string& path) {
  json::value v = Get(path);
  if (!v.is_object())
    return "";
  const json::value* uid = v.as_object().at("metadata").as_object().if_contains("uid");
  return uid && uid->is_string() ? std::string(uid->as_string()) : "";
}

bool OperatorEnv::Settle(std::chrono::milliseconds quiet) {
  auto& q = op_->controller().queue();
  uint64_t last = op_->reconciler().writes();
  auto since = std::chrono::steady_clock::now();
  return Eventually(
      [&] {
        uint64_t w = op_->reconciler().writes();
        auto now = std::chrono::steady_clock::now();
        if (w != last || q.Len() > 0) {
          last = w;
          since = now;
          return false;
        }
        return now - since >= quiet;
      },
      60s);
}

void OperatorEnv::Resync(const std::string& ns, const std::string& name) {
  uint64_t before = op_->controller().reconciles();
  op_->controller().queue().Add({ns, name});
  ASSERT_TRUE(Eventually([&] {
    return op_->controller().reconciles() > before && op_->controller().queue().Len() == 0;
  }));
}

std::vector<std::string> OperatorEnv::EventMessages(const std::string& ns,
                                                    const std::string& reason) {
  op_->events().Flush();
  std::vector<std::string> out;
  json::value list = Get("/api/v1/namespaces/" + ns + "/events");
  if (!list.is_object())
    return out;
  for (const auto& e : list.as_object().at("items").as_array()) {
    const json::object& o = e.as_object();
    if (o.contains("reason") && o.at("reason").as_string() == reason) {
      out.emplace_back(o.at("message").as_string());
    }
  }
  return out;
}

std::string OperatorEnv::Metrics() {
  auto r = net::HttpCall("127.0.0.1", op_->manager().metrics_port(), "GET", "/metrics");
  return r.ok() ? r->body : "";
}

void OperatorEnv::SetStatefulSetStatus(const std::string& ns, const std::string& name, int ready) {
  std::string path = "/apis/apps/v1/namespaces/" + ns + "/statefulsets/" + name;
  for (int attempt = 0; attempt < 10; ++attempt) {
    json::value sts = Get(path);
    ASSERT_TRUE(sts.is_object());
    json::object& o = sts.as_object();
    int64_t gen = o["metadata"].as_object()["generation"].to_number<int64_t>();
    int64_t replicas = o["spec"].as_object()["replicas"].to_number<int64_t>();
    o["status"] = json::object{{"observedGeneration", gen},       {"replicas", replicas},
                               {"readyReplicas", ready},          {"availableReplicas", ready},
                               {"currentReplicas", replicas},     {"updatedReplicas", replicas},
                               {"currentRevision", name + "-r1"}, {"updateRevision", name + "-r1"}};
    auto r = srv_->Call("PUT", path + "/status", sts);
    if (r.code == 200)
      return;
    ASSERT_EQ(r.code, 409) << r.body;
  }
  FAIL() << "could not write the StatefulSet status";
}

void OperatorEnv::CreatePodsAndPvcs(const std::string& ns, const std::string& cluster, int replicas,
                                    const std::string& storage, const std::string& storage_class) {
  std::string sts_name = "moco-" + cluster;
  json::object labels{{"app.kubernetes.io/name", "mysql"},
                      {"app.kubernetes.io/instance", cluster},
                      {"app.kubernetes.io/created-by", "moco"}};
  for (int i = 0; i < replicas; ++i) {
    std::string pod = sts_name + "-" + std::to_string(i);
    json::object pvc{{"metadata", {{"name", "mysql-data-" + pod}, {"labels", labels}}},
                     {"spec",
                      {{"accessModes", json::array{"ReadWriteOnce"}},
                       {"storageClassName", storage_class},
                       {"resources", {{"requests", {{"storage", storage}}}}}}}};
    auto r = srv_->Call("POST", "/api/v1/namespaces/" + ns + "/persistentvolumeclaims",
                        json::value(pvc));
    ASSERT_EQ(r.code, 201) << r.body;
    CreatePod(ns, cluster, i);
  }
}

void OperatorEnv::CreatePod(const std::string& ns, const std::string& cluster, int index) {
  std::string sts_name = "moco-" + cluster;
  json::value sts = Get("/apis/apps/v1/namespaces/" + ns + "/statefulsets/" + sts_name);
  ASSERT_TRUE(sts.is_object());
  std::string sts_uid(sts.as_object().at("metadata").as_object().at("uid").as_string());
  std::string pod = sts_name + "-" + std::to_string(index);
  json::object pl{{"app.kubernetes.io/name", "mysql"},
                  {"app.kubernetes.io/instance", cluster},
                  {"app.kubernetes.io/created-by", "moco"},
                  {"statefulset.kubernetes.io/pod-name", pod}};
  json::object p{
      {"metadata",
       {{"name", pod},
        {"labels", pl},
        {"ownerReferences", json::array{json::object{{"apiVersion", "apps/v1"},
                                                     {"kind", "StatefulSet"},
                                                     {"name", sts_name},
                                                     {"uid", sts_uid},
                                                     {"controller", true},
                                                     {"blockOwnerDeletion", true}}}}}},
      {"spec",
       {{"containers",
         json::array{json::object{{"name", "mysqld"}, {"image", "quay.io/cybozu/mysql:8.0.28"}}}},
        {"volumes", json::array{json::object{
                        {"name", "mysql-data"},
                        {"persistentVolumeClaim", {{"claimName", "mysql-data-" + pod}}}}}}}}};
  auto r = srv_->Call("POST", "/api/v1/namespaces/" + ns + "/pods", json::value(p));
  ASSERT_EQ(r.code, 201) << r.body;
}

}  // namespace kcx::testenv
