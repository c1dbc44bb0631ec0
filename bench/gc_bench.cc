// Garbage-collection figure of issue 3: the time to collect 10,000 dependents of a deleted
// owner.
//
// The server's components run in-process, wired as `kcx apiserver` wires them (ApiServer in
// src/apiserver/apiserver.cc): Sequencer → ResourceStores of the ApiRegistry → RestHandler →
// GarbageCollector, with memory storage or the durable SQLite backend in a fresh directory.
// Requests go through RestHandler::Handle (the HTTP layer's entry point), so validation,
// finalizers and watch dispatch run as for a client; TLS and sockets are left out, as they are
// not part of the collector's work.
//
// For each storage and policy: create 1 owner ConfigMap and N ConfigMaps owned by it
// (controller, blockOwnerDeletion), then DELETE the owner with propagationPolicy Background or
// Foreground and measure until the ConfigMap store is empty (every dependent gone, durable;
// for Foreground the owner is last); with Orphan, until the owner is gone (every dependent
// patched to drop its reference first).
//
//   gc_bench [--dependents N] [--repeat R] [--work-dir DIR] [--storage memory,sqlite]

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "api/json.h"
#include "apiserver/gc/garbage_collector.h"
#include "apiserver/http/request.h"
#include "apiserver/registry/resource_info.h"
#include "apiserver/rest/api_registry.h"
#include "apiserver/rest/rest_handler.h"
#include "apiserver/storage/backend.h"
#include "common/clock.h"

namespace kcx::bench {
namespace {

using namespace kcx::apiserver;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// The same sink ApiServer uses: one mutation per batch; the backend's commit thread groups
// what is queued into one transaction.
class BackendSink : public Sequencer::Sink {
 public:
  explicit BackendSink(Backend* b) : b_(b) {}
  void Submit(const std::string& key, uint64_t rv, const std::string* value,
              std::function<void(Status)> done) override {
    std::vector<Mutation> batch(1);
    batch[0].key = key;
    batch[0].resource_version = rv;
    if (value)
      batch[0].value = *value;
    b_->Submit(std::move(batch), std::move(done));
  }

 private:
  Backend* b_;
};

struct Server {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<BackendSink> sink;
  std::unique_ptr<Sequencer> seq;
  std::unique_ptr<ApiRegistry> registry;
  std::unique_ptr<RestHandler> handler;
  std::unique_ptr<gc::GarbageCollector> gc;
  ResourceEntry* cms = nullptr;

