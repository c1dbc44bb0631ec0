#include "client/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace kcx::client {

namespace fs = std::filesystem;

namespace {

std::string Getenv(const KubeconfigOptions& o, const std::string& name) {
  if (auto it = o.env.find(name); it != o.env.end())
    return it->second;
  if (!o.use_process_env)
    return "";
  const char* v = std::getenv(name.c_str());
  return v ? v : "";
}

// One named entry (cluster, user or context) with the directory of the file it came from.
struct Named {
  YAML::Node node;
  std::string dir;
};

struct Merged {
  std::map<std::string, Named> clusters, users, contexts;
  std::string current_context;
};

std::string Str(const YAML::Node& n, const char* key) {
  const YAML::Node v = n[key];
  if (!v || !v.IsScalar())
    return "";
  return v.Scalar();
}

bool Bool(const YAML::Node& n, const char* key) {
  const YAML::Node v = n[key];
  if (!v || !v.IsScalar())
    return false;
  std::string s = v.Scalar();
  return s == "true" || s == "True" || s == "TRUE";
}

std::string Resolve(const std::string& dir, const std::string& path) {
  if (path.empty() || fs::path(path).is_absolute() || dir.empty())
    return path;
  return (fs::path(dir) / path).lexically_normal().string();
}

Status MergeFile(const std::string& path, Merged& m) {
  auto text = ReadWholeFile(path);
  if (!text)
    return NotFound("kubeconfig " + path + " cannot be read");
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return BadRequest("kubeconfig " + path + " is not valid YAML: " + e.what());
  }
  if (!root || root.IsNull())
    return Status::Ok();  // an empty file is an empty config
  if (!root.IsMap())
    return BadRequest("kubeconfig " + path + " is not a YAML mapping");
  std::string dir = fs::absolute(fs::path(path)).parent_path().string();
  auto add = [&](const char* list, const char* inner, std::map<std::string, Named>& into) {
    const YAML::Node l = root[list];
    if (!l || !l.IsSequence())
      return;
    for (const auto& item : l) {
      std::string name = Str(item, "name");
      if (name.empty() || into.count(name))
        continue;  // the first file to define it wins
      into[name] = Named{item[inner] ? item[inner] : YAML::Node(YAML::NodeType::Map), dir};
    }
  };
  try {
    add("clusters", "cluster", m.clusters);
    add("users", "user", m.users);
    add("contexts", "context", m.contexts);
    if (m.current_context.empty())
      m.current_context = Str(root, "current-context");
  } catch (const YAML::Exception& e) {
    return BadRequest("kubeconfig " + path + ": " + e.what());
  }
  return Status::Ok();
}

// A PEM value given as a file or as base64 data (data wins, as in client-go).
Result<std::string> PemFrom(const YAML::Node& n, const char* file_key, const char* data_key,
                            const std::string& dir) {
  std::string data = Str(n, data_key);
  if (!data.empty()) {
    auto d = Base64Decode(data);
    if (!d)
      return BadRequest(std::string(data_key) + " is not valid base64");
    return *d;
  }
  std::string file = Str(n, file_key);
  if (file.empty())
    return std::string();
  std::string p = Resolve(dir, file);
  auto t = ReadWholeFile(p);
  if (!t)
    return NotFound(std::string(file_key) + " " + p + " cannot be read");
  return *t;
}

Result<RestConfig> Build(const Merged& m, std::string_view context) {
  std::string ctx_name(context.empty() ? m.current_context : context);
  if (ctx_name.empty()) {
    return BadRequest("invalid configuration: no configuration has been provided");
  }
  auto ci = m.contexts.find(ctx_name);
  if (ci == m.contexts.end()) {
    return BadRequest("context \"" + ctx_name + "\" does not exist");
  }
  const YAML::Node& ctx = ci->second.node;
  RestConfig c;
  c.context = ctx_name;
  if (std::string ns = Str(ctx, "namespace"); !ns.empty())
    c.ns = ns;
  std::string cluster_name = Str(ctx, "cluster");
  auto cl = m.clusters.find(cluster_name);
  if (cl == m.clusters.end()) {
    return BadRequest("cluster \"" + cluster_name + "\" of context \"" + ctx_name +
                      "\" does not exist");
  }
  const YAML::Node& cluster = cl->second.node;
  c.host = Str(cluster, "server");
  if (c.host.empty())
    return BadRequest("cluster \"" + cluster_name + "\" has no server");
  c.tls.insecure_skip_verify = Bool(cluster, "insecure-skip-tls-verify");
  c.tls.server_name = Str(cluster, "tls-server-name");
  KCX_ASSIGN_OR_RETURN(c.tls.ca_pem, PemFrom(cluster, "certificate-authority",
                                             "certificate-authority-data", cl->second.dir));
  std::string user_name = Str(ctx, "user");
  if (!user_name.empty()) {
    auto ui = m.users.find(user_name);
    if (ui == m.users.end()) {
      return BadRequest("user \"" + user_name + "\" of context \"" + ctx_name +
                        "\" does not exist");
    }
    const YAML::Node& user = ui->second.node;
    const std::string& dir = ui->second.dir;
    KCX_ASSIGN_OR_RETURN(c.tls.client_cert_pem,
                         PemFrom(user, "client-certificate", "client-certificate-data", dir));
    KCX_ASSIGN_OR_RETURN(c.tls.client_key_pem, PemFrom(user, "client-key", "client-key-data", dir));
    c.bearer_token = Str(user, "token");
    if (c.bearer_token.empty())
      c.bearer_token_file = Resolve(dir, Str(user, "tokenFile"));
    if (const YAML::Node ex = user["exec"]; ex && ex.IsMap()) {
      ExecConfig e;
      e.api_version = Str(ex, "apiVersion");
      e.command = Str(ex, "command");
      if (e.command.find('/') != std::string::npos)
        e.command = Resolve(dir, e.command);
      if (const YAML::Node a = ex["args"]; a && a.IsSequence()) {
        for (const auto& x : a)
          e.args.push_back(x.Scalar());
      }
      if (const YAML::Node en = ex["env"]; en && en.IsSequence()) {
        for (const auto& x : en)
          e.env.emplace_back(Str(x, "name"), Str(x, "value"));
      }
      e.install_hint = Str(ex, "installHint");
      e.provide_cluster_info = Bool(ex, "provideClusterInfo");
      e.interactive_mode = Str(ex, "interactiveMode");
      if (e.command.empty())
        return BadRequest("exec plugin of user \"" + user_name + "\" has no command");
      if (e.api_version != "client.authentication.k8s.io/v1" &&
          e.api_version != "client.authentication.k8s.io/v1beta1") {
        return BadRequest("exec plugin: invalid apiVersion \"" + e.api_version + "\"");
      }
      c.exec = std::move(e);
    }
  }
  if (!c.tls.client_cert_pem.empty() != !c.tls.client_key_pem.empty()) {
    return BadRequest("client-certificate and client-key must be given together");
  }
  return c;
}

