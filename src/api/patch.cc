#include "api/patch.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <vector>

#include "api/json.h"

namespace kcx::api {
namespace json = boost::json;

// ---------------------------------------------------------------- merge patch (RFC 7386)

namespace {

json::value MergePatch(const json::value& target, const json::value& patch) {
  const json::object* p = patch.if_object();
  if (p == nullptr)
    return patch;
  json::object result;
  if (const json::object* t = target.if_object())
    result = *t;
  for (const auto& kv : *p) {
    if (kv.value().is_null()) {
      result.erase(kv.key());
      continue;
    }
    const json::value* existing = result.if_contains(kv.key());
    json::value merged = MergePatch(existing ? *existing : json::value(nullptr), kv.value());
    result[kv.key()] = std::move(merged);
  }
  return result;
}

}  // namespace

Result<json::value> ApplyMergePatch(const json::value& target, const json::value& patch) {
  return MergePatch(target, patch);
}

// ---------------------------------------------------------------- equality

bool JsonEqual(const json::value& a, const json::value& b) {
  auto is_number = [](const json::value& v) {
    return v.is_int64() || v.is_uint64() || v.is_double();
  };
  if (is_number(a) && is_number(b)) {
    if (a.is_double() || b.is_double()) {
      double x = a.is_double()  ? a.get_double()
                 : a.is_int64() ? double(a.get_int64())
                                : double(a.get_uint64());
      double y = b.is_double()  ? b.get_double()
                 : b.is_int64() ? double(b.get_int64())
                                : double(b.get_uint64());
      return x == y;
    }
    if (a.is_int64() && b.is_int64())
      return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64())
      return a.get_uint64() == b.get_uint64();
    const json::value& i = a.is_int64() ? a : b;
    const json::value& u = a.is_int64() ? b : a;
    return i.get_int64() >= 0 && static_cast<uint64_t>(i.get_int64()) == u.get_uint64();
  }
  if (a.kind() != b.kind())
    return false;
  switch (a.kind()) {
    case json::kind::null:
      return true;
    case json::kind::bool_:
      return a.get_bool() == b.get_bool();
    case json::kind::string:
      return a.get_string() == b.get_string();
    case json::kind::array: {
      const json::array& x = a.get_array();
      const json::array& y = b.get_array();
      if (x.size() != y.size())
        return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!JsonEqual(x[i], y[i]))
          return false;
      }
      return true;
    }
    case json::kind::object: {
      const json::object& x = a.get_object();
      const json::object& y = b.get_object();
      if (x.size() != y.size())
        return false;
      for (const auto& kv : x) {
        const json::value* other = y.if_contains(kv.key());
        if (other == nullptr || !JsonEqual(kv.value(), *other))
          return false;
      }
      return true;
    }
    default:
      return false;
  }
}

// ---------------------------------------------------------------- JSON patch (RFC 6902)

