#include "apiserver/registry/util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "common/strings.h"

namespace kcx::apiserver::reg {

// ---------------------------------------------------------------------------------------------
// JSON access

const json::object* Obj(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it == o.end() ? nullptr : it->value().if_object();
}

const json::object& EmptyObject() {
  static const json::object kEmpty;
  return kEmpty;
}

const json::object& ObjOrEmpty(const json::object& o, std::string_view k) {
  const json::object* p = Obj(o, k);
  return p ? *p : EmptyObject();
}

std::string CreatedSince(const json::object& obj, TimePoint now) {
  const json::object* m = Obj(obj, "metadata");
  return Since(m ? Str(*m, "creationTimestamp") : "", now);
}

json::object* MutObj(json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it == o.end() ? nullptr : it->value().if_object();
}

const json::array* Arr(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it == o.end() ? nullptr : it->value().if_array();
}

json::array* MutArr(json::object& o, std::string_view k) {
  auto it = o.find(k);
  return it == o.end() ? nullptr : it->value().if_array();
}

std::string_view Str(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  if (it == o.end())
    return {};
  const json::string* s = it->value().if_string();
  return s ? std::string_view(*s) : std::string_view();
}

const json::value* Val(const json::object& o, std::string_view k) {
  auto it = o.find(k);
  if (it == o.end() || it->value().is_null())
    return nullptr;
  return &it->value();
}

bool IsSet(const json::object& o, std::string_view k) { return Val(o, k) != nullptr; }

std::optional<int64_t> Int(const json::object& o, std::string_view k) {
  const json::value* v = Val(o, k);
  if (!v)
    return std::nullopt;
  if (v->is_int64())
    return v->get_int64();
  if (v->is_uint64())
    return static_cast<int64_t>(v->get_uint64());
  if (v->is_double()) {
    double d = v->get_double();
    if (std::trunc(d) == d && std::fabs(d) < 9.2e18)
      return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

bool Bool(const json::object& o, std::string_view k, bool def) {
  const json::value* v = Val(o, k);
  if (!v || !v->is_bool())
    return def;
  return v->get_bool();
}

json::object& Ensure(json::object& o, std::string_view k) {
  json::value& v = o[k];
  if (!v.is_object())
    v = json::object();
  return v.get_object();
}

void SetIfMissing(json::object& o, std::string_view k, json::value v) {
  auto it = o.find(k);
  if (it == o.end() || it->value().is_null())
    o[k] = std::move(v);
}

void SetIfEmptyString(json::object& o, std::string_view k, std::string_view v) {
  auto it = o.find(k);
  if (it == o.end() || it->value().is_null() ||
      (it->value().is_string() && it->value().get_string().empty())) {
    o[k] = v;
  }
}

std::string_view MetaName(const json::object& obj) {
  const json::object* m = Obj(obj, "metadata");
  return m ? Str(*m, "name") : std::string_view();
}

std::string_view MetaNamespace(const json::object& obj) {
  const json::object* m = Obj(obj, "metadata");
  return m ? Str(*m, "namespace") : std::string_view();
}

std::optional<std::string> MetaField(const json::object& obj, std::string_view field) {
  if (field == "metadata.name")
    return std::string(MetaName(obj));
  if (field == "metadata.namespace")
    return std::string(MetaNamespace(obj));
  return std::nullopt;
}

bool SameMember(const json::object& a, const json::object& b, std::string_view k) {
  const json::value* x = Val(a, k);
  const json::value* y = Val(b, k);
  if (!x || !y)
    return !x && !y;
  return *x == *y;
}

// ---------------------------------------------------------------------------------------------
// Field errors

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string Child(const std::string& path, std::string_view name) {
  if (path.empty())
    return std::string(name);
  std::string out;
  out.reserve(path.size() + 1 + name.size());
  out += path;
  out += '.';
  out += name;
  return out;
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string Key(const std::string& path, std::string_view key) {
  std::string out = path;
  out += '[';
  out += key;
  out += ']';
  return out;
}

std::string Repr(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return Quote(v.get_string());
    case json::kind::null:
      return "null";
    default:
      return json::serialize(v);
  }
}

namespace {
StatusCause MakeCause(std::string type, std::string field, std::string body,
                      std::string_view detail) {
  if (!detail.empty()) {
    body += ": ";
    body += detail;
  }
  return StatusCause{std::move(type), std::move(body), std::move(field)};
}
}  // namespace

void Errors::Required(const std::string& field, std::string_view detail) {
  causes_.push_back(MakeCause("FieldValueRequired", field, "Required value", detail));
}

void Errors::Invalid(const std::string& field, const std::string& value_repr,
                     std::string_view detail) {
  causes_.push_back(MakeCause("FieldValueInvalid", field, "Invalid value: " + value_repr, detail));
}

void Errors::NotSupported(const std::string& field, std::string_view value,
                          const std::vector<std::string_view>& supported) {
  std::string detail;
  if (!supported.empty()) {
    detail = "supported values: ";
    for (size_t i = 0; i < supported.size(); ++i) {
      if (i)
        detail += ", ";
      detail += Quote(supported[i]);
    }
  }
  causes_.push_back(
      MakeCause("FieldValueNotSupported", field, "Unsupported value: " + Quote(value), detail));
}

void Errors::Forbidden(const std::string& field, std::string_view detail) {
  causes_.push_back(MakeCause("FieldValueForbidden", field, "Forbidden", detail));
}

void Errors::Duplicate(const std::string& field, const std::string& value_repr) {
  causes_.push_back(MakeCause("FieldValueDuplicate", field, "Duplicate value: " + value_repr, ""));
}

void Errors::NotFound(const std::string& field, const std::string& value_repr) {
  causes_.push_back(MakeCause("FieldValueNotFound", field, "Not found: " + value_repr, ""));
}

void Errors::TooLong(const std::string& field, std::string_view detail) {
  causes_.push_back(MakeCause("FieldValueTooLong", field, "Too long", detail));
}

// ---------------------------------------------------------------------------------------------
// Name and key rules

namespace {
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string MaxLenMsg(size_t n) {
  return "must be no more than " + std::to_string(n) + " characters";
}

constexpr std::string_view kLabelValueMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value', "
    " or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
constexpr std::string_view kConfigKeyMsg =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
    "'[-._a-zA-Z0-9]+')";

bool MatchesQualifiedPart(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back()))
    return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.')
      return false;
  }
  return true;
}
}  // namespace





