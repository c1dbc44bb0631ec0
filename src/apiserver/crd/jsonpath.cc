#include "apiserver/crd/jsonpath.h"

#include <charconv>

#include "common/strings.h"

namespace kcx::apiserver::crd {

namespace json = boost::json;

namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Status ParseSteps(std::vector<JsonPath::Step>& out, bool in_filter) {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (in_filter && (c == ' ' || c == '=' || c == '!' || c == '<' || c == '>' || c == ')')) {
        return Status::Ok();
      }
      if (c == '.') {
        ++i_;
        if (i_ < s_.size() && s_[i_] == '*') {
          ++i_;
          out.push_back({JsonPath::Step::kWildcard});
          continue;
        }
        size_t start = i_;
        while (i_ < s_.size() && s_[i_] != '.' && s_[i_] != '[' &&
               !(in_filter && (s_[i_] == ' ' || s_[i_] == '=' || s_[i_] == '!' || s_[i_] == '<' ||
                               s_[i_] == '>' || s_[i_] == ')'))) {
          ++i_;
        }
        if (i_ == start) {
          if (i_ == s_.size() && out.empty())
            return Status::Ok();  // "." alone: the root
          return Bad("empty field name");
        }
        JsonPath::Step st;
        st.kind = JsonPath::Step::kField;
        st.field = std::string(s_.substr(start, i_ - start));
        out.push_back(std::move(st));
        continue;
      }
      if (c == '[') {
        ++i_;
        KCX_RETURN_IF_ERROR(ParseBracket(out));
        continue;
      }
      return Bad(std::string("unexpected character '") + c + "'");
    }
    return Status::Ok();
  }

  Status ParseBracket(std::vector<JsonPath::Step>& out) {
    if (i_ >= s_.size())
      return Bad("unterminated [");
    char c = s_[i_];
    if (c == '*') {
      ++i_;
      KCX_RETURN_IF_ERROR(Expect(']'));
      out.push_back({JsonPath::Step::kWildcard});
      return Status::Ok();
    }
    if (c == '\'' || c == '"') {
      JsonPath::Step st;
      st.kind = JsonPath::Step::kField;
      KCX_ASSIGN_OR_RETURN(st.field, Quoted());
      KCX_RETURN_IF_ERROR(Expect(']'));
      out.push_back(std::move(st));
      return Status::Ok();
    }
    if (c == '?') {
      ++i_;
      KCX_RETURN_IF_ERROR(Expect('('));
      SkipSpaces();
      KCX_RETURN_IF_ERROR(Expect('@'));
      JsonPath::Step st;
      st.kind = JsonPath::Step::kFilter;
      KCX_RETURN_IF_ERROR(ParseSteps(st.filter_path, true));
      SkipSpaces();
      size_t start = i_;
      while (i_ < s_.size() && (s_[i_] == '=' || s_[i_] == '!' || s_[i_] == '<' || s_[i_] == '>')) {
        ++i_;
      }
      st.op = std::string(s_.substr(start, i_ - start));
      if (!st.op.empty()) {
        if (st.op != "==" && st.op != "!=" && st.op != "<" && st.op != "<=" && st.op != ">" &&
            st.op != ">=") {
          return Bad("unsupported operator " + st.op);
        }
        SkipSpaces();
        KCX_ASSIGN_OR_RETURN(st.literal, Literal());
        SkipSpaces();
      }
      KCX_RETURN_IF_ERROR(Expect(')'));
      KCX_RETURN_IF_ERROR(Expect(']'));
      out.push_back(std::move(st));
      return Status::Ok();
    }
    size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-')
      ++i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9')
      ++i_;
    if (i_ == start)
      return Bad("invalid array index");
    JsonPath::Step st;
    st.kind = JsonPath::Step::kIndex;
    std::string num(s_.substr(start, i_ - start));
    st.index = std::stoll(num);
    if (i_ < s_.size() && s_[i_] == ':')
      return Bad("array slices are not supported");
    KCX_RETURN_IF_ERROR(Expect(']'));
    out.push_back(std::move(st));
    return Status::Ok();
  }

  Result<json::value> Literal() {
    if (i_ >= s_.size())
      return Bad("missing literal");
    char c = s_[i_];
    if (c == '\'' || c == '"') {
      KCX_ASSIGN_OR_RETURN(std::string q, Quoted());
      return json::value(json::string(q));
    }
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ')' && s_[i_] != ' ')
      ++i_;
    std::string_view tok = s_.substr(start, i_ - start);
    if (tok == "true")
      return json::value(true);
    if (tok == "false")
      return json::value(false);
    if (tok == "nil" || tok == "null")
      return json::value(nullptr);
    double d = 0;
    auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), d);
    if (ec != std::errc() || p != tok.data() + tok.size())
      return Bad("invalid literal");
    return json::value(d);
  }

  Result<std::string> Quoted() {
    char q = s_[i_++];
    std::string out;
    while (i_ < s_.size() && s_[i_] != q) {
      if (s_[i_] == '\\' && i_ + 1 < s_.size())
        ++i_;
      out.push_back(s_[i_++]);
    }
    if (i_ >= s_.size())
      return Bad("unterminated quote");
    ++i_;
    return out;
  }

  Status Expect(char c) {
    if (i_ >= s_.size() || s_[i_] != c)
      return Bad(std::string("expected '") + c + "'");
    ++i_;
    return Status::Ok();
  }
  void SkipSpaces() {
    while (i_ < s_.size() && s_[i_] == ' ')
      ++i_;
  }
  Status Bad(const std::string& why) const {
    return BadRequest("invalid JSONPath " + std::string(s_) + ": " + why);
  }
  bool AtEnd() const { return i_ == s_.size(); }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

