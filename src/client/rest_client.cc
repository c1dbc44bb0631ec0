#include "client/rest_client.h"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/strings.h"

namespace kcx::client {

namespace json = boost::json;

namespace {

constexpr int kMaxRetryAfterRetries = 10;
constexpr int kMaxConnRetries = 3;
constexpr size_t kMaxIdle = 32;
constexpr auto kTokenFileRefresh = std::chrono::minutes(1);

bool Idempotent(std::string_view verb) {
  return verb == "GET" || verb == "HEAD" || verb == "PUT" || verb == "DELETE";
}

// Seconds from a Retry-After header (delta-seconds form, as kube-apiserver sends it).
std::optional<int> RetryAfter(const HttpResponse& r) {
  std::string v = r.Header("Retry-After");
  if (v.empty())
    return std::nullopt;
  char* end = nullptr;
  long s = std::strtol(v.c_str(), &end, 10);
  if (!end || *end || s < 0)
    return std::nullopt;
  return static_cast<int>(std::min<long>(s, 600));
}

class RestWatchStream : public WatchStream {
 public:
  explicit RestWatchStream(std::unique_ptr<Connection> c) : conn_(std::move(c)) {}
  ~RestWatchStream() override { conn_->Close(); }

  Result<std::optional<WatchEvent>> Next(int idle_timeout_ms) override {
    for (;;) {
      size_t nl = buf_.find('\n', scanned_);
      if (nl != std::string::npos) {
        std::string_view line(buf_.data(), nl);
        boost::system::error_code ec;
        json::value v = json::parse(line, ec);
        std::string consumed_line(line);
        buf_.erase(0, nl + 1);
        scanned_ = 0;
        if (Trim(consumed_line).empty())
          continue;
        if (ec || !v.is_object())
          return Internal("watch: undecodable frame: " + consumed_line);
        const json::object& o = v.get_object();
        const json::value* t = o.if_contains("type");
        const json::value* obj = o.if_contains("object");
        if (!t || !t->is_string() || !obj)
          return Internal("watch: frame without type/object");
        return std::optional<WatchEvent>(
            WatchEvent{std::string(t->get_string()), json::serialize(*obj)});
      }
      scanned_ = buf_.size();
      auto more = conn_->ReadSome(idle_timeout_ms);
      if (!more.ok())
        return more.status();
      if (more->empty())
        return std::optional<WatchEvent>();
      buf_ += *more;
    }
  }
  void Close() override { conn_->Close(); }

 private:
  std::unique_ptr<Connection> conn_;
  std::string buf_;
  size_t scanned_ = 0;
};

}  // namespace

std::string RestRequest::Target() const {
  std::string t = path;
  char sep = path.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : query) {
    t += sep;
    t += QueryEscape(k);
    t += '=';
    t += QueryEscape(v);
    sep = '&';
  }
  return t;
}

Status StatusFromResponse(const HttpResponse& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (!ec && v.is_object()) {
    const json::object& o = v.get_object();
    const json::value* kind = o.if_contains("kind");
    if (kind && *kind == "Status") {
      auto str = [](const json::object& x, const char* k) {
        const json::value* s = x.if_contains(k);
        return s && s->is_string() ? std::string(s->get_string()) : std::string();
      };
      int code = r.code;
      if (const json::value* c = o.if_contains("code"); c && c->is_int64()) {
        code = static_cast<int>(c->get_int64());
      }
      Status st(ReasonFromString(str(o, "reason"), code), str(o, "message"));
      if (const json::value* d = o.if_contains("details"); d && d->is_object()) {
        const json::object& dobj = d->get_object();
        StatusDetails det;
        det.name = str(dobj, "name");
        det.group = str(dobj, "group");
        det.kind = str(dobj, "kind");
        det.uid = str(dobj, "uid");
        if (const json::value* ra = dobj.if_contains("retryAfterSeconds"); ra && ra->is_int64()) {
          det.retry_after_seconds = static_cast<int>(ra->get_int64());
        }
        if (const json::value* cs = dobj.if_contains("causes"); cs && cs->is_array()) {
          for (const auto& c : cs->get_array()) {
            if (!c.is_object())
              continue;
            det.causes.push_back({str(c.get_object(), "reason"), str(c.get_object(), "message"),
                                  str(c.get_object(), "field")});
          }
        }
        st.WithDetails(std::move(det));
      }
      return st;
    }
  }
  // Not a Status: classify by code, with the body (trimmed) as the message.
  std::string body(Trim(r.body).substr(0, 512));
  std::string msg = "the server responded with status " + std::to_string(r.code) +
                    (body.empty() ? "" : ": " + body);
  return Status(ReasonFromString("", r.code), msg);
}

