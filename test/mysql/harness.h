#pragma once

// Test harness: real `mariadbd` processes on loopback, each bound to its own address
// 127.A.B.(10+i) on port 3306 (A and B from the test process id, so tests running in parallel
// never collide), with a data directory copied from a template made once by
// mariadb-install-db (cached under /tmp, guarded by a file lock). Instances die with the test
// process (PR_SET_PDEATHSIG) and their directories are removed by the destructor.

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "operators/mysql/clustering/types.h"
#include "operators/mysql/db/connection.h"
#include "operators/mysql/db/users.h"

namespace kcx::mysql::testing {

class MariadbInstance {
 public:
  MariadbInstance(int index, std::string dir, Endpoint ep, uint32_t server_id, const Passwords* pw,
                  std::map<std::string, std::string> extra_cnf);
  ~MariadbInstance();

  // Copies the template data dir (if the data dir is empty), starts mariadbd, waits until it
  // answers, and creates the moco-* users (not binlogged).
  Status Start();
  // Start() in two halves: fork the server; wait for it and create the users.
  Status Launch();
  Status Finish();
  void Kill9();
  // SIGTERM and wait.
  Status Stop();
  void SigStop();
  void SigCont();
  // Kill, remove the data dir, start from the empty template again.
  Status Wipe();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  const Endpoint& endpoint() const { return ep_; }
  int index() const { return index_; }
  // A connection as the given system user over TCP (short timeouts).
  Result<std::unique_ptr<Connection>> Connect(SystemUser u, int read_timeout_s = 5) const;
  // A root connection over the Unix socket.
  Result<std::unique_ptr<Connection>> ConnectRoot() const;

 private:
  Status WriteConfig();
  Status WaitReady();
  Status CreateUsers();

  int index_;
  std::string dir_;
  Endpoint ep_;
  uint32_t server_id_;
  const Passwords* pw_;
  std::map<std::string, std::string> extra_;
  pid_t pid_ = -1;
};

class MariadbHarness {
 public:
  // n instances, server ids base..base+n-1, none started. The moco-* users get `passwords`
  // (e.g. those of an operator's controller Secret), or random ones when not given.
  static Result<std::unique_ptr<MariadbHarness>> Create(
      int n, uint32_t server_id_base = 1000, std::map<std::string, std::string> extra = {},
      std::optional<Passwords> passwords = std::nullopt);
  ~MariadbHarness();

  Status StartAll();  // in parallel
  MariadbInstance& at(int i) { return *instances_[static_cast<size_t>(i)]; }
  int size() const { return static_cast<int>(instances_.size()); }
  const Passwords& passwords() const { return pw_; }
  clustering::ClusterSpec Spec(const std::string& name) const;
  const std::string& dir() const { return dir_; }

 private:
  MariadbHarness() = default;
  std::string dir_;
  uint32_t base_ = 1000;
  Passwords pw_;
  std::vector<std::unique_ptr<MariadbInstance>> instances_;
};

// The loopback address prefix of this process: "127.A.B.".
std::string LoopbackPrefix();

}  // namespace kcx::mysql::testing
