#include "operators/mysql/db/mycnf.h"

#include <algorithm>
#include <vector>

namespace kcx::mysql {
namespace {

// my.cnf treats '-' and '_' alike in option names.
std::string Canon(std::string k) {
  std::replace(k.begin(), k.end(), '-', '_');
  return k;
}

}  // namespace

std::string GenerateMyCnf(const MyCnfOptions& o) {
  const bool my = o.flavor == Flavor::kMySQL;
  std::map<std::string, std::string> conf;  // sorted output is stable (hashable ConfigMaps)
  // Defaults the user may override.
  conf["character_set_server"] = "utf8mb4";
  conf["innodb_flush_log_at_trx_commit"] = "1";
  conf["sync_binlog"] = "1";
  conf["max_connections"] = "1000";
  conf["skip_name_resolve"] = "ON";
  conf["binlog_expire_logs_seconds"] = "86400";
  conf["innodb_buffer_pool_size"] = "134217728";
  if (o.memory_bytes) {
    uint64_t bp = *o.memory_bytes / 10 * 7;
    conf["innodb_buffer_pool_size"] = std::to_string(std::max<uint64_t>(bp, 128ull << 20));
  }
  if (my)
    conf["admin_port"] = "33062";

  std::string include;
  for (const auto& [k, v] : o.user) {
    if (k == "_include") {
      include = v;
      continue;
    }
    conf[Canon(k)] = v;
  }

  // Forced settings: clustering breaks without them.
  auto force = [&](const std::string& k, std::string v) { conf[k] = std::move(v); };
  force("server_id", std::to_string(o.server_id));
  force("port", std::to_string(o.port));
  if (!o.report_host.empty())
    force("report_host", o.report_host);
  force("report_port", std::to_string(o.port));
  if (!o.bind_address.empty())
    force("bind_address", o.bind_address);
  if (!o.datadir.empty())
    force("datadir", o.datadir);
  if (!o.socket.empty())
    force("socket", o.socket);
  if (!o.pid_file.empty())
    force("pid_file", o.pid_file);
  if (!o.log_error.empty())
    force("log_error", o.log_error);
  force("binlog_format", "ROW");
  force("read_only", "ON");
  force("relay_log_recovery", "OFF");
  if (my) {
    force("gtid_mode", "ON");
    force("enforce_gtid_consistency", "ON");
    force("log_bin", "binlog");
    force("log_replica_updates", "ON");
    force("super_read_only", "ON");
    force("skip_replica_start", "ON");
    force("relay_log", "relay-bin");
    force("loose_rpl_semi_sync_source_enabled", "OFF");
    force("loose_rpl_semi_sync_replica_enabled", "OFF");
    force("loose_rpl_semi_sync_source_wait_point", "AFTER_SYNC");
  } else {
    force("log_bin", "mariadb-bin");
    force("log_slave_updates", "ON");
    force("gtid_strict_mode", "ON");
    force("skip_slave_start", "ON");
    force("relay_log", "relay-bin");
    force("rpl_semi_sync_master_enabled", "OFF");
    force("rpl_semi_sync_slave_enabled", "OFF");
    force("rpl_semi_sync_master_wait_point", "AFTER_SYNC");
    force("rpl_semi_sync_master_wait_no_slave", "ON");
    // Stopping a semi-sync IO thread opens a connection to the source to kill its dump thread;
    // with a hung source that blocks STOP SLAVE for this long (default 5 s). Failover stops the
    // IO threads first, so this bounds hung-primary failover.
    force("rpl_semi_sync_slave_kill_conn_timeout", "1");
  }

  std::string out = "[client]\nport = " + std::to_string(o.port) + "\n";
  if (!o.socket.empty())
    out += "socket = " + o.socket + "\n";
  out += "\n[mysqld]\n";
  for (const auto& [k, v] : conf)
    out += k + " = " + v + "\n";
  if (my) {
    // Repeated keys are legal in my.cnf; the map above cannot hold them.
    out += "plugin_load_add = semisync_source.so\nplugin_load_add = semisync_replica.so\n";
  }
  if (!include.empty())
    out += "\n" + include + "\n";
  return out;
}

}  // namespace kcx::mysql
