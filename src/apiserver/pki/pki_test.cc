#include "apiserver/pki/pki.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

namespace kcx::apiserver {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/kcx-pki-XXXXXX";
    char* p = mkdtemp(tmpl.data());
    path_ = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, X509Free>;

X509Ptr ParseCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

PkeyPtr ParseKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return key;
}

// SANs as "DNS:name" / "IP:addr" strings.
std::set<std::string> Sans(X509* cert) {
  std::set<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    if (g->type == GEN_DNS) {
      out.insert("DNS:" +
                 std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                             ASN1_STRING_length(g->d.dNSName)));
    } else if (g->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = g->d.iPAddress;
      char s[INET6_ADDRSTRLEN] = "?";
      inet_ntop(ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), s,
                sizeof(s));
      out.insert(std::string("IP:") + s);
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

unsigned Mode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return 0xffff;
  return st.st_mode & 0777;
}

// Runs a shell command; returns exit status and captures stdout+stderr.
int RunCommand(const std::string& cmd, std::string* output) {
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (!f)
    return -1;
  char buf[4096];
  size_t n;
  output->clear();
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
    output->append(buf, n);
  int status = pclose(f);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Base64Decode(const std::string& in) {
  std::string out(in.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0)
    return "";
  // EVP_DecodeBlock counts padding bytes as zeros.
  size_t pad = 0;
  for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i)
    ++pad;
  out.resize(n - pad);
  return out;
}

TEST(PkiTest, GeneratedServingCertChainsToCaWithSansAndEkus) {
  auto pki = GeneratePki({"kcx.example.com", "10.1.2.3", "[fd00::5]", "Upper.Example"});
  ASSERT_TRUE(pki.ok()) << pki.status().ToString();
  X509Ptr ca = ParseCert(pki->ca_cert_pem);
  X509Ptr serving = ParseCert(pki->serving_cert_pem);
  X509Ptr admin = ParseCert(pki->admin_cert_pem);
  ASSERT_TRUE(ca && serving && admin);

  // Keys are EC P-256 and match their certificates.
  for (auto [cert, key_pem] :
       {std::pair{ca.get(), &pki->ca_key_pem}, std::pair{serving.get(), &pki->serving_key_pem},
        std::pair{admin.get(), &pki->admin_key_pem}}) {
    PkeyPtr key = ParseKey(*key_pem);
    ASSERT_TRUE(key);
    EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
    char group[64] = {};
    size_t len = 0;
    ASSERT_EQ(EVP_PKEY_get_group_name(key.get(), group, sizeof(group), &len), 1);
    EXPECT_STREQ(group, "prime256v1");
    EXPECT_EQ(X509_check_private_key(cert, key.get()), 1);
  }

  // Chain: signed by the CA's key, issued by the CA's name; the CA is a CA.
  EVP_PKEY* ca_pub = X509_get0_pubkey(ca.get());
  EXPECT_EQ(X509_verify(serving.get(), ca_pub), 1);
  EXPECT_EQ(X509_verify(admin.get(), ca_pub), 1);
  EXPECT_EQ(X509_verify(ca.get(), ca_pub), 1);  // self-signed
  EXPECT_EQ(X509_check_issued(ca.get(), serving.get()), X509_V_OK);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_check_ca(serving.get()), 0);

  EXPECT_EQ(Sans(serving.get()),
            (std::set<std::string>{"DNS:kcx.example.com", "DNS:upper.example", "DNS:localhost",
                                   "IP:10.1.2.3", "IP:127.0.0.1", "IP:::1", "IP:fd00::5"}));
  EXPECT_TRUE(Sans(admin.get()).empty());

  // EKUs: serving is serverAuth only, admin clientAuth only.
  EXPECT_EQ(X509_get_extended_key_usage(serving.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_get_extended_key_usage(admin.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));

  // Validity: CA ~10 years, leaves ~1 year.
  int days = 0, secs = 0;
  ASSERT_EQ(
      ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(ca.get()), X509_get0_notAfter(ca.get())), 1);
  EXPECT_NEAR(days, 3650, 1);
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(serving.get()),
                           X509_get0_notAfter(serving.get())),
            1);
  EXPECT_NEAR(days, 365, 1);

  // The admin identity is what Kubernetes derives from a client certificate.
  auto id = IdentityFromCertificatePem(pki->admin_cert_pem);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->user, "kcx-admin");
  EXPECT_EQ(id->groups, std::vector<std::string>{"system:masters"});
  auto id2 = IdentityFromCertificate(admin.get());
  ASSERT_TRUE(id2.ok());
  EXPECT_EQ(id2->user, "kcx-admin");
}

