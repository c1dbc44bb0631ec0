#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "apiserver/storage/backend.h"
#include "apiserver/storage/sqlite_backend_internal.h"
#include "apiserver/storage/test_util.h"

namespace kcx::apiserver {
namespace {

using testing::LoadAll;
using testing::TempDir;

Mutation Put(std::string key, uint64_t rv, std::string value) {
  return Mutation{std::move(key), rv, std::move(value)};
}
Mutation Del(std::string key, uint64_t rv) { return Mutation{std::move(key), rv, std::nullopt}; }

// Submits a batch and waits for its done.
Status SubmitSync(Backend& b, std::vector<Mutation> batch) {
  std::promise<Status> p;
  auto f = p.get_future();
  b.Submit(std::move(batch), [&p](Status s) { p.set_value(std::move(s)); });
  return f.get();
}

std::unique_ptr<Backend> MustOpen(const std::string& path, SqliteOptions opts = {}) {
  auto r = OpenSqliteBackend(path, opts);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

// Holds the commit thread inside a done callback until Release(), so that batches submitted
// meanwhile queue up and are committed as one group.
class CommitThreadGate {
 public:
  // Submits a marker batch whose done blocks; returns once the commit thread is blocked.
  void Block(Backend& b, uint64_t rv) {
    b.Submit({Put("/gate/" + std::to_string(rv), rv, "gate")}, [this](Status s) {
      EXPECT_TRUE(s.ok()) << s.ToString();
      std::unique_lock lock(mu_);
      blocked_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
    });
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return blocked_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool blocked_ = false;
  bool released_ = false;
};

TEST(SqliteBackendTest, FreshDatabaseLoadsNothing) {
  TempDir dir;
  auto b = MustOpen(dir.File("db.sqlite"));
  ASSERT_NE(b, nullptr);
  auto l = LoadAll(*b);
  ASSERT_TRUE(l.status.ok()) << l.status.ToString();
  EXPECT_EQ(l.max_rv, 0u);
  EXPECT_TRUE(l.records.empty());
}

TEST(SqliteBackendTest, LoadAfterCloseReturnsEverything) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  {
    auto b = MustOpen(path);
    ASSERT_NE(b, nullptr);
    ASSERT_TRUE(LoadAll(*b).status.ok());
    ASSERT_TRUE(SubmitSync(*b, {Put("/core/configmaps/default/a", 1, "{\"a\":1}")}).ok());
    ASSERT_TRUE(SubmitSync(*b, {Put("/core/configmaps/default/b", 2, "{\"b\":2}"),
                                Put("/core/configmaps/default/c", 3, std::string("\0x\0", 3))})
                    .ok());
    ASSERT_TRUE(SubmitSync(*b, {Put("/core/configmaps/default/a", 4, "{\"a\":4}")}).ok());
    b->Close();
  }
  auto b = MustOpen(path);
  ASSERT_NE(b, nullptr);
  auto l = LoadAll(*b);
  ASSERT_TRUE(l.status.ok()) << l.status.ToString();
  EXPECT_EQ(l.max_rv, 4u);
  ASSERT_EQ(l.records.size(), 3u);
  EXPECT_EQ(l.records["/core/configmaps/default/a"].value, "{\"a\":4}");
  EXPECT_EQ(l.records["/core/configmaps/default/a"].resource_version, 4u);
  EXPECT_EQ(l.records["/core/configmaps/default/b"].value, "{\"b\":2}");
  EXPECT_EQ(l.records["/core/configmaps/default/b"].resource_version, 2u);
  // Values are stored as bytes, embedded NULs included.
  EXPECT_EQ(l.records["/core/configmaps/default/c"].value, std::string("\0x\0", 3));
  EXPECT_EQ(l.records["/core/configmaps/default/c"].resource_version, 3u);
}

TEST(SqliteBackendTest, DeleteThenReload) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  {
    auto b = MustOpen(path);
    ASSERT_NE(b, nullptr);
    ASSERT_TRUE(SubmitSync(*b, {Put("/k/a", 1, "a"), Put("/k/b", 2, "b")}).ok());
    ASSERT_TRUE(SubmitSync(*b, {Del("/k/a", 3)}).ok());
    // Deleting a key that does not exist is not an error (the store decides existence).
    ASSERT_TRUE(SubmitSync(*b, {Del("/k/never", 4)}).ok());
  }  // destructor closes
  auto b = MustOpen(path);
  ASSERT_NE(b, nullptr);
  auto l = LoadAll(*b);
  ASSERT_TRUE(l.status.ok());
  ASSERT_EQ(l.records.size(), 1u);
  EXPECT_EQ(l.records.count("/k/a"), 0u);
  EXPECT_EQ(l.records["/k/b"].value, "b");
  EXPECT_EQ(l.max_rv, 4u);
}

TEST(SqliteBackendTest, MaxResourceVersionSurvivesDeletes) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  {
    auto b = MustOpen(path);
    ASSERT_NE(b, nullptr);
    ASSERT_TRUE(SubmitSync(*b, {Put("/k/a", 7, "a")}).ok());
    ASSERT_TRUE(SubmitSync(*b, {Del("/k/a", 42)}).ok());
  }
  {
    auto b = MustOpen(path);
    ASSERT_NE(b, nullptr);
    auto l = LoadAll(*b);
    ASSERT_TRUE(l.status.ok());
    EXPECT_TRUE(l.records.empty());
    EXPECT_EQ(l.max_rv, 42u);
    // The counter continues from there and never goes back.
    ASSERT_TRUE(SubmitSync(*b, {Put("/k/b", 43, "b")}).ok());
  }
  auto b = MustOpen(path);
  ASSERT_NE(b, nullptr);
  auto l = LoadAll(*b);
  EXPECT_EQ(l.max_rv, 43u);
  EXPECT_EQ(l.records.size(), 1u);
}

TEST(SqliteBackendTest, DonesRunInSubmitOrderOnCommitThread) {
  TempDir dir;
  auto b = MustOpen(dir.File("db.sqlite"));
  ASSERT_NE(b, nullptr);
  constexpr int kN = 2000;
  std::mutex mu;
  std::vector<int> order;
  std::atomic<int> not_ok{0};
  std::atomic<int> on_caller_thread{0};
  const auto caller = std::this_thread::get_id();
  std::promise<void> all_done;
  for (int i = 0; i < kN; ++i) {
    b->Submit({Put("/k/" + std::to_string(i), i + 1, std::string(100, 'x'))}, [&, i](Status s) {
      if (!s.ok())
        not_ok++;
      if (std::this_thread::get_id() == caller)
        on_caller_thread++;
      std::lock_guard lock(mu);
      order.push_back(i);
      if (i == kN - 1)
        all_done.set_value();
    });
  }
  all_done.get_future().wait();
  EXPECT_EQ(not_ok.load(), 0);
  EXPECT_EQ(on_caller_thread.load(), 0);
  std::lock_guard lock(mu);
  ASSERT_EQ(order.size(), static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i)
    ASSERT_EQ(order[i], i) << "done out of order at " << i;
}

TEST(SqliteBackendTest, CloseDrainsQueueAndIsIdempotent) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  constexpr int kN = 500;
  std::atomic<int> ok{0};
  {
    auto b = MustOpen(path);
    ASSERT_NE(b, nullptr);
    for (int i = 0; i < kN; ++i) {
      b->Submit({Put("/k/" + std::to_string(i), i + 1, "v")}, [&](Status s) {
        if (s.ok())
          ok++;
      });
    }
    b->Close();
    // Every done has run by the time Close returns.
    EXPECT_EQ(ok.load(), kN);
    b->Close();
    EXPECT_EQ(ok.load(), kN);
  }
  auto b = MustOpen(path);
  ASSERT_NE(b, nullptr);
  auto l = LoadAll(*b);
  EXPECT_EQ(l.records.size(), static_cast<size_t>(kN));
  EXPECT_EQ(l.max_rv, static_cast<uint64_t>(kN));
}

