#include "operators/mysql/clustering/watcher.h"

#include <chrono>

#include "common/log.h"

namespace kcx::mysql::clustering {
namespace {

class SqlWatcher : public Watcher {
 public:
  SqlWatcher(ConnectOptions o, std::function<void()> on_change)
      : o_(std::move(o)), on_change_(std::move(on_change)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~SqlWatcher() override {
    RequestStop();
    thread_.join();
  }
  bool Down() const override { return down_.load(); }
  void RequestStop() override { stop_ = true; }

 private:
  void SetDown(bool d) {
    if (down_.exchange(d) != d) {
      log::Info("watcher: {} is {}", o_.host + ":" + std::to_string(o_.port), d ? "down" : "up");
      on_change_();
    }
  }

  void Run() {
    // Half the read timeout: the query always answers before the timeout on a live server.
    const std::string q =
        "SELECT SLEEP(" + std::to_string(std::max(o_.read_timeout_s, 1) * 0.5) + ")";
    Connection c;
    while (!stop_) {
      if (!c.connected()) {
        if (!c.Connect(o_).ok()) {
          SetDown(true);
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          continue;
        }
        SetDown(false);
      }
      Status st = c.Exec(q);
      if (st.ok() || stop_)
        continue;
      // Confirm with a fresh connection before declaring the instance down: a killed watch
      // connection is not a dead server.
      c.Close();
      if (!c.Connect(o_).ok())
        SetDown(true);
    }
  }

  ConnectOptions o_;
  std::function<void()> on_change_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> down_{false};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Watcher> SqlWatcherFactory::Start(int, const Endpoint& ep,
                                                  std::function<void()> on_change) {
  ConnectOptions o{ep.host, ep.port, user_, password_, "", 1, hung_s_, hung_s_};
  return std::make_unique<SqlWatcher>(std::move(o), std::move(on_change));
}

}  // namespace kcx::mysql::clustering
