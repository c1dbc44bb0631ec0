#pragma once

// HttpServer: HTTPS (Boost.Beast over Asio, C++20 coroutines) with bearer-token and
// client-certificate authentication, streaming watches with chunked encoding.
//
// Threading: `threads` Asio threads run every connection; each connection is a coroutine on
// its own strand. Handler::Handle runs on those threads and may complete later from any
// thread (the responder posts back to the connection's strand).

#include <cstdint>
#include <memory>
#include <string>

#include "apiserver/http/request.h"
#include "common/status.h"

namespace kcx::apiserver {

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;  // 0 picks a free port
  std::string cert_pem, key_pem;
  std::string client_ca_pem;  // client certificates signed by this CA authenticate
  std::string token;          // the bearer token that authenticates
  int threads = 2;
  size_t max_body_bytes = 3 * 1024 * 1024;  // as kube-apiserver: larger bodies get 413
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions opts, Handler* handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. Returns once the socket is listening.
  Status Start();
  uint16_t port() const;
  // Stops accepting, ends open watch streams cleanly (terminating chunk), waits up to
  // `grace_ms` for connections to finish, then stops the threads. Idempotent.
  void Stop(int grace_ms = 2000);

  struct Impl;  // implementation detail (server.cc), public for its connection class

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kcx::apiserver
