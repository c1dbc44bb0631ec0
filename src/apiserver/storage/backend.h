#pragma once

// Durable persistence for kcx apiserver.
//
// The API server serves reads and watch history from its in-memory store; every write is
// also submitted here and acknowledged to the client only once this backend reports it
// durable. The backend is therefore a write-behind log with a "load everything" at startup,
// not a query engine: it has no Get or List.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace kcx::apiserver {

struct StoredRecord {
  std::string key;
  std::string value;
  uint64_t resource_version;
};

struct Mutation {
  std::string key;                   // e.g. "/core/configmaps/default/foo"
  uint64_t resource_version;         // strictly increasing across Submit calls
  std::optional<std::string> value;  // serialized object JSON; nullopt deletes the key
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Called once at startup, before any Submit. Calls fn for every stored record (any order),
  // then returns the highest resourceVersion ever committed, including those of deletes (so the
  // counter never goes backwards across restarts). Thread: caller's.
  virtual Result<uint64_t> Load(const std::function<void(StoredRecord&&)>& fn) = 0;
  // Queues a batch that must commit atomically. `done` is called exactly once, from the
  // backend's commit thread, after the batch is durable on disk (fsync'd), or with an error
  // status. Batches become durable and their `done`s run in Submit order. Thread-safe; never
  // blocks on disk I/O (only on a short queue lock).
  virtual void Submit(std::vector<Mutation> batch, std::function<void(Status)> done) = 0;
  // Waits until everything submitted so far is durable and its done has run, then stops the
  // commit thread. Idempotent. Submit after Close calls done with Unavailable.
  virtual void Close() = 0;
};

struct SqliteOptions {
  size_t max_batch_bytes = 8 << 20;
};

// Opens (creating if needed) the SQLite database at `path` in WAL mode with synchronous=FULL.
Result<std::unique_ptr<Backend>> OpenSqliteBackend(const std::string& path, SqliteOptions = {});

}  // namespace kcx::apiserver