TEST(PkiTest, OpensslVerifyAcceptsCertificates) {
  auto pki = GeneratePki({"kcx.example.com", "10.1.2.3"});
  ASSERT_TRUE(pki.ok()) << pki.status().ToString();
  TempDir dir;
  WriteFile(dir.File("ca.crt"), pki->ca_cert_pem);
  WriteFile(dir.File("serving.crt"), pki->serving_cert_pem);
  WriteFile(dir.File("admin.crt"), pki->admin_cert_pem);
  const std::string base = "openssl verify -CAfile " + dir.File("ca.crt") + " ";
  std::string out;
  EXPECT_EQ(RunCommand(base + "-purpose sslserver -verify_hostname kcx.example.com " +
                           dir.File("serving.crt"),
                       &out),
            0)
      << out;
  EXPECT_NE(out.find(": OK"), std::string::npos) << out;
  EXPECT_EQ(
      RunCommand(base + "-purpose sslserver -verify_ip 10.1.2.3 " + dir.File("serving.crt"), &out),
      0)
      << out;
  EXPECT_EQ(
      RunCommand(base + "-purpose sslserver -verify_hostname localhost " + dir.File("serving.crt"),
                 &out),
      0)
      << out;
  EXPECT_EQ(RunCommand(base + "-purpose sslclient " + dir.File("admin.crt"), &out), 0) << out;
  // Negative controls: the checks above can fail.
  EXPECT_NE(RunCommand(base + "-purpose sslserver -verify_hostname other.example " +
                           dir.File("serving.crt"),
                       &out),
            0)
      << out;
  EXPECT_NE(RunCommand(base + "-purpose sslserver " + dir.File("admin.crt"), &out), 0) << out;
  auto other = GeneratePki({});
  ASSERT_TRUE(other.ok());
  WriteFile(dir.File("other-ca.crt"), other->ca_cert_pem);
  EXPECT_NE(RunCommand("openssl verify -CAfile " + dir.File("other-ca.crt") + " " +
                           dir.File("serving.crt"),
                       &out),
            0)
      << out;
}

TEST(PkiTest, InvalidHostIsRejected) {
  auto pki = GeneratePki({"bad host,DNS:evil"});
  ASSERT_FALSE(pki.ok());
  EXPECT_EQ(pki.status().reason(), Reason::kInvalid);
}

