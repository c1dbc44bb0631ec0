#include "client/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "client/exec_credential.h"
#include "common/strings.h"

namespace kcx::client {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kcx-config-" + RandomSuffix(8));
    fs::create_directories(dir_ / "sub");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& rel, const std::string& text, bool exec = false) {
    fs::path p = dir_ / rel;
    std::ofstream(p) << text;
    if (exec) chmod(p.c_str(), 0755);
    return p.string();
  }
  KubeconfigOptions Env(const std::string& kubeconfig) {
    KubeconfigOptions o;
    o.use_process_env = false;
    o.env["KUBECONFIG"] = kubeconfig;
    return o;
  }
  fs::path dir_;
};

constexpr char kA[] = R"(apiVersion: v1
kind: Config
current-context: a
clusters:
- name: ca
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: ca.pem
    tls-server-name: kubernetes
users:
- name: ua
  user:
    tokenFile: token.txt
- name: shared
  user:
    token: from-a
contexts:
- name: a
  context: {cluster: ca, user: ua, namespace: team-a}
- name: b
  context: {cluster: ca, user: shared}
)";

constexpr char kB[] = R"(apiVersion: v1
kind: Config
current-context: from-b
clusters:
- name: cb
  cluster:
    server: https://10.0.0.1:443
    insecure-skip-tls-verify: true
users:
- name: shared
  user:
    token: from-b
- name: certs
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
contexts:
- name: from-b
  context: {cluster: cb, user: certs}
)";

TEST_F(ConfigTest, MergesFilesFirstWinsAndResolvesRelativePaths) {
  std::string a = Write("sub/a.yaml", kA);
  std::string b = Write("b.yaml", kB);
  Write("sub/ca.pem", "CA PEM");
  Write("sub/token.txt", "tok");
  auto c = LoadKubeconfig(Env(a + ":" + (dir_ / "missing").string() + ":" + b));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->context, "a");  // current-context from the first file that sets it
  EXPECT_EQ(c->host, "https://127.0.0.1:6443");
  EXPECT_EQ(c->tls.ca_pem, "CA PEM");  // relative to sub/a.yaml
  EXPECT_EQ(c->tls.server_name, "kubernetes");
  EXPECT_EQ(c->bearer_token_file, (dir_ / "sub/token.txt").string());
  EXPECT_EQ(c->ns, "team-a");

  // The user "shared" is defined in both files: the first wins.
  auto o = Env(a + ":" + b);
  o.context = "b";
  auto cb = LoadKubeconfig(o);
  ASSERT_TRUE(cb.ok()) << cb.status().message();
  EXPECT_EQ(cb->bearer_token, "from-a");
  EXPECT_EQ(cb->ns, "default");

  // A context from the second file, with data fields decoded.
  o.context = "from-b";
  auto cc = LoadKubeconfig(o);
  ASSERT_TRUE(cc.ok()) << cc.status().message();
  EXPECT_TRUE(cc->tls.insecure_skip_verify);
  EXPECT_EQ(cc->tls.client_cert_pem, "CERT");
  EXPECT_EQ(cc->tls.client_key_pem, "KEY");
}

TEST_F(ConfigTest, ClearErrors) {
  std::string a = Write("a.yaml", kA);
  auto o = Env(a);
  o.context = "nope";
  auto r = LoadKubeconfig(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "context \"nope\" does not exist");
  // ca.pem does not exist next to a.yaml.
  auto missing_ca = LoadKubeconfig(Env(a));
  ASSERT_FALSE(missing_ca.ok());
  EXPECT_NE(missing_ca.status().message().find("certificate-authority"), std::string::npos);
  KubeconfigOptions explicit_missing;
  explicit_missing.use_process_env = false;
  explicit_missing.explicit_path = (dir_ / "none.yaml").string();
  EXPECT_FALSE(LoadKubeconfig(explicit_missing).ok());
  std::string bad = Write("bad.yaml", "clusters: [\n");
  auto rb = LoadKubeconfig(Env(bad));
  ASSERT_FALSE(rb.ok());
  EXPECT_NE(rb.status().message().find("not valid YAML"), std::string::npos);
}

