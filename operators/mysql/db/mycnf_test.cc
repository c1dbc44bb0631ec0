#include "operators/mysql/db/mycnf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kcx::mysql {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MyCnf, MariadbForcedSettingsWinOverUserSettings) {
  MyCnfOptions o;
  o.flavor = Flavor::kMariaDB;
  o.server_id = 1002;
  o.report_host = "127.0.0.12";
  o.port = 3306;
  o.user = {{"read_only", "OFF"},
            {"max-connections", "50"},
            {"binlog_format", "STATEMENT"},
            {"_include", "!includedir /etc/extra"}};
  std::string c = GenerateMyCnf(o);
  EXPECT_THAT(c, HasSubstr("\n[mysqld]\n"));
  EXPECT_THAT(c, HasSubstr("server_id = 1002\n"));
  EXPECT_THAT(c, HasSubstr("report_host = 127.0.0.12\n"));
  EXPECT_THAT(c, HasSubstr("read_only = ON\n"));
  EXPECT_THAT(c, Not(HasSubstr("read_only = OFF")));
  EXPECT_THAT(c, HasSubstr("binlog_format = ROW\n"));
  EXPECT_THAT(c, HasSubstr("log_slave_updates = ON\n"));
  EXPECT_THAT(c, HasSubstr("gtid_strict_mode = ON\n"));
  EXPECT_THAT(c, HasSubstr("skip_slave_start = ON\n"));
  EXPECT_THAT(c, HasSubstr("rpl_semi_sync_master_wait_point = AFTER_SYNC\n"));
  EXPECT_THAT(c, HasSubstr("rpl_semi_sync_slave_kill_conn_timeout = 1\n"));
  EXPECT_THAT(c, HasSubstr("max_connections = 50\n"));  // user setting over a default
  EXPECT_THAT(c, HasSubstr("!includedir /etc/extra"));
}

TEST(MyCnf, MysqlForcedSettings) {
  MyCnfOptions o;
  o.flavor = Flavor::kMySQL;
  o.server_id = 7;
  o.memory_bytes = 1ull << 30;
  std::string c = GenerateMyCnf(o);
  EXPECT_THAT(c, HasSubstr("gtid_mode = ON\n"));
  EXPECT_THAT(c, HasSubstr("enforce_gtid_consistency = ON\n"));
  EXPECT_THAT(c, HasSubstr("log_replica_updates = ON\n"));
  EXPECT_THAT(c, HasSubstr("super_read_only = ON\n"));
  EXPECT_THAT(c, HasSubstr("skip_replica_start = ON\n"));
  EXPECT_THAT(c, HasSubstr("plugin_load_add = semisync_source.so\n"));
  EXPECT_THAT(c, HasSubstr("admin_port = 33062\n"));
  // 70 % of 1 GiB.
  EXPECT_THAT(c, HasSubstr("innodb_buffer_pool_size = " + std::to_string((1ull << 30) / 10 * 7)));
  o.memory_bytes = 64ull << 20;
  EXPECT_THAT(GenerateMyCnf(o), HasSubstr("innodb_buffer_pool_size = 134217728"));
}

}  // namespace
}  // namespace kcx::mysql