TEST(SqliteBackendTest, SubmitAfterCloseIsUnavailable) {
  TempDir dir;
  auto b = MustOpen(dir.File("db.sqlite"));
  ASSERT_NE(b, nullptr);
  b->Close();
  int calls = 0;
  Status got;
  b->Submit({Put("/k/a", 1, "a")}, [&](Status s) {
    calls++;
    got = std::move(s);
  });
  // With no commit thread left, done runs synchronously on the caller's thread.
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(got.reason(), Reason::kUnavailable);
  EXPECT_FALSE(LoadAll(*b).status.ok());
}

TEST(SqliteBackendTest, ConcurrentSubmittersAllDurable) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  constexpr int kThreads = 8;
  constexpr int kPerThread = 150;
  {
    auto b = MustOpen(path);
    ASSERT_NE(b, nullptr);
    std::mutex rv_mu;  // RVs must increase in Submit order, as the store guarantees
    uint64_t next_rv = 0;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          std::promise<Status> p;
          {
            std::lock_guard lock(rv_mu);
            uint64_t rv = ++next_rv;
            b->Submit({Put("/t" + std::to_string(t) + "/" + std::to_string(i), rv,
                           "value-" + std::to_string(rv))},
                      [&p](Status s) { p.set_value(std::move(s)); });
          }
          if (!p.get_future().get().ok())
            failures++;
        }
      });
    }
    for (auto& th : threads)
      th.join();
    EXPECT_EQ(failures.load(), 0);
    auto stats = internal::GetSqliteStats(*b);
    EXPECT_EQ(stats.batches, static_cast<uint64_t>(kThreads * kPerThread));
    EXPECT_LE(stats.transactions, stats.batches);
    EXPECT_EQ(stats.failed_transactions, 0u);
  }
  auto b = MustOpen(path);
  ASSERT_NE(b, nullptr);
  auto l = LoadAll(*b);
  ASSERT_EQ(l.records.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(l.max_rv, static_cast<uint64_t>(kThreads * kPerThread));
  for (const auto& [key, rec] : l.records) {
    EXPECT_EQ(rec.value, "value-" + std::to_string(rec.resource_version)) << key;
  }
}

