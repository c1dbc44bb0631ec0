// `kcx operator` as a user runs it: the real binary (a child process) against a real kcx
// apiserver (in-process, HTTPS) and real kubectl. Flags and usage errors; CRD installation,
// /readyz and /metrics; a MySQLCluster applied with kubectl gets its StatefulSet; leader
// election between two processes with a graceful hand-over on SIGTERM; the admission webhooks
// served by the process over HTTPS with a certificate from --webhook-cert-dir.

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "api/json.h"
#include "apiserver/pki/pki.h"
#include "common/strings.h"
#include "net/http_server.h"
#include "operators/mysql/api/webhook.h"
#include "test/compat/process.h"
#include "test/mysql_operator/operator_env.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

int FreePort() {
  // Bind port 0 to learn a free port, then release it for the operator to bind.
  net::HttpServer s;
  if (!s.Start("127.0.0.1", 0, [](const net::HttpRequest&) { return net::HttpResponse{}; }).ok())
    return 0;
  int p = s.port();
  s.Stop();
  return p;
}

// The value of the first sample of `family` whose label set contains every one of `labels`
// (e.g. `controller="mysqlcluster"`); -1 when there is none.
double Sample(const std::string& text, const std::string& family,
              const std::vector<std::string>& labels) {
  for (std::string_view line : Split(text, '\n')) {
    if (line.rfind(family + "{", 0) != 0 && line.rfind(family + " ", 0) != 0)
      continue;
    auto end = line.rfind(' ');
    if (end == std::string_view::npos)
      continue;
    std::string_view set = line.substr(0, end);
    bool all = true;
    for (const auto& l : labels)
      all = all && set.find(l) != std::string_view::npos;
    if (all)
      return std::stod(std::string(line.substr(end + 1)));
  }
  return -1;
}

// One `kcx operator` child with its metrics and health ports.
class OperatorProcess {
 public:
  // Starts the operator and waits until its health server answers. A port picked by FreePort
  // may be taken by someone else before the operator binds it: then it exits 1 with "listen
  // on ..." and is started again on other ports.
  OperatorProcess(const TestApiServer& srv, std::vector<std::string> extra) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      metrics_port_ = FreePort();
      health_port_ = FreePort();
      std::vector<std::string> argv{
          KCX_BINARY, "operator", "--kubeconfig", srv.kubeconfig(), "--namespace", "moco-system",
          "--metrics-bind-address", "127.0.0.1:" + std::to_string(metrics_port_),
          // localhost is 127.0.0.1, the metrics' address.
          "--health-probe-bind-address", "localhost:" + std::to_string(health_port_), "--flavor",
          "mariadb"};
      argv.insert(argv.end(), extra.begin(), extra.end());
      p_ = std::make_unique<Process>(argv);
      int exited = -1;
      Eventually(
          [&] {
            if (Probe("/healthz") == 200)
              return true;
            exited = p_->Wait(0);
            return exited != -1;
          },
          60s);
      if (exited == -1 || Log().find("listen on 127.0.0.1:") == std::string::npos)
        return;
    }
  }

  Process& proc() { return *p_; }
  pid_t pid() const { return p_->pid(); }
  // The operator logs to stderr: read it as we go so a full pipe never blocks the child.
  void Drain() { p_->Drain(0); }
  std::string Log() {
    Drain();
    return p_->err() + p_->out();
  }

  // HTTP status of GET path on the health port (0 when unreachable).
  int Probe(const std::string& path) {
    Drain();
    auto r = net::HttpCall("127.0.0.1", health_port_, "GET", path);
    return r.ok() ? r->status : 0;
  }
  std::string Metrics() {
    Drain();
    auto r = net::HttpCall("127.0.0.1", metrics_port_, "GET", "/metrics");
    return r.ok() && r->status == 200 ? r->body : "";
  }
  double Reconciles() {
    return Sample(Metrics(), "controller_runtime_reconcile_total",
                  {"controller=\"mysqlcluster\"", "result=\"success\""});
  }
  // Exit code after SIGTERM (-1 if it did not exit within the deadline).
  int Terminate(int timeout_ms = 30000) {
    p_->Signal(SIGTERM);
    return p_->Wait(timeout_ms);
  }

 private:
  std::unique_ptr<Process> p_;
  int metrics_port_ = 0, health_port_ = 0;
};

class OperatorProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_ = TestApiServer::Start();
    for (const char* ns : {"foo", "moco-system"}) {
      auto r = srv_->Call("POST", "/api/v1/namespaces", json::value{{"metadata", {{"name", ns}}}});
      ASSERT_EQ(r.code, 201) << r.body;
    }
    auto r = srv_->Call(
        "POST", "/api/v1/namespaces/foo/configmaps",
        json::value{{"metadata", {{"name", "mycnf"}}}, {"data", {{"max_connections", "500"}}}});
    ASSERT_EQ(r.code, 201) << r.body;
  }

  CommandResult Kubectl(const std::vector<std::string>& args, const std::string& in = "") {
    return srv_->Kubectl(args, in);
  }
  bool Exists(const std::string& path) { return srv_->Call("GET", path).code == 200; }
  bool StatefulSetExists(const std::string& name) {
    return Exists("/apis/apps/v1/namespaces/foo/statefulsets/" + name);
  }
  std::string LeaseHolder() {
    auto r = srv_->Call("GET", "/apis/coordination.k8s.io/v1/namespaces/moco-system/leases/moco");
    if (r.code != 200)
      return "";
    return std::string(api::GetStringPath(r.json, {"spec", "holderIdentity"}));
  }
  // The doc manifest under another name.
  static std::string Manifest(const std::string& name) {
    std::string m = kDocManifest;
    std::string from = "name: default";
    m.replace(m.find(from), from.size(), "name: " + name);
    return m;
  }
  // Polls `pred` (draining the operators' output between tries) for up to `limit`.
  template <typename F>
  bool Poll(F pred, std::vector<OperatorProcess*> ops, std::chrono::milliseconds limit = 60s) {
    return Eventually(
        [&] {
          for (auto* o : ops)
            o->Drain();
          return pred();
        },
        limit);
  }

  std::unique_ptr<TestApiServer> srv_;
};

