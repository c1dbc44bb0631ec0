#pragma once

// my.cnf generation: defaults, then the user's settings, then the forced settings that
// clustering depends on (GTID, ROW binlog, replica updates logged, read-only at start, no
// automatic replica start, server_id, report_host). Mirrors MOCO's pkg/mycnf.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "operators/mysql/db/gtid.h"

namespace kcx::mysql {

struct MyCnfOptions {
  Flavor flavor = Flavor::kMariaDB;
  uint32_t server_id = 1;
  std::string report_host;
  int port = 3306;
  std::string bind_address;  // empty: not set
  // Per-instance paths (set by whoever runs the instance: a Pod spec or the test harness).
  std::string datadir;
  std::string socket;
  std::string pid_file;
  std::string log_error;
  // Memory request in bytes; when set, the InnoDB buffer pool is 70 % of it, at least 128 MiB.
  std::optional<uint64_t> memory_bytes;
  // User settings merged under [mysqld] (MOCO's ConfigMap); "_include" is raw text appended.
  std::map<std::string, std::string> user;
};

std::string GenerateMyCnf(const MyCnfOptions& o);

}  // namespace kcx::mysql
