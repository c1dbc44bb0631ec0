#include "net/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace kcx::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket s, HttpHandler* h) : stream_(std::move(s)), handler_(h) {}
  void Run() {
    stream_.expires_after(std::chrono::seconds(10));
    http::async_read(
        stream_, buf_, req_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec)
      return;
    HttpRequest r{std::string(req_.method_string()), std::string(req_.target()), req_.body()};
    HttpResponse out = (*handler_)(r);
    res_.version(11);
    res_.result(static_cast<http::status>(out.status));
    res_.set(http::field::content_type, out.content_type);
    res_.set(http::field::server, "kcx");
    res_.keep_alive(false);
    res_.body() = std::move(out.body);
    res_.prepare_payload();
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code, size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  HttpHandler* handler_;
};

}  // namespace

struct HttpServer::Impl {
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  HttpHandler handler;
  std::thread thread;

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (ec)
        return;
      std::make_shared<Session>(std::move(s), &handler)->Run();
      Accept();
    });
  }
};

HttpServer::HttpServer() = default;
HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start(const std::string& host, int port, HttpHandler handler) {
  impl_ = std::make_unique<Impl>();
  impl_->handler = std::move(handler);
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec)
    return Invalid("bad listen address " + host);
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec)
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    impl_->acceptor.bind(ep, ec);
  if (!ec)
    impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Unavailable("listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->Accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!impl_)
    return;
  impl_->ioc.stop();
  if (impl_->thread.joinable())
    impl_->thread.join();
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