TEST(OperatorProcessFlags, HelpListsFlagsAndUsageErrorsExitTwo) {
  auto help = RunCommand({KCX_BINARY, "operator", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  for (const char* flag :
       {"--kubeconfig", "--namespace", "--leader-elect", "--leader-election-id",
        "--metrics-bind-address", "--health-probe-bind-address", "--webhook-port",
        "--webhook-cert-dir", "--install-crds", "--agent-image", "--max-concurrent-reconciles",
        "--flavor", "--check-interval", "--log-level"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag << "\n" << help.out;
  }

  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"--flavor", "oracle"}, "kcx operator: --flavor must be mysql or mariadb\n"},
      {{"--metrics-bind-address", "nonsense"},
       "kcx operator: --metrics-bind-address must be host:port, :port or 0\n"},
      {{"--metrics-bind-address", "127.0.0.1:80x"},
       "kcx operator: --metrics-bind-address must be host:port, :port or 0\n"},
      {{"--metrics-bind-address", "metrics.example:8080"},
       "kcx operator: --metrics-bind-address must be host:port, :port or 0\n"},
      {{"--health-probe-bind-address", "127.0.0.1:70000"},
       "kcx operator: --health-probe-bind-address must be host:port, :port or 0\n"},
      {{"--instance-address", "dns"},
       "kcx operator: --instance-address must be pod-ip or hostname\n"},
      {{"--webhook-port", "9443"},
       "kcx operator: --webhook-port needs --webhook-cert-dir (tls.crt, tls.key)\n"},
      // Errors of the flag parser itself exit 2 as well (not CLI11's own codes).
      {{"--no-such-flag"}, "--no-such-flag"},
      {{"--webhook-port", "abc"}, "abc"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv{KCX_BINARY, "operator"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = RunCommand(argv, {}, "", 30);
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args[0] << ": " << r.err;
  }
}

TEST_F(OperatorProcessTest, InstallsCrdsBecomesReadyReconcilesAndStopsOnSigterm) {
  EXPECT_NE(Kubectl({"get", "crd", "mysqlclusters.moco.cybozu.com"}).exit_code, 0);
  OperatorProcess op(*srv_, {});
  ASSERT_TRUE(Poll([&] { return op.Probe("/readyz") == 200; }, {&op})) << op.Log();
  EXPECT_EQ(op.Probe("/healthz"), 200);
  auto crd = Kubectl({"get", "crd", "mysqlclusters.moco.cybozu.com", "-o",
                      "jsonpath={.status.conditions[?(@.type==\"Established\")].status}"});
  EXPECT_EQ(crd.out, "True") << crd.err;
  EXPECT_EQ(Kubectl({"get", "crd", "backuppolicies.moco.cybozu.com"}).exit_code, 0);

  std::string m = op.Metrics();
  EXPECT_NE(m.find("# TYPE controller_runtime_reconcile_total counter"), std::string::npos) << m;
  EXPECT_NE(m.find("# TYPE moco_cluster_reconciliation_stopped gauge"), std::string::npos) << m;
  EXPECT_EQ(Sample(m, "moco_cluster_reconciliation_stopped", {"name=\"default\""}), -1) << m;

  auto r = Kubectl({"apply", "-f", "-"}, kDocManifest);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "mysqlcluster.moco.cybozu.com/default created\n");
  ASSERT_TRUE(Poll([&] { return StatefulSetExists("moco-default"); }, {&op})) << op.Log();
  auto sts = Kubectl({"get", "statefulset", "-n", "foo", "moco-default", "-o",
                      "jsonpath={.spec.replicas} {.spec.serviceName} "
                      "{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}"});
  EXPECT_EQ(sts.out, "1 moco-default MySQLCluster/default") << sts.err;

  // The reconcile shows in the metrics: controller-runtime's counters and MOCO's per-cluster
  // gauges (reconciliation and clustering are not stopped).
  ASSERT_TRUE(Poll([&] { return op.Reconciles() >= 1; }, {&op})) << op.Metrics();
  m = op.Metrics();
  EXPECT_EQ(
      Sample(m, "moco_cluster_reconciliation_stopped", {"name=\"default\"", "namespace=\"foo\""}),
      0)
      << m;
  EXPECT_EQ(Sample(m, "moco_cluster_clustering_stopped", {"name=\"default\"", "namespace=\"foo\""}),
            0)
      << m;
  EXPECT_GE(
      Sample(m, "controller_runtime_reconcile_time_seconds_count", {"controller=\"mysqlcluster\""}),
      1)
      << m;

  // Stopping reconciliation (kubectl moco stop reconciliation sets this annotation) flips the
  // gauge.
  auto stop = Kubectl({"annotate", "mysqlcluster", "-n", "foo", "default",
                       "moco.cybozu.com/reconciliation-stopped=true"});
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_TRUE(Poll(
      [&] {
        return Sample(op.Metrics(), "moco_cluster_reconciliation_stopped",
                      {"name=\"default\"", "namespace=\"foo\""}) == 1;
      },
      {&op}))
      << op.Metrics();

  // SIGTERM: a clean exit.
  EXPECT_EQ(op.Terminate(), 0) << op.Log();
  EXPECT_NE(op.Log().find("shutting down"), std::string::npos) << op.Log();
  EXPECT_EQ(op.Probe("/healthz"), 0);
}

TEST_F(OperatorProcessTest, LeaderElectionHandsOverOnSigterm) {
  std::vector<std::unique_ptr<OperatorProcess>> ops;
  for (int i = 0; i < 2; ++i) {
    ops.push_back(
        std::make_unique<OperatorProcess>(*srv_, std::vector<std::string>{"--leader-elect"}));
  }
  std::vector<OperatorProcess*> all{ops[0].get(), ops[1].get()};
  auto suffix = [](OperatorProcess& o) { return "_" + std::to_string(o.pid()); };
  auto holds = [&](OperatorProcess& o) {
    std::string h = LeaseHolder(), s = suffix(o);
    return h.size() > s.size() && h.compare(h.size() - s.size(), s.size(), s) == 0;
  };
  // Both serve health; one of them holds the Lease moco-system/moco.
  ASSERT_TRUE(Poll([&] { return ops[0]->Probe("/healthz") == 200; }, all)) << ops[0]->Log();
  ASSERT_TRUE(Poll([&] { return ops[1]->Probe("/healthz") == 200; }, all)) << ops[1]->Log();
  ASSERT_TRUE(Poll([&] { return holds(*ops[0]) || holds(*ops[1]); }, all))
      << LeaseHolder() << "\n"
      << ops[0]->Log() << ops[1]->Log();
  int leader = holds(*ops[0]) ? 0 : 1;
  OperatorProcess& first = *ops[leader];
  OperatorProcess& second = *ops[1 - leader];
  ASSERT_TRUE(Poll([&] { return first.Probe("/readyz") == 200; }, all)) << first.Log();

  // Only the leader reconciles.
  ASSERT_EQ(Kubectl({"apply", "-f", "-"}, kDocManifest).exit_code, 0);
  ASSERT_TRUE(Poll([&] { return StatefulSetExists("moco-default"); }, all)) << first.Log();
  ASSERT_TRUE(Poll([&] { return first.Reconciles() >= 1; }, all)) << first.Metrics();
  EXPECT_TRUE(holds(first)) << LeaseHolder();
  EXPECT_LE(second.Reconciles(), 0) << second.Metrics();
  // The standby is ready too (it serves webhooks behind the Service), as controller-runtime's.
  EXPECT_EQ(second.Probe("/readyz"), 200) << second.Log();

  // SIGTERM to the leader: it exits 0 promptly and releases the Lease; the other takes over.
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(first.Terminate(), 0) << first.Log();
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 20s);
  EXPECT_NE(first.Log().find("shutting down"), std::string::npos) << first.Log();
  {
    std::string h = LeaseHolder();
    EXPECT_TRUE(h.empty() || holds(second)) << "lease still held by the stopped leader: " << h;
  }
  // The release lets the successor in at its next retry (2 s), not after the lease (15 s);
  // the deadline is generous for loaded machines.
  ASSERT_TRUE(Poll([&] { return holds(second); }, {&second})) << LeaseHolder() << second.Log();
  ASSERT_TRUE(Poll([&] { return second.Probe("/readyz") == 200; }, {&second})) << second.Log();
  ASSERT_EQ(Kubectl({"apply", "-f", "-"}, Manifest("second")).exit_code, 0);
  ASSERT_TRUE(Poll([&] { return StatefulSetExists("moco-second"); }, {&second})) << second.Log();
  EXPECT_GE(Sample(second.Metrics(), "moco_cluster_reconciliation_stopped", {"name=\"second\""}),
            0);

  // A third replica joins as a standby; SIGTERM to it exits 0 and leaves the Lease alone.
  OperatorProcess third(*srv_, {"--leader-elect"});
  ASSERT_TRUE(Poll([&] { return third.Probe("/healthz") == 200; }, {&second, &third}))
      << third.Log();
  EXPECT_EQ(third.Terminate(), 0) << third.Log();
  EXPECT_TRUE(holds(second)) << LeaseHolder();
  EXPECT_EQ(third.Log().find("became leader"), std::string::npos) << third.Log();

  // The last one stops: the Lease is left without a holder.
  EXPECT_EQ(second.Terminate(), 0) << second.Log();
  EXPECT_EQ(LeaseHolder(), "");
}

