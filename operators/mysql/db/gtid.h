#pragma once

// GTID sets (MySQL) and GTID positions (MariaDB), computed in C++ without server functions.
//
// MySQL identifies a transaction by <server_uuid>:<n> and keeps the full executed set as
// "uuid:1-5:7-9,uuid2:1-3". MariaDB identifies it by <domain>-<server_id>-<seq> and, because
// gtid_strict_mode keeps sequence numbers strictly increasing inside a domain, keeps only the
// last GTID per domain ("0-11-42,1-12-7"). GtidSet wraps either so that the clustering logic
// (union, superset, errant detection) is written once.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"

namespace kcx::mysql {

enum class Flavor { kMariaDB, kMySQL };
std::string_view FlavorName(Flavor f);

// An inclusive interval of transaction numbers.
struct GtidInterval {
  uint64_t start = 0;
  uint64_t end = 0;
  bool operator==(const GtidInterval&) const = default;
};

// A MySQL GTID set: uuid -> sorted, merged, non-overlapping intervals.
class MysqlGtidSet {
 public:
  // Accepts the server's format, including newlines after commas and upper-case UUIDs
  // (normalised to lower case). The empty string is the empty set.
  static Result<MysqlGtidSet> Parse(std::string_view s);

  // Canonical form: UUIDs sorted, intervals merged, "a-b" or "a" when a == b.
  std::string ToString() const;
  bool Empty() const { return sets_.empty(); }
  void Add(std::string_view uuid, uint64_t start, uint64_t end);
  MysqlGtidSet Union(const MysqlGtidSet& o) const;
  // Transactions in *this and not in o.
  MysqlGtidSet Subtract(const MysqlGtidSet& o) const;
  bool IsSubsetOf(const MysqlGtidSet& o) const;
  std::vector<std::string> Uuids() const;
  uint64_t Count() const;
  bool operator==(const MysqlGtidSet&) const = default;

 private:
  std::map<std::string, std::vector<GtidInterval>> sets_;
};

struct MariadbGtid {
  uint32_t domain = 0;
  uint32_t server_id = 0;
  uint64_t seq = 0;
  bool operator==(const MariadbGtid&) const = default;
};

// A MariaDB GTID position: the last GTID of each replication domain.
class MariadbGtidPos {
 public:
  static Result<MariadbGtidPos> Parse(std::string_view s);
  std::string ToString() const;  // domains in ascending order
  bool Empty() const { return by_domain_.empty(); }
  void Set(MariadbGtid g) { by_domain_[g.domain] = g; }
  const std::map<uint32_t, MariadbGtid>& domains() const { return by_domain_; }
  // Per domain, the GTID with the higher sequence number. On a tie with different server ids the
  // positions have diverged; *this wins (the caller detects divergence with Contains).
  MariadbGtidPos Union(const MariadbGtidPos& o) const;
  // True when every transaction up to o's position is (by sequence) covered by *this: for each
  // domain of o, *this has a higher sequence number, or the same GTID.
  bool Contains(const MariadbGtidPos& o) const;
  // The GTIDs of *this not covered by o (per domain: absent in o, higher seq, or same seq from
  // a different server).
  std::vector<MariadbGtid> NotCoveredBy(const MariadbGtidPos& o) const;
  bool operator==(const MariadbGtidPos&) const = default;

 private:
  std::map<uint32_t, MariadbGtid> by_domain_;
};

// Flavor-neutral view used by the clustering manager.
class GtidSet {
 public:
  GtidSet() : v_(MariadbGtidPos()) {}
  explicit GtidSet(MysqlGtidSet s) : v_(std::move(s)) {}
  explicit GtidSet(MariadbGtidPos p) : v_(std::move(p)) {}
  static Result<GtidSet> Parse(Flavor f, std::string_view s);
  static GtidSet EmptyOf(Flavor f);

  Flavor flavor() const { return v_.index() == 0 ? Flavor::kMariaDB : Flavor::kMySQL; }
  bool Empty() const;
  std::string ToString() const;
  // Both operands must be of the same flavor; a flavor mismatch yields *this / false.
  GtidSet Union(const GtidSet& o) const;
  bool IsSubsetOf(const GtidSet& o) const;
  // The origins (MySQL: server UUIDs; MariaDB: server ids in decimal) of the transactions in
  // *this that `o` lacks. Used for errant detection: a replica's executed set minus the
  // primary's.
  std::vector<std::string> OriginsNotIn(const GtidSet& o) const;

  const MysqlGtidSet* mysql() const { return std::get_if<MysqlGtidSet>(&v_); }
  const MariadbGtidPos* mariadb() const { return std::get_if<MariadbGtidPos>(&v_); }
  bool operator==(const GtidSet&) const = default;

 private:
  std::variant<MariadbGtidPos, MysqlGtidSet> v_;
};

}  // namespace kcx::mysql
