#include "apiserver/pki/pki.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/log.h"

namespace kcx::apiserver {
namespace {

namespace fs = std::filesystem;

constexpr int kCaDays = 3650;
constexpr int kLeafDays = 365;
constexpr int kRenewBeforeDays = 30;
constexpr char kServingCommonName[] = "kcx-apiserver";
constexpr char kAdminCommonName[] = "kcx-admin";
constexpr char kAdminGroup[] = "system:masters";

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free>;
using X509Ptr = std::unique_ptr<X509, Free>;
using BioPtr = std::unique_ptr<BIO, Free>;

// Drains OpenSSL's error queue into a Status (the queue is per thread; leaving entries would
// confuse the next caller).
Status OpenSslError(std::string_view what) {
  std::string msg = "pki: ";
  msg += what;
  unsigned long e;
  bool first = true;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    msg += first ? ": " : "; ";
    msg += buf;
    first = false;
  }
  return Internal(std::move(msg));
}

Status ErrnoError(std::string_view what, const std::string& path) {
  return Internal("pki: " + std::string(what) + " " + path + ": " + strerror(errno));
}

// A host for a SAN: either an IP address (normalized) or a lower-case DNS name.
struct Host {
  bool is_ip;
  std::string name;
  bool operator==(const Host&) const = default;
};

Result<Host> ParseHost(std::string_view in) {
  std::string h(in);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']')
    h = h.substr(1, h.size() - 2);
  unsigned char buf[sizeof(struct in6_addr)];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, h.c_str(), buf) == 1) {
    inet_ntop(AF_INET, buf, out, sizeof(out));
    return Host{true, out};
  }
  if (inet_pton(AF_INET6, h.c_str(), buf) == 1) {
    inet_ntop(AF_INET6, buf, out, sizeof(out));
    return Host{true, out};
  }
  if (h.empty() || h.size() > 253)
    return Invalid("pki: invalid host name \"" + h + "\"");
  for (char& c : h) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '*')) {
      return Invalid("pki: invalid host name \"" + std::string(in) + "\"");
    }
  }
  return Host{false, h};
}

// hosts + the loopback names every local client uses, deduplicated, in a stable order.
Result<std::vector<Host>> ServingHosts(const std::vector<std::string>& hosts) {
  std::vector<Host> out;
  auto add = [&out](Host h) {
    if (std::find(out.begin(), out.end(), h) == out.end())
      out.push_back(std::move(h));
  };
  for (const std::string& s : hosts) {
    KCX_ASSIGN_OR_RETURN(Host h, ParseHost(s));
    add(std::move(h));
  }
  add(Host{false, "localhost"});
  add(Host{true, "127.0.0.1"});
  add(Host{true, "::1"});
  return out;
}

Result<PkeyPtr> GenerateKey() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key)
    return OpenSslError("generate EC P-256 key");
  return key;
}

Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(std::string("add extension ") + OBJ_nid2sn(nid));
  }
  return Status::Ok();
}

Status AddSans(X509* cert, const std::vector<Host>& hosts) {
  std::unique_ptr<GENERAL_NAMES, Free> names(sk_GENERAL_NAME_new_null());
  if (!names)
    return OpenSslError("allocate SANs");
  for (const Host& h : hosts) {
    GENERAL_NAME* gen = GENERAL_NAME_new();
    if (!gen)
      return OpenSslError("allocate SAN");
    if (h.is_ip) {
      ASN1_OCTET_STRING* ip = a2i_IPADDRESS(h.name.c_str());
      if (!ip) {
        GENERAL_NAME_free(gen);
        return OpenSslError("encode IP SAN " + h.name);
      }
      GENERAL_NAME_set0_value(gen, GEN_IPADD, ip);
    } else {
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      if (!dns || ASN1_STRING_set(dns, h.name.data(), static_cast<int>(h.name.size())) != 1) {
        ASN1_IA5STRING_free(dns);
        GENERAL_NAME_free(gen);
        return OpenSslError("encode DNS SAN " + h.name);
      }
      GENERAL_NAME_set0_value(gen, GEN_DNS, dns);
    }
    if (sk_GENERAL_NAME_push(names.get(), gen) == 0) {
      GENERAL_NAME_free(gen);
      return OpenSslError("add SAN");
    }
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("add subjectAltName");
  }
  return Status::Ok();
}

