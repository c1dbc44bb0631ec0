#include "api/validation.h"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

namespace kcx::api {
namespace {

constexpr int kDns1123LabelMaxLength = 63;
constexpr int kDns1123SubdomainMaxLength = 253;
constexpr int kDns1035LabelMaxLength = 63;
constexpr int kQualifiedNameMaxLength = 63;
constexpr int kLabelValueMaxLength = 63;

constexpr std::string_view kDns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kDns1123LabelErrMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character";
constexpr std::string_view kDns1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kDns1123SubdomainErrMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::string_view kDns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kDns1035LabelErrMsg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character";
constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kQualifiedNameErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr std::string_view kLabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
constexpr std::string_view kLabelValueErrMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character";

std::string MaxLenError(int length) {
  return "must be no more than " + std::to_string(length) + " characters";
}

std::string RegexError(std::string_view msg, std::string_view fmt,
                       std::initializer_list<std::string_view> examples) {
  std::string out(msg);
  if (examples.size() == 0) {
    out += " (regex used for validation is '";
    out += fmt;
    out += "')";
    return out;
  }
  out += " (e.g. ";
  bool first = true;
  for (std::string_view e : examples) {
    if (!first)
      out += " or ";
    first = false;
    out += "'";
    out += e;
    out += "', ";
  }
  out += "regex used for validation is '";
  out += fmt;
  out += "')";
  return out;
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$
bool MatchesDns1123Label(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back()))
    return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-')
      return false;
  }
  return true;
}

bool MatchesDns1123Subdomain(std::string_view s) {
  if (s.empty())
    return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (!MatchesDns1123Label(part))
      return false;
    if (dot == std::string_view::npos)
      return true;
    start = dot + 1;
  }
}

bool MatchesDns1035Label(std::string_view s) {
  return MatchesDns1123Label(s) && s.front() >= 'a' && s.front() <= 'z';
}

// ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$
bool MatchesQualifiedNamePart(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back()))
    return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.')
      return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> IsDns1123Label(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123LabelMaxLength)
    errs.push_back(MaxLenError(kDns1123LabelMaxLength));
  if (!MatchesDns1123Label(value)) {
    if (MatchesDns1123Subdomain(value)) {
      errs.push_back("must not contain dots");
    } else {
      errs.push_back(RegexError(kDns1123LabelErrMsg, kDns1123LabelFmt, {"my-name", "123-abc"}));
    }
  }
  return errs;
}

std::vector<std::string> IsDns1123Subdomain(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123SubdomainMaxLength) {
    errs.push_back(MaxLenError(kDns1123SubdomainMaxLength));
  }
  if (!MatchesDns1123Subdomain(value)) {
    errs.push_back(RegexError(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
  }
  return errs;
}

std::vector<std::string> IsDns1035Label(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1035LabelMaxLength)
    errs.push_back(MaxLenError(kDns1035LabelMaxLength));
  if (!MatchesDns1035Label(value)) {
    errs.push_back(RegexError(kDns1035LabelErrMsg, kDns1035LabelFmt, {"my-name", "abc-123"}));
  }
  return errs;
}

