#pragma once

// A blocking MySQL-protocol connection over MariaDB Connector/C. It speaks to MariaDB 10.x and
// MySQL 8.x alike.
//
// Threading: a Connection is used by one thread at a time (Connector/C handles are not
// thread-safe). Interrupt() may be called from any thread to make a blocked call return.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct st_mysql;

namespace kcx::mysql {

struct ConnectOptions {
  std::string host;
  int port = 3306;
  std::string user;
  std::string password;     // never logged
  std::string unix_socket;  // when set, host/port are ignored
  // Connector/C takes whole seconds; 0 means the library default.
  int connect_timeout_s = 5;
  int read_timeout_s = 60;
  int write_timeout_s = 60;
};

// One result row; nullopt is SQL NULL.
using Row = std::vector<std::optional<std::string>>;

struct ResultSet {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  // The value of `column` in row `i`, or nullopt if NULL or no such column.
  std::optional<std::string> Get(size_t i, std::string_view column) const;
  int ColumnIndex(std::string_view column) const;
};

class Connection {
 public:
  Connection();
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status Connect(const ConnectOptions& opts);
  bool connected() const { return mysql_ != nullptr; }
  void Close();

  // Runs a statement; discards any result. Errors carry the server errno in the message as
  // "[1234] text" and close the connection when it was lost.
  Status Exec(std::string_view sql);
  Result<ResultSet> Query(std::string_view sql);
  // Streams rows to `fn` without buffering the whole result (for copying tables). `fn` returns
  // false to stop early. `binary` receives per-column "is binary" flags.
  Status QueryStream(std::string_view sql,
                     const std::function<bool(
                         const std::vector<std::string>& columns, const std::vector<bool>& binary,
                         const char* const* row, const unsigned long* lengths)>& fn);

  // A quoted, escaped string literal for this connection's character set: 'it''s'.
  std::string Quote(std::string_view s);
  // The errno of the last failed call (0 when none).
  unsigned last_errno() const { return last_errno_; }
  unsigned long thread_id() const;
  std::string server_version() const;

 private:
  Status Fail(std::string_view what);
  st_mysql* mysql_ = nullptr;
  unsigned last_errno_ = 0;
};

// True for client errors that mean the server is gone or unreachable (2002, 2003, 2006, 2013,
// 2026 and friends) rather than a server-side SQL error.
bool IsConnectionError(unsigned err);

}  // namespace kcx::mysql
