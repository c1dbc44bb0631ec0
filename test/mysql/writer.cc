#include "test/mysql/writer.h"

#include <algorithm>

namespace kcx::mysql::testing {

Status CreateWriterTable(const Endpoint& p, const std::string& user, const std::string& pw) {
  Connection c;
  KCX_RETURN_IF_ERROR(c.Connect({p.host, p.port, user, pw, "", 2, 10, 10}));
  KCX_RETURN_IF_ERROR(c.Exec("CREATE DATABASE IF NOT EXISTS kcx"));
  return c.Exec(
      "CREATE TABLE IF NOT EXISTS kcx.t (id BIGINT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB");
}

Writer::Writer(std::vector<Endpoint> instances, std::string user, std::string password)
    : instances_(std::move(instances)), user_(std::move(user)), password_(std::move(password)) {}

Writer::~Writer() { Stop(); }

void Writer::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Writer::Stop() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
}

void Writer::Run() {
  Connection c;
  size_t target = 0;
  int64_t next_id = 1;
  {
    std::lock_guard l(mu_);
    if (!acked_.empty())
      next_id = *std::max_element(acked_.begin(), acked_.end()) + 1;
  }
  while (!stop_) {
    if (!c.connected()) {
      const Endpoint& ep = instances_[target % instances_.size()];
      // Short timeouts: a hung primary must not hold the writer for long.
      if (!c.Connect({ep.host, ep.port, user_, password_, "", 1, 1, 1}).ok()) {
        target++;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
    }
    const int64_t id = next_id++;
    attempts_++;
    Status st = c.Exec("INSERT INTO kcx.t (id, v) VALUES (" + std::to_string(id) + ", 'row')");
    if (st.ok()) {
      auto now = Clock::now();
      std::lock_guard l(mu_);
      acked_.push_back(id);
      ack_times_.push_back(now);
      ack_instance_.push_back(static_cast<int>(target % instances_.size()));
      acked_count_++;
      continue;
    }
    // Read-only replica, killed connection, dead or hung server: try the next instance. The id
    // is never reused, so an unacknowledged insert that did commit cannot collide.
    c.Close();
    target++;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::vector<int64_t> Writer::Acked() const {
  std::lock_guard l(mu_);
  return acked_;
}

std::optional<Writer::Clock::time_point> Writer::FirstAckAfter(Clock::time_point t,
                                                               int not_on) const {
  std::lock_guard l(mu_);
  auto it = std::upper_bound(ack_times_.begin(), ack_times_.end(), t);
  for (; it != ack_times_.end(); ++it) {
    if (not_on < 0 || ack_instance_[static_cast<size_t>(it - ack_times_.begin())] != not_on) {
      return *it;
    }
  }
  return std::nullopt;
}

std::chrono::duration<double> Writer::LongestGap(Clock::time_point from,
                                                 Clock::time_point to) const {
  std::lock_guard l(mu_);
  std::chrono::duration<double> best{0};
  Clock::time_point prev = from;
  for (auto t : ack_times_) {
    if (t < from)
      continue;
    if (t > to)
      break;
    best = std::max<std::chrono::duration<double>>(best, t - prev);
    prev = t;
  }
  best = std::max<std::chrono::duration<double>>(best, to - prev);
  return best;
}

bool Writer::WaitForMore(int64_t n, std::chrono::milliseconds timeout) const {
  const int64_t goal = acked_count_.load() + n;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (acked_count_.load() >= goal)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace kcx::mysql::testing
