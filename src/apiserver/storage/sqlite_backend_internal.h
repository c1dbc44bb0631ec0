#pragma once

// Test seams of the SQLite backend. Not for production code.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "apiserver/storage/backend.h"

struct sqlite3;

namespace kcx::apiserver::internal {

struct SqliteTestHooks {
  // Runs on the opening thread right after the schema is set up, before the commit thread
  // starts. Lets tests set e.g. PRAGMA max_page_count to make commits fail with SQLITE_FULL.
  std::function<void(sqlite3*)> after_open;
};

Result<std::unique_ptr<Backend>> OpenSqliteBackendWithHooks(const std::string& path,
                                                            SqliteOptions options,
                                                            SqliteTestHooks hooks);

// Counters of committed work, for benchmarks and metrics. Thread-safe.
struct SqliteStats {
  uint64_t transactions = 0;         // committed transactions (= fsyncs of the WAL)
  uint64_t failed_transactions = 0;  // rolled back
  uint64_t batches = 0;              // Submit calls committed
  uint64_t mutations = 0;            // keys written or deleted
  uint64_t max_batches_per_transaction = 0;
  // Transactions by number of batches grouped: 1, 2, 3-4, 5-8, 9-16, 17-32, 33-64, 65+.
  std::array<uint64_t, 8> group_size_histogram{};
};
// Zero stats if `backend` is not a SQLite backend.
SqliteStats GetSqliteStats(const Backend& backend);

}  // namespace kcx::apiserver::internal