struct CertSpec {
  std::string common_name;
  std::vector<std::string> organizations;
  int days;
  bool is_ca = false;
  const char* ext_key_usage = nullptr;  // "serverAuth" / "clientAuth"
  std::vector<Host> sans;
};

// Issues a certificate for `key` signed by issuer_key; issuer == nullptr means self-signed.
Result<X509Ptr> Issue(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpenSslError("allocate certificate");
  }
  // 159-bit random serial: positive and unique without keeping state (RFC 5280 allows 20
  // octets).
  unsigned char serial[20];
  if (RAND_bytes(serial, sizeof(serial)) != 1)
    return OpenSslError("random serial");
  serial[0] &= 0x7f;
  std::unique_ptr<BIGNUM, Free> bn(BN_bin2bn(serial, sizeof(serial), nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) {
    return OpenSslError("set serial");
  }
  // Backdated an hour so that a client whose clock is slightly behind accepts it.
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), spec.days, 0, nullptr)) {
    return OpenSslError("set validity");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  for (const std::string& o : spec.organizations) {
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1,
                                   0) != 1) {
      return OpenSslError("set O");
    }
  }
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                                 -1, -1, 0) != 1) {
    return OpenSslError("set CN");
  }
  X509* signer = issuer ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return OpenSslError("set issuer/public key");
  }
  if (spec.is_ca) {
    KCX_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE"));
    KCX_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_key_usage,
                                     "critical,digitalSignature,keyCertSign,cRLSign"));
  } else {
    KCX_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE"));
    KCX_RETURN_IF_ERROR(
        AddExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature"));
  }
  if (spec.ext_key_usage) {
    KCX_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_ext_key_usage, spec.ext_key_usage));
  }
  KCX_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash"));
  KCX_RETURN_IF_ERROR(
      AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always"));
  if (!spec.sans.empty())
    KCX_RETURN_IF_ERROR(AddSans(cert.get(), spec.sans));
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0) {
    return OpenSslError("sign certificate");
  }
  return cert;
}

Result<std::string> CertToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return OpenSslError("encode certificate");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n);
}

Result<std::string> KeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("encode private key");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, n);
  // Scrub the BIO's copy of the key before it is freed.
  OPENSSL_cleanse(data, n);
  return pem;
}

Result<X509Ptr> CertFromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert)
    return OpenSslError("parse certificate PEM");
  return cert;
}

Result<PkeyPtr> KeyFromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key)
    return OpenSslError("parse private key PEM");
  return key;
}

struct Issued {
  std::string cert_pem, key_pem;
};

Result<Issued> IssueWithNewKey(const CertSpec& spec, X509* issuer, EVP_PKEY* issuer_key) {
  KCX_ASSIGN_OR_RETURN(PkeyPtr key, GenerateKey());
  KCX_ASSIGN_OR_RETURN(X509Ptr cert, Issue(spec, key.get(), issuer, issuer_key));
  Issued out;
  KCX_ASSIGN_OR_RETURN(out.cert_pem, CertToPem(cert.get()));
  KCX_ASSIGN_OR_RETURN(out.key_pem, KeyToPem(key.get()));
  return out;
}

CertSpec CaSpec() {
  CertSpec s;
  s.common_name = "kcx-ca";
  s.days = kCaDays;
  s.is_ca = true;
  return s;
}

CertSpec ServingSpec(std::vector<Host> hosts) {
  CertSpec s;
  s.common_name = kServingCommonName;
  s.days = kLeafDays;
  s.ext_key_usage = "serverAuth";
  s.sans = std::move(hosts);
  return s;
}

