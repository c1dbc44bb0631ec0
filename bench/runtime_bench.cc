// Figures of the kcx runtime (docs/benchmarks.md, "Runtime"):
//   workqueue  add + get + done cycles per second, one thread (goal ≥ 2,000,000/s)
//   informer   initial sync of N ConfigMaps of ~1 KiB in pages of 500 against `kcx apiserver`
//              (memory storage, a child process) (goal: 100,000 in ≤ 2 s), resident memory per
//              cached object vs. its JSON size (goal ≤ 1.5×), events/s delivered to one handler
//              while 8 writers update the objects, and `kubectl get cm -A -o json` over the
//              same objects for comparison (kubectl is client-go).
//   reconcile  overhead of a no-op reconcile through queue and worker (goal ≤ 5 µs)
//
//   runtime_bench [--only workqueue,informer,reconcile] [--seconds S] [--objects N]

#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench/server_process.h"
#include "client/rest_client.h"
#include "runtime/controller.h"
#include "runtime/informer.h"
#include "runtime/workqueue.h"

#ifndef KCX_BIN
#define KCX_BIN "kcx"
#endif

namespace {

using Clock = std::chrono::steady_clock;
using kcx::bench::ServerProcess;

double Secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// One thread does Add, Get and Done in a loop over a fixed set of realistic keys
// ("namespace/name"), as a controller's worker does for items its informers queued.
void WorkQueueCycles(double seconds) {
  kcx::runtime::WorkQueue<std::string> q;
  std::vector<std::string> keys;
  for (int i = 0; i < 1024; ++i) keys.push_back("default/object-" + std::to_string(i));
  for (const auto& k : keys) {  // warm up (hash table sizing, allocator)
    q.Add(k);
    q.Done(*q.Get());
  }
  uint64_t n = 0;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    for (int i = 0; i < 4096; ++i) {
      const std::string& k = keys[n++ & 1023];
      q.Add(k);
      auto item = q.Get();
      q.Done(*item);
    }
  }
  double el = Secs(Clock::now() - start);
  std::printf("workqueue: %.0f add+get+done per second (one thread, %llu cycles, %.2f s)\n",
              n / el, static_cast<unsigned long long>(n), el);
  n = 0;
  start = Clock::now();
  deadline = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    for (int i = 0; i < 1024; ++i) {
      const std::string& k = keys[n++ & 1023];
      for (int j = 0; j < 8; ++j) q.Add(k);
      q.Done(*q.Get());
    }
  }
  el = Secs(Clock::now() - start);
  std::printf("workqueue: %.0f (8 adds)+get+done per second (duplicates collapse)\n", n / el);
}

std::unique_ptr<kcx::client::RestClient> Client(const ServerProcess& s) {
  kcx::client::KubeconfigOptions o;
  o.explicit_path = s.kubeconfig();
  auto cfg = kcx::client::LoadKubeconfig(o);
  if (!cfg.ok()) {
    std::fprintf(stderr, "kubeconfig: %s\n", cfg.status().ToString().c_str());
    std::exit(1);
  }
  cfg->qps = 0;
  return std::move(*kcx::client::RestClient::Create(*cfg));
}

std::string Payload(int bytes) { return std::string(static_cast<size_t>(bytes), 'x'); }