std::vector<std::string> IsConfigMapKey(std::string_view s) {
  std::vector<std::string> errs;
  if (s.size() > 253)
    errs.push_back(MaxLenMsg(253));
  bool ok = !s.empty();
  for (char c : s) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.')
      ok = false;
  }
  if (!ok)
    errs.emplace_back(kConfigKeyMsg);
  if (s == ".")
    errs.push_back("must not be '.'");
  if (s == "..") {
    errs.push_back("must not be '..'");
  } else if (StartsWith(s, "..")) {
    errs.push_back("must not start with '..'");
  }
  return errs;
}

std::vector<std::string> IsValidPortName(std::string_view s) {
  std::vector<std::string> errs;
  if (s.size() > 15)
    errs.push_back(MaxLenMsg(15));
  bool chars_ok = true, has_letter = false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-')
      chars_ok = false;
    if (c >= 'a' && c <= 'z')
      has_letter = true;
  }
  if (!chars_ok)
    errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (s.find("--") != std::string_view::npos) {
    errs.push_back("must not contain consecutive hyphens");
  }
  if (!s.empty() && (s.front() == '-' || s.back() == '-')) {
    errs.push_back("must not begin or end with a hyphen");
  }
  if (!has_letter)
    errs.push_back("must contain at least one letter (a-z)");
  return errs;
}

bool IsIpv6(std::string_view s) { return s.find(':') != std::string_view::npos; }

bool IsValidIp(std::string_view s) {
  if (s.empty())
    return false;
  if (IsIpv6(s)) {
    // Structural check: hex groups separated by ':', at most one "::", optional dotted tail.
    int groups = 0;
    bool dcolon = s.find("::") != std::string_view::npos;
    if (dcolon && s.find("::", s.find("::") + 1) != std::string_view::npos)
      return false;
    for (std::string_view g : Split(s, ':')) {
      if (g.empty())
        continue;
      if (g.size() > 4)
        return false;
      for (char c : g) {
        if (!std::isxdigit(static_cast<unsigned char>(c)))
          return false;
      }
      ++groups;
    }
    return dcolon ? groups < 8 : groups == 8;
  }
  auto parts = Split(s, '.');
  if (parts.size() != 4)
    return false;
  for (std::string_view p : parts) {
    if (p.empty() || p.size() > 3)
      return false;
    if (p.size() > 1 && p[0] == '0')
      return false;  // kube rejects leading zeros
    int v = 0;
    for (char c : p) {
      if (c < '0' || c > '9')
        return false;
      v = v * 10 + (c - '0');
    }
    if (v > 255)
      return false;
  }
  return true;
}