TEST(SqliteBackendTest, BatchesQueuedDuringCommitShareOneTransaction) {
  TempDir dir;
  auto b = MustOpen(dir.File("db.sqlite"));
  ASSERT_NE(b, nullptr);
  CommitThreadGate gate;
  gate.Block(*b, 1);
  std::atomic<int> ok{0};
  for (int i = 0; i < 10; ++i) {
    b->Submit({Put("/k/" + std::to_string(i), i + 2, "v")}, [&](Status s) {
      if (s.ok())
        ok++;
    });
  }
  gate.Release();
  b->Close();
  EXPECT_EQ(ok.load(), 10);
  auto stats = internal::GetSqliteStats(*b);
  EXPECT_EQ(stats.transactions, 2u);
  EXPECT_EQ(stats.max_batches_per_transaction, 10u);
  EXPECT_EQ(stats.group_size_histogram[4], 1u);  // 9-16
}

TEST(SqliteBackendTest, GroupIsBoundedByMaxBatchBytes) {
  TempDir dir;
  SqliteOptions opts;
  opts.max_batch_bytes = 4096;
  auto b = MustOpen(dir.File("db.sqlite"), opts);
  ASSERT_NE(b, nullptr);
  CommitThreadGate gate;
  gate.Block(*b, 1);
  std::atomic<int> ok{0};
  for (int i = 0; i < 10; ++i) {
    b->Submit({Put("/k/" + std::to_string(i), i + 2, std::string(1500, 'v'))}, [&](Status s) {
      if (s.ok())
        ok++;
    });
  }
  // A single batch larger than the bound still commits (alone).
  b->Submit({Put("/big", 100, std::string(10000, 'b'))}, [&](Status s) {
    if (s.ok())
      ok++;
  });
  gate.Release();
  b->Close();
  EXPECT_EQ(ok.load(), 11);
  auto stats = internal::GetSqliteStats(*b);
  EXPECT_EQ(stats.max_batches_per_transaction, 2u);
  EXPECT_EQ(stats.batches, 12u);
  EXPECT_GE(stats.transactions, 7u);  // 1 gate + 5 pairs + 1 big
}

