#include "operators/mysql/db/gtid.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/strings.h"

namespace kcx::mysql {
namespace {

bool ParseU64(std::string_view s, uint64_t* out) {
  s = Trim(s);
  if (s.empty())
    return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36)
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-')
        return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

// Sorts and merges touching or overlapping intervals.
void Normalize(std::vector<GtidInterval>& v) {
  std::sort(v.begin(), v.end(),
            [](const GtidInterval& a, const GtidInterval& b) { return a.start < b.start; });
  std::vector<GtidInterval> out;
  out.reserve(v.size());
  for (const auto& iv : v) {
    if (!out.empty() && iv.start <= out.back().end + 1) {
      out.back().end = std::max(out.back().end, iv.end);
    } else {
      out.push_back(iv);
    }
  }
  v.swap(out);
}

// a minus b, both normalized.
std::vector<GtidInterval> SubtractIntervals(const std::vector<GtidInterval>& a,
                                            const std::vector<GtidInterval>& b) {
  std::vector<GtidInterval> out;
  size_t j = 0;
  for (GtidInterval cur : a) {
    while (j < b.size() && b[j].end < cur.start)
      ++j;
    size_t k = j;
    bool gone = false;
    while (k < b.size() && b[k].start <= cur.end) {
      if (b[k].start > cur.start)
        out.push_back({cur.start, b[k].start - 1});
      if (b[k].end >= cur.end) {
        gone = true;
        break;
      }
      cur.start = b[k].end + 1;
      ++k;
    }
    if (!gone)
      out.push_back(cur);
  }
  return out;
}

}  // namespace

std::string_view FlavorName(Flavor f) { return f == Flavor::kMySQL ? "mysql" : "mariadb"; }

Result<MysqlGtidSet> MysqlGtidSet::Parse(std::string_view s) {
  MysqlGtidSet set;
  std::string cleaned;
  cleaned.reserve(s.size());
  for (char c : s) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t')
      cleaned.push_back(c);
  }
  if (cleaned.empty())
    return set;
  for (std::string_view part : Split(cleaned, ',')) {
    if (part.empty())
      return Invalid("empty element in GTID set");
    auto fields = Split(part, ':');
    if (fields.size() < 2)
      return Invalid("GTID set element without interval: " + std::string(part));
    if (!IsUuid(fields[0]))
      return Invalid("bad UUID in GTID set: " + std::string(fields[0]));
    for (size_t i = 1; i < fields.size(); ++i) {
      auto dash = fields[i].find('-');
      uint64_t a = 0, b = 0;
      if (dash == std::string_view::npos) {
        if (!ParseU64(fields[i], &a))
          return Invalid("bad GTID interval: " + std::string(part));
        b = a;
      } else if (!ParseU64(fields[i].substr(0, dash), &a) ||
                 !ParseU64(fields[i].substr(dash + 1), &b)) {
        return Invalid("bad GTID interval: " + std::string(part));
      }
      if (a == 0 || b < a)
        return Invalid("bad GTID interval: " + std::string(part));
      set.Add(fields[0], a, b);
    }
  }
  return set;
}

void MysqlGtidSet::Add(std::string_view uuid, uint64_t start, uint64_t end) {
  std::string u(uuid);
  for (char& c : u)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto& v = sets_[u];
  v.push_back({start, end});
  Normalize(v);
}

std::string MysqlGtidSet::ToString() const {
  std::string out;
  for (const auto& [uuid, ivs] : sets_) {
    if (!out.empty())
      out += ',';
    out += uuid;
    for (const auto& iv : ivs) {
      out += ':';
      out += std::to_string(iv.start);
      if (iv.end != iv.start) {
        out += '-';
        out += std::to_string(iv.end);
      }
    }
  }
  return out;
}

MysqlGtidSet MysqlGtidSet::Union(const MysqlGtidSet& o) const {
  MysqlGtidSet r = *this;
  for (const auto& [uuid, ivs] : o.sets_) {
    auto& v = r.sets_[uuid];
    v.insert(v.end(), ivs.begin(), ivs.end());
    Normalize(v);
  }
  return r;
}

MysqlGtidSet MysqlGtidSet::Subtract(const MysqlGtidSet& o) const {
  MysqlGtidSet r;
  for (const auto& [uuid, ivs] : sets_) {
    auto it = o.sets_.find(uuid);
    std::vector<GtidInterval> rest = it == o.sets_.end() ? ivs : SubtractIntervals(ivs, it->second);
    if (!rest.empty())
      r.sets_[uuid] = std::move(rest);
  }
  return r;
}

bool MysqlGtidSet::IsSubsetOf(const MysqlGtidSet& o) const { return Subtract(o).Empty(); }

std::vector<std::string> MysqlGtidSet::Uuids() const {
  std::vector<std::string> out;
  for (const auto& [uuid, _] : sets_)
    out.push_back(uuid);
  return out;
}

