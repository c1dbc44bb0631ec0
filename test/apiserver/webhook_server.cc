#include "test/apiserver/webhook_server.h"

#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>

#include "common/strings.h"

namespace kcx::testenv {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

struct TestWebhookServer::Impl {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  Handler handler;
  std::atomic<bool> stopping{false};
  std::thread accept_thread;
  mutable std::mutex mu;
  std::vector<std::thread> conn_threads;
  std::vector<int> open_fds;
  std::vector<json::object> reviews;

  void Serve(tcp::socket sock) {
    int fd = sock.native_handle();
    {
      std::lock_guard l(mu);
      if (stopping)
        return;
      open_fds.push_back(fd);
    }
    beast::error_code ec;
    ssl::stream<tcp::socket&> stream(sock, ctx);
    stream.handshake(ssl::stream_base::server, ec);
    beast::flat_buffer buf;
    while (!ec) {
      http::request<http::string_body> req;
      http::read(stream, buf, req, ec);
      if (ec)
        break;
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(req.keep_alive());
      auto v = json::parse(req.body(), ec);
      if (ec || !v.is_object() || !v.as_object().contains("request")) {
        res.result(http::status::bad_request);
        res.body() = "bad review";
        ec = {};
      } else {
        json::object request = v.as_object().at("request").as_object();
        {
          std::lock_guard l(mu);
          reviews.push_back(request);
        }
        std::string path(req.target().substr(0, req.target().find('?')));
        json::object response = handler(request, path);
        response["uid"] = request.at("uid");
        json::object review{{"apiVersion", v.as_object().at("apiVersion")},
                            {"kind", "AdmissionReview"},
                            {"response", std::move(response)}};
        res.body() = json::serialize(review);
      }
      res.prepare_payload();
      http::write(stream, res, ec);
      if (!req.keep_alive())
        break;
    }
    std::lock_guard l(mu);
    std::erase(open_fds, fd);
  }
};

std::unique_ptr<TestWebhookServer> TestWebhookServer::Start(const std::string& cert_pem,
                                                            const std::string& key_pem,
                                                            Handler handler) {
  std::unique_ptr<TestWebhookServer> s(new TestWebhookServer());
  s->impl_ = std::make_unique<Impl>();
  Impl& m = *s->impl_;
  m.handler = std::move(handler);
  m.ctx.use_certificate_chain(asio::buffer(cert_pem));
  m.ctx.use_private_key(asio::buffer(key_pem), ssl::context::pem);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  m.acceptor.open(ep.protocol());
  m.acceptor.set_option(tcp::acceptor::reuse_address(true));
  m.acceptor.bind(ep);
  m.acceptor.listen();
  s->port_ = m.acceptor.local_endpoint().port();
  m.accept_thread = std::thread([&m] {
    for (;;) {
      beast::error_code ec;
      tcp::socket sock(m.ioc);
      m.acceptor.accept(sock, ec);
      if (m.stopping)
        return;
      if (ec)
        continue;
      std::lock_guard l(m.mu);
      m.conn_threads.emplace_back(
          [&m, sock = std::move(sock)]() mutable { m.Serve(std::move(sock)); });
    }
  });
  return s;
}

TestWebhookServer::~TestWebhookServer() {
  Impl& m = *impl_;
  m.stopping = true;
  // Unblock accept() and every blocking read.
  ::shutdown(m.acceptor.native_handle(), SHUT_RDWR);
  {
    std::lock_guard l(m.mu);
    for (int fd : m.open_fds)
      ::shutdown(fd, SHUT_RDWR);
  }
  m.accept_thread.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard l(m.mu);
    threads = std::move(m.conn_threads);
  }
  for (auto& t : threads)
    t.join();
  beast::error_code ec;
  m.acceptor.close(ec);
}

std::vector<json::object> TestWebhookServer::Reviews() const {
  std::lock_guard l(impl_->mu);
  return impl_->reviews;
}

size_t TestWebhookServer::Count() const {
  std::lock_guard l(impl_->mu);
  return impl_->reviews.size();
}

json::object Allow() { return json::object{{"allowed", true}}; }

json::object Deny(int code, const std::string& message, const std::string& reason) {
  json::object st{{"code", code}, {"message", message}};
  if (!reason.empty())
    st["reason"] = reason;
  return json::object{{"allowed", false}, {"status", std::move(st)}};
}

json::object AllowWithPatch(const json::array& patch) {
  return json::object{{"allowed", true},
                      {"patchType", "JSONPatch"},
                      {"patch", Base64Encode(json::serialize(patch))}};
}

}  // namespace kcx::testenv
