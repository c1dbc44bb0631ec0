#include "operators/mysql/api/cron.h"

#include <sys/stat.h>

#include <cctype>
#include <climits>
#include <map>
#include <string>
#include <vector>

namespace kcx::mysql::api {

namespace {

struct Bounds {
  long min, max;
  const std::map<std::string, long>* names;
};

const std::map<std::string, long> kMonths = {{"jan", 1}, {"feb", 2},  {"mar", 3},  {"apr", 4},
                                             {"may", 5}, {"jun", 6},  {"jul", 7},  {"aug", 8},
                                             {"sep", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12}};
const std::map<std::string, long> kWeekdays = {{"sun", 0}, {"mon", 1}, {"tue", 2}, {"wed", 3},
                                               {"thu", 4}, {"fri", 5}, {"sat", 6}};

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.emplace_back(s.substr(start, p == std::string_view::npos ? s.npos : p - start));
    if (p == std::string_view::npos)
      return out;
    start = p + 1;
  }
}

// Go's strings.Fields.
std::vector<std::string> Fields(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
      ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])))
      ++j;
    if (j > i)
      out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string GoQuoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// strconv.Atoi, then robfig's "negative number" check.
Result<long> MustParseInt(const std::string& expr) {
  std::string_view d = expr;
  bool neg = false;
  if (!d.empty() && (d[0] == '+' || d[0] == '-')) {
    neg = d[0] == '-';
    d.remove_prefix(1);
  }
  bool ok = !d.empty();
  long long v = 0;
  bool range = false;
  for (char ch : d) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) {
      ok = false;
      break;
    }
    if (v > (LLONG_MAX - (ch - '0')) / 10)
      range = true;
    else
      v = v * 10 + (ch - '0');
  }
  if (!ok || range) {
    return Invalid("failed to parse int from " + expr + ": strconv.Atoi: parsing " +
                   GoQuoted(expr) + (ok ? ": value out of range" : ": invalid syntax"));
  }
  if (neg)
    v = -v;
  if (v < 0) {
    return Invalid("negative number (" + std::to_string(v) + ") not allowed: " + expr);
  }
  return static_cast<long>(v);
}

Result<long> ParseIntOrName(const std::string& expr, const Bounds& b) {
  if (b.names) {
    std::string lower;
    for (char ch : expr)
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (auto it = b.names->find(lower); it != b.names->end())
      return it->second;
  }
  return MustParseInt(expr);
}

Status GetRange(const std::string& expr, const Bounds& b) {
  std::vector<std::string> range_and_step = Split(expr, '/');
  std::vector<std::string> low_high = Split(range_and_step[0], '-');
  bool single = low_high.size() == 1;
  long start = 0, end = 0, step = 1;
  if (low_high[0] == "*" || low_high[0] == "?") {
    start = b.min;
    end = b.max;
  } else {
    KCX_ASSIGN_OR_RETURN(start, ParseIntOrName(low_high[0], b));
    if (low_high.size() == 1) {
      end = start;
    } else if (low_high.size() == 2) {
      KCX_ASSIGN_OR_RETURN(end, ParseIntOrName(low_high[1], b));
    } else {
      return Invalid("too many hyphens: " + expr);
    }
  }
  if (range_and_step.size() == 2) {
    KCX_ASSIGN_OR_RETURN(step, MustParseInt(range_and_step[1]));
    if (single)
      end = b.max;  // "N/step" means N-max/step
  } else if (range_and_step.size() > 2) {
    return Invalid("too many slashes: " + expr);
  }
  auto n = [](long x) { return std::to_string(x); };
  if (start < b.min) {
    return Invalid("beginning of range (" + n(start) + ") below minimum (" + n(b.min) +
                   "): " + expr);
  }
  if (end > b.max) {
    return Invalid("end of range (" + n(end) + ") above maximum (" + n(b.max) + "): " + expr);
  }
  if (start > end) {
    return Invalid("beginning of range (" + n(start) + ") beyond end of range (" + n(end) +
                   "): " + expr);
  }
  if (step == 0)
    return Invalid("step of range should be a positive number: " + expr);
  return Status::Ok();
}

