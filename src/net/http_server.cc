#include "net/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace kcx::net {
namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// One connection. Kept alive by the shared_ptr each pending handler holds; its operations form
// a single chain (handshake → read → handle → write → read ...), so they never run
// concurrently even with several I/O threads.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream s, const HttpHandler* h, const HttpServerOptions* o)
      : stream_(std::move(s)), handler_(h), opts_(o) {}

  void Run() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(opts_->idle_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec)
                                  self->Read();
                              });
    } else {
      Read();
    }
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  void Read() {
    req_ = {};
    beast::get_lowest_layer(stream_).expires_after(opts_->idle_timeout);
    http::async_read(
        stream_, buf_, req_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec)
      return Close();
    HttpRequest r{std::string(req_.method_string()), std::string(req_.target()), req_.body(),
                  std::string(req_[http::field::content_type])};
    HttpResponse out = (*handler_)(r);
    keep_ = opts_->keep_alive && req_.keep_alive();
    res_ = {};
    res_.version(11);
    res_.result(static_cast<http::status>(out.status));
    res_.set(http::field::content_type, out.content_type);
    res_.set(http::field::server, "kcx");
    res_.keep_alive(keep_);
    res_.body() = std::move(out.body);
    res_.prepare_payload();
    http::async_write(stream_, res_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (!ec && self->keep_)
                          return self->Read();
                        self->Close();
                      });
  }

  void Close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  Stream stream_;
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  const HttpHandler* handler_;
  const HttpServerOptions* opts_;
  bool keep_ = false;
};

}  // namespace

struct HttpServer::Impl {
  // Declared before the io_context so that they outlive it: destroying the io_context
  // destroys the pending handlers and with them the sessions, which use these.
  HttpHandler handler;
  HttpServerOptions opts;
  std::unique_ptr<ssl::context> tls;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0};

  void Accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec)
        return;
      ++accepted;
      if (tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(s)), *tls), &handler,
            &opts)
            ->Run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(s)), &handler,
                                                     &opts)
            ->Run();
      }
      Accept();
    });
  }
};

HttpServer::HttpServer() = default;
HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start(const std::string& host, int port, HttpHandler handler) {
  return Start(host, port, std::move(handler), HttpServerOptions{});
}

Status HttpServer::Start(const std::string& host, int port, HttpHandler handler,
                         HttpServerOptions opts) {
  Stop();
  auto impl = std::make_unique<Impl>();
  impl->handler = std::move(handler);
  impl->opts = std::move(opts);
  if (impl->opts.threads < 1)
    impl->opts.threads = 1;
  if (impl->opts.tls) {
    impl->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    beast::error_code ec;
    impl->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                               ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                               ssl::context::no_tlsv1_1,
                           ec);
    const TlsServerConfig& t = *impl->opts.tls;
    if (!ec)
      impl->tls->use_certificate_chain(asio::buffer(t.cert_pem), ec);
    if (ec)
      return Invalid("TLS serving certificate: " + ec.message());
    impl->tls->use_private_key(asio::buffer(t.key_pem), ssl::context::pem, ec);
    if (ec)
      return Invalid("TLS serving key: " + ec.message());
  }
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec)
    return Invalid("bad listen address " + host);
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec)
    impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    impl->acceptor.bind(ep, ec);
  if (!ec)
    impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  port_ = impl->acceptor.local_endpoint().port();
  impl_ = std::move(impl);
  impl_->Accept();
  for (int i = 0; i < impl_->opts.threads; ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  }
  return Status::Ok();
}

int HttpServer::connections_accepted() const { return impl_ ? impl_->accepted.load() : 0; }

void HttpServer::Stop() {
  if (!impl_)
    return;
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable())
      t.join();
  }
  impl_.reset();
}

Result<HttpResponse> HttpCall(const std::string& host, int port, const std::string& method,
                              const std::string& target, const std::string& body) {
  try {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(60));
    stream.connect(tcp::endpoint(asio::ip::make_address(host), static_cast<unsigned short>(port)));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    return out;
  } catch (const std::exception& e) {
    return Unavailable(std::string("http ") + host + ":" + std::to_string(port) + ": " + e.what());
  }
}

}  // namespace kcx::net
