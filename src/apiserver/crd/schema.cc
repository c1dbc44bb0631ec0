#include "apiserver/crd/schema.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "api/json.h"
#include "common/strings.h"

namespace kcx::apiserver::crd {

namespace json = boost::json;

std::string Quote(std::string_view s) { return json::serialize(json::string(s)); }

namespace {

std::string Join(const std::string& base, std::string_view field) {
  if (base.empty())
    return std::string(field);
  return base + "." + std::string(field);
}

std::string Index(const std::string& base, size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

bool GetBoolField(const json::object& s, std::string_view k) {
  const json::value* v = s.if_contains(k);
  return v && v->is_bool() && v->get_bool();
}

std::string_view TypeOf(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return "string";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::bool_:
      return "boolean";
    case json::kind::object:
      return "object";
    case json::kind::array:
      return "array";
    default:
      return "null";
  }
}

bool IsInteger(const json::value& v) {
  if (v.is_int64() || v.is_uint64())
    return true;
  if (v.is_double()) {
    double d = v.get_double();
    return std::isfinite(d) && std::floor(d) == d;
  }
  return false;
}

std::optional<double> AsNumber(const json::value& v) {
  if (v.is_int64())
    return static_cast<double>(v.get_int64());
  if (v.is_uint64())
    return static_cast<double>(v.get_uint64());
  if (v.is_double())
    return v.get_double();
  return std::nullopt;
}

bool MatchesType(std::string_view type, const json::value& v) {
  if (type == "object")
    return v.is_object();
  if (type == "array")
    return v.is_array();
  if (type == "string")
    return v.is_string();
  if (type == "boolean")
    return v.is_bool();
  if (type == "integer")
    return IsInteger(v);
  if (type == "number")
    return v.is_number();
  return true;
}

std::string FormatNumber(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15)
    return std::to_string(static_cast<int64_t>(d));
  return json::serialize(json::value(d));
}

// std::regex compilation is expensive; cache compiled patterns process-wide.
const std::regex* CompiledPattern(const std::string& pattern) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<std::regex>, std::less<>> cache;
  std::lock_guard l(mu);
  auto it = cache.find(pattern);
  if (it != cache.end())
    return it->second.get();
  std::unique_ptr<std::regex> re;
  try {
    re = std::make_unique<std::regex>(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    re = nullptr;
  }
  // Patterns come from CRD schemas, so the cache is bounded by what admins installed.
  const std::regex* p = re.get();
  cache.emplace(pattern, std::move(re));
  return p;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-')
    return false;
  if (!AllDigits(s.substr(0, 4)) || !AllDigits(s.substr(5, 2)) || !AllDigits(s.substr(8, 2))) {
    return false;
  }
  int m = std::stoi(std::string(s.substr(5, 2)));
  int d = std::stoi(std::string(s.substr(8, 2)));
  return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

bool IsDateTime(std::string_view s) {
  // RFC 3339 date-time (strfmt also accepts a space or lowercase t and no seconds fraction).
  static const std::regex kRe(
      R"(^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$)");
  if (!std::regex_match(s.begin(), s.end(), kRe))
    return false;
  return IsDate(s.substr(0, 10));
}

bool IsBase64(std::string_view s) {
  // Standard encoding with padding (Go's base64.StdEncoding), as kube's "byte" format.
  if (s.size() % 4 != 0)
    return false;
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (c == '=') {
      ++pad;
      if (i + 2 < s.size() || pad > 2)
        return false;
      continue;
    }
    if (!ok || pad)
      return false;
  }
  return true;
}

bool IsDuration(std::string_view s) {
  static const std::regex kRe(R"(^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w))+$)");
  if (s == "0")
    return true;
  return std::regex_match(s.begin(), s.end(), kRe);
}

bool IsIPv4(std::string_view s) {
  auto parts = Split(s, '.');
  if (parts.size() != 4)
    return false;
  for (auto p : parts) {
    if (!AllDigits(p) || p.size() > 3)
      return false;
    if (std::stoi(std::string(p)) > 255)
      return false;
  }
  return true;
}

bool IsIPv6(std::string_view s) {
  static const std::regex kRe(R"(^[0-9A-Fa-f:.]+$)");
  return s.find(':') != std::string_view::npos && std::regex_match(s.begin(), s.end(), kRe);
}

}  // namespace