namespace {

enum class OpKind { kAdd, kRemove, kReplace, kMove, kCopy, kTest };

struct PatchOp {
  OpKind kind;
  std::string path_text;
  std::vector<std::string> path;
  std::string from_text;
  std::vector<std::string> from;
  const json::value* value = nullptr;
};

// RFC 6901: "" is the whole document; otherwise "/"-separated tokens with ~1 -> '/', ~0 -> '~'.
Result<std::vector<std::string>> ParsePointer(std::string_view p) {
  std::vector<std::string> tokens;
  if (p.empty())
    return tokens;
  if (p[0] != '/') {
    return BadRequest("invalid JSON pointer " + Serialize(json::value(p)) +
                      ": must be empty or start with '/'");
  }
  std::string cur;
  for (size_t i = 1; i <= p.size(); ++i) {
    if (i == p.size() || p[i] == '/') {
      tokens.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    if (p[i] == '~') {
      if (i + 1 < p.size() && (p[i + 1] == '0' || p[i + 1] == '1')) {
        cur += p[i + 1] == '0' ? '~' : '/';
        ++i;
        continue;
      }
      return BadRequest("invalid JSON pointer " + Serialize(json::value(p)) +
                        ": '~' must be followed by '0' or '1'");
    }
    cur += p[i];
  }
  return tokens;
}

// An array index token: "0" or digits without a leading zero. nullopt otherwise.
std::optional<size_t> ParseIndex(std::string_view t) {
  if (t.empty() || t.size() > 18)
    return std::nullopt;
  if (t.size() > 1 && t[0] == '0')
    return std::nullopt;
  size_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  return v;
}

Status ApplyError(std::string m) { return Invalid(std::move(m)); }

// The value at `path` (nullptr if absent).
json::value* Resolve(json::value& doc, const std::vector<std::string>& path, size_t depth) {
  json::value* cur = &doc;
  for (size_t i = 0; i < depth; ++i) {
    if (json::object* o = cur->if_object()) {
      cur = o->if_contains(path[i]);
    } else if (json::array* a = cur->if_array()) {
      std::optional<size_t> idx = ParseIndex(path[i]);
      if (!idx || *idx >= a->size())
        return nullptr;
      cur = &(*a)[*idx];
    } else {
      return nullptr;
    }
    if (cur == nullptr)
      return nullptr;
  }
  return cur;
}

Status Add(json::value& doc, const std::vector<std::string>& path, std::string_view text,
           json::value value, std::string_view op) {
  if (path.empty()) {
    doc = std::move(value);
    return Status::Ok();
  }
  json::value* parent = Resolve(doc, path, path.size() - 1);
  if (parent == nullptr) {
    return ApplyError(std::string(op) + " operation does not apply: doc is missing path: " +
                      Serialize(json::value(text)));
  }
  const std::string& last = path.back();
  if (json::object* o = parent->if_object()) {
    (*o)[last] = std::move(value);
    return Status::Ok();
  }
  if (json::array* a = parent->if_array()) {
    if (last == "-") {
      a->push_back(std::move(value));
      return Status::Ok();
    }
    std::optional<size_t> idx = ParseIndex(last);
    if (!idx || *idx > a->size()) {
      return ApplyError(std::string(op) + " operation does not apply: index out of range: " +
                        Serialize(json::value(text)));
    }
    a->insert(a->begin() + static_cast<std::ptrdiff_t>(*idx), std::move(value));
    return Status::Ok();
  }
  return ApplyError(std::string(op) + " operation does not apply: parent of " +
                    Serialize(json::value(text)) + " is not an object or array");
}

Result<json::value> Remove(json::value& doc, const std::vector<std::string>& path,
                           std::string_view text, std::string_view op) {
  if (path.empty()) {
    json::value old = std::move(doc);
    doc = nullptr;
    return old;
  }
  json::value* parent = Resolve(doc, path, path.size() - 1);
  const std::string& last = path.back();
  if (parent != nullptr) {
    if (json::object* o = parent->if_object()) {
      auto it = o->find(last);
      if (it != o->end()) {
        json::value old = std::move(it->value());
        o->erase(it);
        return old;
      }
    } else if (json::array* a = parent->if_array()) {
      std::optional<size_t> idx = ParseIndex(last);
      if (idx && *idx < a->size()) {
        json::value old = std::move((*a)[*idx]);
        a->erase(a->begin() + static_cast<std::ptrdiff_t>(*idx));
        return old;
      }
      if (idx) {
        return ApplyError(std::string(op) + " operation does not apply: index out of range: " +
                          Serialize(json::value(text)));
      }
    }
  }
  return ApplyError(std::string(op) + " operation does not apply: doc is missing path: " +
                    Serialize(json::value(text)));
}

bool IsPrefix(const std::vector<std::string>& prefix, const std::vector<std::string>& path) {
  if (prefix.size() >= path.size())
    return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (prefix[i] != path[i])
      return false;
  }
  return true;
}

Result<std::vector<PatchOp>> ParseOps(const json::value& patch) {
  const json::array* arr = patch.if_array();
  if (arr == nullptr) {
    return BadRequest("invalid JSON patch: the patch must be a JSON array of operations");
  }
  std::vector<PatchOp> ops;
  ops.reserve(arr->size());
  for (size_t i = 0; i < arr->size(); ++i) {
    std::string where = "invalid JSON patch: operation " + std::to_string(i);
    const json::object* o = (*arr)[i].if_object();
    if (o == nullptr)
      return BadRequest(where + " is not an object");
    PatchOp op;
    const json::value* opv = o->if_contains("op");
    if (opv == nullptr || !opv->is_string())
      return BadRequest(where + ": missing \"op\"");
    std::string_view name = opv->get_string();
    if (name == "add") {
      op.kind = OpKind::kAdd;
    } else if (name == "remove") {
      op.kind = OpKind::kRemove;
    } else if (name == "replace") {
      op.kind = OpKind::kReplace;
    } else if (name == "move") {
      op.kind = OpKind::kMove;
    } else if (name == "copy") {
      op.kind = OpKind::kCopy;
    } else if (name == "test") {
      op.kind = OpKind::kTest;
    } else {
      return BadRequest(where + ": unknown op " + Serialize(*opv));
    }
    const json::value* pathv = o->if_contains("path");
    if (pathv == nullptr || !pathv->is_string()) {
      return BadRequest(where + " (" + std::string(name) + "): missing \"path\"");
    }
    op.path_text = pathv->get_string();
    auto path = ParsePointer(op.path_text);
    if (!path.ok())
      return BadRequest(where + ": " + path.status().message());
    op.path = std::move(*path);
    if (op.kind == OpKind::kAdd || op.kind == OpKind::kReplace || op.kind == OpKind::kTest) {
      op.value = o->if_contains("value");
      if (op.value == nullptr) {
        return BadRequest(where + " (" + std::string(name) + "): missing \"value\"");
      }
    }
    if (op.kind == OpKind::kMove || op.kind == OpKind::kCopy) {
      const json::value* fromv = o->if_contains("from");
      if (fromv == nullptr || !fromv->is_string()) {
        return BadRequest(where + " (" + std::string(name) + "): missing \"from\"");
      }
      op.from_text = fromv->get_string();
      auto from = ParsePointer(op.from_text);
      if (!from.ok())
        return BadRequest(where + ": " + from.status().message());
      op.from = std::move(*from);
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

}  // namespace

Result<json::value> ApplyJsonPatch(const json::value& target, const json::value& patch) {
  KCX_ASSIGN_OR_RETURN(std::vector<PatchOp> ops, ParseOps(patch));
  json::value doc = target;  // work on a copy: atomic
  for (const PatchOp& op : ops) {
    switch (op.kind) {
      case OpKind::kAdd:
        KCX_RETURN_IF_ERROR(Add(doc, op.path, op.path_text, *op.value, "add"));
        break;
      case OpKind::kRemove: {
        auto r = Remove(doc, op.path, op.path_text, "remove");
        if (!r.ok())
          return r.status();
        break;
      }
      case OpKind::kReplace: {
        json::value* cur = Resolve(doc, op.path, op.path.size());
        if (cur == nullptr) {
          return ApplyError("replace operation does not apply: doc is missing key: " +
                            Serialize(json::value(op.path_text)));
        }
        *cur = *op.value;
        break;
      }
      case OpKind::kMove: {
        if (op.from == op.path)
          break;
        if (IsPrefix(op.from, op.path)) {
          return ApplyError("move operation does not apply: cannot move " +
                            Serialize(json::value(op.from_text)) + " into its own child " +
                            Serialize(json::value(op.path_text)));
        }
        KCX_ASSIGN_OR_RETURN(json::value v, Remove(doc, op.from, op.from_text, "move"));
        KCX_RETURN_IF_ERROR(Add(doc, op.path, op.path_text, std::move(v), "move"));
        break;
      }
      case OpKind::kCopy: {
        json::value* src = Resolve(doc, op.from, op.from.size());
        if (src == nullptr) {
          return ApplyError("copy operation does not apply: doc is missing from path: " +
                            Serialize(json::value(op.from_text)));
        }
        json::value v = *src;
        KCX_RETURN_IF_ERROR(Add(doc, op.path, op.path_text, std::move(v), "copy"));
        break;
      }
      case OpKind::kTest: {
        json::value* cur = Resolve(doc, op.path, op.path.size());
        if (cur == nullptr || !JsonEqual(*cur, *op.value)) {
          return ApplyError("testing value " + Serialize(json::value(op.path_text)) +
                            " failed: test failed");
        }
        break;
      }
    }
  }
  return doc;
}

// ---------------------------------------------------------------- YAML

namespace {

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";

bool In(std::string_view s, std::initializer_list<std::string_view> set) {
  for (std::string_view x : set) {
    if (s == x)
      return true;
  }
  return false;
}

// YAML 1.1 int as go-yaml v2 resolves it (strconv.ParseInt(s, 0, 64) after removing '_').
std::optional<json::value> ResolveInt(std::string_view s) {
  std::string t;
  t.reserve(s.size());
  for (char c : s) {
    if (c != '_')
      t += c;
  }
  if (t.empty())
    return std::nullopt;
  size_t i = 0;
  bool neg = false;
  if (t[0] == '+' || t[0] == '-') {
    neg = t[0] == '-';
    i = 1;
  }
  if (i >= t.size())
    return std::nullopt;
  int base = 10;
  if (t.size() - i > 1 && t[i] == '0') {
    char p = t[i + 1];
    if (p == 'x' || p == 'X') {
      base = 16;
      i += 2;
    } else if (p == 'o' || p == 'O') {
      base = 8;
      i += 2;
    } else if (p == 'b' || p == 'B') {
      base = 2;
      i += 2;
    } else {
      base = 8;
      i += 1;
    }
  }
  if (i >= t.size())
    return std::nullopt;
  uint64_t mag = 0;
  auto [ptr, ec] = std::from_chars(t.data() + i, t.data() + t.size(), mag, base);
  if (ec != std::errc() || ptr != t.data() + t.size())
    return std::nullopt;
  if (neg) {
    if (mag > uint64_t{1} << 63)
      return std::nullopt;
    return json::value(static_cast<int64_t>(0 - mag));
  }
  if (mag <= static_cast<uint64_t>(INT64_MAX))
    return json::value(static_cast<int64_t>(mag));
  return json::value(mag);
}

// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool IsYamlFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-'))
    ++i;
  auto digits = [&]() {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i;
    return i - start;
  };
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0)
      return false;
  } else {
    if (digits() == 0)
      return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
      ++i;
    if (digits() == 0)
      return false;
  }
  return i == s.size();
}

Result<json::value> ResolvePlain(const std::string& s) {
  if (In(s, {"", "~", "null", "Null", "NULL"}))
    return json::value(nullptr);
  if (In(s, {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})) {
    return json::value(true);
  }
  if (In(s, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})) {
    return json::value(false);
  }
  if (In(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
             ".NaN", ".NAN"})) {
    return BadRequest("yaml: value " + s + " cannot be represented in JSON");
  }
  char c = s[0];
  if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
    if (auto i = ResolveInt(s))
      return *i;
    if (IsYamlFloat(s)) {
      errno = 0;
      double d = std::strtod(s.c_str(), nullptr);
      if (std::isfinite(d))
        return json::value(d);
    }
  }
  return json::value(s);
}

