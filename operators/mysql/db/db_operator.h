#pragma once

// The database operator: everything the clustering manager does to one instance. The decision
// logic only sees this interface; SqlOperator implements it over the MySQL protocol and the
// clustering tests implement it with a stateful fake that simulates GTIDs and replication.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "operators/mysql/db/gtid.h"
#include "operators/mysql/db/users.h"

namespace kcx::mysql {

struct Endpoint {
  std::string host;
  int port = 3306;
  std::string ToString() const { return host + ":" + std::to_string(port); }
  bool operator==(const Endpoint&) const = default;
};

// SHOW REPLICA STATUS / SHOW SLAVE STATUS, the fields the manager uses.
struct ReplicaStatus {
  std::string source_host;
  int source_port = 0;
  bool io_running = false;     // "Yes" only; "Connecting" is false
  bool io_connecting = false;  // "Connecting": configured, trying to reach the source
  bool sql_running = false;
  unsigned last_io_errno = 0;
  std::string last_io_error;
  unsigned last_sql_errno = 0;
  std::string last_sql_error;
  GtidSet retrieved;  // MySQL Retrieved_Gtid_Set; MariaDB Gtid_IO_Pos
};

// SHOW REPLICAS / SHOW SLAVE HOSTS row.
struct ConnectedReplica {
  uint32_t server_id = 0;
  std::string host;
  int port = 0;
};

struct InstanceStatus {
  Flavor flavor = Flavor::kMariaDB;
  std::string version;
  uint32_t server_id = 0;
  std::string server_uuid;  // MySQL only
  // MySQL gtid_executed; MariaDB gtid_current_pos (the binlog position where the last
  // transaction of a domain was written by this server, else gtid_slave_pos).
  GtidSet executed;
  GtidSet purged;         // MySQL gtid_purged; MariaDB: empty
  bool read_only = true;  // MySQL: super_read_only; MariaDB: read_only
  bool semisync_source_enabled = false;
  bool semisync_replica_enabled = false;
  int semisync_wait_count = 0;
  int semisync_clients = 0;
  int semisync_wait_sessions = 0;
  std::optional<ReplicaStatus> replica;    // nullopt: not configured as a replica
  std::vector<ConnectedReplica> replicas;  // replicas connected to this instance

  // The identity used in GTIDs: the UUID on MySQL, the server id on MariaDB.
  std::string GtidOrigin() const {
    return flavor == Flavor::kMySQL ? server_uuid : std::to_string(server_id);
  }
};

// Replication source and the credentials to reach it.
struct SourceInfo {
  Endpoint endpoint;
  std::string user;
  std::string password;  // never logged
};

// What one seeding copied (for events and logs).
struct SeedResult {
  std::string method;  // "logical"
  GtidSet position;
  uint64_t tables = 0;
  uint64_t rows = 0;
};

// Operations on one instance. Threading: one caller at a time. The manager owns each operator
// on its cluster worker thread; status gathering runs it on a pool thread while the worker
// waits.
class DbOperator {
 public:
  virtual ~DbOperator() = default;
  virtual Result<InstanceStatus> GetStatus() = 0;
  // Only the executed set (cheap; for the fresh re-read of a primary).
  virtual Result<GtidSet> GetExecuted() = 0;
  // May block on long transactions or the global read lock (up to the operation timeout).
  virtual Status SetReadOnly(bool on) = 0;
  // Kills client connections except the system users' and replication threads.
  virtual Status KillConnections() = 0;
  virtual Status StopReplicaIo() = 0;
  // Replicate from src with GTID auto-position; semi-sync replica side when `semisync`.
  virtual Status ConfigureReplica(const SourceInfo& src, bool semisync) = 0;
  // Stop and forget replication; semi-sync source side waiting for `wait_count` replicas
  // (0: semi-sync off). Does not touch read-only.
  virtual Status ConfigurePrimary(int wait_count) = 0;
  // Blocks until `set` is executed or the timeout passes (then Timeout).
  virtual Status WaitForGtid(const GtidSet& set, std::chrono::milliseconds timeout) = 0;
  // Replaces this (empty) instance's data with a consistent copy of the donor's and sets its
  // replication position to match.
  virtual Result<SeedResult> SeedFrom(const SourceInfo& donor) = 0;
  // Drops the connections (they are re-opened on the next call).
  virtual void Close() = 0;
};

struct OperatorTimeouts {
  int connect_s = 1;   // status connections: a hung server must not stall the loop
  int read_s = 2;      // status reads
  int op_read_s = 60;  // blocking operations (read-only, GTID waits, seeding)
};

// Makes operators. Threading: New may be called from any thread.
class DbOperatorFactory {
 public:
  virtual ~DbOperatorFactory() = default;
  virtual std::unique_ptr<DbOperator> New(int index, const Endpoint& ep) = 0;
};

}  // namespace kcx::mysql
