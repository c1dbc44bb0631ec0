#pragma once

// ApiServer: the whole `kcx apiserver` — storage, REST handlers, HTTPS server, credentials,
// kubeconfig, and the server's own background loops (bookmarks, namespace lifecycle).
//
//   kcx::apiserver::ApiServerOptions o;
//   o.storage = "memory"; o.port = 0;
//   kcx::apiserver::ApiServer s(o);
//   if (auto st = s.Start(); !st.ok()) ...
//   s.kubeconfig_path(); s.port(); s.token();
//   s.Stop();

#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace kcx::apiserver {

struct ApiServerOptions {
  std::string data_dir;             // required for durable storage; optional for memory
  std::string storage = "sqlite";   // "sqlite" (durable) or "memory"
  std::string bind_address = "127.0.0.1";
  uint16_t port = 6443;             // 0 picks a free port
  std::string kubeconfig_path;      // default: <data_dir>/kubeconfig
  size_t watch_history = 10000;     // events kept per resource for watch resumption
  int bookmark_interval_ms = 60000;  // periodic watch bookmarks
  int threads = 2;                  // HTTP threads
  int min_request_timeout_s = 1800;
  Clock* clock = nullptr;           // default: the real clock
};

class ApiServer {
 public:
  explicit ApiServer(ApiServerOptions opts);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Loads storage, starts serving, then writes the kubeconfig. Returns when ready.
  Status Start();
  // Ends watches cleanly, stops serving, flushes storage. Idempotent.
  void Stop();

  uint16_t port() const;
  std::string url() const;  // https://127.0.0.1:PORT
  const std::string& kubeconfig_path() const;
  const std::string& token() const;
  const std::string& ca_pem() const;
  const std::string& admin_cert_pem() const;
  const std::string& admin_key_pem() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kcx::apiserver
