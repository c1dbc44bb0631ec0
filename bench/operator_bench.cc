// Figures of the MySQL operator (docs/benchmarks.md, "MySQL operator"):
//   create   N MySQLClusters (3 replicas, MOCO's documentation manifest) created at once from
//            several client threads: the time until every owned object of every cluster exists
//            (goal: 1,000 clusters in ≤ 60 s)
//   resync   every settled cluster enqueued again: the writes the operator makes (goal: 0) and
//            the API requests it sends
//   memory   resident memory of the operator (this process) before it starts and after the
//            clusters settled, per cluster
//
// `kcx apiserver` runs as a child process (bench/server_process.h), so its memory is not
// counted; the operator (mysql::Operator, clustering off, metrics/health on port 0) runs in
// this process. No Pods exist: there is no StatefulSet controller, so the clusters never get
// ready, which does not matter for the objects the operator renders.
//
//   operator_bench [--clusters N] [--namespaces K] [--writers W] [--storage memory|sqlite]
//                  [--qps Q] [--server-threads T]

#include <malloc.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bench/server_process.h"
#include "client/config.h"
#include "client/rest_client.h"
#include "operators/mysql/cmd/operator.h"
#include "operators/mysql/controllers/kinds.h"

#ifndef KCX_BIN
#define KCX_BIN "kcx"
#endif

namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using kcx::bench::ServerProcess;

double Secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "operator_bench: %s\n", what.c_str());
  std::exit(1);
}

constexpr const char* kOwnedSelector = "app.kubernetes.io/created-by=moco";

// The kinds the operator renders, with the namespace they live in ("" = the clusters').
struct Kind {
  const char* name;
  const char* prefix;  // list path up to the namespace
  const char* plural;
};
const Kind kKinds[] = {
    {"StatefulSet", "/apis/apps/v1/namespaces/", "statefulsets"},
    {"Service", "/api/v1/namespaces/", "services"},
    {"Secret", "/api/v1/namespaces/", "secrets"},
    {"ConfigMap", "/api/v1/namespaces/", "configmaps"},
    {"ServiceAccount", "/api/v1/namespaces/", "serviceaccounts"},
    {"PodDisruptionBudget", "/apis/policy/v1/namespaces/", "poddisruptionbudgets"},
};

// Number of objects a list would return, cheaply: one item per page and the server's
// remainingItemCount (it reports it for unfiltered lists). Falls back to paging through the
// whole list if the server does not say.
int64_t Count(kcx::client::RestClient& c, const std::string& path,
              const std::string& selector = "") {
  int64_t n = 0;
  std::string cont;
  for (;;) {
    kcx::client::RestRequest r{.verb = "GET", .path = path};
    r.query.emplace_back("limit", selector.empty() && cont.empty() ? "1" : "500");
    if (!selector.empty())
      r.query.emplace_back("labelSelector", selector);
    if (!cont.empty())
      r.query.emplace_back("continue", cont);
    auto resp = c.Do(r);
    if (!resp.ok())
      Die("list " + path + ": " + resp.status().ToString());
    json::value v = json::parse(resp->body);
    const json::object& o = v.as_object();
    n += static_cast<int64_t>(o.at("items").as_array().size());
    const json::object& md = o.at("metadata").as_object();
    if (const json::value* rem = md.if_contains("remainingItemCount"); rem && selector.empty()) {
      return n + rem->to_number<int64_t>();
    }
    const json::value* next = md.if_contains("continue");
    if (!next || !next->is_string() || next->as_string().empty())
      return n;
    cont = std::string(next->as_string());
  }
}

// The operator's API requests so far (rest_client_requests_total, summed over code and verb).
double RestRequests(kcx::mysql::Operator& op) {
  std::string text = op.manager().metrics().Render();
  double total = 0;
  size_t p = 0;
  while ((p = text.find("\nrest_client_requests_total{", p)) != std::string::npos) {
    size_t eol = text.find('\n', p + 1);
    size_t sp = text.rfind(' ', eol);
    total += std::stod(text.substr(sp + 1, eol - sp - 1));
    p = eol;
  }
  return total;
}

