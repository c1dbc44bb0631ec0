// SQLite implementation of Backend with group commit.
//
// One commit thread owns the write path. Submit appends to a queue under a short lock; the
// commit thread takes everything queued (up to max_batch_bytes), writes it in one
// transaction with prepared statements and commits. In WAL mode with synchronous=FULL the
// commit is one WAL append plus one fsync, so the fsync is shared by every batch that queued
// while the previous transaction was committing: throughput grows with concurrency.
//
// Schema (user_version 1):
//   kv(key TEXT PRIMARY KEY, value BLOB, rv INTEGER)   one row per live object
//   meta(name TEXT PRIMARY KEY, value INTEGER)          'max_rv': highest RV ever committed,
//                                                      including deletes; written in the same
//                                                      transaction as the mutations.
//
// The connection uses locking_mode=EXCLUSIVE: the file lock is held for the life of the
// backend, so a second server started on the same data dir fails at open instead of
// interleaving writes. It also lets SQLite skip the shared-memory WAL index.

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>

#include "apiserver/storage/backend.h"
#include "apiserver/storage/sqlite_backend_internal.h"
#include "common/log.h"

namespace kcx::apiserver {
namespace {

constexpr int kSchemaVersion = 1;
// SQLite's default autocheckpoint threshold (pages of 4 KiB).
constexpr int kCheckpointPages = 1000;

Status SqliteError(sqlite3* db, std::string_view what) {
  std::string msg = "storage: ";
  msg += what;
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : "out of memory";
  return Internal(std::move(msg));
}

// RAII for sqlite3_stmt.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }
  Status Prepare(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK) {
      return SqliteError(db, std::string("prepare \"") + sql + "\"");
    }
    return Status::Ok();
  }
  sqlite3_stmt* get() const { return s_; }
  void Finalize() {
    sqlite3_finalize(s_);
    s_ = nullptr;
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// Resets a statement (and drops its bindings, which may point into caller buffers) on scope
// exit, whatever path the step took.
class StmtResetter {
 public:
  explicit StmtResetter(sqlite3_stmt* s) : s_(s) {}
  ~StmtResetter() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

 private:
  sqlite3_stmt* s_;
};

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = std::string("storage: ") + sql + ": " + (err ? err : "unknown error");
    sqlite3_free(err);
    return Internal(std::move(msg));
  }
  return Status::Ok();
}

// Runs a single-row, single-column query returning text (for PRAGMAs that report a value).
Result<std::string> QueryText(sqlite3* db, const char* sql) {
  Stmt s;
  KCX_RETURN_IF_ERROR(s.Prepare(db, sql));
  int rc = sqlite3_step(s.get());
  if (rc == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(s.get(), 0);
    return std::string(t ? reinterpret_cast<const char*>(t) : "");
  }
  if (rc == SQLITE_DONE)
    return std::string();
  return SqliteError(db, sql);
}

// Makes the directory entry of a freshly created database file durable.
void FsyncParentDir(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty())
    dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  ::fsync(fd);
  ::close(fd);
}

class SqliteBackend final : public Backend {
 public:
  SqliteBackend(sqlite3* db, SqliteOptions options) : db_(db), options_(options) {}
  ~SqliteBackend() override { Close(); }

