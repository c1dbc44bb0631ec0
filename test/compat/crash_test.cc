// Crash and shutdown tests of the real `kcx apiserver` binary with durable storage:
// kill -9 during a stream of concurrent writes, restart on the same data dir, and check that
// every acknowledged write survived; SIGTERM ends open watches cleanly and exits 0.

#include <gtest/gtest.h>
#include <signal.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "client/transport.h"
#include "test/compat/process.h"
#include "test/testenv/apiserver_fixture.h"

#ifndef KCX_BIN
#error "KCX_BIN must name the kcx binary"
#endif

namespace kcx::testenv {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A `kcx apiserver --data-dir DIR --port 0` child process and how to reach it.
class ServerProcess {
 public:
  explicit ServerProcess(const std::string& dir) : dir_(dir) {
    // A kubeconfig left by an earlier run names the earlier port: wait for a fresh one.
    fs::remove(dir + "/kubeconfig");
    proc_ = std::make_unique<Process>(std::vector<std::string>{
        KCX_BIN, "apiserver", "--data-dir", dir, "--port", "0", "--log-level", "warn"});
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (!fs::exists(dir + "/kubeconfig") && Clock::now() < deadline) {
      proc_->Drain(20);
      if (proc_->Wait(0) >= 0)
        break;
    }
    if (!fs::exists(dir + "/kubeconfig")) {
      throw std::runtime_error("kcx apiserver did not write its kubeconfig; stderr:\n" +
                               proc_->err());
    }
    YAML::Node kc = YAML::LoadFile(dir + "/kubeconfig");
    auto ep = client::Endpoint::FromUrl(kc["clusters"][0]["cluster"]["server"].as<std::string>());
    if (!ep.ok())
      throw std::runtime_error("bad server URL in kubeconfig");
    endpoint_ = *ep;
    token_ = ReadFile(dir + "/pki/token");
    while (!token_.empty() && (token_.back() == '\n' || token_.back() == '\r'))
      token_.pop_back();
    if (token_ != kc["users"][0]["user"]["token"].as<std::string>()) {
      throw std::runtime_error("DIR/pki/token differs from the kubeconfig's token");
    }
    tls_.ca_pem = ReadFile(dir + "/pki/ca.crt");
  }

  std::unique_ptr<client::Connection> Connect() const {
    auto c = client::Connection::Open(endpoint_, tls_, 5000);
    if (!c.ok())
      throw std::runtime_error("connect: " + c.status().ToString());
    return std::move(*c);
  }
  client::HttpRequest Request(const std::string& method, const std::string& target,
                              const std::string& body = "") const {
    client::HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    if (!body.empty())
      req.content_type = "application/json";
    req.bearer_token = token_;
    return req;
  }
  Process& process() { return *proc_; }

 private:
  std::string dir_;
  std::unique_ptr<Process> proc_;
  client::Endpoint endpoint_;
  client::TlsConfig tls_;
  std::string token_;
};

struct Acked {
  std::string value;
  uint64_t rv = 0;
};

constexpr char kConfigMaps[] = "/api/v1/namespaces/default/configmaps";

// Each writer creates ConfigMaps named "<prefix>-<writer>-<i>" over its own keep-alive HTTPS
// connection until a request fails (the server was killed) and records every 201.
void Writer(const ServerProcess& srv, const std::string& prefix, int writer, std::mutex& mu,
            std::map<std::string, Acked>& acked, std::atomic<int>& count) {
  std::unique_ptr<client::Connection> conn;
  try {
    conn = srv.Connect();
  } catch (const std::exception&) {
    return;
  }
  for (int i = 0;; ++i) {
    std::string name = prefix + "-" + std::to_string(writer) + "-" + std::to_string(i);
    // A payload that differs per object so a mix-up of rows would be seen.
    std::string value =
        name + ":" + std::string(64 + (i % 7) * 16, static_cast<char>('a' + i % 26));
    json::object body{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", name}}},
                      {"data", {{"v", value}}}};
    auto r = conn->RoundTrip(srv.Request("POST", kConfigMaps, json::serialize(body)), 10000);
    if (!r.ok())
      return;
    if (r->code != 201) {
      ADD_FAILURE() << "create " << name << ": " << r->code << " " << r->body;
      return;
    }
    auto v = json::parse(r->body);
    std::lock_guard l(mu);
    acked[name] = {value,
                   std::stoull(std::string(v.at("metadata").at("resourceVersion").as_string()))};
    count.fetch_add(1);
  }
}

// Updates one ConfigMap's counter with merge patches, recording the last acknowledged value.
void Updater(const ServerProcess& srv, int start, std::atomic<int>& last_acked) {
  std::unique_ptr<client::Connection> conn;
  try {
    conn = srv.Connect();
  } catch (const std::exception&) {
    return;
  }
  for (int n = start;; ++n) {
    auto req = srv.Request("PATCH", std::string(kConfigMaps) + "/counter",
                           R"({"data":{"n":")" + std::to_string(n) + "\"}}");
    req.content_type = "application/merge-patch+json";
    auto r = conn->RoundTrip(req, 10000);
    if (!r.ok())
      return;
    if (r->code != 200) {
      ADD_FAILURE() << "patch counter: " << r->code << " " << r->body;
      return;
    }
    last_acked = n;
  }
}

