#include "apiserver/http/server.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "common/log.h"
#include "common/strings.h"

namespace kcx::apiserver {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Stream = beast::ssl_stream<beast::tcp_stream>;

std::string_view Request::Query(std::string_view key) const {
  auto it = query.find(key);
  return it == query.end() ? std::string_view() : std::string_view(it->second);
}

bool Request::HasQuery(std::string_view key) const { return query.find(key) != query.end(); }

namespace {

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int h = HexVal(s[i + 1]), l = HexVal(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out += static_cast<char>(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

void ParseTarget(std::string_view target, Request& req) {
  size_t q = target.find('?');
  req.path = PercentDecode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  for (std::string_view kv : Split(target.substr(q + 1), '&')) {
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    std::string k = PercentDecode(kv.substr(0, eq), true);
    std::string v = eq == std::string_view::npos ? "" : PercentDecode(kv.substr(eq + 1), true);
    req.query.emplace(std::move(k), std::move(v));
  }
}

std::string StatusJson(int code, std::string_view reason, std::string_view message) {
  boost::json::object o;
  o["kind"] = "Status";
  o["apiVersion"] = "v1";
  o["metadata"] = boost::json::object();
  o["status"] = "Failure";
  o["message"] = message;
  o["reason"] = reason;
  o["code"] = code;
  return boost::json::serialize(o);
}

// Identity from a verified client certificate: CN is the user, O entries are groups.
UserInfo CertUser(SSL* ssl) {
  UserInfo u;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return u;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    X509_NAME* subj = X509_get_subject_name(cert);
    for (int i = 0; i < X509_NAME_entry_count(subj); ++i) {
      X509_NAME_ENTRY* e = X509_NAME_get_entry(subj, i);
      int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
      ASN1_STRING* d = X509_NAME_ENTRY_get_data(e);
      std::string val(reinterpret_cast<const char*>(ASN1_STRING_get0_data(d)),
                      ASN1_STRING_length(d));
      if (nid == NID_commonName) u.name = val;
      if (nid == NID_organizationName) u.groups.push_back(val);
    }
    u.authenticated = !u.name.empty();
  }
  X509_free(cert);
  return u;
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions opts;
  Handler* handler;
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_server};
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<uint16_t> port{0};
  std::atomic<bool> stopping{false};
  std::atomic<int> sessions{0};
  std::mutex mu;
  std::set<std::shared_ptr<WatchStream>> watches;  // open watch streams, ended on Stop
  bool stopped = false;

  Impl(HttpServerOptions o, Handler* h) : opts(std::move(o)), handler(h) {}

  Status SetupTls() {
    boost::system::error_code ec;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                        ssl::context::no_tlsv1_1,
                    ec);
    ctx.use_certificate_chain(asio::buffer(opts.cert_pem), ec);
    if (ec) return Internal("loading serving certificate: " + ec.message());
    ctx.use_private_key(asio::buffer(opts.key_pem), ssl::context::pem, ec);
    if (ec) return Internal("loading serving key: " + ec.message());
    if (!opts.client_ca_pem.empty()) {
      ctx.add_certificate_authority(asio::buffer(opts.client_ca_pem), ec);
      if (ec) return Internal("loading client CA: " + ec.message());
      // Ask for a client certificate but do not require one; an unverifiable certificate
      // does not fail the handshake, it just does not authenticate (as kube-apiserver).
      ctx.set_verify_mode(ssl::verify_peer, ec);
      ctx.set_verify_callback([](bool, ssl::verify_context&) { return true; }, ec);
    }
    SSL_CTX_set_session_id_context(ctx.native_handle(),
                                   reinterpret_cast<const unsigned char*>("kcx"), 3);
    return Status::Ok();
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket sock = co_await acceptor->async_accept(
          asio::make_strand(ioc), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping) co_return;
        continue;
      }
      sock.set_option(tcp::no_delay(true), ec);
      auto ex = sock.get_executor();
      asio::co_spawn(ex, Session(std::move(sock)), asio::detached);
    }
  }

  static http::response<http::string_body> MakeResponse(Response& r, unsigned version,
                                                        bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(r.code), version};
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-cache, private");
    for (auto& [k, v] : r.headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.body() = std::move(r.body);
    res.prepare_payload();
    return res;
  }

  asio::awaitable<Response> CallHandler(Request req) {
    auto ex = co_await asio::this_coro::executor;
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Response)>(
        [this, &req, ex](auto completion) {
          using C = decltype(completion);
          auto shared = std::make_shared<C>(std::move(completion));
          handler->Handle(std::move(req), [shared, ex](Response resp) {
            asio::post(ex, [shared, resp = std::move(resp)]() mutable {
              (*shared)(std::move(resp));
            });
          });
        },
        asio::use_awaitable);
  }

  asio::awaitable<void> Session(tcp::socket sock) {
    sessions++;
    struct Guard {
      std::atomic<int>& n;
      ~Guard() { n--; }
    } guard{sessions};
    Stream stream(std::move(sock), ctx);
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    co_await stream.async_handshake(ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    UserInfo cert_user = CertUser(stream.native_handle());

    for (;;) {
      // Idle keep-alive connections are closed after a while, as Go's server does.
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(120));
      http::request_parser<http::string_body> parser;
      parser.body_limit(opts.max_body_bytes);
      parser.header_limit(1 << 20);
      co_await http::async_read_header(stream, buffer, parser,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      bool too_large = false, drained = false;
      if (auto len = parser.content_length(); len && *len > opts.max_body_bytes) {
        // Read and drop a moderately large body so the client can read the 413 instead of
        // seeing its upload fail with a reset connection; give up on huge ones.
        too_large = true;
        if (*len <= 64ull << 20) {
          uint64_t left = *len;
          size_t from_buf = static_cast<size_t>(std::min<uint64_t>(buffer.size(), left));
          buffer.consume(from_buf);
          left -= from_buf;
          std::vector<char> scratch(64 * 1024);
          while (left > 0 && !ec) {
            size_t n = co_await stream.async_read_some(
                asio::buffer(scratch.data(), static_cast<size_t>(std::min<uint64_t>(
                                                 left, scratch.size()))),
                asio::redirect_error(asio::use_awaitable, ec));
            left -= n;
          }
          drained = !ec;
        }
      } else {
        co_await http::async_read(stream, buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
        if (ec == http::error::body_limit) too_large = true;
      }
      if (too_large) {
        Response r{413, "application/json",
                   StatusJson(413, "RequestEntityTooLarge",
                              "the server has received a request that is too large: limit is " +
                                  std::to_string(opts.max_body_bytes) + " bytes")};
        auto res = MakeResponse(r, 11, drained);
        boost::system::error_code wec;
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, wec));
        if (drained && !wec) continue;
        break;
      }
      if (ec) break;
      beast::get_lowest_layer(stream).expires_never();
      auto& msg = parser.get();
      Request req;
      req.method = std::string(msg.method_string());
      ParseTarget(msg.target(), req);
      req.accept = std::string(msg[http::field::accept]);
      req.content_type = std::string(msg[http::field::content_type]);
      req.user_agent = std::string(msg[http::field::user_agent]);
      req.body = std::move(msg.body());
      bool keep_alive = msg.keep_alive();
      unsigned version = msg.version();

      std::string_view auth = msg[http::field::authorization];
      if (cert_user.authenticated) {
        req.user = cert_user;
      } else if (StartsWith(auth, "Bearer ") || StartsWith(auth, "bearer ")) {
        std::string_view tok = Trim(auth.substr(7));
        if (!opts.token.empty() && tok.size() == opts.token.size() &&
            CRYPTO_memcmp(tok.data(), opts.token.data(), tok.size()) == 0) {
          req.user = UserInfo{"kcx-admin", {"system:masters", "system:authenticated"}, true};
        }
      }
      Response resp;
      if (!req.user.authenticated) {
        resp = Response{401, "application/json", StatusJson(401, "Unauthorized", "Unauthorized")};
      } else {
        resp = co_await CallHandler(std::move(req));
      }
      if (resp.watch) {
        co_await StreamWatch(stream, resp, version);
        break;
      }
      auto res = MakeResponse(resp, version, keep_alive && !stopping);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep_alive || stopping) break;
    }
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<void> StreamWatch(Stream& stream, Response& resp, unsigned version) {
    auto watch = resp.watch;
    {
      std::lock_guard l(mu);
      if (stopped) {
        watch->Stop();
        co_return;
      }
      watches.insert(watch);
    }
    auto ex = co_await asio::this_coro::executor;
    auto wake_timer = std::make_shared<asio::steady_timer>(ex);
    wake_timer->expires_at(asio::steady_timer::time_point::max());
    auto pending = std::make_shared<std::atomic<bool>>(true);
    auto done_flag = std::make_shared<std::atomic<bool>>(false);
    watch->SetWakeup([wake_timer, pending, ex] {
      if (!pending->exchange(true)) {
        asio::post(ex, [wake_timer] { wake_timer->cancel(); });
      }
    });

    boost::system::error_code ec;
    http::response<http::empty_body> res{http::status::ok, version};
    res.set(http::field::content_type, resp.content_type);
    res.set(http::field::cache_control, "no-cache, private");
    res.chunked(true);
    res.keep_alive(false);
    http::response_serializer<http::empty_body> sr{res};
    co_await http::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));

    // The deadline (timeoutSeconds) and client disconnects both end the stream.
    asio::steady_timer deadline(ex);
    deadline.expires_after(std::chrono::seconds(std::max(1, watch->TimeoutSeconds())));
    deadline.async_wait([wake_timer, done_flag](boost::system::error_code e) {
      if (!e) {
        done_flag->store(true);
        wake_timer->cancel();
      }
    });
    // A pending read notices the client closing the connection while no events flow.
    auto probe = std::make_shared<std::array<char, 1>>();
    auto probe_done = std::make_shared<std::atomic<bool>>(false);
    stream.async_read_some(
        asio::buffer(*probe),
        [wake_timer, done_flag, probe_done, probe](boost::system::error_code, size_t) {
          done_flag->store(true);
          probe_done->store(true);
          wake_timer->cancel();
        });

    std::vector<std::shared_ptr<const std::string>> frames;
    std::vector<asio::const_buffer> bufs;
    char size_line[32];
    bool more = true;
    while (!ec && more && !done_flag->load()) {
      if (!pending->exchange(false)) {
        boost::system::error_code wait_ec;
        co_await wake_timer->async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
        continue;
      }
      frames.clear();
      more = watch->Next(frames);
      if (frames.empty()) continue;
      size_t total = 0;
      for (auto& f : frames) total += f->size();
      int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", total);
      bufs.clear();
      bufs.emplace_back(size_line, static_cast<size_t>(n));
      for (auto& f : frames) bufs.emplace_back(f->data(), f->size());
      bufs.emplace_back("\r\n", 2);
      co_await asio::async_write(stream, bufs, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!ec) {
      co_await asio::async_write(stream, asio::buffer("0\r\n\r\n", 5),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    deadline.cancel();
    watch->Stop();
    {
      std::lock_guard l(mu);
      watches.erase(watch);
    }
    // The probe read must finish before the stream can be shut down or destroyed.
    if (!probe_done->load()) {
      boost::system::error_code cancel_ec;
      beast::get_lowest_layer(stream).socket().cancel(cancel_ec);
      while (!probe_done->load()) {
        boost::system::error_code wait_ec;
        wake_timer->expires_at(asio::steady_timer::time_point::max());
        co_await wake_timer->async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
      }
    }
  }
};

HttpServer::HttpServer(HttpServerOptions opts, Handler* handler)
    : impl_(std::make_unique<Impl>(std::move(opts), handler)) {}

HttpServer::~HttpServer() { Stop(0); }

Status HttpServer::Start() {
  KCX_RETURN_IF_ERROR(impl_->SetupTls());
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(impl_->opts.bind_address, ec);
  if (ec) return BadRequest("invalid bind address " + impl_->opts.bind_address);
  tcp::endpoint ep(addr, impl_->opts.port);
  impl_->acceptor = std::make_unique<tcp::acceptor>(impl_->ioc);
  impl_->acceptor->open(ep.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(ep, ec);
  if (!ec) impl_->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + impl_->opts.bind_address + ":" +
                       std::to_string(impl_->opts.port) + ": " + ec.message());
  }
  impl_->port = impl_->acceptor->local_endpoint().port();
  asio::co_spawn(impl_->ioc, impl_->Accept(), asio::detached);
  for (int i = 0; i < std::max(1, impl_->opts.threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  }
  return Status::Ok();
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Stop(int grace_ms) {
  if (!impl_ || impl_->threads.empty()) return;
  if (impl_->stopping.exchange(true)) return;
  asio::post(impl_->ioc, [this] {
    boost::system::error_code ec;
    impl_->acceptor->close(ec);
  });
  std::set<std::shared_ptr<WatchStream>> ws;
  {
    std::lock_guard l(impl_->mu);
    impl_->stopped = true;
    ws = impl_->watches;
  }
  for (auto& w : ws) w->Stop();  // ends each stream; the session writes the final chunk
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard l(impl_->mu);
      if (impl_->watches.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace kcx::apiserver
