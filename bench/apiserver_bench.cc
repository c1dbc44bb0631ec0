// End-to-end figures of `kcx apiserver` (issue 2), measured against the real server running as
// a separate process, over HTTPS with keep-alive connections:
//
//   creates  creates/s with N concurrent clients (each its own keep-alive connection POSTing
//            1 KiB ConfigMaps for a fixed duration), memory and durable storage; p50/p99
//   list     GET of 10,000 ConfigMaps of 1 KiB on a warm connection (round trip), the server
//            process's CPU time per list, and the handler's own time measured in-process
//   watch    10,000 creates delivered to 100 watch connections: events/s and delivery latency
//   memory   VmRSS of the server before/after storing N 1 KiB ConfigMaps, per object
//   kubectl  `kubectl get cm -A -o json` over the list's 10,000 objects (wall time)
//
//   apiserver_bench [--kcx PATH] [--only creates,list,watch,memory,kubectl] [--repeat N] ...
//
// Each measure starts a fresh server (`kcx apiserver --data-dir DIR --port 0`) in a new
// directory under --work-dir (on disk, so durable storage really syncs) and stops it after.
// Every repetition is printed; the summary gives the best and the median.
//
// The client runs on the same machine as the server and competes with it for the CPUs; the
// bench reports how much CPU each side used so a reader can tell who was the bottleneck.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <latch>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/http/request.h"
#include "apiserver/registry/resource_info.h"
#include "apiserver/rest/api_registry.h"
#include "apiserver/rest/rest_handler.h"
#include "client/transport.h"
#include "common/clock.h"
#include "common/status.h"
#include "bench/server_process.h"

#ifndef KCX_BIN
#define KCX_BIN "kcx"
#endif

namespace kcx::bench {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

struct Options {
  std::string kcx = KCX_BIN;
  std::string kubectl = "kubectl";
  std::string only = "applies,creates,list,watch,watch-replay,memory,kubectl";
  std::string work_dir = "/var/tmp";
  int repeat = 3;
  int server_threads = 2;
  int clients = 8;
  double create_seconds = 5;
  int payload_bytes = 1024;
  int list_objects = 10000;
  int list_runs = 21;
  int watchers = 100;
  int watch_events = 10000;
  int watch_writers = 4;
  int watch_reader_threads = 1;
  int memory_objects = 100000;
  bool keep = false;
};

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }
int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

size_t CountOccurrences(std::string_view s, std::string_view needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string_view::npos; p = s.find(needle, p + 1))
    ++n;
  return n;
}

// p in [0, 100] of sorted values.
template <class T>
T Percentile(const std::vector<T>& sorted, double p) {
  if (sorted.empty())
    return T{};
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()));
  return sorted[std::min(i, sorted.size() - 1)];
}

// Best and median of repeated runs; `higher_better` picks the direction of "best".
struct Summary {
  double best = 0, median = 0;
};
Summary Summarize(std::vector<double> v, bool higher_better) {
  Summary s;
  if (v.empty())
    return s;
  std::sort(v.begin(), v.end());
  s.best = higher_better ? v.back() : v.front();
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  return s;
}

// A 1 KiB ConfigMap: the data value carries `payload_bytes` characters.
std::string Payload(int bytes) {
  std::string p(static_cast<size_t>(bytes), 'x');
  for (size_t i = 0; i < p.size(); ++i)
    p[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7) % 36];
  return p;
}

std::string ConfigMapJson(std::string_view name, std::string_view payload) {
  std::string s;
  s.reserve(payload.size() + name.size() + 96);
  s += R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")";
  s += name;
  s += R"("},"data":{"v":")";
  s += payload;
  s += "\"}}";
  return s;
}

Status CreateNamespace(const ServerProcess& s, const std::string& ns) {
  KCX_ASSIGN_OR_RETURN(auto c, s.Connect());
  KCX_ASSIGN_OR_RETURN(
      auto r, c->RoundTrip(s.Req(
                  "POST", "/api/v1/namespaces",
                  R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + ns + "\"}}")));
  if (r.code != 201)
    return Internal("creating namespace: " + std::to_string(r.code) + r.body);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Creates: `clients` threads, each with its own keep-alive connection, POST ConfigMaps one
// after the other (each waits for its response) until the deadline or until `count` objects
// in total exist.

struct CreateResult {
  double seconds = 0;
  size_t ok = 0, errors = 0;
  std::string first_error;
  std::vector<uint32_t> latency_us;  // sorted
  double server_cpu = 0, client_cpu = 0;
  double Rate() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

// `clients` threads, each on its own keep-alive connection, send requests made by
// `make(client, i)` (i = client, client + clients, ...) until `count` requests (if non-zero) or
// `seconds` have passed; a response with another code than `want_code` is an error.
CreateResult RunRequests(ServerProcess& s, int clients, double seconds, size_t count,
                         const std::function<void(client::HttpRequest&, int, size_t)>& make,
                         int want_code) {
  CreateResult res;
  std::vector<std::unique_ptr<client::Connection>> conns;
  for (int t = 0; t < clients; ++t) {
    auto c = s.Connect();
    if (!c.ok()) {
      res.errors++;
      res.first_error = c.status().message();
      return res;
    }
    conns.push_back(std::move(*c));
  }
  std::mutex mu;
  std::latch ready(clients + 1);
  std::vector<std::thread> threads;
  SteadyClock::time_point start;  // published to the threads by the latch
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      std::vector<uint32_t> lat;
      lat.reserve(count ? count / clients + 1 : 200000);
      size_t ok = 0, errors = 0;
      std::string err;
      client::HttpRequest req = s.Req("POST", "/");
      ready.arrive_and_wait();
      const auto deadline = start + std::chrono::duration_cast<SteadyClock::duration>(
                                        std::chrono::duration<double>(seconds));
      for (size_t i = static_cast<size_t>(t);; i += static_cast<size_t>(clients)) {
        if (count ? i >= count : SteadyClock::now() >= deadline)
          break;
        make(req, t, i);
        auto t0 = SteadyClock::now();
        auto r = conns[t]->RoundTrip(req);
        auto t1 = SteadyClock::now();
        if (!r.ok()) {
          errors++;
          if (err.empty())
            err = r.status().message();
          break;  // the connection is gone
        }
        if (r->code != want_code) {
          errors++;
          if (err.empty())
            err = std::to_string(r->code) + " " + r->body.substr(0, 300);
          continue;
        }
        ok++;
        lat.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
      }
      std::lock_guard l(mu);
      res.ok += ok;
      res.errors += errors;
      if (res.first_error.empty())
        res.first_error = err;
      res.latency_us.insert(res.latency_us.end(), lat.begin(), lat.end());
    });
  }
  double server_cpu0 = ProcessCpuSeconds(s.pid()), client_cpu0 = SelfCpuSeconds();
  start = SteadyClock::now();
  ready.arrive_and_wait();
  for (auto& th : threads)
    th.join();
  res.seconds = Seconds(SteadyClock::now() - start);
  res.server_cpu = ProcessCpuSeconds(s.pid()) - server_cpu0;
  res.client_cpu = SelfCpuSeconds() - client_cpu0;
  std::sort(res.latency_us.begin(), res.latency_us.end());
  return res;
}

