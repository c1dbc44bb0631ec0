#include "api/label_selector.h"

#include <algorithm>
#include <charconv>

#include "api/validation.h"

namespace kcx::api {
namespace {

// Aggregates field errors as utilerrors.NewAggregate(...).Error(): deduplicated, one message
// as is, several as "[a, b]".
std::string Aggregate(const std::vector<std::string>& errs) {
  std::vector<const std::string*> unique;
  for (const std::string& e : errs) {
    bool dup = false;
    for (const std::string* u : unique)
      dup = dup || *u == e;
    if (!dup)
      unique.push_back(&e);
  }
  if (unique.size() == 1)
    return *unique[0];
  std::string out = "[";
  for (size_t i = 0; i < unique.size(); ++i) {
    if (i > 0)
      out += ", ";
    out += *unique[i];
  }
  out += "]";
  return out;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0)
      out += sep;
    out += v[i];
  }
  return out;
}

// Go's %#v of a []string.
std::string GoStringSlice(const std::vector<std::string>& v) {
  if (v.empty())
    return "[]string(nil)";
  std::string out = "[]string{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0)
      out += ", ";
    out += GoQuote(v[i]);
  }
  out += "}";
  return out;
}

// strconv.ParseInt(s, 10, 64).
bool ParseInt64(std::string_view s, int64_t& out) {
  if (s.empty())
    return false;
  size_t i = 0;
  if (s[0] == '+')
    i = 1;  // from_chars rejects '+'; Go accepts it.
  if (i == s.size())
    return false;
  auto [ptr, ec] = std::from_chars(s.data() + i, s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() &&
         !(i == 1 && s.size() > 1 && s[1] == '-');
}

// labels.NewRequirement: validates and builds. `path` is the field path prefix ("" for nil).
Result<LabelRequirement> NewRequirement(std::string key, SelectionOp op,
                                        std::vector<std::string> vals) {
  std::vector<std::string> errs;
  if (auto key_errs = IsQualifiedName(key); !key_errs.empty()) {
    errs.push_back("key: Invalid value: " + GoQuote(key) + ": " + Join(key_errs, "; "));
  }
  LabelRequirement r;
  switch (op) {
    case SelectionOp::kIn:
    case SelectionOp::kNotIn:
      if (vals.empty()) {
        errs.push_back("values: Invalid value: " + GoStringSlice(vals) +
                       ": for 'in', 'notin' operators, values set can't be empty");
      }
      break;
    case SelectionOp::kEquals:
    case SelectionOp::kDoubleEquals:
    case SelectionOp::kNotEquals:
      if (vals.size() != 1) {
        errs.push_back("values: Invalid value: " + GoStringSlice(vals) +
                       ": exact-match compatibility requires one single value");
      }
      break;
    case SelectionOp::kExists:
    case SelectionOp::kDoesNotExist:
      if (!vals.empty()) {
        errs.push_back("values: Invalid value: " + GoStringSlice(vals) +
                       ": values set must be empty for exists and does not exist");
      }
      break;
    case SelectionOp::kGreaterThan:
    case SelectionOp::kLessThan:
      if (vals.size() != 1) {
        errs.push_back("values: Invalid value: " + GoStringSlice(vals) +
                       ": for 'Gt', 'Lt' operators, exactly one value is required");
      }
      for (size_t i = 0; i < vals.size(); ++i) {
        if (!ParseInt64(vals[i], r.number)) {
          errs.push_back("values[" + std::to_string(i) + "]: Invalid value: " + GoQuote(vals[i]) +
                         ": for 'Gt', 'Lt' operators, the value must be an integer");
        }
      }
      break;
  }
  for (size_t i = 0; i < vals.size(); ++i) {
    if (auto verrs = IsValidLabelValue(vals[i]); !verrs.empty()) {
      errs.push_back("values[" + std::to_string(i) + "][" + key +
                     "]: Invalid value: " + GoQuote(vals[i]) + ": " + Join(verrs, "; "));
    }
  }
  if (!errs.empty())
    return BadRequest(Aggregate(errs));
  r.key = std::move(key);
  r.op = op;
  r.values = std::move(vals);
  return r;
}

// ---- Lexer and parser, following labels/selector.go so errors read the same. ----

enum class Token {
  kError,
  kEnd,
  kClosedPar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Item {
  Token tok;
  std::string lit;
};

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsSpecial(char c) {
  switch (c) {
    case '=':
    case '!':
    case '(':
    case ')':
    case ',':
    case '>':
    case '<':
      return true;
    default:
      return false;
  }
}

bool LookupToken(std::string_view s, Token& tok) {
  static constexpr std::pair<std::string_view, Token> kTokens[] = {
      {")", Token::kClosedPar},     {",", Token::kComma},    {"!", Token::kDoesNotExist},
      {"==", Token::kDoubleEquals}, {"=", Token::kEquals},   {">", Token::kGreaterThan},
      {"in", Token::kIn},           {"<", Token::kLessThan}, {"!=", Token::kNotEquals},
      {"notin", Token::kNotIn},     {"(", Token::kOpenPar},
  };
  for (const auto& [lit, t] : kTokens) {
    if (lit == s) {
      tok = t;
      return true;
    }
  }
  return false;
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Item Lex() {
    char ch = Read();
    while (IsWhitespace(ch))
      ch = Read();
    if (ch == 0)
      return {Token::kEnd, ""};
    Unread();
    if (IsSpecial(ch))
      return ScanSpecial();
    return ScanIdOrKeyword();
  }

 private:
  // A NUL byte ends the input, as in apimachinery's lexer.
  char Read() {
    char b = 0;
    if (pos_ < s_.size())
      b = s_[pos_];
    ++pos_;
    return b;
  }
  void Unread() { --pos_; }

  Item ScanIdOrKeyword() {
    size_t start = pos_;
    while (true) {
      char ch = Read();
      if (ch == 0)
        break;
      if (IsSpecial(ch) || IsWhitespace(ch)) {
        Unread();
        break;
      }
    }
    size_t end = std::min(pos_, s_.size());
    std::string lit(s_.substr(start, end - start));
    if (size_t nul = lit.find('\0'); nul != std::string::npos)
      lit.resize(nul);
    Token tok;
    if (LookupToken(lit, tok))
      return {tok, std::move(lit)};
    return {Token::kIdentifier, std::move(lit)};
  }

  Item ScanSpecial() {
    std::string buffer;
    Item last{Token::kError, ""};
    while (true) {
      char ch = Read();
      if (ch == 0)
        break;
      if (IsSpecial(ch)) {
        buffer += ch;
        Token tok;
        if (LookupToken(buffer, tok)) {
          last = {tok, buffer};
        } else if (last.tok != Token::kError) {
          Unread();
          break;
        }
      } else {
        Unread();
        break;
      }
    }
    if (last.tok == Token::kError) {
      return {Token::kError, "error expected: keyword found '" + buffer + "'"};
    }
    return last;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

enum class Context { kKeyAndOperator, kValues };

class Parser {
 public:
  explicit Parser(std::string_view s) {
    Lexer l(s);
    while (true) {
      items_.push_back(l.Lex());
      if (items_.back().tok == Token::kEnd)
        break;
    }
  }

  Result<std::vector<LabelRequirement>> Parse() {
    std::vector<LabelRequirement> reqs;
    while (true) {
      auto [tok, lit] = Lookahead(Context::kValues);
      switch (tok) {
        case Token::kIdentifier:
        case Token::kDoesNotExist: {
          auto r = ParseRequirement();
          if (!r.ok())
            return BadRequest("unable to parse requirement: " + r.status().message());
          reqs.push_back(std::move(*r));
          auto [t, l] = Consume(Context::kValues);
          if (t == Token::kEnd)
            return reqs;
          if (t == Token::kComma) {
            auto [t2, l2] = Lookahead(Context::kValues);
            if (t2 != Token::kIdentifier && t2 != Token::kDoesNotExist) {
              return BadRequest("found '" + l2 + "', expected: identifier after ','");
            }
            break;
          }
          return BadRequest("found '" + l + "', expected: ',' or 'end of string'");
        }
        case Token::kEnd:
          return reqs;
        default:
          return BadRequest("found '" + lit + "', expected: !, identifier, or 'end of string'");
      }
    }
  }

 private:
  std::pair<Token, std::string> Lookahead(Context ctx) const {
    const Item& it = items_[pos_];
    return {Map(it.tok, ctx), it.lit};
  }
  std::pair<Token, std::string> Consume(Context ctx) {
    const Item& it = items_[pos_];
    if (pos_ + 1 < items_.size())
      ++pos_;
    return {Map(it.tok, ctx), it.lit};
  }
  static Token Map(Token t, Context ctx) {
    if (ctx == Context::kValues && (t == Token::kIn || t == Token::kNotIn)) {
      return Token::kIdentifier;
    }
    return t;
  }

  Result<LabelRequirement> ParseRequirement() {
    // parseKeyAndInferOperator
    std::optional<SelectionOp> op;
    auto [tok, key] = Consume(Context::kValues);
    if (tok == Token::kDoesNotExist) {
      op = SelectionOp::kDoesNotExist;
      std::tie(tok, key) = Consume(Context::kValues);
    }
    if (tok != Token::kIdentifier)
      return BadRequest("found '" + key + "', expected: identifier");
    if (auto errs = IsQualifiedName(key); !errs.empty()) {
      return BadRequest("<nil>: Invalid value: " + GoQuote(key) + ": " + Join(errs, "; "));
    }
    if (auto [t, l] = Lookahead(Context::kValues); t == Token::kEnd || t == Token::kComma) {
      if (!op)
        op = SelectionOp::kExists;
    }
    if (op)
      return NewRequirement(std::move(key), *op, {});

    // parseOperator
    auto [optok, oplit] = Consume(Context::kKeyAndOperator);
    SelectionOp sop;
    switch (optok) {
      case Token::kIn:
        sop = SelectionOp::kIn;
        break;
      case Token::kEquals:
        sop = SelectionOp::kEquals;
        break;
      case Token::kDoubleEquals:
        sop = SelectionOp::kDoubleEquals;
        break;
      case Token::kGreaterThan:
        sop = SelectionOp::kGreaterThan;
        break;
      case Token::kLessThan:
        sop = SelectionOp::kLessThan;
        break;
      case Token::kNotIn:
        sop = SelectionOp::kNotIn;
        break;
      case Token::kNotEquals:
        sop = SelectionOp::kNotEquals;
        break;
      default:
        return BadRequest("found '" + oplit + "', expected: in, notin, =, ==, !=, gt, lt");
    }
    std::vector<std::string> values;
    if (sop == SelectionOp::kIn || sop == SelectionOp::kNotIn) {
      KCX_RETURN_IF_ERROR(ParseValues(values));
    } else {
      KCX_RETURN_IF_ERROR(ParseExactValue(values));
    }
    // sets.String.List(): sorted and unique.
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    return NewRequirement(std::move(key), sop, std::move(values));
  }

  Status ParseValues(std::vector<std::string>& out) {
    auto [tok, lit] = Consume(Context::kValues);
    if (tok != Token::kOpenPar)
      return BadRequest("found '" + lit + "' expected: '('");
    std::tie(tok, lit) = Lookahead(Context::kValues);
    switch (tok) {
      case Token::kIdentifier:
      case Token::kComma: {
        KCX_RETURN_IF_ERROR(ParseIdentifiersList(out));
        if (Consume(Context::kValues).first != Token::kClosedPar) {
          return BadRequest("found '" + lit + "', expected: ')'");
        }
        return Status::Ok();
      }
      case Token::kClosedPar:
        Consume(Context::kValues);
        out.emplace_back();
        return Status::Ok();
      default:
        return BadRequest("found '" + lit + "', expected: ',', ')' or identifier");
    }
  }

  Status ParseIdentifiersList(std::vector<std::string>& out) {
    while (true) {
      auto [tok, lit] = Consume(Context::kValues);
      switch (tok) {
        case Token::kIdentifier: {
          out.push_back(std::move(lit));
          auto [tok2, lit2] = Lookahead(Context::kValues);
          if (tok2 == Token::kComma)
            continue;
          if (tok2 == Token::kClosedPar)
            return Status::Ok();
          return BadRequest("found '" + lit2 + "', expected: ',' or ')'");
        }
        case Token::kComma: {
          if (out.empty())
            out.emplace_back();  // "(,"
          Token tok2 = Lookahead(Context::kValues).first;
          if (tok2 == Token::kClosedPar) {
            out.emplace_back();  // ",)"
            return Status::Ok();
          }
          if (tok2 == Token::kComma)
            out.emplace_back();  // ",,"
          break;
        }
        default:
          return BadRequest("found '" + lit + "', expected: ',', or identifier");
      }
    }
  }

  Status ParseExactValue(std::vector<std::string>& out) {
    Token tok = Lookahead(Context::kValues).first;
    if (tok == Token::kEnd || tok == Token::kComma) {
      out.emplace_back();
      return Status::Ok();
    }
    auto [t, lit] = Consume(Context::kValues);
    if (t == Token::kIdentifier) {
      out.push_back(std::move(lit));
      return Status::Ok();
    }
    return BadRequest("found '" + lit + "', expected: identifier");
  }

  std::vector<Item> items_;
  size_t pos_ = 0;
};

const std::string* Lookup(const LabelSet& labels, std::string_view key) {
  auto it = std::lower_bound(
      labels.begin(), labels.end(), key,
      [](const std::pair<std::string, std::string>& p, std::string_view k) { return p.first < k; });
  if (it == labels.end() || it->first != key)
    return nullptr;
  return &it->second;
}

bool HasValue(const std::vector<std::string>& values, std::string_view v) {
  for (const std::string& x : values) {
    if (x == v)
      return true;
  }
  return false;
}

void SortByKey(std::vector<LabelRequirement>& reqs) {
  std::stable_sort(
      reqs.begin(), reqs.end(),
      [](const LabelRequirement& a, const LabelRequirement& b) { return a.key < b.key; });
}

}  // namespace

LabelSet LabelSetFromJson(const boost::json::value* labels) {
  LabelSet out;
  if (labels == nullptr)
    return out;
  const boost::json::object* o = labels->if_object();
  if (o == nullptr)
    return out;
  out.reserve(o->size());
  for (const auto& kv : *o) {
    if (const boost::json::string* s = kv.value().if_string()) {
      out.emplace_back(std::string(kv.key()), std::string(*s));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // Boost.JSON objects may hold duplicate keys from a non-conforming producer; keep the first.
  out.erase(std::unique(out.begin(), out.end(),
                        [](const auto& a, const auto& b) { return a.first == b.first; }),
            out.end());
  return out;
}

namespace {

// The matching rule of labels.Requirement.Matches, over any label lookup that returns a
// pointer-like value (nullptr when the label is absent).
template <typename Value>
bool MatchValue(const LabelRequirement& r, const Value* v) {
  switch (r.op) {
    case SelectionOp::kIn:
    case SelectionOp::kEquals:
    case SelectionOp::kDoubleEquals:
      return v != nullptr && HasValue(r.values, std::string_view(*v));
    case SelectionOp::kNotIn:
    case SelectionOp::kNotEquals:
      return v == nullptr || !HasValue(r.values, std::string_view(*v));
    case SelectionOp::kExists:
      return v != nullptr;
    case SelectionOp::kDoesNotExist:
      return v == nullptr;
    case SelectionOp::kGreaterThan:
    case SelectionOp::kLessThan: {
      int64_t n;
      if (v == nullptr || !ParseInt64(std::string_view(*v), n))
        return false;
      return r.op == SelectionOp::kGreaterThan ? n > r.number : n < r.number;
    }
  }
  return false;
}

const boost::json::string* LookupJson(const boost::json::object* labels, std::string_view key) {
  if (labels == nullptr)
    return nullptr;
  const boost::json::value* v = labels->if_contains(key);
  return v == nullptr ? nullptr : v->if_string();
}

}  // namespace

bool LabelRequirement::Matches(const LabelSet& labels) const {
  return MatchValue(*this, Lookup(labels, key));
}

bool LabelRequirement::MatchesJson(const boost::json::object* labels) const {
  return MatchValue(*this, LookupJson(labels, key));
}

std::string LabelRequirement::String() const {
  std::string out;
  if (op == SelectionOp::kDoesNotExist)
    out += '!';
  out += key;
  switch (op) {
    case SelectionOp::kEquals:
      out += '=';
      break;
    case SelectionOp::kDoubleEquals:
      out += "==";
      break;
    case SelectionOp::kNotEquals:
      out += "!=";
      break;
    case SelectionOp::kIn:
      out += " in ";
      break;
    case SelectionOp::kNotIn:
      out += " notin ";
      break;
    case SelectionOp::kGreaterThan:
      out += '>';
      break;
    case SelectionOp::kLessThan:
      out += '<';
      break;
    case SelectionOp::kExists:
    case SelectionOp::kDoesNotExist:
      return out;
  }
  bool set = op == SelectionOp::kIn || op == SelectionOp::kNotIn;
  if (set)
    out += '(';
  if (values.size() == 1) {
    out += values[0];
  } else {
    std::vector<std::string> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    out += Join(sorted, ",");
  }
  if (set)
    out += ')';
  return out;
}

Result<LabelSelector> LabelSelector::Parse(std::string_view selector) {
  Parser p(selector);
  KCX_ASSIGN_OR_RETURN(auto reqs, p.Parse());
  SortByKey(reqs);
  LabelSelector s;
  s.requirements_ = std::move(reqs);
  return s;
}

Result<LabelSelector> LabelSelector::FromJson(const boost::json::value& selector) {
  if (selector.is_null())
    return Nothing();
  const boost::json::object* o = selector.if_object();
  if (o == nullptr)
    return BadRequest("label selector must be an object");
  std::vector<LabelRequirement> reqs;
  if (const boost::json::value* ml = o->if_contains("matchLabels"); ml && !ml->is_null()) {
    const boost::json::object* mo = ml->if_object();
    if (mo == nullptr)
      return BadRequest("matchLabels must be an object of strings");
    std::vector<std::pair<std::string_view, const boost::json::value*>> sorted;
    for (const auto& kv : *mo)
      sorted.emplace_back(kv.key(), &kv.value());
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [k, v] : sorted) {
      if (!v->is_string())
        return BadRequest("matchLabels must be an object of strings");
      KCX_ASSIGN_OR_RETURN(auto r, NewRequirement(std::string(k), SelectionOp::kEquals,
                                                  {std::string(v->get_string())}));
      reqs.push_back(std::move(r));
    }
  }
  if (const boost::json::value* me = o->if_contains("matchExpressions"); me && !me->is_null()) {
    const boost::json::array* arr = me->if_array();
    if (arr == nullptr)
      return BadRequest("matchExpressions must be an array");
    for (const boost::json::value& ev : *arr) {
      const boost::json::object* e = ev.if_object();
      if (e == nullptr)
        return BadRequest("matchExpressions items must be objects");
      std::string key, op_str;
      if (const auto* k = e->if_contains("key"); k && k->is_string())
        key = k->get_string();
      if (const auto* op = e->if_contains("operator"); op && op->is_string()) {
        op_str = op->get_string();
      }
      std::vector<std::string> values;
      if (const auto* vs = e->if_contains("values"); vs && !vs->is_null()) {
        const boost::json::array* va = vs->if_array();
        if (va == nullptr)
          return BadRequest("matchExpressions values must be an array of strings");
        for (const auto& x : *va) {
          if (!x.is_string()) {
            return BadRequest("matchExpressions values must be an array of strings");
          }
          values.emplace_back(x.get_string());
        }
      }
      SelectionOp op;
      if (op_str == "In") {
        op = SelectionOp::kIn;
      } else if (op_str == "NotIn") {
        op = SelectionOp::kNotIn;
      } else if (op_str == "Exists") {
        op = SelectionOp::kExists;
      } else if (op_str == "DoesNotExist") {
        op = SelectionOp::kDoesNotExist;
      } else {
        return BadRequest(GoQuote(op_str) + " is not a valid label selector operator");
      }
      KCX_ASSIGN_OR_RETURN(auto r, NewRequirement(std::move(key), op, std::move(values)));
      reqs.push_back(std::move(r));
    }
  }
  SortByKey(reqs);
  LabelSelector s;
  s.requirements_ = std::move(reqs);
  return s;
}

LabelSelector LabelSelector::Nothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

bool LabelSelector::Matches(const LabelSet& labels) const {
  if (nothing_)
    return false;
  for (const LabelRequirement& r : requirements_) {
    if (!r.Matches(labels))
      return false;
  }
  return true;
}

bool LabelSelector::MatchesJson(const boost::json::value* labels) const {
  if (nothing_)
    return false;
  const boost::json::object* o = labels == nullptr ? nullptr : labels->if_object();
  for (const LabelRequirement& r : requirements_) {
    if (!r.MatchesJson(o))
      return false;
  }
  return true;
}

std::string LabelSelector::String() const {
  std::string out;
  for (size_t i = 0; i < requirements_.size(); ++i) {
    if (i > 0)
      out += ',';
    out += requirements_[i].String();
  }
  return out;
}

std::optional<std::string> LabelSelector::RequiresExactMatch(std::string_view key) const {
  for (const LabelRequirement& r : requirements_) {
    if (r.key != key)
      continue;
    if ((r.op == SelectionOp::kEquals || r.op == SelectionOp::kDoubleEquals ||
         r.op == SelectionOp::kIn) &&
        r.values.size() == 1) {
      return r.values[0];
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace kcx::api
