#include "runtime/workqueue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace kcx::runtime {
namespace {

using namespace std::chrono_literals;
using Queue = WorkQueue<std::string>;

// Polls (in real time) until `pred` holds or a second passes; for the delaying thread.
template <typename F>
bool Eventually(F pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

TEST(WorkQueueTest, DuplicatesCollapseAndOrderIsFifo) {
  Queue q;
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_EQ(q.Len(), 2u);
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), "b");
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, AnItemAddedWhileProcessingComesBackAfterDone) {
  Queue q;
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  q.Add("a");
  q.Add("a");
  EXPECT_EQ(q.Len(), 0u) << "must not be handed to a second worker while processing";
  q.Done("a");
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0u);
  q.Done("a");  // a second Done is harmless
  EXPECT_EQ(q.Len(), 0u);
}

TEST(WorkQueueTest, AddAfterWaitsForTheClock) {
  FakeClock clock;
  Queue::Options o;
  o.clock = &clock;
  Queue q(std::move(o));
  q.AddAfter("a", 1s);
  q.AddAfter("b", 0s);  // immediate
  EXPECT_EQ(q.Len(), 1u);
  EXPECT_EQ(q.Get(), "b");
  clock.Advance(500ms);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(q.Len(), 0u);
  clock.Advance(600ms);
  EXPECT_TRUE(Eventually([&] { return q.Len() == 1; }));
  EXPECT_EQ(q.Get(), "a");
}

TEST(WorkQueueTest, TheEarliestOfSeveralDelaysWins) {
  FakeClock clock;
  Queue::Options o;
  o.clock = &clock;
  Queue q(std::move(o));
  q.AddAfter("a", 10s);
  q.AddAfter("a", 1s);
  q.AddAfter("a", 5s);  // later than the pending 1 s: ignored
  clock.Advance(1s);
  ASSERT_TRUE(Eventually([&] { return q.Len() == 1; }));
  ASSERT_EQ(q.Get(), "a");
  q.Done("a");
  clock.Advance(20s);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(q.Len(), 0u) << "the superseded 10 s entry must not add the item again";
}

TEST(WorkQueueTest, ShutDownHandsOutWhatIsQueuedThenStops) {
  Queue q;
  q.Add("a");
  q.ShutDown();
  q.Add("b");  // ignored
  EXPECT_TRUE(q.ShuttingDown());
  EXPECT_EQ(q.Get(), "a");
  EXPECT_EQ(q.Get(), std::nullopt);
}

TEST(WorkQueueTest, ShutDownWakesWaitingWorkers) {
  Queue q;
  std::atomic<int> stopped{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 3; ++i) {
    workers.emplace_back([&] {
      if (!q.Get()) ++stopped;
    });
  }
  std::this_thread::sleep_for(20ms);
  q.ShutDown();
  for (auto& t : workers) t.join();
  EXPECT_EQ(stopped.load(), 3);
}

TEST(WorkQueueTest, ShutDownWithDrainWaitsForItemsInFlight) {
  Queue q;
  q.Add("a");
  ASSERT_EQ(q.Get(), "a");
  std::atomic<bool> drained{false};
  std::thread t([&] {
    q.ShutDownWithDrain();
    drained = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(drained.load()) << "must wait for the item being processed";
  q.Done("a");
  t.join();
  EXPECT_TRUE(drained.load());
  EXPECT_EQ(q.Get(), std::nullopt);
}

TEST(WorkQueueTest, RateLimitedAddsBackOffPerItemAndForgetResets) {
  FakeClock clock;
  Queue::Options o;
  o.clock = &clock;
  o.rate_limiter = std::make_unique<ItemExponentialFailureRateLimiter<std::string>>(1s, 1h);
  Queue q(std::move(o));
  q.AddRateLimited("a");  // 1 s
  EXPECT_EQ(q.NumRequeues("a"), 1);
  clock.Advance(1s);
  ASSERT_TRUE(Eventually([&] { return q.Len() == 1; }));
  ASSERT_EQ(q.Get(), "a");
  q.AddRateLimited("a");  // 2 s now
  q.Done("a");
  clock.Advance(1500ms);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(q.Len(), 0u);
  clock.Advance(600ms);
  ASSERT_TRUE(Eventually([&] { return q.Len() == 1; }));
  q.Forget("a");
  EXPECT_EQ(q.NumRequeues("a"), 0);
}

TEST(RateLimiterTest, ExponentialDoublesAndCaps) {
  ItemExponentialFailureRateLimiter<std::string> r(5ms, 1000s);
  EXPECT_EQ(r.When("x"), 5ms);
  EXPECT_EQ(r.When("x"), 10ms);
  EXPECT_EQ(r.When("x"), 20ms);
  EXPECT_EQ(r.When("y"), 5ms);  // per item
  EXPECT_EQ(r.NumRequeues("x"), 3);
  for (int i = 0; i < 100; ++i) r.When("x");
  EXPECT_EQ(r.When("x"), 1000s);  // capped, no overflow
  r.Forget("x");
  EXPECT_EQ(r.NumRequeues("x"), 0);
  EXPECT_EQ(r.When("x"), 5ms);
}

TEST(RateLimiterTest, BucketAllowsTheBurstThenPacesAtQps) {
  FakeClock clock;
  BucketRateLimiter<std::string> r(10, 100, clock);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(r.When("x"), Duration::zero()) << i;
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(r.When("x")), 100ms);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(r.When("y")), 200ms);
  clock.Advance(1s);  // ten tokens come back; two were owed
  for (int i = 0; i < 8; ++i) ASSERT_EQ(r.When("z"), Duration::zero()) << i;
  EXPECT_GT(r.When("z"), Duration::zero());
}

TEST(RateLimiterTest, DefaultControllerLimiterTakesTheLargerDelay) {
  FakeClock clock;
  auto r = DefaultControllerRateLimiter<std::string>(clock);
  EXPECT_EQ(r->When("a"), 5ms);
  EXPECT_EQ(r->When("a"), 10ms);
  // Exhaust the bucket: from then on the bucket's pacing exceeds a fresh item's 5 ms.
  for (int i = 0; i < 200; ++i) r->When("k" + std::to_string(i));
  EXPECT_GT(r->When("fresh"), 5ms);
  EXPECT_EQ(r->NumRequeues("a"), 2);
}

TEST(WorkQueueTest, NoItemIsProcessedByTwoWorkersAndNoAddIsLost) {
  Queue q;
  constexpr int kKeys = 50, kAddsPerKey = 200, kWorkers = 4;
  std::vector<std::atomic<int>> busy(kKeys);
  std::vector<std::atomic<int>> added(kKeys), seen_after(kKeys);
  std::atomic<bool> overlap{false};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      while (auto item = q.Get()) {
        int k = std::stoi(*item);
        if (busy[k].fetch_add(1) != 0) overlap = true;
        // Everything added before we started processing is covered by this round.
        seen_after[k] = added[k].load();
        std::this_thread::yield();
        busy[k].fetch_sub(1);
        q.Done(*item);
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kAddsPerKey; ++i) {
        for (int k = p; k < kKeys; k += 2) {
          added[k].fetch_add(1);
          q.Add(std::to_string(k));
        }
      }
    });
  }
  for (auto& t : producers) t.join();
  ASSERT_TRUE(Eventually([&] {
    for (int k = 0; k < kKeys; ++k) {
      if (seen_after[k].load() != kAddsPerKey) return false;
    }
    return true;
  }));
  q.ShutDownWithDrain();
  for (auto& t : workers) t.join();
  EXPECT_FALSE(overlap.load());
}

}  // namespace
}  // namespace kcx::runtime