CreateResult RunCreates(ServerProcess& s, const std::string& ns, int clients, double seconds,
                        size_t count, const std::string& payload, const std::string& prefix) {
  const std::string target = "/api/v1/namespaces/" + ns + "/configmaps";
  return RunRequests(
      s, clients, seconds, count,
      [&](client::HttpRequest& req, int, size_t i) {
        req.method = "POST";
        req.target = target;
        req.body = ConfigMapJson(prefix + std::to_string(i), payload);
      },
      201);
}

ServerProcess::Options ServerOpts(const Options& o, const std::string& storage) {
  ServerProcess::Options so;
  so.kcx = o.kcx;
  so.work_dir = o.work_dir;
  so.threads = o.server_threads;
  so.keep = o.keep;
  so.storage = storage;
  return so;
}

bool Wants(const Options& o, std::string_view what) {
  std::string_view list = o.only;
  size_t p = 0;
  while (p <= list.size()) {
    size_t q = list.find(',', p);
    if (q == std::string_view::npos)
      q = list.size();
    if (list.substr(p, q - p) == what)
      return true;
    p = q + 1;
  }
  return false;
}

struct Report {
  // name -> list of per-run values, plus the unit and direction.
  struct Row {
    std::string unit;
    bool higher_better;
    std::string goal;
    std::vector<double> runs;
  };
  std::vector<std::pair<std::string, Row>> rows;
  std::vector<std::string> notes;
  void Add(const std::string& name, const std::string& unit, bool higher_better,
           const std::string& goal, double v) {
    for (auto& [n, r] : rows) {
      if (n == name) {
        r.runs.push_back(v);
        return;
      }
    }
    rows.push_back({name, Row{unit, higher_better, goal, {v}}});
  }
};

// ---------------------------------------------------------------------------------------------

// A server-side apply configuration of a Deployment, as one of two managers writes it:
// "app" owns replicas, the main container (image, 12 env vars, ports, resources) and labels;
// "mesh" owns a sidecar container (image, 12 env vars) and annotations. About 50 fields each
// time; `gen` changes values so every apply writes.
std::string ApplyDeployment(const std::string& name, bool mesh, size_t gen) {
  std::string g = std::to_string(gen);
  std::string env;
  for (int k = 0; k < 12; ++k) {
    env += std::string(k ? "," : "") + R"({"name":"VAR_)" + std::to_string(k) + R"(","value":")" +
           (k == 0 ? g : "v" + std::to_string(k)) + "\"}";
  }
  std::string head = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" + name +
                     "\",";
  if (!mesh) {
    return head + R"("labels":{"app":"bench","tier":"web","gen":")" + g +
           R"("}},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"bench"}},)"
           R"("template":{"metadata":{"labels":{"app":"bench"}},"spec":{"containers":[)"
           R"({"name":"main","image":"registry.example/app:)" + g + R"(","env":[)" + env +
           R"(],"ports":[{"containerPort":8080,"protocol":"TCP"},{"containerPort":9090,)"
           R"("protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}}}]}}}})";
  }
  return head + R"("annotations":{"mesh/gen":")" + g +
         R"("}},"spec":{"selector":{"matchLabels":{"app":"bench"}},"template":{"metadata":)"
         R"({"labels":{"app":"bench"}},"spec":{"containers":[{"name":"sidecar","image":)"
         R"("registry.example/proxy:)" + g + R"(","env":[)" + env + R"(]}]}}}})";
}