uint64_t MysqlGtidSet::Count() const {
  uint64_t n = 0;
  for (const auto& [_, ivs] : sets_)
    for (const auto& iv : ivs)
      n += iv.end - iv.start + 1;
  return n;
}

Result<MariadbGtidPos> MariadbGtidPos::Parse(std::string_view s) {
  MariadbGtidPos pos;
  std::string cleaned;
  for (char c : s) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t')
      cleaned.push_back(c);
  }
  if (cleaned.empty())
    return pos;
  for (std::string_view part : Split(cleaned, ',')) {
    auto f = Split(part, '-');
    uint64_t d = 0, sid = 0, seq = 0;
    if (f.size() != 3 || !ParseU64(f[0], &d) || !ParseU64(f[1], &sid) || !ParseU64(f[2], &seq) ||
        d > UINT32_MAX || sid > UINT32_MAX) {
      return Invalid("bad MariaDB GTID: " + std::string(part));
    }
    if (pos.by_domain_.count(static_cast<uint32_t>(d))) {
      return Invalid("duplicate domain in MariaDB GTID position: " + std::string(s));
    }
    pos.Set({static_cast<uint32_t>(d), static_cast<uint32_t>(sid), seq});
  }
  return pos;
}

std::string MariadbGtidPos::ToString() const {
  std::string out;
  for (const auto& [d, g] : by_domain_) {
    if (!out.empty())
      out += ',';
    out +=
        std::to_string(g.domain) + "-" + std::to_string(g.server_id) + "-" + std::to_string(g.seq);
  }
  return out;
}

MariadbGtidPos MariadbGtidPos::Union(const MariadbGtidPos& o) const {
  MariadbGtidPos r = *this;
  for (const auto& [d, g] : o.by_domain_) {
    auto it = r.by_domain_.find(d);
    if (it == r.by_domain_.end() || it->second.seq < g.seq)
      r.by_domain_[d] = g;
  }
  return r;
}

std::vector<MariadbGtid> MariadbGtidPos::NotCoveredBy(const MariadbGtidPos& o) const {
  std::vector<MariadbGtid> out;
  for (const auto& [d, g] : by_domain_) {
    auto it = o.by_domain_.find(d);
    if (it == o.by_domain_.end() || it->second.seq < g.seq ||
        (it->second.seq == g.seq && it->second.server_id != g.server_id)) {
      out.push_back(g);
    }
  }
  return out;
}

bool MariadbGtidPos::Contains(const MariadbGtidPos& o) const {
  return o.NotCoveredBy(*this).empty();
}

Result<GtidSet> GtidSet::Parse(Flavor f, std::string_view s) {
  if (f == Flavor::kMySQL) {
    KCX_ASSIGN_OR_RETURN(auto set, MysqlGtidSet::Parse(s));
    return GtidSet(std::move(set));
  }
  KCX_ASSIGN_OR_RETURN(auto pos, MariadbGtidPos::Parse(s));
  return GtidSet(std::move(pos));
}

GtidSet GtidSet::EmptyOf(Flavor f) {
  return f == Flavor::kMySQL ? GtidSet(MysqlGtidSet()) : GtidSet(MariadbGtidPos());
}

bool GtidSet::Empty() const {
  return std::visit([](const auto& v) { return v.Empty(); }, v_);
}

std::string GtidSet::ToString() const {
  return std::visit([](const auto& v) { return v.ToString(); }, v_);
}

GtidSet GtidSet::Union(const GtidSet& o) const {
  if (auto* a = mysql()) {
    if (auto* b = o.mysql())
      return GtidSet(a->Union(*b));
  } else if (auto* a2 = mariadb()) {
    if (auto* b = o.mariadb())
      return GtidSet(a2->Union(*b));
  }
  return *this;
}

bool GtidSet::IsSubsetOf(const GtidSet& o) const {
  if (auto* a = mysql()) {
    if (auto* b = o.mysql())
      return a->IsSubsetOf(*b);
  } else if (auto* a2 = mariadb()) {
    if (auto* b = o.mariadb())
      return b->Contains(*a2);
  }
  return false;
}

std::vector<std::string> GtidSet::OriginsNotIn(const GtidSet& o) const {
  std::vector<std::string> out;
  if (auto* a = mysql()) {
    if (auto* b = o.mysql())
      return a->Subtract(*b).Uuids();
  } else if (auto* a2 = mariadb()) {
    if (auto* b = o.mariadb()) {
      for (const auto& g : a2->NotCoveredBy(*b)) {
        std::string id = std::to_string(g.server_id);
        if (std::find(out.begin(), out.end(), id) == out.end())
          out.push_back(id);
      }
    }
  }
  return out;
}

}  // namespace kcx::mysql
