#pragma once

// Client configuration (client-go's rest.Config and clientcmd): where the API server is, how
// to trust it and how to authenticate, loaded from kubeconfig files or from inside a Pod.
//
// Kubeconfig loading follows kubectl:
//   - KUBECONFIG may list several files (':'-separated). Missing files are skipped. For
//     clusters, users and contexts the first file that defines a name wins; current-context
//     comes from the first file that sets it.
//   - An explicit path (--kubeconfig) replaces KUBECONFIG and must exist.
//   - Relative certificate-authority, client-certificate, client-key and tokenFile paths, and
//     exec commands containing a '/', are relative to the file that names them.
//   - certificate-authority-data / client-*-data are base64 in YAML, PEM after loading.
//   - token wins over tokenFile; tokenFile is re-read on use (it rotates).
//   - exec credential plugins (client.authentication.k8s.io/v1 and v1beta1) are run on demand
//     and their credentials cached until expirationTimestamp (see exec_credential.h).
//
// In-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, the service account token
// (re-read, it rotates), CA and namespace under /var/run/secrets/kubernetes.io/serviceaccount.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/transport.h"
#include "common/status.h"

namespace kcx::client {

// An exec credential plugin as the kubeconfig user names it.
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 (or v1beta1)
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string install_hint;
  bool provide_cluster_info = false;
  std::string interactive_mode;  // Never, IfAvailable, Always
};

struct RestConfig {
  std::string host;  // "https://host:port"
  TlsConfig tls;
  std::string bearer_token;
  std::string bearer_token_file;  // used when bearer_token is empty; re-read on use
  std::optional<ExecConfig> exec;
  std::string ns = "default";  // the context's namespace
  std::string context;         // the context the config came from ("" in-cluster)
  std::string user_agent = "kcx/0.1";
  // Client-side rate limit (token bucket); qps <= 0 turns it off. controller-runtime's
  // defaults.
  double qps = 20;
  int burst = 30;
  std::chrono::milliseconds timeout{0};  // per request; 0 = the client's default
};

struct KubeconfigOptions {
  std::string explicit_path;  // --kubeconfig: replaces KUBECONFIG; must exist
  std::string context;        // --context: instead of current-context
  // Environment lookups, injectable for tests. Defaults: getenv.
  std::map<std::string, std::string> env;
  bool use_process_env = true;
};

// Loads a kubeconfig: explicit_path, else $KUBECONFIG's files, else ~/.kube/config.
Result<RestConfig> LoadKubeconfig(const KubeconfigOptions& opts = {});
// Loads and merges the given files in order (missing ones skipped unless `require_all`).
Result<RestConfig> LoadKubeconfigFiles(const std::vector<std::string>& files,
                                       std::string_view context = "", bool require_all = false);

struct InClusterOptions {
  std::string service_host, service_port;  // default: the environment variables
  std::string secrets_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};
// The config of a process running in a Pod. NotFound-style error when not in a cluster.
Result<RestConfig> InClusterConfig(const InClusterOptions& opts = {});

// controller-runtime's GetConfig order: explicit path, $KUBECONFIG, in-cluster,
// ~/.kube/config.
Result<RestConfig> LoadDefaultConfig(const KubeconfigOptions& opts = {});

}  // namespace kcx::client
