#pragma once

// Exec credential plugins (client.authentication.k8s.io/v1 and v1beta1), as client-go runs
// them: the command gets KUBERNETES_EXEC_INFO (an ExecCredential with spec.interactive=false
// and, with provideClusterInfo, spec.cluster), the kubeconfig's env on top of ours, stdin from
// /dev/null and our stderr; it prints an ExecCredential whose status holds a token or a client
// certificate and key, and optionally expirationTimestamp. Credentials are cached until they
// expire, or until Invalidate() (after a 401).

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "client/config.h"
#include "common/clock.h"
#include "common/status.h"

namespace kcx::client {

struct Credentials {
  std::string token;
  std::string client_cert_pem, client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expiry;
};

class ExecCredentialProvider {
 public:
  // `server` and `ca_pem` are passed to the plugin only with provideClusterInfo.
  ExecCredentialProvider(ExecConfig cfg, std::string server, std::string ca_pem,
                         Clock& clock = RealClock());

  // The cached credentials, running the plugin when there are none or they expired.
  // Thread-safe; concurrent callers share one plugin run.
  Result<Credentials> Get();
  // Forgets the cached credentials (the server rejected them).
  void Invalidate();
  // How many times the plugin ran (for tests and metrics).
  int runs() const;

 private:
  Result<Credentials> Run();

  const ExecConfig cfg_;
  const std::string server_, ca_pem_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::optional<Credentials> cached_;
  int runs_ = 0;
};

}  // namespace kcx::client