Result<json::value> Convert(const YAML::Node& n, int depth) {
  if (depth > 1000)
    return BadRequest("yaml: document nested too deeply");
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return json::value(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& tag = n.Tag();
      const std::string& s = n.Scalar();
      // "!" marks a quoted or block scalar; an explicit !!str too.
      if (tag == "!" || tag == kStrTag)
        return json::value(s);
      return ResolvePlain(s);
    }
    case YAML::NodeType::Sequence: {
      json::array arr;
      arr.reserve(n.size());
      for (const YAML::Node& item : n) {
        KCX_ASSIGN_OR_RETURN(json::value v, Convert(item, depth + 1));
        arr.push_back(std::move(v));
      }
      return json::value(std::move(arr));
    }
    case YAML::NodeType::Map: {
      json::object obj;
      obj.reserve(n.size());
      for (const auto& kv : n) {
        const YAML::Node& k = kv.first;
        std::string key;
        if (k.IsScalar()) {
          key = k.Scalar();
        } else if (k.IsNull()) {
          key = "null";
        } else {
          return BadRequest("yaml: map keys must be scalars");
        }
        KCX_ASSIGN_OR_RETURN(json::value v, Convert(kv.second, depth + 1));
        obj[key] = std::move(v);
      }
      return json::value(std::move(obj));
    }
  }
  return json::value(nullptr);
}

}  // namespace

Result<json::value> ParseYamlOrJson(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    return json::value(nullptr);
  std::optional<Status> json_error;
  if (text[first] == '{' || text[first] == '[') {
    auto r = ParseJson(text);
    if (r.ok())
      return r;
    json_error = r.status();
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    if (json_error)
      return *json_error;
    return BadRequest(std::string("error converting YAML to JSON: yaml: ") + e.what());
  }
  const YAML::Node* doc = nullptr;
  for (const YAML::Node& d : docs) {
    if (d.IsNull() || !d.IsDefined())
      continue;
    if (doc != nullptr) {
      return BadRequest("multi-document YAML is not supported here: send one object per request");
    }
    doc = &d;
  }
  if (doc == nullptr)
    return json::value(nullptr);
  try {
    return Convert(*doc, 0);
  } catch (const YAML::Exception& e) {
    return BadRequest(std::string("error converting YAML to JSON: yaml: ") + e.what());
  }
}

}  // namespace kcx::api
