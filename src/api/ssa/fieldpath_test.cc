#include "api/ssa/fieldpath.h"

#include <gtest/gtest.h>

namespace kcx::api::ssa {
namespace {

Path P(std::initializer_list<PathElement> pes) { return Path(pes); }
PathElement F(const char* n) { return PathElement::Field(n); }

TEST(FieldPathTest, OrderIsFieldsKeysValuesIndexes) {
  PathElement f = F("z");
  PathElement k = PathElement::Key({{"name", "a"}});
  PathElement v = PathElement::Value("a");
  PathElement i = PathElement::Index(0);
  EXPECT_LT(f.Compare(k), 0);
  EXPECT_LT(k.Compare(v), 0);
  EXPECT_LT(v.Compare(i), 0);
  EXPECT_LT(F("a").Compare(F("b")), 0);
  // Values: numbers < strings < bools < lists < maps < null; ints and floats numerically.
  EXPECT_LT(CompareValues(json::value(2), json::value(2.5)), 0);
  EXPECT_EQ(CompareValues(json::value(2), json::value(2.0)), 0);
  EXPECT_LT(CompareValues(json::value(100), json::value("1")), 0);
  EXPECT_LT(CompareValues(json::value("z"), json::value(false)), 0);
  EXPECT_LT(CompareValues(json::value(true), json::value(nullptr)), 0);
}

TEST(FieldPathTest, KeyFieldsAreSortedAndSerializedCompactly) {
  PathElement k = PathElement::Key({{"protocol", "TCP"}, {"containerPort", 80}});
  EXPECT_EQ(k.Serialize(), R"(k:{"containerPort":80,"protocol":"TCP"})");
  EXPECT_EQ(k.String(), R"([containerPort=80,protocol="TCP"])");
  EXPECT_EQ(PathElement::Value("a<b").Serialize(), R"(v:"a\u003cb")");
  EXPECT_EQ(PathElement::Index(3).Serialize(), "i:3");
  EXPECT_EQ(PathString(P({F("spec"), PathElement::Key({{"name", "c"}}), F("image")})),
            R"(.spec[name="c"].image)");
}

TEST(FieldPathTest, FieldsV1EncodingMatchesKubernetes) {
  Set s;
  s.Insert(P({F("metadata"), F("labels")}));
  s.Insert(P({F("metadata"), F("labels"), F("app")}));
  s.Insert(P({F("spec"), F("replicas")}));
  PathElement c = PathElement::Key({{"name", "nginx"}});
  s.Insert(P({F("spec"), F("containers"), c}));
  s.Insert(P({F("spec"), F("containers"), c, F("image")}));
  s.Insert(P({F("spec"), F("containers"), c, F("name")}));
  s.Insert(P({F("spec"), F("finalizers"), PathElement::Value("b")}));
  s.Insert(P({F("spec"), F("finalizers"), PathElement::Value("a")}));
  EXPECT_EQ(s.ToFieldsV1(),
            R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":)"
            R"({"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{}}},)"
            R"("f:finalizers":{"v:\"a\"":{},"v:\"b\"":{}},"f:replicas":{}}})");
  std::string via_value;
  AppendGoJson(via_value, s.ToFieldsV1Value());  // (keys happen to be in sorted order here)
  EXPECT_EQ(via_value, s.ToFieldsV1());
  EXPECT_EQ(json::serialize(s.ToFieldsV1Value()), s.ToFieldsV1());
  auto back = Set::FromFieldsV1String(s.ToFieldsV1());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == s);
  EXPECT_EQ(back->Size(), 8u);
  EXPECT_EQ(Set().ToFieldsV1(), "{}");
}

TEST(FieldPathTest, DecodingToleratesUnknownKindsAndSortsInput) {
  auto s = Set::FromFieldsV1String(R"({"f:b":{},"x:future":{},"f:a":{"f:c":{}},"i:1":{}})");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Has(P({F("b")})));
  EXPECT_TRUE(s->Has(P({F("a"), F("c")})));
  EXPECT_FALSE(s->Has(P({F("a")})));
  EXPECT_TRUE(s->Has(P({PathElement::Index(1)})));
  EXPECT_EQ(s->ToFieldsV1(), R"({"f:a":{"f:c":{}},"f:b":{},"i:1":{}})");
}

TEST(FieldPathTest, DecodingErrorsAreResults) {
  EXPECT_FALSE(Set::FromFieldsV1String("{").ok());
  EXPECT_FALSE(Set::FromFieldsV1String(R"({"f":{}})").ok());
  EXPECT_FALSE(Set::FromFieldsV1String(R"({"k:{bad":{}})").ok());
  EXPECT_FALSE(Set::FromFieldsV1String(R"({"i:x":{}})").ok());
  EXPECT_FALSE(Set::FromFieldsV1String(R"({"f:a":1})").ok());
  EXPECT_FALSE(Set::FromFieldsV1String("[]").ok());
}

TEST(FieldPathTest, SetAlgebra) {
  Set a, b;
  a.Insert(P({F("x")}));
  a.Insert(P({F("s"), F("a")}));
  a.Insert(P({F("s"), F("b")}));
  b.Insert(P({F("s"), F("b")}));
  b.Insert(P({F("y")}));
  b.Insert(P({F("s")}));
  EXPECT_EQ(a.Union(b).Size(), 5u);
  EXPECT_EQ(a.Intersection(b).ToFieldsV1(), R"({"f:s":{"f:b":{}}})");
  EXPECT_EQ(a.Difference(b).ToFieldsV1(), R"({"f:s":{"f:a":{}},"f:x":{}})");
  // A member of b also removes everything below it.
  EXPECT_EQ(a.RecursiveDifference(b).ToFieldsV1(), R"({"f:x":{}})");
  EXPECT_TRUE(a.Difference(a).Empty());
  Set in_place = a;
  in_place.Erase(b);
  EXPECT_TRUE(in_place == a.Difference(b));
  in_place = a;
  in_place.EraseRecursive(b);
  EXPECT_TRUE(in_place == a.RecursiveDifference(b));
  std::vector<std::string> paths;
  a.Iterate([&](const Path& p) { paths.push_back(PathString(p)); });
  EXPECT_EQ(paths, (std::vector<std::string>{".x", ".s.a", ".s.b"}));
}

}  // namespace
}  // namespace kcx::api::ssa
