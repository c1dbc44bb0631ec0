#pragma once

// A minimal HTTP/1.1 server (Boost.Beast, plain TCP): one I/O thread, one request
// per connection. Enough for /metrics scrapes, a status endpoint and a switchover request.

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"

namespace kcx::net {

struct HttpRequest {
  std::string method;  // "GET", "POST"
  std::string target;  // "/status?x=1"
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Threading: the handler runs on the server's I/O thread; it must not block for long.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  HttpServer();
  ~HttpServer();
  // Binds host:port (port 0 picks one) and starts serving.
  Status Start(const std::string& host, int port, HttpHandler handler);
  void Stop();
  int port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

// A one-shot HTTP request (for `kcx mysql ha switchover` and tests).
Result<HttpResponse> HttpCall(const std::string& host, int port, const std::string& method,
                              const std::string& target, const std::string& body = "");

}  // namespace kcx::net