TEST_F(OperatorProcessTest, ServesAdmissionWebhooksFromCertDir) {
  auto pki = apiserver::GeneratePki({"127.0.0.1"});
  ASSERT_TRUE(pki.ok()) << pki.status().ToString();
  TempDir certs("kcx-operator-certs");
  {
    std::ofstream(certs.path() + "/tls.crt") << pki->serving_cert_pem;
    std::ofstream(certs.path() + "/tls.key") << pki->serving_key_pem;
  }
  const int port = FreePort();
  ASSERT_GT(port, 0);
  OperatorProcess op(*srv_,
                     {"--webhook-port", std::to_string(port), "--webhook-cert-dir", certs.path()});
  ASSERT_TRUE(Poll([&] { return op.Probe("/readyz") == 200; }, {&op})) << op.Log();

  std::string base = "https://127.0.0.1:" + std::to_string(port);
  std::string ca = Base64Encode(pki->ca_cert_pem);
  auto hook = [&](std::string_view name, std::string_view path, const std::string& ops) {
    return "- name: " + std::string(name) +
           "\n  admissionReviewVersions: [v1]\n  sideEffects: None\n"
           "  failurePolicy: Fail\n  clientConfig:\n    url: " +
           base + std::string(path) + "\n    caBundle: " + ca +
           "\n  rules:\n  - operations: " + ops +
           "\n    apiGroups: [moco.cybozu.com]\n    apiVersions: [v1beta2]\n"
           "    resources: [mysqlclusters]\n";
  };
  std::string cfg =
      "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\n"
      "metadata:\n  name: moco-mutating-webhook-configuration\nwebhooks:\n" +
      hook(mysql::api::kMutatingWebhookName, mysql::api::kMutatePath, "[CREATE]") +
      "---\napiVersion: admissionregistration.k8s.io/v1\n"
      "kind: ValidatingWebhookConfiguration\n"
      "metadata:\n  name: moco-validating-webhook-configuration\nwebhooks:\n" +
      hook(mysql::api::kValidatingWebhookName, mysql::api::kValidatePath, "[CREATE, UPDATE]");
  auto reg = Kubectl({"apply", "-f", "-"}, cfg);
  ASSERT_EQ(reg.exit_code, 0) << reg.err;

  // A valid cluster: the mutating webhook adds the finalizer and a serverIDBase.
  auto r = Kubectl({"apply", "-f", "-"}, kDocManifest);
  ASSERT_EQ(r.exit_code, 0) << r.err << op.Log();
  auto got = Kubectl({"get", "mysqlcluster", "-n", "foo", "default", "-o",
                      "jsonpath={.metadata.finalizers} {.spec.serverIDBase}"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  auto sp = got.out.find(' ');
  ASSERT_NE(sp, std::string::npos) << got.out;
  EXPECT_EQ(got.out.substr(0, sp), "[\"moco.cybozu.com/mysqlcluster\"]");
  long long base_id = std::atoll(got.out.c_str() + sp + 1);
  EXPECT_GE(base_id, 1) << got.out;
  EXPECT_LE(base_id, 1LL << 30) << got.out;
  // And the controller in the same process reconciles it.
  EXPECT_TRUE(Poll([&] { return StatefulSetExists("moco-default"); }, {&op})) << op.Log();

  // Invalid clusters are refused with the validation message.
  std::string long_name(41, 'a');
  auto bad = Kubectl({"apply", "-f", "-"}, Manifest(long_name));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(bad.err, "The MySQLCluster \"" + long_name + "\" is invalid: metadata.name: Invalid " +
                         "value: \"" + long_name +
                         "\": required name must be 40 characters or less\n");
  std::string even = Manifest("even");
  even.replace(even.find("spec:\n"), 6, "spec:\n  replicas: 2\n");
  auto bad2 = Kubectl({"apply", "-f", "-"}, even);
  EXPECT_NE(bad2.exit_code, 0);
  EXPECT_EQ(bad2.err,
            "The MySQLCluster \"even\" is invalid: spec.replicas: Invalid value: 2: replicas "
            "must be a positive odd number\n");
  auto list = Kubectl({"get", "mysqlclusters", "-n", "foo", "-o", "name"});
  EXPECT_EQ(list.out, "mysqlcluster.moco.cybozu.com/default\n");

  EXPECT_EQ(op.Terminate(), 0) << op.Log();
  // The webhook server is gone with the process: the API server now fails closed.
  auto after = Kubectl({"apply", "-f", "-"}, Manifest("late"));
  EXPECT_NE(after.exit_code, 0) << after.out;
  EXPECT_NE(after.err.find("mmysqlcluster.kb.io"), std::string::npos) << after.err;
}

}  // namespace
}  // namespace kcx::testenv