std::string FormatValue(const json::value& v) {
  if (v.is_null())
    return "null";
  return json::serialize(v);
}

bool CheckFormat(const std::string& format, const json::value& v) {
  if (format == "int32") {
    if (!IsInteger(v))
      return true;  // the type check reports it
    auto d = AsNumber(v);
    return *d >= -2147483648.0 && *d <= 2147483647.0;
  }
  if (format == "int64" || format == "float" || format == "double")
    return true;
  if (!v.is_string())
    return true;
  std::string_view s = v.get_string();
  if (format == "byte")
    return IsBase64(s);
  if (format == "date")
    return IsDate(s);
  if (format == "date-time" || format == "datetime")
    return IsDateTime(s);
  if (format == "duration")
    return IsDuration(s);
  if (format == "ipv4")
    return IsIPv4(s);
  if (format == "ipv6")
    return IsIPv6(s);
  if (format == "uuid") {
    static const std::regex kRe(
        R"(^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$)");
    return std::regex_match(s.begin(), s.end(), kRe);
  }
  if (format == "hostname") {
    static const std::regex kRe(
        R"(^[a-zA-Z0-9]([-a-zA-Z0-9]{0,62})?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,62})?)*\.?$)");
    return s.size() <= 255 && std::regex_match(s.begin(), s.end(), kRe);
  }
  if (format == "email") {
    static const std::regex kRe(R"(^[^@\s]+@[^@\s]+$)");
    return std::regex_match(s.begin(), s.end(), kRe);
  }
  if (format == "cidr") {
    auto slash = s.find('/');
    if (slash == std::string_view::npos || !AllDigits(s.substr(slash + 1)))
      return false;
    std::string_view ip = s.substr(0, slash);
    int bits = std::stoi(std::string(s.substr(slash + 1)));
    return IsIPv4(ip) ? bits <= 32 : (IsIPv6(ip) && bits <= 128);
  }
  if (format == "mac") {
    static const std::regex kRe(R"(^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$)");
    return std::regex_match(s.begin(), s.end(), kRe);
  }
  return true;  // unknown formats are not validated (kube ignores them)
}

