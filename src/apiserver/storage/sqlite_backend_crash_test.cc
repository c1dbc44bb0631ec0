// Crash test: a child process streams acknowledged writes, gets SIGKILLed mid-stream, and the
// parent checks that every write the child acknowledged survived.
//
// The child is a fork of this test process. It reports a write's resourceVersion on a pipe
// only after the write's done returned OK, so everything the parent reads was acknowledged.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "apiserver/storage/backend.h"
#include "apiserver/storage/test_util.h"

namespace kcx::apiserver {
namespace {

using testing::LoadAll;
using testing::TempDir;

std::string KeyFor(uint64_t rv) { return "/core/configmaps/crash/cm-" + std::to_string(rv); }
std::string PairKeyFor(uint64_t rv) { return "/core/secrets/crash/s-" + std::to_string(rv); }

// ~1.2 KiB, different for every rv so a misplaced value is detected.
std::string ValueFor(uint64_t rv) {
  std::string v = "{\"rv\":" + std::to_string(rv) + ",\"data\":\"";
  uint64_t x = rv * 0x9E3779B97F4A7C15ull + 1;
  while (v.size() < 1200) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v.push_back(static_cast<char>('a' + x % 26));
  }
  v += "\"}";
  return v;
}

// Runs in the forked child: never returns.
[[noreturn]] void ChildWriter(const std::string& path, int out_fd) {
  auto opened = OpenSqliteBackend(path);
  if (!opened.ok()) {
    fprintf(stderr, "child: open: %s\n", opened.status().ToString().c_str());
    _exit(2);
  }
  Backend& b = **opened;
  auto loaded = b.Load([](StoredRecord&&) {});
  if (!loaded.ok())
    _exit(3);
  std::mutex rv_mu;
  uint64_t next_rv = *loaded;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        std::promise<bool> p;
        {
          std::lock_guard lock(rv_mu);
          const uint64_t rv = ++next_rv;
          std::vector<Mutation> batch;
          batch.push_back(Mutation{KeyFor(rv), rv, ValueFor(rv)});
          // Every 4th batch writes two keys and deletes an older one: all must be atomic.
          if (rv % 4 == 0) {
            batch.push_back(Mutation{PairKeyFor(rv), rv, ValueFor(rv + 1)});
            batch.push_back(Mutation{KeyFor(rv - 1), rv, std::nullopt});
          }
          b.Submit(std::move(batch), [rv, out_fd, &p](Status s) {
            if (s.ok()) {
              // Acknowledged: only now tell the parent. Lines < PIPE_BUF are atomic.
              char line[32];
              int n = snprintf(line, sizeof(line), "%llu\n", static_cast<unsigned long long>(rv));
              if (write(out_fd, line, n) != n)
                _exit(4);
            }
            p.set_value(s.ok());
          });
        }
        if (!p.get_future().get())
          _exit(5);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  _exit(0);
}

TEST(SqliteBackendCrashTest, AcknowledgedWritesSurviveKill9) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  std::mt19937 rng(std::random_device{}());
  std::set<uint64_t> acked;  // across all rounds
  uint64_t max_acked = 0;
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      ChildWriter(path, fds[1]);
    }
    close(fds[1]);
    FILE* in = fdopen(fds[0], "r");
    ASSERT_NE(in, nullptr);
    // Kill after a random number of acknowledgements, while the child keeps writing.
    const size_t kill_after = std::uniform_int_distribution<size_t>(200, 1500)(rng);
    size_t round_acks = 0;
    bool killed = false;
    char line[64];
    while (fgets(line, sizeof(line), in) != nullptr) {
      uint64_t rv = std::stoull(line);
      acked.insert(rv);
      max_acked = std::max(max_acked, rv);
      if (++round_acks == kill_after && !killed) {
        ASSERT_EQ(kill(pid, SIGKILL), 0);
        killed = true;
      }
      // Keep draining: acks written before the kill are still in the pipe; EOF comes when
      // the child is gone.
    }
    fclose(in);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(killed) << "child ended on its own after " << round_acks << " acks, status "
                        << status;
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

    auto opened = OpenSqliteBackend(path);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    auto l = LoadAll(**opened);
    ASSERT_TRUE(l.status.ok()) << l.status.ToString();
    EXPECT_GE(l.max_rv, max_acked);
    size_t missing = 0;
    for (uint64_t rv : acked) {
      // A key written at rv was deleted by the batch at rv+1 when rv+1 % 4 == 0; that delete
      // may have committed (acknowledged or not), so the key must be there unless it did.
      const bool may_be_deleted = (rv + 1) % 4 == 0 && l.max_rv >= rv + 1;
      auto it = l.records.find(KeyFor(rv));
      if (it == l.records.end()) {
        if (!may_be_deleted)
          ++missing;
        continue;
      }
      EXPECT_EQ(it->second.value, ValueFor(rv)) << rv;
      EXPECT_EQ(it->second.resource_version, rv);
      if (rv % 4 == 0) {
        auto pair = l.records.find(PairKeyFor(rv));
        if (pair == l.records.end()) {
          ++missing;
        } else {
          EXPECT_EQ(pair->second.value, ValueFor(rv + 1));
        }
        EXPECT_EQ(l.records.count(KeyFor(rv - 1)), 0u) << "delete in batch " << rv << " lost";
      }
    }
    EXPECT_EQ(missing, 0u);
    // Everything loaded is intact and whole: batches are atomic even when not acknowledged.
    for (const auto& [key, rec] : l.records) {
      const uint64_t rv = rec.resource_version;
      if (key == PairKeyFor(rv)) {
        EXPECT_EQ(rec.value, ValueFor(rv + 1)) << key;
        EXPECT_EQ(l.records.count(KeyFor(rv)), 1u) << "half of batch " << rv;
      } else {
        ASSERT_EQ(key, KeyFor(rv));
        EXPECT_EQ(rec.value, ValueFor(rv)) << key;
      }
    }
    ASSERT_GT(acked.size(), 0u);
  }
}

}  // namespace
}  // namespace kcx::apiserver
