// Unit tests of kubectl-moco's pure parts: the kubectl exec command line of `mysql`, the
// credential formats, the password keys and the target Pod choice. The commands against a
// server are tested through kubectl's plugin discovery in test/kubectl_moco.

#include "tools/kubectl-moco/moco.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kcx::kubectl_moco {
namespace {

using ::testing::ElementsAre;

TEST(BuildMysqlExecArgvTest, DefaultsExecIntoMysqldWithTheReadOnlyCredentials) {
  MysqlExec e;
  e.ns = "db";
  e.pod = "moco-test-1";
  EXPECT_THAT(
      BuildMysqlExecArgv({}, e),
      ElementsAre("kubectl", "--namespace=db", "exec", "moco-test-1", "-c", "mysqld", "--", "mysql",
                  "--defaults-extra-file=/mysql-credentials/moco-readonly-my.cnf"));
}

TEST(BuildMysqlExecArgvTest, PassesFlagsStdinTtyUserAndArgumentsThrough) {
  GlobalFlags g;
  g.kubeconfig = "/tmp/kc";
  g.context = "ctx";
  g.ns = "ignored-the-resolved-namespace-is-in-MysqlExec";
  MysqlExec e;
  e.ns = "db";
  e.pod = "moco-test-0";
  e.user = "moco-admin";
  e.stdin_ = true;
  e.tty = true;
  e.args = {"-e", "SELECT 1", "--", "mydb"};
  EXPECT_THAT(BuildMysqlExecArgv(g, e),
              ElementsAre("kubectl", "--kubeconfig=/tmp/kc", "--context=ctx", "--namespace=db",
                          "exec", "-i", "-t", "moco-test-0", "-c", "mysqld", "--", "mysql",
                          "--defaults-extra-file=/mysql-credentials/moco-admin-my.cnf", "-e",
                          "SELECT 1", "--", "mydb"));
}

TEST(FormatCredentialTest, PlainAndMycnf) {
  auto plain = FormatCredential("moco-readonly", "p@ss", "plain");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "p@ss\n");
  auto mycnf = FormatCredential("moco-writable", "p@ss", "mycnf");
  ASSERT_TRUE(mycnf.ok());
  EXPECT_EQ(*mycnf, "[client]\nuser=moco-writable\npassword=\"p@ss\"\n");
  auto bad = FormatCredential("moco-admin", "x", "json");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("unknown format json"));
}

TEST(PasswordKeyTest, MocoSecretKeys) {
  EXPECT_EQ(*PasswordKey("moco-readonly"), "READONLY_PASSWORD");
  EXPECT_EQ(*PasswordKey("moco-writable"), "WRITABLE_PASSWORD");
  EXPECT_EQ(*PasswordKey("moco-admin"), "ADMIN_PASSWORD");
  EXPECT_FALSE(PasswordKey("root").ok());
  EXPECT_FALSE(PasswordKey("moco-agent").ok());  // system users are not for humans
}

TEST(TargetIndexTest, PrimaryByDefaultIndexWhenGivenAndBoundedByReplicas) {
  mysql::api::MySQLCluster c;
  c.replicas = 3;
  c.current_primary_index = 2;
  EXPECT_EQ(*TargetIndex(c, -1), 2);
  EXPECT_EQ(*TargetIndex(c, 0), 0);
  auto r = TargetIndex(c, 3);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("smaller than spec.replicas (3)"));
}

}  // namespace
}  // namespace kcx::kubectl_moco
