// Figures of the kcx runtime's in-process parts (docs/benchmarks.md, "Runtime"):
//   workqueue  add + get + done cycles per second, one thread (goal ≥ 2,000,000/s)
//
//   runtime_bench [--only workqueue] [--seconds S]

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/workqueue.h"

namespace {

using Clock = std::chrono::steady_clock;

// One thread does Add, Get and Done in a loop over a fixed set of realistic keys
// ("namespace/name"), as a controller's worker does for items its informers queued.
void WorkQueueCycles(double seconds) {
  kcx::runtime::WorkQueue<std::string> q;
  std::vector<std::string> keys;
  for (int i = 0; i < 1024; ++i) keys.push_back("default/object-" + std::to_string(i));
  // Warm up (hash table sizing, allocator).
  for (const auto& k : keys) {
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
  double el = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("workqueue: %.0f add+get+done per second (one thread, %llu cycles, %.2f s)\n",
              n / el, static_cast<unsigned long long>(n), el);
  // Duplicates collapsing: 8 adds of the same key before one get.
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
  el = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("workqueue: %.0f (8 adds)+get+done per second (duplicates collapse)\n", n / el);
}

}  // namespace

int main(int argc, char** argv) {
  std::string only;
  double seconds = 2;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--only") && i + 1 < argc) {
      only = argv[++i];
    } else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: runtime_bench [--only workqueue] [--seconds S]\n");
      return 2;
    }
  }
  if (only.empty() || only == "workqueue") WorkQueueCycles(seconds);
  return 0;
}
