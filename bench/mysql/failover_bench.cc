// Failover benchmark on real MariaDB instances (3 mariadbd on loopback, the clustering manager
// in-process with its watchers, a writer committing numbered rows throughout):
//   - failover time: kill -9 of the primary -> first acknowledged write on the new primary
//   - hung-primary failover time: SIGSTOP of the primary -> first acknowledged write
//   - switchover write pause: the longest gap between acknowledged writes around a switchover
//   - acknowledged commits lost over all the failovers (every acknowledged id must be present
//     on the final primary)
//
//   failover_bench [--runs 20] [--hung-runs 3] [--switchovers 5]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "test/mysql/managed_cluster.h"
#include "test/mysql/writer.h"

using namespace kcx;
using namespace kcx::mysql;
using namespace kcx::mysql::testing;
using namespace std::chrono_literals;
using clustering::ClusterState;

namespace {

double Median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}
double Max(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

// Brings instance i back after it was killed or stopped: restart; if it holds an unsent
// (unacknowledged) tail it is errant, so wipe it and let the manager re-seed it.
bool Recover(ManagedCluster& c, int i, int* wiped) {
  if (!c.at(i).running() && !c.at(i).Start().ok())
    return false;
  bool ok = c.WaitFor(
      [&](const clustering::ClusterReport& r) {
        return r.state == ClusterState::kHealthy ||
               std::find(r.errant.begin(), r.errant.end(), i) != r.errant.end();
      },
      60s);
  if (!ok)
    return false;
  if (c.cluster().report().state == ClusterState::kHealthy)
    return true;
  ++*wiped;
  if (!c.at(i).Wipe().ok())
    return false;
  return c.WaitForState(ClusterState::kHealthy, 120s);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 20, hung_runs = 3, switchovers = 5;
  std::string level = "warn";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--log-level"))
      level = argv[i + 1];
    if (!std::strcmp(argv[i], "--runs"))
      runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--hung-runs"))
      hung_runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--switchovers"))
      switchovers = std::atoi(argv[i + 1]);
  }
  log::Init(level, false);
  ManagedClusterOptions o;
  o.instances = 3;
  o.check_interval = 1000ms;  // the standalone default; failures are detected by the watchers
  o.hung_timeout_s = 1;
  auto cr = ManagedCluster::Create(o);
  if (!cr.ok()) {
    std::fprintf(stderr, "cluster: %s\n", cr.status().ToString().c_str());
    return 1;
  }
  auto& c = **cr;
  if (!c.WaitForState(ClusterState::kHealthy, 60s)) {
    std::fprintf(stderr, "not healthy: %s\n", c.Describe().c_str());
    return 1;
  }
  const auto& pw = c.passwords();
  if (!CreateWriterTable(c.at(c.primary()).endpoint(), "moco-writable",
                         pw.Get(SystemUser::kWritable))
           .ok()) {
    return 1;
  }
  Writer w(c.endpoints(), "moco-writable", pw.Get(SystemUser::kWritable));
  w.Start();
  int wiped = 0;

  std::vector<double> failover;
  for (int r = 0; r < runs; ++r) {
    if (!w.WaitForMore(200, 30s)) {
      std::fprintf(stderr, "writer stalled before run %d: %s\n", r, c.Describe().c_str());
      return 1;
    }
    const int p = c.primary();
    const auto t0 = std::chrono::steady_clock::now();
    c.at(p).Kill9();
    log::Info("bench: kill -9 instance {}", p);
    std::optional<Writer::Clock::time_point> first;
    if (!c.WaitFor([&](const auto&) { return (first = w.FirstAckAfter(t0, p)).has_value(); },
                   30s)) {
      std::fprintf(stderr, "no write after failover %d: %s\n", r, c.Describe().c_str());
      return 1;
    }
    const double s = std::chrono::duration<double>(*first - t0).count();
    failover.push_back(s);
    std::printf("failover %2d: instance %d -> %d, first write after %.3f s\n", r + 1, p,
                c.primary(), s);
    std::fflush(stdout);
    if (!Recover(c, p, &wiped)) {
      std::fprintf(stderr, "recovery failed: %s\n", c.Describe().c_str());
      return 1;
    }
  }

  std::vector<double> hung;
  for (int r = 0; r < hung_runs; ++r) {
    if (!w.WaitForMore(200, 30s))
      return 1;
    const int p = c.primary();
    const auto t0 = std::chrono::steady_clock::now();
    c.at(p).SigStop();
    log::Info("bench: SIGSTOP instance {}", p);
    // Wait for a write acknowledged after the primary changed.
    std::optional<Writer::Clock::time_point> first;
    if (!c.WaitFor([&](const auto&) { return (first = w.FirstAckAfter(t0, p)).has_value(); },
                   30s)) {
      std::fprintf(stderr, "hung failover %d failed: %s\n", r, c.Describe().c_str());
      return 1;
    }
    const double s = std::chrono::duration<double>(*first - t0).count();
    hung.push_back(s);
    std::printf("hung failover %d: instance %d -> %d, first write after %.3f s\n", r + 1, p,
                c.primary(), s);
    std::fflush(stdout);
    c.at(p).SigCont();
    if (!Recover(c, p, &wiped)) {
      std::fprintf(stderr, "recovery failed: %s\n", c.Describe().c_str());
      return 1;
    }
  }

  std::vector<double> pauses;
  for (int r = 0; r < switchovers; ++r) {
    if (!w.WaitForMore(200, 30s))
      return 1;
    const int p = c.primary();
    const auto t0 = std::chrono::steady_clock::now();
    c.manager().RequestSwitchover();
    if (!c.WaitFor(
            [&](const auto& rep) {
              return rep.primary != p && rep.state == ClusterState::kHealthy;
            },
            30s) ||
        !w.WaitForMore(100, 30s)) {
      std::fprintf(stderr, "switchover %d failed: %s\n", r, c.Describe().c_str());
      return 1;
    }
    const double gap = w.LongestGap(t0, std::chrono::steady_clock::now()).count();
    pauses.push_back(gap);
    std::printf("switchover %d: instance %d -> %d, longest write pause %.3f s\n", r + 1, p,
                c.primary(), gap);
    std::fflush(stdout);
  }

  w.Stop();
  const int fp = c.primary();
  std::set<int64_t> present;
  {
    auto conn = c.at(fp).Connect(SystemUser::kAdmin, 60);
    if (!conn.ok())
      return 1;
    auto rs = (*conn)->Query("SELECT id FROM kcx.t");
    if (!rs.ok())
      return 1;
    for (const auto& row : rs->rows)
      present.insert(std::stoll(*row[0]));
  }
  const auto acked = w.Acked();
  int64_t lost = 0;
  for (auto id : acked)
    lost += present.count(id) ? 0 : 1;

  std::printf(
      "\n== results (3 MariaDB 10.11 instances on loopback, writer with autocommit INSERTs) ==\n");
  std::printf(
      "failover (kill -9 -> first write on new primary), %zu runs: median %.3f s, worst %.3f s\n",
      failover.size(), Median(failover), Max(failover));
  std::printf("hung primary (SIGSTOP -> first write), %zu runs: median %.3f s, worst %.3f s\n",
              hung.size(), Median(hung), Max(hung));
  std::printf("switchover write pause, %zu runs: median %.3f s, worst %.3f s\n", pauses.size(),
              Median(pauses), Max(pauses));
  std::printf(
      "acknowledged commits: %zu, present on the final primary: %zu rows, lost: %lld "
      "(over %zu failovers + %zu hung failovers + %zu switchovers; %d old primaries re-seeded "
      "because they held an unacknowledged tail)\n",
      acked.size(), present.size(), static_cast<long long>(lost), failover.size(), hung.size(),
      pauses.size(), wiped);
  return lost == 0 ? 0 : 3;
}
