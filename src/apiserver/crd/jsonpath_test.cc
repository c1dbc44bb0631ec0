#include "apiserver/crd/jsonpath.h"

#include <gtest/gtest.h>

namespace kcx::apiserver::crd {
namespace {

namespace json = boost::json;

const json::value kObj = json::parse(R"({
  "spec":{"replicas":3,"a.b":"dotted","list":[{"n":1},{"n":2}]},
  "status":{"conditions":[{"type":"Available","status":"False"},
                          {"type":"Ready","status":"True","n":5}]}})");

json::value Eval1(std::string_view expr) {
  auto p = JsonPath::Parse(expr);
  EXPECT_TRUE(p.ok()) << expr << ": " << p.status().message();
  if (!p.ok())
    return "<parse error>";
  const json::value* v = p->First(kObj);
  return v ? *v : json::value("<none>");
}

TEST(JsonPathTest, SimplePaths) {
  EXPECT_EQ(Eval1(".spec.replicas"), 3);
  EXPECT_EQ(Eval1("{.spec.replicas}"), 3);
  EXPECT_EQ(Eval1(".spec['a.b']"), "dotted");
  EXPECT_EQ(Eval1(".spec.list[1].n"), 2);
  EXPECT_EQ(Eval1(".spec.list[-1].n"), 2);
  EXPECT_EQ(Eval1(".spec.list[*].n"), 1);
  EXPECT_EQ(Eval1(".spec.missing"), "<none>");
  EXPECT_EQ(Eval1(".spec.list[7]"), "<none>");
}

TEST(JsonPathTest, Filters) {
  EXPECT_EQ(Eval1(R"(.status.conditions[?(@.type=="Ready")].status)"), "True");
  EXPECT_EQ(Eval1(R"(.status.conditions[?(@.type == 'Available')].status)"), "False");
  EXPECT_EQ(Eval1(R"(.status.conditions[?(@.type!="Ready")].type)"), "Available");
  EXPECT_EQ(Eval1(R"(.status.conditions[?(@.n>4)].type)"), "Ready");
  EXPECT_EQ(Eval1(R"(.status.conditions[?(@.n)].type)"), "Ready");
  EXPECT_EQ(Eval1(R"(.status.conditions[?(@.type=="Nope")].status)"), "<none>");
  auto p = JsonPath::Parse(".spec.list[*].n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Eval(kObj).size(), 2u);
}

TEST(JsonPathTest, RejectsGarbage) {
  EXPECT_FALSE(JsonPath::Parse("spec.replicas").ok());
  EXPECT_FALSE(JsonPath::Parse(".spec[").ok());
  EXPECT_FALSE(JsonPath::Parse(".spec[?(@.a ~ 1)]").ok());
  EXPECT_FALSE(JsonPath::Parse("").ok());
  EXPECT_FALSE(JsonPath::Parse(".a..b").ok());
}

}  // namespace
}  // namespace kcx::apiserver::crd
