#include "client/transport.h"

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>

#include "common/strings.h"

namespace kcx::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return v;
    }
  }
  return {};
}

Result<Endpoint> Endpoint::FromUrl(std::string_view url) {
  std::string_view rest = url;
  uint16_t port = 443;
  if (StartsWith(rest, "https://")) {
    rest.remove_prefix(8);
  } else if (StartsWith(rest, "http://")) {
    return BadRequest("plain http is not supported: " + std::string(url));
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  Endpoint ep;
  std::string_view host = rest, port_s;
  if (StartsWith(rest, "[")) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return BadRequest("bad URL " + std::string(url));
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port_s = rest.substr(close + 2);
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port_s = rest.substr(colon + 1);
  }
  if (!port_s.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), v);
    if (ec != std::errc() || p != port_s.data() + port_s.size() || v == 0 || v > 65535) {
      return BadRequest("bad port in URL " + std::string(url));
    }
    port = static_cast<uint16_t>(v);
  }
  if (host.empty()) return BadRequest("no host in URL " + std::string(url));
  ep.host = std::string(host);
  ep.port = port;
  return ep;
}

std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

class BeastConnection : public Connection {
 public:
  BeastConnection(std::shared_ptr<ssl::context> ctx)
      : ctx_(std::move(ctx)), stream_(ioc_, *ctx_) {}

  Status Connect(const Endpoint& ep, const TlsConfig& tls, int timeout_ms) {
    host_header_ = ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host;
    host_header_ += ":" + std::to_string(ep.port);
    boost::system::error_code ec;
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(ep.host, std::to_string(ep.port), ec);
    if (ec) return Unavailable("resolving " + ep.host + ": " + ec.message());
    auto& lowest = beast::get_lowest_layer(stream_);
    lowest.expires_after(std::chrono::milliseconds(timeout_ms));
    lowest.async_connect(results, [&](boost::system::error_code e, const tcp::endpoint&) {
      ec = e;
    });
    Run();
    if (ec) return Unavailable("connecting to " + host_header_ + ": " + ec.message());
    lowest.socket().set_option(tcp::no_delay(true), ec);
    std::string sni = tls.server_name.empty() ? ep.host : tls.server_name;
    boost::system::error_code addr_ec;
    asio::ip::make_address(sni, addr_ec);
    if (addr_ec) SSL_set_tlsext_host_name(stream_.native_handle(), sni.c_str());
    if (!tls.insecure_skip_verify) {
      stream_.set_verify_mode(ssl::verify_peer);
      stream_.set_verify_callback(ssl::host_name_verification(sni));
    } else {
      stream_.set_verify_mode(ssl::verify_none);
    }
    stream_.async_handshake(ssl::stream_base::client,
                            [&](boost::system::error_code e) { ec = e; });
    Run();
    if (ec) return Unavailable("TLS handshake with " + host_header_ + ": " + ec.message());
    open_ = true;
    return Status::Ok();
  }