std::string HomeConfig(const KubeconfigOptions& o) {
  std::string home = Getenv(o, "HOME");
  return home.empty() ? "" : home + "/.kube/config";
}

}  // namespace

Result<RestConfig> LoadKubeconfigFiles(const std::vector<std::string>& files,
                                       std::string_view context, bool require_all) {
  Merged m;
  bool any = false;
  for (const auto& f : files) {
    if (f.empty())
      continue;
    if (!require_all && !fs::exists(f))
      continue;
    KCX_RETURN_IF_ERROR(MergeFile(f, m));
    any = true;
  }
  if (!any)
    return NotFound("no kubeconfig file found");
  return Build(m, context);
}

Result<RestConfig> LoadKubeconfig(const KubeconfigOptions& opts) {
  if (!opts.explicit_path.empty()) {
    return LoadKubeconfigFiles({opts.explicit_path}, opts.context, true);
  }
  std::string list = Getenv(opts, "KUBECONFIG");
  if (!list.empty()) {
    std::vector<std::string> files;
    for (auto p : Split(list, ':'))
      files.emplace_back(p);
    return LoadKubeconfigFiles(files, opts.context);
  }
  std::string home = HomeConfig(opts);
  if (home.empty())
    return NotFound("no kubeconfig: KUBECONFIG and HOME are unset");
  return LoadKubeconfigFiles({home}, opts.context);
}

Result<RestConfig> InClusterConfig(const InClusterOptions& opts) {
  std::string host = opts.service_host, port = opts.service_port;
  if (host.empty()) {
    const char* h = std::getenv("KUBERNETES_SERVICE_HOST");
    host = h ? h : "";
  }
  if (port.empty()) {
    const char* p = std::getenv("KUBERNETES_SERVICE_PORT");
    port = p ? p : "";
  }
  if (host.empty() || port.empty()) {
    return NotFound(
        "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
        "KUBERNETES_SERVICE_PORT must be defined");
  }
  RestConfig c;
  bool v6 = host.find(':') != std::string::npos;
  c.host = "https://" + (v6 ? "[" + host + "]" : host) + ":" + port;
  c.bearer_token_file = opts.secrets_dir + "/token";
  if (!fs::exists(c.bearer_token_file)) {
    return NotFound("in-cluster token " + c.bearer_token_file + " does not exist");
  }
  auto ca = ReadWholeFile(opts.secrets_dir + "/ca.crt");
  if (ca)
    c.tls.ca_pem = *ca;
  if (auto ns = ReadWholeFile(opts.secrets_dir + "/namespace")) {
    std::string n(Trim(*ns));
    if (!n.empty())
      c.ns = n;
  }
  return c;
}

Result<RestConfig> LoadDefaultConfig(const KubeconfigOptions& opts) {
  if (!opts.explicit_path.empty() || !Getenv(opts, "KUBECONFIG").empty()) {
    return LoadKubeconfig(opts);
  }
  if (!Getenv(opts, "KUBERNETES_SERVICE_HOST").empty()) {
    InClusterOptions ic;
    ic.service_host = Getenv(opts, "KUBERNETES_SERVICE_HOST");
    ic.service_port = Getenv(opts, "KUBERNETES_SERVICE_PORT");
    return InClusterConfig(ic);
  }
  return LoadKubeconfig(opts);
}

}  // namespace kcx::client