CertSpec AdminSpec() {
  CertSpec s;
  s.common_name = kAdminCommonName;
  s.organizations = {kAdminGroup};
  s.days = kLeafDays;
  s.ext_key_usage = "clientAuth";
  return s;
}

// True if `cert` (PEM) is usable as a leaf: parses, matches key_pem, is signed by the CA, is
// not within kRenewBeforeDays of expiry and, for serving certs, covers every host.
bool LeafIsUsable(const std::string& cert_pem, const std::string& key_pem, X509* ca,
                  EVP_PKEY* ca_key, const std::vector<Host>& hosts) {
  auto cert = CertFromPem(cert_pem);
  auto key = KeyFromPem(key_pem);
  if (!cert.ok() || !key.ok())
    return false;
  if (X509_check_private_key(cert->get(), key->get()) != 1)
    return false;
  if (X509_verify(cert->get(), ca_key) != 1)
    return false;
  if (X509_check_issued(ca, cert->get()) != X509_V_OK)
    return false;
  time_t renew_at = time(nullptr) + kRenewBeforeDays * 86400L;
  if (X509_cmp_time(X509_get0_notAfter(cert->get()), &renew_at) <= 0)
    return false;
  for (const Host& h : hosts) {
    int ok = h.is_ip ? X509_check_ip_asc(cert->get(), h.name.c_str(), 0)
                     : X509_check_host(cert->get(), h.name.data(), h.name.size(),
                                       X509_CHECK_FLAG_NO_WILDCARDS, nullptr);
    if (ok != 1)
      return false;
  }
  ERR_clear_error();
  return true;
}

Result<std::optional<std::string>> ReadFileIfExists(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT)
      return std::optional<std::string>();
    return ErrnoError("read", path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return ErrnoError("read", path);
  return std::optional<std::string>(ss.str());
}

Status EnsureDir(const std::string& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec))
    return Status::Ok();
  fs::create_directories(dir, ec);
  if (ec)
    return Internal("pki: create directory " + dir + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);
  return Status::Ok();
}

// Private keys must not be readable by others; tighten a loosened mode rather than fail.
void RestrictKeyMode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    log::Warn("pki: {} was accessible by group/others; setting mode 0600", path);
    chmod(path.c_str(), 0600);
  }
}

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(n);
  return out;
}

// A YAML scalar, quoted only where YAML needs it (yaml-cpp decides).
std::string YamlScalar(const std::string& s) {
  YAML::Emitter e;
  e << s;
  return e.c_str();
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return ErrnoError("open directory", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0)
    return ErrnoError("fsync directory", dir);
  return Status::Ok();
}

}  // namespace

Status WriteFileAtomic(const std::string& path, std::string_view data, unsigned mode) {
  fs::path p(path);
  std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
  std::string tmpl = (fs::path(dir) / ("." + p.filename().string() + ".tmp-XXXXXX")).string();
  int fd = mkostemp(tmpl.data(), O_CLOEXEC);  // created 0600
  if (fd < 0)
    return ErrnoError("create temp file for", path);
  auto fail = [&](std::string_view what) {
    Status s = ErrnoError(what, tmpl);
    ::close(fd);
    ::unlink(tmpl.c_str());
    return s;
  };
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return fail("write");
    }
    off += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0)
    return fail("chmod");
  if (::fsync(fd) != 0)
    return fail("fsync");
  if (::close(fd) != 0) {
    Status s = ErrnoError("close", tmpl);
    ::unlink(tmpl.c_str());
    return s;
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    Status s = ErrnoError("rename to", path);
    ::unlink(tmpl.c_str());
    return s;
  }
  return FsyncDir(dir);
}