Result<std::unique_ptr<RestClient>> RestClient::Create(RestConfig cfg, Clock& clock) {
  auto ep = Endpoint::FromUrl(cfg.host);
  if (!ep.ok())
    return ep.status();
  return std::unique_ptr<RestClient>(new RestClient(std::move(cfg), *ep, clock));
}

RestClient::RestClient(RestConfig cfg, Endpoint ep, Clock& clock)
    : cfg_(std::move(cfg)), ep_(std::move(ep)), clock_(clock) {
  if (cfg_.exec) {
    exec_ =
        std::make_unique<ExecCredentialProvider>(*cfg_.exec, cfg_.host, cfg_.tls.ca_pem, clock_);
  }
  tokens_ = cfg_.burst;
  tokens_at_ = clock_.Now();
}

RestClient::~RestClient() = default;

Result<RestClient::Auth> RestClient::CurrentAuth() {
  Auth a;
  a.tls = cfg_.tls;
  if (!cfg_.bearer_token.empty()) {
    a.bearer = cfg_.bearer_token;
  } else if (!cfg_.bearer_token_file.empty()) {
    std::lock_guard l(mu_);
    auto now = clock_.Now();
    if (!file_token_read_ || now - *file_token_read_ >= kTokenFileRefresh) {
      auto t = ReadWholeFile(cfg_.bearer_token_file);
      if (!t && file_token_.empty()) {
        return Unauthorized("cannot read token file " + cfg_.bearer_token_file);
      }
      if (t)
        file_token_ = std::string(Trim(*t));
      file_token_read_ = now;
    }
    a.bearer = file_token_;
  }
  if (exec_) {
    auto c = exec_->Get();
    if (!c.ok())
      return c.status();
    if (!c->token.empty())
      a.bearer = c->token;
    if (!c->client_cert_pem.empty()) {
      a.tls.client_cert_pem = c->client_cert_pem;
      a.tls.client_key_pem = c->client_key_pem;
    }
  }
  return a;
}

void RestClient::WaitForToken() {
  if (cfg_.qps <= 0)
    return;
  std::unique_lock l(mu_);
  auto now = clock_.Now();
  tokens_ = std::min<double>(
      cfg_.burst, tokens_ + cfg_.qps * std::chrono::duration<double>(now - tokens_at_).count());
  tokens_at_ = now;
  tokens_ -= 1;
  if (tokens_ >= 0)
    return;
  auto wait = std::chrono::duration<double>(-tokens_ / cfg_.qps);
  l.unlock();
  std::this_thread::sleep_for(wait);
}

Result<std::unique_ptr<Connection>> RestClient::Acquire(const TlsConfig& tls, bool* reused) {
  {
    std::lock_guard l(mu_);
    if (tls.client_cert_pem != tls_identity_) {
      // New client credentials (exec plugin rotated them): old connections carry the old
      // identity.
      idle_.clear();
      tls_identity_ = tls.client_cert_pem;
    }
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->Reusable()) {
        *reused = true;
        return c;
      }
    }
  }
  *reused = false;
  int timeout = cfg_.timeout.count() > 0 ? static_cast<int>(cfg_.timeout.count()) : 10000;
  auto c = Connection::Open(ep_, tls, std::min(timeout, 10000));
  if (c.ok())
    ++opened_;
  return c;
}

void RestClient::Release(std::unique_ptr<Connection> c) {
  if (!c->Reusable())
    return;
  std::lock_guard l(mu_);
  if (idle_.size() < kMaxIdle)
    idle_.push_back(std::move(c));
}