void ValidateValue(const json::value& v, const json::object& s, const std::string& path,
                   std::vector<StatusCause>& out) {
  std::string body_path = path.empty() ? "body" : path + " in body";
  auto invalid = [&](const std::string& value, const std::string& detail) {
    out.push_back({"FieldValueInvalid", "Invalid value: " + value + ": " + detail, path});
  };
  if (v.is_null()) {
    if (GetBoolField(s, "nullable"))
      return;
    // kube-openapi: a null for a typed field is a type error.
    std::string_view t = api::GetString(s, "type");
    if (!t.empty()) {
      out.push_back({"FieldValueTypeInvalid",
                     "Invalid value: \"null\": " + body_path + " must be of type " +
                         std::string(t) + ": \"null\"",
                     path});
    }
    return;
  }
  bool int_or_string = GetBoolField(s, "x-kubernetes-int-or-string");
  if (int_or_string) {
    if (!IsInteger(v) && !v.is_string()) {
      out.push_back({"FieldValueTypeInvalid",
                     "Invalid value: " + Quote(TypeOf(v)) + ": " + body_path +
                         " must be of type integer,string: " + Quote(TypeOf(v)),
                     path});
      return;
    }
  }
  std::string type(api::GetString(s, "type"));
  if (!type.empty() && !MatchesType(type, v)) {
    out.push_back({"FieldValueTypeInvalid",
                   "Invalid value: " + Quote(TypeOf(v)) + ": " + body_path + " must be of type " +
                       type + ": " + Quote(TypeOf(v)),
                   path});
    return;  // further checks would only repeat the type error
  }
  if (const json::array* en = api::GetArray(s, "enum")) {
    bool found = false;
    for (const auto& x : *en)
      found |= x == v;
    if (!found) {
      std::string vals;
      for (size_t i = 0; i < en->size(); ++i)
        vals += (i ? ", " : "") + FormatValue((*en)[i]);
      out.push_back({"FieldValueNotSupported",
                     "Unsupported value: " + FormatValue(v) + ": supported values: " + vals, path});
    }
  }
  if (std::string_view f = api::GetString(s, "format"); !f.empty()) {
    if (!CheckFormat(std::string(f), v)) {
      invalid(FormatValue(v),
              body_path + " must be of type " + std::string(f) + ": " + FormatValue(v));
    }
  }
  if (auto num = AsNumber(v)) {
    if (const json::value* mn = s.if_contains("minimum"); mn && mn->is_number()) {
      double m = *AsNumber(*mn);
      bool excl = GetBoolField(s, "exclusiveMinimum");
      if (excl ? !(*num > m) : !(*num >= m)) {
        invalid(FormatValue(v), body_path + " should be greater than " +
                                    (excl ? "" : "or equal to ") + FormatNumber(m));
      }
    }
    if (const json::value* mx = s.if_contains("maximum"); mx && mx->is_number()) {
      double m = *AsNumber(*mx);
      bool excl = GetBoolField(s, "exclusiveMaximum");
      if (excl ? !(*num < m) : !(*num <= m)) {
        invalid(FormatValue(v), body_path + " should be less than " + (excl ? "" : "or equal to ") +
                                    FormatNumber(m));
      }
    }
    if (const json::value* mo = s.if_contains("multipleOf"); mo && mo->is_number()) {
      double m = *AsNumber(*mo);
      if (m > 0) {
        double q = *num / m;
        if (std::fabs(q - std::round(q)) > 1e-9) {
          invalid(FormatValue(v), body_path + " should be a multiple of " + FormatNumber(m));
        }
      }
    }
  }
  if (v.is_string()) {
    std::string_view str = v.get_string();
    // kube-openapi counts characters (runes), not bytes.
    int64_t chars = 0;
    for (unsigned char c : str)
      chars += (c & 0xC0) != 0x80;
    if (s.contains("maxLength") && chars > api::GetInt(s, "maxLength", 0)) {
      out.push_back({"FieldValueTooLong",
                     "Too long: may not be more than " +
                         std::to_string(api::GetInt(s, "maxLength", 0)) + " bytes",
                     path});
    }
    if (s.contains("minLength") && chars < api::GetInt(s, "minLength", 0)) {
      invalid(FormatValue(v), body_path + " should be at least " +
                                  std::to_string(api::GetInt(s, "minLength", 0)) + " chars long");
    }
    if (std::string_view p = api::GetString(s, "pattern"); !p.empty()) {
      const std::regex* re = CompiledPattern(std::string(p));
      if (re && !std::regex_search(str.begin(), str.end(), *re)) {
        invalid(FormatValue(v), body_path + " should match '" + std::string(p) + "'");
      }
    }
  }
  if (const json::array* arr = v.if_array()) {
    int64_t n = static_cast<int64_t>(arr->size());
    if (s.contains("maxItems") && n > api::GetInt(s, "maxItems", 0)) {
      out.push_back({"FieldValueTooMany",
                     "Too many: " + std::to_string(n) + ": must have at most " +
                         std::to_string(api::GetInt(s, "maxItems", 0)) + " items",
                     path});
    }
    if (s.contains("minItems") && n < api::GetInt(s, "minItems", 0)) {
      invalid(FormatValue(v), body_path + " should have at least " +
                                  std::to_string(api::GetInt(s, "minItems", 0)) + " items");
    }
    if (GetBoolField(s, "uniqueItems")) {
      for (size_t i = 1; i < arr->size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if ((*arr)[i] == (*arr)[j]) {
            invalid(FormatValue(v), body_path + " shouldn't contain duplicates");
            i = arr->size();
            break;
          }
        }
      }
    }
    const json::object* items = api::GetObject(s, "items");
    for (size_t i = 0; items && i < arr->size(); ++i) {
      ValidateValue((*arr)[i], *items, Index(path, i), out);
    }
    // List-type markers (kube's listtype validation).
    std::string_view lt = api::GetString(s, "x-kubernetes-list-type");
    if (lt == "set") {
      for (size_t i = 1; i < arr->size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if ((*arr)[i] == (*arr)[j]) {
            out.push_back({"FieldValueDuplicate", "Duplicate value: " + FormatValue((*arr)[i]),
                           Index(path, i)});
            break;
          }
        }
      }
    } else if (lt == "map") {
      const json::array* keys = api::GetArray(s, "x-kubernetes-list-map-keys");
      std::set<std::string> seen;
      for (size_t i = 0; keys && i < arr->size(); ++i) {
        const json::object* item = (*arr)[i].if_object();
        if (!item)
          continue;
        json::object key;
        for (const auto& k : *keys) {
          if (!k.is_string())
            continue;
          auto it = item->find(k.get_string());
          if (it != item->end())
            key[k.get_string()] = it->value();
        }
        std::string ks = json::serialize(key);
        if (!seen.insert(ks).second) {
          std::string go = "map[string]interface {}{";
          bool first = true;
          for (const auto& kv : key) {
            go += (first ? "" : ", ") + Quote(kv.key()) + ":" + FormatValue(kv.value());
            first = false;
          }
          go += "}";
          out.push_back({"FieldValueDuplicate", "Duplicate value: " + go, Index(path, i)});
        }
      }
    }
  }
  if (const json::object* obj = v.if_object()) {
    const json::object* props = api::GetObject(s, "properties");
    if (const json::array* req = api::GetArray(s, "required")) {
      for (const auto& r : *req) {
        if (!r.is_string())
          continue;
        if (!obj->contains(r.get_string())) {
          out.push_back({"FieldValueRequired", "Required value", Join(path, r.get_string())});
        }
      }
    }
    if (s.contains("maxProperties") &&
        static_cast<int64_t>(obj->size()) > api::GetInt(s, "maxProperties", 0)) {
      out.push_back({"FieldValueTooMany",
                     "Too many: " + std::to_string(obj->size()) + ": must have at most " +
                         std::to_string(api::GetInt(s, "maxProperties", 0)) + " items",
                     path});
    }
    if (s.contains("minProperties") &&
        static_cast<int64_t>(obj->size()) < api::GetInt(s, "minProperties", 0)) {
      invalid(FormatValue(v), body_path + " should have at least " +
                                  std::to_string(api::GetInt(s, "minProperties", 0)) +
                                  " properties");
    }
    const json::value* addl = s.if_contains("additionalProperties");
    const json::object* addl_schema = addl ? addl->if_object() : nullptr;
    bool embedded = GetBoolField(s, "x-kubernetes-embedded-resource");
    for (const auto& kv : *obj) {
      std::string child = Join(path, kv.key());
      const json::object* ps = props ? api::GetObject(*props, kv.key()) : nullptr;
      if (ps) {
        ValidateValue(kv.value(), *ps, child, out);
      } else if (addl_schema) {
        ValidateValue(kv.value(), *addl_schema, child, out);
      } else if (embedded && (kv.key() == "apiVersion" || kv.key() == "kind") &&
                 !kv.value().is_string()) {
        out.push_back({"FieldValueTypeInvalid",
                       "Invalid value: " + Quote(TypeOf(kv.value())) + ": " + child +
                           " in body must be of type string: " + Quote(TypeOf(kv.value())),
                       child});
      }
    }
    if (embedded) {
      // kube requires apiVersion and kind of an embedded resource (ValidateEmbeddedResource).
      for (const char* f : {"apiVersion", "kind"}) {
        const json::value* x = obj->if_contains(f);
        if (!x || (x->is_string() && x->get_string().empty())) {
          out.push_back({"FieldValueRequired", "Required value: must not be empty", Join(path, f)});
        }
      }
      if (const json::value* m = obj->if_contains("metadata"); m && !m->is_object()) {
        out.push_back({"FieldValueTypeInvalid",
                       "Invalid value: " + Quote(TypeOf(*m)) + ": must be an object",
                       Join(path, "metadata")});
      }
    }
  }
  for (const char* comb : {"allOf", "anyOf", "oneOf"}) {
    const json::array* subs = api::GetArray(s, comb);
    if (!subs)
      continue;
    if (std::string_view(comb) == "allOf") {
      for (const auto& sub : *subs) {
        if (sub.is_object())
          ValidateValue(v, sub.get_object(), path, out);
      }
      continue;
    }
    size_t matched = 0;
    for (const auto& sub : *subs) {
      if (!sub.is_object())
        continue;
      std::vector<StatusCause> tmp;
      ValidateValue(v, sub.get_object(), path, tmp);
      matched += tmp.empty();
    }
    if (std::string_view(comb) == "anyOf" && matched == 0) {
      invalid(FormatValue(v), body_path + " must validate at least one schema (anyOf)");
    }
    if (std::string_view(comb) == "oneOf" && matched != 1) {
      invalid(FormatValue(v), body_path + " must validate one and only one schema (oneOf)");
    }
  }
  if (const json::object* nots = api::GetObject(s, "not")) {
    std::vector<StatusCause> tmp;
    ValidateValue(v, *nots, path, tmp);
    if (tmp.empty())
      invalid(FormatValue(v), body_path + " must not validate the schema (not)");
  }
}