TEST_F(ConfigTest, InClusterReadsTheServiceAccount) {
  fs::create_directories(dir_ / "sa");
  Write("sa/token", "t1");
  Write("sa/ca.crt", "CA");
  Write("sa/namespace", "ops\n");
  InClusterOptions o;
  o.service_host = "10.96.0.1";
  o.service_port = "443";
  o.secrets_dir = (dir_ / "sa").string();
  auto c = InClusterConfig(o);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->host, "https://10.96.0.1:443");
  EXPECT_EQ(c->bearer_token_file, (dir_ / "sa/token").string());
  EXPECT_EQ(c->tls.ca_pem, "CA");
  EXPECT_EQ(c->ns, "ops");
  o.service_host = "fd00::1";
  EXPECT_EQ(InClusterConfig(o)->host, "https://[fd00::1]:443");
}

TEST_F(ConfigTest, ExecPluginRunsWithExecInfoAndIsCachedUntilExpiry) {
  // The plugin records KUBERNETES_EXEC_INFO and its env, and prints a token that expires.
  std::string plugin = Write("sub/plugin.sh", R"(#!/bin/sh
printf '%s' "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/info.json"
echo "$MY_VAR" > "$(dirname "$0")/env.txt"
cat <<EOF
{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1",
 "status":{"token":"tok-$1","expirationTimestamp":"2026-01-01T00:10:00Z"}}
EOF
)",
                             true);
  std::string kc = Write("sub/kc.yaml", R"(apiVersion: v1
kind: Config
current-context: x
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin.sh
      args: ["one"]
      env: [{name: MY_VAR, value: hello}]
      provideClusterInfo: true
      interactiveMode: Never
contexts:
- name: x
  context: {cluster: c, user: u}
)");
  auto c = LoadKubeconfig(Env(kc));
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE(c->exec.has_value());
  EXPECT_EQ(c->exec->command, plugin);  // resolved against the kubeconfig's directory
  FakeClock clock;  // starts at 2026-01-01T00:00:00Z
  ExecCredentialProvider p(*c->exec, c->host, "", clock);
  auto cred = p.Get();
  ASSERT_TRUE(cred.ok()) << cred.status().message();
  EXPECT_EQ(cred->token, "tok-one");
  std::ifstream info(dir_ / "sub/info.json");
  std::string info_s((std::istreambuf_iterator<char>(info)), std::istreambuf_iterator<char>());
  EXPECT_NE(info_s.find(R"("kind":"ExecCredential")"), std::string::npos) << info_s;
  EXPECT_NE(info_s.find(R"("interactive":false)"), std::string::npos) << info_s;
  EXPECT_NE(info_s.find(R"("server":"https://127.0.0.1:1")"), std::string::npos) << info_s;
  std::ifstream env(dir_ / "sub/env.txt");
  std::string env_s;
  std::getline(env, env_s);
  EXPECT_EQ(env_s, "hello");

  ASSERT_TRUE(p.Get().ok());
  EXPECT_EQ(p.runs(), 1) << "cached until it expires";
  clock.Advance(std::chrono::minutes(11));
  ASSERT_TRUE(p.Get().ok());
  EXPECT_EQ(p.runs(), 2) << "expired credentials are renewed";
  p.Invalidate();
  ASSERT_TRUE(p.Get().ok());
  EXPECT_EQ(p.runs(), 3);
}

TEST_F(ConfigTest, ExecPluginFailuresAreClear) {
  ExecConfig e;
  e.api_version = "client.authentication.k8s.io/v1";
  e.command = (dir_ / "does-not-exist").string();
  e.install_hint = "install it with apt";
  ExecCredentialProvider missing(e, "", "");
  auto r = missing.Get();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("install it with apt"), std::string::npos);
  e.command = Write("wrong.sh", "#!/bin/sh\necho '{\"kind\":\"ExecCredential\"}'\n", true);
  ExecCredentialProvider wrong(e, "", "");
  auto w = wrong.Get();
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().reason(), Reason::kUnauthorized);
  e.command = Write("fail.sh", "#!/bin/sh\nexit 3\n", true);
  ExecCredentialProvider fail(e, "", "");
  auto f = fail.Get();
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("exit code 3"), std::string::npos);
}

}  // namespace
}  // namespace kcx::client