std::vector<std::string> IsQualifiedName(std::string_view value) {
  std::vector<std::string> errs;
  std::string_view name;
  size_t slash = value.find('/');
  if (slash == std::string_view::npos) {
    name = value;
  } else if (value.find('/', slash + 1) == std::string_view::npos) {
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (std::string& m : IsDns1123Subdomain(prefix))
        errs.push_back("prefix part " + m);
    }
  } else {
    errs.push_back(
        "a qualified name " +
        RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}) +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    return errs;
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > kQualifiedNameMaxLength) {
    errs.push_back("name part " + MaxLenError(kQualifiedNameMaxLength));
  }
  if (!MatchesQualifiedNamePart(name)) {
    errs.push_back("name part " + RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt,
                                             {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> IsValidLabelValue(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kLabelValueMaxLength)
    errs.push_back(MaxLenError(kLabelValueMaxLength));
  if (!value.empty() && !MatchesQualifiedNamePart(value)) {
    errs.push_back(RegexError(kLabelValueErrMsg, kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::vector<std::string> IsValidPathSegmentName(std::string_view name) {
  if (name == ".")
    return {"may not be '.'"};
  if (name == "..")
    return {"may not be '..'"};
  std::vector<std::string> errs;
  if (name.find('/') != std::string_view::npos)
    errs.push_back("may not contain '/'");
  if (name.find('%') != std::string_view::npos)
    errs.push_back("may not contain '%'");
  return errs;
}

std::string GoQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  auto hex = [&out](unsigned char c) {
    char buf[5];
    std::snprintf(buf, sizeof(buf), "\\x%02x", c);
    out += buf;
  };
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\a':
          out += "\\a";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\v':
          out += "\\v";
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            hex(c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Multi-byte UTF-8: copy a well-formed sequence, escape a stray byte as Go does.
    size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    bool ok = len != 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      hex(c);
      ++i;
    }
  }
  out += '"';
  return out;
}

StatusCause FieldInvalid(std::string field, std::string_view bad_value, std::string_view detail) {
  std::string msg = "Invalid value: " + GoQuote(bad_value);
  if (!detail.empty()) {
    msg += ": ";
    msg += detail;
  }
  return StatusCause{"FieldValueInvalid", std::move(msg), std::move(field)};
}

StatusCause FieldRequired(std::string field, std::string_view detail) {
  std::string msg = "Required value";
  if (!detail.empty()) {
    msg += ": ";
    msg += detail;
  }
  return StatusCause{"FieldValueRequired", std::move(msg), std::move(field)};
}

StatusCause FieldForbidden(std::string field, std::string_view detail) {
  std::string msg = "Forbidden";
  if (!detail.empty()) {
    msg += ": ";
    msg += detail;
  }
  return StatusCause{"FieldValueForbidden", std::move(msg), std::move(field)};
}

StatusCause FieldTooLong(std::string field, int64_t max_length) {
  return StatusCause{"FieldValueTooLong",
                     "Too long: may not be longer than " + std::to_string(max_length),
                     std::move(field)};
}

namespace {

// Sorted (key, value) views over a string map; nullopt-like flag when the member is malformed.
struct StringMapView {
  bool malformed = false;
  std::vector<std::pair<std::string_view, std::string_view>> entries;
};

StringMapView ViewStringMap(const boost::json::value& v) {
  StringMapView out;
  if (v.is_null())
    return out;
  const boost::json::object* o = v.if_object();
  if (o == nullptr) {
    out.malformed = true;
    return out;
  }
  out.entries.reserve(o->size());
  for (const auto& kv : *o) {
    const boost::json::string* s = kv.value().if_string();
    if (s == nullptr) {
      out.malformed = true;
      continue;
    }
    out.entries.emplace_back(std::string_view(kv.key()), std::string_view(*s));
  }
  std::sort(out.entries.begin(), out.entries.end());
  return out;
}

}  // namespace

void ValidateObjectMetaLabelsAnnotations(const boost::json::object& metadata,
                                         std::vector<StatusCause>& causes) {
  if (const boost::json::value* labels = metadata.if_contains("labels")) {
    StringMapView view = ViewStringMap(*labels);
    if (view.malformed) {
      causes.push_back(StatusCause{"FieldValueInvalid",
                                   "Invalid value: must be an object of string values",
                                   "metadata.labels"});
    }
    for (const auto& [k, v] : view.entries) {
      for (const std::string& msg : IsQualifiedName(k)) {
        causes.push_back(FieldInvalid("metadata.labels", k, msg));
      }
      for (const std::string& msg : IsValidLabelValue(v)) {
        causes.push_back(FieldInvalid("metadata.labels", v, msg));
      }
    }
  }
  if (const boost::json::value* annotations = metadata.if_contains("annotations")) {
    StringMapView view = ViewStringMap(*annotations);
    if (view.malformed) {
      causes.push_back(StatusCause{"FieldValueInvalid",
                                   "Invalid value: must be an object of string values",
                                   "metadata.annotations"});
    }
    int64_t total = 0;
    std::string lower;
    for (const auto& [k, v] : view.entries) {
      // The rule is QualifiedName except that case does not matter.
      lower.assign(k);
      for (char& c : lower) {
        if (c >= 'A' && c <= 'Z')
          c = static_cast<char>(c - 'A' + 'a');
      }
      for (const std::string& msg : IsQualifiedName(lower)) {
        causes.push_back(FieldInvalid("metadata.annotations", k, msg));
      }
      total += static_cast<int64_t>(k.size() + v.size());
    }
    if (total > kTotalAnnotationSizeLimitBytes) {
      causes.push_back(FieldTooLong("metadata.annotations", kTotalAnnotationSizeLimitBytes));
    }
  }
}

std::vector<std::string> ValidateName(NameRule rule, std::string_view name, bool prefix) {
  std::string masked;
  if (prefix && name.size() > 1 && name.back() == '-') {
    // generateName prefixes may end in '-': validate as if it were a letter.
    masked.assign(name);
    masked.back() = 'a';
    name = masked;
  }
  switch (rule) {
    case NameRule::kDns1123Subdomain:
      return IsDns1123Subdomain(name);
    case NameRule::kDns1123Label:
      return IsDns1123Label(name);
    case NameRule::kDns1035Label:
      return IsDns1035Label(name);
    case NameRule::kPathSegment:
      return IsValidPathSegmentName(name);
  }
  return {};
}

void ValidateObjectMetaNames(const boost::json::object& metadata, bool namespaced, NameRule rule,
                             std::vector<StatusCause>& causes) {
  auto get = [&metadata](std::string_view key) -> std::string_view {
    const boost::json::value* v = metadata.if_contains(key);
    if (v == nullptr || !v->is_string())
      return {};
    return v->get_string();
  };
  std::string_view name = get("name");
  std::string_view generate_name = get("generateName");
  if (!generate_name.empty()) {
    for (const std::string& msg : ValidateName(rule, generate_name, true)) {
      causes.push_back(FieldInvalid("metadata.generateName", generate_name, msg));
    }
  }
  if (name.empty()) {
    if (generate_name.empty()) {
      causes.push_back(FieldRequired("metadata.name", "name or generateName is required"));
    }
  } else {
    for (const std::string& msg : ValidateName(rule, name, false)) {
      causes.push_back(FieldInvalid("metadata.name", name, msg));
    }
  }
  std::string_view ns = get("namespace");
  if (namespaced) {
    if (ns.empty()) {
      causes.push_back(FieldRequired("metadata.namespace", ""));
    } else {
      for (const std::string& msg : IsDns1123Label(ns)) {
        causes.push_back(FieldInvalid("metadata.namespace", ns, msg));
      }
    }
  } else if (!ns.empty()) {
    causes.push_back(FieldForbidden("metadata.namespace", "not allowed on this type"));
  }
}

std::string FormatInvalidMessage(std::string_view kind, std::string_view name,
                                 const std::vector<StatusCause>& causes) {
  std::string out(kind);
  out += ' ';
  out += GoQuote(name);
  out += " is invalid";
  std::vector<std::string> parts;
  std::unordered_set<std::string> seen;
  for (const StatusCause& c : causes) {
    std::string text = c.field.empty() ? c.message : c.field + ": " + c.message;
    if (seen.insert(text).second)
      parts.push_back(std::move(text));
  }
  if (parts.empty())
    return out;
  out += ": ";
  if (parts.size() == 1) {
    out += parts[0];
    return out;
  }
  out += '[';
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0)
      out += ", ";
    out += parts[i];
  }
  out += ']';
  return out;
}

Status InvalidStatus(std::string_view group, std::string_view kind, std::string_view name,
                     std::vector<StatusCause> causes) {
  std::string qualified(kind);
  if (!group.empty()) {
    qualified += '.';
    qualified += group;
  }
  Status s = Invalid(FormatInvalidMessage(qualified, name, causes));
  StatusDetails& d = s.mutable_details();
  d.name = std::string(name);
  d.group = std::string(group);
  d.kind = std::string(kind);
  d.causes = std::move(causes);
  return s;
}

namespace {

// Go's %#v of a *bool field inside a struct: kube prints the pointer; an address means nothing
// to a client, so the value is printed instead.
std::string GoBoolPtr(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_bool())
    return "(*bool)(nil)";
  return it->value().get_bool() ? "(*bool)(true)" : "(*bool)(false)";
}

std::string StrField(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string())
    return "";
  return std::string(it->value().get_string());
}

}  // namespace