TEST(CrashTest, KillDuringWritesKeepsEveryAcknowledgedWrite) {
  TempDir dir("kcx-crash");
  std::map<std::string, Acked> acked;
  std::mutex mu;
  uint64_t max_acked_rv = 0;
  int counter = 0;  // last acknowledged counter value
  {
    ServerProcess srv(dir.path());
    auto conn = srv.Connect();
    auto r = conn->RoundTrip(
        srv.Request("POST", kConfigMaps, R"({"metadata":{"name":"counter"},"data":{"n":"0"}})"));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->code, 201) << r->body;
    srv.process().Signal(SIGKILL);
    srv.process().Wait(10000);
  }
  constexpr int kRounds = 3;
  constexpr int kWriters = 4;
  for (int round = 0; round < kRounds; ++round) {
    ServerProcess srv(dir.path());
    std::atomic<int> count{0};
    std::atomic<int> counter_acked{counter};
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back(Writer, std::cref(srv), "r" + std::to_string(round), w, std::ref(mu),
                           std::ref(acked), std::ref(count));
    }
    threads.emplace_back(Updater, std::cref(srv), counter + 1, std::ref(counter_acked));
    // Kill once writes are flowing, at a different point each round.
    int kill_after = 150 + round * 170;
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (count.load() < kill_after && Clock::now() < deadline && srv.process().Wait(0) == -1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    int exited_early = srv.process().Wait(0);  // -1 while it runs
    srv.process().Signal(SIGKILL);
    for (auto& t : threads)
      t.join();
    ASSERT_EQ(exited_early, -1) << "kcx apiserver died on its own (exit " << exited_early
                                << ") after " << count.load() << " creates; stderr:\n"
                                << srv.process().err();
    ASSERT_GE(count.load(), kill_after) << "writes did not flow";
    EXPECT_EQ(srv.process().Wait(10000), 128 + SIGKILL);
    counter = counter_acked.load();
    for (const auto& [name, a] : acked)
      max_acked_rv = std::max(max_acked_rv, a.rv);
    std::printf("round %d: %zu acknowledged creates so far, counter at %d, max rv %llu\n", round,
                acked.size(), counter, static_cast<unsigned long long>(max_acked_rv));

    // Restart on the same data dir: every acknowledged object is there, unchanged.
    ServerProcess again(dir.path());
    auto conn = again.Connect();
    auto list = conn->RoundTrip(again.Request("GET", kConfigMaps), 30000);
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->code, 200);
    auto lv = json::parse(list->body);
    std::map<std::string, std::pair<std::string, uint64_t>> stored;
    int counter_stored = -1;
    for (const auto& item : lv.at("items").as_array()) {
      std::string name(item.at("metadata").at("name").as_string());
      uint64_t rv = std::stoull(std::string(item.at("metadata").at("resourceVersion").as_string()));
      if (name == "counter") {
        counter_stored = std::stoi(std::string(item.at("data").at("n").as_string()));
        continue;
      }
      stored[name] = {std::string(item.at("data").at("v").as_string()), rv};
    }
    uint64_t list_rv =
        std::stoull(std::string(lv.at("metadata").at("resourceVersion").as_string()));
    EXPECT_GE(list_rv, max_acked_rv);
    int missing = 0;
    for (const auto& [name, a] : acked) {
      auto it = stored.find(name);
      if (it == stored.end()) {
        if (++missing <= 5)
          ADD_FAILURE() << "acknowledged " << name << " is missing";
        continue;
      }
      EXPECT_EQ(it->second.first, a.value) << name;
      EXPECT_EQ(it->second.second, a.rv) << name;
    }
    EXPECT_EQ(missing, 0);
    // Unacknowledged writes (at most one per writer per round) may or may not have become
    // durable, but nothing else appears.
    EXPECT_LE(stored.size(), acked.size() + static_cast<size_t>(kWriters * (round + 1)));
    // The counter holds the last acknowledged value, or the one in flight at the kill.
    EXPECT_TRUE(counter_stored == counter || counter_stored == counter + 1)
        << "counter " << counter_stored << ", last acknowledged " << counter;
    counter = counter_stored;

    // resourceVersions never go back: a new write is newer than every acknowledged one.
    auto w = conn->RoundTrip(again.Request(
        "POST", kConfigMaps,
        R"({"metadata":{"name":"after-)" + std::to_string(round) + R"("},"data":{"v":"x"}})"));
    ASSERT_TRUE(w.ok());
    ASSERT_EQ(w->code, 201) << w->body;
    uint64_t new_rv = std::stoull(
        std::string(json::parse(w->body).at("metadata").at("resourceVersion").as_string()));
    EXPECT_GT(new_rv, max_acked_rv);
    EXPECT_GT(new_rv, list_rv);
    acked["after-" + std::to_string(round)] = {"x", new_rv};
    max_acked_rv = std::max(max_acked_rv, new_rv);
    again.process().Signal(SIGKILL);
    again.process().Wait(10000);
  }
  // Enough acknowledged writes that every kill lands mid-stream (a floor, not a speed test).
  EXPECT_GT(acked.size(), 200u);
}

