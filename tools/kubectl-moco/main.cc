// kubectl-moco: the kubectl plugin for MOCO's MySQLCluster API (see moco.h). kubectl finds it
// on PATH as `kubectl moco ...`; it also runs on its own as `kubectl-moco ...`.
//
// Exit codes: 0 on success (and for --help), 1 on any error (printed to stderr as
// "Error: ..."), as MOCO's plugin; `mysql` replaces itself with `kubectl exec`, so its exit
// code is kubectl's.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "tools/kubectl-moco/moco.h"

namespace {

namespace km = kcx::kubectl_moco;

int Fail(const std::string& message) {
  std::cerr << "Error: " << message << "\n";
  return 1;
}

int Report(const kcx::Status& s) { return s.ok() ? 0 : Fail(s.message()); }

// Options after the subcommand (`kubectl moco credential x -n ns`) reach the root app.
CLI::App* Sub(CLI::App& parent, const std::string& name, const std::string& description) {
  CLI::App* sub = parent.add_subcommand(name, description);
  sub->fallthrough();
  return sub;
}

const std::vector<std::string> kUsers = {
    std::string(km::kReadOnlyUser), std::string(km::kWritableUser), std::string(km::kAdminUser)};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kubectl-moco: the utility command for MOCO's MySQLCluster (kcx)"};
  app.name("kubectl-moco");
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("kubectl-moco (kcx) ") + KCX_VERSION);

  km::GlobalFlags flags;
  app.add_option("--kubeconfig", flags.kubeconfig, "Path to the kubeconfig file to use");
  app.add_option("--context", flags.context, "The name of the kubeconfig context to use");
  app.add_option("-n,--namespace", flags.ns, "The namespace of the MySQLCluster");

  std::string cluster;
  // The command to run once parsing succeeded.
  std::function<int()> run;

  // mysql
  km::MysqlExec mysql_exec;
  int index = -1;
  std::vector<std::string> mysql_args;
  CLI::App* mysql = Sub(app, "mysql", "Run the mysql command in a MySQL instance of a cluster");
  mysql->footer(
      "Runs `kubectl exec` into the mysqld container of the primary instance (or --index) "
      "and executes mysql with the user's credentials. Put mysql's own options after `--`, "
      "e.g. kubectl moco mysql mycluster -- -e 'SELECT 1'.");
  mysql->add_option("-u,--mysql-user", mysql_exec.user, "User for login to mysql")
      ->check(CLI::IsMember(kUsers))
      ->capture_default_str();
  mysql->add_option("--index", index,
                    "Index of the target MySQL instance (default: the current primary)");
  mysql->add_flag("-i,--stdin", mysql_exec.stdin_, "Pass stdin to the mysql container");
  mysql->add_flag("-t,--tty", mysql_exec.tty, "Allocate a TTY to stdin");
  mysql->add_option("CLUSTER", cluster, "The MySQLCluster's name")->required();
  mysql->add_option("ARGS", mysql_args, "Arguments passed to mysql (after --)");
  mysql->callback([&] {
    run = [&]() -> int {
      auto c = km::MocoClient::Connect(flags);
      if (!c.ok())
        return Report(c.status());
      mysql_exec.args = mysql_args;
      auto args = km::MysqlArgv(**c, flags, cluster, mysql_exec, index);
      if (!args.ok())
        return Report(args.status());
      std::vector<char*> cargs;
      for (auto& a : *args)
        cargs.push_back(a.data());
      cargs.push_back(nullptr);
      std::cout.flush();
      execvp(cargs[0], cargs.data());
      return Fail(std::string("cannot run kubectl: ") + std::strerror(errno));
    };
  });

  // credential
  std::string cred_user = std::string(km::kReadOnlyUser);
  std::string cred_format = "plain";
  CLI::App* credential = Sub(app, "credential", "Print the password of a MySQL user of a cluster");
  credential->add_option("-u,--mysql-user", cred_user, "The MySQL user")
      ->check(CLI::IsMember(kUsers))
      ->capture_default_str();
  credential->add_option("--format", cred_format, "The output format: plain or mycnf")
      ->check(CLI::IsMember({"plain", "mycnf"}))
      ->capture_default_str();
  credential->add_option("CLUSTER", cluster, "The MySQLCluster's name")->required();
  credential->callback([&] {
    run = [&]() -> int {
      auto c = km::MocoClient::Connect(flags);
      if (!c.ok())
        return Report(c.status());
      return Report(km::Credential(**c, cluster, cred_user, cred_format, std::cout));
    };
  });

  // switchover
  CLI::App* switchover =
      Sub(app, "switchover", "Switch the primary instance over to one of the replicas");
  switchover->add_option("CLUSTER", cluster, "The MySQLCluster's name")->required();
  switchover->callback([&] {
    run = [&]() -> int {
      auto c = km::MocoClient::Connect(flags);
      if (!c.ok())
        return Report(c.status());
      return Report(km::Switchover(**c, cluster, std::cout));
    };
  });

  // stop|start clustering|reconciliation
  for (bool stop : {true, false}) {
    CLI::App* verb = Sub(app, stop ? "stop" : "start",
                         stop ? "Stop the clustering or the reconciliation of a MySQLCluster"
                              : "Start the clustering or the reconciliation of a MySQLCluster");
    verb->require_subcommand(1);
    for (std::string what : {"clustering", "reconciliation"}) {
      CLI::App* sub =
          Sub(*verb, what,
              std::string(stop ? "Stop" : "Start") + " the " + what + " of a MySQLCluster (" +
                  (stop ? "sets" : "removes") + " the annotation " +
                  (what == "clustering" ? "moco.cybozu.com/clustering-stopped"
                                        : "moco.cybozu.com/reconciliation-stopped") +
                  ")");
      sub->add_option("CLUSTER", cluster, "The MySQLCluster's name")->required();
      sub->callback([&, stop, what] {
        run = [&, stop, what]() -> int {
          auto c = km::MocoClient::Connect(flags);
          if (!c.ok())
            return Report(c.status());
          return Report(km::SetStopped(**c, what, stop, cluster, std::cout));
        };
      });
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version print to stdout and succeed; usage errors exit 1 like the others.
    return app.exit(e) == 0 ? 0 : 1;
  }
  if (!run)
    return Fail("no command given");
  return run();
}