void BenchApplies(const Options& o, Report& rep, const std::string& storage) {
  const std::string label = storage == "memory" ? "memory" : "durable";
  const size_t objects_per_client = 16;
  for (int run = 0; run < o.repeat; ++run) {
    ServerProcess s(ServerOpts(o, storage));
    if (Status st = s.Start(); !st.ok()) {
      std::printf("applies %s run %d: cannot start server: %s\n", label.c_str(), run + 1,
                  st.message().c_str());
      continue;
    }
    if (Status st = CreateNamespace(s, "bench"); !st.ok()) {
      std::printf("  %s\n", st.message().c_str());
      continue;
    }
    const std::string base = "/apis/apps/v1/namespaces/bench/deployments/";
    // Each request: object (client, i / clients % objects), manager alternating per round.
    // The measured run starts at another generation, so no apply repeats a warm-up one.
    size_t gen_offset = 0;
    auto make = [&](client::HttpRequest& req, int client, size_t i) {
      size_t round = i / static_cast<size_t>(o.clients);
      std::string name = "d-" + std::to_string(client) + "-" +
                         std::to_string(round % objects_per_client);
      bool mesh = (round / objects_per_client) % 2 == 1;
      req.method = "PATCH";
      req.target = base + name + "?fieldManager=" + (mesh ? "mesh" : "app");
      req.content_type = "application/apply-patch+yaml";
      req.body = ApplyDeployment(name, mesh, round + gen_offset);
    };
    // Create every object once with both managers (warm-up), then measure.
    RunRequests(s, o.clients, 0, o.clients * objects_per_client * 2, make, 200);
    gen_offset = 1000000;
    std::string load = LoadAvg();
    CreateResult r = RunRequests(s, o.clients, o.create_seconds, 0, make, 200);
    std::printf(
        "applies %-7s run %d: %8.0f/s  (%zu in %.2f s, %zu errors)  p50 %.2f ms  p99 %.2f ms  "
        "server CPU %.0f%%  client CPU %.0f%%  load %s\n",
        label.c_str(), run + 1, r.Rate(), r.ok, r.seconds, r.errors,
        Percentile(r.latency_us, 50) / 1000.0, Percentile(r.latency_us, 99) / 1000.0,
        100 * r.server_cpu / r.seconds, 100 * r.client_cpu / r.seconds, load.c_str());
    if (!r.first_error.empty())
      std::printf("  first error: %s\n", r.first_error.c_str());
    std::fflush(stdout);
    if (s.Dead())
      continue;
    rep.Add("server-side applies/s (~50 fields, 2 managers), " + std::to_string(o.clients) +
                " clients, " + label,
            "/s", true, ">= 5,000", r.Rate());
    rep.Add("server CPU per apply, " + label, "us", false, "",
            r.ok ? 1e6 * r.server_cpu / static_cast<double>(r.ok) : 0);
  }
}

void BenchCreates(const Options& o, Report& rep, const std::string& storage) {
  const std::string payload = Payload(o.payload_bytes);
  const std::string label = storage == "memory" ? "memory" : "durable";
  for (int run = 0; run < o.repeat; ++run) {
    ServerProcess s(ServerOpts(o, storage));
    if (Status st = s.Start(); !st.ok()) {
      std::printf("creates %s run %d: cannot start server: %s\n", label.c_str(), run + 1,
                  st.message().c_str());
      continue;
    }
    if (Status st = CreateNamespace(s, "bench"); !st.ok()) {
      std::printf("  %s\n", st.message().c_str());
      continue;
    }
    // A short warm-up so connection setup and first allocations are not in the figure.
    RunCreates(s, "bench", o.clients, 0, 200, payload, "warm-");
    std::string load = LoadAvg();
    CreateResult r = RunCreates(s, "bench", o.clients, o.create_seconds, 0, payload, "cm-");
    std::printf(
        "creates %-7s run %d: %8.0f/s  (%zu in %.2f s, %zu errors)  p50 %.2f ms  p99 %.2f ms  "
        "server CPU %.0f%%  client CPU %.0f%%  load %s\n",
        label.c_str(), run + 1, r.Rate(), r.ok, r.seconds, r.errors,
        Percentile(r.latency_us, 50) / 1000.0, Percentile(r.latency_us, 99) / 1000.0,
        100 * r.server_cpu / r.seconds, 100 * r.client_cpu / r.seconds, load.c_str());
    if (!r.first_error.empty())
      std::printf("  first error: %s\n", r.first_error.c_str());
    std::fflush(stdout);
    if (s.Dead())
      continue;
    std::string goal = storage == "memory" ? ">= 20,000" : ">= 5,000";
    rep.Add("creates/s, " + std::to_string(o.clients) + " clients, " + label + " storage", "/s",
            true, goal, r.Rate());
    rep.Add("create p50 latency, " + label, "ms", false, "", Percentile(r.latency_us, 50) / 1e3);
    rep.Add("create p99 latency, " + label, "ms", false, "", Percentile(r.latency_us, 99) / 1e3);
    rep.Add("server CPU during creates, " + label, "% of one core", false, "",
            100 * r.server_cpu / r.seconds);
  }
}

// The list handler's own time, in-process: the same RestHandler over a memory store, called
// directly, so TLS, HTTP framing and the network are excluded. This is the "server time" of
// the issue; the HTTPS round trip is reported next to it.
std::vector<double> InProcessListMs(const Options& o) {
  using namespace kcx::apiserver;
  Sequencer seq(nullptr);
  ApiRegistry reg(&seq, 10000);
  for (const ResourceInfo& info : BuiltinResources())
    reg.Add(&info);
  seq.SetCurrent(0);
  for (const auto& e : reg.entries())
    e->store->FinishLoad(0);
  RestHandler h(&reg, &RealClock(), RestOptions{});
  auto call = [&h](std::string method, std::string path, std::string body) {
    Request req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.body = std::move(body);
    req.accept = "application/json";
    req.content_type = "application/json";
    req.user.authenticated = true;
    std::promise<Response> p;
    auto f = p.get_future();
    h.Handle(std::move(req), [&p](Response r) { p.set_value(std::move(r)); });
    return f.get();
  };
  call("POST", "/api/v1/namespaces",
       R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}})");
  const std::string payload = Payload(o.payload_bytes);
  for (int i = 0; i < o.list_objects; ++i) {
    Response r = call("POST", "/api/v1/namespaces/bench/configmaps",
                      ConfigMapJson("cm-" + std::to_string(i), payload));
    if (r.code != 201) {
      std::printf("  in-process create failed: %d %s\n", r.code, r.body.c_str());
      return {};
    }
  }
  std::vector<double> ms;
  for (int i = 0; i < o.list_runs + 1; ++i) {
    auto t0 = SteadyClock::now();
    Response r = call("GET", "/api/v1/namespaces/bench/configmaps", "");
    double d = Seconds(SteadyClock::now() - t0) * 1e3;
    if (r.code != 200 || CountOccurrences(r.body, "\"uid\":\"") != size_t(o.list_objects)) {
      std::printf("  in-process list returned %d with a wrong item count\n", r.code);
      return {};
    }
    if (i > 0)
      ms.push_back(d);  // the first one warms the allocator
  }
  return ms;
}