TEST(CrashTest, SigtermEndsWatchesCleanlyAndExitsZero) {
  TempDir dir("kcx-sigterm");
  std::string rv;
  {
    ServerProcess srv(dir.path());
    auto conn = srv.Connect();
    auto c = conn->RoundTrip(
        srv.Request("POST", kConfigMaps, R"({"metadata":{"name":"before"},"data":{"k":"v"}})"));
    ASSERT_TRUE(c.ok());
    ASSERT_EQ(c->code, 201) << c->body;

    auto wconn = srv.Connect();
    auto stream = wconn->StartStream(srv.Request("GET", std::string(kConfigMaps) + "?watch=true"));
    ASSERT_TRUE(stream.ok());
    ASSERT_EQ(stream->code, 200);
    std::string got;
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (got.find("\"before\"") == std::string::npos && Clock::now() < deadline) {
      auto chunk = wconn->ReadSome(5000);
      ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
      got += *chunk;
    }
    ASSERT_NE(got.find("\"type\":\"ADDED\""), std::string::npos) << got;

    // A write acknowledged just before the signal must be flushed.
    auto c2 = conn->RoundTrip(
        srv.Request("POST", kConfigMaps, R"({"metadata":{"name":"last"},"data":{"k":"v"}})"));
    ASSERT_TRUE(c2.ok());
    ASSERT_EQ(c2->code, 201);
    rv = std::string(json::parse(c2->body).at("metadata").at("resourceVersion").as_string());

    srv.process().Signal(SIGTERM);
    // The stream ends with its terminating chunk: ReadSome returns "" (not an error).
    bool clean_end = false;
    deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      auto chunk = wconn->ReadSome(10000);
      ASSERT_TRUE(chunk.ok()) << "watch did not end cleanly: " << chunk.status().ToString();
      if (chunk->empty()) {
        clean_end = true;
        break;
      }
      got += *chunk;
    }
    EXPECT_TRUE(clean_end);
    // Every complete line received is a well-formed event.
    std::istringstream lines(got);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty())
        continue;
      boost::system::error_code ec;
      auto ev = json::parse(line, ec);
      EXPECT_FALSE(ec) << line;
    }
    EXPECT_EQ(srv.process().Wait(15000), 0) << srv.process().err();
  }
  ServerProcess again(dir.path());
  auto conn = again.Connect();
  auto g = conn->RoundTrip(again.Request("GET", std::string(kConfigMaps) + "/last"));
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(g->code, 200) << g->body;
  EXPECT_EQ(json::parse(g->body).at("metadata").at("resourceVersion").as_string(), rv);
  again.process().Signal(SIGTERM);
  EXPECT_EQ(again.process().Wait(15000), 0);
}

}  // namespace
}  // namespace kcx::testenv
