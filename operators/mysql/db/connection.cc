#include "operators/mysql/db/connection.h"

#include <errmsg.h>
#include <mysql.h>

#include <functional>
#include <mutex>

namespace kcx::mysql {
namespace {

// mysql_library_init is not thread-safe; run it once before any connection.
void LibraryInit() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

}  // namespace

bool IsConnectionError(unsigned err) {
  return err == CR_CONNECTION_ERROR || err == CR_CONN_HOST_ERROR || err == CR_SERVER_GONE_ERROR ||
         err == CR_SERVER_LOST || err == CR_SSL_CONNECTION_ERROR || err == CR_UNKNOWN_HOST ||
         err == CR_SERVER_LOST_EXTENDED || err == CR_COMMANDS_OUT_OF_SYNC || err == 0;
}

std::optional<std::string> ResultSet::Get(size_t i, std::string_view column) const {
  int c = ColumnIndex(column);
  if (c < 0 || i >= rows.size())
    return std::nullopt;
  return rows[i][static_cast<size_t>(c)];
}

int ResultSet::ColumnIndex(std::string_view column) const {
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] == column)
      return static_cast<int>(c);
  }
  return -1;
}

Connection::Connection() { LibraryInit(); }
Connection::~Connection() { Close(); }

void Connection::Close() {
  if (mysql_) {
    mysql_close(mysql_);
    mysql_ = nullptr;
  }
}

Status Connection::Fail(std::string_view what) {
  last_errno_ = mysql_ ? mysql_errno(mysql_) : 0;
  std::string msg = std::string(what) + ": [" + std::to_string(last_errno_) + "] " +
                    (mysql_ ? mysql_error(mysql_) : "no connection");
  if (IsConnectionError(last_errno_)) {
    Close();
    return Unavailable(msg);
  }
  return Internal(msg);
}

Status Connection::Connect(const ConnectOptions& o) {
  Close();
  last_errno_ = 0;
  // No address (a Pod without an IP yet) means unreachable. Connector/C would take an empty
  // host for "localhost", i.e. some other server on this machine.
  if (o.unix_socket.empty() && o.host.empty()) {
    return Unavailable("no address to connect to as " + o.user + " (the instance has none yet)");
  }
  mysql_ = mysql_init(nullptr);
  if (!mysql_)
    return Internal("mysql_init failed");
  unsigned ct = static_cast<unsigned>(o.connect_timeout_s);
  unsigned rt = static_cast<unsigned>(o.read_timeout_s);
  unsigned wt = static_cast<unsigned>(o.write_timeout_s);
  if (ct)
    mysql_options(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
  if (rt)
    mysql_options(mysql_, MYSQL_OPT_READ_TIMEOUT, &rt);
  if (wt)
    mysql_options(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &wt);
  my_bool reconnect = 0;
  mysql_options(mysql_, MYSQL_OPT_RECONNECT, &reconnect);
  mysql_options(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // No LOAD DATA LOCAL: the manager never reads client files.
  unsigned local_infile = 0;
  mysql_options(mysql_, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  const char* sock = o.unix_socket.empty() ? nullptr : o.unix_socket.c_str();
  const char* host = sock ? "localhost" : o.host.c_str();
  if (!mysql_real_connect(mysql_, host, o.user.c_str(), o.password.c_str(), nullptr,
                          static_cast<unsigned>(o.port), sock, 0)) {
    last_errno_ = mysql_errno(mysql_);
    std::string msg = "connect to " +
                      (sock ? o.unix_socket : o.host + ":" + std::to_string(o.port)) + " as " +
                      o.user + ": [" + std::to_string(last_errno_) + "] " + mysql_error(mysql_);
    mysql_close(mysql_);
    mysql_ = nullptr;
    return Unavailable(msg);
  }
  return Status::Ok();
}

Status Connection::Exec(std::string_view sql) {
  if (!mysql_)
    return Unavailable("not connected");
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0)
    return Fail("query");
  // Drain any result so the connection stays usable.
  do {
    MYSQL_RES* res = mysql_store_result(mysql_);
    if (res)
      mysql_free_result(res);
    else if (mysql_field_count(mysql_) != 0)
      return Fail("store result");
  } while (mysql_next_result(mysql_) == 0);
  if (mysql_errno(mysql_))
    return Fail("query");
  last_errno_ = 0;
  return Status::Ok();
}

Result<ResultSet> Connection::Query(std::string_view sql) {
  if (!mysql_)
    return Unavailable("not connected");
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0)
    return Fail("query");
  MYSQL_RES* res = mysql_store_result(mysql_);
  ResultSet rs;
  if (!res) {
    if (mysql_field_count(mysql_) != 0)
      return Fail("store result");
    last_errno_ = 0;
    return rs;
  }
  unsigned n = mysql_num_fields(res);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  rs.columns.reserve(n);
  for (unsigned i = 0; i < n; ++i)
    rs.columns.emplace_back(fields[i].name);
  rs.rows.reserve(mysql_num_rows(res));
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    unsigned long* len = mysql_fetch_lengths(res);
    Row r(n);
    for (unsigned i = 0; i < n; ++i) {
      if (row[i])
        r[i] = std::string(row[i], len[i]);
    }
    rs.rows.push_back(std::move(r));
  }
  mysql_free_result(res);
  while (mysql_next_result(mysql_) == 0) {
    if (MYSQL_RES* extra = mysql_store_result(mysql_))
      mysql_free_result(extra);
  }
  last_errno_ = 0;
  return rs;
}

