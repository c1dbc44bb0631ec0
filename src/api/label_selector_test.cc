#include "api/label_selector.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "api/json.h"

namespace kcx::api {
namespace {

LabelSet Labels(std::initializer_list<std::pair<std::string, std::string>> l) {
  LabelSet s(l);
  std::sort(s.begin(), s.end());
  return s;
}

TEST(LabelSetTest, FromJson) {
  auto v = ParseJson(R"({"b":"2","a":"1","n":5,"z":null})");
  ASSERT_TRUE(v.ok());
  LabelSet s = LabelSetFromJson(&*v);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], (std::pair<std::string, std::string>{"a", "1"}));
  EXPECT_EQ(s[1], (std::pair<std::string, std::string>{"b", "2"}));
  EXPECT_TRUE(LabelSetFromJson(nullptr).empty());
  boost::json::value arr = boost::json::array{1, 2};
  EXPECT_TRUE(LabelSetFromJson(&arr).empty());
}

struct MatchCase {
  std::string selector;
  LabelSet labels;
  bool match;
};

TEST(LabelSelectorTest, Matches) {
  const LabelSet kXY = Labels({{"x", "a"}, {"y", "b"}});
  const std::vector<MatchCase> cases = {
      {"", kXY, true},
      {"x=a", kXY, true},
      {"x==a", kXY, true},
      {"x=b", kXY, false},
      {"x!=a", kXY, false},
      {"x!=b", kXY, true},
      {"z!=b", kXY, true},  // missing key matches !=
      {"x", kXY, true},
      {"z", kXY, false},
      {"!z", kXY, true},
      {"!x", kXY, false},
      {"x in (a,b)", kXY, true},
      {"x in (b,c)", kXY, false},
      {"x notin (b,c)", kXY, true},
      {"x notin (a)", kXY, false},
      {"z notin (a)", kXY, true},  // missing key matches notin
      {"z in (a)", kXY, false},
      {"x=a,y=b", kXY, true},
      {"x=a,y=c", kXY, false},
      {"x=a,!z,y in (b)", kXY, true},
      {"  x  =  a  ,  y  ", kXY, true},
      {"x\t=\ta", kXY, true},
      {"x=", Labels({{"x", ""}}), true},
      {"x=", kXY, false},
      {"x in ()", Labels({{"x", ""}}), true},  // "()" is the single empty value
      {"x in (,a)", Labels({{"x", ""}}), true},
      {"in=notin", Labels({{"in", "notin"}}), true},  // keywords as key and value
      {"x in (in,notin)", Labels({{"x", "notin"}}), true},
      {"n>5", Labels({{"n", "6"}}), true},
      {"n>5", Labels({{"n", "5"}}), false},
      {"n<5", Labels({{"n", "-3"}}), true},
      {"n<5", Labels({{"n", "abc"}}), false},
      {"n<5", kXY, false},
      {"example.com/app=web", Labels({{"example.com/app", "web"}}), true},
  };
  for (const MatchCase& c : cases) {
    auto s = LabelSelector::Parse(c.selector);
    ASSERT_TRUE(s.ok()) << c.selector << ": " << s.status().ToString();
    EXPECT_EQ(s->Matches(c.labels), c.match) << c.selector;
    boost::json::object o;
    for (const auto& [k, v] : c.labels)
      o[k] = v;
    o["ignored-non-string"] = 5;
    boost::json::value jv(std::move(o));
    EXPECT_EQ(s->MatchesJson(&jv), c.match) << c.selector;
  }
}

struct StringCase {
  std::string in;
  std::string out;
};

TEST(LabelSelectorTest, CanonicalString) {
  const std::vector<StringCase> cases = {
      {"", ""},
      {"x=a", "x=a"},
      {"x==a", "x==a"},
      {"y=b,x=a", "x=a,y=b"},  // sorted by key
      {"x in (c,a,b,a)", "x in (a,b,c)"},
      {"x notin ( b , a )", "x notin (a,b)"},
      {"!x", "!x"},
      {" x ", "x"},
      {"x=", "x="},
      {"x in ()", "x in ()"},
      {"n>5,m<2", "m<2,n>5"},
      {"x!=a, !y ,z", "x!=a,!y,z"},
  };
  for (const StringCase& c : cases) {
    auto s = LabelSelector::Parse(c.in);
    ASSERT_TRUE(s.ok()) << c.in << ": " << s.status().ToString();
    EXPECT_EQ(s->String(), c.out) << c.in;
    // The canonical form parses back to itself.
    auto again = LabelSelector::Parse(s->String());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->String(), c.out);
  }
}

