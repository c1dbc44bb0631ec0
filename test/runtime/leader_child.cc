// A leader-election candidate for the two-process test: campaigns for a Lease with short
// durations and prints "LEADING <wall ms>" / "STOPPED <wall ms>" as its state changes. SIGTERM
// stops it gracefully (releasing the lease when leading).
//
//   leader_child KUBECONFIG LEASE IDENTITY

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "client/rest_client.h"
#include "runtime/leader_election.h"

namespace {

kcx::runtime::LeaderElector* g_elector = nullptr;
volatile sig_atomic_t g_term = 0;

long long WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: leader_child KUBECONFIG LEASE IDENTITY\n");
    return 2;
  }
  kcx::client::KubeconfigOptions o;
  o.explicit_path = argv[1];
  auto cfg = kcx::client::LoadKubeconfig(o);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.status().ToString().c_str());
    return 1;
  }
  auto client = kcx::client::RestClient::Create(*cfg);
  if (!client.ok()) return 1;
  kcx::runtime::LeaderElectionConfig lc;
  lc.lease_name = argv[2];
  lc.identity = argv[3];
  lc.lease_duration = std::chrono::milliseconds(2000);
  lc.renew_deadline = std::chrono::milliseconds(1500);
  lc.retry_period = std::chrono::milliseconds(250);
  lc.on_started_leading = [] {
    std::printf("LEADING %lld\n", WallMs());
    std::fflush(stdout);
  };
  lc.on_stopped_leading = [] {
    std::printf("STOPPED %lld\n", WallMs());
    std::fflush(stdout);
  };
  kcx::runtime::LeaderElector elector(client->get(), lc);
  g_elector = &elector;
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_term = 1; };
  sigaction(SIGTERM, &sa, nullptr);
  std::thread watcher([&] {
    while (!g_term) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    elector.Stop();
  });
  std::printf("CAMPAIGNING %lld\n", WallMs());
  std::fflush(stdout);
  auto st = elector.Run();
  g_term = 1;
  watcher.join();
  return st.ok() ? 0 : 1;
}
