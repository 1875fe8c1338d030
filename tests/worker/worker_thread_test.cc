#include "worker/worker_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace sfu {
namespace {

// Waits on a flag set from another thread (bounded).
class Latch {
 public:
  void Set() {
    std::lock_guard lock(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool Wait() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [this] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

TEST(WorkerThreadTest, RunsPostedTasksInOrderOnItsOwnThread) {
  WorkerThread worker(3);
  Latch ready;
  worker.Start(nullptr, [&](Status) { ready.Set(); });
  ASSERT_TRUE(ready.Wait());

  std::vector<int> order;  // Touched only on the worker thread until `done`.
  std::thread::id worker_thread;
  Latch done;
  for (int i = 0; i < 100; ++i) {
    worker.Post([&, i] {
      order.push_back(i);
      worker_thread = std::this_thread::get_id();
    });
  }
  nlohmann::json dump;
  worker.Post([&] {
    dump = worker.Dump();
    done.Set();
  });
  ASSERT_TRUE(done.Wait());
  EXPECT_NE(worker_thread, std::this_thread::get_id());
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
  EXPECT_EQ(dump["id"], 3);
  EXPECT_GE(dump["loop"]["tasksRun"].get<int>(), 100);
  EXPECT_GE(dump["loop"]["handles"].get<int>(), 1);

  Latch stopped;
  worker.Stop([&] { stopped.Set(); });
  ASSERT_TRUE(stopped.Wait());
  worker.Join();
  EXPECT_FALSE(worker.Post([] {}));  // Closed: the task is refused, not lost silently.
}

TEST(WorkerThreadTest, ManyThreadsPostingConcurrently) {
  WorkerThread worker(0);
  worker.Start(nullptr, nullptr);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  int count = 0;  // Worker thread only.
  Latch done;
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        worker.Post([&] {
          if (++count == kThreads * kPerThread) done.Set();
        });
      }
    });
  }
  for (auto& p : posters) p.join();
  ASSERT_TRUE(done.Wait());
  Latch stopped;
  worker.Stop([&] { stopped.Set(); });
  ASSERT_TRUE(stopped.Wait());
  worker.Join();
  EXPECT_EQ(count, kThreads * kPerThread);
}

}  // namespace
}  // namespace sfu