void ValidateLabels(const json::object& labels, const std::string& path, Errors& errs) {
  for (const auto& kv : labels) {
    std::string_view k = kv.key();
    for (auto& e : IsQualifiedName(k))
      errs.InvalidStr(path, k, e);
    if (!kv.value().is_string())
      continue;
    std::string_view v = kv.value().get_string();
    if (v.size() > 63)
      errs.InvalidStr(Key(path, k), v, MaxLenMsg(63));
    if (!v.empty() && !MatchesQualifiedPart(v))
      errs.InvalidStr(Key(path, k), v, kLabelValueMsg);
  }
}

// ---------------------------------------------------------------------------------------------
// Quantities

std::optional<long double> ParseQuantity(std::string_view s) {
  if (s.empty())
    return std::nullopt;
  size_t i = 0;
  bool neg = false;
  if (s[i] == '+' || s[i] == '-') {
    neg = s[i] == '-';
    ++i;
  }
  long double mant = 0;
  bool digits = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    mant = mant * 10 + (s[i] - '0');
    digits = true;
    ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    long double scale = 0.1L;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      mant += scale * (s[i] - '0');
      scale /= 10;
      digits = true;
      ++i;
    }
  }
  if (!digits)
    return std::nullopt;
  std::string_view suffix = s.substr(i);
  long double mult = 1;
  static const std::map<std::string_view, long double> kSuffixes = {{"", 1},
                                                                    {"n", 1e-9L},
                                                                    {"u", 1e-6L},
                                                                    {"m", 1e-3L},
                                                                    {"k", 1e3L},
                                                                    {"M", 1e6L},
                                                                    {"G", 1e9L},
                                                                    {"T", 1e12L},
                                                                    {"P", 1e15L},
                                                                    {"E", 1e18L},
                                                                    {"Ki", 1024.0L},
                                                                    {"Mi", 1048576.0L},
                                                                    {"Gi", 1073741824.0L},
                                                                    {"Ti", 1099511627776.0L},
                                                                    {"Pi", 1125899906842624.0L},
                                                                    {"Ei", 1152921504606846976.0L}};
  auto it = kSuffixes.find(suffix);
  if (it != kSuffixes.end()) {
    mult = it->second;
  } else if (suffix[0] == 'e' || suffix[0] == 'E') {
    std::string_view ex = suffix.substr(1);
    bool eneg = false;
    if (!ex.empty() && (ex[0] == '+' || ex[0] == '-')) {
      eneg = ex[0] == '-';
      ex.remove_prefix(1);
    }
    if (ex.empty() || ex.size() > 4)
      return std::nullopt;
    int e = 0;
    for (char c : ex) {
      if (c < '0' || c > '9')
        return std::nullopt;
      e = e * 10 + (c - '0');
    }
    mult = std::pow(10.0L, eneg ? -e : e);
  } else {
    return std::nullopt;
  }
  long double v = mant * mult;
  return neg ? -v : v;
}

std::optional<long double> QuantityValue(const json::value& v) {
  if (v.is_string())
    return ParseQuantity(v.get_string());
  if (v.is_int64())
    return static_cast<long double>(v.get_int64());
  if (v.is_uint64())
    return static_cast<long double>(v.get_uint64());
  if (v.is_double())
    return static_cast<long double>(v.get_double());
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// IntOrString

void ValidatePositiveIntOrPercent(const json::value& v, const std::string& path, Errors& errs) {
  if (v.is_int64() || v.is_uint64()) {
    int64_t n = v.is_int64() ? v.get_int64() : static_cast<int64_t>(v.get_uint64());
    if (n < 0)
      errs.InvalidInt(path, n, "must be greater than or equal to 0");
    return;
  }
  if (v.is_string()) {
    std::string_view s = v.get_string();
    bool ok = s.size() >= 2 && s.back() == '%';
    int64_t n = 0;
    for (size_t i = 0; ok && i + 1 < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') {
        ok = false;
      } else {
        n = n * 10 + (s[i] - '0');
        if (n > 100000)
          ok = false;
      }
    }
    if (!ok) {
      errs.InvalidStr(path, s,
                      "a valid percent string must be a numeric string followed by an ending '%' "
                      "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')");
    }
    return;
  }
  errs.Invalid(path, Repr(v), "must be an integer or percentage (e.g '5%')");
}

