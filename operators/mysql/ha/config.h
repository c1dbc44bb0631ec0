#pragma once

// The standalone mode's config file (YAML):
//
//   name: main
//   instances: ["127.0.0.11:3306", "127.0.0.12:3306", "127.0.0.13:3306"]
//   serverIdBase: 1000            # server_id of instance i is serverIdBase + i
//   checkIntervalMs: 1000
//   hungTimeoutSeconds: 2         # a primary that does not answer this long is down
//   listen: 127.0.0.1:9180        # /metrics, /status, POST /switchover
//   stateFile: /var/lib/kcx/main.json   # the current primary and errant list survive restarts
//   passwordsFile: /etc/kcx/main.env    # KEY=VALUE lines with MOCO's Secret keys
//   # or, inline:  passwords: {ADMIN_PASSWORD: ..., REPLICATION_PASSWORD: ..., ...}

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "operators/mysql/db/db_operator.h"
#include "operators/mysql/db/users.h"

namespace kcx::mysql::ha {

struct HaConfig {
  std::string name = "default";
  std::vector<Endpoint> instances;
  uint32_t server_id_base = 1000;
  std::chrono::milliseconds check_interval{1000};
  int hung_timeout_s = 2;
  std::string listen_host = "127.0.0.1";
  int listen_port = 9180;
  std::string state_file;
  Passwords passwords;  // never logged
};

Result<HaConfig> ParseHaConfig(const std::string& yaml_text, const std::string& base_dir);
Result<HaConfig> LoadHaConfig(const std::string& path);
// "host:port" or "host" (default_port); port 0 is allowed (listen on any free port).
Result<Endpoint> ParseEndpoint(std::string_view s, int default_port);

// The persisted part of the cluster's status.
struct HaState {
  int current_primary = 0;
  std::set<int> errant;
};
Result<HaState> LoadHaState(const std::string& path);  // a missing file is the default state
// Written to a temporary file, synced and renamed: a crash leaves the old or the new state.
Status SaveHaState(const std::string& path, const HaState& s);

}  // namespace kcx::mysql::ha
