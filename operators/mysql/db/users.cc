#include "operators/mysql/db/users.h"

#include "common/strings.h"
#include "operators/mysql/db/sql.h"

namespace kcx::mysql {

std::string_view UserName(SystemUser u) {
  switch (u) {
    case SystemUser::kAdmin:
      return "moco-admin";
    case SystemUser::kAgent:
      return "moco-agent";
    case SystemUser::kRepl:
      return "moco-repl";
    case SystemUser::kCloneDonor:
      return "moco-clone-donor";
    case SystemUser::kExporter:
      return "moco-exporter";
    case SystemUser::kBackup:
      return "moco-backup";
    case SystemUser::kReadonly:
      return "moco-readonly";
    case SystemUser::kWritable:
      return "moco-writable";
  }
  return "";
}

std::string_view PasswordKey(SystemUser u) {
  switch (u) {
    case SystemUser::kAdmin:
      return "ADMIN_PASSWORD";
    case SystemUser::kAgent:
      return "AGENT_PASSWORD";
    case SystemUser::kRepl:
      return "REPLICATION_PASSWORD";
    case SystemUser::kCloneDonor:
      return "CLONE_DONOR_PASSWORD";
    case SystemUser::kExporter:
      return "EXPORTER_PASSWORD";
    case SystemUser::kBackup:
      return "BACKUP_PASSWORD";
    case SystemUser::kReadonly:
      return "READONLY_PASSWORD";
    case SystemUser::kWritable:
      return "WRITABLE_PASSWORD";
  }
  return "";
}

Grant GrantFor(Flavor f, SystemUser u) {
  if (f == Flavor::kMySQL) {
    // MOCO's grants (moco-agent server/initialize.go), verbatim in meaning.
    switch (u) {
      case SystemUser::kAdmin:
        return {"ALL", true};
      case SystemUser::kAgent:
        return {
            "BINLOG_ADMIN, CLONE_ADMIN, RELOAD, REPLICATION CLIENT, SELECT, "
            "SERVICE_CONNECTION_ADMIN, SYSTEM_VARIABLES_ADMIN"};
      case SystemUser::kRepl:
        return {"REPLICATION CLIENT, REPLICATION SLAVE"};
      case SystemUser::kCloneDonor:
        return {"BACKUP_ADMIN, SERVICE_CONNECTION_ADMIN"};
      case SystemUser::kExporter:
        return {"PROCESS, REPLICATION CLIENT, SELECT"};
      case SystemUser::kBackup:
        return {
            "BACKUP_ADMIN, EVENT, RELOAD, SELECT, SHOW VIEW, TRIGGER, REPLICATION CLIENT, "
            "REPLICATION SLAVE, SERVICE_CONNECTION_ADMIN"};
      case SystemUser::kReadonly:
        return {
            "PROCESS, REPLICATION CLIENT, REPLICATION SLAVE, SELECT, SHOW DATABASES, SHOW VIEW"};
      case SystemUser::kWritable:
        return {
            "ALTER, ALTER ROUTINE, CREATE, CREATE ROLE, CREATE ROUTINE, CREATE TEMPORARY "
            "TABLES, CREATE USER, CREATE VIEW, DELETE, DROP, DROP ROLE, EVENT, EXECUTE, "
            "INDEX, INSERT, LOCK TABLES, PROCESS, REFERENCES, REPLICATION CLIENT, "
            "REPLICATION SLAVE, SELECT, SHOW DATABASES, SHOW VIEW, TRIGGER, UPDATE",
            true};
    }
  }
  // MariaDB 10.11 equivalents. READ_ONLY ADMIN lets a user write while read_only=ON, so only
  // moco-admin (through ALL) and moco-agent have it; moco-writable must not.
  switch (u) {
    case SystemUser::kAdmin:
      return {"ALL PRIVILEGES", true};
    case SystemUser::kAgent:
      return {
          "BINLOG ADMIN, BINLOG MONITOR, RELOAD, SELECT, CONNECTION ADMIN, SUPER, "
          "READ_ONLY ADMIN, SLAVE MONITOR"};
    case SystemUser::kRepl:
      return {"REPLICATION SLAVE, BINLOG MONITOR"};
    case SystemUser::kCloneDonor:
      return {"SELECT, SHOW VIEW, TRIGGER, EVENT, RELOAD, BINLOG MONITOR, CONNECTION ADMIN"};
    case SystemUser::kExporter:
      return {"PROCESS, BINLOG MONITOR, SLAVE MONITOR, SELECT"};
    case SystemUser::kBackup:
      return {
          "EVENT, RELOAD, SELECT, SHOW VIEW, TRIGGER, LOCK TABLES, BINLOG MONITOR, "
          "REPLICATION SLAVE, CONNECTION ADMIN"};
    case SystemUser::kReadonly:
      return {"PROCESS, BINLOG MONITOR, SLAVE MONITOR, SELECT, SHOW DATABASES, SHOW VIEW"};
    case SystemUser::kWritable:
      return {
          "ALTER, ALTER ROUTINE, CREATE, CREATE ROUTINE, CREATE TEMPORARY TABLES, CREATE "
          "USER, CREATE VIEW, DELETE, DROP, EVENT, EXECUTE, INDEX, INSERT, LOCK TABLES, "
          "PROCESS, REFERENCES, BINLOG MONITOR, SELECT, SHOW DATABASES, SHOW VIEW, "
          "TRIGGER, UPDATE",
          true};
  }
  return {};
}

std::vector<std::string> SparedUsers() {
  std::vector<std::string> out;
  for (SystemUser u : {SystemUser::kAdmin, SystemUser::kAgent, SystemUser::kRepl,
                       SystemUser::kCloneDonor, SystemUser::kExporter, SystemUser::kBackup}) {
    out.emplace_back(UserName(u));
  }
  return out;
}

const std::string& Passwords::Get(SystemUser u) const {
  static const std::string kEmpty;
  auto it = pw_.find(u);
  return it == pw_.end() ? kEmpty : it->second;
}

Passwords Passwords::Random() {
  Passwords p;
  for (SystemUser u : kAllSystemUsers)
    p.Set(u, RandomSuffix(20));
  return p;
}

Result<Passwords> Passwords::FromMap(const std::map<std::string, std::string>& m) {
  Passwords p;
  for (SystemUser u : kAllSystemUsers) {
    auto it = m.find(std::string(PasswordKey(u)));
    if (it == m.end() || it->second.empty()) {
      return Invalid("missing password " + std::string(PasswordKey(u)));
    }
    p.Set(u, it->second);
  }
  return p;
}

std::vector<std::string> CreateUsersSql(Flavor f, const Passwords& pw) {
  std::vector<std::string> out;
  out.push_back("SET SESSION sql_log_bin=0");
  for (SystemUser u : kAllSystemUsers) {
    std::string name = sql::Literal(UserName(u)) + "@'%'";
    out.push_back("CREATE USER IF NOT EXISTS " + name + " IDENTIFIED BY " +
                  sql::Literal(pw.Get(u)));
    out.push_back("ALTER USER " + name + " IDENTIFIED BY " + sql::Literal(pw.Get(u)));
    Grant g = GrantFor(f, u);
    out.push_back("GRANT " + g.privileges + " ON *.* TO " + name +
                  (g.with_grant_option ? " WITH GRANT OPTION" : ""));
  }
  if (f == Flavor::kMySQL) {
    // MySQL 8 partial revokes keep moco-writable off the system schema (as MOCO does).
    out.push_back(
        "REVOKE INSERT, UPDATE, DELETE, CREATE, DROP, ALTER ON mysql.* FROM "
        "'moco-writable'@'%'");
  }
  return out;
}

}  // namespace kcx::mysql