std::string IntOrStringText(const json::value& v) {
  if (v.is_string())
    return std::string(v.get_string());
  if (v.is_int64())
    return std::to_string(v.get_int64());
  if (v.is_uint64())
    return std::to_string(v.get_uint64());
  return json::serialize(v);
}

// ---------------------------------------------------------------------------------------------
// Label selectors

namespace {
std::optional<std::string_view> LabelOf(const json::object* labels, std::string_view key) {
  if (!labels)
    return std::nullopt;
  auto it = labels->find(key);
  if (it == labels->end() || !it->value().is_string())
    return std::nullopt;
  return std::string_view(it->value().get_string());
}

bool ValuesContain(const json::array* values, std::string_view v) {
  if (!values)
    return false;
  for (const auto& x : *values) {
    if (x.is_string() && x.get_string() == v)
      return true;
  }
  return false;
}
}  // namespace

bool SelectorEmpty(const json::object& selector) {
  const json::object* ml = Obj(selector, "matchLabels");
  const json::array* me = Arr(selector, "matchExpressions");
  return (!ml || ml->empty()) && (!me || me->empty());
}

bool SelectorMatches(const json::object& selector, const json::object* labels) {
  if (const json::object* ml = Obj(selector, "matchLabels")) {
    for (const auto& kv : *ml) {
      auto have = LabelOf(labels, kv.key());
      if (!have || !kv.value().is_string() || *have != kv.value().get_string())
        return false;
    }
  }
  if (const json::array* me = Arr(selector, "matchExpressions")) {
    for (const auto& e : *me) {
      const json::object* r = e.if_object();
      if (!r)
        return false;
      std::string_view key = Str(*r, "key");
      std::string_view op = Str(*r, "operator");
      const json::array* values = Arr(*r, "values");
      auto have = LabelOf(labels, key);
      if (op == "In") {
        if (!have || !ValuesContain(values, *have))
          return false;
      } else if (op == "NotIn") {
        if (have && ValuesContain(values, *have))
          return false;
      } else if (op == "Exists") {
        if (!have)
          return false;
      } else if (op == "DoesNotExist") {
        if (have)
          return false;
      } else {
        return false;
      }
    }
  }
  return true;
}

