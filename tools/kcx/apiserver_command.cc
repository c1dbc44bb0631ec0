// `kcx apiserver`: a Kubernetes-compatible API server for one machine.

#include <signal.h>

#include <iostream>

#include "apiserver/apiserver.h"
#include "common/log.h"
#include "tools/kcx/commands.h"

namespace kcx::tools {

namespace {

struct ApiserverFlags {
  std::string data_dir;
  std::string storage;
  std::string bind = "127.0.0.1";
  int port = 6443;
  std::string kubeconfig;
  size_t watch_history = 10000;
  int threads = 2;
  std::string log_level = "info";
};

int RunApiserver(const ApiserverFlags& f) {
  log::Init(f.log_level, false);
  apiserver::ApiServerOptions o;
  o.data_dir = f.data_dir;
  o.storage = f.storage.empty() ? (f.data_dir.empty() ? "memory" : "sqlite") : f.storage;
  if (o.storage == "sqlite" && o.data_dir.empty()) {
    std::cerr << "kcx apiserver: durable storage needs --data-dir DIR (or use --storage memory)\n";
    return 2;
  }
  o.bind_address = f.bind;
  o.port = static_cast<uint16_t>(f.port);
  o.kubeconfig_path = f.kubeconfig;
  o.watch_history = f.watch_history;
  o.threads = f.threads;

  // Block the shutdown signals in every thread; the main thread waits for them below.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  apiserver::ApiServer server(o);
  if (Status st = server.Start(); !st.ok()) {
    std::cerr << "kcx apiserver: " << st.message() << "\n";
    return 1;
  }
  log::Info("kcx apiserver serving on {} (storage: {})", server.url(), o.storage);
  if (!server.kubeconfig_path().empty()) {
    std::cout << "kubeconfig: " << server.kubeconfig_path() << "\n"
              << "try: kubectl --kubeconfig " << server.kubeconfig_path() << " get namespaces\n"
              << std::flush;
  } else {
    std::cout << "serving on " << server.url() << " (no kubeconfig written)\n" << std::flush;
  }
  int sig = 0;
  sigwait(&set, &sig);
  log::Info("received signal {}, shutting down", sig);
  server.Stop();
  return 0;
}

}  // namespace

void RegisterApiserverCommand(CLI::App& app) {
  auto f = std::make_shared<ApiserverFlags>();
  auto* cmd = app.add_subcommand(
      "apiserver",
      "Run a Kubernetes-compatible API server (HTTPS, bearer token and client certificates). "
      "With --data-dir it keeps objects durably in SQLite and writes DIR/kubeconfig once ready.");
  cmd->add_option("--data-dir", f->data_dir, "Directory for storage, certificates and kubeconfig");
  cmd->add_option("--storage", f->storage,
                  "sqlite (durable, default with --data-dir) or memory (tests, benchmarks)")
      ->check(CLI::IsMember({"sqlite", "memory"}));
  cmd->add_option("--bind", f->bind, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", f->port, "Port to listen on; 0 picks a free one")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--kubeconfig", f->kubeconfig,
                  "Where to write the kubeconfig (default DIR/kubeconfig)");
  cmd->add_option("--watch-history", f->watch_history,
                  "Watch events kept per resource for resuming watches")
      ->capture_default_str();
  cmd->add_option("--threads", f->threads, "HTTP worker threads")->capture_default_str();
  cmd->add_option("--log-level", f->log_level, "debug, info, warn or error")
      ->capture_default_str();
  cmd->callback([f] { SetExitCode(RunApiserver(*f)); });
}

}  // namespace kcx::tools
