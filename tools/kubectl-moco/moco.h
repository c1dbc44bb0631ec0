#pragma once

// kubectl-moco: the kubectl plugin of MOCO's API (moco.cybozu.com/v1beta2 MySQLCluster), on
// kcx's client. The commands (MOCO's cmd/kubectl-moco):
//   mysql        exec `mysql` in the mysqld container of the primary (or --index) Pod
//   credential   print a user's password from the user Secret moco-<cluster>
//   switchover   annotate the primary Pod with moco.cybozu.com/demote=true
//   stop|start clustering|reconciliation
//                set/remove moco.cybozu.com/{clustering,reconciliation}-stopped on the cluster
//
// The pure parts (argv construction, output formats, target Pod choice) are free functions so
// that unit tests check them without a server; the rest talks to the API server through
// MocoClient. Errors are kcx::Status; main.cc prints them and exits 1, as MOCO's plugin does.

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "client/config.h"
#include "client/rest_client.h"
#include "common/status.h"
#include "operators/mysql/api/mysqlcluster.h"

namespace kcx::kubectl_moco {

// MOCO's users for `mysql -u` and `credential -u`.
inline constexpr std::string_view kReadOnlyUser = "moco-readonly";
inline constexpr std::string_view kWritableUser = "moco-writable";
inline constexpr std::string_view kAdminUser = "moco-admin";
// Where MOCO mounts the my.cnf Secret in the mysqld container (constants.MyCnfSecretPath):
// "<dir>/<user>-my.cnf" holds the user's credentials.
inline constexpr std::string_view kMyCnfDir = "/mysql-credentials";
// The annotation value MOCO's password Secrets carry under moco.cybozu.com/secret-version.
inline constexpr std::string_view kPasswordSecretVersion = "1";

// The kubectl-style flags every command honours.
struct GlobalFlags {
  std::string kubeconfig;  // --kubeconfig: replaces $KUBECONFIG
  std::string context;     // --context
  std::string ns;          // -n/--namespace; empty: the context's namespace
};

// The key of a user's password in the user Secret ("READONLY_PASSWORD", ...); Invalid for
// another user.
Result<std::string> PasswordKey(std::string_view user);

// `credential --format`: "plain" is the password and a newline; "mycnf" a [client] section.
Result<std::string> FormatCredential(std::string_view user, std::string_view password,
                                     std::string_view format);

// The Pod index `mysql` targets: --index when >= 0 (and < spec.replicas), else
// status.currentPrimaryIndex.
Result<int> TargetIndex(const mysql::api::MySQLCluster& cluster, int index_flag);

struct MysqlExec {
  std::string ns;
  std::string pod;
  std::string user = std::string(kReadOnlyUser);
  bool stdin_ = false;            // -i
  bool tty = false;               // -t
  std::vector<std::string> args;  // passed to mysql after the credentials file
};

// The `kubectl exec` command line `mysql` runs: the global flags passed through, then
//   exec [-i] [-t] <pod> -c mysqld -- mysql --defaults-extra-file=/mysql-credentials/<user>-my.cnf
//   <args...>
// argv[0] is "kubectl" (looked up on PATH).
std::vector<std::string> BuildMysqlExecArgv(const GlobalFlags& flags, const MysqlExec& e);

// A connection to the API server with the namespace the commands work in.
class MocoClient {
 public:
  // Loads the kubeconfig as kubectl does (--kubeconfig, else $KUBECONFIG, else in-cluster,
  // else ~/.kube/config), with --context and -n applied.
  static Result<std::unique_ptr<MocoClient>> Connect(const GlobalFlags& flags);

  const std::string& ns() const { return ns_; }

  // NotFound reads 'MySQLCluster "<ns>/<name>" not found'.
  Result<mysql::api::MySQLCluster> GetCluster(std::string_view name);
  Result<boost::json::object> GetSecret(std::string_view name);
  // JSON merge patches of metadata.annotations; a nullopt value removes the key.
  Status AnnotatePod(std::string_view pod, std::string_view key,
                     const std::optional<std::string>& value);
  Status AnnotateCluster(std::string_view name, std::string_view key,
                         const std::optional<std::string>& value);

 private:
  MocoClient(std::unique_ptr<client::RestClient> rest, std::string ns)
      : rest_(std::move(rest)), ns_(std::move(ns)) {}
  Result<boost::json::value> Get(const std::string& path);
  Status MergePatch(const std::string& path, const boost::json::value& body);

  std::unique_ptr<client::RestClient> rest_;
  std::string ns_;
};

// The commands. Output goes to `out`; failures come back as Status (the caller prints them).
Status Credential(MocoClient& c, std::string_view cluster, std::string_view user,
                  std::string_view format, std::ostream& out);
Status Switchover(MocoClient& c, std::string_view cluster, std::ostream& out);
// what: "clustering" or "reconciliation"; stop sets the annotation, start removes it.
Status SetStopped(MocoClient& c, std::string_view what, bool stop, std::string_view cluster,
                  std::ostream& out);
// Reads the cluster and returns the kubectl exec argv for `mysql`.
Result<std::vector<std::string>> MysqlArgv(MocoClient& c, const GlobalFlags& flags,
                                           std::string_view cluster, MysqlExec e, int index);

}  // namespace kcx::kubectl_moco
