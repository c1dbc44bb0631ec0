#include "tools/kubectl-moco/moco.h"

#include <utility>

#include "api/json.h"
#include "client/errors.h"
#include "common/strings.h"

namespace kcx::kubectl_moco {

namespace json = boost::json;
namespace mapi = kcx::mysql::api;

Result<std::string> PasswordKey(std::string_view user) {
  if (user == kReadOnlyUser)
    return std::string("READONLY_PASSWORD");
  if (user == kWritableUser)
    return std::string("WRITABLE_PASSWORD");
  if (user == kAdminUser)
    return std::string("ADMIN_PASSWORD");
  return Invalid("invalid user " + std::string(user) + " (want " + std::string(kReadOnlyUser) +
                 ", " + std::string(kWritableUser) + " or " + std::string(kAdminUser) + ")");
}

Result<std::string> FormatCredential(std::string_view user, std::string_view password,
                                     std::string_view format) {
  if (format == "plain")
    return std::string(password) + "\n";
  if (format == "mycnf") {
    return "[client]\nuser=" + std::string(user) + "\npassword=\"" + std::string(password) + "\"\n";
  }
  return Invalid("unknown format " + std::string(format) + " (want plain or mycnf)");
}

Result<int> TargetIndex(const mapi::MySQLCluster& cluster, int index_flag) {
  if (index_flag >= cluster.replicas) {
    return Invalid("--index must be smaller than spec.replicas (" +
                   std::to_string(cluster.replicas) + ")");
  }
  if (index_flag >= 0)
    return index_flag;
  return cluster.current_primary_index;
}

std::vector<std::string> BuildMysqlExecArgv(const GlobalFlags& flags, const MysqlExec& e) {
  std::vector<std::string> argv = {"kubectl"};
  if (!flags.kubeconfig.empty())
    argv.push_back("--kubeconfig=" + flags.kubeconfig);
  if (!flags.context.empty())
    argv.push_back("--context=" + flags.context);
  argv.push_back("--namespace=" + e.ns);
  argv.push_back("exec");
  if (e.stdin_)
    argv.push_back("-i");
  if (e.tty)
    argv.push_back("-t");
  argv.push_back(e.pod);
  argv.push_back("-c");
  argv.push_back(std::string(mapi::kMysqldContainer));
  argv.push_back("--");
  argv.push_back("mysql");
  argv.push_back("--defaults-extra-file=" + std::string(kMyCnfDir) + "/" + e.user + "-my.cnf");
  argv.insert(argv.end(), e.args.begin(), e.args.end());
  return argv;
}

Result<std::unique_ptr<MocoClient>> MocoClient::Connect(const GlobalFlags& flags) {
  client::KubeconfigOptions opts;
  opts.explicit_path = flags.kubeconfig;
  opts.context = flags.context;
  KCX_ASSIGN_OR_RETURN(auto cfg, client::LoadDefaultConfig(opts));
  std::string ns = !flags.ns.empty() ? flags.ns : (cfg.ns.empty() ? "default" : cfg.ns);
  cfg.user_agent = "kubectl-moco/kcx";
  KCX_ASSIGN_OR_RETURN(auto rest, client::RestClient::Create(std::move(cfg)));
  return std::unique_ptr<MocoClient>(new MocoClient(std::move(rest), std::move(ns)));
}

Result<json::value> MocoClient::Get(const std::string& path) {
  client::RestRequest req;
  req.path = path;
  KCX_ASSIGN_OR_RETURN(auto resp, rest_->Do(req));
  return api::ParseJson(resp.body);
}

Status MocoClient::MergePatch(const std::string& path, const json::value& body) {
  client::RestRequest req;
  req.verb = "PATCH";
  req.path = path;
  req.content_type = "application/merge-patch+json";
  req.body = json::serialize(body);
  auto r = rest_->Do(req);
  return r.ok() ? Status::Ok() : r.status();
}

namespace {

std::string ClusterPath(std::string_view ns, std::string_view name) {
  return "/apis/" + std::string(mapi::kGroup) + "/" + std::string(mapi::kVersion) + "/namespaces/" +
         std::string(ns) + "/" + std::string(mapi::kResource) + "/" + std::string(name);
}

std::string CorePath(std::string_view ns, std::string_view resource, std::string_view name) {
  return "/api/v1/namespaces/" + std::string(ns) + "/" + std::string(resource) + "/" +
         std::string(name);
}

json::value AnnotationPatch(std::string_view key, const std::optional<std::string>& value) {
  json::object ann;
  if (value)
    ann[key] = *value;
  else
    ann[key] = nullptr;  // merge patch: null deletes the key
  return json::object{{"metadata", json::object{{"annotations", std::move(ann)}}}};
}

std::string Qualified(std::string_view ns, std::string_view name) {
  return std::string(ns) + "/" + std::string(name);
}

}  // namespace

Result<mapi::MySQLCluster> MocoClient::GetCluster(std::string_view name) {
  auto v = Get(ClusterPath(ns_, name));
  if (!v.ok()) {
    if (client::IsNotFound(v.status())) {
      return NotFound(std::string(mapi::kKind) + " \"" + Qualified(ns_, name) + "\" not found");
    }
    return v.status();
  }
  return mapi::ParseMySQLCluster(*v);
}

Result<json::object> MocoClient::GetSecret(std::string_view name) {
  KCX_ASSIGN_OR_RETURN(auto v, Get(CorePath(ns_, "secrets", name)));
  if (!v.is_object())
    return Internal("the Secret is not a JSON object");
  return std::move(v.as_object());
}

Status MocoClient::AnnotatePod(std::string_view pod, std::string_view key,
                               const std::optional<std::string>& value) {
  return MergePatch(CorePath(ns_, "pods", pod), AnnotationPatch(key, value));
}

Status MocoClient::AnnotateCluster(std::string_view name, std::string_view key,
                                   const std::optional<std::string>& value) {
  return MergePatch(ClusterPath(ns_, name), AnnotationPatch(key, value));
}

Status Credential(MocoClient& c, std::string_view cluster, std::string_view user,
                  std::string_view format, std::ostream& out) {
  KCX_ASSIGN_OR_RETURN(auto key, PasswordKey(user));
  // MOCO's plugin reads the user Secret by name without looking the cluster up first; so do
  // we, so that the command works for a user who may read the Secret but not the cluster.
  const std::string secret_name = mapi::UserSecretName(cluster);
  auto secret = c.GetSecret(secret_name);
  if (!secret.ok()) {
    if (client::IsNotFound(secret.status())) {
      return NotFound("Secret \"" + Qualified(c.ns(), secret_name) + "\" not found (is " +
                      std::string(mapi::kKind) + " \"" + Qualified(c.ns(), cluster) +
                      "\" created and reconciled?)");
    }
    return secret.status();
  }
  const json::value sv(*secret);
  if (api::GetStringPath(sv, {"metadata", "annotations", mapi::kAnnSecretVersion}) !=
      kPasswordSecretVersion) {
    return Invalid("Secret \"" + Qualified(c.ns(), secret_name) + "\" lacks the annotation " +
                   std::string(mapi::kAnnSecretVersion) + "=" +
                   std::string(kPasswordSecretVersion));
  }
  // A missing key reads as an empty password, as in MOCO (the Secret is the operator's).
  std::string password;
  if (auto encoded = api::GetStringPath(sv, {"data", key}); !encoded.empty()) {
    auto decoded = Base64Decode(encoded);
    if (!decoded)
      return Invalid("Secret data " + key + " is not valid base64");
    password = std::move(*decoded);
  }
  KCX_ASSIGN_OR_RETURN(auto text, FormatCredential(user, password, format));
  out << text;
  return Status::Ok();
}

Status Switchover(MocoClient& c, std::string_view cluster, std::ostream& out) {
  KCX_ASSIGN_OR_RETURN(auto mc, c.GetCluster(cluster));
  if (mc.offline)
    return Invalid("an offline cluster cannot switch over");
  if (mc.replicas == 1)
    return Invalid("a single-instance cluster cannot switch over");
  const std::string pod = mapi::PodName(cluster, mc.current_primary_index);
  auto s = c.AnnotatePod(pod, mapi::kAnnDemote, "true");
  if (!s.ok()) {
    if (client::IsNotFound(s)) {
      return NotFound("the primary Pod \"" + Qualified(c.ns(), pod) + "\" was not found");
    }
    return s;
  }
  out << "annotated Pod \"" << Qualified(c.ns(), pod) << "\" with " << mapi::kAnnDemote
      << "=true; the operator switches the primary over\n";
  return Status::Ok();
}

Status SetStopped(MocoClient& c, std::string_view what, bool stop, std::string_view cluster,
                  std::ostream& out) {
  std::string_view key;
  if (what == "clustering") {
    key = mapi::kAnnClusteringStopped;
  } else if (what == "reconciliation") {
    key = mapi::kAnnReconciliationStopped;
  } else {
    return Invalid("unknown target " + std::string(what) + " (want clustering or reconciliation)");
  }
  KCX_ASSIGN_OR_RETURN(auto mc, c.GetCluster(cluster));
  const bool stopped = what == "clustering" ? mc.ClusteringStopped() : mc.ReconciliationStopped();
  const std::string q = "\"" + Qualified(c.ns(), cluster) + "\"";
  if (stopped == stop) {
    out << "the " << what << " of " << mapi::kKind << " " << q << " is already "
        << (stop ? "stopped" : "running") << "\n";
    return Status::Ok();
  }
  auto s =
      c.AnnotateCluster(cluster, key, stop ? std::optional<std::string>("true") : std::nullopt);
  if (!s.ok()) {
    return Status(s.reason(), "failed to " + std::string(stop ? "stop " : "start ") +
                                  std::string(what) + " of " + std::string(mapi::kKind) + " " + q +
                                  ": " + s.message());
  }
  out << (stop ? "stopped " : "started ") << what << " of " << mapi::kKind << " " << q << "\n";
  return Status::Ok();
}

Result<std::vector<std::string>> MysqlArgv(MocoClient& c, const GlobalFlags& flags,
                                           std::string_view cluster, MysqlExec e, int index) {
  KCX_RETURN_IF_ERROR(PasswordKey(e.user).status());
  KCX_ASSIGN_OR_RETURN(auto mc, c.GetCluster(cluster));
  KCX_ASSIGN_OR_RETURN(int i, TargetIndex(mc, index));
  e.ns = c.ns();
  e.pod = mapi::PodName(cluster, i);
  return BuildMysqlExecArgv(flags, e);
}

}  // namespace kcx::kubectl_moco