Status Connection::QueryStream(
    std::string_view sql,
    const std::function<bool(const std::vector<std::string>&, const std::vector<bool>&,
                             const char* const*, const unsigned long*)>& fn) {
  if (!mysql_)
    return Unavailable("not connected");
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0)
    return Fail("query");
  MYSQL_RES* res = mysql_use_result(mysql_);
  if (!res) {
    if (mysql_field_count(mysql_) != 0)
      return Fail("use result");
    return Status::Ok();
  }
  unsigned n = mysql_num_fields(res);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  std::vector<std::string> cols;
  std::vector<bool> binary;
  for (unsigned i = 0; i < n; ++i) {
    cols.emplace_back(fields[i].name);
    binary.push_back(
        fields[i].charsetnr == 63 &&
        (fields[i].type == MYSQL_TYPE_STRING || fields[i].type == MYSQL_TYPE_VAR_STRING ||
         fields[i].type == MYSQL_TYPE_BLOB || fields[i].type == MYSQL_TYPE_TINY_BLOB ||
         fields[i].type == MYSQL_TYPE_MEDIUM_BLOB || fields[i].type == MYSQL_TYPE_LONG_BLOB ||
         fields[i].type == MYSQL_TYPE_GEOMETRY || fields[i].type == MYSQL_TYPE_BIT));
  }
  bool stopped = false;
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    if (!stopped && !fn(cols, binary, row, mysql_fetch_lengths(res)))
      stopped = true;
  }
  unsigned err = mysql_errno(mysql_);
  mysql_free_result(res);
  if (err)
    return Fail("fetch");
  return Status::Ok();
}

std::string Connection::Quote(std::string_view s) {
  std::string out;
  out.resize(s.size() * 2 + 3);
  out[0] = '\'';
  unsigned long n = 0;
  if (mysql_) {
    n = mysql_real_escape_string(mysql_, out.data() + 1, s.data(), s.size());
  } else {
    n = mysql_escape_string(out.data() + 1, s.data(), s.size());
  }
  out.resize(n + 1);
  out.push_back('\'');
  return out;
}

unsigned long Connection::thread_id() const { return mysql_ ? mysql_thread_id(mysql_) : 0; }

std::string Connection::server_version() const {
  return mysql_ ? mysql_get_server_info(mysql_) : "";
}

}  // namespace kcx::mysql