  Result<HttpResponse> RoundTrip(const HttpRequest& req, int timeout_ms) override {
    KCX_RETURN_IF_ERROR(Send(req, timeout_ms));
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 34);
    boost::system::error_code ec;
    http::async_read(stream_, buffer_, parser,
                     [&](boost::system::error_code e, size_t) { ec = e; });
    Run();
    if (ec) {
      open_ = false;
      return Unavailable("reading response: " + ec.message());
    }
    auto& msg = parser.get();
    HttpResponse r = Convert(msg);
    r.body = std::move(msg.body());
    if (!msg.keep_alive()) open_ = false;
    return r;
  }

  Result<HttpResponse> StartStream(const HttpRequest& req, int timeout_ms) override {
    KCX_RETURN_IF_ERROR(Send(req, timeout_ms));
    stream_parser_.emplace();
    stream_parser_->body_limit(boost::none);
    boost::system::error_code ec;
    http::async_read_header(stream_, buffer_, *stream_parser_,
                            [&](boost::system::error_code e, size_t) { ec = e; });
    Run();
    if (ec) {
      open_ = false;
      return Unavailable("reading response headers: " + ec.message());
    }
    return Convert(stream_parser_->get());
  }

  Result<std::string> ReadSome(int idle_timeout_ms) override {
    if (!stream_parser_) return Internal("no stream started");
    if (stream_parser_->is_done()) return std::string();
    char buf[64 * 1024];
    auto& body = stream_parser_->get().body();
    body.data = buf;
    body.size = sizeof buf;
    boost::system::error_code ec;
    beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(idle_timeout_ms));
    http::async_read_some(stream_, buffer_, *stream_parser_,
                          [&](boost::system::error_code e, size_t) { ec = e; });
    Run();
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      open_ = false;
      if (ec == beast::error::timeout) return Timeout("no data within the idle timeout");
      return Unavailable("reading stream: " + ec.message());
    }
    std::string out(buf, sizeof buf - body.size);
    if (out.empty() && !stream_parser_->is_done()) return ReadSome(idle_timeout_ms);
    return out;
  }

  void Close() override {
    open_ = false;
    boost::system::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).socket().close(ec);
  }

  bool Reusable() const override { return open_; }

 private:
  void Run() {
    ioc_.restart();
    ioc_.run();
  }

  Status Send(const HttpRequest& req, int timeout_ms) {
    if (!open_) return Unavailable("connection is closed");
    http::request<http::string_body> msg{http::string_to_verb(req.method), req.target, 11};
    if (msg.method() == http::verb::unknown) msg.method_string(req.method);
    msg.set(http::field::host, host_header_);
    msg.set(http::field::user_agent, req.user_agent);
    if (!req.accept.empty()) msg.set(http::field::accept, req.accept);
    if (!req.content_type.empty()) msg.set(http::field::content_type, req.content_type);
    if (!req.bearer_token.empty()) msg.set(http::field::authorization, "Bearer " + req.bearer_token);
    for (const auto& [k, v] : req.headers) msg.set(k, v);
    msg.keep_alive(true);
    msg.body() = req.body;
    msg.prepare_payload();
    boost::system::error_code ec;
    beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(timeout_ms));
    http::async_write(stream_, msg, [&](boost::system::error_code e, size_t) { ec = e; });
    Run();
    if (ec) {
      open_ = false;
      return Unavailable("sending request: " + ec.message());
    }
    return Status::Ok();
  }

  template <class Msg>
  static HttpResponse Convert(const Msg& msg) {
    HttpResponse r;
    r.code = static_cast<int>(msg.result_int());
    for (const auto& f : msg) {
      r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    r.content_type = std::string(msg[http::field::content_type]);
    return r;
  }

  asio::io_context ioc_;
  std::shared_ptr<ssl::context> ctx_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::buffer_body>> stream_parser_;
  std::string host_header_;
  bool open_ = false;
};

}  // namespace

Result<std::unique_ptr<Connection>> Connection::Open(const Endpoint& ep, const TlsConfig& tls,
                                                     int timeout_ms) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  if (!tls.ca_pem.empty()) {
    ctx->add_certificate_authority(asio::buffer(tls.ca_pem), ec);
    if (ec) return BadRequest("invalid CA data: " + ec.message());
  } else {
    ctx->set_default_verify_paths(ec);
  }
  if (!tls.client_cert_pem.empty()) {
    ctx->use_certificate_chain(asio::buffer(tls.client_cert_pem), ec);
    if (ec) return BadRequest("invalid client certificate: " + ec.message());
    ctx->use_private_key(asio::buffer(tls.client_key_pem), ssl::context::pem, ec);
    if (ec) return BadRequest("invalid client key: " + ec.message());
  }
  auto c = std::make_unique<BeastConnection>(std::move(ctx));
  KCX_RETURN_IF_ERROR(c->Connect(ep, tls, timeout_ms));
  return std::unique_ptr<Connection>(std::move(c));
}

}  // namespace kcx::client
