#pragma once

// Fast failure detection. A watcher holds a persistent connection to one instance and keeps a
// cheap query (SELECT SLEEP) in flight, so a crashed mysqld (the kernel closes the socket) is
// noticed at once, and a hung one (SIGSTOP: the socket stays open, nothing answers) when the
// read timeout passes. A broken connection is confirmed by one reconnect attempt before the
// instance is declared down; then `on_change` fires and the watcher keeps reconnecting.

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "operators/mysql/db/connection.h"
#include "operators/mysql/db/db_operator.h"

namespace kcx::mysql::clustering {

class Watcher {
 public:
  virtual ~Watcher() = default;
  // True while the instance is known down (connection lost and reconnect failed).
  virtual bool Down() const = 0;
  // Asks the watcher thread to stop without waiting (the destructor waits).
  virtual void RequestStop() = 0;
};

// Threading: `on_change` runs on the watcher's own thread; it must only wake the manager.
class WatcherFactory {
 public:
  virtual ~WatcherFactory() = default;
  virtual std::unique_ptr<Watcher> Start(int index, const Endpoint& ep,
                                         std::function<void()> on_change) = 0;
};

class SqlWatcherFactory : public WatcherFactory {
 public:
  // hung_timeout_s: the read timeout of the watch connection (Connector/C: whole seconds).
  SqlWatcherFactory(std::string user, std::string password, int hung_timeout_s)
      : user_(std::move(user)), password_(std::move(password)), hung_s_(hung_timeout_s) {}
  std::unique_ptr<Watcher> Start(int index, const Endpoint& ep,
                                 std::function<void()> on_change) override;

 private:
  std::string user_;
  std::string password_;
  int hung_s_;
};

}  // namespace kcx::mysql::clustering