TEST(PkiTest, LoadOrCreateIsStableAndKeysArePrivate) {
  TempDir dir;
  const std::string pki_dir = dir.File("pki");  // created by LoadOrCreatePki
  auto first = LoadOrCreatePki(pki_dir, {"kcx.example.com"});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = LoadOrCreatePki(pki_dir, {"kcx.example.com"});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(first->ca_cert_pem, second->ca_cert_pem);
  EXPECT_EQ(first->ca_key_pem, second->ca_key_pem);
  EXPECT_EQ(first->serving_cert_pem, second->serving_cert_pem);
  EXPECT_EQ(first->serving_key_pem, second->serving_key_pem);
  EXPECT_EQ(first->admin_cert_pem, second->admin_cert_pem);
  EXPECT_EQ(first->admin_key_pem, second->admin_key_pem);
  // What is returned is what is on disk.
  EXPECT_EQ(ReadFile(pki_dir + "/ca.crt"), first->ca_cert_pem);
  EXPECT_EQ(ReadFile(pki_dir + "/serving.key"), first->serving_key_pem);
  for (const char* key : {"ca.key", "serving.key", "admin.key"}) {
    EXPECT_EQ(Mode(pki_dir + "/" + key), 0600u) << key;
  }
  for (const char* cert : {"ca.crt", "serving.crt", "admin.crt"}) {
    EXPECT_EQ(Mode(pki_dir + "/" + cert), 0644u) << cert;
  }
  EXPECT_EQ(Mode(pki_dir), 0700u);
  // No temp files left behind.
  for (const auto& e : fs::directory_iterator(pki_dir)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
  // A loosened key mode is tightened on load.
  ASSERT_EQ(chmod((pki_dir + "/serving.key").c_str(), 0644), 0);
  ASSERT_TRUE(LoadOrCreatePki(pki_dir, {"kcx.example.com"}).ok());
  EXPECT_EQ(Mode(pki_dir + "/serving.key"), 0600u);
}

TEST(PkiTest, NewHostReissuesServingCertFromSameCa) {
  TempDir dir;
  auto first = LoadOrCreatePki(dir.path(), {"a.example"});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = LoadOrCreatePki(dir.path(), {"b.example", "192.168.1.9"});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->ca_cert_pem, first->ca_cert_pem);
  EXPECT_EQ(second->admin_cert_pem, first->admin_cert_pem);
  EXPECT_NE(second->serving_cert_pem, first->serving_cert_pem);
  X509Ptr ca = ParseCert(second->ca_cert_pem);
  X509Ptr serving = ParseCert(second->serving_cert_pem);
  ASSERT_TRUE(ca && serving);
  EXPECT_EQ(X509_verify(serving.get(), X509_get0_pubkey(ca.get())), 1);
  auto sans = Sans(serving.get());
  EXPECT_TRUE(sans.count("DNS:b.example"));
  EXPECT_TRUE(sans.count("IP:192.168.1.9"));
  EXPECT_TRUE(sans.count("DNS:a.example")) << "re-issue keeps the hosts it had";
  EXPECT_TRUE(sans.count("DNS:localhost"));
  EXPECT_EQ(ReadFile(dir.File("serving.crt")), second->serving_cert_pem);
  PkeyPtr key = ParseKey(ReadFile(dir.File("serving.key")));
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(serving.get(), key.get()), 1);
  // Hosts already covered: nothing changes.
  auto third = LoadOrCreatePki(dir.path(), {"a.example"});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->serving_cert_pem, second->serving_cert_pem);
}

