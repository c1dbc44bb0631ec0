#include "apiserver/admission/caller.h"

#include <map>
#include <mutex>
#include <vector>

#include "client/transport.h"

namespace kcx::apiserver::admission {

namespace {

using Clock = std::chrono::steady_clock;

class HttpsCaller : public WebhookCaller {
 public:
  Result<std::string> Post(const CallTarget& t, const std::string& body,
                           std::chrono::milliseconds timeout) override {
    auto deadline = Clock::now() + timeout;
    auto left_ms = [&] {
      return static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    };
    std::string key =
        t.host + "\n" + std::to_string(t.port) + "\n" + t.server_name + "\n" + t.ca_pem;
    client::HttpRequest req;
    req.method = "POST";
    req.target = t.target;
    req.body = body;
    req.content_type = "application/json";
    req.accept = "application/json, */*";
    req.user_agent = "kcx-apiserver/v1.32.0 admission";
    // A pooled connection may have been closed by the server since; one retry on a fresh one.
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::unique_ptr<client::Connection> conn = attempt == 0 ? TakeIdle(key) : nullptr;
      bool pooled = conn != nullptr;
      if (!conn) {
        if (left_ms() <= 0)
          return Status(Reason::kTimeout, "context deadline exceeded");
        client::Endpoint ep{t.host, t.port};
        client::TlsConfig tls;
        tls.ca_pem = t.ca_pem;
        tls.server_name = t.server_name;
        auto c = client::Connection::Open(ep, tls, left_ms());
        if (!c.ok()) {
          if (left_ms() <= 0)
            return Status(Reason::kTimeout, "context deadline exceeded");
          return c.status();
        }
        conn = std::move(*c);
      }
      if (left_ms() <= 0)
        return Status(Reason::kTimeout, "context deadline exceeded");
      auto r = conn->RoundTrip(req, left_ms());
      if (!r.ok()) {
        if (left_ms() <= 0)
          return Status(Reason::kTimeout, "context deadline exceeded");
        if (pooled)
          continue;
        return r.status();
      }
      if (conn->Reusable())
        PutIdle(key, std::move(conn));
      if (r->code != 200) {
        std::string b = r->body.substr(0, 256);
        return Status(Reason::kInternal,
                      "an error on the server (\"" + b +
                          "\") has prevented the request from succeeding (status code " +
                          std::to_string(r->code) + ")");
      }
      return std::move(r->body);
    }
    return Status(Reason::kInternal, "connection closed");
  }

 private:
  std::unique_ptr<client::Connection> TakeIdle(const std::string& key) {
    std::lock_guard l(mu_);
    auto it = idle_.find(key);
    if (it == idle_.end() || it->second.empty())
      return nullptr;
    auto c = std::move(it->second.back());
    it->second.pop_back();
    return c;
  }
  void PutIdle(const std::string& key, std::unique_ptr<client::Connection> c) {
    std::lock_guard l(mu_);
    auto& v = idle_[key];
    if (v.size() < kMaxIdlePerTarget)
      v.push_back(std::move(c));
  }

  static constexpr size_t kMaxIdlePerTarget = 4;
  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<client::Connection>>> idle_;
};

}  // namespace

std::unique_ptr<WebhookCaller> NewHttpsCaller() { return std::make_unique<HttpsCaller>(); }

}  // namespace kcx::apiserver::admission