  ~Server() {
    if (gc)
      gc->Stop();
    if (backend)
      backend->Close();
  }
};

std::unique_ptr<Server> StartServer(const std::string& storage, const std::string& dir) {
  auto s = std::make_unique<Server>();
  if (storage == "sqlite") {
    auto b = OpenSqliteBackend(dir + "/kcx.db");
    if (!b.ok()) {
      std::fprintf(stderr, "sqlite: %s\n", b.status().ToString().c_str());
      std::exit(1);
    }
    s->backend = std::move(*b);
    s->sink = std::make_unique<BackendSink>(s->backend.get());
    if (auto l = s->backend->Load([](StoredRecord&&) {}); !l.ok())
      std::exit(1);
  }
  s->seq = std::make_unique<Sequencer>(s->sink.get());
  s->registry = std::make_unique<ApiRegistry>(s->seq.get(), 10000);
  for (const ResourceInfo& info : BuiltinResources())
    s->registry->Add(&info);
  for (const auto& e : s->registry->entries())
    e->store->FinishLoad(0);
  s->handler = std::make_unique<RestHandler>(s->registry.get(), &RealClock(), RestOptions{});
  s->gc = std::make_unique<gc::GarbageCollector>(s->handler.get(), &RealClock());
  for (const auto& e : s->registry->entries())
    s->gc->AddResource(e.get());
  s->gc->Start();
  s->cms = s->registry->Find("", "v1", "configmaps");
  return s;
}

Response Call(RestHandler& h, Request req) {
  std::promise<Response> p;
  auto f = p.get_future();
  req.user.authenticated = true;
  h.Handle(std::move(req), [&p](Response r) { p.set_value(std::move(r)); });
  return f.get();
}

Request Post(const std::string& path, std::string body) {
  Request r;
  r.method = "POST";
  r.path = path;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

// Creates `n` requests concurrently (writes are asynchronous; durable ones complete on the
// commit thread) and waits for all.
void CreateAll(RestHandler& h, std::vector<Request> reqs) {
  std::atomic<size_t> left{reqs.size()};
  std::atomic<size_t> failed{0};
  std::promise<void> done;
  for (auto& r : reqs) {
    r.user.authenticated = true;
    h.Handle(std::move(r), [&](Response resp) {
      if (resp.code != 201)
        failed.fetch_add(1);
      if (left.fetch_sub(1) == 1)
        done.set_value();
    });
  }
  done.get_future().wait();
  if (failed.load()) {
    std::fprintf(stderr, "%zu creates failed\n", failed.load());
    std::exit(1);
  }
}

struct Figure {
  double seconds;
  gc::GcStats stats;
};

Figure RunOnce(const std::string& storage, const std::string& policy, int n,
               const std::string& work_dir) {
  std::string dir = work_dir + "/kcx-gc-bench-" + std::to_string(::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  Figure fig{};
  {
    auto s = StartServer(storage, dir);
    RestHandler& h = *s->handler;
    const std::string path = "/api/v1/namespaces/default/configmaps";
    CreateAll(h, {Post("/api/v1/namespaces", R"({"metadata":{"name":"default"}})")});
    Response owner = Call(h, Post(path, R"({"metadata":{"name":"owner"},"data":{"k":"v"}})"));
    auto ov = api::ParseJson(owner.body);
    std::string uid(api::GetStringPath(*ov, {"metadata", "uid"}));
    std::vector<Request> reqs;
    reqs.reserve(n);
    for (int i = 0; i < n; ++i) {
      reqs.push_back(Post(
          path, R"({"metadata":{"name":"dep-)" + std::to_string(i) +
                    R"(","ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner",)"
                    R"("uid":")" +
                    uid + R"(","controller":true,"blockOwnerDeletion":true}]},"data":{"k":"v"}})"));
    }
    CreateAll(h, std::move(reqs));
    // Let the collector take in the new objects (each new reference is verified once) so the
    // measure covers the collection only.
    while (s->cms->store->Size() != static_cast<size_t>(n) + 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    gc::GcStats before = s->gc->stats();

    Request del;
    del.method = "DELETE";
    del.path = path + "/owner";
    del.body = R"({"propagationPolicy":")" + policy + "\"}";
    auto t0 = SteadyClock::now();
    Response r = Call(h, std::move(del));
    if (r.code != 200) {
      std::fprintf(stderr, "delete: %d %s\n", r.code, r.body.c_str());
      std::exit(1);
    }
    // Orphan: done when the owner is gone (its finalizer is removed after every dependent lost
    // its reference); the dependents stay.
    size_t target = policy == "Orphan" ? static_cast<size_t>(n) : 0;
    while (s->cms->store->Size() != target) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      if (SteadyClock::now() - t0 > std::chrono::seconds(120)) {
        std::fprintf(stderr, "timed out with %zu left\n", s->cms->store->Size());
        std::exit(1);
      }
    }
    fig.seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    gc::GcStats after = s->gc->stats();
    fig.stats.deletes = after.deletes - before.deletes;
    fig.stats.ref_patches = after.ref_patches - before.ref_patches;
    fig.stats.finalizers_removed = after.finalizers_removed - before.finalizers_removed;
    fig.stats.retries = after.retries - before.retries;
  }
  fs::remove_all(dir);
  return fig;
}

}  // namespace
}  // namespace kcx::bench

int main(int argc, char** argv) {
  CLI::App app{"garbage-collection benchmark (issue 3)"};
  int n = 10000, repeat = 3;
  std::string work_dir = "/var/tmp", storages = "memory,sqlite",
              policies = "Background,Foreground,Orphan";
  app.add_option("--dependents", n, "dependents of the deleted owner");
  app.add_option("--repeat", repeat, "runs per storage and policy");
  app.add_option("--work-dir", work_dir, "where the durable store is created");
  app.add_option("--storage", storages, "memory,sqlite");
  app.add_option("--policy", policies, "Background,Foreground,Orphan");
  CLI11_PARSE(app, argc, argv);
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    size_t p = 0;
    while (p <= s.size()) {
      size_t q = s.find(',', p);
      if (q == std::string::npos)
        q = s.size();
      if (q > p)
        out.push_back(s.substr(p, q - p));
      p = q + 1;
    }
    return out;
  };
  std::printf("dependents=%d repeat=%d\n", n, repeat);
  for (const auto& storage : split(storages)) {
    for (const auto& policy : split(policies)) {
      std::vector<double> times;
      for (int i = 0; i < repeat; ++i) {
        auto f = kcx::bench::RunOnce(storage, policy, n, work_dir);
        times.push_back(f.seconds);
        std::printf(
            "%-7s %-11s run %d: %.3f s  (deletes %lu, ref patches %lu, finalizers removed %lu, "
            "retries %lu)\n",
            storage.c_str(), policy.c_str(), i + 1, f.seconds,
            static_cast<unsigned long>(f.stats.deletes),
            static_cast<unsigned long>(f.stats.ref_patches),
            static_cast<unsigned long>(f.stats.finalizers_removed),
            static_cast<unsigned long>(f.stats.retries));
        std::fflush(stdout);
      }
      std::sort(times.begin(), times.end());
      std::printf("%-7s %-11s best %.3f s  median %.3f s\n", storage.c_str(), policy.c_str(),
                  times.front(), times[times.size() / 2]);
    }
  }
  return 0;
}
