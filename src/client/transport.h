#pragma once

// HTTPS transport for talking to a Kubernetes API server: one keep-alive connection per
// Connection object, TLS with a CA bundle (or insecure), bearer token or client certificate,
// and streaming reads for watches.
//
// Threading: a Connection is used by one thread at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace kcx::client {

struct TlsConfig {
  std::string ca_pem;                 // trust anchors; empty = system default paths
  bool insecure_skip_verify = false;  // kubeconfig insecure-skip-tls-verify
  std::string server_name;            // SNI and verification name (tls-server-name)
  std::string client_cert_pem, client_key_pem;
};

struct Endpoint {
  std::string host;  // name or IP literal (no brackets)
  uint16_t port = 443;
  // Parses "https://host:port" (path ignored). InvalidArgument-style BadRequest on error.
  static Result<Endpoint> FromUrl(std::string_view url);
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query, already escaped
  std::string body;
  std::string content_type;
  std::string accept = "application/json";
  std::string bearer_token;
  std::string user_agent = "kcx/0.1";
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponse {
  int code = 0;
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string Header(std::string_view name) const;
};

class Connection {
 public:
  virtual ~Connection() = default;

  // Opens a TCP connection and completes the TLS handshake within `timeout_ms`.
  static Result<std::unique_ptr<Connection>> Open(const Endpoint& ep, const TlsConfig& tls,
                                                  int timeout_ms = 10000);

  // Sends a request and reads the whole response. `timeout_ms` bounds the exchange.
  virtual Result<HttpResponse> RoundTrip(const HttpRequest& req, int timeout_ms = 60000) = 0;

  // Streaming: sends the request and reads the status line and headers. Then ReadSome()
  // returns body bytes as they arrive (chunk framing removed) until it returns an empty
  // string at the end of the body. `idle_timeout_ms` bounds each wait for data.
  virtual Result<HttpResponse> StartStream(const HttpRequest& req, int timeout_ms = 60000) = 0;
  virtual Result<std::string> ReadSome(int idle_timeout_ms) = 0;

  // Closes the socket; a blocked ReadSome on another thread returns an error.
  virtual void Close() = 0;
  // False once the peer closed the connection or an error occurred.
  virtual bool Reusable() const = 0;
};

// Percent-encodes a query parameter value (RFC 3986 unreserved characters pass through).
std::string QueryEscape(std::string_view s);

}  // namespace kcx::client
