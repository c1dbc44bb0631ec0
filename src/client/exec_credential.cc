#include "client/exec_credential.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/strings.h"

extern char** environ;

namespace kcx::client {

namespace json = boost::json;

namespace {

constexpr int kPluginTimeoutS = 60;

struct ProcessResult {
  int exit_code = -1;
  std::string out;
};

// Runs argv with `env` (full environment), stdin from /dev/null, stderr inherited; captures
// stdout. Kills the child after `timeout_s`.
Result<ProcessResult> RunPlugin(const std::vector<std::string>& argv,
                                const std::vector<std::string>& env, int timeout_s) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Internal(std::string("pipe: ") + strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  std::vector<char*> av, ev;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  for (const auto& e : env) ev.push_back(const_cast<char*>(e.c_str()));
  ev.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, av[0], &fa, nullptr, av.data(), ev.data());
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    return NotFound("exec: executable " + argv[0] + " not found (" + strerror(rc) + ")");
  }
  ProcessResult r;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  char buf[4096];
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    int pr = poll(&p, 1, static_cast<int>(left.count()));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) {
      timed_out = pr == 0;
      break;
    }
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    r.out.append(buf, static_cast<size_t>(n));
    if (r.out.size() > (1 << 20)) break;  // a credential is never this large
  }
  close(out[0]);
  if (timed_out) kill(pid, SIGKILL);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return Status(Reason::kTimeout, "exec plugin " + argv[0] + " timed out");
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return r;
}

}  // namespace

ExecCredentialProvider::ExecCredentialProvider(ExecConfig cfg, std::string server,
                                               std::string ca_pem, Clock& clock)
    : cfg_(std::move(cfg)), server_(std::move(server)), ca_pem_(std::move(ca_pem)),
      clock_(clock) {}

Result<Credentials> ExecCredentialProvider::Get() {
  std::lock_guard l(mu_);
  if (cached_ && (!cached_->expiry || clock_.WallNow() < *cached_->expiry)) return *cached_;
  auto c = Run();
  if (!c.ok()) return c.status();
  cached_ = *c;
  return *c;
}

void ExecCredentialProvider::Invalidate() {
  std::lock_guard l(mu_);
  cached_.reset();
}

int ExecCredentialProvider::runs() const {
  std::lock_guard l(mu_);
  return runs_;
}

Result<Credentials> ExecCredentialProvider::Run() {
  ++runs_;
  json::object spec{{"interactive", false}};
  if (cfg_.provide_cluster_info) {
    json::object cluster{{"server", server_}};
    if (!ca_pem_.empty()) cluster["certificate-authority-data"] = Base64Encode(ca_pem_);
    spec["cluster"] = std::move(cluster);
  }
  json::object info{{"kind", "ExecCredential"},
                    {"apiVersion", cfg_.api_version},
                    {"spec", std::move(spec)}};
  std::vector<std::string> env;
  std::vector<std::string> overridden;
  for (const auto& [k, v] : cfg_.env) overridden.push_back(k + "=");
  overridden.push_back("KUBERNETES_EXEC_INFO=");
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    bool skip = false;
    for (const auto& o : overridden) skip |= StartsWith(kv, o);
    if (!skip) env.emplace_back(kv);
  }
  for (const auto& [k, v] : cfg_.env) env.push_back(k + "=" + v);
  env.push_back("KUBERNETES_EXEC_INFO=" + json::serialize(info));
  std::vector<std::string> argv{cfg_.command};
  argv.insert(argv.end(), cfg_.args.begin(), cfg_.args.end());

  auto r = RunPlugin(argv, env, kPluginTimeoutS);
  if (!r.ok()) {
    std::string msg = r.status().message();
    if (!cfg_.install_hint.empty()) msg += "\n\n" + cfg_.install_hint;
    return Status(r.status().reason(), msg);
  }
  if (r->exit_code != 0) {
    return Unauthorized("exec plugin " + cfg_.command + " failed with exit code " +
                        std::to_string(r->exit_code));
  }
  boost::system::error_code ec;
  json::value v = json::parse(r->out, ec);
  if (ec || !v.is_object()) {
    return Unauthorized("exec plugin " + cfg_.command + " printed no valid ExecCredential");
  }
  const json::object& o = v.get_object();
  const json::value* kind = o.if_contains("kind");
  const json::value* av = o.if_contains("apiVersion");
  if (!kind || *kind != "ExecCredential" || !av || *av != json::string_view(cfg_.api_version)) {
    return Unauthorized("exec plugin " + cfg_.command + ": ExecCredential has kind/apiVersion " +
                        (kind ? json::serialize(*kind) : "none") + "/" +
                        (av ? json::serialize(*av) : "none") + ", want " + cfg_.api_version);
  }
  const json::value* status = o.if_contains("status");
  if (!status || !status->is_object()) {
    return Unauthorized("exec plugin " + cfg_.command + ": ExecCredential has no status");
  }
  const json::object& s = status->get_object();
  Credentials c;
  auto str = [&](const char* k) -> std::string {
    const json::value* x = s.if_contains(k);
    return x && x->is_string() ? std::string(x->get_string()) : std::string();
  };
  c.token = str("token");
  c.client_cert_pem = str("clientCertificateData");
  c.client_key_pem = str("clientKeyData");
  if (c.token.empty() && (c.client_cert_pem.empty() || c.client_key_pem.empty())) {
    return Unauthorized("exec plugin " + cfg_.command +
                        ": status must have a token or clientCertificateData and clientKeyData");
  }
  if (std::string exp = str("expirationTimestamp"); !exp.empty()) {
    auto t = ParseRfc3339(exp);
    if (!t) return Unauthorized("exec plugin: invalid expirationTimestamp " + exp);
    c.expiry = *t;
  }
  return c;
}

}  // namespace kcx::client