void Informer(int objects, double seconds) {
  ServerProcess::Options so;
  so.kcx = KCX_BIN;
  ServerProcess s(so);
  if (auto st = s.Start(); !st.ok()) {
    std::fprintf(stderr, "server: %s\n", st.ToString().c_str());
    std::exit(1);
  }
  auto client = Client(s);
  std::string payload = Payload(900);
  // Fill: 8 writer threads.
  auto fill_start = Clock::now();
  std::atomic<int> next{0}, failed{0};
  std::vector<std::thread> ws;
  for (int t = 0; t < 8; ++t) {
    ws.emplace_back([&] {
      for (int i; (i = next++) < objects;) {
        std::string body = R"({"metadata":{"name":"cm-)" + std::to_string(i) +
                           R"("},"data":{"payload":")" + payload + R"("}})";
        if (!client->Do({.verb = "POST", .path = "/api/v1/namespaces/default/configmaps",
                         .body = body})
                 .ok()) {
          ++failed;
        }
      }
    });
  }
  for (auto& t : ws) t.join();
  std::printf("informer: created %d ConfigMaps of ~1 KiB in %.1f s (%d failed)\n", objects,
              Secs(Clock::now() - fill_start), failed.load());

  malloc_trim(0);
  long rss0 = kcx::bench::RssKiB(getpid());
  kcx::runtime::InformerOptions io;
  io.path = "/api/v1/configmaps";
  io.page_size = 500;
  auto inf = std::make_unique<kcx::runtime::SharedIndexInformer>(client.get(), io);
  std::atomic<uint64_t> events{0};
  auto h = std::make_shared<kcx::runtime::FuncHandler>();
  h->on_add = [&](const kcx::runtime::ObjectPtr&, bool) { ++events; };
  h->on_update = [&](const kcx::runtime::ObjectPtr&, const kcx::runtime::ObjectPtr&) { ++events; };
  auto reg = inf->AddEventHandler(h);
  auto t0 = Clock::now();
  inf->Run();
  inf->WaitForCacheSync(std::chrono::minutes(5));
  double sync_s = Secs(Clock::now() - t0);
  while (!(*reg)->HasSynced()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double delivered_s = Secs(Clock::now() - t0);
  malloc_trim(0);
  long rss1 = kcx::bench::RssKiB(getpid());
  size_t json_bytes = 0, heap_bytes = 0;
  inf->GetIndexer().ForEach([&](const kcx::runtime::ObjectPtr& o) {
    json_bytes += o->json().size();
    heap_bytes += o->HeapBytes();
  });
  size_t n = inf->GetIndexer().Size();
  std::printf("informer: initial sync of %zu objects (pages of 500): %.2f s stored, %.2f s "
              "delivered to the handler\n",
              n, sync_s, delivered_s);
  std::printf("informer: RSS +%.1f MiB = %.0f bytes/object for %.0f bytes of JSON each (%.2f x); "
              "object heap %.2f x JSON\n",
              (rss1 - rss0) / 1024.0, (rss1 - rss0) * 1024.0 / n, double(json_bytes) / n,
              (rss1 - rss0) * 1024.0 / json_bytes, double(heap_bytes) / json_bytes);

  // Throughput to one handler while 8 writers update the cached objects.
  events = 0;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> writes{0};
  ws.clear();
  for (int t = 0; t < 8; ++t) {
    ws.emplace_back([&, t] {
      for (int i = t; !stop; i += 8) {
        std::string name = "cm-" + std::to_string(i % objects);
        if (client->Do({.verb = "PATCH",
                        .path = "/api/v1/namespaces/default/configmaps/" + name,
                        .body = R"({"data":{"n":")" + std::to_string(i) + R"("}})",
                        .content_type = "application/merge-patch+json"})
                .ok()) {
          ++writes;
        }
      }
    });
  }
  auto w0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ws) t.join();
  double el = Secs(Clock::now() - w0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::printf("informer: %.0f events/s to one handler (%.0f writes/s by 8 writers over HTTPS; "
              "bounded by the server)\n",
              events.load() / el, writes.load() / el);
  inf->Stop();
  inf.reset();

  // kubectl over the same objects.
  std::string cmd = "kubectl --kubeconfig " + s.kubeconfig() +
                    " get cm -A -o json > /dev/null 2>&1";
  auto k0 = Clock::now();
  int rc = std::system(cmd.c_str());
  std::printf("informer: kubectl get cm -A -o json over the same objects: %.2f s (exit %d)\n",
              Secs(Clock::now() - k0), rc);
}

void Reconcile(double seconds) {
  kcx::runtime::WorkQueue<kcx::runtime::Request, kcx::runtime::RequestHash> q;
  std::atomic<uint64_t> done{0};
  std::thread worker([&] {
    while (auto item = q.Get()) {
      ++done;  // the no-op reconcile
      q.Forget(*item);
      q.Done(*item);
    }
  });
  std::vector<kcx::runtime::Request> reqs;
  for (int i = 0; i < 1024; ++i) reqs.push_back({"default", "obj-" + std::to_string(i)});
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  uint64_t added = 0;
  while (Clock::now() < deadline) {
    for (int i = 0; i < 1024; ++i) q.Add(reqs[added++ & 1023]);
  }
  while (q.Len() > 0) std::this_thread::yield();
  double el = Secs(Clock::now() - start);
  q.ShutDown();
  worker.join();
  std::printf("reconcile: %.2f us per no-op reconcile through queue and worker (%llu done)\n",
              el * 1e6 / done.load(), static_cast<unsigned long long>(done.load()));
}

}  // namespace

int main(int argc, char** argv) {
  std::string only = "workqueue,informer,reconcile";
  double seconds = 2;
  int objects = 100000;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--only") && i + 1 < argc) {
      only = argv[++i];
    } else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (!std::strcmp(argv[i], "--objects") && i + 1 < argc) {
      objects = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: runtime_bench [--only workqueue,informer,reconcile] [--seconds S] "
                   "[--objects N]\n");
      return 2;
    }
  }
  auto wants = [&](const char* w) { return only.find(w) != std::string::npos; };
  if (wants("workqueue")) WorkQueueCycles(seconds);
  if (wants("reconcile")) Reconcile(seconds);
  if (wants("informer")) Informer(objects, seconds);
  return 0;
}
