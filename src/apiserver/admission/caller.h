#pragma once

// The seam between the admission chain and the network: one HTTPS POST of an AdmissionReview.
//
// Threading: Post blocks the calling thread for at most `timeout`; the chain calls it only
// from its own worker threads, never from the HTTP server's io threads. Implementations are
// thread-safe.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"

namespace kcx::apiserver::admission {

struct CallTarget {
  std::string host;  // name or IP literal (no brackets)
  uint16_t port = 443;
  std::string target;       // path and query ("/validate?timeout=10s")
  std::string server_name;  // TLS SNI and the name the certificate must carry
  std::string ca_pem;       // trust anchors; "" = the system trust store
  std::string url;          // the URL as error messages print it
};

class WebhookCaller {
 public:
  virtual ~WebhookCaller() = default;
  // POSTs `body` (application/json) and returns the response body of a 200 response. Errors
  // describe the failure as Go's HTTP client would ("context deadline exceeded" on timeout);
  // the chain prefixes them with `failed to call webhook: Post "<url>": `.
  virtual Result<std::string> Post(const CallTarget& t, const std::string& body,
                                   std::chrono::milliseconds timeout) = 0;
};

// The real caller: kcx's Beast/OpenSSL client (src/client/transport.h) with certificate and
// host name verification, and a small pool of idle keep-alive connections per target.
std::unique_ptr<WebhookCaller> NewHttpsCaller();

}  // namespace kcx::apiserver::admission
