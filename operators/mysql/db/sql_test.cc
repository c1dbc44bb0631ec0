// The SQL each flavor generates. The MySQL 8 statements are only checked here: no MySQL server
// can be installed on this machine (docs/mysql-clustering.md says so).

#include "operators/mysql/db/sql.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "operators/mysql/db/users.h"

namespace kcx::mysql {
namespace {

using ::testing::HasSubstr;

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v)
    s += x + ";\n";
  return s;
}

TEST(Sql, LiteralEscapes) {
  EXPECT_EQ(sql::Literal("a'b\\c"), "'a\\'b\\\\c'");
  EXPECT_EQ(sql::Literal(std::string("x\0y", 3)), "'x\\0y'");
}

TEST(Sql, MysqlReplicaUsesReplicationSourceWithAutoPosition) {
  auto s =
      Join(sql::ConfigureReplica(Flavor::kMySQL, {"10.0.0.1", 3306, "moco-repl", "p'w"}, true));
  EXPECT_EQ(s,
            "CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.1', SOURCE_PORT=3306, "
            "SOURCE_USER='moco-repl', SOURCE_PASSWORD='p\\'w', SOURCE_AUTO_POSITION=1, "
            "GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY=1, SOURCE_HEARTBEAT_PERIOD=1;\n"
            "SET GLOBAL rpl_semi_sync_replica_enabled=ON;\n"
            "SET GLOBAL rpl_semi_sync_source_enabled=OFF;\n"
            "START REPLICA;\n");
  EXPECT_EQ(sql::StopReplica(Flavor::kMySQL), "STOP REPLICA");
  EXPECT_EQ(sql::StopReplicaIo(Flavor::kMySQL), "STOP REPLICA IO_THREAD");
  EXPECT_EQ(sql::ShowReplicaStatus(Flavor::kMySQL), "SHOW REPLICA STATUS");
  EXPECT_EQ(sql::ShowReplicas(Flavor::kMySQL), "SHOW REPLICAS");
  EXPECT_STREQ(sql::ReplicaColumns(Flavor::kMySQL).retrieved, "Retrieved_Gtid_Set");
}

TEST(Sql, MysqlPrimaryWaitsForHalfTheReplicas) {
  auto s = Join(sql::ConfigurePrimary(Flavor::kMySQL, 2));
  EXPECT_THAT(s, HasSubstr("STOP REPLICA;\nRESET REPLICA ALL;\n"));
  EXPECT_THAT(s, HasSubstr("SET GLOBAL rpl_semi_sync_source_timeout=86400000;"));
  EXPECT_THAT(s, HasSubstr("SET GLOBAL rpl_semi_sync_source_wait_point=AFTER_SYNC;"));
  EXPECT_THAT(s, HasSubstr("SET GLOBAL rpl_semi_sync_source_wait_for_replica_count=2;"));
  EXPECT_THAT(s, HasSubstr("SET GLOBAL rpl_semi_sync_source_enabled=ON;"));
  EXPECT_THAT(s, HasSubstr("SET GLOBAL rpl_semi_sync_replica_enabled=OFF;"));
  EXPECT_THAT(Join(sql::ConfigurePrimary(Flavor::kMySQL, 0)),
              HasSubstr("SET GLOBAL rpl_semi_sync_source_enabled=OFF;"));
}

TEST(Sql, MysqlReadOnlyIsSuperReadOnly) {
  EXPECT_EQ(Join(sql::SetReadOnly(Flavor::kMySQL, true)), "SET GLOBAL super_read_only=ON;\n");
  EXPECT_EQ(Join(sql::SetReadOnly(Flavor::kMySQL, false)),
            "SET GLOBAL super_read_only=OFF;\nSET GLOBAL read_only=OFF;\n");
}