void ValidateObjectMetaOwnersFinalizers(const boost::json::object& metadata,
                                        std::vector<StatusCause>& causes) {
  const std::string path = "metadata.ownerReferences";
  if (const boost::json::value* v = metadata.if_contains("ownerReferences")) {
    const boost::json::array* refs = v->if_array();
    if (!refs && !v->is_null()) {
      causes.push_back(StatusCause{"FieldValueInvalid", "Invalid value: must be a list", path});
    }
    std::string first_controller;
    std::string all;  // the list as Go's %#v prints it (pointer fields by value)
    if (refs) {
      all = "[]v1.OwnerReference{";
      bool firstv = true;
      for (const auto& r : *refs) {
        const boost::json::object* o = r.if_object();
        if (!o)
          continue;
        if (!firstv)
          all += ", ";
        firstv = false;
        all += "v1.OwnerReference{APIVersion:" + GoQuote(StrField(*o, "apiVersion")) +
               ", Kind:" + GoQuote(StrField(*o, "kind")) +
               ", Name:" + GoQuote(StrField(*o, "name")) + ", UID:" + GoQuote(StrField(*o, "uid")) +
               ", Controller:" + GoBoolPtr(*o, "controller") +
               ", BlockOwnerDeletion:" + GoBoolPtr(*o, "blockOwnerDeletion") + "}";
      }
      all += "}";
    }
    for (size_t i = 0; refs && i < refs->size(); ++i) {
      const boost::json::object* o = (*refs)[i].if_object();
      if (!o) {
        causes.push_back(
            StatusCause{"FieldValueInvalid", "Invalid value: must be an object", path});
        continue;
      }
      std::string api_version = StrField(*o, "apiVersion");
      std::string kind = StrField(*o, "kind");
      std::string name = StrField(*o, "name");
      std::string uid = StrField(*o, "uid");
      // schema.FromAPIVersionAndKind: "group/version" or "version"; anything else has no
      // version.
      std::string group, version;
      if (auto slash = api_version.find('/'); slash == std::string::npos) {
        version = api_version;
      } else if (api_version.find('/', slash + 1) == std::string::npos) {
        group = api_version.substr(0, slash);
        version = api_version.substr(slash + 1);
      }
      if (version.empty()) {
        causes.push_back(
            FieldInvalid(path + ".apiVersion", api_version, "version must not be empty"));
      }
      if (kind.empty())
        causes.push_back(FieldInvalid(path + ".kind", kind, "kind must not be empty"));
      if (name.empty())
        causes.push_back(FieldInvalid(path + ".name", name, "name must not be empty"));
      if (uid.empty())
        causes.push_back(FieldInvalid(path + ".uid", uid, "uid must not be empty"));
      if (group.empty() && version == "v1" && kind == "Event") {
        causes.push_back(StatusCause{
            "FieldValueInvalid",
            "Invalid value: v1.OwnerReference{APIVersion:" + GoQuote(api_version) +
                ", Kind:" + GoQuote(kind) + ", Name:" + GoQuote(name) + ", UID:" + GoQuote(uid) +
                ", Controller:" + GoBoolPtr(*o, "controller") +
                ", BlockOwnerDeletion:" + GoBoolPtr(*o, "blockOwnerDeletion") +
                "}: /v1, Kind=Event is disallowed from being an owner",
            path});
      }
      auto c = o->find("controller");
      if (c != o->end() && c->value().is_bool() && c->value().get_bool()) {
        std::string cur = kind + "/" + name;
        if (!first_controller.empty()) {
          causes.push_back(StatusCause{
              "FieldValueInvalid",
              "Invalid value: " + all +
                  ": Only one reference can have Controller set to true. Found \"true\" in "
                  "references for " +
                  first_controller + " and " + cur,
              path});
        } else {
          first_controller = cur;
        }
      }
    }
  }
  if (const boost::json::array* f = [&]() -> const boost::json::array* {
        auto it = metadata.find("finalizers");
        return it == metadata.end() ? nullptr : it->value().if_array();
      }()) {
    bool orphan = false, foreground = false;
    std::string list = "[]string{";
    for (size_t i = 0; i < f->size(); ++i) {
      if (!(*f)[i].is_string())
        continue;
      std::string_view s = (*f)[i].get_string();
      orphan |= s == "orphan";
      foreground |= s == "foregroundDeletion";
      list += (i ? ", " : "") + GoQuote(s);
    }
    list += "}";
    if (orphan && foreground) {
      causes.push_back(StatusCause{
          "FieldValueInvalid",
          "Invalid value: " + list + ": finalizer orphan and foregroundDeletion cannot be both set",
          "metadata.finalizers"});
    }
  }
}

}  // namespace kcx::api
