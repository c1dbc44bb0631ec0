#include "operators/mysql/db/sql.h"

#include <cstdio>

namespace kcx::mysql::sql {
namespace {

bool My(Flavor f) { return f == Flavor::kMySQL; }

std::string Seconds(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

}  // namespace

std::string Literal(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    switch (c) {
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\0':
        out += "\\0";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\x1a':
        out += "\\Z";
        break;
      default:
        out += c;
    }
  }
  out += '\'';
  return out;
}

std::string StatusVariablesQuery(Flavor f) {
  if (My(f)) {
    return "SELECT @@server_id, @@server_uuid, @@version, @@gtid_executed, @@gtid_purged, "
           "@@read_only, @@super_read_only, @@rpl_semi_sync_source_enabled, "
           "@@rpl_semi_sync_replica_enabled, @@rpl_semi_sync_source_wait_for_replica_count";
  }
  return "SELECT @@server_id, '', @@version, @@gtid_current_pos, '', @@read_only, @@read_only, "
         "@@rpl_semi_sync_master_enabled, @@rpl_semi_sync_slave_enabled, 1";
}

std::string SemiSyncStatusQuery(Flavor f) {
  if (My(f)) {
    return "SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_source_clients',"
           "'Rpl_semi_sync_source_wait_sessions')";
  }
  return "SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_clients',"
         "'Rpl_semi_sync_master_wait_sessions')";
}

std::string ShowReplicaStatus(Flavor f) {
  return My(f) ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS";
}
std::string ShowReplicas(Flavor f) { return My(f) ? "SHOW REPLICAS" : "SHOW SLAVE HOSTS"; }

ReplicaStatusColumns ReplicaColumns(Flavor f) {
  if (My(f)) {
    return {"Source_Host",         "Source_Port",    "Replica_IO_Running",
            "Replica_SQL_Running", "Last_IO_Errno",  "Last_IO_Error",
            "Last_SQL_Errno",      "Last_SQL_Error", "Retrieved_Gtid_Set"};
  }
  return {"Master_Host",       "Master_Port",    "Slave_IO_Running",
          "Slave_SQL_Running", "Last_IO_Errno",  "Last_IO_Error",
          "Last_SQL_Errno",    "Last_SQL_Error", "Gtid_IO_Pos"};
}

ReplicasColumns ReplicasCols(Flavor f) {
  if (My(f))
    return {"Server_Id", "Host", "Port"};
  return {"Server_id", "Host", "Port"};
}

std::string StopReplica(Flavor f) { return My(f) ? "STOP REPLICA" : "STOP SLAVE"; }
std::string StopReplicaIo(Flavor f) {
  return My(f) ? "STOP REPLICA IO_THREAD" : "STOP SLAVE IO_THREAD";
}
std::string ListIoThreads(Flavor f) {
  if (My(f))
    return "";
  return "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Slave_IO'";
}

std::string StartReplica(Flavor f) { return My(f) ? "START REPLICA" : "START SLAVE"; }
std::string ResetReplicaAll(Flavor f) { return My(f) ? "RESET REPLICA ALL" : "RESET SLAVE ALL"; }

std::vector<std::string> ConfigureReplica(Flavor f, const SourceSpec& src, bool semisync) {
  std::vector<std::string> out;
  if (My(f)) {
    out.push_back("CHANGE REPLICATION SOURCE TO SOURCE_HOST=" + Literal(src.host) +
                  ", SOURCE_PORT=" + std::to_string(src.port) + ", SOURCE_USER=" +
                  Literal(src.user) + ", SOURCE_PASSWORD=" + Literal(src.password) +
                  ", SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY=1, "
                  "SOURCE_HEARTBEAT_PERIOD=1");
    out.push_back(std::string("SET GLOBAL rpl_semi_sync_replica_enabled=") +
                  (semisync ? "ON" : "OFF"));
    out.push_back("SET GLOBAL rpl_semi_sync_source_enabled=OFF");
    out.push_back("START REPLICA");
    return out;
  }
  // The instance's own binlog is the truth about what it executed (a former primary has
  // transactions under its own server_id beyond gtid_slave_pos). Errant transactions are
  // detected before this point; any left make the source refuse the position (error 1236).
  out.push_back("SET GLOBAL gtid_slave_pos=@@GLOBAL.gtid_current_pos");
  out.push_back("CHANGE MASTER TO MASTER_HOST=" + Literal(src.host) +
                ", MASTER_PORT=" + std::to_string(src.port) + ", MASTER_USER=" + Literal(src.user) +
                ", MASTER_PASSWORD=" + Literal(src.password) +
                ", MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1");
  out.push_back(std::string("SET GLOBAL rpl_semi_sync_slave_enabled=") + (semisync ? "ON" : "OFF"));
  out.push_back("SET GLOBAL rpl_semi_sync_master_enabled=OFF");
  out.push_back("START SLAVE");
  return out;
}

std::vector<std::string> ConfigurePrimary(Flavor f, int wait_count) {
  std::vector<std::string> out;
  out.push_back(StopReplica(f));
  out.push_back(ResetReplicaAll(f));
  if (My(f)) {
    out.push_back("SET GLOBAL rpl_semi_sync_replica_enabled=OFF");
    if (wait_count > 0) {
      out.push_back("SET GLOBAL rpl_semi_sync_source_timeout=86400000");
      out.push_back("SET GLOBAL rpl_semi_sync_source_wait_point=AFTER_SYNC");
      out.push_back("SET GLOBAL rpl_semi_sync_source_wait_for_replica_count=" +
                    std::to_string(wait_count));
      out.push_back("SET GLOBAL rpl_semi_sync_source_enabled=ON");
    } else {
      out.push_back("SET GLOBAL rpl_semi_sync_source_enabled=OFF");
    }
    return out;
  }
  out.push_back("SET GLOBAL rpl_semi_sync_slave_enabled=OFF");
  if (wait_count > 0) {
    out.push_back("SET GLOBAL rpl_semi_sync_master_timeout=86400000");
    out.push_back("SET GLOBAL rpl_semi_sync_master_wait_point=AFTER_SYNC");
    out.push_back("SET GLOBAL rpl_semi_sync_master_wait_no_slave=ON");
    out.push_back("SET GLOBAL rpl_semi_sync_master_enabled=ON");
  } else {
    out.push_back("SET GLOBAL rpl_semi_sync_master_enabled=OFF");
  }
  return out;
}

std::vector<std::string> SetReadOnly(Flavor f, bool on) {
  if (My(f)) {
    if (on)
      return {"SET GLOBAL super_read_only=ON"};
    return {"SET GLOBAL super_read_only=OFF", "SET GLOBAL read_only=OFF"};
  }
  return {std::string("SET GLOBAL read_only=") + (on ? "ON" : "OFF")};
}

std::string WaitForGtid(Flavor f, const GtidSet& set, std::chrono::milliseconds timeout) {
  if (My(f)) {
    return "SELECT WAIT_FOR_EXECUTED_GTID_SET(" + Literal(set.ToString()) + ", " +
           Seconds(timeout) + ")";
  }
  return "SELECT MASTER_GTID_WAIT(" + Literal(set.ToString()) + ", " + Seconds(timeout) + ")";
}

std::string ListKillableConnections(const std::vector<std::string>& spared_users) {
  std::string users;
  for (const auto& u : spared_users)
    users += Literal(u) + ",";
  users += "'system user','event_scheduler'";
  return "SELECT ID FROM information_schema.PROCESSLIST WHERE USER NOT IN (" + users +
         ") AND HOST <> 'localhost' AND ID <> CONNECTION_ID() AND COMMAND NOT IN "
         "('Binlog Dump','Binlog Dump GTID','Daemon','Slave_IO','Slave_SQL','Slave_worker')";
}

std::string KillConnection(unsigned long id) { return "KILL CONNECTION " + std::to_string(id); }

}  // namespace kcx::mysql::sql