// The same by "METHOD code" (e.g. "PUT 409").
std::map<std::string, double> RestRequestsByMethod(kcx::mysql::Operator& op) {
  std::string text = op.manager().metrics().Render();
  std::map<std::string, double> out;
  auto label = [](const std::string& line, const std::string& key) {
    size_t m = line.find(key + "=\"");
    if (m == std::string::npos)
      return std::string("?");
    m += key.size() + 2;
    return line.substr(m, line.find('"', m) - m);
  };
  size_t p = 0;
  while ((p = text.find("\nrest_client_requests_total{", p)) != std::string::npos) {
    size_t eol = text.find('\n', p + 1);
    std::string line = text.substr(p + 1, eol - p - 1);
    size_t sp = line.rfind(' ');
    out[label(line, "method") + " " + label(line, "code")] += std::stod(line.substr(sp + 1));
    p = eol;
  }
  return out;
}

std::string Delta(const std::map<std::string, double>& before,
                  const std::map<std::string, double>& after) {
  std::string out;
  for (const auto& [k, n] : after) {
    auto it = before.find(k);
    double d = n - (it == before.end() ? 0 : it->second);
    if (d > 0)
      out += (out.empty() ? "" : ", ") + k + ": " + std::to_string(static_cast<long long>(d));
  }
  return out;
}

