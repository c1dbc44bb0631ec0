#include "api/patch.h"

#include <gtest/gtest.h>

#include "api/json.h"

namespace kcx::api {
namespace {

boost::json::value J(std::string_view text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : boost::json::value();
}

struct MergeCase {
  std::string target, patch, want;
};

TEST(MergePatchTest, Rfc7386Examples) {
  // The table of RFC 7386 appendix A.
  const std::vector<MergeCase> cases = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const MergeCase& c : cases) {
    auto r = ApplyMergePatch(J(c.target), J(c.patch));
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(JsonEqual(*r, J(c.want)))
        << c.target << " + " << c.patch << " = " << Serialize(*r) << ", want " << c.want;
  }
}

struct JsonPatchCase {
  std::string target, patch, want;
};

TEST(JsonPatchTest, Applies) {
  const std::vector<JsonPatchCase> cases = {
      {R"({"a":1})", R"([{"op":"add","path":"/b","value":2}])", R"({"a":1,"b":2})"},
      {R"({"a":1})", R"([{"op":"add","path":"/a","value":3}])", R"({"a":3})"},
      {R"({"a":[1,2]})", R"([{"op":"add","path":"/a/1","value":9}])", R"({"a":[1,9,2]})"},
      {R"({"a":[1,2]})", R"([{"op":"add","path":"/a/2","value":9}])", R"({"a":[1,2,9]})"},
      {R"({"a":[1,2]})", R"([{"op":"add","path":"/a/-","value":9}])", R"({"a":[1,2,9]})"},
      {R"({"a":1})", R"([{"op":"add","path":"","value":[1]}])", R"([1])"},
      {R"({"a":1,"b":2})", R"([{"op":"remove","path":"/a"}])", R"({"b":2})"},
      {R"({"a":[1,2,3]})", R"([{"op":"remove","path":"/a/0"}])", R"({"a":[2,3]})"},
      {R"({"a":1})", R"([{"op":"replace","path":"/a","value":{"x":null}}])", R"({"a":{"x":null}})"},
      {R"({"a":{"b":1},"c":{}})", R"([{"op":"move","from":"/a/b","path":"/c/d"}])",
       R"({"a":{},"c":{"d":1}})"},
      {R"({"a":[1,2,3]})", R"([{"op":"move","from":"/a/0","path":"/a/-"}])", R"({"a":[2,3,1]})"},
      {R"({"a":{"b":[1]}})", R"([{"op":"copy","from":"/a/b","path":"/c"}])",
       R"({"a":{"b":[1]},"c":[1]})"},
      {R"({"a":1})", R"([{"op":"test","path":"/a","value":1.0}])", R"({"a":1})"},
      {R"({"a":{"x":1,"y":[true]}})", R"([{"op":"test","path":"/a","value":{"y":[true],"x":1}}])",
       R"({"a":{"x":1,"y":[true]}})"},
      // JSON Pointer escapes: ~1 is '/', ~0 is '~'.
      {R"({"metadata":{"labels":{"app.kubernetes.io/name":"x","a~b":"y"}}})",
       R"([{"op":"replace","path":"/metadata/labels/app.kubernetes.io~1name","value":"z"},
           {"op":"remove","path":"/metadata/labels/a~0b"}])",
       R"({"metadata":{"labels":{"app.kubernetes.io/name":"z"}}})"},
      {R"({"":{"":1}})", R"([{"op":"replace","path":"//","value":2}])", R"({"":{"":2}})"},
      {R"({})", R"([])", R"({})"},
      // Operations apply in order, seeing earlier results.
      {R"({})", R"([{"op":"add","path":"/a","value":{}},{"op":"add","path":"/a/b","value":1},
                    {"op":"test","path":"/a/b","value":1}])",
       R"({"a":{"b":1}})"},
  };
  for (const JsonPatchCase& c : cases) {
    auto r = ApplyJsonPatch(J(c.target), J(c.patch));
    ASSERT_TRUE(r.ok()) << c.patch << ": " << r.status().ToString();
    EXPECT_TRUE(JsonEqual(*r, J(c.want)))
        << c.patch << " gave " << Serialize(*r) << ", want " << c.want;
  }
}

struct ErrorCase {
  std::string target, patch;
  Reason reason;
  std::string message;
};

