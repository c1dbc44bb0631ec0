#include "net/http_server.h"

#include <gtest/gtest.h>

#include <atomic>

#include "apiserver/pki/pki.h"
#include "client/transport.h"

namespace kcx::net {
namespace {

class HttpServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = apiserver::GeneratePki({"127.0.0.1"});
    ASSERT_TRUE(pki.ok()) << pki.status().ToString();
    pki_ = std::move(*pki);
  }

  HttpHandler Echo() {
    return [this](const HttpRequest& r) {
      ++calls_;
      return HttpResponse{201, "application/json",
                          r.method + " " + r.target + " " + r.content_type + " " + r.body};
    };
  }

  client::TlsConfig Trust() {
    client::TlsConfig t;
    t.ca_pem = pki_.ca_cert_pem;
    return t;
  }

  apiserver::Pki pki_;
  std::atomic<int> calls_{0};
};

TEST_F(HttpServerTlsTest, HttpsWithKeepAlive) {
  HttpServer srv;
  HttpServerOptions o;
  o.tls = TlsServerConfig{pki_.serving_cert_pem, pki_.serving_key_pem};
  o.keep_alive = true;
  o.threads = 2;
  ASSERT_TRUE(srv.Start("127.0.0.1", 0, Echo(), o).ok());
  ASSERT_GT(srv.port(), 0);

  auto conn = client::Connection::Open({"127.0.0.1", static_cast<uint16_t>(srv.port())}, Trust());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  // Three requests on one connection: the server keeps it open between them.
  for (int i = 0; i < 3; ++i) {
    client::HttpRequest req;
    req.method = "POST";
    req.target = "/hook?n=" + std::to_string(i);
    req.body = "{}";
    req.content_type = "application/json";
    auto r = (*conn)->RoundTrip(req);
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
    EXPECT_EQ(r->code, 201);
    EXPECT_EQ(r->content_type, "application/json");
    EXPECT_EQ(r->body, "POST /hook?n=" + std::to_string(i) + " application/json {}");
    EXPECT_NE(r->Header("Connection"), "close");
  }
  EXPECT_EQ(calls_.load(), 3);
  EXPECT_EQ(srv.connections_accepted(), 1);
  srv.Stop();
  srv.Stop();  // idempotent
}

TEST_F(HttpServerTlsTest, ClientWithoutTheCaIsRefused) {
  HttpServer srv;
  HttpServerOptions o;
  o.tls = TlsServerConfig{pki_.serving_cert_pem, pki_.serving_key_pem};
  ASSERT_TRUE(srv.Start("127.0.0.1", 0, Echo(), o).ok());
  auto other = apiserver::GeneratePki({"127.0.0.1"});
  ASSERT_TRUE(other.ok());
  client::TlsConfig wrong;
  wrong.ca_pem = other->ca_cert_pem;
  auto conn = client::Connection::Open({"127.0.0.1", static_cast<uint16_t>(srv.port())}, wrong);
  if (conn.ok()) {
    auto r = (*conn)->RoundTrip(client::HttpRequest{});
    EXPECT_FALSE(r.ok());
  }
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HttpServerTlsTest, BadCertificateOrKeyIsInvalid) {
  HttpServer srv;
  HttpServerOptions o;
  o.tls = TlsServerConfig{"not a certificate", pki_.serving_key_pem};
  Status s = srv.Start("127.0.0.1", 0, Echo(), o);
  EXPECT_EQ(s.reason(), Reason::kInvalid) << s.ToString();
  o.tls = TlsServerConfig{pki_.serving_cert_pem, "not a key"};
  s = srv.Start("127.0.0.1", 0, Echo(), o);
  EXPECT_EQ(s.reason(), Reason::kInvalid) << s.ToString();
}

TEST(HttpServerTest, PlainHttpOneRequestPerConnection) {
  HttpServer srv;
  ASSERT_TRUE(srv.Start("127.0.0.1", 0,
                        [](const HttpRequest& r) {
                          return HttpResponse{200, "text/plain", r.method + " " + r.target};
                        })
                  .ok());
  auto r = HttpCall("127.0.0.1", srv.port(), "GET", "/status");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET /status");
}

}  // namespace
}  // namespace kcx::net
