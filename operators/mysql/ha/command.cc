// `kcx mysql ha --config FILE` and `kcx mysql ha switchover --config FILE [--to N]`.

#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "common/log.h"
#include "operators/mysql/ha/service.h"
#include "tools/kcx/commands.h"

namespace kcx::tools {
namespace {

int RunHa(const std::string& config_path, const std::string& level) {
  log::Init(level, false);
  auto cfg = mysql::ha::LoadHaConfig(config_path);
  if (!cfg.ok()) {
    std::cerr << "kcx mysql ha: " << cfg.status().ToString() << "\n";
    return 2;
  }
  // Block the signals before any thread starts so that only sigwait sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  mysql::ha::HaService svc(std::move(*cfg));
  Status st = svc.Start();
  if (!st.ok()) {
    std::cerr << "kcx mysql ha: " << st.ToString() << "\n";
    return 1;
  }
  int sig = 0;
  sigwait(&set, &sig);
  log::Info("mysql ha: signal {}, stopping", sig);
  svc.Stop();
  return 0;
}

int RunSwitchover(const std::string& config_path, int to, int timeout_s) {
  auto cfg = mysql::ha::LoadHaConfig(config_path);
  if (!cfg.ok()) {
    std::cerr << "kcx mysql ha switchover: " << cfg.status().ToString() << "\n";
    return 2;
  }
  std::string target = "/switchover";
  if (to >= 0)
    target += "?to=" + std::to_string(to);
  auto r = net::HttpCall(cfg->listen_host, cfg->listen_port, "POST", target);
  if (!r.ok()) {
    std::cerr << "kcx mysql ha switchover: " << r.status().ToString() << "\n";
    return 1;
  }
  if (r->status != 202) {
    std::cerr << "kcx mysql ha switchover: refused (" << r->status << "): " << r->body;
    return 1;
  }
  int before = -1;
  {
    boost::system::error_code ec;
    auto v = boost::json::parse(r->body, ec);
    if (!ec && v.is_object())
      before = static_cast<int>(v.as_object().at("primary").as_int64());
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto s = net::HttpCall(cfg->listen_host, cfg->listen_port, "GET", "/status");
    if (!s.ok())
      continue;
    boost::system::error_code ec;
    auto v = boost::json::parse(s->body, ec);
    if (ec || !v.is_object())
      continue;
    const auto& o = v.as_object();
    if (o.at("switchoverPending").as_bool())
      continue;
    const int now = static_cast<int>(o.at("primary").as_int64());
    if (now == before) {
      std::cerr << "kcx mysql ha switchover: primary is still instance " << now
                << " (see the service log)\n";
      return 1;
    }
    std::cout << "primary: instance " << before << " -> instance " << now << "\n";
    return 0;
  }
  std::cerr << "kcx mysql ha switchover: no result within " << timeout_s << " s\n";
  return 1;
}

}  // namespace

void RegisterMysqlCommand(CLI::App& app) {
  auto* mysql = app.add_subcommand("mysql", "MySQL/MariaDB clustering");
  mysql->require_subcommand(1);
  auto* ha = mysql->add_subcommand(
      "ha", "Run the clustering manager over host:port instances from a config file");
  static std::string config, level = "info";
  static int to = -1, timeout_s = 120;
  ha->add_option("--config", config, "config file (YAML)");
  ha->add_option("--log-level", level, "debug, info, warn, error");
  auto* sw = ha->add_subcommand("switchover", "Ask a running `kcx mysql ha` for a switchover");
  sw->add_option("--config", config, "config file (YAML)")->required();
  sw->add_option("--to", to, "index of the new primary (default: lowest good replica)");
  sw->add_option("--timeout", timeout_s, "seconds to wait for the result");
  sw->callback([] { SetExitCode(RunSwitchover(config, to, timeout_s)); });
  ha->callback([ha, sw] {
    if (sw->parsed())
      return;
    (void)ha;
    if (config.empty()) {
      std::cerr << "kcx mysql ha: --config is required\n";
      SetExitCode(2);
      return;
    }
    SetExitCode(RunHa(config, level));
  });
}

}  // namespace kcx::tools