std::optional<double> Num(const json::value& v) {
  if (v.is_int64())
    return static_cast<double>(v.get_int64());
  if (v.is_uint64())
    return static_cast<double>(v.get_uint64());
  if (v.is_double())
    return v.get_double();
  return std::nullopt;
}

void EvalSteps(const std::vector<JsonPath::Step>& steps, size_t i, const json::value& cur,
               std::vector<const json::value*>& out);

bool FilterMatches(const JsonPath::Step& st, const json::value& item) {
  std::vector<const json::value*> got;
  EvalSteps(st.filter_path, 0, item, got);
  if (st.op.empty())
    return !got.empty();
  if (got.empty())
    return st.op == "!=";
  const json::value& v = *got.front();
  auto a = Num(v), b = Num(st.literal);
  int cmp;
  if (a && b) {
    cmp = *a < *b ? -1 : (*a > *b ? 1 : 0);
  } else if (v.is_string() && st.literal.is_string()) {
    cmp = v.get_string().compare(st.literal.get_string());
    cmp = cmp < 0 ? -1 : (cmp > 0 ? 1 : 0);
  } else {
    bool eq = v == st.literal;
    if (st.op == "==")
      return eq;
    if (st.op == "!=")
      return !eq;
    return false;
  }
  if (st.op == "==")
    return cmp == 0;
  if (st.op == "!=")
    return cmp != 0;
  if (st.op == "<")
    return cmp < 0;
  if (st.op == "<=")
    return cmp <= 0;
  if (st.op == ">")
    return cmp > 0;
  return cmp >= 0;
}

void EvalSteps(const std::vector<JsonPath::Step>& steps, size_t i, const json::value& cur,
               std::vector<const json::value*>& out) {
  if (i == steps.size()) {
    out.push_back(&cur);
    return;
  }
  const JsonPath::Step& st = steps[i];
  switch (st.kind) {
    case JsonPath::Step::kField:
      if (const json::object* o = cur.if_object()) {
        if (const json::value* v = o->if_contains(st.field))
          EvalSteps(steps, i + 1, *v, out);
      }
      return;
    case JsonPath::Step::kIndex:
      if (const json::array* a = cur.if_array()) {
        int64_t n = static_cast<int64_t>(a->size());
        int64_t idx = st.index < 0 ? n + st.index : st.index;
        if (idx >= 0 && idx < n)
          EvalSteps(steps, i + 1, (*a)[idx], out);
      }
      return;
    case JsonPath::Step::kWildcard:
      if (const json::array* a = cur.if_array()) {
        for (const auto& x : *a)
          EvalSteps(steps, i + 1, x, out);
      } else if (const json::object* o = cur.if_object()) {
        for (const auto& kv : *o)
          EvalSteps(steps, i + 1, kv.value(), out);
      }
      return;
    case JsonPath::Step::kFilter:
      if (const json::array* a = cur.if_array()) {
        for (const auto& x : *a) {
          if (FilterMatches(st, x))
            EvalSteps(steps, i + 1, x, out);
        }
      }
      return;
  }
}

}  // namespace

Result<JsonPath> JsonPath::Parse(std::string_view expr) {
  expr = Trim(expr);
  if (expr.size() >= 2 && expr.front() == '{' && expr.back() == '}') {
    expr = Trim(expr.substr(1, expr.size() - 2));
  }
  if (expr.empty())
    return BadRequest("invalid JSONPath: empty");
  Parser p(expr);
  auto steps = std::make_shared<std::vector<Step>>();
  if (expr.front() != '.' && expr.front() != '[') {
    return BadRequest("invalid JSONPath " + std::string(expr) + ": must start with . or [");
  }
  KCX_RETURN_IF_ERROR(p.ParseSteps(*steps, false));
  if (!p.AtEnd())
    return BadRequest("invalid JSONPath " + std::string(expr));
  JsonPath jp;
  jp.steps_ = std::move(steps);
  return jp;
}

std::vector<const json::value*> JsonPath::Eval(const json::value& root) const {
  std::vector<const json::value*> out;
  if (steps_)
    EvalSteps(*steps_, 0, root, out);
  return out;
}

const json::value* JsonPath::First(const json::value& root) const {
  auto all = Eval(root);
  return all.empty() ? nullptr : all.front();
}

}  // namespace kcx::apiserver::crd
