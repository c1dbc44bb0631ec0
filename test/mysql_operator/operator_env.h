#pragma once

// A MySQL operator running in-process against a real `kcx apiserver` (HTTPS on 127.0.0.1,
// port 0), with the CRDs installed the way `kcx operator` installs them. There is no kubelet
// or StatefulSet controller here: tests that need Pods and PVCs create them as the StatefulSet
// controller would, and write StatefulSet status by hand.

#include <boost/json.hpp>
#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>

#include "operators/mysql/cmd/operator.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {

using namespace std::chrono_literals;

template <typename F>
bool Eventually(F pred, std::chrono::milliseconds limit = 30s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred())
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// The value at `path` as text: strings as they are, anything else as JSON ("" if absent).
std::string Str(const boost::json::value& v, std::initializer_list<const char*> path);
// A field ("status", "reason", "message") of the condition `type` of a MySQLCluster.
std::string ConditionField(const boost::json::value& cluster, const std::string& type,
                           const char* field = "status");

// The MySQLCluster of MOCO's documentation, unchanged.
inline constexpr const char* kDocManifest = R"(apiVersion: moco.cybozu.com/v1beta2
kind: MySQLCluster
metadata:
  namespace: foo
  name: default
spec:
  mysqlConfigMapName: mycnf
  podTemplate:
    spec:
      containers:
      - name: mysqld
        image: quay.io/cybozu/mysql:8.0.28
  volumeClaimTemplates:
  - metadata:
      name: mysql-data
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources:
        requests:
          storage: 1Gi
)";

class OperatorEnv {
 public:
  struct Options {
    bool clustering = false;
    // The clustering workers (when on): the port of the instances (MariaDB: 3306), the pass
    // interval, and fast detection (a watch connection per instance).
    int clustering_port = 3306;
    std::chrono::milliseconds check_interval{300};
    bool fast_detection = false;
    std::chrono::milliseconds resize_requeue{200};
  };
  explicit OperatorEnv(Options o);
  OperatorEnv() : OperatorEnv(Options{}) {}
  ~OperatorEnv();

  TestApiServer& srv() { return *srv_; }
  mysql::Operator& op() { return *op_; }

  // Starts the operator (installs the CRDs) and waits until it is ready.
  void StartOperator();
  void StopOperator();

  // GET of an API path; null when it is not 200.
  boost::json::value Get(const std::string& path);
  bool Exists(const std::string& path) { return !Get(path).is_null(); }
  std::string Uid(const std::string& path);
  // Waits until the operator's work queue is empty and no reconcile is running, and the number
  // of writes has not moved for a while.
  bool Settle(std::chrono::milliseconds quiet = 500ms);
  // Reconciles one cluster again and waits for that reconcile to finish.
  void Resync(const std::string& ns, const std::string& name);
  // Events of the namespace with this reason (their messages).
  std::vector<std::string> EventMessages(const std::string& ns, const std::string& reason);
  // The metrics text of the operator.
  std::string Metrics();
  // Makes the StatefulSet look settled (or not): writes status as its controller would.
  void SetStatefulSetStatus(const std::string& ns, const std::string& name, int ready);
  // Creates Pods and PVCs for `replicas` instances as the StatefulSet controller would.
  void CreatePodsAndPvcs(const std::string& ns, const std::string& cluster, int replicas,
                         const std::string& storage, const std::string& storage_class);
  // Creates the Pod of instance `index` alone (as the StatefulSet controller re-creates one).
  void CreatePod(const std::string& ns, const std::string& cluster, int index);

 private:
  Options opts_;
  std::unique_ptr<TestApiServer> srv_;
  std::unique_ptr<mysql::Operator> op_;
  std::thread run_;
};

}  // namespace kcx::testenv
