// How fast a created CustomResourceDefinition is served (issue 3: goal ≤ 1 s): the time from
// sending the CRD's POST to the first successful list of its resource, both over HTTPS against
// an in-process `kcx apiserver` (memory or durable storage).
//
//   crd_bench [--repeat 20] [--storage memory|sqlite] [--poll-us 500]
//
// Every repetition creates a new CRD (a new group and plural) and polls the list on a second
// keep-alive connection every --poll-us until it answers 200; the figure includes the CRD
// create's round trip, the server's CRD controller picking it up, the registry publish and the
// first list. Prints every repetition, then median and max.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/apiserver.h"
#include "client/transport.h"

namespace kcx::bench {
namespace {

using Steady = std::chrono::steady_clock;

std::string CrdBody(int i) {
  std::string plural = "things" + std::to_string(i);
  std::string group = "g" + std::to_string(i) + ".bench.example.com";
  return R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":")" +
         plural + "." + group + R"("},
    "spec":{"group":")" +
         group + R"(","scope":"Namespaced",
      "names":{"plural":")" +
         plural + R"(","kind":"Thing)" + std::to_string(i) + R"("},
      "versions":[{"name":"v1","served":true,"storage":true,
        "subresources":{"status":{}},
        "schema":{"openAPIV3Schema":{"type":"object","properties":{
          "spec":{"type":"object","properties":{"replicas":{"type":"integer"},
                                               "image":{"type":"string"}}},
          "status":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}]}})";
}

int Main(int argc, char** argv) {
  CLI::App app("crd_bench");
  int repeat = 20;
  std::string storage = "memory";
  int poll_us = 500;
  app.add_option("--repeat", repeat);
  app.add_option("--storage", storage);
  app.add_option("--poll-us", poll_us);
  CLI11_PARSE(app, argc, argv);

  std::string dir =
      std::filesystem::temp_directory_path() / ("kcx-crd-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  apiserver::ApiServerOptions o;
  o.storage = storage;
  o.data_dir = dir;
  o.port = 0;
  apiserver::ApiServer srv(o);
  if (auto st = srv.Start(); !st.ok()) {
    std::fprintf(stderr, "start: %s\n", st.ToString().c_str());
    return 1;
  }
  client::Endpoint ep{"127.0.0.1", srv.port()};
  client::TlsConfig tls;
  tls.ca_pem = srv.ca_pem();
  auto writer = client::Connection::Open(ep, tls);
  auto reader = client::Connection::Open(ep, tls);
  if (!writer.ok() || !reader.ok()) {
    std::fprintf(stderr, "connect failed\n");
    return 1;
  }
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    client::HttpRequest create;
    create.method = "POST";
    create.target = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    create.content_type = "application/json";
    create.body = CrdBody(i);
    create.bearer_token = srv.token();
    client::HttpRequest list;
    list.target = "/apis/g" + std::to_string(i) +
                  ".bench.example.com/v1/namespaces/default/things" + std::to_string(i);
    list.bearer_token = srv.token();
    auto start = Steady::now();
    auto r = (*writer)->RoundTrip(create);
    if (!r.ok() || r->code != 201) {
      std::fprintf(stderr, "create %d failed: %s\n", i,
                   r.ok() ? (std::to_string(r->code) + " " + r->body).c_str()
                          : r.status().ToString().c_str());
      return 1;
    }
    int polls = 0;
    for (;;) {
      ++polls;
      auto l = (*reader)->RoundTrip(list);
      if (l.ok() && l->code == 200)
        break;
      if (Steady::now() - start > std::chrono::seconds(10)) {
        std::fprintf(stderr, "CRD %d not served after 10 s\n", i);
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(poll_us));
    }
    double t = std::chrono::duration<double, std::milli>(Steady::now() - start).count();
    ms.push_back(t);
    std::printf("crd %2d served after %7.2f ms (%d list polls)\n", i, t, polls);
  }
  srv.Stop();
  std::filesystem::remove_all(dir);
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  std::printf("storage=%s repeat=%d  median %.2f ms  max %.2f ms  min %.2f ms\n", storage.c_str(),
              repeat, sorted[sorted.size() / 2], sorted.back(), sorted.front());
  return 0;
}

}  // namespace
}  // namespace kcx::bench

int main(int argc, char** argv) { return kcx::bench::Main(argc, argv); }
