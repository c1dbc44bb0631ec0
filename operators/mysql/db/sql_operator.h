#pragma once

// DbOperator over the MySQL protocol (MariaDB Connector/C). The flavor is detected from the
// server version at the first connection.
//
// Two lazily opened connections per instance: a status connection with short timeouts, so a
// hung server cannot stall the cluster loop, and an operation connection with long read
// timeouts for statements that legitimately block (read-only, GTID waits, seeding).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "operators/mysql/db/connection.h"
#include "operators/mysql/db/db_operator.h"

namespace kcx::mysql {

struct SqlOperatorOptions {
  Endpoint endpoint;
  std::string user = "moco-admin";
  std::string password;  // never logged
  OperatorTimeouts timeouts;
  // Users whose connections KillConnections spares (the moco-* users).
  std::vector<std::string> spared_users;
};

class SqlOperator : public DbOperator {
 public:
  explicit SqlOperator(SqlOperatorOptions o);
  Result<InstanceStatus> GetStatus() override;
  Result<GtidSet> GetExecuted() override;
  Status SetReadOnly(bool on) override;
  Status KillConnections() override;
  Status StopReplicaIo() override;
  Status ConfigureReplica(const SourceInfo& src, bool semisync) override;
  Status ConfigurePrimary(int wait_count) override;
  Status WaitForGtid(const GtidSet& set, std::chrono::milliseconds timeout) override;
  Result<SeedResult> SeedFrom(const SourceInfo& donor) override;
  void Close() override;

  std::optional<Flavor> flavor() const { return flavor_; }

 private:
  Status EnsureFast();
  Status EnsureSlow();
  Status ExecAll(Connection& c, const std::vector<std::string>& stmts);

  SqlOperatorOptions o_;
  Connection fast_;
  Connection slow_;
  std::optional<Flavor> flavor_;
};

// Detects the flavor from a version string ("10.11.6-MariaDB-0+deb12u1" -> MariaDB).
Flavor FlavorFromVersion(std::string_view version);

class SqlOperatorFactory : public DbOperatorFactory {
 public:
  SqlOperatorFactory(std::string user, std::string password, OperatorTimeouts t,
                     std::vector<std::string> spared_users)
      : user_(std::move(user)),
        password_(std::move(password)),
        t_(t),
        spared_(std::move(spared_users)) {}
  std::unique_ptr<DbOperator> New(int index, const Endpoint& ep) override;

 private:
  std::string user_;
  std::string password_;
  OperatorTimeouts t_;
  std::vector<std::string> spared_;
};

}  // namespace kcx::mysql
