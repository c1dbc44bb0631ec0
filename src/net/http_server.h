#pragma once

// A minimal HTTP/1.1 server (Boost.Beast), plain TCP or TLS. Enough for /metrics scrapes, a
// status endpoint, a switchover request, and admission webhooks (HTTPS with keep-alive, so
// the API server's webhook client can reuse its connections).

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace kcx::net {

struct HttpRequest {
  std::string method;  // "GET", "POST"
  std::string target;  // "/status?x=1"
  std::string body;
  std::string content_type;  // the Content-Type header ("" if none)
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Threading: the handler runs on one of the server's I/O threads (concurrently when
// `threads` > 1, each connection's requests in order); it should not block for long.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct TlsServerConfig {
  std::string cert_pem;  // the serving certificate, then its chain
  std::string key_pem;   // its private key (PEM; never logged)
};

struct HttpServerOptions {
  // HTTPS (TLS 1.2 or later) with this certificate when set; plain HTTP otherwise.
  std::optional<TlsServerConfig> tls;
  // Serve further requests on a connection whose client asks for keep-alive (HTTP/1.1's
  // default); otherwise one request per connection, then close.
  bool keep_alive = false;
  // How long a connection may stay without a complete request before it is closed.
  std::chrono::seconds idle_timeout{10};
  int threads = 1;  // I/O threads
};

class HttpServer {
 public:
  HttpServer();
  ~HttpServer();
  // Binds host:port (port 0 picks one) and starts serving: plain HTTP, one request per
  // connection.
  Status Start(const std::string& host, int port, HttpHandler handler);
  // The same with options (TLS, keep-alive, threads). A certificate or key that does not load
  // is Invalid.
  Status Start(const std::string& host, int port, HttpHandler handler, HttpServerOptions opts);
  // Stops accepting, closes every connection and joins the I/O threads. Idempotent.
  void Stop();
  int port() const { return port_; }
  // Connections accepted since Start (tests check that clients reuse connections).
  int connections_accepted() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

// A one-shot HTTP request (for `kcx mysql ha switchover` and tests).
Result<HttpResponse> HttpCall(const std::string& host, int port, const std::string& method,
                              const std::string& target, const std::string& body = "");

}  // namespace kcx::net
