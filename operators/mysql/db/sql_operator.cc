#include "operators/mysql/db/sql_operator.h"

#include <charconv>

#include "common/log.h"
#include "operators/mysql/db/sql.h"

namespace kcx::mysql {
namespace {

int ToInt(const std::optional<std::string>& s) {
  if (!s)
    return 0;
  int v = 0;
  std::from_chars(s->data(), s->data() + s->size(), v);
  return v;
}

bool ToBool(const std::optional<std::string>& s) {
  return s && (*s == "1" || *s == "ON" || *s == "Yes");
}

std::string QuoteIdent(std::string_view s) {
  std::string out = "`";
  for (char c : s) {
    if (c == '`')
      out += '`';
    out += c;
  }
  out += '`';
  return out;
}

bool IsSystemSchema(std::string_view db) {
  return db == "mysql" || db == "information_schema" || db == "performance_schema" || db == "sys";
}

}  // namespace

Flavor FlavorFromVersion(std::string_view v) {
  return v.find("MariaDB") != std::string_view::npos ? Flavor::kMariaDB : Flavor::kMySQL;
}

SqlOperator::SqlOperator(SqlOperatorOptions o) : o_(std::move(o)) {}

Status SqlOperator::EnsureFast() {
  if (fast_.connected())
    return Status::Ok();
  ConnectOptions c{o_.endpoint.host,      o_.endpoint.port,   o_.user,           o_.password, "",
                   o_.timeouts.connect_s, o_.timeouts.read_s, o_.timeouts.read_s};
  KCX_RETURN_IF_ERROR(fast_.Connect(c));
  if (!flavor_)
    flavor_ = FlavorFromVersion(fast_.server_version());
  return Status::Ok();
}

Status SqlOperator::EnsureSlow() {
  if (slow_.connected())
    return Status::Ok();
  ConnectOptions c{
      o_.endpoint.host,      o_.endpoint.port,     o_.user, o_.password, "", o_.timeouts.connect_s,
      o_.timeouts.op_read_s, o_.timeouts.op_read_s};
  KCX_RETURN_IF_ERROR(slow_.Connect(c));
  if (!flavor_)
    flavor_ = FlavorFromVersion(slow_.server_version());
  return Status::Ok();
}

Status SqlOperator::ExecAll(Connection& c, const std::vector<std::string>& stmts) {
  for (const auto& s : stmts) {
    Status st = c.Exec(s);
    // The statement may carry a password: report which step failed, not its text.
    if (!st.ok())
      return Status(st.reason(), o_.endpoint.ToString() + ": " + st.message());
  }
  return Status::Ok();
}

void SqlOperator::Close() {
  fast_.Close();
  slow_.Close();
}

Result<InstanceStatus> SqlOperator::GetStatus() {
  KCX_RETURN_IF_ERROR(EnsureFast());
  const Flavor f = *flavor_;
  InstanceStatus s;
  s.flavor = f;
  KCX_ASSIGN_OR_RETURN(auto vars, fast_.Query(sql::StatusVariablesQuery(f)));
  if (vars.rows.size() != 1 || vars.rows[0].size() != 10)
    return Internal("bad status row");
  const Row& r = vars.rows[0];
  s.server_id = static_cast<uint32_t>(ToInt(r[0]));
  s.server_uuid = r[1].value_or("");
  s.version = r[2].value_or("");
  KCX_ASSIGN_OR_RETURN(s.executed, GtidSet::Parse(f, r[3].value_or("")));
  KCX_ASSIGN_OR_RETURN(s.purged, GtidSet::Parse(f, r[4].value_or("")));
  s.read_only = f == Flavor::kMySQL ? ToBool(r[6]) : ToBool(r[5]);
  s.semisync_source_enabled = ToBool(r[7]);
  s.semisync_replica_enabled = ToBool(r[8]);
  s.semisync_wait_count = ToInt(r[9]);

  KCX_ASSIGN_OR_RETURN(auto ss, fast_.Query(sql::SemiSyncStatusQuery(f)));
  for (const auto& row : ss.rows) {
    if (row.size() < 2 || !row[0])
      continue;
    if (row[0]->find("clients") != std::string::npos)
      s.semisync_clients = ToInt(row[1]);
    if (row[0]->find("wait_sessions") != std::string::npos)
      s.semisync_wait_sessions = ToInt(row[1]);
  }

  KCX_ASSIGN_OR_RETURN(auto rs, fast_.Query(sql::ShowReplicaStatus(f)));
  if (!rs.rows.empty()) {
    auto c = sql::ReplicaColumns(f);
    ReplicaStatus rep;
    rep.source_host = rs.Get(0, c.source_host).value_or("");
    rep.source_port = ToInt(rs.Get(0, c.source_port));
    rep.io_running = rs.Get(0, c.io_running).value_or("") == "Yes";
    rep.io_connecting = rs.Get(0, c.io_running).value_or("") == "Connecting";
    rep.sql_running = rs.Get(0, c.sql_running).value_or("") == "Yes";
    rep.last_io_errno = static_cast<unsigned>(ToInt(rs.Get(0, c.last_io_errno)));
    rep.last_io_error = rs.Get(0, c.last_io_error).value_or("");
    rep.last_sql_errno = static_cast<unsigned>(ToInt(rs.Get(0, c.last_sql_errno)));
    rep.last_sql_error = rs.Get(0, c.last_sql_error).value_or("");
    KCX_ASSIGN_OR_RETURN(rep.retrieved, GtidSet::Parse(f, rs.Get(0, c.retrieved).value_or("")));
    // An empty host is what RESET SLAVE (without ALL) leaves behind: not a replica.
    if (!rep.source_host.empty())
      s.replica = std::move(rep);
  }

  KCX_ASSIGN_OR_RETURN(auto hosts, fast_.Query(sql::ShowReplicas(f)));
  auto hc = sql::ReplicasCols(f);
  for (size_t i = 0; i < hosts.rows.size(); ++i) {
    ConnectedReplica cr;
    cr.server_id = static_cast<uint32_t>(ToInt(hosts.Get(i, hc.server_id)));
    cr.host = hosts.Get(i, hc.host).value_or("");
    cr.port = ToInt(hosts.Get(i, hc.port));
    s.replicas.push_back(std::move(cr));
  }
  return s;
}

Result<GtidSet> SqlOperator::GetExecuted() {
  KCX_RETURN_IF_ERROR(EnsureFast());
  const char* q =
      *flavor_ == Flavor::kMySQL ? "SELECT @@gtid_executed" : "SELECT @@gtid_current_pos";
  KCX_ASSIGN_OR_RETURN(auto rs, fast_.Query(q));
  if (rs.rows.size() != 1)
    return Internal("bad gtid row");
  return GtidSet::Parse(*flavor_, rs.rows[0][0].value_or(""));
}

Status SqlOperator::SetReadOnly(bool on) {
  KCX_RETURN_IF_ERROR(EnsureSlow());
  return ExecAll(slow_, sql::SetReadOnly(*flavor_, on));
}

Status SqlOperator::KillConnections() {
  KCX_RETURN_IF_ERROR(EnsureFast());
  KCX_ASSIGN_OR_RETURN(auto rs, fast_.Query(sql::ListKillableConnections(o_.spared_users)));
  for (const auto& row : rs.rows) {
    if (!row[0])
      continue;
    unsigned long id = std::stoul(*row[0]);
    Status st = fast_.Exec(sql::KillConnection(id));
    // 1094: unknown thread id, it ended on its own.
    if (!st.ok() && fast_.last_errno() != 1094)
      return st;
  }
  return Status::Ok();
}

Status SqlOperator::StopReplicaIo() {
  KCX_RETURN_IF_ERROR(EnsureSlow());
  if (std::string q = sql::ListIoThreads(*flavor_); !q.empty()) {
    KCX_ASSIGN_OR_RETURN(auto rs, slow_.Query(q));
    for (const auto& row : rs.rows) {
      if (!row[0])
        continue;
      Status st = slow_.Exec(sql::KillConnection(std::stoul(*row[0])));
      if (!st.ok() && slow_.last_errno() != 1094)
        return st;
    }
  }
  return ExecAll(slow_, {sql::StopReplicaIo(*flavor_)});
}

Status SqlOperator::ConfigureReplica(const SourceInfo& src, bool semisync) {
  KCX_RETURN_IF_ERROR(EnsureSlow());
  std::vector<std::string> stmts{sql::StopReplica(*flavor_)};
  auto rest = sql::ConfigureReplica(
      *flavor_, {src.endpoint.host, src.endpoint.port, src.user, src.password}, semisync);
  stmts.insert(stmts.end(), rest.begin(), rest.end());
  return ExecAll(slow_, stmts);
}

Status SqlOperator::ConfigurePrimary(int wait_count) {
  KCX_RETURN_IF_ERROR(EnsureSlow());
  return ExecAll(slow_, sql::ConfigurePrimary(*flavor_, wait_count));
}

Status SqlOperator::WaitForGtid(const GtidSet& set, std::chrono::milliseconds timeout) {
  KCX_RETURN_IF_ERROR(EnsureSlow());
  if (set.Empty())
    return Status::Ok();
  KCX_ASSIGN_OR_RETURN(auto rs, slow_.Query(sql::WaitForGtid(*flavor_, set, timeout)));
  if (rs.rows.size() != 1 || !rs.rows[0][0])
    return Internal("bad GTID wait result");
  if (*rs.rows[0][0] != "0") {
    return Timeout(o_.endpoint.ToString() + ": GTID " + set.ToString() + " not applied in time");
  }
  return Status::Ok();
}

// A consistent logical copy: one REPEATABLE READ snapshot on the donor whose binlog position
// (binlog_snapshot_file/position, MariaDB) maps to the GTID position to start replication
// from. Non-InnoDB tables are copied but not consistently. Copied: every non-system schema,
// its tables and views. Not copied: users outside the moco-* set (they live in `mysql`),
// routines, events and triggers (documented in docs/mysql-clustering.md).
Result<SeedResult> SqlOperator::SeedFrom(const SourceInfo& donor) {
  KCX_RETURN_IF_ERROR(EnsureSlow());
  if (*flavor_ != Flavor::kMariaDB) {
    return Status(Reason::kMethodNotAllowed,
                  "seeding a MySQL instance needs the clone plugin (agent); not implemented");
  }
  Connection src;
  KCX_RETURN_IF_ERROR(
      src.Connect({donor.endpoint.host, donor.endpoint.port, donor.user, donor.password, "",
                   o_.timeouts.connect_s, o_.timeouts.op_read_s, o_.timeouts.op_read_s}));
  KCX_RETURN_IF_ERROR(src.Exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
  KCX_RETURN_IF_ERROR(src.Exec("START TRANSACTION WITH CONSISTENT SNAPSHOT"));
  KCX_ASSIGN_OR_RETURN(auto snap, src.Query("SHOW STATUS LIKE 'binlog_snapshot_%'"));
  std::string file, pos;
  for (const auto& row : snap.rows) {
    if (row[0] == "Binlog_snapshot_file")
      file = row[1].value_or("");
    if (row[0] == "Binlog_snapshot_position")
      pos = row[1].value_or("");
  }
  if (file.empty())
    return Internal("donor has no binlog snapshot position");
  KCX_ASSIGN_OR_RETURN(auto gp,
                       src.Query("SELECT BINLOG_GTID_POS(" + src.Quote(file) + ", " + pos + ")"));
  if (gp.rows.size() != 1 || !gp.rows[0][0])
    return Internal("BINLOG_GTID_POS returned NULL");
  SeedResult result;
  result.method = "logical";
  KCX_ASSIGN_OR_RETURN(result.position, GtidSet::Parse(Flavor::kMariaDB, *gp.rows[0][0]));

  Connection& dst = slow_;
  KCX_RETURN_IF_ERROR(
      ExecAll(dst, {sql::StopReplica(Flavor::kMariaDB), sql::ResetReplicaAll(Flavor::kMariaDB),
                    "SET SESSION sql_log_bin=0", "SET SESSION foreign_key_checks=0",
                    "SET SESSION unique_checks=0"}));
  // Start from a clean slate: a previous attempt may have left part of a copy.
  KCX_ASSIGN_OR_RETURN(auto dst_dbs, dst.Query("SHOW DATABASES"));
  for (const auto& row : dst_dbs.rows) {
    if (row[0] && !IsSystemSchema(*row[0])) {
      KCX_RETURN_IF_ERROR(dst.Exec("DROP DATABASE " + QuoteIdent(*row[0])));
    }
  }
  KCX_ASSIGN_OR_RETURN(auto dbs, src.Query("SHOW DATABASES"));
  std::vector<std::string> views;
  for (const auto& drow : dbs.rows) {
    if (!drow[0] || IsSystemSchema(*drow[0]))
      continue;
    const std::string db = QuoteIdent(*drow[0]);
    KCX_ASSIGN_OR_RETURN(auto cdb, src.Query("SHOW CREATE DATABASE " + db));
    KCX_RETURN_IF_ERROR(dst.Exec(*cdb.rows[0][1]));
    KCX_ASSIGN_OR_RETURN(auto tables, src.Query("SHOW FULL TABLES FROM " + db));
    for (const auto& trow : tables.rows) {
      const std::string table = db + "." + QuoteIdent(*trow[0]);
      if (trow[1].value_or("") == "VIEW") {
        KCX_ASSIGN_OR_RETURN(auto cv, src.Query("SHOW CREATE VIEW " + table));
        views.push_back("USE " + db + ";" + *cv.rows[0][1]);
        continue;
      }
      KCX_ASSIGN_OR_RETURN(auto ct, src.Query("SHOW CREATE TABLE " + table));
      KCX_RETURN_IF_ERROR(dst.Exec("USE " + db));
      KCX_RETURN_IF_ERROR(dst.Exec(*ct.rows[0][1]));
      ++result.tables;
      std::string batch;
      const std::string prefix = "INSERT INTO " + table + " VALUES ";
      Status insert_status;
      auto flush = [&]() {
        if (batch.empty() || !insert_status.ok())
          return;
        insert_status = dst.Exec(batch);
        batch.clear();
      };
      Status st =
          src.QueryStream("SELECT * FROM " + table,
                          [&](const std::vector<std::string>&, const std::vector<bool>& binary,
                              const char* const* row, const unsigned long* len) {
                            batch += batch.empty() ? prefix : ",";
                            batch += '(';
                            for (size_t i = 0; i < binary.size(); ++i) {
                              if (i)
                                batch += ',';
                              if (!row[i]) {
                                batch += "NULL";
                              } else if (binary[i]) {
                                batch += "X'";
                                static const char* kHex = "0123456789ABCDEF";
                                for (unsigned long k = 0; k < len[i]; ++k) {
                                  unsigned char ch = static_cast<unsigned char>(row[i][k]);
                                  batch += kHex[ch >> 4];
                                  batch += kHex[ch & 15];
                                }
                                batch += '\'';
                              } else {
                                batch += dst.Quote(std::string_view(row[i], len[i]));
                              }
                            }
                            batch += ')';
                            ++result.rows;
                            if (batch.size() > (1u << 20))
                              flush();
                            return insert_status.ok();
                          });
      KCX_RETURN_IF_ERROR(st);
      flush();
      KCX_RETURN_IF_ERROR(insert_status);
    }
  }
  for (const auto& v : views) {
    auto semi = v.find(';');
    KCX_RETURN_IF_ERROR(dst.Exec(v.substr(0, semi)));
    KCX_RETURN_IF_ERROR(dst.Exec(v.substr(semi + 1)));
  }
  src.Exec("COMMIT").IgnoreError();
  KCX_RETURN_IF_ERROR(
      dst.Exec("SET GLOBAL gtid_slave_pos=" + dst.Quote(result.position.ToString())));
  // The session carries sql_log_bin=0 and relaxed checks: never reuse it.
  slow_.Close();
  return result;
}

std::unique_ptr<DbOperator> SqlOperatorFactory::New(int, const Endpoint& ep) {
  SqlOperatorOptions o;
  o.endpoint = ep;
  o.user = user_;
  o.password = password_;
  o.timeouts = t_;
  o.spared_users = spared_;
  return std::make_unique<SqlOperator>(std::move(o));
}

}  // namespace kcx::mysql