TEST(LabelSelectorTest, ParseErrors) {
  const std::vector<StringCase> cases = {
      {"x=a,", "found '', expected: identifier after ','"},
      {",x", "found ',', expected: !, identifier, or 'end of string'"},
      {"x in", "unable to parse requirement: found '' expected: '('"},
      {"x in (a", "unable to parse requirement: found '', expected: ',' or ')'"},
      {"x in (a,", "unable to parse requirement: found '', expected: ',', or identifier"},
      {"x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"},
      {"x in a", "unable to parse requirement: found 'a' expected: '('"},
      {"x in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"},
      {"x a", "unable to parse requirement: found 'a', expected: in, notin, =, ==, !=, gt, lt"},
      {"x=a b", "found 'b', expected: ',' or 'end of string'"},
      {"x=(a)", "unable to parse requirement: found '(', expected: identifier"},
      {"!", "unable to parse requirement: found '', expected: identifier"},
      {"!!x", "unable to parse requirement: found '!', expected: identifier"},
      {"!x=a", "found '=', expected: ',' or 'end of string'"},
      {"Bad_Key!=a",
       // "Bad_Key" is a valid key; "!=" follows.
       ""},
      {"-x=a",
       "unable to parse requirement: <nil>: Invalid value: \"-x\": name part must consist of "
       "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
       "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
       "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"},
      {"x=a$b",
       "unable to parse requirement: values[0][x]: Invalid value: \"a$b\": a valid label must be "
       "an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
       "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
       "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"},
      {"n>a",
       "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, "
       "the value must be an integer"},
  };
  for (const StringCase& c : cases) {
    auto s = LabelSelector::Parse(c.in);
    if (c.out.empty()) {
      EXPECT_TRUE(s.ok()) << c.in;
      continue;
    }
    ASSERT_FALSE(s.ok()) << c.in;
    EXPECT_EQ(s.status().reason(), Reason::kBadRequest);
    EXPECT_EQ(s.status().message(), c.out) << c.in;
  }
}

TEST(LabelSelectorTest, RequiresExactMatch) {
  auto s = LabelSelector::Parse("a=1,b in (2),c in (3,4),d!=5,e");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->RequiresExactMatch("a"), "1");
  EXPECT_EQ(s->RequiresExactMatch("b"), "2");
  EXPECT_EQ(s->RequiresExactMatch("c"), std::nullopt);
  EXPECT_EQ(s->RequiresExactMatch("d"), std::nullopt);
  EXPECT_EQ(s->RequiresExactMatch("e"), std::nullopt);
  EXPECT_EQ(s->RequiresExactMatch("zz"), std::nullopt);
}

TEST(LabelSelectorTest, EmptyAndNothing) {
  LabelSelector everything;
  EXPECT_TRUE(everything.Empty());
  EXPECT_TRUE(everything.Matches({}));
  LabelSelector nothing = LabelSelector::Nothing();
  EXPECT_FALSE(nothing.Empty());
  EXPECT_TRUE(nothing.MatchesNothing());
  EXPECT_FALSE(nothing.Matches({}));
  EXPECT_FALSE(nothing.Matches(Labels({{"a", "b"}})));
  EXPECT_EQ(nothing.String(), "");
  auto parsed = LabelSelector::Parse("  ");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->Empty());
}

Result<LabelSelector> FromJsonText(std::string_view text) {
  auto v = ParseJson(text);
  if (!v.ok())
    return v.status();
  return LabelSelector::FromJson(*v);
}

TEST(LabelSelectorTest, FromJson) {
  auto s = FromJsonText(R"({"matchLabels":{"b":"2","a":"1"},
      "matchExpressions":[{"key":"c","operator":"In","values":["y","x"]},
                          {"key":"d","operator":"NotIn","values":["z"]},
                          {"key":"e","operator":"Exists"},
                          {"key":"f","operator":"DoesNotExist"}]})");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->String(), "a=1,b=2,c in (x,y),d notin (z),e,!f");
  EXPECT_TRUE(s->Matches(Labels({{"a", "1"}, {"b", "2"}, {"c", "x"}, {"e", ""}})));
  EXPECT_FALSE(s->Matches(Labels({{"a", "1"}, {"b", "2"}, {"c", "x"}, {"e", ""}, {"f", ""}})));
  EXPECT_FALSE(s->Matches(Labels({{"a", "1"}, {"b", "2"}, {"c", "x"}})));

  auto null_sel = LabelSelector::FromJson(boost::json::value(nullptr));
  ASSERT_TRUE(null_sel.ok());
  EXPECT_TRUE(null_sel->MatchesNothing());
  EXPECT_FALSE(null_sel->Matches({}));

  auto empty = FromJsonText("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->Empty());
  EXPECT_TRUE(empty->Matches(Labels({{"a", "1"}})));
  auto empty2 = FromJsonText(R"({"matchLabels":{},"matchExpressions":[]})");
  ASSERT_TRUE(empty2.ok());
  EXPECT_TRUE(empty2->Empty());
}

