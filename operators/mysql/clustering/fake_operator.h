#pragma once

// A stateful fake of a set of MySQL/MariaDB instances for tests of the clustering logic, in
// the manner of MOCO's clustering/mock_test.go: each instance has a binlog (a list of
// transactions), read-only and semi-sync flags and a replication configuration; Replicate()
// moves transactions from sources to replicas (IO thread: retrieved; SQL thread: applied), and
// refuses a replica whose binlog is not a prefix of its source's (as a MariaDB source in
// gtid_strict_mode does, error 1236). GTIDs are rendered in either flavor.
//
// Threading: every method locks the world; operators may be used from several threads.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "operators/mysql/db/db_operator.h"

namespace kcx::mysql::clustering {

struct FakeTxn {
  uint32_t origin = 0;  // server id of the instance that executed it first
  uint64_t gno = 0;     // per-origin number (MySQL); MariaDB uses the position in the binlog
  bool operator==(const FakeTxn&) const = default;
};

struct FakeInstance {
  uint32_t server_id = 0;
  Endpoint endpoint;
  bool up = true;
  bool read_only = true;
  bool semisync_source = false;
  bool semisync_replica = false;
  int wait_count = 0;
  std::vector<FakeTxn> binlog;     // executed
  std::vector<FakeTxn> retrieved;  // relay log (received, maybe not applied)
  bool replica_configured = false;
  Endpoint source;
  bool io_running = false;
  bool sql_running = false;
  unsigned io_errno = 0;
  std::string io_error;
};

class FakeWorld {
 public:
  FakeWorld(Flavor flavor, int n, uint32_t server_id_base);

  Flavor flavor() const { return flavor_; }
  // Runs replication to a fixed point (unless paused).
  void Replicate();
  void SetAutoReplicate(bool on);
  // A client write on instance i; fails (false) if it is down or read-only.
  bool Write(int i);
  // A local write that bypasses read-only (an operator's mistake: the errant transaction).
  void ErrantWrite(int i);
  void SetUp(int i, bool up);
  // Sets instance i's relay log to the first k transactions of instance `from`'s binlog without
  // applying them (a lagging SQL thread), for tests with auto-replication off.
  void SetRetrieved(int i, int from, size_t k);
  // Replaces instance i with an empty one (a wiped data directory).
  void Wipe(int i);
  // Copy of an instance's state.
  FakeInstance Get(int i);
  int size();
  GtidSet Executed(int i);
  std::string TxnsOf(int i);  // for failure messages
  // Counters of operations, for assertions.
  int kills = 0;
  int seeds = 0;

  std::unique_ptr<DbOperatorFactory> Factory();

 private:
  friend class FakeOperator;
  GtidSet Render(const std::vector<FakeTxn>& txns) const;
  int IndexOf(const Endpoint& ep) const;
  void ReplicateLocked();
  uint64_t NextGno(uint32_t origin) const;

  std::mutex mu_;
  Flavor flavor_;
  bool auto_replicate_ = true;
  std::vector<FakeInstance> inst_;
};

}  // namespace kcx::mysql::clustering
