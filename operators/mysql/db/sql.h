#pragma once

// The SQL each flavor needs, as pure functions so that the MySQL 8 paths (which cannot be run
// against a server on this machine) are unit-tested on the statements they generate.
//
// MySQL: 8.0.26 or later (semisync_source/semisync_replica plugins, *_source_* variables,
// SHOW REPLICA STATUS, CHANGE REPLICATION SOURCE from 8.0.23). MariaDB: 10.6 or later.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "operators/mysql/db/gtid.h"

namespace kcx::mysql::sql {

// Escapes s as a single-quoted literal without a connection (the statements here only carry
// hostnames, user names, passwords and GTID strings).
std::string Literal(std::string_view s);

struct SourceSpec {
  std::string host;
  int port = 3306;
  std::string user;
  std::string password;  // goes into the statement; the statement is never logged
};

// Variables read for status, in one SELECT. Columns, in order: server_id, server_uuid (MariaDB:
// ''), version, executed, purged (MariaDB: ''), read_only, super_read_only (MariaDB: read_only),
// semisync_source_enabled, semisync_replica_enabled, semisync_wait_count (MariaDB: 1).
std::string StatusVariablesQuery(Flavor f);
// Single-value status counters: Rpl_semi_sync_*_clients and wait sessions.
std::string SemiSyncStatusQuery(Flavor f);
std::string ShowReplicaStatus(Flavor f);
std::string ShowReplicas(Flavor f);
// Column names inside ShowReplicaStatus()/ShowReplicas() results.
struct ReplicaStatusColumns {
  const char* source_host;
  const char* source_port;
  const char* io_running;
  const char* sql_running;
  const char* last_io_errno;
  const char* last_io_error;
  const char* last_sql_errno;
  const char* last_sql_error;
  const char* retrieved;  // MySQL Retrieved_Gtid_Set; MariaDB Gtid_IO_Pos
};
ReplicaStatusColumns ReplicaColumns(Flavor f);
struct ReplicasColumns {
  const char* server_id;
  const char* host;
  const char* port;
};
ReplicasColumns ReplicasCols(Flavor f);

std::string StopReplica(Flavor f);
std::string StopReplicaIo(Flavor f);
std::string StartReplica(Flavor f);
// MariaDB: the connection ids of the replication IO threads. STOP SLAVE IO_THREAD alone takes
// 2 s when the source is hung (the server re-signals the thread every 2 s until it notices);
// killing the thread's connection first makes it return at once. Empty for MySQL.
std::string ListIoThreads(Flavor f);
std::string ResetReplicaAll(Flavor f);

// Statements that make the instance replicate from `src` with GTID auto-positioning and
// semi-sync on the replica side, in order. The caller runs StopReplica() first.
std::vector<std::string> ConfigureReplica(Flavor f, const SourceSpec& src, bool semisync);
// Statements that make the instance a primary: no replication, semi-sync source side (when
// wait_count > 0) waiting for `wait_count` replicas (MySQL; MariaDB always waits for one).
std::vector<std::string> ConfigurePrimary(Flavor f, int wait_count);
// read-only on (MySQL: super_read_only, which implies read_only) or off (both off).
std::vector<std::string> SetReadOnly(Flavor f, bool on);
// Returns one integer column: 0 when `set` has been applied, else timeout (MySQL 1, MariaDB -1).
std::string WaitForGtid(Flavor f, const GtidSet& set, std::chrono::milliseconds timeout);
// Lists the connection ids to kill: everything except the given users, replication threads,
// 'system user', localhost and the current connection.
std::string ListKillableConnections(const std::vector<std::string>& spared_users);
std::string KillConnection(unsigned long id);

}  // namespace kcx::mysql::sql
