#pragma once

// A real HTTPS admission webhook for tests: Boost.Beast over OpenSSL on 127.0.0.1 port 0,
// with its own certificate. It answers AdmissionReview requests through a handler the test
// supplies, and records every review it received.
//
// Threading: one thread accepts; each connection is served on its own thread (keep-alive).
// The handler runs on those threads, possibly concurrently.

#include <atomic>
#include <boost/json.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kcx::testenv {

class TestWebhookServer {
 public:
  // Receives the review's `request` and the request path; returns the review's `response`
  // without uid (the server copies the request's uid and apiVersion).
  using Handler = std::function<boost::json::object(const boost::json::object& request,
                                                    const std::string& path)>;

  // Starts serving with the PEM certificate chain and key. Aborts the test on failure.
  static std::unique_ptr<TestWebhookServer> Start(const std::string& cert_pem,
                                                  const std::string& key_pem, Handler handler);
  ~TestWebhookServer();  // stops: closes the listener and every open connection

  uint16_t port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }
  // The `request` objects of all reviews received so far, in arrival order.
  std::vector<boost::json::object> Reviews() const;
  size_t Count() const;

  struct Impl;

 private:
  TestWebhookServer() = default;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

// AdmissionReview `response` helpers.
boost::json::object Allow();
boost::json::object Deny(int code, const std::string& message, const std::string& reason = "");
// Allowed, with a base64 JSONPatch.
boost::json::object AllowWithPatch(const boost::json::array& patch);

}  // namespace kcx::testenv