json::object Cluster(const std::string& ns, const std::string& name) {
  // MOCO's documentation manifest (test/mysql_operator/operator_env.h) with 3 replicas.
  return json::object{
      {"apiVersion", "moco.cybozu.com/v1beta2"},
      {"kind", "MySQLCluster"},
      {"metadata", {{"namespace", ns}, {"name", name}}},
      {"spec",
       {{"replicas", 3},
        {"mysqlConfigMapName", "mycnf"},
        {"podTemplate",
         {{"spec",
           {{"containers", json::array{json::object{{"name", "mysqld"},
                                                    {"image", "quay.io/cybozu/mysql:8.0.28"}}}}}}}},
        {"volumeClaimTemplates",
         json::array{json::object{{"metadata", {{"name", "mysql-data"}}},
                                  {"spec",
                                   {{"accessModes", json::array{"ReadWriteOnce"}},
                                    {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}}}}}}};
}

long TrimmedRss() {
  malloc_trim(0);
  return kcx::bench::RssKiB(getpid());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"MySQL operator benchmark"};
  int clusters = 1000, namespaces = 10, writers = 8, server_threads = 2;
  double qps = -1;
  std::string storage = "memory";
  double limit_s = 600;
  app.add_option("--clusters", clusters, "MySQLClusters to create");
  app.add_option("--namespaces", namespaces, "namespaces the clusters are spread over");
  app.add_option("--writers", writers, "client threads creating the clusters");
  app.add_option("--storage", storage, "kcx apiserver storage (memory or sqlite)");
  app.add_option("--server-threads", server_threads, "kcx apiserver --threads");
  app.add_option("--qps", qps,
                 "the operator's client rate limit (default: as `kcx operator` sets it; 0: off; "
                 "the operator raises lower values to its minimum)");
  app.add_option("--timeout", limit_s, "give up waiting after this many seconds");
  CLI11_PARSE(app, argc, argv);
  if (clusters < 1 || namespaces < 1 || writers < 1)
    Die("bad flags");

  std::printf(
      "operator_bench: %d MySQLClusters (3 replicas) in %d namespace(s), %d writers, "
      "kcx apiserver --storage %s --threads %d; load average %s\n",
      clusters, namespaces, writers, storage.c_str(), server_threads,
      kcx::bench::LoadAvg().c_str());

  ServerProcess::Options so;
  so.kcx = KCX_BIN;
  so.storage = storage;
  so.threads = server_threads;
  ServerProcess srv(so);
  if (auto st = srv.Start(); !st.ok())
    Die("server: " + st.ToString());

  kcx::client::KubeconfigOptions ko;
  ko.explicit_path = srv.kubeconfig();
  auto cfg = kcx::client::LoadKubeconfig(ko);
  if (!cfg.ok())
    Die("kubeconfig: " + cfg.status().ToString());
  kcx::client::RestConfig bench_cfg = *cfg;
  bench_cfg.qps = 0;  // the bench's own client is not rate limited
  auto client_or = kcx::client::RestClient::Create(bench_cfg);
  if (!client_or.ok())
    Die("client: " + client_or.status().ToString());
  kcx::client::RestClient& client = **client_or;

  auto post = [&](const std::string& path, const json::value& body) {
    auto r = client.Do({.verb = "POST", .path = path, .body = json::serialize(body)});
    if (!r.ok())
      Die("POST " + path + ": " + r.status().ToString());
  };
  std::vector<std::string> nss;
  for (int i = 0; i < namespaces; ++i)
    nss.push_back("bench-" + std::to_string(i));
  for (const std::string& ns : std::vector<std::string>{"moco-system"}) {
    post("/api/v1/namespaces", json::object{{"metadata", {{"name", ns}}}});
  }
  for (const std::string& ns : nss) {
    post("/api/v1/namespaces", json::object{{"metadata", {{"name", ns}}}});
    post("/api/v1/namespaces/" + ns + "/configmaps",
         json::object{{"metadata", {{"name", "mycnf"}}}, {"data", {{"max_connections", "500"}}}});
  }

  // Objects present before any cluster (a namespace's default ServiceAccount, its root CA
  // ConfigMap, the user's my.cnf ConfigMap): the unfiltered counts below subtract them.
  // Cluster-wide lists, one item per page: six cheap requests per poll.
  auto all_namespaces = [](const Kind& k) {
    std::string p(k.prefix);
    return p.substr(0, p.size() - std::string("namespaces/").size()) + k.plural;
  };
  auto count_all = [&] {
    int64_t n = 0;
    for (const Kind& k : kKinds)
      n += Count(client, all_namespaces(k));
    return n;
  };
  const int64_t baseline = count_all();

  // The operator, in this process.
  long rss_before = TrimmedRss();
  kcx::mysql::OperatorConfig oc;
  oc.metrics_port = 0;
  oc.health_port = 0;
  oc.handle_signals = false;
  oc.install_crds = true;
  oc.clustering = false;
  kcx::client::RestConfig op_cfg = *cfg;
  if (qps >= 0)
    op_cfg.qps = qps;
  if (qps > 0)
    op_cfg.burst = static_cast<int>(qps * 2);
  auto op_or = kcx::mysql::Operator::Create(op_cfg, oc);
  if (!op_or.ok())
    Die("operator: " + op_or.status().ToString());
  kcx::mysql::Operator& op = **op_or;
  std::printf(
      "operator client: qps %s, burst %d\n",
      op.client().config().qps > 0 ? std::to_string(op.client().config().qps).c_str() : "off",
      op.client().config().burst);
  std::thread run([&] {
    kcx::Status s = op.Run();
    if (!s.ok())
      std::fprintf(stderr, "operator: %s\n", s.ToString().c_str());
  });
  auto ready_deadline = Clock::now() + std::chrono::seconds(60);
  while (!op.manager().Ready()) {
    if (Clock::now() > ready_deadline)
      Die("the operator is not ready after 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  long rss_ready = TrimmedRss();
  auto by_method_ready = RestRequestsByMethod(op);
  double cpu_ready = kcx::bench::SelfCpuSeconds();
  double srv_cpu_ready = kcx::bench::ProcessCpuSeconds(srv.pid());

  // Create the clusters at once.
  const int64_t expected = 11LL * clusters;
  std::atomic<int> next{0}, failed{0};
  auto t0 = Clock::now();
  std::vector<std::thread> ws;
  for (int t = 0; t < writers; ++t) {
    ws.emplace_back([&] {
      for (int i; (i = next++) < clusters;) {
        const std::string& ns = nss[static_cast<size_t>(i % namespaces)];
        std::string path = "/apis/moco.cybozu.com/v1beta2/namespaces/" + ns + "/mysqlclusters";
        auto r = client.Do({.verb = "POST",
                            .path = path,
                            .body = json::serialize(Cluster(ns, "c" + std::to_string(i)))});
        if (!r.ok()) {
          if (failed++ == 0)
            std::fprintf(stderr, "create: %s\n", r.status().ToString().c_str());
        }
      }
    });
  }
  for (auto& t : ws)
    t.join();
  double created_s = Secs(Clock::now() - t0);
  if (failed > 0)
    Die(std::to_string(failed.load()) + " creates failed");
  std::printf("created %d MySQLClusters in %.2f s\n", clusters, created_s);

  // Poll the counts until every owned object exists.
  int64_t have = 0;
  double all_s = 0;
  auto deadline = t0 + std::chrono::duration<double>(limit_s);
  double last_print = 0;
  for (;;) {
    have = count_all() - baseline;
    double el = Secs(Clock::now() - t0);
    if (have >= expected) {
      all_s = el;
      break;
    }
    if (el - last_print >= 5) {
      std::printf("  %.0f s: %lld of %lld objects, %llu operator writes, queue %d\n", el,
                  static_cast<long long>(have), static_cast<long long>(expected),
                  static_cast<unsigned long long>(op.reconciler().writes()),
                  static_cast<int>(op.controller().queue().Len()));
      std::fflush(stdout);
      last_print = el;
    }
    if (Clock::now() > deadline)
      Die("timed out with " + std::to_string(have) + " objects");
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  std::printf("every owned object exists after %.2f s (%lld objects)\n", all_s,
              static_cast<long long>(have));

  // Settle: queue empty and no write for 2 s.
  uint64_t last_writes = op.reconciler().writes();
  auto quiet_since = Clock::now();
  for (;;) {
    uint64_t w = op.reconciler().writes();
    if (w != last_writes || op.controller().queue().Len() > 0) {
      last_writes = w;
      quiet_since = Clock::now();
    } else if (Clock::now() - quiet_since >= std::chrono::seconds(2)) {
      break;
    }
    if (Clock::now() > deadline)
      Die("the operator did not settle");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  double settled_s = Secs(quiet_since - t0);
  double cpu_settled = kcx::bench::SelfCpuSeconds();
  double srv_cpu_settled = kcx::bench::ProcessCpuSeconds(srv.pid());
  uint64_t writes_create = op.reconciler().writes();
  uint64_t reconciles_create = op.controller().reconciles();
  double requests_create = RestRequests(op);
  std::string create_methods = Delta(by_method_ready, RestRequestsByMethod(op));
  long rss_settled_raw = kcx::bench::RssKiB(getpid());
  long rss_settled = TrimmedRss();
  // What the informer caches hold (objects, their JSON, their heap incl. indexes' share).
  std::string caches;
  size_t cache_json = 0, cache_heap = 0, managed_fields = 0;
  {
    namespace mc = kcx::mysql::controllers;
    for (const auto* k :
         {&mc::kMySQLClusterKind, &mc::kStatefulSetKind, &mc::kServiceKind, &mc::kSecretKind,
          &mc::kConfigMapKind, &mc::kServiceAccountKind, &mc::kPdbKind, &mc::kPodKind}) {
      size_t n = 0, jb = 0, hb = 0;
      op.controller().InformerFor(*k)->GetIndexer().ForEach([&](const kcx::runtime::ObjectPtr& o) {
        ++n;
        jb += o->json().size();
        hb += o->HeapBytes();
        json::value v = o->Value();
        if (const json::value* mf = v.is_object() ? v.as_object().if_contains("metadata") : nullptr;
            mf && mf->is_object()) {
          if (const json::value* f = mf->as_object().if_contains("managedFields")) {
            managed_fields += json::serialize(*f).size();
          }
        }
      });
      cache_json += jb;
      cache_heap += hb;
      char buf[160];
      std::snprintf(buf, sizeof(buf), "%s%s %zu × %.1f KiB", caches.empty() ? "" : ", ",
                    k->kind.c_str(), n, n ? jb / 1024.0 / n : 0.0);
      caches += buf;
    }
  }

  // Exact check with the label selector, and one cluster's objects by kind.
  const int64_t controller_secrets =
      Count(client, "/api/v1/namespaces/moco-system/secrets", kOwnedSelector);
  int64_t labelled = controller_secrets;
  std::map<std::string, int64_t> by_kind;
  by_kind["Secret (controller, moco-system)"] = controller_secrets;
  for (const Kind& k : kKinds) {
    int64_t n = Count(client, all_namespaces(k), kOwnedSelector);
    if (std::string(k.name) == "Secret")
      n -= controller_secrets;
    by_kind[k.name] = n;
    labelled += n;
  }
  std::string one = "app.kubernetes.io/instance=c0," + std::string(kOwnedSelector);
  int64_t one_total = Count(client, "/api/v1/namespaces/moco-system/secrets", one);
  for (const Kind& k : kKinds) {
    one_total += Count(client, std::string(k.prefix) + nss[0] + "/" + k.plural, one);
  }

  // Resync: every cluster once more.
  uint64_t w0 = op.reconciler().writes();
  uint64_t rec0 = op.controller().reconciles();
  double req0 = RestRequests(op);
  auto by_method0 = RestRequestsByMethod(op);
  auto r0 = Clock::now();
  for (int i = 0; i < clusters; ++i) {
    op.controller().queue().Add(
        {nss[static_cast<size_t>(i % namespaces)], "c" + std::to_string(i)});
  }
  while (op.controller().reconciles() < rec0 + static_cast<uint64_t>(clusters) ||
         op.controller().queue().Len() > 0) {
    if (Clock::now() > r0 + std::chrono::seconds(300))
      Die("the resync did not finish");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  double resync_s = Secs(Clock::now() - r0);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // anything the resync set off
  uint64_t resync_writes = op.reconciler().writes() - w0;
  uint64_t resync_reconciles = op.controller().reconciles() - rec0;
  double resync_requests = RestRequests(op) - req0;
  std::string resync_methods = Delta(by_method0, RestRequestsByMethod(op));
  long rss_resynced = TrimmedRss();

  op.Stop();
  run.join();

  auto mib = [](long kib) { return kib / 1024.0; };
  std::printf("\n| Measure | Result |\n|---|---|\n");
  std::printf("| %d MySQLClusters created (%d writer threads) | %.2f s |\n", clusters, writers,
              created_s);
  std::printf(
      "| Every owned object of every cluster exists (from the first create) | %.2f s "
      "(%lld objects, %d per cluster) |\n",
      all_s, static_cast<long long>(have), 11);
  std::printf(
      "| Operator settled (queue empty, no write for 2 s) | %.2f s after the first create "
      "|\n",
      settled_s);
  std::printf("| Owned objects by label selector | %lld (", static_cast<long long>(labelled));
  bool first = true;
  for (const auto& [k, n] : by_kind) {
    std::printf("%s%s %lld", first ? "" : ", ", k.c_str(), static_cast<long long>(n));
    first = false;
  }
  std::printf("); cluster c0 alone: %lld |\n", static_cast<long long>(one_total));
  std::printf(
      "| Operator writes / reconciles / API requests to settle | %llu / %llu / %.0f "
      "(%.1f requests per cluster) |\n",
      static_cast<unsigned long long>(writes_create),
      static_cast<unsigned long long>(reconciles_create), requests_create,
      requests_create / clusters);
  std::printf("| API requests to settle by method and code | %s |\n", create_methods.c_str());
  std::printf(
      "| CPU to settle: bench process (operator + creates + polls) / kcx apiserver | "
      "%.1f s / %.1f s |\n",
      cpu_settled - cpu_ready, srv_cpu_settled - srv_cpu_ready);
  std::printf("| Resync of %d settled clusters: writes | %llu |\n", clusters,
              static_cast<unsigned long long>(resync_writes));
  std::printf("| Resync: reconciles / API requests / time | %llu / %.0f (%s) / %.2f s |\n",
              static_cast<unsigned long long>(resync_reconciles), resync_requests,
              resync_methods.c_str(), resync_s);
  std::printf(
      "| Operator RSS: before Create / ready (CRDs, informers synced, empty) | %.1f MiB / "
      "%.1f MiB |\n",
      mib(rss_before), mib(rss_ready));
  std::printf(
      "| Operator RSS settled with %d clusters (after malloc_trim; untrimmed) | %.1f MiB "
      "(%.1f MiB) |\n",
      clusters, mib(rss_settled), mib(rss_settled_raw));
  std::printf("| Operator RSS growth per cluster (settled - ready) | %.1f KiB |\n",
              static_cast<double>(rss_settled - rss_ready) / clusters);
  std::printf(
      "| Informer caches: JSON / object heap | %.1f MiB / %.1f MiB (%s); "
      "metadata.managedFields is %.1f MiB of the JSON |\n",
      cache_json / 1048576.0, cache_heap / 1048576.0, caches.c_str(), managed_fields / 1048576.0);
  std::printf("| Operator RSS after the resync | %.1f MiB |\n", mib(rss_resynced));
  std::printf("load average at the end: %s\n", kcx::bench::LoadAvg().c_str());
  bool ok = have == expected && labelled == expected && one_total == 11 && resync_writes == 0;
  if (!ok)
    std::printf("CHECK FAILED (expected %lld objects, 11 for c0, 0 resync writes)\n",
                static_cast<long long>(expected));
  return ok ? 0 : 2;
}
