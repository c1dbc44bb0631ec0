#pragma once

// The moco-* system users, their least-privilege grants per flavor, and the statements that
// create them on a fresh instance.
//
// MOCO's grants are MySQL 8 dynamic privileges. MariaDB 10.11 has different names and no
// partial revokes; the mapping is in docs/mysql-clustering.md and in kMariadbGrants below.

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "operators/mysql/db/gtid.h"

namespace kcx::mysql {

enum class SystemUser {
  kAdmin,
  kAgent,
  kRepl,
  kCloneDonor,
  kExporter,
  kBackup,
  kReadonly,
  kWritable
};
inline constexpr std::array<SystemUser, 8> kAllSystemUsers = {
    SystemUser::kAdmin,    SystemUser::kAgent,  SystemUser::kRepl,     SystemUser::kCloneDonor,
    SystemUser::kExporter, SystemUser::kBackup, SystemUser::kReadonly, SystemUser::kWritable};

// "moco-admin", "moco-agent", "moco-repl", "moco-clone-donor", ...
std::string_view UserName(SystemUser u);
// The key in MOCO's password Secret: "ADMIN_PASSWORD", "REPLICATION_PASSWORD", ...
std::string_view PasswordKey(SystemUser u);
// The privilege list for GRANT ... ON *.*, and whether WITH GRANT OPTION.
struct Grant {
  std::string privileges;
  bool with_grant_option = false;
};
Grant GrantFor(Flavor f, SystemUser u);

// The users whose connections KillConnections spares: the operator's own (admin, agent, repl,
// clone-donor, exporter, backup). moco-readonly and moco-writable are for people and
// applications, so their connections are killed like any client's.
std::vector<std::string> SparedUsers();

// Passwords of the system users. Holds secrets: never log or print it.
class Passwords {
 public:
  void Set(SystemUser u, std::string pw) { pw_[u] = std::move(pw); }
  const std::string& Get(SystemUser u) const;
  bool Has(SystemUser u) const { return pw_.count(u) && !pw_.at(u).empty(); }
  // Random 16-character passwords for every user (for tests and `kcx mysql ha init`).
  static Passwords Random();
  // Reads KEY=VALUE lines or a map with MOCO's Secret keys; missing users are an error.
  static Result<Passwords> FromMap(const std::map<std::string, std::string>& m);

 private:
  std::map<SystemUser, std::string> pw_;
};

// Statements (without the binlog: the first one is SET sql_log_bin=0) that create or update the
// system users on one instance. Run once per instance, as a local root, before clustering.
std::vector<std::string> CreateUsersSql(Flavor f, const Passwords& pw);

}  // namespace kcx::mysql