// time.ParseDuration's grammar: [-+]? (decimal unit)+ or "0".
Status ParseGoDuration(std::string_view orig) {
  std::string_view s = orig;
  std::string q = GoQuoted(orig);
  if (!s.empty() && (s[0] == '-' || s[0] == '+'))
    s.remove_prefix(1);
  if (s == "0")
    return Status::Ok();
  if (s.empty())
    return Invalid("time: invalid duration " + q);
  static const char* kUnits[] = {"ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms", "s", "m", "h"};
  while (!s.empty()) {
    size_t i = 0;
    bool digits = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      ++i, digits = true;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
        ++i, digits = true;
    }
    if (!digits)
      return Invalid("time: invalid duration " + q);
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !std::isdigit(static_cast<unsigned char>(s[u])))
      ++u;
    if (u == 0)
      return Invalid("time: missing unit in duration " + q);
    std::string_view unit = s.substr(0, u);
    bool known = false;
    for (const char* k : kUnits)
      known |= unit == k;
    if (!known) {
      return Invalid("time: unknown unit " + GoQuoted(unit) + " in duration " + q);
    }
    s.remove_prefix(u);
  }
  return Status::Ok();
}

Status ParseDescriptor(const std::string& d) {
  for (const char* k :
       {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}) {
    if (d == k)
      return Status::Ok();
  }
  constexpr std::string_view kEvery = "@every ";
  if (d.rfind(kEvery, 0) == 0) {
    Status s = ParseGoDuration(std::string_view(d).substr(kEvery.size()));
    if (!s.ok())
      return Invalid("failed to parse duration " + d + ": " + s.message());
    return Status::Ok();
  }
  return Invalid("unrecognized descriptor: " + d);
}

// time.LoadLocation on a system with the tz database in /usr/share/zoneinfo.
bool KnownLocation(const std::string& name) {
  if (name.empty() || name == "UTC" || name == "Local")
    return true;
  if (name.find("..") != std::string::npos || name[0] == '/')
    return false;
  struct stat st;
  return ::stat(("/usr/share/zoneinfo/" + name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

Status ParseStandardCron(std::string_view spec_in) {
  std::string spec(spec_in);
  if (spec.empty())
    return Invalid("empty spec string");
  if (spec.rfind("TZ=", 0) == 0 || spec.rfind("CRON_TZ=", 0) == 0) {
    size_t sp = spec.find(' ');
    size_t eq = spec.find('=');
    std::string loc = spec.substr(eq + 1, sp == std::string::npos ? spec.npos : sp - eq - 1);
    if (sp == std::string::npos || !KnownLocation(loc)) {
      return Invalid("provided bad location " + loc + ": unknown time zone " + loc);
    }
    spec = spec.substr(sp);
    size_t b = spec.find_first_not_of(" \t\n\r\v\f");
    spec = b == std::string::npos ? "" : spec.substr(b);
  }
  if (!spec.empty() && spec[0] == '@')
    return ParseDescriptor(spec);
  std::vector<std::string> fields = Fields(spec);
  if (fields.size() != 5) {
    std::string shown = "[";
    for (size_t i = 0; i < fields.size(); ++i)
      shown += (i ? " " : "") + fields[i];
    shown += "]";
    return Invalid("expected exactly 5 fields, found " + std::to_string(fields.size()) + ": " +
                   shown);
  }
  const Bounds bounds[5] = {
      {0, 59, nullptr}, {0, 23, nullptr}, {1, 31, nullptr}, {1, 12, &kMonths}, {0, 6, &kWeekdays}};
  for (size_t f = 0; f < 5; ++f) {
    for (const std::string& expr : Split(fields[f], ',')) {
      if (expr.empty())
        continue;  // strings.FieldsFunc drops empty parts
      KCX_RETURN_IF_ERROR(GetRange(expr, bounds[f]));
    }
  }
  return Status::Ok();
}

}  // namespace kcx::mysql::api