TEST(SqliteBackendTest, FailedCommitFailsEveryBatchOfTheTransactionAndRollsBack) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  {
    internal::SqliteTestHooks hooks;
    // A tiny page budget stands in for a full disk: growing the file fails with SQLITE_FULL.
    hooks.after_open = [](sqlite3* db) {
      ASSERT_EQ(sqlite3_exec(db, "PRAGMA max_page_count=64", nullptr, nullptr, nullptr), SQLITE_OK);
    };
    auto r = internal::OpenSqliteBackendWithHooks(path, {}, hooks);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto& b = **r;
    ASSERT_TRUE(SubmitSync(b, {Put("/k/before", 1, "before")}).ok());

    CommitThreadGate gate;
    gate.Block(b, 2);
    std::vector<Status> results(3);
    std::atomic<int> calls{0};
    b.Submit({Put("/k/small1", 3, "s")}, [&](Status s) {
      results[0] = s;
      calls++;
    });
    // 64 pages of 4 KiB cannot hold 400 KiB: this batch makes the whole transaction fail.
    std::vector<Mutation> big;
    for (int i = 0; i < 100; ++i)
      big.push_back(Put("/k/big" + std::to_string(i), 4 + i, std::string(4000, 'x')));
    b.Submit(std::move(big), [&](Status s) {
      results[1] = s;
      calls++;
    });
    std::promise<void> group_done;
    b.Submit({Put("/k/small2", 200, "s")}, [&](Status s) {
      results[2] = s;
      calls++;
      group_done.set_value();
    });
    gate.Release();
    group_done.get_future().wait();
    // Batches after the failed transaction still commit: a delete needs no new pages.
    Status after = SubmitSync(b, {Del("/k/before", 201)});
    EXPECT_EQ(calls.load(), 3);
    for (const Status& s : results) {
      EXPECT_FALSE(s.ok());
      EXPECT_EQ(s.reason(), Reason::kInternal);
      EXPECT_NE(s.message().find("full"), std::string::npos) << s.message();
    }
    EXPECT_TRUE(after.ok()) << after.ToString();
    auto stats = internal::GetSqliteStats(b);
    EXPECT_EQ(stats.failed_transactions, 1u);
  }
  auto b = MustOpen(path);
  ASSERT_NE(b, nullptr);
  auto l = LoadAll(*b);
  ASSERT_TRUE(l.status.ok()) << l.status.ToString();
  // Only whole committed transactions: the gate marker, no trace of the failed group.
  ASSERT_EQ(l.records.size(), 1u);
  EXPECT_EQ(l.records.count("/gate/2"), 1u);
  EXPECT_EQ(l.max_rv, 201u);
}

TEST(SqliteBackendTest, DatabaseAndWalArePrivate) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  auto b = MustOpen(path);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(SubmitSync(*b, {Put("/core/secrets/default/s", 1, "{}")}).ok());
  for (const std::string& f : {path, path + "-wal"}) {
    struct stat st;
    ASSERT_EQ(stat(f.c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
}

TEST(SqliteBackendTest, CloseFromDoneDoesNotDeadlock) {
  TempDir dir;
  auto b = MustOpen(dir.File("db.sqlite"));
  ASSERT_NE(b, nullptr);
  std::promise<Status> second;
  CommitThreadGate gate;  // both batches below are queued before the first done runs
  gate.Block(*b, 1);
  b->Submit({Put("/k/a", 2, "a")}, [&](Status s) {
    EXPECT_TRUE(s.ok());
    b->Close();  // from the commit thread: only requests the stop
  });
  b->Submit({Put("/k/b", 3, "b")}, [&](Status s) { second.set_value(std::move(s)); });
  gate.Release();
  // Already queued when Close was requested: still committed.
  EXPECT_TRUE(second.get_future().get().ok());
  b->Close();
  Status after;
  b->Submit({Put("/k/c", 4, "c")}, [&](Status s) { after = std::move(s); });
  EXPECT_EQ(after.reason(), Reason::kUnavailable);
}

TEST(SqliteBackendTest, SecondOpenOfSameDatabaseFails) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  auto a = MustOpen(path);
  ASSERT_NE(a, nullptr);
  auto b = OpenSqliteBackend(path);
  EXPECT_FALSE(b.ok());
  a->Close();
  auto c = OpenSqliteBackend(path);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
}

TEST(SqliteBackendTest, OpenFailsInMissingDirectory) {
  TempDir dir;
  auto b = OpenSqliteBackend(dir.File("no/such/dir/db.sqlite"));
  EXPECT_FALSE(b.ok());
}

}  // namespace
}  // namespace kcx::apiserver
