#pragma once

// RestClient: the HTTP layer every kcx client uses (client-go's rest.RESTClient).
//   - HTTPS keep-alive: idle connections are pooled and reused; a pooled connection the
//     server closed meanwhile is replaced transparently.
//   - Authentication from RestConfig: bearer token, token file (re-read at most once a minute,
//     it rotates), client certificates, or an exec plugin (cached; on 401 the credentials are
//     refreshed once and the request retried).
//   - A client-side token bucket (qps/burst; qps <= 0 turns it off).
//   - Retries: 429 and 5xx responses carrying Retry-After are retried after that delay (up to
//     10 times, any verb: the server did not act on them); connection failures are retried
//     with backoff for idempotent verbs (GET, HEAD, PUT, DELETE).
//   - Errors: a non-2xx response becomes a Status with the server's reason, message and
//     details (see errors.h); transport failures are Unavailable/Timeout.
//
// Thread-safe: any number of threads may call Do/Watch concurrently.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/config.h"
#include "client/exec_credential.h"
#include "client/transport.h"
#include "common/clock.h"
#include "common/status.h"

namespace kcx::client {

struct RestRequest {
  std::string verb = "GET";
  std::string path;  // "/api/v1/namespaces/default/pods"
  std::vector<std::pair<std::string, std::string>> query;  // unescaped
  std::string body;
  std::string content_type = "application/json";
  std::string accept = "application/json";
  int timeout_ms = 0;  // 0: RestConfig.timeout, else 60 s

  // path?k=v&... with the values escaped.
  std::string Target() const;
};

// Hooks for client metrics (request counts and latency by verb and code). Called from the
// requesting thread after each attempt; must be thread-safe and quick.
class RestClientMetrics {
 public:
  virtual ~RestClientMetrics() = default;
  // code is the HTTP status, or 0 when the request failed before a response.
  virtual void OnRequest(std::string_view verb, int code, std::chrono::nanoseconds latency) = 0;
};

// One event of a watch stream.
struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  std::string object;  // the object's JSON (a Status for ERROR)
};

// A watch response being read. Not thread-safe except Close(), which unblocks Next().
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // The next event; nullopt at the end of the stream (server timeout or closed). Errors on
  // broken connections, idle timeouts, and undecodable frames.
  virtual Result<std::optional<WatchEvent>> Next(int idle_timeout_ms) = 0;
  virtual void Close() = 0;
};

class RestClient {
 public:
  static Result<std::unique_ptr<RestClient>> Create(RestConfig cfg, Clock& clock = RealClock());
  ~RestClient();

  // Sends a request (with auth, rate limit and retries) and returns the 2xx response, or the
  // Status of the failure.
  Result<HttpResponse> Do(const RestRequest& req);
  // Starts a watch (the request must carry watch=true or target a watch path) on a connection
  // of its own.
  Result<std::unique_ptr<WatchStream>> Watch(const RestRequest& req);

  const RestConfig& config() const { return cfg_; }
  void SetMetrics(RestClientMetrics* m) { metrics_ = m; }
  // Connections opened so far (tests check keep-alive reuse).
  int connections_opened() const { return opened_.load(); }

 private:
  RestClient(RestConfig cfg, Endpoint ep, Clock& clock);

  struct Auth {
    std::string bearer;
    TlsConfig tls;
  };
  Result<Auth> CurrentAuth();
  void WaitForToken();
  Result<std::unique_ptr<Connection>> Acquire(const TlsConfig& tls, bool* reused);
  void Release(std::unique_ptr<Connection> c);
  Result<HttpResponse> Attempt(const RestRequest& req, const Auth& auth, bool* retry_conn);

  RestConfig cfg_;
  Endpoint ep_;
  Clock& clock_;
  std::unique_ptr<ExecCredentialProvider> exec_;
  RestClientMetrics* metrics_ = nullptr;
  std::atomic<int> opened_{0};

  std::mutex mu_;  // guards everything below
  std::vector<std::unique_ptr<Connection>> idle_;
  std::string tls_identity_;  // the client certificate the pooled connections use
  std::string file_token_;
  std::optional<Clock::MonoTime> file_token_read_;
  double tokens_;
  Clock::MonoTime tokens_at_;
};

// The Status a non-2xx response stands for: the server's metav1.Status when the body is one,
// else a Status from the HTTP code (as client-go's newUnstructuredResponseError).
Status StatusFromResponse(const HttpResponse& r);

}  // namespace kcx::client