TEST(Sql, MysqlStatusAndWait) {
  EXPECT_THAT(sql::StatusVariablesQuery(Flavor::kMySQL),
              HasSubstr("@@gtid_executed, @@gtid_purged, @@read_only, @@super_read_only"));
  EXPECT_THAT(sql::StatusVariablesQuery(Flavor::kMySQL),
              HasSubstr("@@rpl_semi_sync_source_wait_for_replica_count"));
  auto g = *GtidSet::Parse(Flavor::kMySQL, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5");
  EXPECT_EQ(sql::WaitForGtid(Flavor::kMySQL, g, std::chrono::milliseconds(1500)),
            "SELECT WAIT_FOR_EXECUTED_GTID_SET('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5', "
            "1.500)");
  EXPECT_THAT(sql::SemiSyncStatusQuery(Flavor::kMySQL), HasSubstr("Rpl_semi_sync_source_clients"));
}

TEST(Sql, MariadbStatements) {
  auto s =
      Join(sql::ConfigureReplica(Flavor::kMariaDB, {"127.0.0.1", 3307, "moco-repl", "x"}, true));
  EXPECT_EQ(s,
            "SET GLOBAL gtid_slave_pos=@@GLOBAL.gtid_current_pos;\n"
            "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=3307, MASTER_USER='moco-repl', "
            "MASTER_PASSWORD='x', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, "
            "MASTER_HEARTBEAT_PERIOD=1;\n"
            "SET GLOBAL rpl_semi_sync_slave_enabled=ON;\n"
            "SET GLOBAL rpl_semi_sync_master_enabled=OFF;\n"
            "START SLAVE;\n");
  EXPECT_THAT(Join(sql::ConfigurePrimary(Flavor::kMariaDB, 1)),
              HasSubstr("SET GLOBAL rpl_semi_sync_master_enabled=ON;"));
  EXPECT_EQ(Join(sql::SetReadOnly(Flavor::kMariaDB, true)), "SET GLOBAL read_only=ON;\n");
  auto g = *GtidSet::Parse(Flavor::kMariaDB, "0-1-5");
  EXPECT_EQ(sql::WaitForGtid(Flavor::kMariaDB, g, std::chrono::milliseconds(2000)),
            "SELECT MASTER_GTID_WAIT('0-1-5', 2.000)");
}

TEST(Sql, IoThreadsAreKilledOnMariadbOnly) {
  EXPECT_EQ(sql::ListIoThreads(Flavor::kMariaDB),
            "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Slave_IO'");
  EXPECT_EQ(sql::ListIoThreads(Flavor::kMySQL), "");
}

TEST(Sql, KillSparesSystemUsers) {
  auto q = sql::ListKillableConnections({"moco-admin", "moco-repl"});
  EXPECT_THAT(q,
              HasSubstr("USER NOT IN ('moco-admin','moco-repl','system user','event_scheduler')"));
  EXPECT_THAT(q, HasSubstr("HOST <> 'localhost'"));
  EXPECT_THAT(q, HasSubstr("ID <> CONNECTION_ID()"));
}

TEST(Users, GrantsPerFlavor) {
  auto pw = Passwords::Random();
  auto my = Join(CreateUsersSql(Flavor::kMySQL, pw));
  EXPECT_THAT(my, HasSubstr("SET SESSION sql_log_bin=0;"));
  EXPECT_THAT(
      my,
      HasSubstr("GRANT BACKUP_ADMIN, SERVICE_CONNECTION_ADMIN ON *.* TO 'moco-clone-donor'@'%'"));
  EXPECT_THAT(my, HasSubstr("REVOKE INSERT, UPDATE, DELETE, CREATE, DROP, ALTER ON mysql.* FROM "
                            "'moco-writable'@'%'"));
  auto ma = Join(CreateUsersSql(Flavor::kMariaDB, pw));
  EXPECT_THAT(ma, HasSubstr("GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'moco-repl'@'%'"));
  // The writable user must not bypass read_only.
  EXPECT_EQ(GrantFor(Flavor::kMariaDB, SystemUser::kWritable).privileges.find("READ_ONLY ADMIN"),
            std::string::npos);
  EXPECT_EQ(GrantFor(Flavor::kMariaDB, SystemUser::kWritable).privileges.find("SUPER"),
            std::string::npos);
  EXPECT_EQ(my.find("moco-repl'@'%' IDENTIFIED BY '" + pw.Get(SystemUser::kRepl) + "'") ==
                std::string::npos,
            false);
}

TEST(Users, PasswordsFromMap) {
  std::map<std::string, std::string> m;
  for (auto u : kAllSystemUsers)
    m[std::string(PasswordKey(u))] = "pw-" + std::string(UserName(u));
  auto p = Passwords::FromMap(m);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Get(SystemUser::kCloneDonor), "pw-moco-clone-donor");
  m.erase("ADMIN_PASSWORD");
  EXPECT_FALSE(Passwords::FromMap(m).ok());
}

}  // namespace
}  // namespace kcx::mysql