TEST(JsonPatchTest, Errors) {
  const std::vector<ErrorCase> cases = {
      // Not a valid patch document: 400.
      {"{}", R"({"op":"add"})", Reason::kBadRequest,
       "invalid JSON patch: the patch must be a JSON array of operations"},
      {"{}", R"([{"op":"frob","path":"/a"}])", Reason::kBadRequest,
       "invalid JSON patch: operation 0: unknown op \"frob\""},
      {"{}", R"([{"path":"/a"}])", Reason::kBadRequest,
       "invalid JSON patch: operation 0: missing \"op\""},
      {"{}", R"([{"op":"add","value":1}])", Reason::kBadRequest,
       "invalid JSON patch: operation 0 (add): missing \"path\""},
      {"{}", R"([{"op":"add","path":"/a"}])", Reason::kBadRequest,
       "invalid JSON patch: operation 0 (add): missing \"value\""},
      {"{}", R"([{"op":"move","path":"/a"}])", Reason::kBadRequest,
       "invalid JSON patch: operation 0 (move): missing \"from\""},
      {"{}", R"([{"op":"add","path":"a","value":1}])", Reason::kBadRequest,
       "invalid JSON patch: operation 0: invalid JSON pointer \"a\": must be empty or start with "
       "'/'"},
      {"{}", R"([{"op":"add","path":"/a~2","value":1}])", Reason::kBadRequest,
       "invalid JSON patch: operation 0: invalid JSON pointer \"/a~2\": '~' must be followed by "
       "'0' or '1'"},
      {"{}", R"([1])", Reason::kBadRequest, "invalid JSON patch: operation 0 is not an object"},
      // Valid patches that do not apply: 422.
      {"{}", R"([{"op":"remove","path":"/a"}])", Reason::kInvalid,
       "remove operation does not apply: doc is missing path: \"/a\""},
      {"{}", R"([{"op":"replace","path":"/a","value":1}])", Reason::kInvalid,
       "replace operation does not apply: doc is missing key: \"/a\""},
      {"{}", R"([{"op":"add","path":"/a/b","value":1}])", Reason::kInvalid,
       "add operation does not apply: doc is missing path: \"/a/b\""},
      {R"({"a":[1]})", R"([{"op":"add","path":"/a/2","value":1}])", Reason::kInvalid,
       "add operation does not apply: index out of range: \"/a/2\""},
      {R"({"a":[1]})", R"([{"op":"add","path":"/a/01","value":1}])", Reason::kInvalid,
       "add operation does not apply: index out of range: \"/a/01\""},
      {R"({"a":[1]})", R"([{"op":"remove","path":"/a/1"}])", Reason::kInvalid,
       "remove operation does not apply: index out of range: \"/a/1\""},
      {R"({"a":1})", R"([{"op":"test","path":"/a","value":"1"}])", Reason::kInvalid,
       "testing value \"/a\" failed: test failed"},
      {R"({"a":{}})", R"([{"op":"move","from":"/a","path":"/a/b"}])", Reason::kInvalid,
       "move operation does not apply: cannot move \"/a\" into its own child \"/a/b\""},
      {R"({})", R"([{"op":"copy","from":"/x","path":"/y"}])", Reason::kInvalid,
       "copy operation does not apply: doc is missing from path: \"/x\""},
  };
  for (const ErrorCase& c : cases) {
    auto r = ApplyJsonPatch(J(c.target), J(c.patch));
    ASSERT_FALSE(r.ok()) << c.patch;
    EXPECT_EQ(r.status().reason(), c.reason) << c.patch;
    EXPECT_EQ(r.status().message(), c.message) << c.patch;
  }
}