TEST(PkiTest, MissingOrForeignLeafIsReissuedButCaIsNeverReplaced) {
  TempDir dir;
  auto first = LoadOrCreatePki(dir.path(), {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // Admin cert lost, serving cert replaced by one from another CA.
  fs::remove(dir.File("admin.crt"));
  auto other = GeneratePki({});
  ASSERT_TRUE(other.ok());
  WriteFile(dir.File("serving.crt"), other->serving_cert_pem);
  WriteFile(dir.File("serving.key"), other->serving_key_pem);
  auto second = LoadOrCreatePki(dir.path(), {});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->ca_cert_pem, first->ca_cert_pem);
  X509Ptr ca = ParseCert(second->ca_cert_pem);
  for (const std::string* pem : {&second->serving_cert_pem, &second->admin_cert_pem}) {
    X509Ptr c = ParseCert(*pem);
    ASSERT_TRUE(c);
    EXPECT_EQ(X509_verify(c.get(), X509_get0_pubkey(ca.get())), 1);
  }
  EXPECT_TRUE(fs::exists(dir.File("admin.crt")));

  // CA key gone: an error, not a silently new CA.
  fs::remove(dir.File("ca.key"));
  auto third = LoadOrCreatePki(dir.path(), {});
  EXPECT_FALSE(third.ok());
  EXPECT_EQ(ReadFile(dir.File("ca.crt")), first->ca_cert_pem);
  // CA key that does not match the CA cert: also an error.
  WriteFile(dir.File("ca.key"), other->ca_key_pem);
  EXPECT_FALSE(LoadOrCreatePki(dir.path(), {}).ok());
}

TEST(PkiTest, TokenIsCreatedOnceWithMode0600) {
  TempDir dir;
  auto t1 = LoadOrCreateToken(dir.path());
  ASSERT_TRUE(t1.ok()) << t1.status().ToString();
  EXPECT_EQ(t1->size(), 64u);
  EXPECT_EQ(t1->find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(Mode(dir.File("token")), 0600u);
  auto t2 = LoadOrCreateToken(dir.path());
  ASSERT_TRUE(t2.ok());
  EXPECT_EQ(*t1, *t2);
  TempDir other;
  auto t3 = LoadOrCreateToken(other.path());
  ASSERT_TRUE(t3.ok());
  EXPECT_NE(*t1, *t3);
  // A token written by hand (with a trailing newline) is used as is.
  WriteFile(dir.File("token"), "  my-token\n");
  auto t4 = LoadOrCreateToken(dir.path());
  ASSERT_TRUE(t4.ok());
  EXPECT_EQ(*t4, "my-token");
  WriteFile(dir.File("token"), "\n");
  EXPECT_FALSE(LoadOrCreateToken(dir.path()).ok());
}

TEST(PkiTest, TokenEquals) {
  EXPECT_TRUE(TokenEquals("abc", "abc"));
  EXPECT_FALSE(TokenEquals("abc", "abd"));
  EXPECT_FALSE(TokenEquals("abc", "abcd"));
  EXPECT_FALSE(TokenEquals("", "a"));
  EXPECT_TRUE(TokenEquals("", ""));
  std::string a(64, 'f'), b(64, 'f');
  b[63] = 'e';
  EXPECT_FALSE(TokenEquals(a, b));
}

TEST(PkiTest, IdentityFromBadCertificateIsUnauthorized) {
  auto id = IdentityFromCertificatePem("not a certificate");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().reason(), Reason::kUnauthorized);
  auto pki = GeneratePki({});
  ASSERT_TRUE(pki.ok());
  auto serving = IdentityFromCertificatePem(pki->serving_cert_pem);
  ASSERT_TRUE(serving.ok());
  EXPECT_EQ(serving->user, "kcx-apiserver");
  EXPECT_TRUE(serving->groups.empty());
}

KubeconfigSpec FullSpec(const Pki& pki, const std::string& token) {
  KubeconfigSpec spec;
  spec.server_url = "https://127.0.0.1:6443";
  spec.ca_pem = pki.ca_cert_pem;
  spec.token = token;
  spec.client_cert_pem = pki.admin_cert_pem;
  spec.client_key_pem = pki.admin_key_pem;
  return spec;
}

TEST(PkiTest, KubeconfigParsesWithTheRightFields) {
  TempDir dir;
  auto pki = LoadOrCreatePki(dir.path(), {});
  ASSERT_TRUE(pki.ok());
  auto token = LoadOrCreateToken(dir.path());
  ASSERT_TRUE(token.ok());
  const std::string path = dir.File("sub/kubeconfig");
  ASSERT_TRUE(WriteKubeconfig(path, FullSpec(*pki, *token)).ok());
  EXPECT_EQ(Mode(path), 0600u);
  for (const auto& e : fs::directory_iterator(dir.File("sub"))) {
    EXPECT_EQ(e.path().filename().string(), "kubeconfig");
  }

  YAML::Node y = YAML::LoadFile(path);
  EXPECT_EQ(y["apiVersion"].as<std::string>(), "v1");
  EXPECT_EQ(y["kind"].as<std::string>(), "Config");
  EXPECT_EQ(y["current-context"].as<std::string>(), "kcx");
  ASSERT_EQ(y["clusters"].size(), 1u);
  EXPECT_EQ(y["clusters"][0]["name"].as<std::string>(), "kcx");
  EXPECT_EQ(y["clusters"][0]["cluster"]["server"].as<std::string>(), "https://127.0.0.1:6443");
  EXPECT_EQ(
      Base64Decode(y["clusters"][0]["cluster"]["certificate-authority-data"].as<std::string>()),
      pki->ca_cert_pem);
  ASSERT_EQ(y["contexts"].size(), 1u);
  EXPECT_EQ(y["contexts"][0]["name"].as<std::string>(), "kcx");
  EXPECT_EQ(y["contexts"][0]["context"]["cluster"].as<std::string>(), "kcx");
  EXPECT_EQ(y["contexts"][0]["context"]["user"].as<std::string>(), "kcx-admin");
  EXPECT_EQ(y["contexts"][0]["context"]["namespace"].as<std::string>(), "default");
  ASSERT_EQ(y["users"].size(), 1u);
  EXPECT_EQ(y["users"][0]["name"].as<std::string>(), "kcx-admin");
  YAML::Node user = y["users"][0]["user"];
  EXPECT_EQ(user["token"].as<std::string>(), *token);
  EXPECT_EQ(Base64Decode(user["client-certificate-data"].as<std::string>()), pki->admin_cert_pem);
  EXPECT_EQ(Base64Decode(user["client-key-data"].as<std::string>()), pki->admin_key_pem);

  // Overwriting is atomic too (rename over the old file).
  KubeconfigSpec token_only;
  token_only.server_url = "https://[::1]:1234";
  token_only.ca_pem = pki->ca_cert_pem;
  token_only.token = *token;
  ASSERT_TRUE(WriteKubeconfig(path, token_only).ok());
  y = YAML::LoadFile(path);
  EXPECT_EQ(y["clusters"][0]["cluster"]["server"].as<std::string>(), "https://[::1]:1234");
  EXPECT_FALSE(y["users"][0]["user"]["client-key-data"].IsDefined());
}

TEST(PkiTest, KubeconfigQuotesNamesThatNeedIt) {
  TempDir dir;
  KubeconfigSpec spec;
  spec.server_url = "https://127.0.0.1:6443";
  spec.token = "t";
  spec.cluster_name = "a: b";
  spec.user_name = "#user";
  spec.context_name = "yes";
  spec.namespace_ = "";
  const std::string path = dir.File("kubeconfig");
  ASSERT_TRUE(WriteKubeconfig(path, spec).ok());
  YAML::Node y = YAML::LoadFile(path);
  EXPECT_EQ(y["clusters"][0]["name"].as<std::string>(), "a: b");
  EXPECT_EQ(y["users"][0]["name"].as<std::string>(), "#user");
  EXPECT_EQ(y["current-context"].as<std::string>(), "yes");
  EXPECT_EQ(y["contexts"][0]["context"]["cluster"].as<std::string>(), "a: b");
  EXPECT_FALSE(y["contexts"][0]["context"]["namespace"].IsDefined());
  EXPECT_FALSE(WriteKubeconfig(dir.File("k2"), KubeconfigSpec{}).ok());  // no server
}

TEST(PkiTest, KubectlAcceptsKubeconfig) {
  TempDir dir;
  auto pki = GeneratePki({});
  ASSERT_TRUE(pki.ok());
  const std::string path = dir.File("kubeconfig");
  ASSERT_TRUE(WriteKubeconfig(path, FullSpec(*pki, "0123abcd")).ok());
  std::string out;
  ASSERT_EQ(RunCommand("kubectl config view --kubeconfig " + path + " --raw -o json", &out), 0)
      << out;
  // kubectl re-serializes what it parsed: every field made it through.
  EXPECT_NE(out.find("\"server\": \"https://127.0.0.1:6443\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"token\": \"0123abcd\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"current-context\": \"kcx\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"namespace\": \"default\""), std::string::npos) << out;
  ASSERT_EQ(RunCommand("kubectl config view --kubeconfig " + path +
                           " --raw -o jsonpath='{.users[0].user.client-key-data}'",
                       &out),
            0)
      << out;
  EXPECT_EQ(Base64Decode(out), pki->admin_key_pem);
  ASSERT_EQ(RunCommand("kubectl config current-context --kubeconfig " + path, &out), 0) << out;
  EXPECT_EQ(out, "kcx\n");
  // kubectl also checks that client cert and key form a valid pair when building a client:
  // `config view --minify` goes through that loader.
  ASSERT_EQ(RunCommand("kubectl config view --kubeconfig " + path + " --minify --raw", &out), 0)
      << out;
}

}  // namespace
}  // namespace kcx::apiserver
