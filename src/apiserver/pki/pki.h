#pragma once

// Certificates and credentials of kcx apiserver: a private CA, the HTTPS serving certificate,
// an admin client certificate, the bearer token, and the kubeconfig that carries them.
//
// Private keys and tokens are never logged.

#include <openssl/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kcx::apiserver {

struct Pki {
  std::string ca_cert_pem, ca_key_pem;
  std::string serving_cert_pem, serving_key_pem;  // SANs: hosts given + localhost/127.0.0.1/::1
  std::string admin_cert_pem, admin_key_pem;      // client cert CN=kcx-admin, O=system:masters
};

// Generates a fresh CA (EC P-256 via OpenSSL 3 EVP APIs, 10 years), a serving cert signed by it
// (1 year, serverAuth EKU, SANs as DNS or IP entries as appropriate) and an admin client cert
// (clientAuth EKU). Never logs keys. Hosts may be DNS names or IP addresses ("[::1]" is
// accepted); an invalid one is an Invalid error.
Result<Pki> GeneratePki(const std::vector<std::string>& hosts);

// Loads ca.crt/ca.key/serving.crt/serving.key/admin.crt/admin.key from dir, or generates and
// writes them (keys 0600) on first start. If the serving cert lacks one of `hosts`, it is
// re-issued from the same CA (so existing kubeconfigs keep working). The serving and admin
// certs are also re-issued when missing, not signed by the CA, not matching their key, or
// within 30 days of expiry. A CA certificate without its key (or the reverse) is an error,
// never silently replaced. Creates dir (0700) if needed.
Result<Pki> LoadOrCreatePki(const std::string& dir, const std::vector<std::string>& hosts);

// Reads dir/token, or creates it with 32 random bytes hex-encoded (0600).
// Surrounding whitespace in the file is ignored; an empty file is an error.
Result<std::string> LoadOrCreateToken(const std::string& dir);

// Constant-time comparison for tokens (compares SHA-256 digests, so the running time does not
// depend on the contents or the length of either token).
bool TokenEquals(std::string_view a, std::string_view b);

// Identity from a verified client certificate (PEM or X509*): CN as user, O as groups.
// The caller must have verified the chain (the TLS handshake does); this only reads names.
struct CertIdentity {
  std::string user;
  std::vector<std::string> groups;
};
Result<CertIdentity> IdentityFromCertificate(const X509* cert);
Result<CertIdentity> IdentityFromCertificatePem(std::string_view pem);

struct KubeconfigSpec {
  std::string server_url, ca_pem, token, client_cert_pem, client_key_pem,
      cluster_name = "kcx", user_name = "kcx-admin", context_name = "kcx", namespace_ = "default";
};

// Writes a kubeconfig (YAML, as kubectl writes it, with certificate-authority-data base64,
// token and/or client-certificate-data/client-key-data) atomically: temp file in the same dir,
// fsync, chmod 0600, rename. So a script waiting for the file never sees a partial one.
// Empty fields of the spec are left out.
Status WriteKubeconfig(const std::string& path, const KubeconfigSpec& spec);

// Writes `data` to `path` atomically with the given mode (temp file in the same directory,
// fsync, rename, fsync of the directory). The temp file is created 0600.
Status WriteFileAtomic(const std::string& path, std::string_view data, unsigned mode);

}  // namespace kcx::apiserver