Result<Pki> GeneratePki(const std::vector<std::string>& hosts) {
  KCX_ASSIGN_OR_RETURN(std::vector<Host> serving_hosts, ServingHosts(hosts));
  KCX_ASSIGN_OR_RETURN(PkeyPtr ca_key, GenerateKey());
  KCX_ASSIGN_OR_RETURN(X509Ptr ca, Issue(CaSpec(), ca_key.get(), nullptr, nullptr));
  Pki pki;
  KCX_ASSIGN_OR_RETURN(pki.ca_cert_pem, CertToPem(ca.get()));
  KCX_ASSIGN_OR_RETURN(pki.ca_key_pem, KeyToPem(ca_key.get()));
  KCX_ASSIGN_OR_RETURN(Issued serving,
                       IssueWithNewKey(ServingSpec(serving_hosts), ca.get(), ca_key.get()));
  KCX_ASSIGN_OR_RETURN(Issued admin, IssueWithNewKey(AdminSpec(), ca.get(), ca_key.get()));
  pki.serving_cert_pem = std::move(serving.cert_pem);
  pki.serving_key_pem = std::move(serving.key_pem);
  pki.admin_cert_pem = std::move(admin.cert_pem);
  pki.admin_key_pem = std::move(admin.key_pem);
  return pki;
}

