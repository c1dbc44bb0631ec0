#include "api/field_selector.h"

#include <algorithm>

namespace kcx::api {
namespace {

std::vector<std::string_view> SplitTerms(std::string_view s) {
  std::vector<std::string_view> terms;
  if (s.empty())
    return terms;
  size_t start = 0;
  bool in_slash = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_slash) {
      in_slash = false;
    } else if (c == '\\') {
      in_slash = true;
    } else if (c == ',') {
      terms.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(s.substr(start));
  return terms;
}

// The first occurrence of an operator splits the term; "!=" and "==" win over "=" at the same
// position. No escaping is supported in the field name.
bool SplitTerm(std::string_view term, std::string_view& lhs, FieldRequirement::Op& op,
               std::string_view& rhs) {
  for (size_t i = 0; i < term.size(); ++i) {
    std::string_view rest = term.substr(i);
    if (rest.substr(0, 2) == "!=") {
      op = FieldRequirement::Op::kNotEquals;
      lhs = term.substr(0, i);
      rhs = rest.substr(2);
      return true;
    }
    if (rest.substr(0, 2) == "==") {
      op = FieldRequirement::Op::kDoubleEquals;
      lhs = term.substr(0, i);
      rhs = rest.substr(2);
      return true;
    }
    if (rest[0] == '=') {
      op = FieldRequirement::Op::kEquals;
      lhs = term.substr(0, i);
      rhs = rest.substr(1);
      return true;
    }
  }
  return false;
}

// Go's string([]rune{'\\', c}) for the rune starting at s[i]: copies one UTF-8 sequence.
std::string_view RuneAt(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
  return s.substr(i, std::min(len, s.size() - i));
}

Result<std::string> UnescapeValue(std::string_view s) {
  if (s.find_first_of("\\,=") == std::string_view::npos)
    return std::string(s);
  std::string out;
  out.reserve(s.size());
  bool in_slash = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_slash) {
      if (c == '\\' || c == ',' || c == '=') {
        out += c;
      } else {
        std::string seq = "\\";
        // Go writes the rune; an invalid byte would print as U+FFFD, valid UTF-8 as itself.
        seq += RuneAt(s, i);
        return BadRequest("invalid field selector: invalid escape sequence: " + seq);
      }
      in_slash = false;
      continue;
    }
    if (c == '\\') {
      in_slash = true;
    } else if (c == ',' || c == '=') {
      return BadRequest("invalid field selector: unescapedRune character in value: " +
                        std::to_string(static_cast<int>(c)));
    } else {
      out += c;
    }
  }
  if (in_slash)
    return BadRequest("invalid field selector: invalid escape sequence: \\");
  return out;
}

}  // namespace

std::string EscapeFieldValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == ',' || c == '=')
      out += '\\';
    out += c;
  }
  return out;
}

Result<FieldSelector> FieldSelector::Parse(std::string_view selector) {
  std::vector<std::string_view> parts = SplitTerms(selector);
  std::sort(parts.begin(), parts.end());
  FieldSelector s;
  for (std::string_view part : parts) {
    if (part.empty())
      continue;
    std::string_view lhs, rhs;
    FieldRequirement::Op op;
    if (!SplitTerm(part, lhs, op, rhs)) {
      return BadRequest("invalid selector: '" + std::string(selector) + "'; can't understand '" +
                        std::string(part) + "'");
    }
    KCX_ASSIGN_OR_RETURN(std::string value, UnescapeValue(rhs));
    s.requirements_.push_back(FieldRequirement{std::string(lhs), op, std::move(value)});
  }
  return s;
}

bool FieldSelector::Matches(
    const std::function<std::optional<std::string>(std::string_view field)>& get) const {
  for (const FieldRequirement& r : requirements_) {
    std::optional<std::string> v = get(r.field);
    std::string_view actual = v ? std::string_view(*v) : std::string_view();
    bool eq = actual == r.value;
    if (r.op == FieldRequirement::Op::kNotEquals ? eq : !eq)
      return false;
  }
  return true;
}

bool FieldSelector::MatchesView(
    const std::function<std::optional<std::string_view>(std::string_view field)>& get) const {
  for (const FieldRequirement& r : requirements_) {
    std::string_view actual = get(r.field).value_or(std::string_view());
    bool eq = actual == r.value;
    if (r.op == FieldRequirement::Op::kNotEquals ? eq : !eq)
      return false;
  }
  return true;
}

std::string FieldSelector::String() const {
  std::string out;
  for (size_t i = 0; i < requirements_.size(); ++i) {
    if (i > 0)
      out += ',';
    const FieldRequirement& r = requirements_[i];
    out += r.field;
    // hasTerm prints "=" whether it was parsed from "=" or "==".
    out += r.op == FieldRequirement::Op::kNotEquals ? "!=" : "=";
    out += EscapeFieldValue(r.value);
  }
  return out;
}

std::optional<std::string> FieldSelector::RequiresExactMatch(std::string_view field) const {
  for (const FieldRequirement& r : requirements_) {
    if (r.field == field && r.op != FieldRequirement::Op::kNotEquals)
      return r.value;
  }
  return std::nullopt;
}

}  // namespace kcx::api