std::vector<StatusCause> ValidateObject(const json::object& obj, const json::object& schema) {
  std::vector<StatusCause> out;
  const json::object* props = api::GetObject(schema, "properties");
  const json::value* addl = schema.if_contains("additionalProperties");
  const json::object* addl_schema = addl ? addl->if_object() : nullptr;
  if (const json::array* req = api::GetArray(schema, "required")) {
    for (const auto& r : *req) {
      if (r.is_string() && !obj.contains(r.get_string())) {
        out.push_back({"FieldValueRequired", "Required value", std::string(r.get_string())});
      }
    }
  }
  for (const auto& kv : obj) {
    if (kv.key() == "apiVersion" || kv.key() == "kind" || kv.key() == "metadata")
      continue;
    const json::object* ps = props ? api::GetObject(*props, kv.key()) : nullptr;
    if (ps) {
      ValidateValue(kv.value(), *ps, std::string(kv.key()), out);
    } else if (addl_schema) {
      ValidateValue(kv.value(), *addl_schema, std::string(kv.key()), out);
    }
  }
  return out;
}

namespace {

void PruneValue(json::value& v, const json::object& s, const std::string& path,
                std::vector<std::string>* pruned, bool root);

void PruneObjectFields(json::object& obj, const json::object& s, const std::string& path,
                       std::vector<std::string>* pruned, bool root) {
  const json::object* props = api::GetObject(s, "properties");
  const json::value* addl = s.if_contains("additionalProperties");
  const json::object* addl_schema = addl ? addl->if_object() : nullptr;
  bool addl_any = addl && addl->is_bool() && addl->get_bool();
  bool preserve = GetBoolField(s, "x-kubernetes-preserve-unknown-fields");
  bool embedded = GetBoolField(s, "x-kubernetes-embedded-resource");
  std::vector<std::string_view> drop;
  for (auto& kv : obj) {
    std::string_view k = kv.key();
    if ((root || embedded) && (k == "apiVersion" || k == "kind"))
      continue;
    if ((root || embedded) && k == "metadata") {
      // The server handles metadata; an embedded resource's metadata keeps ObjectMeta's
      // fields (kube prunes it to ObjectMeta).
      if (embedded && kv.value().is_object()) {
        static const std::set<std::string_view> kMeta = {"name",
                                                         "generateName",
                                                         "namespace",
                                                         "labels",
                                                         "annotations",
                                                         "finalizers",
                                                         "ownerReferences",
                                                         "uid",
                                                         "resourceVersion",
                                                         "generation",
                                                         "creationTimestamp",
                                                         "deletionTimestamp",
                                                         "deletionGracePeriodSeconds",
                                                         "managedFields",
                                                         "selfLink"};
        json::object& m = kv.value().get_object();
        std::vector<std::string_view> mdrop;
        for (auto& mk : m) {
          if (!kMeta.count(mk.key()))
            mdrop.push_back(mk.key());
        }
        for (auto d : mdrop) {
          if (pruned)
            pruned->push_back(Join(Join(path, "metadata"), d));
          m.erase(d);
        }
      }
      continue;
    }
    const json::object* ps = props ? api::GetObject(*props, k) : nullptr;
    if (ps) {
      PruneValue(kv.value(), *ps, Join(path, k), pruned, false);
    } else if (addl_schema) {
      PruneValue(kv.value(), *addl_schema, Join(path, k), pruned, false);
    } else if (!preserve && !addl_any) {
      drop.push_back(k);
    }
  }
  for (auto k : drop) {
    if (pruned)
      pruned->push_back(Join(path, k));
    obj.erase(k);
  }
}

void PruneValue(json::value& v, const json::object& s, const std::string& path,
                std::vector<std::string>* pruned, bool root) {
  if (json::object* o = v.if_object()) {
    PruneObjectFields(*o, s, path, pruned, root);
  } else if (json::array* a = v.if_array()) {
    const json::object* items = api::GetObject(s, "items");
    if (!items)
      return;
    for (size_t i = 0; i < a->size(); ++i) {
      PruneValue((*a)[i], *items, Index(path, i), pruned, false);
    }
  }
}

void DefaultValue(json::value& v, const json::object& s, bool root) {
  if (json::object* o = v.if_object()) {
    if (const json::object* props = api::GetObject(s, "properties")) {
      for (const auto& p : *props) {
        if (root && (p.key() == "metadata" || p.key() == "apiVersion" || p.key() == "kind")) {
          continue;
        }
        const json::object* ps = p.value().if_object();
        if (!ps)
          continue;
        const json::value* def = ps->if_contains("default");
        auto it = o->find(p.key());
        if (def && (it == o->end() || (it->value().is_null() && !GetBoolField(*ps, "nullable")))) {
          (*o)[p.key()] = *def;
        }
      }
      for (auto& kv : *o) {
        if (root && (kv.key() == "metadata" || kv.key() == "apiVersion" || kv.key() == "kind")) {
          continue;
        }
        const json::object* ps = api::GetObject(*props, kv.key());
        if (ps)
          DefaultValue(kv.value(), *ps, false);
      }
    } else if (const json::object* addl = api::GetObject(s, "additionalProperties")) {
      for (auto& kv : *o)
        DefaultValue(kv.value(), *addl, false);
    }
  } else if (json::array* a = v.if_array()) {
    if (const json::object* items = api::GetObject(s, "items")) {
      for (auto& x : *a)
        DefaultValue(x, *items, false);
    }
  }
}

}  // namespace