Result<Pki> LoadOrCreatePki(const std::string& dir, const std::vector<std::string>& hosts) {
  KCX_ASSIGN_OR_RETURN(std::vector<Host> serving_hosts, ServingHosts(hosts));
  KCX_RETURN_IF_ERROR(EnsureDir(dir));
  auto file = [&dir](const char* name) { return (fs::path(dir) / name).string(); };

  KCX_ASSIGN_OR_RETURN(auto ca_cert_file, ReadFileIfExists(file("ca.crt")));
  KCX_ASSIGN_OR_RETURN(auto ca_key_file, ReadFileIfExists(file("ca.key")));
  if (ca_cert_file.has_value() != ca_key_file.has_value()) {
    return Internal("pki: " + dir + " has " +
                    (ca_cert_file ? "ca.crt but no ca.key" : "ca.key but no ca.crt") +
                    "; refusing to replace the CA (remove both to start over)");
  }
  Pki pki;
  if (!ca_cert_file) {
    // First start: everything is new. CA files are written last, so a crash half-way leaves
    // no CA and the next start simply generates again.
    KCX_ASSIGN_OR_RETURN(pki, GeneratePki(hosts));
    KCX_RETURN_IF_ERROR(WriteFileAtomic(file("serving.key"), pki.serving_key_pem, 0600));
    KCX_RETURN_IF_ERROR(WriteFileAtomic(file("serving.crt"), pki.serving_cert_pem, 0644));
    KCX_RETURN_IF_ERROR(WriteFileAtomic(file("admin.key"), pki.admin_key_pem, 0600));
    KCX_RETURN_IF_ERROR(WriteFileAtomic(file("admin.crt"), pki.admin_cert_pem, 0644));
    KCX_RETURN_IF_ERROR(WriteFileAtomic(file("ca.key"), pki.ca_key_pem, 0600));
    KCX_RETURN_IF_ERROR(WriteFileAtomic(file("ca.crt"), pki.ca_cert_pem, 0644));
    log::Info("pki: generated a new CA and certificates in {}", dir);
    return pki;
  }

  pki.ca_cert_pem = std::move(*ca_cert_file);
  pki.ca_key_pem = std::move(*ca_key_file);
  RestrictKeyMode(file("ca.key"));
  KCX_ASSIGN_OR_RETURN(X509Ptr ca, CertFromPem(pki.ca_cert_pem));
  KCX_ASSIGN_OR_RETURN(PkeyPtr ca_key, KeyFromPem(pki.ca_key_pem));
  if (X509_check_private_key(ca.get(), ca_key.get()) != 1) {
    ERR_clear_error();
    return Internal("pki: " + file("ca.key") + " does not match " + file("ca.crt"));
  }
  time_t now = time(nullptr);
  if (X509_cmp_time(X509_get0_notAfter(ca.get()), &now) <= 0) {
    return Internal("pki: the CA in " + dir +
                    " has expired (remove ca.crt and ca.key to start"
                    " over; existing kubeconfigs will need the new CA)");
  }

  struct Leaf {
    const char* cert;
    const char* key;
    CertSpec spec;
    std::string* cert_pem;
    std::string* key_pem;
    std::vector<Host> required_hosts;
  };
  Leaf leaves[] = {
      {"serving.crt", "serving.key", ServingSpec(serving_hosts), &pki.serving_cert_pem,
       &pki.serving_key_pem, serving_hosts},
      {"admin.crt", "admin.key", AdminSpec(), &pki.admin_cert_pem, &pki.admin_key_pem, {}},
  };
  for (Leaf& leaf : leaves) {
    KCX_ASSIGN_OR_RETURN(auto cert_file, ReadFileIfExists(file(leaf.cert)));
    KCX_ASSIGN_OR_RETURN(auto key_file, ReadFileIfExists(file(leaf.key)));
    if (cert_file && key_file &&
        LeafIsUsable(*cert_file, *key_file, ca.get(), ca_key.get(), leaf.required_hosts)) {
      RestrictKeyMode(file(leaf.key));
      *leaf.cert_pem = std::move(*cert_file);
      *leaf.key_pem = std::move(*key_file);
      continue;
    }
    ERR_clear_error();
    if (leaf.required_hosts.empty() == false) {
      // Keep the hosts the old certificate already had, so adding a host never drops one.
      if (cert_file) {
        if (auto old = CertFromPem(*cert_file); old.ok()) {
          std::unique_ptr<GENERAL_NAMES, Free> names(static_cast<GENERAL_NAMES*>(
              X509_get_ext_d2i(old->get(), NID_subject_alt_name, nullptr, nullptr)));
          for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
            const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), i);
            std::optional<Host> h;
            if (g->type == GEN_DNS) {
              h = Host{
                  false,
                  std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                              ASN1_STRING_length(g->d.dNSName))};
            } else if (g->type == GEN_IPADD) {
              const ASN1_OCTET_STRING* ip = g->d.iPAddress;
              char out[INET6_ADDRSTRLEN];
              int af = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
              if ((ASN1_STRING_length(ip) == 4 || ASN1_STRING_length(ip) == 16) &&
                  inet_ntop(af, ASN1_STRING_get0_data(ip), out, sizeof(out))) {
                h = Host{true, out};
              }
            }
            if (h && std::find(leaf.spec.sans.begin(), leaf.spec.sans.end(), *h) ==
                         leaf.spec.sans.end()) {
              leaf.spec.sans.push_back(std::move(*h));
            }
          }
        }
        ERR_clear_error();
      }
    }
    KCX_ASSIGN_OR_RETURN(Issued issued, IssueWithNewKey(leaf.spec, ca.get(), ca_key.get()));
    // Key first: a crash between the two writes leaves a mismatched pair, which the next
    // start detects (X509_check_private_key) and re-issues.
    KCX_RETURN_IF_ERROR(WriteFileAtomic(file(leaf.key), issued.key_pem, 0600));
    KCX_RETURN_IF_ERROR(WriteFileAtomic(file(leaf.cert), issued.cert_pem, 0644));
    log::Info("pki: issued {} from the existing CA in {}", leaf.cert, dir);
    *leaf.cert_pem = std::move(issued.cert_pem);
    *leaf.key_pem = std::move(issued.key_pem);
  }
  return pki;
}

Result<std::string> LoadOrCreateToken(const std::string& dir) {
  KCX_RETURN_IF_ERROR(EnsureDir(dir));
  const std::string path = (fs::path(dir) / "token").string();
  KCX_ASSIGN_OR_RETURN(auto existing, ReadFileIfExists(path));
  if (existing) {
    const char* ws = " \t\r\n";
    size_t b = existing->find_first_not_of(ws);
    if (b == std::string::npos)
      return Internal("pki: token file " + path + " is empty");
    size_t e = existing->find_last_not_of(ws);
    RestrictKeyMode(path);
    return existing->substr(b, e - b + 1);
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof(raw)) != 1)
    return OpenSslError("random token");
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  token.reserve(64);
  for (unsigned char c : raw) {
    token.push_back(kHex[c >> 4]);
    token.push_back(kHex[c & 15]);
  }
  OPENSSL_cleanse(raw, sizeof(raw));
  KCX_RETURN_IF_ERROR(WriteFileAtomic(path, token + "\n", 0600));
  return token;
}

