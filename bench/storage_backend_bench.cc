// Throughput of the durable storage backend alone: N client threads (default 8), each
// submitting one create of a ~1.2 KiB object and waiting for its done before the next, as
// HTTP clients waiting for their response would. Prints commits/s, latency and how many
// client batches each transaction (one WAL fsync) carried.
//
//   storage_backend_bench [--dir DIR] [--threads N] [--seconds S] [--value-bytes B]
//
// DIR must be on the disk being measured (not tmpfs); default: a fresh dir under /var/tmp.

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/storage/backend.h"
#include "apiserver/storage/sqlite_backend_internal.h"

using kcx::apiserver::Backend;

// Median and p90 of a 4 KiB write + fdatasync in `dir`: the floor for one durable commit on
// this disk right now (it varies a lot when other processes write).
std::pair<double, double> FdatasyncLatencyUs(const std::string& dir) {
  const std::string probe = dir + "/fdatasync-probe";
  int fd = open(probe.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return {0, 0};
  std::vector<double> t;
  char buf[4096] = {};
  for (int i = 0; i < 200; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    if (pwrite(fd, buf, sizeof(buf), (i % 16) * sizeof(buf)) != sizeof(buf))
      break;
    fdatasync(fd);
    t.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  close(fd);
  unlink(probe.c_str());
  std::sort(t.begin(), t.end());
  if (t.empty())
    return {0, 0};
  return {t[t.size() / 2], t[t.size() * 9 / 10]};
}
using kcx::apiserver::Mutation;

int main(int argc, char** argv) {
  std::string dir;
  int threads = 8;
  double seconds = 5;
  size_t value_bytes = 1230;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--dir")) {
      dir = argv[i + 1];
    } else if (!strcmp(argv[i], "--threads")) {
      threads = atoi(argv[i + 1]);
    } else if (!strcmp(argv[i], "--seconds")) {
      seconds = atof(argv[i + 1]);
    } else if (!strcmp(argv[i], "--value-bytes")) {
      value_bytes = strtoul(argv[i + 1], nullptr, 10);
    } else {
      fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  bool remove_dir = false;
  if (dir.empty()) {
    char tmpl[] = "/var/tmp/kcx-storage-bench-XXXXXX";
    if (!mkdtemp(tmpl)) {
      perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
    remove_dir = true;
  }
  const auto [sync_p50, sync_p90] = FdatasyncLatencyUs(dir);
  const std::string path = dir + "/bench.sqlite";
  auto opened = kcx::apiserver::OpenSqliteBackend(path);
  if (!opened.ok()) {
    fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  Backend& b = **opened;
  auto max_rv = b.Load([](kcx::apiserver::StoredRecord&&) {});
  if (!max_rv.ok()) {
    fprintf(stderr, "load: %s\n", max_rv.status().ToString().c_str());
    return 1;
  }

  // A ConfigMap-like JSON object of about value_bytes.
  std::string payload(value_bytes > 200 ? value_bytes - 200 : 0, 'x');
  std::mutex rv_mu;  // RVs strictly increase in Submit order, as the in-memory store does it
  uint64_t next_rv = *max_rv;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> errors{0};
  std::vector<std::vector<double>> latencies(threads);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto& lat = latencies[t];
      lat.reserve(100000);
      while (!stop.load(std::memory_order_relaxed)) {
        std::promise<bool> p;
        const auto t0 = std::chrono::steady_clock::now();
        {
          std::lock_guard lock(rv_mu);
          const uint64_t rv = ++next_rv;
          std::string name = "bench-" + std::to_string(rv);
          std::string value =
              "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name +
              "\",\"namespace\":\"default\",\"resourceVersion\":\"" + std::to_string(rv) +
              "\",\"uid\":\"0b6f2a4e-6b8e-4c41-9d8f-3a1f5c7e9b21\"},\"data\":{\"k\":\"" + payload +
              "\"}}";
          std::vector<Mutation> batch;
          batch.push_back(Mutation{"/core/configmaps/default/" + name, rv, std::move(value)});
          b.Submit(std::move(batch), [&p](kcx::Status s) { p.set_value(s.ok()); });
        }
        if (!p.get_future().get())
          errors++;
        lat.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                .count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers)
    w.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto stats = kcx::apiserver::internal::GetSqliteStats(b);
  std::error_code ec;
  const double db_mib = std::filesystem::file_size(path, ec) / 1048576.0;
  const double wal_mib = ec ? 0 : std::filesystem::file_size(path + "-wal", ec) / 1048576.0;
  b.Close();

  std::vector<double> all;
  for (auto& l : latencies)
    all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  printf("threads=%d seconds=%.2f value_bytes~%zu errors=%llu\n", threads, elapsed, value_bytes,
         static_cast<unsigned long long>(errors.load()));
  printf("raw 4 KiB write+fdatasync before the run (us): p50 %.0f, p90 %.0f\n", sync_p50, sync_p90);
  printf("durable commits/s (client batches): %.0f\n", stats.batches / elapsed);
  printf("transactions/s (WAL fsyncs):        %.0f\n", stats.transactions / elapsed);
  printf("batches per transaction: mean %.2f, max %llu\n",
         stats.transactions ? static_cast<double>(stats.batches) / stats.transactions : 0.0,
         static_cast<unsigned long long>(stats.max_batches_per_transaction));
  static const char* kBuckets[] = {"1", "2", "3-4", "5-8", "9-16", "17-32", "33-64", "65+"};
  printf("transactions by batches grouped:");
  for (size_t i = 0; i < stats.group_size_histogram.size(); ++i) {
    if (stats.group_size_histogram[i]) {
      printf(" [%s]=%llu", kBuckets[i],
             static_cast<unsigned long long>(stats.group_size_histogram[i]));
    }
  }
  printf("\nlatency per commit (us): p50 %.0f, p90 %.0f, p99 %.0f, max %.0f\n", pct(0.5), pct(0.9),
         pct(0.99), all.empty() ? 0.0 : all.back());
  printf("database size: %.1f MiB (+ WAL %.1f MiB before close)\n", db_mib, ec ? 0.0 : wal_mib);
  if (remove_dir)
    std::filesystem::remove_all(dir, ec);
  return errors.load() == 0 ? 0 : 1;
}
