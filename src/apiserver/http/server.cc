#include "apiserver/http/server.h"

// g++ 12 reports a false maybe-uninitialized inside Beast's optional<> content_length when
// building with sanitizers; the warning is in Boost's inlined code, not ours.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio.hpp>
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

bool Request::QueryBool(std::string_view key) const {
  std::string_view v = Query(key);
  return v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True";
}

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

// One connection. Callback style on the connection's strand: every handler holds a
// shared_ptr to the session, so it lives until its last operation completes.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServer::Impl* srv, tcp::socket sock, ssl::context& ctx);
  void Start();
  // Thread-safe: asks the session to look at its watch stream again.
  void Wake();

 private:
  void OnHandshake(boost::system::error_code ec);
  void ReadHeader();
  void OnHeader(boost::system::error_code ec);
  void Discard(uint64_t left);
  void OnBody(boost::system::error_code ec);
  void OnResponse(Response r);
  void Send(Response r, bool keep_alive);
  void OnWritten(boost::system::error_code ec, bool keep_alive);
  void Send413(bool keep_alive);
  void Close();

  void StartWatch(Response r);
  void Pump();
  void FinishWatch();

  HttpServer::Impl* srv_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::unique_ptr<http::response<http::string_body>> res_;
  std::vector<char> scratch_;
  UserInfo cert_user_;
  unsigned version_ = 11;

  // Watch streaming state (strand only, except pending_).
  std::shared_ptr<WatchStream> watch_;
  std::unique_ptr<http::response<http::empty_body>> watch_res_;
  std::unique_ptr<http::response_serializer<http::empty_body>> watch_sr_;
  std::unique_ptr<asio::steady_timer> deadline_;
  std::atomic<bool> pending_{false};
  bool writing_ = false;
  bool ending_ = false;   // deadline passed or client went away
  bool finished_ = false;
  std::vector<std::shared_ptr<const std::string>> frames_;
  std::string out_;  // the chunk being written (reused between flushes)
  char size_line_[32];
  char probe_[1];
};

struct HttpServer::Impl {
  HttpServerOptions opts;
  Handler* handler;
  // The TLS context outlives the io_context: sessions still queued in the io_context when it
  // is destroyed hold SSL streams that use it.
  ssl::context ctx{ssl::context::tls_server};
  asio::io_context ioc;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<uint16_t> port{0};
  std::atomic<bool> stopping{false};
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

  void Accept() {
    acceptor->async_accept(asio::make_strand(ioc), [this](boost::system::error_code ec,
                                                          tcp::socket sock) {
      if (ec) {
        if (stopping || !acceptor->is_open()) return;
      } else {
        sock.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(this, std::move(sock), ctx)->Start();
      }
      Accept();
    });
  }

  static http::response<http::string_body> MakeResponse(Response& r, unsigned version,
                                                        bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(r.code), version};
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-cache, private");
    for (auto& [k, v] : r.headers) {
      if (k == "Warning") {
        res.insert(k, v);  // one header per warning, as kube-apiserver sends them
      } else {
        res.set(k, v);
      }
    }
    res.keep_alive(keep_alive);
    res.body() = std::move(r.body);
    res.prepare_payload();
    return res;
  }
};

Session::Session(HttpServer::Impl* srv, tcp::socket sock, ssl::context& ctx)
    : srv_(srv), stream_(std::move(sock), ctx) {}

void Session::Start() {
  beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
  stream_.async_handshake(ssl::stream_base::server,
                          [self = shared_from_this()](boost::system::error_code ec) {
                            self->OnHandshake(ec);
                          });
}

void Session::OnHandshake(boost::system::error_code ec) {
  if (ec) return;
  cert_user_ = CertUser(stream_.native_handle());
  ReadHeader();
}