bool TokenEquals(std::string_view a, std::string_view b) {
  unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
  unsigned int la = 0, lb = 0;
  if (EVP_Digest(a.data(), a.size(), da, &la, EVP_sha256(), nullptr) != 1 ||
      EVP_Digest(b.data(), b.size(), db, &lb, EVP_sha256(), nullptr) != 1 || la != lb) {
    ERR_clear_error();
    return false;
  }
  return CRYPTO_memcmp(da, db, la) == 0;
}

Result<CertIdentity> IdentityFromCertificate(const X509* cert) {
  if (cert == nullptr)
    return Unauthorized("no client certificate");
  const X509_NAME* name = X509_get_subject_name(cert);
  CertIdentity id;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    if (nid != NID_commonName && nid != NID_organizationName)
      continue;
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (n < 0)
      return OpenSslError("decode subject name");
    std::string value(reinterpret_cast<char*>(utf8), n);
    OPENSSL_free(utf8);
    if (nid == NID_commonName) {
      // Kubernetes uses the subject's CommonName; with several, the last one is the most
      // specific in DN order, but there is normally one.
      id.user = std::move(value);
    } else {
      id.groups.push_back(std::move(value));
    }
  }
  if (id.user.empty())
    return Unauthorized("client certificate has no common name");
  return id;
}

Result<CertIdentity> IdentityFromCertificatePem(std::string_view pem) {
  auto cert = CertFromPem(pem);
  if (!cert.ok())
    return Unauthorized("invalid client certificate");
  return IdentityFromCertificate(cert->get());
}

Status WriteKubeconfig(const std::string& path, const KubeconfigSpec& spec) {
  if (spec.server_url.empty())
    return Invalid("kubeconfig: server URL is required");
  const std::string cluster = YamlScalar(spec.cluster_name);
  const std::string user = YamlScalar(spec.user_name);
  const std::string context = YamlScalar(spec.context_name);
  // The layout and key order kubectl itself writes (keys sorted, sequences not indented).
  std::string y;
  y.reserve(4096);
  y += "apiVersion: v1\nclusters:\n- cluster:\n";
  if (!spec.ca_pem.empty())
    y += "    certificate-authority-data: " + Base64(spec.ca_pem) + "\n";
  y += "    server: " + YamlScalar(spec.server_url) + "\n";
  y += "  name: " + cluster + "\n";
  y += "contexts:\n- context:\n";
  y += "    cluster: " + cluster + "\n";
  if (!spec.namespace_.empty())
    y += "    namespace: " + YamlScalar(spec.namespace_) + "\n";
  y += "    user: " + user + "\n";
  y += "  name: " + context + "\n";
  y += "current-context: " + context + "\n";
  y += "kind: Config\npreferences: {}\nusers:\n";
  std::string credentials;
  if (!spec.client_cert_pem.empty()) {
    credentials += "    client-certificate-data: " + Base64(spec.client_cert_pem) + "\n";
  }
  if (!spec.client_key_pem.empty()) {
    credentials += "    client-key-data: " + Base64(spec.client_key_pem) + "\n";
  }
  if (!spec.token.empty())
    credentials += "    token: " + YamlScalar(spec.token) + "\n";
  y += "- name: " + user + "\n";
  y += credentials.empty() ? "  user: {}\n" : "  user:\n" + credentials;
  OPENSSL_cleanse(credentials.data(), credentials.size());
  fs::path p(path);
  if (!p.parent_path().empty())
    KCX_RETURN_IF_ERROR(EnsureDir(p.parent_path().string()));
  Status s = WriteFileAtomic(path, y, 0600);
  OPENSSL_cleanse(y.data(), y.size());
  return s;
}

}  // namespace kcx::apiserver
