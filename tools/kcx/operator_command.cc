// `kcx operator`: the MySQL operator (MOCO's moco-controller, kcx edition).

#include <arpa/inet.h>

#include <iostream>

#include "client/config.h"
#include "common/log.h"
#include "operators/mysql/cmd/operator.h"
#include "tools/kcx/commands.h"

namespace kcx::tools {
namespace {

struct OperatorFlags {
  std::string kubeconfig, context, log_level = "info";
  bool log_json = false;
  std::string metrics_bind = "127.0.0.1:8080", health_bind = "127.0.0.1:8081";
  std::string flavor = "mysql";
  std::string address = "pod-ip";
  int check_interval_s = 60;
  mysql::OperatorConfig cfg;
};

// "host:port" or ":port" (all addresses) → (host, port); "0" or "-1" turn the server off.
// The host is an IP address ("[::1]" for IPv6) or localhost: the servers bind addresses, not
// names, and a bad one must fail here (exit 2), not after the CRDs are installed.
bool ParseBind(const std::string& s, std::string* host, int* port) {
  if (s == "0" || s == "-1") {
    *port = -1;
    return true;
  }
  auto colon = s.rfind(':');
  if (colon == std::string::npos)
    return false;
  std::string h = colon == 0 ? "0.0.0.0" : s.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']')
    h = h.substr(1, h.size() - 2);
  if (h == "localhost")
    h = "127.0.0.1";
  unsigned char buf[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, h.c_str(), buf) != 1 && inet_pton(AF_INET6, h.c_str(), buf) != 1) {
    return false;
  }
  *host = h;
  // Digits only: std::stoi alone would take "80x" as 80 and "-1" as a port.
  std::string digits = s.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *port = std::stoi(digits);
  return *port <= 65535;
}

int RunOperator(OperatorFlags& f) {
  log::Init(f.log_level, f.log_json);
  std::string host;
  if (!ParseBind(f.metrics_bind, &host, &f.cfg.metrics_port)) {
    std::cerr << "kcx operator: --metrics-bind-address must be host:port, :port or 0\n";
    return 2;
  }
  if (f.cfg.metrics_port >= 0)
    f.cfg.bind_address = host;
  std::string health_host = host;
  if (!ParseBind(f.health_bind, &health_host, &f.cfg.health_port)) {
    std::cerr << "kcx operator: --health-probe-bind-address must be host:port, :port or 0\n";
    return 2;
  }
  if (f.cfg.metrics_port < 0)
    f.cfg.bind_address = health_host;
  if (f.cfg.metrics_port >= 0 && f.cfg.health_port >= 0 && health_host != host) {
    std::cerr << "kcx operator: metrics and health probes must bind the same address\n";
    return 2;
  }
  if (f.flavor == "mysql") {
    f.cfg.reconciler.flavor = mysql::Flavor::kMySQL;
    f.cfg.clustering_options.port = 33062;  // MySQL 8's admin port, as MOCO
  } else if (f.flavor == "mariadb") {
    f.cfg.reconciler.flavor = mysql::Flavor::kMariaDB;
    f.cfg.clustering_options.port = 3306;  // MariaDB has no admin port
  } else {
    std::cerr << "kcx operator: --flavor must be mysql or mariadb\n";
    return 2;
  }
  if (f.address != "pod-ip" && f.address != "hostname") {
    std::cerr << "kcx operator: --instance-address must be pod-ip or hostname\n";
    return 2;
  }
  f.cfg.clustering_options.use_pod_hostnames = f.address == "hostname";
  f.cfg.clustering_options.manager.check_interval = std::chrono::seconds(f.check_interval_s);
  if (f.cfg.webhook_port >= 0 && f.cfg.webhook_cert_dir.empty()) {
    std::cerr << "kcx operator: --webhook-port needs --webhook-cert-dir (tls.crt, tls.key)\n";
    return 2;
  }
  client::KubeconfigOptions ko;
  ko.explicit_path = f.kubeconfig;
  ko.context = f.context;
  auto rest = client::LoadDefaultConfig(ko);
  if (!rest.ok()) {
    std::cerr << "kcx operator: " << rest.status().ToString() << "\n";
    return 1;
  }
  auto op = mysql::Operator::Create(std::move(*rest), f.cfg);
  if (!op.ok()) {
    std::cerr << "kcx operator: " << op.status().ToString() << "\n";
    return 1;
  }
  Status s = (*op)->Run();
  if (!s.ok()) {
    std::cerr << "kcx operator: " << s.ToString() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void RegisterOperatorCommand(CLI::App& app) {
  auto f = std::make_shared<OperatorFlags>();
  CLI::App* cmd = app.add_subcommand(
      "operator", "Run the MySQL operator (MOCO's API, moco.cybozu.com/v1beta2 MySQLCluster)");
  cmd->add_option("--kubeconfig", f->kubeconfig,
                  "kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  cmd->add_option("--context", f->context, "kubeconfig context");
  cmd->add_option("--namespace", f->cfg.controller_namespace,
                  "the operator's namespace: controller Secrets and the leader lease")
      ->capture_default_str();
  cmd->add_flag("--leader-elect", f->cfg.leader_elect, "elect a leader among replicas");
  cmd->add_option("--leader-election-id", f->cfg.leader_election_id, "the lease name")
      ->capture_default_str();
  cmd->add_option("--metrics-bind-address", f->metrics_bind, "host:port, :port, or 0 (off)")
      ->capture_default_str();
  cmd->add_option("--health-probe-bind-address", f->health_bind,
                  "host:port, :port, or 0 (off): /healthz and /readyz")
      ->capture_default_str();
  cmd->add_option("--webhook-port", f->cfg.webhook_port, "HTTPS admission webhooks (-1: off)")
      ->capture_default_str();
  cmd->add_option("--webhook-cert-dir", f->cfg.webhook_cert_dir,
                  "directory with tls.crt and tls.key for the webhooks");
  cmd->add_option("--install-crds", f->cfg.install_crds, "create or update the CRDs at start")
      ->capture_default_str();
  cmd->add_option("--agent-image", f->cfg.reconciler.render.agent_image,
                  "image that runs the agent and init (the kcx binary)")
      ->capture_default_str();
  cmd->add_option("--max-concurrent-reconciles", f->cfg.reconciler.max_concurrent_reconciles)
      ->capture_default_str();
  cmd->add_option("--mysql-configmap-history-limit",
                  f->cfg.reconciler.render.configmap_history_limit,
                  "old my.cnf ConfigMaps kept per cluster")
      ->capture_default_str();
  cmd->add_flag("--disable-default-security-context",
                f->cfg.reconciler.render.disable_default_security_context,
                "no runAsUser/fsGroup 10000 (OpenShift)");
  cmd->add_option("--flavor", f->flavor, "mysql or mariadb")->capture_default_str();
  cmd->add_option("--instance-address", f->address,
                  "how clustering reaches instances: pod-ip or hostname")
      ->capture_default_str();
  cmd->add_option("--check-interval", f->check_interval_s, "clustering check interval (s)")
      ->capture_default_str();
  cmd->add_option("--clustering", f->cfg.clustering, "run the clustering managers")
      ->capture_default_str();
  cmd->add_option("--log-level", f->log_level)->capture_default_str();
  cmd->add_flag("--log-json", f->log_json, "JSON log lines");
  cmd->callback([f] { SetExitCode(RunOperator(*f)); });
}

}  // namespace kcx::tools