void Session::ReadHeader() {
  // Idle keep-alive connections are closed after a while, as Go's server does.
  beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(120));
  parser_.emplace();
  // The body limit is set once the header is in: Beast would otherwise fail the header read
  // itself for a large Content-Length, before we could answer 413.
  parser_->body_limit(boost::none);
  parser_->header_limit(1 << 20);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](boost::system::error_code ec, size_t) {
                            self->OnHeader(ec);
                          });
}

void Session::OnHeader(boost::system::error_code ec) {
  if (ec) return Close();
  if (auto len = parser_->content_length(); len && *len > srv_->opts.max_body_bytes) {
    // Read and drop a moderately large body so the client can read the 413 instead of seeing
    // its upload fail with a reset connection; give up on huge ones.
    if (*len > (64ull << 20)) return Send413(false);
    uint64_t left = *len;
    size_t from_buf = static_cast<size_t>(std::min<uint64_t>(buffer_.size(), left));
    buffer_.consume(from_buf);
    return Discard(left - from_buf);
  }
  parser_->body_limit(srv_->opts.max_body_bytes);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](boost::system::error_code ec, size_t) {
                     self->OnBody(ec);
                   });
}

void Session::Discard(uint64_t left) {
  if (left == 0) return Send413(true);
  scratch_.resize(64 * 1024);
  size_t n = static_cast<size_t>(std::min<uint64_t>(left, scratch_.size()));
  stream_.async_read_some(asio::buffer(scratch_.data(), n),
                          [self = shared_from_this(), left](boost::system::error_code ec,
                                                            size_t got) {
                            if (ec) return self->Close();
                            self->Discard(left - got);
                          });
}

void Session::Send413(bool keep_alive) {
  Response r{413, "application/json",
             StatusJson(413, "RequestEntityTooLarge",
                        "the server has received a request that is too large: limit is " +
                            std::to_string(srv_->opts.max_body_bytes) + " bytes")};
  Send(std::move(r), keep_alive);
}

void Session::OnBody(boost::system::error_code ec) {
  if (ec == http::error::body_limit) return Send413(false);
  if (ec) return Close();
  beast::get_lowest_layer(stream_).expires_never();
  auto& msg = parser_->get();
  Request req;
  req.method = std::string(msg.method_string());
  ParseTarget(msg.target(), req);
  req.accept = std::string(msg[http::field::accept]);
  req.content_type = std::string(msg[http::field::content_type]);
  req.user_agent = std::string(msg[http::field::user_agent]);
  req.body = std::move(msg.body());
  version_ = msg.version();
  bool keep_alive = msg.keep_alive();

  std::string_view auth = msg[http::field::authorization];
  if (cert_user_.authenticated) {
    req.user = cert_user_;
  } else if (StartsWith(auth, "Bearer ") || StartsWith(auth, "bearer ")) {
    std::string_view tok = Trim(auth.substr(7));
    const std::string& want = srv_->opts.token;
    if (!want.empty() && tok.size() == want.size() &&
        CRYPTO_memcmp(tok.data(), want.data(), tok.size()) == 0) {
      req.user = UserInfo{"kcx-admin", {"system:masters", "system:authenticated"}, true};
    }
  }
  if (!req.user.authenticated) {
    return Send(Response{401, "application/json", StatusJson(401, "Unauthorized", "Unauthorized")},
                keep_alive);
  }
  // The handler may answer inline or later from another thread: always continue on the strand.
  auto self = shared_from_this();
  srv_->handler->Handle(std::move(req), [self, keep_alive](Response r) {
    asio::post(self->stream_.get_executor(), [self, keep_alive, r = std::move(r)]() mutable {
      if (r.watch) return self->StartWatch(std::move(r));
      self->Send(std::move(r), keep_alive);
    });
  });
}

void Session::Send(Response r, bool keep_alive) {
  keep_alive = keep_alive && !srv_->stopping;
  res_ = std::make_unique<http::response<http::string_body>>(
      HttpServer::Impl::MakeResponse(r, version_, keep_alive));
  http::async_write(stream_, *res_,
                    [self = shared_from_this(), keep_alive](boost::system::error_code ec, size_t) {
                      self->OnWritten(ec, keep_alive);
                    });
}