void PruneObject(json::object& obj, const json::object& schema, std::vector<std::string>* pruned) {
  PruneObjectFields(obj, schema, "", pruned, true);
}

void ApplyDefaults(json::object& obj, const json::object& schema) {
  json::value v(std::move(obj));
  DefaultValue(v, schema, true);
  obj = std::move(v.get_object());
}

// -------------------------------------------------------------------------------------------
// Structural schema rules (apiextensions validation of a CRD's schema).

namespace {

void Structural(const json::object& s, const std::string& path, bool root, bool in_comb,
                std::vector<StatusCause>& out) {
  auto forbidden = [&](const std::string& p, const std::string& msg) {
    out.push_back({"FieldValueForbidden", "Forbidden: " + msg, p});
  };
  std::string type(api::GetString(s, "type"));
  bool int_or_string = GetBoolField(s, "x-kubernetes-int-or-string");
  bool preserve = GetBoolField(s, "x-kubernetes-preserve-unknown-fields");
  bool embedded = GetBoolField(s, "x-kubernetes-embedded-resource");
  static const std::set<std::string_view> kTypes = {"object",  "array",  "string",
                                                    "integer", "number", "boolean"};
  if (!type.empty() && !kTypes.count(type)) {
    out.push_back({"FieldValueNotSupported",
                   "Unsupported value: " + Quote(type) +
                       ": supported values: \"array\", \"boolean\", \"integer\", \"number\", "
                       "\"object\", \"string\"",
                   path + ".type"});
  }
  if (root && type != "object") {
    if (type.empty()) {
      out.push_back(
          {"FieldValueRequired", "Required value: must be object at the root", path + ".type"});
    } else {
      out.push_back({"FieldValueInvalid",
                     "Invalid value: " + Quote(type) + ": must be object at the root",
                     path + ".type"});
    }
  }
  if (!in_comb && !root && type.empty() && !int_or_string && !preserve) {
    out.push_back({"FieldValueRequired",
                   "Required value: must not be empty for specified object fields",
                   path + ".type"});
  }
  if (int_or_string && !type.empty()) {
    forbidden(path + ".type", "must be empty if x-kubernetes-int-or-string is true");
  }
  if (embedded && type != "object") {
    out.push_back({"FieldValueInvalid",
                   "Invalid value: " + Quote(type) +
                       ": must be object if x-kubernetes-embedded-resource is true",
                   path + ".type"});
  }
  if (s.contains("properties") && s.contains("additionalProperties")) {
    forbidden(path + ".additionalProperties",
              "additionalProperties and properties are mutual exclusive");
  }
  if (const json::value* ap = s.if_contains("additionalProperties");
      ap && ap->is_bool() && !ap->get_bool()) {
    forbidden(path + ".additionalProperties", "must not be false");
  }
  if (GetBoolField(s, "uniqueItems")) {
    forbidden(path + ".uniqueItems",
              "uniqueItems cannot be set to true since the runtime complexity becomes quadratic");
  }
  if (type == "array" && !s.contains("items")) {
    out.push_back({"FieldValueRequired", "Required value: must be specified", path + ".items"});
  }
  if (s.contains("items") && !api::GetObject(s, "items")) {
    forbidden(path + ".items", "items must be a schema object and not an array");
  }
  if (std::string_view p = api::GetString(s, "pattern"); !p.empty()) {
    if (!CompiledPattern(std::string(p))) {
      out.push_back({"FieldValueInvalid",
                     "Invalid value: " + Quote(p) + ": must be a valid regular expression",
                     path + ".pattern"});
    }
  }
  std::string_view lt = api::GetString(s, "x-kubernetes-list-type");
  if (!lt.empty()) {
    if (lt != "atomic" && lt != "set" && lt != "map") {
      out.push_back(
          {"FieldValueNotSupported",
           "Unsupported value: " + Quote(lt) + ": supported values: \"atomic\", \"set\", \"map\"",
           path + ".x-kubernetes-list-type"});
    }
    if (type != "array") {
      out.push_back({"FieldValueInvalid",
                     "Invalid value: " + Quote(lt) + ": must only be used if type is array",
                     path + ".x-kubernetes-list-type"});
    }
    const json::object* items = api::GetObject(s, "items");
    if (lt == "set" && items && api::GetString(*items, "type") == "object") {
      out.push_back({"FieldValueInvalid",
                     "Invalid value: \"object\": must be a scalar type if "
                     "x-kubernetes-list-type is set",
                     path + ".items.type"});
    }
    if (lt == "map") {
      const json::array* keys = api::GetArray(s, "x-kubernetes-list-map-keys");
      if (!keys || keys->empty()) {
        out.push_back({"FieldValueRequired",
                       "Required value: must not be empty if x-kubernetes-list-type is map",
                       path + ".x-kubernetes-list-map-keys"});
      }
      if (items && api::GetString(*items, "type") != "object") {
        out.push_back({"FieldValueInvalid",
                       "Invalid value: " + Quote(api::GetString(*items, "type")) +
                           ": must be object if parent array's x-kubernetes-list-type is map",
                       path + ".items.type"});
      }
      if (items && keys) {
        const json::object* ip = api::GetObject(*items, "properties");
        const json::array* req = api::GetArray(*items, "required");
        for (const auto& k : *keys) {
          if (!k.is_string())
            continue;
          const json::object* kp = ip ? api::GetObject(*ip, k.get_string()) : nullptr;
          if (!kp) {
            out.push_back({"FieldValueRequired",
                           "Required value: entries must all be names of item properties",
                           path + ".x-kubernetes-list-map-keys"});
            continue;
          }
          bool required = false;
          if (req) {
            for (const auto& r : *req)
              required |= r == k;
          }
          if (!required && !kp->contains("default")) {
            out.push_back({"FieldValueRequired",
                           "Required value: all map keys must be required or have a default "
                           "value",
                           path + ".items.properties[" + std::string(k.get_string()) + "]"});
          }
        }
      }
    }
  } else if (s.contains("x-kubernetes-list-map-keys")) {
    out.push_back({"FieldValueForbidden",
                   "Forbidden: must only be used if x-kubernetes-list-type is map",
                   path + ".x-kubernetes-list-map-keys"});
  }
  if (std::string_view mt = api::GetString(s, "x-kubernetes-map-type"); !mt.empty()) {
    if (mt != "granular" && mt != "atomic") {
      out.push_back(
          {"FieldValueNotSupported",
           "Unsupported value: " + Quote(mt) + ": supported values: \"granular\", \"atomic\"",
           path + ".x-kubernetes-map-type"});
    }
  }
  if (const json::object* props = api::GetObject(s, "properties")) {
    for (const auto& p : *props) {
      const json::object* ps = p.value().if_object();
      std::string cp = path + ".properties[" + std::string(p.key()) + "]";
      if (!ps) {
        out.push_back({"FieldValueInvalid", "Invalid value: must be a schema object", cp});
        continue;
      }
      if (root && p.key() == "metadata") {
        // Only metadata.name and metadata.generateName may be restricted.
        if (const json::object* mp = api::GetObject(*ps, "properties")) {
          for (const auto& mk : *mp) {
            if (mk.key() != "name" && mk.key() != "generateName") {
              forbidden(cp + ".properties[" + std::string(mk.key()) + "]", "must not be specified");
            }
          }
        }
        continue;
      }
      Structural(*ps, cp, false, false, out);
    }
  }
  if (const json::object* ap = api::GetObject(s, "additionalProperties")) {
    Structural(*ap, path + ".additionalProperties", false, false, out);
  }
  if (const json::object* it = api::GetObject(s, "items")) {
    Structural(*it, path + ".items", false, false, out);
  }
  for (const char* comb : {"allOf", "anyOf", "oneOf"}) {
    if (const json::array* subs = api::GetArray(s, comb)) {
      for (size_t i = 0; i < subs->size(); ++i) {
        if (!(*subs)[i].is_object())
          continue;
        const json::object& sub = (*subs)[i].get_object();
        std::string sp = path + "." + comb + "[" + std::to_string(i) + "]";
        for (const char* f : {"type", "default", "nullable", "x-kubernetes-preserve-unknown-fields",
                              "x-kubernetes-embedded-resource", "x-kubernetes-int-or-string"}) {
          if (!sub.contains(f))
            continue;
          // kube's one exception: int-or-string fields may spell out
          // anyOf/allOf [{type: integer}, {type: string}] (what controller-gen emits).
          std::string_view t = api::GetString(sub, "type");
          if (std::string_view(f) == "type" && int_or_string && std::string_view(comb) != "oneOf" &&
              (t == "integer" || t == "string")) {
            continue;
          }
          forbidden(sp + "." + f, "must be empty to be structural");
        }
        Structural(sub, sp, false, true, out);
      }
    }
  }
  if (const json::value* d = s.if_contains("default"); d && !in_comb) {
    if (root) {
      forbidden(path + ".default", "must not be set at the root");
    } else {
      std::vector<StatusCause> dc;
      ValidateValue(*d, s, path + ".default", dc);
      for (auto& c : dc)
        out.push_back(std::move(c));
    }
  }
  for (const char* f : {"$ref", "definitions", "dependencies", "patternProperties", "id"}) {
    if (s.contains(f))
      forbidden(path + "." + f, f + std::string(" is not supported"));
  }
}

}  // namespace

void ValidateStructural(const json::object& schema, const std::string& path,
                        std::vector<StatusCause>& out) {
  Structural(schema, path, true, false, out);
}

void CollectCelRules(const json::value& schema, const std::string& path,
                     std::vector<std::string>& out) {
  const json::object* s = schema.if_object();
  if (!s)
    return;
  if (const json::array* rules = api::GetArray(*s, "x-kubernetes-validations")) {
    for (const auto& r : *rules) {
      if (const json::object* ro = r.if_object()) {
        std::string_view rule = api::GetString(*ro, "rule");
        out.push_back((path.empty() ? std::string("<root>") : path) + ": " + std::string(rule));
      }
    }
  }
  if (const json::object* props = api::GetObject(*s, "properties")) {
    for (const auto& p : *props)
      CollectCelRules(p.value(), Join(path, p.key()), out);
  }
  if (const json::value* it = s->if_contains("items"))
    CollectCelRules(*it, path + "[*]", out);
  if (const json::value* ap = s->if_contains("additionalProperties")) {
    CollectCelRules(*ap, path + "[*]", out);
  }
}

}  // namespace kcx::apiserver::crd
