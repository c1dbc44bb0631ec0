#include "operators/mysql/db/gtid.h"

#include <gtest/gtest.h>

namespace kcx::mysql {
namespace {

constexpr const char* kA = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
constexpr const char* kB = "4a2bb1c0-71ca-11e1-9e33-c80aa9429562";

MysqlGtidSet S(const std::string& s) {
  auto r = MysqlGtidSet::Parse(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : MysqlGtidSet();
}

TEST(MysqlGtidSet, ParseAndCanonicalForm) {
  EXPECT_EQ(S("").ToString(), "");
  EXPECT_TRUE(S("").Empty());
  EXPECT_EQ(S(std::string(kA) + ":1-5").ToString(), std::string(kA) + ":1-5");
  // Unsorted, overlapping and touching intervals merge; upper case folds; newlines are allowed.
  EXPECT_EQ(S(std::string("3E11FA47-71CA-11E1-9E33-C80AA9429562") + ":7-9:1-3:4,\n" + kB + ":5")
                .ToString(),
            std::string(kA) + ":1-4:7-9," + kB + ":5");
  EXPECT_EQ(S(std::string(kA) + ":1-5," + kA + ":3-10").ToString(), std::string(kA) + ":1-10");
  EXPECT_EQ(S(std::string(kA) + ":1-5:6-8").Count(), 8u);
}

TEST(MysqlGtidSet, ParseErrors) {
  EXPECT_FALSE(MysqlGtidSet::Parse("nonsense").ok());
  EXPECT_FALSE(MysqlGtidSet::Parse(std::string(kA)).ok());
  EXPECT_FALSE(MysqlGtidSet::Parse(std::string(kA) + ":5-3").ok());
  EXPECT_FALSE(MysqlGtidSet::Parse(std::string(kA) + ":0").ok());
  EXPECT_FALSE(MysqlGtidSet::Parse(std::string(kA) + ":x").ok());
  EXPECT_FALSE(MysqlGtidSet::Parse("3e11fa47-71ca-11e1-9e33:1").ok());
  EXPECT_FALSE(MysqlGtidSet::Parse(std::string(kA) + ":1,,").ok());
}

TEST(MysqlGtidSet, Union) {
  auto u = S(std::string(kA) + ":1-3:10").Union(S(std::string(kA) + ":4-6," + kB + ":1"));
  EXPECT_EQ(u.ToString(), std::string(kA) + ":1-6:10," + kB + ":1");
}

TEST(MysqlGtidSet, Subtract) {
  auto a = S(std::string(kA) + ":1-10:20-30," + kB + ":1-5");
  EXPECT_EQ(a.Subtract(S(std::string(kA) + ":3-5:25")).ToString(),
            std::string(kA) + ":1-2:6-10:20-24:26-30," + kB + ":1-5");
  EXPECT_EQ(a.Subtract(S(std::string(kA) + ":1-100")).ToString(), std::string(kB) + ":1-5");
  EXPECT_TRUE(a.Subtract(a).Empty());
  EXPECT_EQ(a.Subtract(S("")), a);
  EXPECT_EQ(S(std::string(kA) + ":5-6").Subtract(S(std::string(kA) + ":1-5")).ToString(),
            std::string(kA) + ":6");
  EXPECT_EQ(a.Subtract(S(std::string(kA) + ":1-30")).Uuids(), std::vector<std::string>{kB});
}

TEST(MysqlGtidSet, Subset) {
  auto a = S(std::string(kA) + ":1-10");
  EXPECT_TRUE(S(std::string(kA) + ":2-4:7").IsSubsetOf(a));
  EXPECT_TRUE(S("").IsSubsetOf(a));
  EXPECT_FALSE(S(std::string(kA) + ":9-11").IsSubsetOf(a));
  EXPECT_FALSE(S(std::string(kB) + ":1").IsSubsetOf(a));
}

TEST(MariadbGtidPos, ParseFormat) {
  auto p = MariadbGtidPos::Parse("1-12-7, 0-11-42");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->ToString(), "0-11-42,1-12-7");
  EXPECT_TRUE(MariadbGtidPos::Parse("")->Empty());
  EXPECT_FALSE(MariadbGtidPos::Parse("0-1").ok());
  EXPECT_FALSE(MariadbGtidPos::Parse("0-1-x").ok());
  EXPECT_FALSE(MariadbGtidPos::Parse("0-1-2,0-1-3").ok());
  EXPECT_FALSE(MariadbGtidPos::Parse("0-99999999999-2").ok());
}

TEST(MariadbGtidPos, ContainsUnionNotCovered) {
  auto a = *MariadbGtidPos::Parse("0-11-42,1-12-7");
  auto b = *MariadbGtidPos::Parse("0-11-40");
  EXPECT_TRUE(a.Contains(b));
  EXPECT_FALSE(b.Contains(a));
  // Same sequence number from another server: diverged.
  auto c = *MariadbGtidPos::Parse("0-13-42");
  EXPECT_FALSE(a.Contains(c));
  EXPECT_FALSE(c.Contains(a));
  ASSERT_EQ(c.NotCoveredBy(a).size(), 1u);
  EXPECT_EQ(c.NotCoveredBy(a)[0].server_id, 13u);
  EXPECT_EQ(b.Union(*MariadbGtidPos::Parse("0-12-41,2-1-1")).ToString(), "0-12-41,2-1-1");
  EXPECT_TRUE(b.NotCoveredBy(a).empty());
  EXPECT_EQ(a.NotCoveredBy(b).size(), 2u);
}

TEST(GtidSet, FlavorNeutral) {
  auto m = *GtidSet::Parse(Flavor::kMySQL, std::string(kA) + ":1-5," + kB + ":1");
  auto p = *GtidSet::Parse(Flavor::kMySQL, std::string(kA) + ":1-6");
  EXPECT_EQ(m.OriginsNotIn(p), std::vector<std::string>{kB});
  EXPECT_FALSE(m.IsSubsetOf(p));
  EXPECT_TRUE(m.IsSubsetOf(m.Union(p)));
  auto r = *GtidSet::Parse(Flavor::kMariaDB, "0-1001-10");
  auto q = *GtidSet::Parse(Flavor::kMariaDB, "0-1000-9");
  EXPECT_EQ(r.OriginsNotIn(q), std::vector<std::string>{"1001"});
  EXPECT_TRUE(q.IsSubsetOf(r));
  EXPECT_EQ(q.Union(r).ToString(), "0-1001-10");
  // Mixed flavors never compare as subsets.
  EXPECT_FALSE(m.IsSubsetOf(r));
  EXPECT_EQ(GtidSet::EmptyOf(Flavor::kMySQL).flavor(), Flavor::kMySQL);
}

}  // namespace
}  // namespace kcx::mysql