  Status Init(const std::string& path, const internal::SqliteTestHooks& hooks) {
    // busy_timeout only matters while another process holds the exclusive lock; fail fast
    // rather than hang when a second server points at the same data dir.
    sqlite3_busy_timeout(db_, 1000);
    // EXCLUSIVE must be set before entering WAL mode so that SQLite keeps the WAL index in
    // heap memory instead of a shared-memory file.
    KCX_ASSIGN_OR_RETURN(std::string lock_mode, QueryText(db_, "PRAGMA locking_mode=EXCLUSIVE"));
    if (lock_mode != "exclusive")
      return Internal("storage: could not set exclusive locking");
    KCX_ASSIGN_OR_RETURN(std::string mode, QueryText(db_, "PRAGMA journal_mode=WAL"));
    if (mode != "wal")
      return Internal("storage: could not enable WAL mode (got \"" + mode + "\")");
    KCX_RETURN_IF_ERROR(Exec(db_,
                             "PRAGMA synchronous=FULL;"
                             "PRAGMA cache_size=-16384;"
                             "PRAGMA temp_store=MEMORY;"));
    KCX_ASSIGN_OR_RETURN(std::string version, QueryText(db_, "PRAGMA user_version"));
    int v = version.empty() ? 0 : std::stoi(version);
    if (v > kSchemaVersion) {
      return Internal("storage: database schema version " + version +
                      " is newer than this binary supports (" + std::to_string(kSchemaVersion) +
                      ")");
    }
    // Takes the exclusive lock (first write) and creates the schema in one transaction.
    KCX_RETURN_IF_ERROR(Exec(db_,
                             "BEGIN IMMEDIATE;"
                             "CREATE TABLE IF NOT EXISTS kv("
                             "  key TEXT PRIMARY KEY NOT NULL,"
                             "  value BLOB NOT NULL,"
                             "  rv INTEGER NOT NULL);"
                             "CREATE TABLE IF NOT EXISTS meta("
                             "  name TEXT PRIMARY KEY NOT NULL,"
                             "  value INTEGER NOT NULL);"
                             "PRAGMA user_version=1;"
                             "COMMIT;"));
    FsyncParentDir(path);

    KCX_RETURN_IF_ERROR(begin_.Prepare(db_, "BEGIN"));
    KCX_RETURN_IF_ERROR(commit_.Prepare(db_, "COMMIT"));
    KCX_RETURN_IF_ERROR(rollback_.Prepare(db_, "ROLLBACK"));
    KCX_RETURN_IF_ERROR(
        put_.Prepare(db_,
                     "INSERT INTO kv(key, value, rv) VALUES(?1, ?2, ?3) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value, rv = excluded.rv"));
    KCX_RETURN_IF_ERROR(del_.Prepare(db_, "DELETE FROM kv WHERE key = ?1"));
    KCX_RETURN_IF_ERROR(
        set_max_rv_.Prepare(db_,
                            "INSERT INTO meta(name, value) VALUES('max_rv', ?1) "
                            "ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)"));

    // Checkpoints (copying the WAL back into the database file, with an fsync of that file)
    // run on the commit thread after a group's dones, not inside COMMIT as SQLite's
    // autocheckpoint would, so they never delay the acknowledgement of the group that
    // crossed the threshold. The WAL hook replaces the autocheckpoint hook.
    sqlite3_wal_hook(
        db_,
        [](void* self, sqlite3*, const char*, int pages) {
          static_cast<SqliteBackend*>(self)->wal_pages_ = pages;
          return SQLITE_OK;
        },
        this);

    if (hooks.after_open) {
      hooks.after_open(db_);
    }
    thread_ = std::thread([this] { Run(); });
    commit_thread_id_ = thread_.get_id();
    return Status::Ok();
  }

