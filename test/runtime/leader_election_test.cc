// Leader election across real processes (test/runtime/leader_child) against kcx apiserver:
// exactly one leads; killing the leader (SIGKILL) makes another lead within the lease
// duration; a graceful stop (SIGTERM) releases the lease so the successor takes over at
// once; leadership intervals never overlap.

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <regex>

#include "api/json.h"
#include "test/compat/process.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

using namespace std::chrono_literals;

long long WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

long long Stamp(const std::string& out, const std::string& word) {
  std::smatch m;
  if (std::regex_search(out, m, std::regex(word + " ([0-9]+)"))) return std::stoll(m[1]);
  return -1;
}

std::unique_ptr<Process> Candidate(const TestApiServer& srv, const std::string& id) {
  return std::make_unique<Process>(
      std::vector<std::string>{KCX_LEADER_CHILD, srv.kubeconfig(), "demo", id});
}

// The candidate that leads now, or -1.
int WaitForLeader(std::vector<std::unique_ptr<Process>>& ps, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    for (size_t i = 0; i < ps.size(); ++i) {
      if (!ps[i]) continue;
      ps[i]->Drain(10);
      if (ps[i]->out().find("LEADING") != std::string::npos) return static_cast<int>(i);
    }
  }
  return -1;
}

TEST(LeaderElectionTest, KillingTheLeaderHandsOverWithinTheLeaseDuration) {
  auto srv = TestApiServer::Start();
  std::vector<std::unique_ptr<Process>> ps;
  ps.push_back(Candidate(*srv, "alpha"));
  ps.push_back(Candidate(*srv, "beta"));
  int first = WaitForLeader(ps, 10000);
  ASSERT_GE(first, 0) << ps[0]->err() << ps[1]->err();
  int other = 1 - first;
  // Only one leads: the other keeps campaigning for a while.
  std::this_thread::sleep_for(1500ms);
  ps[other]->Drain(10);
  EXPECT_EQ(ps[other]->out().find("LEADING"), std::string::npos) << ps[other]->out();
  auto lease = srv->Call("GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/demo");
  ASSERT_EQ(lease.code, 200);
  EXPECT_EQ(api::GetStringPath(lease.json, {"spec", "holderIdentity"}),
            first == 0 ? "alpha" : "beta");

  long long killed = WallMs();
  ps[first]->Signal(SIGKILL);
  ps[first]->Wait(5000);
  ps[first].reset();
  int next = WaitForLeader(ps, 6000);
  ASSERT_EQ(next, other) << ps[other]->err();
  long long took = Stamp(ps[other]->out(), "LEADING") - killed;
  EXPECT_GT(took, 0);
  // Lease 2 s, observed from the last renewal; plus one jittered retry period (≤ 300 ms).
  EXPECT_LE(took, 2000 + 300 + 500) << "handover took " << took << " ms";

  // Graceful stop releases the lease: a new candidate takes over without waiting for expiry.
  ps.push_back(Candidate(*srv, "gamma"));
  std::this_thread::sleep_for(700ms);  // gamma has observed the lease and is campaigning
  long long stopped = WallMs();
  ps[other]->Signal(SIGTERM);
  EXPECT_EQ(ps[other]->Wait(5000), 0) << ps[other]->err();
  long long released_at = Stamp(ps[other]->out(), "STOPPED");
  ASSERT_GT(released_at, 0) << ps[other]->out();
  ps[other].reset();
  int third = WaitForLeader(ps, 5000);
  ASSERT_EQ(third, 2);
  long long gamma_leads = Stamp(ps[2]->out(), "LEADING");
  EXPECT_GE(gamma_leads, released_at) << "leadership intervals must not overlap";
  EXPECT_LE(gamma_leads - stopped, 1000) << "a released lease is taken at once";
}

}  // namespace
}  // namespace kcx::testenv