// Runs a command with stdout to `out_path`; returns wall seconds, or -1 on failure.
double TimeCommand(const std::vector<std::string>& argv, const std::string& out_path) {
  auto t0 = SteadyClock::now();
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(out_path.c_str(), "w");
    if (f)
      dup2(fileno(f), 1);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  double d = Seconds(SteadyClock::now() - t0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? d : -1;
}

void BenchListAndKubectl(const Options& o, Report& rep) {
  const bool list = Wants(o, "list"), kubectl = Wants(o, "kubectl");
  const std::string payload = Payload(o.payload_bytes);
  for (int run = 0; run < o.repeat; ++run) {
    ServerProcess s(ServerOpts(o, "memory"));
    if (Status st = s.Start(); !st.ok()) {
      std::printf("list run %d: cannot start server: %s\n", run + 1, st.message().c_str());
      continue;
    }
    if (Status st = CreateNamespace(s, "bench"); !st.ok()) {
      std::printf("  %s\n", st.message().c_str());
      continue;
    }
    CreateResult fill =
        RunCreates(s, "bench", o.clients, 0, static_cast<size_t>(o.list_objects), payload, "cm-");
    if (fill.ok != static_cast<size_t>(o.list_objects)) {
      std::printf("list run %d: only %zu of %d objects created: %s\n", run + 1, fill.ok,
                  o.list_objects, fill.first_error.c_str());
      continue;
    }
    if (list) {
      auto c = s.Connect();
      if (!c.ok()) {
        std::printf("  connect: %s\n", c.status().message().c_str());
        continue;
      }
      auto req = s.Req("GET", "/api/v1/namespaces/bench/configmaps");
      std::vector<double> ms;
      size_t bytes = 0;
      bool bad = false;
      std::string load = LoadAvg();
      double server_cpu = 0, client_cpu = 0;
      for (int i = 0; i < o.list_runs + 1 && !bad; ++i) {
        double cpu0 = ProcessCpuSeconds(s.pid()), self0 = SelfCpuSeconds();
        auto t0 = SteadyClock::now();
        auto r = (*c)->RoundTrip(req);
        double d = Seconds(SteadyClock::now() - t0) * 1e3;
        double cpu = ProcessCpuSeconds(s.pid()) - cpu0;
        double self = SelfCpuSeconds() - self0;
        if (!r.ok() || r->code != 200 ||
            CountOccurrences(r->body, "\"uid\":\"") != static_cast<size_t>(o.list_objects)) {
          std::printf("  list failed: %s\n",
                      r.ok() ? ("code " + std::to_string(r->code) + " or wrong item count").c_str()
                             : r.status().message().c_str());
          bad = true;
          break;
        }
        bytes = r->body.size();
        if (i > 0) {  // the first request warms the connection and the allocator
          ms.push_back(d);
          server_cpu += cpu;
          client_cpu += self;
        }
      }
      if (!bad) {
        std::sort(ms.begin(), ms.end());
        double med = ms[ms.size() / 2];
        double cpu_ms = server_cpu / static_cast<double>(ms.size()) * 1e3;
        double client_ms = client_cpu / static_cast<double>(ms.size()) * 1e3;
        std::printf(
            "list    run %d: round trip median %.1f ms  best %.1f ms  (%d objects, %.1f MB, %d "
            "requests)  server process CPU %.1f ms/list  client CPU %.1f ms/list  load %s\n",
            run + 1, med, ms.front(), o.list_objects, static_cast<double>(bytes) / 1e6, o.list_runs,
            cpu_ms, client_ms, load.c_str());
        rep.Add(
            "list 10,000 x 1 KiB: HTTPS round trip (median of " + std::to_string(o.list_runs) + ")",
            "ms", false, "", med);
        rep.Add("list 10,000 x 1 KiB: server process CPU per list (incl. TLS)", "ms", false, "",
                cpu_ms);
      }
    }
    if (kubectl) {
      std::vector<double> secs;
      std::string out = s.dir() + "/kubectl.json";
      for (int i = 0; i < 3; ++i) {
        double d = TimeCommand(
            {o.kubectl, "--kubeconfig", s.dir() + "/kubeconfig", "get", "cm", "-A", "-o", "json"},
            out);
        if (d < 0) {
          std::printf("  kubectl failed\n");
          break;
        }
        secs.push_back(d);
      }
      size_t items = CountOccurrences(ReadFile(out), "\"uid\": ");
      if (!secs.empty()) {
        std::sort(secs.begin(), secs.end());
        std::printf(
            "kubectl run %d: get cm -A -o json  median %.0f ms  best %.0f ms  (%zu items)\n",
            run + 1, secs[secs.size() / 2] * 1e3, secs.front() * 1e3, items);
        rep.Add("kubectl get cm -A -o json, 10,000 objects (wall, median of 3)", "ms", false, "",
                secs[secs.size() / 2] * 1e3);
      }
    }
    std::fflush(stdout);
  }
  if (list) {
    for (int run = 0; run < o.repeat; ++run) {
      std::vector<double> ms = InProcessListMs(o);
      if (ms.empty())
        continue;
      std::sort(ms.begin(), ms.end());
      std::printf("list    in-process handler run %d: median %.2f ms  best %.2f ms\n", run + 1,
                  ms[ms.size() / 2], ms.front());
      rep.Add("list 10,000 x 1 KiB: server time (handler, in-process, median of " +
                  std::to_string(o.list_runs) + ")",
              "ms", false, "<= 30", ms[ms.size() / 2]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Watch fan-out. Readers share one io_context per reader thread; each event is found by its
// terminating '\n' (chunk framing lines end in "\r\n"; JSON text never contains a raw CR or
// LF), and its send timestamp by a reverse substring search near the event's end, where the
// ConfigMap's data (written last) sits.

constexpr std::string_view kTsMarker = "\"ts\":\"";
constexpr size_t kTsWindow = 160;

struct WatchReader {
  explicit WatchReader(asio::io_context& ioc, ssl::context& ctx) : stream(ioc, ctx) {}
  ssl::stream<tcp::socket> stream;
  std::vector<char> buf = std::vector<char>(256 * 1024);
  char prev = 0;
  std::string tail;  // the last bytes read (up to kTsWindow), for events split across reads
  size_t events = 0, no_ts = 0;
  std::vector<uint32_t>* latencies = nullptr;  // shared by the readers of one thread
  std::atomic<size_t>* total = nullptr;
  bool done = false;
  bool in_headers = false;  // replay mode: response headers are read asynchronously
  std::string head;

  int64_t FindTs(const char* begin, const char* nl) {
    std::string_view win;
    std::string tmp;
    if (static_cast<size_t>(nl - begin) >= kTsWindow) {
      win = std::string_view(nl - kTsWindow, kTsWindow);
    } else {
      tmp = tail;
      tmp.append(begin, nl);
      win = tmp;
      if (win.size() > kTsWindow)
        win = win.substr(win.size() - kTsWindow);
    }
    size_t p = win.rfind(kTsMarker);
    if (p == std::string_view::npos)
      return 0;
    int64_t v = 0;
    for (size_t i = p + kTsMarker.size(); i < win.size() && win[i] >= '0' && win[i] <= '9'; ++i) {
      v = v * 10 + (win[i] - '0');
    }
    return v;
  }

  void Consume(const char* p, size_t n, int64_t now) {
    const char* end = p + n;
    const char* q = p;
    size_t found = 0;
    while (q < end) {
      const char* nl = static_cast<const char*>(std::memchr(q, '\n', static_cast<size_t>(end - q)));
      if (!nl)
        break;
      char before = nl > p ? nl[-1] : prev;
      if (before != '\r') {
        ++found;
        int64_t ts = FindTs(p, nl);
        if (ts > 0 && now >= ts) {
          latencies->push_back(static_cast<uint32_t>((now - ts) / 1000));
        } else {
          ++no_ts;
        }
      }
      q = nl + 1;
    }
    if (n)
      prev = end[-1];
    if (n >= kTsWindow) {
      tail.assign(end - kTsWindow, end);
    } else {
      tail.append(p, n);
      if (tail.size() > kTsWindow)
        tail.erase(0, tail.size() - kTsWindow);
    }
    events += found;
    if (found)
      total->fetch_add(found, std::memory_order_relaxed);
  }

  void Read() {
    stream.async_read_some(asio::buffer(buf), [this](boost::system::error_code ec, size_t n) {
      if (ec) {
        done = true;
        return;
      }
      if (in_headers) {
        head.append(buf.data(), n);
        size_t p = head.find("\r\n\r\n");
        if (p != std::string::npos) {
          in_headers = false;
          if (head.compare(0, 12, "HTTP/1.1 200") != 0) {
            std::printf("  watch answered: %s\n", head.substr(0, head.find("\r\n")).c_str());
            done = true;
            return;
          }
          prev = '\n';
          Consume(head.data() + p + 4, head.size() - p - 4, NowNs());
        }
      } else {
        Consume(buf.data(), n, NowNs());
      }
      Read();
    });
  }
};

Status ConnectTls(const ServerProcess& s, WatchReader& w) {
  tcp::resolver res(w.stream.get_executor());
  boost::system::error_code ec;
  auto eps = res.resolve(s.endpoint().host, std::to_string(s.endpoint().port), ec);
  if (ec)
    return Unavailable(ec.message());
  asio::connect(w.stream.next_layer(), eps, ec);
  if (ec)
    return Unavailable("connect: " + ec.message());
  w.stream.next_layer().set_option(tcp::no_delay(true));
  w.stream.set_verify_mode(ssl::verify_peer);
  w.stream.handshake(ssl::stream_base::client, ec);
  if (ec)
    return Unavailable("handshake: " + ec.message());
  return Status::Ok();
}

Status SendWatchRequest(const ServerProcess& s, WatchReader& w, const std::string& target) {
  boost::system::error_code ec;
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: " + s.endpoint().host +
                    "\r\nAuthorization: Bearer " + s.token() +
                    "\r\nAccept: application/json\r\nUser-Agent: kcx-bench\r\n\r\n";
  asio::write(w.stream, asio::buffer(req), ec);
  if (ec)
    return Unavailable("write: " + ec.message());
  return Status::Ok();
}

// Opens a watch and reads the response headers synchronously; body bytes that came with the
// headers are consumed.
Status OpenWatch(const ServerProcess& s, WatchReader& w, const std::string& target) {
  KCX_RETURN_IF_ERROR(ConnectTls(s, w));
  KCX_RETURN_IF_ERROR(SendWatchRequest(s, w, target));
  boost::system::error_code ec;
  std::string head;
  for (;;) {
    size_t n = w.stream.read_some(asio::buffer(w.buf), ec);
    if (ec)
      return Unavailable("reading headers: " + ec.message());
    head.append(w.buf.data(), n);
    size_t p = head.find("\r\n\r\n");
    if (p == std::string::npos)
      continue;
    if (head.compare(0, 12, "HTTP/1.1 200") != 0) {
      return Internal("watch answered: " + head.substr(0, head.find("\r\n")));
    }
    std::string rest = head.substr(p + 4);
    w.prev = '\n';
    w.Consume(rest.data(), rest.size(), NowNs());
    return Status::Ok();
  }
}

void BenchWatch(const Options& o, Report& rep) {
  for (int run = 0; run < o.repeat; ++run) {
    ServerProcess s(ServerOpts(o, "memory"));
    if (Status st = s.Start(); !st.ok()) {
      std::printf("watch run %d: cannot start server: %s\n", run + 1, st.message().c_str());
      continue;
    }
    if (Status st = CreateNamespace(s, "bench"); !st.ok()) {
      std::printf("  %s\n", st.message().c_str());
      continue;
    }
    // The watch starts at the current resourceVersion, so it sees exactly the new writes.
    std::string rv;
    {
      auto c = s.Connect();
      auto r = c.ok() ? (*c)->RoundTrip(s.Req("GET", "/api/v1/namespaces/bench/configmaps"))
                      : Result<client::HttpResponse>(c.status());
      if (!r.ok() || r->code != 200) {
        std::printf("  list for rv failed\n");
        continue;
      }
      size_t p = r->body.find("\"resourceVersion\":\"");
      rv = r->body.substr(p + 19, r->body.find('"', p + 19) - p - 19);
    }
    const std::string target = "/api/v1/namespaces/bench/configmaps?watch=1&resourceVersion=" + rv;
    const int nthreads = std::max(1, o.watch_reader_threads);
    std::vector<std::unique_ptr<asio::io_context>> iocs;
    for (int i = 0; i < nthreads; ++i)
      iocs.push_back(std::make_unique<asio::io_context>(1));
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(asio::buffer(s.tls().ca_pem));
    std::vector<std::vector<uint32_t>> lat(static_cast<size_t>(nthreads));
    for (auto& l : lat)
      l.reserve(static_cast<size_t>(o.watchers) * o.watch_events / nthreads + 1);
    std::atomic<size_t> total{0};
    std::vector<std::unique_ptr<WatchReader>> readers;
    bool failed = false;
    for (int i = 0; i < o.watchers; ++i) {
      auto w = std::make_unique<WatchReader>(*iocs[static_cast<size_t>(i % nthreads)], ctx);
      w->latencies = &lat[static_cast<size_t>(i % nthreads)];
      w->total = &total;
      if (Status st = OpenWatch(s, *w, target); !st.ok()) {
        std::printf("  watch %d: %s\n", i, st.message().c_str());
        failed = true;
        break;
      }
      readers.push_back(std::move(w));
    }
    if (failed)
      continue;
    for (auto& w : readers)
      w->Read();
    std::vector<std::thread> reader_threads;
    for (auto& ioc : iocs)
      reader_threads.emplace_back([&ioc] { ioc->run(); });

    // Writers: each its own connection; the ConfigMap's data carries the send time.
    const size_t expected = static_cast<size_t>(o.watchers) * static_cast<size_t>(o.watch_events);
    std::vector<std::unique_ptr<client::Connection>> wconns;
    for (int t = 0; t < o.watch_writers; ++t) {
      auto c = s.Connect();
      if (!c.ok()) {
        failed = true;
        break;
      }
      wconns.push_back(std::move(*c));
    }
    if (failed) {
      std::printf("  cannot connect the writers\n");
      for (auto& ioc : iocs)
        ioc->stop();
      for (auto& th : reader_threads)
        th.join();
      continue;
    }
    std::atomic<size_t> write_errors{0};
    double server_cpu0 = ProcessCpuSeconds(s.pid()), client_cpu0 = SelfCpuSeconds();
    std::string load = LoadAvg();
    auto t0 = SteadyClock::now();
    std::vector<std::thread> writers;
    std::atomic<int64_t> writes_done_ns{0};
    for (int t = 0; t < o.watch_writers; ++t) {
      writers.emplace_back([&, t] {
        client::HttpRequest req = s.Req("POST", "/api/v1/namespaces/bench/configmaps");
        for (int i = t; i < o.watch_events; i += o.watch_writers) {
          req.body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w-)" +
                     std::to_string(i) + R"("},"data":{"ts":")" + std::to_string(NowNs()) + "\"}}";
          auto r = wconns[static_cast<size_t>(t)]->RoundTrip(req);
          if (!r.ok() || r->code != 201) {
            write_errors++;
            if (!r.ok())
              break;
          }
        }
        int64_t now = NowNs();
        int64_t prev = writes_done_ns.load();
        while (prev < now && !writes_done_ns.compare_exchange_weak(prev, now)) {
        }
      });
    }
    for (auto& w : writers)
      w.join();
    double write_s = Seconds(SteadyClock::now() - t0);
    // Wait for every event (or give up after 30 s without progress).
    size_t last = 0;
    auto progress = SteadyClock::now();
    SteadyClock::time_point t_end;
    while (true) {
      size_t n = total.load();
      if (n >= expected) {
        t_end = SteadyClock::now();
        break;
      }
      if (n != last) {
        last = n;
        progress = SteadyClock::now();
      } else if (SteadyClock::now() - progress > std::chrono::seconds(30)) {
        t_end = progress;
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    double total_s = Seconds(t_end - t0);
    double server_cpu = ProcessCpuSeconds(s.pid()) - server_cpu0;
    double client_cpu = SelfCpuSeconds() - client_cpu0;
    for (auto& w : readers) {
      boost::system::error_code ec;
      w->stream.lowest_layer().cancel(ec);
      w->stream.lowest_layer().close(ec);
    }
    for (auto& ioc : iocs)
      ioc->stop();
    for (auto& th : reader_threads)
      th.join();
    std::vector<uint32_t> all;
    size_t no_ts = 0;
    for (auto& l : lat)
      all.insert(all.end(), l.begin(), l.end());
    for (auto& w : readers)
      no_ts += w->no_ts;
    std::sort(all.begin(), all.end());
    size_t got = total.load();
    double rate = static_cast<double>(got) / total_s;
    std::printf(
        "watch   run %d: %zu/%zu events in %.3f s = %.0f events/s  (writes took %.3f s, %zu "
        "write errors)  latency p50 %.2f ms  p99 %.2f ms  max %.2f ms  (%zu without timestamp)  "
        "server CPU %.2f s  client CPU %.2f s  load %s\n",
        run + 1, got, expected, total_s, rate, write_s, write_errors.load(),
        Percentile(all, 50) / 1e3, Percentile(all, 99) / 1e3, all.empty() ? 0.0 : all.back() / 1e3,
        no_ts, server_cpu, client_cpu, load.c_str());
    std::fflush(stdout);
    if (got == expected) {
      rep.Add("watch: " + std::to_string(o.watch_events) + " events to " +
                  std::to_string(o.watchers) + " watchers, events/s in total",
              "/s", true, ">= 1,000,000", rate);
      rep.Add("watch: p99 delivery latency", "ms", false, "<= 10", Percentile(all, 99) / 1e3);
      rep.Add("watch: p50 delivery latency", "ms", false, "", Percentile(all, 50) / 1e3);
      rep.Add("watch: time to write the " + std::to_string(o.watch_events) + " objects (" +
                  std::to_string(o.watch_writers) + " writers)",
              "ms", false, "", write_s * 1e3);
    }
  }
}

// Fan-out capacity without the writer in the loop: 10,000 objects are written first, then the
// 100 watches start from the resourceVersion before them, so the server replays its history
// and can batch many events per TLS write. Not a latency measure; it shows what delivery costs
// when events are batched, next to the live measure where they trickle in one at a time.
void BenchWatchReplay(const Options& o, Report& rep) {
  for (int run = 0; run < o.repeat; ++run) {
    ServerProcess s(ServerOpts(o, "memory"));
    if (Status st = s.Start(); !st.ok()) {
      std::printf("watch replay run %d: cannot start server: %s\n", run + 1, st.message().c_str());
      continue;
    }
    if (Status st = CreateNamespace(s, "bench"); !st.ok()) {
      std::printf("  %s\n", st.message().c_str());
      continue;
    }
    std::string rv;
    {
      auto c = s.Connect();
      auto r = c.ok() ? (*c)->RoundTrip(s.Req("GET", "/api/v1/namespaces/bench/configmaps"))
                      : Result<client::HttpResponse>(c.status());
      if (!r.ok() || r->code != 200) {
        std::printf("  list for rv failed\n");
        continue;
      }
      size_t p = r->body.find("\"resourceVersion\":\"");
      rv = r->body.substr(p + 19, r->body.find('"', p + 19) - p - 19);
    }
    CreateResult fill =
        RunCreates(s, "bench", o.clients, 0, static_cast<size_t>(o.watch_events), "x", "r-");
    if (fill.ok != static_cast<size_t>(o.watch_events)) {
      std::printf("  only %zu objects written: %s\n", fill.ok, fill.first_error.c_str());
      continue;
    }
    const std::string target = "/api/v1/namespaces/bench/configmaps?watch=1&resourceVersion=" + rv;
    const int nthreads = std::max(1, o.watch_reader_threads);
    std::vector<std::unique_ptr<asio::io_context>> iocs;
    for (int i = 0; i < nthreads; ++i)
      iocs.push_back(std::make_unique<asio::io_context>(1));
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(asio::buffer(s.tls().ca_pem));
    std::vector<std::vector<uint32_t>> lat(static_cast<size_t>(nthreads));
    std::atomic<size_t> total{0};
    std::vector<std::unique_ptr<WatchReader>> readers;
    bool failed = false;
    for (int i = 0; i < o.watchers && !failed; ++i) {
      auto w = std::make_unique<WatchReader>(*iocs[static_cast<size_t>(i % nthreads)], ctx);
      w->latencies = &lat[static_cast<size_t>(i % nthreads)];
      w->total = &total;
      w->in_headers = true;
      if (Status st = ConnectTls(s, *w); !st.ok()) {
        std::printf("  watch %d: %s\n", i, st.message().c_str());
        failed = true;
      }
      readers.push_back(std::move(w));
    }
    if (failed)
      continue;
    const size_t expected = static_cast<size_t>(o.watchers) * static_cast<size_t>(o.watch_events);
    double server_cpu0 = ProcessCpuSeconds(s.pid()), client_cpu0 = SelfCpuSeconds();
    std::string load = LoadAvg();
    auto t0 = SteadyClock::now();
    for (auto& w : readers) {
      if (Status st = SendWatchRequest(s, *w, target); !st.ok()) {
        std::printf("  %s\n", st.message().c_str());
        failed = true;
        break;
      }
      w->Read();
    }
    std::vector<std::thread> reader_threads;
    for (auto& ioc : iocs)
      reader_threads.emplace_back([&ioc] { ioc->run(); });
    size_t last = 0;
    auto progress = SteadyClock::now();
    SteadyClock::time_point t_end;
    while (true) {
      size_t n = total.load();
      if (n >= expected) {
        t_end = SteadyClock::now();
        break;
      }
      if (n != last) {
        last = n;
        progress = SteadyClock::now();
      } else if (SteadyClock::now() - progress > std::chrono::seconds(30)) {
        t_end = progress;
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    double secs = Seconds(t_end - t0);
    double server_cpu = ProcessCpuSeconds(s.pid()) - server_cpu0;
    double client_cpu = SelfCpuSeconds() - client_cpu0;
    for (auto& w : readers) {
      boost::system::error_code ec;
      w->stream.lowest_layer().cancel(ec);
      w->stream.lowest_layer().close(ec);
    }
    for (auto& ioc : iocs)
      ioc->stop();
    for (auto& th : reader_threads)
      th.join();
    size_t got = total.load();
    double rate = static_cast<double>(got) / secs;
    std::printf(
        "watch replay run %d: %zu/%zu events in %.3f s = %.0f events/s  server CPU %.2f s "
        "(%.2f us/event)  client CPU %.2f s  load %s\n",
        run + 1, got, expected, secs, rate, server_cpu,
        got ? server_cpu * 1e6 / static_cast<double>(got) : 0.0, client_cpu, load.c_str());
    std::fflush(stdout);
    if (got == expected) {
      rep.Add("watch replay (history, batched): events/s to " + std::to_string(o.watchers) +
                  " watchers",
              "/s", true, "", rate);
      rep.Add("watch replay: server CPU per delivered event", "us", false, "",
              server_cpu * 1e6 / static_cast<double>(got));
    }
  }
}

// ---------------------------------------------------------------------------------------------

void BenchMemory(const Options& o, Report& rep, const std::string& storage) {
  const std::string payload = Payload(o.payload_bytes);
  const std::string label = storage == "memory" ? "memory" : "durable";
  for (int run = 0; run < o.repeat; ++run) {
    ServerProcess s(ServerOpts(o, storage));
    if (Status st = s.Start(); !st.ok()) {
      std::printf("memory run %d: cannot start server: %s\n", run + 1, st.message().c_str());
      continue;
    }
    if (Status st = CreateNamespace(s, "bench"); !st.ok()) {
      std::printf("  %s\n", st.message().c_str());
      continue;
    }
    // Warm up: connections, thread arenas, TLS state, so the delta is the objects.
    RunCreates(s, "bench", o.clients, 0, 100, payload, "warm-");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    long before = RssKiB(s.pid());
    CreateResult r =
        RunCreates(s, "bench", o.clients, 0, static_cast<size_t>(o.memory_objects), payload, "cm-");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    long after = RssKiB(s.pid());
    size_t obj_bytes = 0;
    {
      auto c = s.Connect();
      if (c.ok()) {
        auto g = (*c)->RoundTrip(s.Req("GET", "/api/v1/namespaces/bench/configmaps/cm-1"));
        if (g.ok() && g->code == 200)
          obj_bytes = g->body.size();
      }
    }
    if (r.ok != static_cast<size_t>(o.memory_objects)) {
      std::printf("memory run %d: only %zu objects stored: %s\n", run + 1, r.ok,
                  r.first_error.c_str());
      continue;
    }
    double per = static_cast<double>(after - before) / static_cast<double>(r.ok);
    std::printf(
        "memory  %-7s run %d: VmRSS %ld -> %ld KiB for %zu objects = %.2f KiB/object (stored JSON "
        "%zu bytes each)\n",
        label.c_str(), run + 1, before, after, r.ok, per, obj_bytes);
    std::fflush(stdout);
    rep.Add("resident memory per stored 1 KiB ConfigMap, " + label + " storage (" +
                std::to_string(o.memory_objects) + " objects)",
            "KiB", false, storage == "memory" ? "<= 2.5" : "", per);
  }
}

void PrintSummary(const Options& o, const Report& rep) {
  std::printf("\n## Summary (%d runs each; best and median)\n\n", o.repeat);
  std::printf("| Measure | Goal | Best | Median | Runs |\n|---|---|---|---|---|\n");
  for (const auto& [name, row] : rep.rows) {
    Summary s = Summarize(row.runs, row.higher_better);
    auto fmt = [&](double v) {
      char b[64];
      if (row.unit == "/s") {
        std::snprintf(b, sizeof b, "%.0f/s", v);
      } else {
        std::snprintf(b, sizeof b, "%.2f %s", v, row.unit.c_str());
      }
      return std::string(b);
    };
    std::string runs;
    for (double v : row.runs)
      runs += (runs.empty() ? "" : ", ") + fmt(v);
    std::printf("| %s | %s | %s | %s | %s |\n", name.c_str(),
                row.goal.empty() ? "" : row.goal.c_str(), fmt(s.best).c_str(),
                fmt(s.median).c_str(), runs.c_str());
  }
}

}  // namespace
}  // namespace kcx::bench

int main(int argc, char** argv) {
  using namespace kcx::bench;
  Options o;
  CLI::App app{"End-to-end benchmarks of kcx apiserver (run as a separate process, HTTPS)"};
  app.add_option("--kcx", o.kcx, "kcx binary")->capture_default_str();
  app.add_option("--kubectl", o.kubectl, "kubectl binary")->capture_default_str();
  app.add_option("--only", o.only,
                 "comma-separated: applies,creates,list,watch,watch-replay,memory,kubectl")
      ->capture_default_str();
  app.add_option("--work-dir", o.work_dir, "where server data dirs are created (on disk)")
      ->capture_default_str();
  app.add_option("--repeat", o.repeat, "runs of each measure")->capture_default_str();
  app.add_option("--server-threads", o.server_threads, "kcx apiserver --threads")
      ->capture_default_str();
  app.add_option("--clients", o.clients, "concurrent create clients")->capture_default_str();
  app.add_option("--create-seconds", o.create_seconds, "duration of a creates run")
      ->capture_default_str();
  app.add_option("--payload-bytes", o.payload_bytes, "ConfigMap data size")->capture_default_str();
  app.add_option("--list-objects", o.list_objects, "objects for the list measure")
      ->capture_default_str();
  app.add_option("--list-runs", o.list_runs, "timed lists per run")->capture_default_str();
  app.add_option("--watchers", o.watchers, "watch connections")->capture_default_str();
  app.add_option("--watch-events", o.watch_events, "objects written during the watch measure")
      ->capture_default_str();
  app.add_option("--watch-writers", o.watch_writers, "writer connections for the watch measure")
      ->capture_default_str();
  app.add_option("--watch-reader-threads", o.watch_reader_threads, "client threads reading watches")
      ->capture_default_str();
  app.add_option("--memory-objects", o.memory_objects, "objects for the memory measure")
      ->capture_default_str();
  app.add_flag("--keep", o.keep, "keep the servers' data dirs");
  CLI11_PARSE(app, argc, argv);
  signal(SIGPIPE, SIG_IGN);

  std::printf("apiserver_bench: kcx %s, %u CPUs, load %s\n", o.kcx.c_str(),
              std::thread::hardware_concurrency(), LoadAvg().c_str());
  Report rep;
  if (Wants(o, "applies")) {
    BenchApplies(o, rep, "memory");
  }
  if (Wants(o, "creates")) {
    BenchCreates(o, rep, "memory");
    BenchCreates(o, rep, "sqlite");
  }
  if (Wants(o, "list") || Wants(o, "kubectl"))
    BenchListAndKubectl(o, rep);
  if (Wants(o, "watch"))
    BenchWatch(o, rep);
  if (Wants(o, "watch-replay"))
    BenchWatchReplay(o, rep);
  if (Wants(o, "memory")) {
    BenchMemory(o, rep, "memory");
    BenchMemory(o, rep, "sqlite");
  }
  PrintSummary(o, rep);
  return 0;
}
