#include "api/field_selector.h"

#include <gtest/gtest.h>

#include <map>

namespace kcx::api {
namespace {

using Op = FieldRequirement::Op;

struct ParseCase {
  std::string in;
  std::vector<FieldRequirement> reqs;
  std::string canonical;
};

TEST(FieldSelectorTest, Parse) {
  const std::vector<ParseCase> cases = {
      {"", {}, ""},
      {",", {}, ""},
      {"metadata.name=foo", {{"metadata.name", Op::kEquals, "foo"}}, "metadata.name=foo"},
      {"metadata.name==foo", {{"metadata.name", Op::kDoubleEquals, "foo"}}, "metadata.name=foo"},
      {"status.phase!=Running",
       {{"status.phase", Op::kNotEquals, "Running"}},
       "status.phase!=Running"},
      // Terms are sorted (as strings, before parsing).
      {"b=2,a=1", {{"a", Op::kEquals, "1"}, {"b", Op::kEquals, "2"}}, "a=1,b=2"},
      {"a=", {{"a", Op::kEquals, ""}}, "a="},
      {"a=1,,b=2", {{"a", Op::kEquals, "1"}, {"b", Op::kEquals, "2"}}, "a=1,b=2"},
      // Escapes.
      {R"(a=x\,y)", {{"a", Op::kEquals, "x,y"}}, R"(a=x\,y)"},
      {R"(a=x\=y)", {{"a", Op::kEquals, "x=y"}}, R"(a=x\=y)"},
      {R"(a=x\\y)", {{"a", Op::kEquals, R"(x\y)"}}, R"(a=x\\y)"},
      {R"(a=\,,b=c)", {{"a", Op::kEquals, ","}, {"b", Op::kEquals, "c"}}, R"(a=\,,b=c)"},
      // '!' needs no escape and has none.
      {"a=x!y", {{"a", Op::kEquals, "x!y"}}, "a=x!y"},
      // The first operator splits: "!=" wins over "=" at the same position.
      {"a!==b", {}, ""},  // value "=b" has an unescaped '=': error, checked below
  };
  for (const ParseCase& c : cases) {
    auto s = FieldSelector::Parse(c.in);
    if (c.in == "a!==b") {
      EXPECT_FALSE(s.ok());
      continue;
    }
    ASSERT_TRUE(s.ok()) << c.in << ": " << s.status().ToString();
    EXPECT_EQ(s->Requirements(), c.reqs) << c.in;
    EXPECT_EQ(s->String(), c.canonical) << c.in;
    EXPECT_EQ(s->Empty(), c.reqs.empty());
  }
}

TEST(FieldSelectorTest, ParseErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a", "invalid selector: 'a'; can't understand 'a'"},
      {"a=1,b", "invalid selector: 'a=1,b'; can't understand 'b'"},
      {"a=b=c", "invalid field selector: unescapedRune character in value: 61"},
      {"a!==b", "invalid field selector: unescapedRune character in value: 61"},
      {R"(a=b\)", R"(invalid field selector: invalid escape sequence: \)"},
      {R"(a=b\n)", R"(invalid field selector: invalid escape sequence: \n)"},
      {R"(a=b\!)", R"(invalid field selector: invalid escape sequence: \!)"},
  };
  for (const auto& [in, msg] : cases) {
    auto s = FieldSelector::Parse(in);
    ASSERT_FALSE(s.ok()) << in;
    EXPECT_EQ(s.status().reason(), Reason::kBadRequest);
    EXPECT_EQ(s.status().message(), msg) << in;
  }
}

TEST(FieldSelectorTest, Matches) {
  std::map<std::string, std::string, std::less<>> fields = {
      {"metadata.name", "foo"}, {"metadata.namespace", "ns"}, {"spec.nodeName", "a,b"}};
  int calls = 0;
  auto get = [&](std::string_view f) -> std::optional<std::string> {
    ++calls;
    auto it = fields.find(f);
    if (it == fields.end())
      return std::nullopt;
    return it->second;
  };
  auto view = [&](std::string_view f) -> std::optional<std::string_view> {
    auto it = fields.find(f);
    if (it == fields.end())
      return std::nullopt;
    return std::string_view(it->second);
  };
  const std::vector<std::pair<std::string, bool>> cases = {
      {"", true},
      {"metadata.name=foo", true},
      {"metadata.name==foo", true},
      {"metadata.name=bar", false},
      {"metadata.name!=bar", true},
      {"metadata.name!=foo", false},
      {"metadata.name=foo,metadata.namespace=ns", true},
      {"metadata.name=foo,metadata.namespace=other", false},
      {R"(spec.nodeName=a\,b)", true},
      // A field the getter does not know compares as "".
      {"status.unknown=", true},
      {"status.unknown!=x", true},
      {"status.unknown=x", false},
  };
  for (const auto& [sel, want] : cases) {
    auto s = FieldSelector::Parse(sel);
    ASSERT_TRUE(s.ok()) << sel;
    EXPECT_EQ(s->Matches(get), want) << sel;
    EXPECT_EQ(s->MatchesView(view), want) << sel;
  }
  EXPECT_GT(calls, 0);
}

TEST(FieldSelectorTest, RequiresExactMatch) {
  auto s = FieldSelector::Parse("metadata.name=foo,metadata.namespace!=x,spec.a==b");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->RequiresExactMatch("metadata.name"), "foo");
  EXPECT_EQ(s->RequiresExactMatch("spec.a"), "b");
  EXPECT_EQ(s->RequiresExactMatch("metadata.namespace"), std::nullopt);
  EXPECT_EQ(s->RequiresExactMatch("other"), std::nullopt);
}

TEST(FieldSelectorTest, EscapeRoundTrip) {
  for (std::string v : {"plain", "a,b", "a=b", R"(a\b)", R"(\,=)", "", "a!b"}) {
    std::string sel = "f=" + EscapeFieldValue(v);
    auto s = FieldSelector::Parse(sel);
    ASSERT_TRUE(s.ok()) << sel;
    ASSERT_EQ(s->Requirements().size(), 1u);
    EXPECT_EQ(s->Requirements()[0].value, v);
    EXPECT_EQ(s->String(), sel);
  }
}

}  // namespace
}  // namespace kcx::api
