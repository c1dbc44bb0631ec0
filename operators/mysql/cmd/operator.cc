#include "operators/mysql/cmd/operator.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/log.h"
#include "common/strings.h"
#include "operators/mysql/api/crds.h"
#include "operators/mysql/api/webhook.h"

namespace kcx::mysql {

Result<std::unique_ptr<Operator>> Operator::Create(client::RestConfig rest, OperatorConfig cfg) {
  std::unique_ptr<Operator> op(new Operator());
  op->cfg_ = std::move(cfg);
  OperatorConfig& c = op->cfg_;
  // An operator reconciling many clusters at start needs more than client-go's 20 qps: a
  // new cluster costs ~17 requests (14 writes), so 1,000 clusters created at once are 17,000
  // requests, which 500 qps settles in ~35 s (docs/benchmarks.md, "MySQL operator"; 200 qps
  // took 89 s). The server side is not the limit: unthrottled, kcx apiserver took 9 s.
  if (rest.qps > 0 && rest.qps < 500) {
    rest.qps = 500;
    rest.burst = 1000;
  }
  rest.user_agent = "moco-controller/kcx";
  KCX_ASSIGN_OR_RETURN(op->client_, client::RestClient::Create(std::move(rest)));

  runtime::ManagerOptions mo;
  mo.bind_address = c.bind_address;
  mo.metrics_port = c.metrics_port;
  mo.health_port = c.health_port;
  mo.handle_signals = c.handle_signals;
  if (c.leader_elect) {
    runtime::LeaderElectionConfig le;
    le.lease_namespace = c.controller_namespace;
    le.lease_name = c.leader_election_id;
    le.identity = c.identity;
    if (le.identity.empty()) {
      char host[256] = {};
      gethostname(host, sizeof(host) - 1);
      le.identity = std::string(host) + "_" + std::to_string(getpid());
    }
    mo.leader_election = std::move(le);
  }
  op->manager_ = std::make_unique<runtime::Manager>(op->client_.get(), std::move(mo));
  op->events_ = std::make_unique<runtime::EventRecorder>(op->client_.get(), "moco-controller");
  c.reconciler.controller_namespace = c.controller_namespace;
  op->reconciler_ = std::make_unique<controllers::MySQLClusterReconciler>(
      op->client_.get(), &op->manager_->metrics(), op->events_.get(), c.reconciler);
  controllers::MySQLClusterReconciler* rec = op->reconciler_.get();
  runtime::Controller& ctl = op->manager_->NewController(
      "mysqlcluster", [rec](const runtime::Request& r) { return rec->Reconcile(r); });
  rec->Setup(ctl);
  op->controller_ = &ctl;
  if (c.clustering) {
    c.clustering_options.controller_namespace = c.controller_namespace;
    op->clustering_ = std::make_unique<controllers::ClusteringRunner>(
        op->client_.get(), &ctl, op->events_.get(), c.clustering_options);
    rec->SetClusteringHooks(op->clustering_.get());
    controllers::ClusteringRunner* runner = op->clustering_.get();
    op->manager_->metrics().AddCollector(
        [runner](std::string& out) { runner->RenderMetrics(out); });
  }
  return op;
}

Operator::~Operator() {
  Stop();
  if (clustering_)
    clustering_->StopAll();
}

namespace {

Result<std::string> ReadFile(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text)
    return NotFound("cannot read " + path);
  return std::move(*text);
}

}  // namespace

Status Operator::Run() {
  log::Info("moco-controller (kcx): controller namespace {}, leader election {}",
            cfg_.controller_namespace, cfg_.leader_elect ? "on" : "off");
  if (cfg_.install_crds) {
    Status s = api::EnsureCrds(*client_, std::chrono::seconds(60));
    if (!s.ok())
      return Status(s.reason(), "installing the CRDs: " + s.message());
  }
  // Every replica serves the webhooks, leader or not (the Service spreads reviews).
  std::unique_ptr<api::WebhookServer> webhooks;
  if (cfg_.webhook_port >= 0) {
    api::WebhookServer::Options wo;
    wo.host = cfg_.webhook_bind_address;
    wo.port = cfg_.webhook_port;
    KCX_ASSIGN_OR_RETURN(wo.cert_pem, ReadFile(cfg_.webhook_cert_dir + "/tls.crt"));
    KCX_ASSIGN_OR_RETURN(wo.key_pem, ReadFile(cfg_.webhook_cert_dir + "/tls.key"));
    wo.storage_classes = api::ClientStorageClassLookup(*client_);
    webhooks = std::make_unique<api::WebhookServer>();
    KCX_RETURN_IF_ERROR(webhooks->Start(std::move(wo)));
    webhook_port_ = webhooks->port();
    log::Info("admission webhooks on {}:{}", cfg_.webhook_bind_address, webhook_port_);
  }
  Status s = manager_->Run();
  if (webhooks)
    webhooks->Stop();
  // The controller has stopped: no reconcile will start a worker any more.
  if (clustering_)
    clustering_->StopAll();
  events_->Flush();
  return s;
}

void Operator::Stop() {
  if (manager_)
    manager_->Stop();
}

}  // namespace kcx::mysql
