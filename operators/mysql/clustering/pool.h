#pragma once

// A small fixed set of threads that runs batches of blocking tasks (status gathering of every
// instance in parallel). RunAll blocks the caller until the whole batch is done.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kcx::mysql::clustering {

class TaskPool {
 public:
  explicit TaskPool(int threads) {
    for (int i = 0; i < threads; ++i)
      threads_.emplace_back([this] { Loop(); });
  }
  ~TaskPool() {
    {
      std::lock_guard l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      t.join();
  }

  // Queues one task and returns at once.
  void Submit(std::function<void()> f) {
    {
      std::lock_guard l(mu_);
      queue_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

  void RunAll(std::vector<std::function<void()>> tasks) {
    if (tasks.empty())
      return;
    std::mutex done_mu;
    std::condition_variable done_cv;
    size_t remaining = tasks.size();
    {
      std::lock_guard l(mu_);
      for (auto& t : tasks) {
        queue_.push_back([&, t = std::move(t)] {
          t();
          std::lock_guard dl(done_mu);
          if (--remaining == 0)
            done_cv.notify_all();
        });
      }
    }
    cv_.notify_all();
    std::unique_lock dl(done_mu);
    done_cv.wait(dl, [&] { return remaining == 0; });
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock l(mu_);
        cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty())
          return;
        f = std::move(queue_.front());
        queue_.pop_front();
      }
      f();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kcx::mysql::clustering