  Result<uint64_t> Load(const std::function<void(StoredRecord&&)>& fn) override {
    std::lock_guard db_lock(db_mu_);
    if (db_ == nullptr)
      return Unavailable("storage: backend is closed");
    uint64_t max_rv = 0;
    {
      Stmt s;
      KCX_RETURN_IF_ERROR(s.Prepare(db_, "SELECT key, value, rv FROM kv"));
      int rc;
      while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
        StoredRecord rec;
        const char* k = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0));
        rec.key.assign(k ? k : "", sqlite3_column_bytes(s.get(), 0));
        const char* val = static_cast<const char*>(sqlite3_column_blob(s.get(), 1));
        rec.value.assign(val ? val : "", sqlite3_column_bytes(s.get(), 1));
        rec.resource_version = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 2));
        max_rv = std::max(max_rv, rec.resource_version);
        fn(std::move(rec));
      }
      if (rc != SQLITE_DONE)
        return SqliteError(db_, "load objects");
    }
    {
      Stmt s;
      KCX_RETURN_IF_ERROR(s.Prepare(db_, "SELECT value FROM meta WHERE name = 'max_rv'"));
      int rc = sqlite3_step(s.get());
      if (rc == SQLITE_ROW) {
        max_rv = std::max(max_rv, static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0)));
      } else if (rc != SQLITE_DONE) {
        return SqliteError(db_, "load max resourceVersion");
      }
    }
    return max_rv;
  }

  void Submit(std::vector<Mutation> batch, std::function<void(Status)> done) override {
    size_t bytes = 64;
    for (const Mutation& m : batch)
      bytes += m.key.size() + (m.value ? m.value->size() : 0) + 32;
    {
      std::lock_guard lock(mu_);
      if (!stopping_) {
        queue_.push_back(Pending{std::move(batch), std::move(done), bytes});
        // Only the commit thread waits on cv_; when it is busy committing the notify is a
        // cheap no-op and the batch joins the next group.
        if (idle_)
          cv_.notify_one();
        return;
      }
    }
    // Closed: there is no commit thread any more, so done runs on the caller's thread.
    done(Unavailable("storage: backend is closed"));
  }

  void Close() override {
    if (std::this_thread::get_id() == commit_thread_id_) {
      // From a done: the commit thread cannot join itself. Only request the stop; it exits
      // once the queue is drained, and a later Close (or the destructor) from another thread
      // joins it and closes the database.
      std::lock_guard lock(mu_);
      stopping_ = true;
      return;
    }
    std::lock_guard close_lock(close_mu_);
    if (thread_.joinable()) {
      {
        std::lock_guard lock(mu_);
        stopping_ = true;
      }
      cv_.notify_one();
      thread_.join();
    }
    std::lock_guard db_lock(db_mu_);
    if (db_ != nullptr) {
      begin_.Finalize();
      commit_.Finalize();
      rollback_.Finalize();
      put_.Finalize();
      del_.Finalize();
      set_max_rv_.Finalize();
      if (sqlite3_close(db_) != SQLITE_OK) {
        log::Error("storage: closing database: {}", sqlite3_errmsg(db_));
      }
      db_ = nullptr;
    }
  }

  internal::SqliteStats Stats() const {
    internal::SqliteStats s;
    s.transactions = transactions_.load(std::memory_order_relaxed);
    s.failed_transactions = failed_transactions_.load(std::memory_order_relaxed);
    s.batches = batches_.load(std::memory_order_relaxed);
    s.mutations = mutations_.load(std::memory_order_relaxed);
    s.max_batches_per_transaction = max_group_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < s.group_size_histogram.size(); ++i) {
      s.group_size_histogram[i] = histogram_[i].load(std::memory_order_relaxed);
    }
    return s;
  }

 private:
  struct Pending {
    std::vector<Mutation> batch;
    std::function<void(Status)> done;
    size_t bytes;
  };

  void Run() {
    pthread_setname_np(pthread_self(), "kcx-storage");
    std::vector<Pending> group;
    for (;;) {
      {
        std::unique_lock lock(mu_);
        idle_ = true;
        cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
        idle_ = false;
        if (queue_.empty())
          return;  // stopping_ and drained
        // Take everything queued, bounded by max_batch_bytes; a single oversized batch still
        // goes alone, since a batch must commit atomically.
        size_t bytes = 0;
        while (!queue_.empty() &&
               (group.empty() || bytes + queue_.front().bytes <= options_.max_batch_bytes)) {
          bytes += queue_.front().bytes;
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      Status s = Commit(group);
      // Dones run in Submit order, after the commit, outside every lock so they may Submit.
      for (Pending& p : group) {
        if (p.done) {
          p.done(s);
        }
      }
      group.clear();
      MaybeCheckpoint();
    }
  }

  void MaybeCheckpoint() {
    std::lock_guard db_lock(db_mu_);
    if (wal_pages_ < kCheckpointPages) {
      return;
    }
    wal_pages_ = 0;
    int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      log::Warn("storage: WAL checkpoint failed: {}", sqlite3_errmsg(db_));
    }
  }

  Status Step(sqlite3_stmt* stmt, std::string_view what) {
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
      return SqliteError(db_, what);
    return Status::Ok();
  }

  Status WriteAll(const std::vector<Pending>& group, uint64_t* max_rv, size_t* mutations) {
    for (const Pending& p : group) {
      for (const Mutation& m : p.batch) {
        *max_rv = std::max(*max_rv, m.resource_version);
        ++*mutations;
        if (m.value) {
          sqlite3_stmt* s = put_.get();
          StmtResetter reset(s);
          sqlite3_bind_text(s, 1, m.key.data(), static_cast<int>(m.key.size()), SQLITE_STATIC);
          sqlite3_bind_blob(s, 2, m.value->data(), static_cast<int>(m.value->size()),
                            SQLITE_STATIC);
          sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(m.resource_version));
          KCX_RETURN_IF_ERROR(Step(s, "write " + m.key));
        } else {
          sqlite3_stmt* s = del_.get();
          StmtResetter reset(s);
          sqlite3_bind_text(s, 1, m.key.data(), static_cast<int>(m.key.size()), SQLITE_STATIC);
          KCX_RETURN_IF_ERROR(Step(s, "delete " + m.key));
        }
      }
    }
    sqlite3_stmt* s = set_max_rv_.get();
    StmtResetter reset(s);
    sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(*max_rv));
    return Step(s, "write max resourceVersion");
  }

  Status Commit(const std::vector<Pending>& group) {
    std::lock_guard db_lock(db_mu_);
    uint64_t max_rv = 0;
    size_t mutations = 0;
    Status s;
    {
      StmtResetter reset(begin_.get());
      s = Step(begin_.get(), "begin transaction");
    }
    if (s.ok())
      s = WriteAll(group, &max_rv, &mutations);
    if (s.ok()) {
      StmtResetter reset(commit_.get());
      s = Step(commit_.get(), "commit");
    }
    if (!s.ok()) {
      // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL or an I/O
      // error during commit); otherwise undo the partial transaction so the database keeps
      // only whole committed transactions.
      if (!sqlite3_get_autocommit(db_)) {
        StmtResetter reset(rollback_.get());
        if (sqlite3_step(rollback_.get()) != SQLITE_DONE) {
          log::Error("storage: rollback failed: {}", sqlite3_errmsg(db_));
        }
      }
      log::Error("storage: transaction of {} batches failed: {}", group.size(), s.message());
      failed_transactions_.fetch_add(1, std::memory_order_relaxed);
      return s;
    }
    transactions_.fetch_add(1, std::memory_order_relaxed);
    batches_.fetch_add(group.size(), std::memory_order_relaxed);
    mutations_.fetch_add(mutations, std::memory_order_relaxed);
    if (group.size() > max_group_.load(std::memory_order_relaxed)) {
      max_group_.store(group.size(), std::memory_order_relaxed);
    }
    size_t bucket = 0;  // 1, 2, 3-4, 5-8, 9-16, 17-32, 33-64, 65+
    for (size_t n = group.size() - 1; n > 0 && bucket + 1 < histogram_.size(); n >>= 1)
      ++bucket;
    histogram_[bucket].fetch_add(1, std::memory_order_relaxed);
    return Status::Ok();
  }

  sqlite3* db_;
  const SqliteOptions options_;
  // Serializes use of the connection between Load (caller's thread) and the commit thread.
  std::mutex db_mu_;
  Stmt begin_, commit_, rollback_, put_, del_, set_max_rv_;
  int wal_pages_ = 0;  // frames in the WAL after the last commit; guarded by db_mu_

  std::mutex mu_;  // guards queue_, stopping_, idle_
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  bool idle_ = false;

  std::mutex close_mu_;
  std::thread thread_;
  std::thread::id commit_thread_id_;  // set before any Submit can run a done

  std::atomic<uint64_t> transactions_{0}, failed_transactions_{0}, batches_{0}, mutations_{0};
  std::atomic<uint64_t> max_group_{0};
  std::array<std::atomic<uint64_t>, 8> histogram_{};
};

}  // namespace

