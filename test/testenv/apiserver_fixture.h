#pragma once

// The test fixture every suite uses: a real `kcx apiserver` started in-process on 127.0.0.1
// port 0 (memory storage by default), with its kubeconfig in a temporary directory, plus
// helpers to call it over real HTTPS and to run real clients (kubectl, python3-kubernetes).
//
//   auto srv = kcx::testenv::TestApiServer::Start();
//   auto r = srv->Call("GET", "/api/v1/namespaces");
//   EXPECT_EQ(r.code, 200);
//   auto out = srv->Kubectl({"get", "ns", "-o", "json"});

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apiserver/apiserver.h"
#include "client/transport.h"

namespace kcx::testenv {

// A directory under $TMPDIR (or /tmp) removed when the object is destroyed.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "kcx-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up on PATH) with extra environment variables and optional stdin.
// Kills the child after `timeout_s`.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& stdin_data = "", int timeout_s = 60);

struct CallResult {
  int code = 0;
  std::string body;
  std::string content_type;
  boost::json::value json;  // parsed body (null if not JSON)
};

class TestApiServer {
 public:
  struct Options {
    bool durable = false;          // SQLite in the temp dir instead of memory
    std::string data_dir;          // use this dir instead of a fresh temp dir
    size_t watch_history = 10000;
    int bookmark_interval_ms = 60000;
    std::string bind_address = "127.0.0.1";
  };
  static std::unique_ptr<TestApiServer> Start(Options opts);
  static std::unique_ptr<TestApiServer> Start() { return Start(Options{}); }
  ~TestApiServer();

  apiserver::ApiServer& server() { return *server_; }
  const std::string& kubeconfig() const { return server_->kubeconfig_path(); }
  std::string url() const { return server_->url(); }
  const std::string& data_dir() const { return data_dir_; }
  uint16_t port() const { return server_->port(); }
  const std::string& token() const { return server_->token(); }

  // A fresh authenticated-capable connection (pass the token per request).
  std::unique_ptr<client::Connection> Connect() const;
  // One request on a shared keep-alive connection, authenticated with the token.
  CallResult Call(const std::string& method, const std::string& target,
                  const std::string& body = "",
                  const std::string& content_type = "application/json",
                  const std::string& accept = "application/json");
  CallResult Call(const std::string& method, const std::string& target, const char* body,
                  const std::string& content_type = "application/json",
                  const std::string& accept = "application/json") {
    return Call(method, target, std::string(body), content_type, accept);
  }
  CallResult Call(const std::string& method, const std::string& target,
                  const boost::json::value& body,
                  const std::string& content_type = "application/json") {
    return Call(method, target, boost::json::serialize(body), content_type);
  }

  // kubectl with --kubeconfig set; returns its exit code and output.
  CommandResult Kubectl(const std::vector<std::string>& args, const std::string& stdin_data = "",
                        const std::map<std::string, std::string>& env = {},
                        int timeout_s = 60) const;

 private:
  TestApiServer() = default;
  std::unique_ptr<TempDir> tmp_;
  std::string data_dir_;
  std::unique_ptr<apiserver::ApiServer> server_;
  std::unique_ptr<client::Connection> conn_;
};

}  // namespace kcx::testenv