Result<HttpResponse> RestClient::Attempt(const RestRequest& req, const Auth& auth,
                                         bool* retry_conn) {
  *retry_conn = false;
  bool reused = false;
  auto conn = Acquire(auth.tls, &reused);
  if (!conn.ok()) {
    *retry_conn = true;  // nothing was sent
    return conn.status();
  }
  HttpRequest h;
  h.method = req.verb;
  h.target = req.Target();
  h.body = req.body;
  h.content_type = req.body.empty() && req.verb == "GET" ? "" : req.content_type;
  h.accept = req.accept;
  h.bearer_token = auth.bearer;
  h.user_agent = cfg_.user_agent;
  int timeout = req.timeout_ms > 0         ? req.timeout_ms
                : cfg_.timeout.count() > 0 ? static_cast<int>(cfg_.timeout.count())
                                           : 60000;
  auto start = clock_.Now();
  auto r = (*conn)->RoundTrip(h, timeout);
  if (metrics_)
    metrics_->OnRequest(req.verb, r.ok() ? r->code : 0, clock_.Now() - start);
  if (!r.ok()) {
    // A pooled connection the server closed while idle fails on first use; idempotent
    // requests (and any request on a reused connection that never got a response) retry.
    *retry_conn = Idempotent(req.verb) || reused;
    return r.status();
  }
  Release(std::move(*conn));
  return r;
}

Result<HttpResponse> RestClient::Do(const RestRequest& req) {
  int retry_after_retries = 0, conn_retries = 0;
  bool auth_retried = false;
  for (;;) {
    WaitForToken();
    auto auth = CurrentAuth();
    if (!auth.ok())
      return auth.status();
    bool retry_conn = false;
    auto r = Attempt(req, *auth, &retry_conn);
    if (!r.ok()) {
      if (retry_conn && conn_retries < kMaxConnRetries) {
        // 0 ms, 100 ms, 200 ms: the first retry is immediate (a stale pooled connection).
        std::this_thread::sleep_for(std::chrono::milliseconds(100 * conn_retries));
        ++conn_retries;
        continue;
      }
      return r.status();
    }
    if (r->code >= 200 && r->code < 300)
      return r;
    if (r->code == 401 && exec_ && !auth_retried) {
      exec_->Invalidate();
      auth_retried = true;
      continue;
    }
    if ((r->code == 429 || r->code >= 500) && retry_after_retries < kMaxRetryAfterRetries) {
      if (auto s = RetryAfter(*r)) {
        ++retry_after_retries;
        std::this_thread::sleep_for(std::chrono::seconds(*s));
        continue;
      }
    }
    return StatusFromResponse(*r);
  }
}

Result<std::unique_ptr<WatchStream>> RestClient::Watch(const RestRequest& req) {
  WaitForToken();
  auto auth = CurrentAuth();
  if (!auth.ok())
    return auth.status();
  auto conn = Connection::Open(ep_, auth->tls, 10000);
  if (!conn.ok())
    return conn.status();
  ++opened_;
  HttpRequest h;
  h.method = req.verb;
  h.target = req.Target();
  h.accept = req.accept;
  h.bearer_token = auth->bearer;
  h.user_agent = cfg_.user_agent;
  auto start = clock_.Now();
  auto r = (*conn)->StartStream(h, req.timeout_ms > 0 ? req.timeout_ms : 60000);
  if (metrics_)
    metrics_->OnRequest("WATCH", r.ok() ? r->code : 0, clock_.Now() - start);
  if (!r.ok())
    return r.status();
  if (r->code != 200) {
    // Read the (small) error body for its Status.
    HttpResponse full = *r;
    for (;;) {
      auto more = (*conn)->ReadSome(5000);
      if (!more.ok() || more->empty())
        break;
      full.body += *more;
    }
    if (r->code == 401 && exec_)
      exec_->Invalidate();
    return StatusFromResponse(full);
  }
  return std::unique_ptr<WatchStream>(new RestWatchStream(std::move(*conn)));
}

}  // namespace kcx::client