namespace internal {

Result<std::unique_ptr<Backend>> OpenSqliteBackendWithHooks(const std::string& path,
                                                            SqliteOptions options,
                                                            SqliteTestHooks hooks) {
  sqlite3* db = nullptr;
  // NOMUTEX: the backend serializes access to the connection itself (db_mu_).
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteError(db, "open " + path);
    sqlite3_close(db);
    return s;
  }
  // The database holds Secrets. SQLite creates the WAL with the database file's mode, so
  // restricting the file before WAL mode is entered covers both.
  if (::chmod(path.c_str(), 0600) != 0) {
    Status s = Internal("storage: chmod " + path + ": " + strerror(errno));
    sqlite3_close(db);
    return s;
  }
  auto backend = std::make_unique<SqliteBackend>(db, options);
  Status s = backend->Init(path, hooks);
  if (!s.ok())
    return s;  // ~SqliteBackend closes the connection
  return std::unique_ptr<Backend>(std::move(backend));
}

SqliteStats GetSqliteStats(const Backend& backend) {
  const auto* b = dynamic_cast<const SqliteBackend*>(&backend);
  return b ? b->Stats() : SqliteStats{};
}

}  // namespace internal

Result<std::unique_ptr<Backend>> OpenSqliteBackend(const std::string& path, SqliteOptions options) {
  return internal::OpenSqliteBackendWithHooks(path, options, {});
}

}  // namespace kcx::apiserver