void Session::OnWritten(boost::system::error_code ec, bool keep_alive) {
  res_.reset();
  if (ec || !keep_alive) return Close();
  ReadHeader();
}

void Session::Close() {
  // Closing the socket completes any outstanding operation with an error; the session is
  // freed when the last handler holding it returns.
  boost::system::error_code ec;
  auto& sock = beast::get_lowest_layer(stream_).socket();
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
}

void Session::Wake() {
  if (!pending_.exchange(true)) {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->Pump(); });
  }
}

void Session::StartWatch(Response r) {
  watch_ = std::move(r.watch);
  {
    std::lock_guard l(srv_->mu);
    if (srv_->stopped) {
      watch_->Stop();
      return Close();
    }
    srv_->watches.insert(watch_);
  }
  watch_res_ = std::make_unique<http::response<http::empty_body>>(http::status::ok, version_);
  watch_res_->set(http::field::content_type, r.content_type);
  watch_res_->set(http::field::cache_control, "no-cache, private");
  watch_res_->chunked(true);
  watch_res_->keep_alive(false);
  watch_sr_ = std::make_unique<http::response_serializer<http::empty_body>>(*watch_res_);
  writing_ = true;
  http::async_write_header(
      stream_, *watch_sr_, [self = shared_from_this()](boost::system::error_code ec, size_t) {
        self->writing_ = false;
        if (ec) self->ending_ = true;
        self->Pump();
      });
  // The deadline (timeoutSeconds) and the client going away both end the stream.
  deadline_ = std::make_unique<asio::steady_timer>(stream_.get_executor());
  deadline_->expires_after(std::chrono::seconds(std::max(1, watch_->TimeoutSeconds())));
  deadline_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;
    self->ending_ = true;
    self->Pump();
  });
  stream_.async_read_some(asio::buffer(probe_),
                          [self = shared_from_this()](boost::system::error_code, size_t) {
                            self->ending_ = true;
                            self->Pump();
                          });
  std::weak_ptr<Session> weak = shared_from_this();
  watch_->SetWakeup([weak] {
    if (auto s = weak.lock()) s->Wake();
  });
}

void Session::Pump() {
  pending_ = false;
  if (writing_ || finished_) return;
  if (ending_) return FinishWatch();
  frames_.clear();
  bool more = watch_->Next(frames_);
  if (frames_.empty()) {
    if (!more) FinishWatch();
    return;  // wait for the next wake-up
  }
  // One contiguous chunk per flush: the TLS layer then fills whole 16 KiB records and each
  // sendmsg carries many events, instead of one small write per event buffer.
  size_t total = 0;
  for (auto& f : frames_) total += f->size();
  int n = std::snprintf(size_line_, sizeof size_line_, "%zx\r\n", total);
  out_.clear();
  out_.reserve(total + static_cast<size_t>(n) + 2);
  out_.append(size_line_, static_cast<size_t>(n));
  for (auto& f : frames_) out_.append(*f);
  out_.append("\r\n", 2);
  frames_.clear();
  writing_ = true;
  asio::async_write(stream_, asio::buffer(out_),
                    [self = shared_from_this(), more](boost::system::error_code ec, size_t) {
                      self->writing_ = false;
                      if (ec || !more) self->ending_ = true;
                      self->Pump();
                    });
}

void Session::FinishWatch() {
  if (finished_) return;
  finished_ = true;
  if (deadline_) deadline_->cancel();
  watch_->Stop();
  {
    std::lock_guard l(srv_->mu);
    srv_->watches.erase(watch_);
  }
  static const char kLast[] = "0\r\n\r\n";
  asio::async_write(stream_, asio::buffer(kLast, 5),
                    [self = shared_from_this()](boost::system::error_code, size_t) {
                      self->Close();
                    });
}

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
  impl_->Accept();
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