void ValidateLabelSelector(const json::object& selector, const std::string& path, Errors& errs) {
  if (const json::object* ml = Obj(selector, "matchLabels")) {
    ValidateLabels(*ml, Child(path, "matchLabels"), errs);
  }
  const json::array* me = Arr(selector, "matchExpressions");
  if (!me)
    return;
  for (size_t i = 0; i < me->size(); ++i) {
    std::string p = Index(Child(path, "matchExpressions"), i);
    const json::object* r = (*me)[i].if_object();
    if (!r) {
      errs.Invalid(p, Repr((*me)[i]), "must be an object");
      continue;
    }
    std::string_view op = Str(*r, "operator");
    const json::array* values = Arr(*r, "values");
    size_t n = values ? values->size() : 0;
    if (op == "In" || op == "NotIn") {
      if (n == 0) {
        errs.Required(Child(p, "values"), "must be specified when `operator` is 'In' or 'NotIn'");
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (n > 0) {
        errs.Forbidden(Child(p, "values"),
                       "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    } else {
      errs.Invalid(Child(p, "operator"), Quote(op), "not a valid selector operator");
    }
    std::string_view key = Str(*r, "key");
    for (auto& e : IsQualifiedName(key))
      errs.InvalidStr(Child(p, "key"), key, e);
  }
}

std::string SelectorString(const json::object& selector) {
  // Requirements sorted by key, as labels.Selector.String() prints them.
  std::vector<std::pair<std::string, std::string>> reqs;
  if (const json::object* ml = Obj(selector, "matchLabels")) {
    for (const auto& kv : *ml) {
      std::string v = kv.value().is_string() ? std::string(kv.value().get_string()) : "";
      reqs.emplace_back(std::string(kv.key()), std::string(kv.key()) + "=" + v);
    }
  }
  if (const json::array* me = Arr(selector, "matchExpressions")) {
    for (const auto& e : *me) {
      const json::object* r = e.if_object();
      if (!r)
        continue;
      std::string key(Str(*r, "key"));
      std::string_view op = Str(*r, "operator");
      std::vector<std::string> vals;
      if (const json::array* va = Arr(*r, "values")) {
        for (const auto& x : *va) {
          if (x.is_string())
            vals.emplace_back(x.get_string());
        }
      }
      std::sort(vals.begin(), vals.end());
      vals.erase(std::unique(vals.begin(), vals.end()), vals.end());
      std::string joined;
      for (size_t i = 0; i < vals.size(); ++i)
        joined += (i ? "," : "") + vals[i];
      if (op == "In") {
        reqs.emplace_back(key, key + " in (" + joined + ")");
      } else if (op == "NotIn") {
        reqs.emplace_back(key, key + " notin (" + joined + ")");
      } else if (op == "Exists") {
        reqs.emplace_back(key, key);
      } else if (op == "DoesNotExist") {
        reqs.emplace_back(key, "!" + key);
      }
    }
  }
  std::stable_sort(reqs.begin(), reqs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (size_t i = 0; i < reqs.size(); ++i) {
    if (i)
      out += ',';
    out += reqs[i].second;
  }
  return out;
}

std::string FormatLabels(const json::object* labels) {
  if (!labels || labels->empty())
    return "<none>";
  std::vector<std::pair<std::string_view, std::string_view>> kv;
  for (const auto& e : *labels) {
    kv.emplace_back(e.key(), e.value().is_string() ? std::string_view(e.value().get_string())
                                                   : std::string_view());
  }
  std::sort(kv.begin(), kv.end());
  std::string out;
  for (size_t i = 0; i < kv.size(); ++i) {
    if (i)
      out += ',';
    out += kv[i].first;
    out += '=';
    out += kv[i].second;
  }
  return out;
}

std::string GoStringMap(const json::object* m) {
  if (!m)
    return "map[string]string(nil)";
  std::vector<std::pair<std::string_view, std::string_view>> kv;
  for (const auto& e : *m) {
    kv.emplace_back(e.key(), e.value().is_string() ? std::string_view(e.value().get_string())
                                                   : std::string_view());
  }
  std::sort(kv.begin(), kv.end());
  std::string out = "map[string]string{";
  for (size_t i = 0; i < kv.size(); ++i) {
    if (i)
      out += ", ";
    out += Quote(kv[i].first) + ":" + Quote(kv[i].second);
  }
  out += "}";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Time and tables

std::string Since(std::string_view rfc3339, TimePoint now) {
  if (rfc3339.empty())
    return "<unknown>";
  auto t = ParseRfc3339(rfc3339);
  if (!t)
    return "<unknown>";
  return HumanDuration(now - *t);
}

namespace {
constexpr std::string_view kNameDoc =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
constexpr std::string_view kCreationTimestampDoc =
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/"
    "api-conventions.md#metadata";
}  // namespace

TableColumn NameColumn() { return TableColumn{"Name", "string", "name", std::string(kNameDoc), 0}; }

TableColumn AgeColumn() {
  return TableColumn{"Age", "string", "", std::string(kCreationTimestampDoc), 0};
}

TableColumn Column(std::string name, std::string type, std::string description, int priority) {
  return TableColumn{std::move(name), std::move(type), "", std::move(description), priority};
}

std::string_view OrNone(std::string_view s) { return s.empty() ? "<none>" : s; }

std::string JoinContainerField(const json::object* pod_spec, std::string_view field) {
  std::string out;
  if (!pod_spec)
    return out;
  const json::array* cs = Arr(*pod_spec, "containers");
  if (!cs)
    return out;
  bool first = true;
  for (const auto& c : *cs) {
    const json::object* co = c.if_object();
    if (!co)
      continue;
    if (!first)
      out += ',';
    first = false;
    out += Str(*co, field);
  }
  return out;
}

std::vector<std::string> AllVerbs() {
  return {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
}

}  // namespace kcx::apiserver::reg