TEST(JsonPatchTest, Atomic) {
  const boost::json::value target = J(R"({"a":1,"list":[1,2]})");
  const boost::json::value before = target;
  // The first two operations would apply; the third fails: nothing may change.
  auto r = ApplyJsonPatch(target, J(R"([{"op":"replace","path":"/a","value":2},
                                        {"op":"add","path":"/list/-","value":3},
                                        {"op":"test","path":"/a","value":1}])"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), Reason::kInvalid);
  EXPECT_EQ(target, before);
  // A malformed operation late in the patch is caught before anything applies.
  r = ApplyJsonPatch(target, J(R"([{"op":"remove","path":"/a"},{"op":"nope","path":"/a"}])"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason(), Reason::kBadRequest);
}

TEST(JsonEqualTest, Numbers) {
  EXPECT_TRUE(JsonEqual(J("1"), J("1.0")));
  EXPECT_TRUE(JsonEqual(J("18446744073709551615"), J("18446744073709551615")));
  EXPECT_FALSE(JsonEqual(J("-1"), J("18446744073709551615")));
  EXPECT_FALSE(JsonEqual(J("1"), J("\"1\"")));
  EXPECT_FALSE(JsonEqual(J("[1,2]"), J("[2,1]")));
  EXPECT_TRUE(JsonEqual(J(R"({"a":1,"b":2})"), J(R"({"b":2,"a":1})")));
  EXPECT_FALSE(JsonEqual(J(R"({"a":1})"), J(R"({"a":1,"b":2})")));
}

struct YamlCase {
  std::string yaml;
  std::string want_json;
};

TEST(YamlTest, Typing) {
  const std::vector<YamlCase> cases = {
      {"a: true\nb: false\nc: yes\nd: No\ne: on\nf: OFF\n",
       R"({"a":true,"b":false,"c":true,"d":false,"e":true,"f":false})"},
      {"a: 1\nb: -7\nc: 0x1F\nd: 0o17\ne: 017\nf: 1_000\ng: +5\n",
       R"({"a":1,"b":-7,"c":31,"d":15,"e":15,"f":1000,"g":5})"},
      {"a: 1.5\nb: -0.25\nc: 1e3\nd: .5\ne: 6.02E+23\n",
       R"({"a":1.5,"b":-0.25,"c":1000.0,"d":0.5,"e":6.02e23})"},
      {"a: null\nb: ~\nc:\nd: Null\n", R"({"a":null,"b":null,"c":null,"d":null})"},
      {"a: \"true\"\nb: '1'\nc: \"null\"\nd: !!str 5\ne: \"1.5\"\n",
       R"({"a":"true","b":"1","c":"null","d":"5","e":"1.5"})"},
      {"a: hello world\nb: 1.2.3\nc: 2024-01-01\nd: y\ne: 12abc\nf: \"\"\n",
       R"({"a":"hello world","b":"1.2.3","c":"2024-01-01","d":"y","e":"12abc","f":""})"},
      {"s: |\n  line1\n  line2\nt: >\n  folded\n  text\n",
       R"({"s":"line1\nline2\n","t":"folded text\n"})"},
      {"list:\n- 1\n- a\n- {x: 1}\n- [true, null]\n", R"({"list":[1,"a",{"x":1},[true,null]]})"},
      {"1: a\ntrue: b\n", R"({"1":"a","true":"b"})"},
      {"big: 18446744073709551615\n", R"({"big":18446744073709551615})"},
      {"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: \"v\"\n",
       R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"k":"v"}})"},
      {"anchors:\n  base: &b {a: 1}\n  copy: *b\n",
       R"({"anchors":{"base":{"a":1},"copy":{"a":1}}})"},
      {"a: 1\n---\n", R"({"a":1})"},               // a trailing empty document is fine
      {"{a: 1, b: [x]}", R"({"a":1,"b":["x"]})"},  // flow YAML that is not JSON
      {"", "null"},
  };
  for (const YamlCase& c : cases) {
    auto r = ParseYamlOrJson(c.yaml);
    ASSERT_TRUE(r.ok()) << c.yaml << ": " << r.status().ToString();
    boost::json::value want = J(c.want_json);
    EXPECT_TRUE(JsonEqual(*r, want)) << c.yaml << " gave " << Serialize(*r);
    // Types, not just values: 1 must be an integer, 1000.0 from "1e3" a double.
    if (c.want_json.find("1000.0") != std::string::npos) {
      EXPECT_TRUE(r->at("c").is_double());
    }
  }
  auto ints = ParseYamlOrJson("a: 1\nb: 1.0\n");
  ASSERT_TRUE(ints.ok());
  EXPECT_TRUE(ints->at("a").is_int64());
  EXPECT_TRUE(ints->at("b").is_double());
}

TEST(YamlTest, JsonPassesThrough) {
  auto r = ParseYamlOrJson(R"(  {"a": 1.0, "b": [1, "x"], "c": {"d": null}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Serialize(*r), R"({"a":1E0,"b":[1,"x"],"c":{"d":null}})");
}

TEST(YamlTest, DeepJsonAndYaml) {
  // Deeper than Boost.JSON's default limit of 32, as CRD schemas are.
  std::string json, yaml;
  for (int i = 0; i < 100; ++i) {
    json += R"({"p":)";
    yaml += std::string(static_cast<size_t>(i) * 2, ' ') + "p:\n";
  }
  json += "1";
  for (int i = 0; i < 100; ++i)
    json += "}";
  yaml += std::string(200, ' ') + "1\n";
  auto j = ParseYamlOrJson(json);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  auto y = ParseYamlOrJson(yaml);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_TRUE(JsonEqual(*j, *y));
}

TEST(YamlTest, Errors) {
  for (std::string bad :
       {"a: 1\n---\nb: 2\n", "a: [1, 2\n", "a: .inf\n", "a: b: c\n", "{\"a\": 1,}x"}) {
    auto r = ParseYamlOrJson(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().reason(), Reason::kBadRequest) << bad;
  }
  auto multi = ParseYamlOrJson("a: 1\n---\nb: 2\n");
  EXPECT_NE(multi.status().message().find("multi-document"), std::string::npos);
}

}  // namespace
}  // namespace kcx::api