TEST(LabelSelectorTest, FromJsonErrors) {
  const std::vector<StringCase> cases = {
      {R"({"matchExpressions":[{"key":"a","operator":"Foo"}]})",
       "\"Foo\" is not a valid label selector operator"},
      {R"({"matchExpressions":[{"key":"a","operator":"In"}]})",
       "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be "
       "empty"},
      {R"({"matchExpressions":[{"key":"a","operator":"Exists","values":["x","y"]}]})",
       "values: Invalid value: []string{\"x\", \"y\"}: values set must be empty for exists and "
       "does not exist"},
      {R"({"matchLabels":{"a/b/c":"x"}})",
       "key: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, "
       "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
       "or 'my.name',  or '123-abc', regex used for validation is "
       "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and "
       "'/' (e.g. 'example.com/MyName')"},
      {R"("x")", "label selector must be an object"},
  };
  for (const StringCase& c : cases) {
    auto s = FromJsonText(c.in);
    ASSERT_FALSE(s.ok()) << c.in;
    EXPECT_EQ(s.status().reason(), Reason::kBadRequest);
    EXPECT_EQ(s.status().message(), c.out) << c.in;
  }
}

// 100,000 objects, one selector: parse once, match fast. Prints the figure; the bound is loose
// so the test is not flaky on a loaded machine, but catches accidental quadratic behaviour.
TEST(LabelSelectorTest, MatchManyObjects) {
  std::vector<LabelSet> objects;
  objects.reserve(100000);
  for (int i = 0; i < 100000; ++i) {
    objects.push_back(Labels({{"app", i % 10 == 0 ? "web" : "db"},
                              {"tier", std::to_string(i % 3)},
                              {"app.kubernetes.io/instance", "inst-" + std::to_string(i % 100)},
                              {"zone", "z"}}));
  }
  auto s = LabelSelector::Parse("app=web,tier in (0,1),!deleted,zone");
  ASSERT_TRUE(s.ok());
  auto start = std::chrono::steady_clock::now();
  int matched = 0;
  for (const LabelSet& l : objects)
    matched += s->Matches(l) ? 1 : 0;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  // i % 10 == 0 and i % 3 in {0, 1}: 10,000 * 2/3.
  int expected = 0;
  for (int i = 0; i < 100000; ++i)
    expected += (i % 10 == 0 && i % 3 != 2) ? 1 : 0;
  EXPECT_EQ(matched, expected);
  std::printf("LabelSet: matched %d of 100000 objects in %lld us\n", matched,
              static_cast<long long>(us));
  EXPECT_LT(us, 2000000);

  std::vector<boost::json::value> json_objects;
  json_objects.reserve(objects.size());
  for (const LabelSet& l : objects) {
    boost::json::object o;
    for (const auto& [k, v] : l)
      o[k] = v;
    json_objects.emplace_back(std::move(o));
  }
  start = std::chrono::steady_clock::now();
  int matched_json = 0;
  for (const boost::json::value& l : json_objects)
    matched_json += s->MatchesJson(&l) ? 1 : 0;
  us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                             start)
           .count();
  EXPECT_EQ(matched_json, expected);
  std::printf("JSON labels: matched %d of 100000 objects in %lld us\n", matched_json,
              static_cast<long long>(us));
  EXPECT_LT(us, 2000000);
}

// Random selector strings: parsing never crashes, and whatever parses has a canonical form
// that parses back to the same canonical form and selects the same label sets.
TEST(LabelSelectorTest, RandomStringsRoundTrip) {
  const std::string_view kAlphabet[] = {"a", "b",  "x",     "=", "==", "!=", "!", "(", ")", ",",
                                        " ", "in", "notin", "1", ">",  "<",  "-", "/", "."};
  std::mt19937 rng(42);
  const std::vector<LabelSet> probes = {
      {}, Labels({{"a", "b"}}), Labels({{"a", ""}, {"x", "1"}}), Labels({{"b", "a"}, {"x", "x"}})};
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string sel;
    int n = static_cast<int>(rng() % 10);
    for (int k = 0; k < n; ++k)
      sel += kAlphabet[rng() % std::size(kAlphabet)];
    auto s = LabelSelector::Parse(sel);
    if (!s.ok()) {
      EXPECT_EQ(s.status().reason(), Reason::kBadRequest);
      continue;
    }
    ++parsed;
    auto again = LabelSelector::Parse(s->String());
    ASSERT_TRUE(again.ok()) << sel << " -> " << s->String();
    EXPECT_EQ(again->String(), s->String()) << sel;
    for (const LabelSet& p : probes)
      EXPECT_EQ(again->Matches(p), s->Matches(p)) << sel;
  }
  EXPECT_GT(parsed, 1000);
}

}  // namespace
}  // namespace kcx::api
